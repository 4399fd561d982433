"""The ingress add-on as minikube installs it (``minikube addons enable ingress``): the controller
on the primary node with hostPort 80/443 behind a NodePort Service, --watch-ingress-without-class,
and Ingress addresses as ingress-nginx publishes them without --publish-service (the nodes of its
ready pods). Outside clients reach it on ``minikube ip`` port 80 with any host name, no load
balancer needed.

Sources: minikube ``deploy/addons/ingress/ingress-deploy.yaml.tmpl`` and
``pkg/minikube/assets/addons.go`` (controller v1.15.1); ingress-nginx
``internal/ingress/status/status.go`` (runningAddresses) and ``internal/k8s/main.go`` (GetNodeIPs);
the CNI portmap plugin (CNI-HOSTPORT-DNAT); kubernetes.io's Ingress page (simple fan-out,
name-based virtual hosting) and its "Set up Ingress on Minikube" tutorial.
"""

from __future__ import annotations

import pytest

import kitlib
from kitlib.addons.ingress_nginx import IMAGE

MINIKUBE_IP = "192.168.49.2"


def backend(service: str, port: int = 80) -> dict:
    return {"service": {"name": service, "port": {"number": port}}}


def path(p: str, service: str, port: int = 80, path_type: str = "Prefix") -> dict:
    return {"path": p, "pathType": path_type, "backend": backend(service, port)}


@pytest.fixture
def mk() -> kitlib.Cluster:
    """Three nodes, `minikube addons enable ingress`, and nginx `web` / agnhost `api` Services."""
    c = kitlib.Cluster(nodes=3, seed=3)
    c.enable_addon("ingress")
    c.kubectl("create deployment web --image=nginx --replicas=2 --port=80")
    c.kubectl("expose deployment web --port=80")
    c.kubectl("create deployment api --image=registry.k8s.io/e2e-test-images/agnhost:2.53 --replicas=2 "
              "--port=8080 -- /agnhost netexec --http-port=8080")
    c.kubectl("expose deployment api --port=80 --target-port=8080")
    c.advance(30)
    return c


def test_the_addon_installs_minikubes_objects(mk):
    """NodePort Service, hostPort 80/443 and the primary-node selector on the controller, minikube's
    args, and the default IngressClass nginx."""
    svc = mk.get("Service", "ingress-nginx-controller", "ingress-nginx")
    assert svc.spec.type == "NodePort" and [p.port for p in svc.spec.ports] == [80, 443]
    out = mk.kubectl("get svc -n ingress-nginx")
    assert "ingress-nginx-controller             NodePort" in out and "<none>" in out
    deploy = mk.get("Deployment", "ingress-nginx-controller", "ingress-nginx")
    spec = deploy.spec.template.spec
    assert spec.node_selector == {"minikube.k8s.io/primary": "true", "kubernetes.io/os": "linux"}
    (ctr,) = spec.containers
    assert ctr.image == IMAGE and IMAGE.startswith("registry.k8s.io/ingress-nginx/controller:v1.15.1@sha256:")
    assert [(p.container_port, p.host_port) for p in ctr.ports] == [(80, 80), (443, 443), (8443, None)]
    args = ctr.extra["args"]
    assert "--watch-ingress-without-class=true" in args
    assert not any(a.startswith(("--publish-service", "--publish-status-address", "--ingress-class")) for a in args)
    (pod,) = mk.pods("ingress-nginx")
    assert pod.spec.node_name == "minikube"  # the primary node, whatever the spread
    assert mk.get("Node", "minikube", "").metadata.labels["minikube.k8s.io/primary"] == "true"
    ic = mk.get("IngressClass", "nginx", "")
    assert ic.metadata.annotations["ingressclass.kubernetes.io/is-default-class"] == "true"
    assert {c.name for c in mk.list("ConfigMap", "ingress-nginx")} >= {
        "ingress-nginx-controller", "tcp-services", "udp-services"}


