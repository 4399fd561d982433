"""``kubectl port-forward`` (kubectl 1.37 ``pkg/cmd/portforward``, client-go ``tools/portforward``): a
listener on the learner's machine whose connections reach one pod through the API server and the
kubelet, never through a Service's kube-proxy rules; it lives until stopped or until the pod goes."""

from __future__ import annotations

import subprocess

import fake_apiserver
import oracle
import pytest

import kitlib
from kitlib.kubectl.args import KubectlError


@pytest.fixture
def site(web: kitlib.Cluster) -> kitlib.Cluster:
    """deployment/web (3 nginx pods) behind service/web, port 8080 → targetPort 80."""
    web.kubectl("expose deployment web --port=8080 --target-port=80")
    web.advance(5)
    return web


def test_forwarding_lines_are_kubectls(site):
    """kubectl listens on 127.0.0.1 and ::1 and says so, the Service's port translated to the pod's
    targetPort: ``Forwarding from 127.0.0.1:8080 -> 80``."""
    out = site.kubectl("port-forward svc/web 8080:8080")
    assert out == "Forwarding from 127.0.0.1:8080 -> 80\nForwarding from [::1]:8080 -> 80"
    assert out.running


def test_request_to_localhost_goes_through_the_api_server_and_kubelet(site):
    """``curl localhost:8080`` on the learner's machine: kubectl → API server (8443) → kubelet on the
    pod's node (10250) → localhost:80 in the pod's network namespace; no kube-proxy hop, and every
    request reaches the same pod kubectl picked."""
    pf = site.kubectl("port-forward svc/web 8080:8080")
    answers = {site.http("http://localhost:8080/").pod for _ in range(5)}
    assert len(answers) == 1
    resp = site.http("http://localhost:8080/")
    assert resp.status == 200 and "Welcome to nginx!" in resp.body
    devices = [h.device for h in resp.hops]
    assert devices == ["lo (kubectl)", "kubectl → kube-apiserver", "kube-apiserver → kubelet", "lo (pod netns)"]
    assert resp.hops[1].dst == "192.168.49.2:8443"
    assert resp.hops[2].dst.endswith(":10250")
    assert resp.hops[3].dst == "127.0.0.1:80"
    assert resp.service is None
    assert pf.output.splitlines()[2:] == ["Handling connection for 8080"] * 6


def test_service_forward_picks_the_most_active_pod(site):
    """``svc/NAME`` and ``deploy/NAME`` pick the same pod: the first by ``sort.Reverse(ActivePods)``."""
    site.kubectl("port-forward svc/web 8080:8080")
    site.kubectl("port-forward deploy/web 8081:80")
    assert site.http("http://localhost:8080/").pod == site.http("http://localhost:8081/").pod


def test_port_forward_to_a_pod_bypasses_network_policy(site):
    """A deny-all ingress NetworkPolicy blocks traffic from other pods, not the kubelet's connection
    to the pod's own loopback."""
    pod = site.pods()[0]
    site.apply([{"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
                 "metadata": {"name": "deny"}, "spec": {"podSelector": {}, "policyTypes": ["Ingress"]}}])
    site.kubectl(f"port-forward pod/{pod.name} 9090:80")
    assert site.http("http://localhost:9090/").status == 200


def test_random_local_port_is_deterministic(site):
    """``:80`` lets the system choose the local port; kitlib takes it from the ephemeral range
    with the cluster's seed, so the same cluster gets the same port."""
    first = site.kubectl("port-forward deploy/web :80")
    port = int(first.split("\n")[0].split(":")[1].split(" ")[0])
    assert 32768 <= port <= 60999
    first.stop()
    again = site.kubectl("port-forward deploy/web :80")
    assert again == first


def test_stop_closes_the_listener(site):
    """Ctrl-C (``stop()``): the listener is gone and the port is free again."""
    pf = site.kubectl("port-forward svc/web 8080:8080")
    pf.stop()
    assert not pf.running
    assert site.http("http://localhost:8080/").failure == "refused"
    site.kubectl("port-forward svc/web 8080:8080")


def test_deleting_the_pod_breaks_the_forward(site):
    """The tunnel is to one pod: when it is gone kubectl ends with ``error: lost connection to
    pod``, even though the Service has other pods."""
    pf = site.kubectl("port-forward svc/web 8080:8080")
    pod = site.http("http://localhost:8080/").pod.split("/")[1]
    site.kubectl(f"delete pod {pod}")
    site.advance(5)
    assert site.http("http://localhost:8080/").failure == "refused"
    assert pf.output.endswith("error: lost connection to pod")
    assert not pf.running


def test_nothing_listening_in_the_pod_ends_the_forward(site):
    """A refused connection inside the pod: kubectl logs the error, closes the client's connection
    without a reply and ends (client-go closes its stream on any forwarding error)."""
    pf = site.kubectl("port-forward deploy/web 9000:81")
    resp = site.http("http://localhost:9000/")
    assert resp.failure == "empty"
    assert pf.output.endswith("Connection refused\nerror: lost connection to pod")


def test_local_port_in_use(site):
    """A second forward on the same local port cannot listen: kubectl's errors, nothing changes."""
    site.kubectl("port-forward svc/web 8080:8080")
    before = site.state()
    with pytest.raises(KubectlError) as info:
        site.kubectl("port-forward deploy/web 8080:80")
    assert str(info.value) == (
        "Unable to listen on port 8080: Listeners failed to create with the following errors: [unable to create "
        "listener: Error listen tcp4 127.0.0.1:8080: bind: address already in use unable to create listener: "
        "Error listen tcp6 [::1]:8080: bind: address already in use]\n"
        "error: unable to listen on any of the requested ports: [{8080 80}]")
    assert site.state() == before


