"""What listens in a container is decided by its image and command, not by ``containerPort``
(kitlib.container.listeners): on a real cluster the ports list is informational."""

from __future__ import annotations

import pytest

import kitlib
from kitlib.container import listeners

AGNHOST = "registry.k8s.io/e2e-test-images/agnhost:2.53"


def run_pod(cluster: kitlib.Cluster, name: str, image: str, ports: list[int] | None = None,
            command: list[str] | None = None, args: list[str] | None = None, env: dict | None = None,
            protocol: str = "TCP") -> kitlib.api.pod.Pod:
    container: dict = {"name": name, "image": image}
    if ports:
        container["ports"] = [{"containerPort": p, "protocol": protocol} for p in ports]
    if command:
        container["command"] = command
    if args:
        container["args"] = args
    if env:
        container["env"] = [{"name": k, "value": v} for k, v in env.items()]
    cluster.apply({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name},
                   "spec": {"containers": [container]}})
    cluster.advance(15)
    return cluster.get("Pod", name)


def reach(cluster: kitlib.Cluster, pod, port: int, protocol: str = "TCP"):
    return cluster.connect("node/minikube", pod.status.pod_ip, port, protocol=protocol)


def test_nginx_without_ports_accepts_on_80(cluster):
    """nginx listens on 80 (default.conf's ``listen 80;``) though its spec declares no port."""
    pod = run_pod(cluster, "web", "nginx")
    assert reach(cluster, pod, 80).ok
    assert cluster.http(f"http://{pod.status.pod_ip}/", src="node/minikube").status == 200


def test_nginx_declaring_8080_refuses_8080_and_accepts_80(cluster):
    """A spec declaring containerPort 8080 does not move nginx: it listens on 80 only, 8080 is
    refused, and the reason says what does listen and that containerPort is informational."""
    pod = run_pod(cluster, "web", "nginx", ports=[8080])
    refused = reach(cluster, pod, 8080)
    assert not refused.ok and refused.failure == "refused"
    assert refused.reason == ("nothing in pod web listens on 8080/TCP (its containers listen on 80/TCP; it declares "
                              "containerPort 8080/TCP, but containerPort is only informational): connection refused")
    assert reach(cluster, pod, 80).ok


def test_agnhost_netexec_listens_on_its_http_and_udp_ports(cluster):
    """agnhost netexec: ``--http-port`` (default 8080) TCP and ``--udp-port`` (default 8081) UDP."""
    pod = run_pod(cluster, "api", AGNHOST, args=["netexec", "--http-port=9000"])
    assert reach(cluster, pod, 9000).ok
    assert reach(cluster, pod, 8081, "UDP").ok
    assert not reach(cluster, pod, 8080).ok
    default = run_pod(cluster, "api2", AGNHOST, command=["/agnhost", "netexec"])
    assert listeners.listening_ports(cluster.runtime, default, default.spec.containers[0]) == {
        (8080, "TCP"), (8081, "UDP")}
    off = run_pod(cluster, "api3", AGNHOST, args=["netexec", "--udp-port", "-1"])
    assert listeners.listening_ports(cluster.runtime, off, off.spec.containers[0]) == {(8080, "TCP")}


def test_agnhost_without_arguments_runs_pause_and_listens_on_nothing(cluster):
    """The agnhost image's CMD is ``pause``: declared ports or not, nothing listens."""
    pod = run_pod(cluster, "p", AGNHOST, ports=[8080])
    conn = reach(cluster, pod, 8080)
    assert not conn.ok and "its containers listen on nothing" in conn.reason


@pytest.mark.parametrize(("args", "port"), [(["serve-hostname"], 9376), (["liveness"], 8080),
                                            (["serve-hostname", "--port", "9500"], 9500)])
def test_other_agnhost_servers(cluster, args, port):
    """serve-hostname listens on --port (9376); liveness (the docs' liveness-HTTP example) on 8080."""
    pod = run_pod(cluster, "p", AGNHOST, args=args)
    assert reach(cluster, pod, port).ok


@pytest.mark.parametrize(("args", "expected"), [
    (["serve-hostname", "--udp", "--http=false"], {(9376, "UDP")}),
    (["serve-hostname", "--tcp", "--http=false", "--port=7"], {(7, "TCP")}),
    (["serve-hostname", "--udp"], set()),  # HTTP and UDP at once: log.Fatalf, nothing listens
])
def test_serve_hostname_modes(cluster, args, expected):
    """serve-hostname serves HTTP by default; raw TCP or UDP only with --http=false."""
    pod = run_pod(cluster, "p", AGNHOST, args=args)
    assert listeners.listening_ports(cluster.runtime, pod, pod.spec.containers[0]) == expected


def test_http_echo_listens_where_listen_says(cluster):
    """http-echo: ``-listen`` (default ``:5678``); without ``-text`` it exits and listens on nothing."""
    pod = run_pod(cluster, "echo", "hashicorp/http-echo", args=["-listen=:8080", "-text=hi"], ports=[5678])
    assert reach(cluster, pod, 8080).ok and not reach(cluster, pod, 5678).ok
    assert cluster.http(f"http://{pod.status.pod_ip}:8080/", src="node/minikube").body == "hi\n"
    default = run_pod(cluster, "echo2", "hashicorp/http-echo", command=["/http-echo", "-text", "x"])
    assert reach(cluster, default, 5678).ok
    mute = run_pod(cluster, "echo3", "hashicorp/http-echo")
    assert listeners.listening_ports(cluster.runtime, mute, mute.spec.containers[0]) == set()


def test_echoserver_listens_on_8080(cluster):
    """registry.k8s.io/echoserver (minikube's hello-minikube) serves on 8080."""
    pod = run_pod(cluster, "hello", "registry.k8s.io/echoserver:1.4")
    assert reach(cluster, pod, 8080).ok