def test_the_ingress_address_is_the_node_ip_without_any_load_balancer(mk):
    """Without --publish-service the controller publishes the IPs of the nodes that run its ready
    pods: kubectl get ingress shows minikube ip."""
    mk.apply({"apiVersion": "networking.k8s.io/v1", "kind": "Ingress", "metadata": {"name": "demo"},
              "spec": {"rules": [{"host": "demo.example", "http": {"paths": [path("/", "web")]}}]}})
    ing = mk.get("Ingress", "demo")
    assert [i.ip for i in ing.status.load_balancer.ingress] == [MINIKUBE_IP]
    line = mk.kubectl("get ingress").splitlines()[1].split()
    assert line[:4] == ["demo", "nginx", "demo.example", MINIKUBE_IP]
    assert mk.addons["ingress"].address() == (MINIKUBE_IP, 80, 443)
    resp = mk.http("http://demo.example/")
    assert resp.status == 200 and resp.service == "default/web" and "Welcome to nginx!" in resp.body


def test_the_host_port_is_a_cni_portmap_dnat_on_the_primary_node(mk):
    """A connection to the node's IP on port 80 is DNATed by CNI-HOSTPORT-DNAT to the controller
    pod; the other nodes have no such rule and refuse."""
    (pod,) = mk.pods("ingress-nginx")
    conn = mk.connect("external", MINIKUBE_IP, 80)
    assert conn.ok and conn.pod == pod.key and conn.target_port == 80
    nat = next(h for h in conn.hops if "CNI-HOSTPORT-DNAT" in h.note)
    assert nat.where == "minikube"
    assert f"DNAT {MINIKUBE_IP}:80 → {pod.status.pod_ip}:80" in nat.note and "CNI-DN-" in nat.note
    assert conn.hops[-1].vertex == f"pod:{pod.key}" and conn.hops[-1].src == "192.168.49.1"  # no SNAT
    assert mk.connect("external", MINIKUBE_IP, 443).pod == pod.key
    other = mk.connect("external", "192.168.49.3", 80)
    assert not other.ok and other.failure == "refused"


def test_host_port_is_general_for_any_pod(mk):
    """hostPort is not special to ingress-nginx: any pod's hostPort is published on its node."""
    mk.apply({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "hp"},
              "spec": {"nodeName": "minikube-m02", "containers": [{"name": "web", "image": "nginx",
                       "ports": [{"containerPort": 80, "hostPort": 8088}]}]}})
    mk.advance(10)
    conn = mk.connect("external", "192.168.49.3", 8088)
    assert conn.ok and conn.pod == "default/hp" and conn.target_port == 80
    resp = mk.http("http://192.168.49.3:8088/")
    assert resp.status == 200 and "Welcome to nginx!" in resp.body
    assert not mk.connect("external", MINIKUBE_IP, 8088).ok


def test_class_less_ingresses_are_served(mk):
    """--watch-ingress-without-class=true: an Ingress without a class (created before the default
    IngressClass existed, so admission did not fill one in) is served too."""
    c = kitlib.Cluster(nodes=1, seed=1)
    c.kubectl("create deployment web --image=nginx --port=80")
    c.kubectl("expose deployment web --port=80")
    c.apply({"apiVersion": "networking.k8s.io/v1", "kind": "Ingress", "metadata": {"name": "old"},
             "spec": {"rules": [{"host": "old.example", "http": {"paths": [path("/", "web")]}}]}})
    c.enable_addon("ingress")
    c.advance(30)
    assert c.get("Ingress", "old").spec.ingress_class_name is None
    assert c.http("http://old.example/").status == 200
    assert [i.ip for i in c.get("Ingress", "old").status.load_balancer.ingress] == [MINIKUBE_IP]
    # A new class-less Ingress gets ingressClassName nginx from the DefaultIngressClass admission.
    c.apply({"apiVersion": "networking.k8s.io/v1", "kind": "Ingress", "metadata": {"name": "new"},
             "spec": {"rules": [{"host": "new.example", "http": {"paths": [path("/", "web")]}}]}})
    assert c.get("Ingress", "new").spec.ingress_class_name == "nginx"
    # Another controller's class stays another controller's.
    c.apply({"apiVersion": "networking.k8s.io/v1", "kind": "IngressClass", "metadata": {"name": "other"},
             "spec": {"controller": "example.com/other"}})
    c.apply({"apiVersion": "networking.k8s.io/v1", "kind": "Ingress", "metadata": {"name": "theirs"},
             "spec": {"ingressClassName": "other",
                      "rules": [{"host": "theirs.example", "http": {"paths": [path("/", "web")]}}]}})
    assert c.http("http://theirs.example/").status == 404