@pytest.mark.parametrize("line", [
    "port-forward svc/web 8080:9999",
    "port-forward svc/web http",
    "port-forward deploy/web 8080:http",
    "port-forward deploy/web 8080:0",
    "port-forward deploy/web x:80",
    "port-forward deploy/web 8080:99999",
])
def test_refusals_are_kubectls(site, line):
    """The real kubectl, reading kitlib's Service, Deployment and pods from a stand-in server,
    refuses the same ports with the same words."""
    with fake_apiserver.serve(site) as url:
        done = fake_apiserver.kubectl(url, line.split())
    with pytest.raises(kitlib.ApiError) as info:
        site.kubectl(line)
    assert str(info.value) == done.stderr.rstrip("\n")


@pytest.mark.parametrize(("line", "message"), [
    ("port-forward svc/web 8080:9999", "error: Service web does not have a service port 9999"),
    ("port-forward svc/web http", "error: Service 'web' does not have a named port 'http'"),
    ("port-forward deploy/web 8080:http", "error: Pod '.*' does not have a named port 'http'"),
    ("port-forward deploy/web 8080:0", "error: remote port must be > 0"),
    ("port-forward deploy/web 8080:99999", "error: error parsing remote port '99999': strconv.ParseUint: "
                                           "parsing \"99999\": value out of range"),
    ("port-forward deploy/web x:80", "error: error parsing local port 'x': strconv.ParseUint: parsing \"x\": "
                                     "invalid syntax"),
    ("port-forward svc/nope 80", 'services "nope" not found'),
])
def test_refusals(site, line, message):
    """kubectl's own words for ports it cannot translate or parse; nothing changes."""
    before = site.state()
    with pytest.raises(kitlib.ApiError, match=f"^(Error from server \\(NotFound\\): )?{message}$"):
        site.kubectl(line)
    assert site.state() == before


def test_pod_not_running(cluster):
    """A pod that is not Running yet: ``unable to forward port because pod is not running``."""
    cluster.kubectl("run web --image=nginx --port=80")
    with pytest.raises(KubectlError, match="^error: unable to forward port because pod is not running. "
                                           "Current status=Pending$"):
        cluster.kubectl("port-forward web 8080:80")


@pytest.mark.parametrize("argv", [["port-forward", "svc/web"], ["port-forward"], ["port-forward", "svc/web", "80",
                                                                                  "--foo"]])
def test_usage_errors_are_kubectls(cluster, argv):
    """Checked before any request: compared with the real kubectl."""
    exe = oracle.require()
    done = subprocess.run([exe, *argv], capture_output=True, text=True, timeout=60, check=False,
                          env={"KUBECONFIG": "/nonexistent", "PATH": "/usr/bin:/bin"})
    with pytest.raises(KubectlError) as info:
        cluster.kubectl(" ".join(argv))
    assert str(info.value) == done.stderr.rstrip("\n")


MONGO = """
apiVersion: apps/v1
kind: Deployment
metadata:
  name: mongo
  labels:
    app.kubernetes.io/name: mongo
    app.kubernetes.io/component: backend
spec:
  selector:
    matchLabels:
      app.kubernetes.io/name: mongo
      app.kubernetes.io/component: backend
  replicas: 1
  template:
    metadata:
      labels:
        app.kubernetes.io/name: mongo
        app.kubernetes.io/component: backend
    spec:
      containers:
      - name: mongo
        image: mongo:4.2
        args:
          - --bind_ip
          - 0.0.0.0
        resources:
          requests:
            cpu: 100m
            memory: 100Mi
        ports:
        - containerPort: 27017
---
apiVersion: v1
kind: Service
metadata:
  name: mongo
  labels:
    app.kubernetes.io/name: mongo
    app.kubernetes.io/component: backend
spec:
  ports:
  - port: 27017
    targetPort: 27017
  selector:
    app.kubernetes.io/name: mongo
    app.kubernetes.io/component: backend
"""


def test_the_port_forwarding_task_page(cluster):
    """kubernetes.io/docs/tasks/access-application-cluster/port-forward-access-application-cluster/:
    the MongoDB Deployment and Service, then ``kubectl port-forward`` to the pod, the Deployment,
    the ReplicaSet and the Service, each printing ``Forwarding from 127.0.0.1:28015 -> 27017`` and
    the IPv6 line, and ``:27017`` letting the system choose the local port."""
    cluster.kubectl("apply -f - <<EOF\n" + MONGO + "EOF")
    cluster.advance(60)
    pod = cluster.pods()[0].name
    rs = cluster.api.list("ReplicaSet", "default")[0].name
    for target in (f"pods/{pod}", "deployment/mongo", f"replicaset/{rs}", "service/mongo"):
        pf = cluster.kubectl(f"port-forward {target} 28015:27017")
        assert pf == "Forwarding from 127.0.0.1:28015 -> 27017\nForwarding from [::1]:28015 -> 27017"
        pf.stop()
    chosen = cluster.kubectl(f"port-forward pods/{pod} :27017")
    assert chosen.startswith("Forwarding from 127.0.0.1:") and chosen.endswith(" -> 27017")