@pytest.mark.parametrize(("command", "port", "protocol"), [
    (["httpd", "-f", "-p", "8000"], 8000, "TCP"),
    (["httpd", "-f", "-p", "127.0.0.1:8001"], 8001, "TCP"),
    (["sh", "-c", "echo start; httpd -f -p 8000"], 8000, "TCP"),
    (["sh", "-c", "nc -l -p 9000 -e echo hi & sleep 3600"], 9000, "TCP"),
    (["nc", "-lu", "-p", "5353"], 5353, "UDP"),
])
def test_busybox_listens_where_its_command_says(cluster, command, port, protocol):
    """busybox ``httpd -f -p [IP:]N`` and ``nc -l -p N`` listen on N, directly or under ``sh -c``."""
    pod = run_pod(cluster, "bb", "busybox:1.37", command=command)
    assert listeners.listening_ports(cluster.runtime, pod, pod.spec.containers[0]) == {(port, protocol)}


def test_busybox_sleep_listens_on_nothing_whatever_it_declares(cluster):
    """A declared port nothing listens on is refused."""
    pod = run_pod(cluster, "bb", "busybox", ports=[80], command=["sleep", "3600"])
    assert not reach(cluster, pod, 80).ok


def test_webapp_listens_on_port_env_or_8080(cluster):
    """kitlib/webapp (kitlib's own rule): ``$PORT`` from env, default 8080, whatever it declares."""
    pod = run_pod(cluster, "app", "kitlib/webapp:1", ports=[80])
    assert listeners.listening_ports(cluster.runtime, pod, pod.spec.containers[0]) == {(8080, "TCP")}
    other = run_pod(cluster, "app2", "kitlib/webapp:1", env={"PORT": "9090"})
    assert listeners.listening_ports(cluster.runtime, other, other.spec.containers[0]) == {(9090, "TCP")}


def test_coredns_listens_on_dns_health_ready_and_metrics(cluster):
    """CoreDNS: 53 UDP/TCP, health 8080, ready 8181, metrics 9153 (kubeadm's Corefile)."""
    dns = cluster.pods("kube-system")[0]
    assert listeners.listening_ports(cluster.runtime, dns, dns.spec.containers[0]) == {
        (53, "UDP"), (53, "TCP"), (8080, "TCP"), (8181, "TCP"), (9153, "TCP")}


def test_probes_hit_what_listens(cluster):
    """An httpGet probe on the declared 8080 of nginx is refused (nginx listens on 80): never ready."""
    cluster.apply({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"},
                   "spec": {"containers": [{"name": "web", "image": "nginx", "ports": [{"containerPort": 8080}],
                                            "readinessProbe": {"httpGet": {"port": 8080}, "periodSeconds": 1}}]}})
    cluster.advance(10)
    pod = cluster.get("Pod", "p")
    assert not kitlib.api.pod.is_ready(pod)
    assert "dial tcp" in cluster.kubectl("describe pod p") and "connection refused" in cluster.kubectl("describe pod p")


def test_an_unknown_image_gets_one_warning_event_naming_the_assumption(cluster):
    """An image kitlib does not model: a Warning event (kitlib's own note, source ``kitlib``) says
    which image and what is assumed: its declared containerPorts, answering as agnhost netexec."""
    pod = run_pod(cluster, "db", "redis:7", ports=[6379])
    assert reach(cluster, pod, 6379).ok and not reach(cluster, pod, 6380).ok
    out = cluster.kubectl("describe pod db")
    line = ("Warning   UnknownImage   12s    kitlib              spec.containers{db}: kitlib does not model image "
            "redis: it assumes the app listens on the declared containerPorts (6379/TCP) and answers as agnhost netexec")
    assert line in out
    assert out.count("UnknownImage") == 1


def test_known_images_get_no_warning(cluster):
    """nginx, agnhost, busybox and the demo app are modelled: no UnknownImage event."""
    for name, image in (("a", "nginx"), ("b", AGNHOST), ("c", "busybox"), ("d", "kitlib/webapp:1")):
        run_pod(cluster, name, image)
    assert not [e for e in cluster.api.events.all() if e.reason == listeners.UNKNOWN_REASON]


@pytest.mark.parametrize("image", ["registry.k8s.io/kube-proxy:v1.37.1", "docker.io/flannel/flannel:v0.26.7",
                                   "gcr.io/k8s-minikube/storage-provisioner:v5", "registry.k8s.io/etcd:3.6.4-0"])
def test_the_clusters_own_components_are_known(cluster, image):
    """System images (kube-proxy, flannel, etcd, storage-provisioner ...) draw no UnknownImage event."""
    run_pod(cluster, "sys", image)
    assert not [e for e in cluster.api.events.all() if e.reason == listeners.UNKNOWN_REASON]


def test_ingress_controller_listens_on_its_ports(cluster):
    """The ingress-nginx controller (an add-on's registered image) listens on 80, 443, 8443 and 10254."""
    cluster.enable_addon("ingress")
    pod = cluster.pods("ingress-nginx")[0]
    assert listeners.listening_ports(cluster.runtime, pod, pod.spec.containers[0]) == {
        (80, "TCP"), (443, "TCP"), (8443, "TCP"), (10254, "TCP")}


def test_sh_c_script_commands():
    """An ``sh -c`` script is split into its simple commands at ``;``, ``&&``, ``||``, ``&``, ``|``."""
    assert listeners.script_commands("echo a; httpd -f -p 80 && nc -l -p 1 | cat & exec sleep 1") == [
        ["echo", "a"], ["httpd", "-f", "-p", "80"], ["nc", "-l", "-p", "1"], ["cat"], ["sleep", "1"]]
    assert listeners.script_commands("echo 'unterminated") == []