def test_docs_simple_fan_out_without_a_load_balancer(mk):
    """kubernetes.io's simple fan-out: foo.bar.com /foo → service1, /bar → service2."""
    mk.kubectl("expose deployment web --name=service1 --port=4200 --target-port=80")
    mk.kubectl("expose deployment api --name=service2 --port=8080")
    mk.apply({"apiVersion": "networking.k8s.io/v1", "kind": "Ingress", "metadata": {"name": "simple-fanout-example"},
              "spec": {"rules": [{"host": "foo.bar.com", "http": {"paths": [
                  path("/foo", "service1", 4200), path("/bar", "service2", 8080)]}}]}})
    assert mk.http("http://foo.bar.com/foo").service == "default/service1"
    assert mk.http("http://foo.bar.com/bar/hostname").service == "default/service2"
    assert mk.http("http://foo.bar.com/baz").status == 404
    out = mk.kubectl("get ingress simple-fanout-example")
    assert MINIKUBE_IP in out


def test_docs_name_based_virtual_hosting_without_a_load_balancer(mk):
    """kubernetes.io's name-based virtual hosting: foo.bar.com → service1, bar.foo.com → service2,
    and a rule without a host for every other name."""
    mk.kubectl("expose deployment web --name=service1 --port=80")
    mk.kubectl("expose deployment api --name=service2 --port=80 --target-port=8080")
    mk.kubectl("expose deployment web --name=service3 --port=80")
    mk.apply({"apiVersion": "networking.k8s.io/v1", "kind": "Ingress", "metadata": {"name": "name-virtual-host-ingress"},
              "spec": {"rules": [{"host": "foo.bar.com", "http": {"paths": [path("/", "service1")]}},
                                 {"host": "bar.foo.com", "http": {"paths": [path("/", "service2")]}},
                                 {"http": {"paths": [path("/", "service3")]}}]}})
    assert mk.http("http://foo.bar.com/").service == "default/service1"
    assert mk.http("http://bar.foo.com/hostname").service == "default/service2"
    assert mk.http("http://anything.example/").service == "default/service3"
    # curl -H "Host: bar.foo.com" http://$(minikube ip)/
    assert mk.http(f"http://{MINIKUBE_IP}/hostname", headers={"Host": "bar.foo.com"}).service == "default/service2"


def test_minikube_tutorial_hello_world():
    """The "Set up Ingress on Minikube" tutorial: hello-app `web` behind a NodePort Service on
    8080, Ingress example-ingress for hello-world.example, and
    curl --resolve "hello-world.example:80:$(minikube ip)" -i http://hello-world.example
    answers hello-app's three lines."""
    c = kitlib.Cluster(nodes=1, seed=5)
    c.enable_addon("ingress")
    c.kubectl("create deployment web --image=gcr.io/google-samples/hello-app:1.0")
    c.kubectl("expose deployment web --type=NodePort --port=8080")
    c.advance(30)
    c.apply({"apiVersion": "networking.k8s.io/v1", "kind": "Ingress", "metadata": {"name": "example-ingress"},
             "spec": {"ingressClassName": "nginx", "rules": [{"host": "hello-world.example", "http": {
                 "paths": [path("/", "web", 8080)]}}]}})
    out = c.kubectl("get ingress")
    assert out.splitlines()[1].split()[:5] == ["example-ingress", "nginx", "hello-world.example", MINIKUBE_IP, "80"]
    resp = c.http("http://hello-world.example/")
    (pod,) = c.pods(selector="app=web")
    assert resp.status == 200 and resp.service == "default/web"
    assert resp.body == f"Hello, world!\nVersion: 1.0.0\nHostname: {pod.name}\n"
    assert resp.ip == MINIKUBE_IP and resp.hops[0].dst == MINIKUBE_IP
    assert "curl --resolve" in resp.hops[0].note
    # The tutorial's NodePort reaches the app directly too: http://$(minikube ip):<nodePort>.
    node_port = c.get("Service", "web").spec.ports[0].node_port
    assert c.http(f"http://{MINIKUBE_IP}:{node_port}/").body.startswith("Hello, world!")


def test_cloud_style_load_balancer_option_with_metallb():
    """enable_addon("ingress", service_type="LoadBalancer") is the cloud manifest: with MetalLB the
    Ingress address is the Service's EXTERNAL-IP (--publish-service), and port 80 of the nodes is
    not the controller's."""
    c = kitlib.Cluster(nodes=2, seed=2)
    c.enable_addon("metallb", addresses="192.168.49.200-192.168.49.250")
    c.enable_addon("ingress", service_type="LoadBalancer")
    c.kubectl("create deployment web --image=nginx --port=80")
    c.kubectl("expose deployment web --port=80")
    c.advance(30)
    c.apply({"apiVersion": "networking.k8s.io/v1", "kind": "Ingress", "metadata": {"name": "demo"},
             "spec": {"rules": [{"host": "demo.example", "http": {"paths": [path("/", "web")]}}]}})
    assert [i.ip for i in c.get("Ingress", "demo").status.load_balancer.ingress] == ["192.168.49.200"]
    resp = c.http("http://demo.example/")
    assert resp.status == 200 and resp.ip == "192.168.49.200"
    assert not c.connect("external", MINIKUBE_IP, 80).ok


def test_the_scheduler_refuses_a_second_pod_with_the_same_host_port_on_a_node():
    """kube-scheduler's NodePorts filter: a node whose pods already hold the hostPort is not
    feasible; with no node left the pod stays Pending with the filter's reason, and it is
    scheduled once the port is free again."""
    c = kitlib.Cluster(nodes=2, seed=1)
    for i in range(3):
        c.apply({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": f"hp{i}"},
                 "spec": {"containers": [{"name": "web", "image": "nginx",
                                          "ports": [{"containerPort": 80, "hostPort": 8088}]}]}})
    c.advance(10)
    nodes = {c.get("Pod", f"hp{i}").spec.node_name for i in range(2)}
    assert nodes == {"minikube", "minikube-m02"}  # one per node
    cond = c.get("Pod", "hp2").status.condition("PodScheduled")
    assert cond.reason == "Unschedulable" and cond.message == (
        "0/2 nodes are available: 2 node(s) didn't have free ports for the requested pod ports. "
        "preemption: 0/2 nodes are available: 2 No preemption victims found for incoming pod.")
    c.delete("Pod", "hp0")
    c.advance(60)
    assert c.get("Pod", "hp2").status.phase == "Running"


def test_a_pod_on_the_same_node_reaches_the_host_port_masqueraded(mk):
    """portmap's hairpin rule: a source in the pod's own subnet is marked by CNI-HOSTPORT-SETMARK
    and masqueraded (CNI-HOSTPORT-MASQ) to the bridge's address; a pod on another node arrives
    with its node's address (flannel's masquerade of traffic leaving the pod network)."""
    (ctrl,) = mk.pods("ingress-nginx")
    for name, node in (("near", "minikube"), ("far", "minikube-m02")):
        mk.apply({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name},
                  "spec": {"nodeName": node, "containers": [{"name": "c", "image": "nginx"}]}})
    mk.advance(10)
    near = mk.connect("default/near", MINIKUBE_IP, 80)
    assert near.ok and near.pod == ctrl.key and near.hops[-1].src == "10.244.0.1"
    assert any("CNI-HOSTPORT-MASQ masquerades it" in h.note for h in near.hops)
    far = mk.connect("default/far", MINIKUBE_IP, 80)
    assert far.ok and far.pod == ctrl.key and far.hops[-1].src == "192.168.49.3"
    assert not any("CNI-HOSTPORT-MASQ" in h.note for h in far.hops)
