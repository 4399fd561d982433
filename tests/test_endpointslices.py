"""EndpointSlices and Endpoints follow the pods a Service selects.

Sources: staging/src/k8s.io/endpointslice (podToEndpoint, reconciler) and
pkg/controller/endpoint (syncService, RepackSubsets) of Kubernetes 1.37.
"""

from __future__ import annotations

import pytest

import kitlib
from kitlib.api.discovery import MANAGED_BY, MANAGED_BY_LABEL, SERVICE_NAME_LABEL
from kitlib.controllers import endpointslice

HEADLESS = "service.kubernetes.io/headless"


def slices(cluster, name, namespace="default"):
    return sorted(cluster.list("EndpointSlice", namespace, f"{SERVICE_NAME_LABEL}={name}"), key=lambda s: s.name)


def endpoints_of(cluster, name, namespace="default"):
    """(address, ready, serving, terminating, node, pod) of every endpoint, sorted by pod name."""
    return sorted(((e.addresses[0], e.conditions.ready, e.conditions.serving, e.conditions.terminating, e.node_name,
                    e.target_ref.name if e.target_ref else None) for s in slices(cluster, name, namespace)
                   for e in s.endpoints), key=lambda t: t[5] or "")


def pod_doc(name, labels, ports=(), image="nginx"):
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "labels": labels},
            "spec": {"containers": [{"name": "app", "image": image, "ports": list(ports)}]}}


@pytest.fixture
def exposed(web):
    """deployment/web (3 pods) behind `kubectl expose deployment web --port=80`."""
    web.kubectl("expose deployment web --port=80")
    return web


def test_slice_lists_every_ready_pod(exposed):
    """One slice named `web-xxxxx`, owned by the Service and labelled with its name and manager,
    lists each pod: its IP, ready/serving/not terminating, its node and a reference to it."""
    (sl,) = slices(exposed, "web")
    svc = exposed.get("Service", "web")
    assert sl.name.startswith("web-") and len(sl.name) == len("web-") + 5
    assert sl.metadata.generate_name == "web-"
    assert sl.address_type == "IPv4"
    assert sl.metadata.labels == {"app": "web", SERVICE_NAME_LABEL: "web", MANAGED_BY_LABEL: MANAGED_BY}
    (owner,) = sl.metadata.owner_references
    assert (owner.kind, owner.name, owner.uid, owner.controller, owner.block_owner_deletion) == \
        ("Service", "web", svc.metadata.uid, True, True)
    assert [(p.name, p.port, p.protocol) for p in sl.ports] == [("", 80, "TCP")]
    pods = {p.name: p for p in exposed.pods()}
    assert endpoints_of(exposed, "web") == sorted(
        ((p.status.pod_ip, True, True, False, p.spec.node_name, p.name) for p in pods.values()), key=lambda t: t[5])
    for e in sl.endpoints:
        ref = e.target_ref
        assert (ref.kind, ref.namespace, ref.uid) == ("Pod", "default", pods[ref.name].metadata.uid)


def test_endpoints_object_mirrors_the_ready_pods(exposed):
    """The Endpoints object lists the same pods, addresses sorted by IP as text, each with its
    node and pod; its port carries the Service port's name (none here)."""
    ep = exposed.get("Endpoints", "web")
    (subset,) = ep.subsets
    ips = [a.ip for a in subset.addresses]
    assert ips == sorted(p.status.pod_ip for p in exposed.pods())
    assert subset.not_ready_addresses == []
    assert [(p.name, p.port, p.protocol) for p in subset.ports] == [(None, 80, "TCP")]
    assert {(a.node_name, a.target_ref.name) for a in subset.addresses} == \
        {(p.spec.node_name, p.name) for p in exposed.pods()}
    assert ep.metadata.labels == {"app": "web"}


def test_endpoints_addresses_sort_as_text():
    """RepackSubsets compares IPs as strings: 10.244.0.10 comes before 10.244.0.3."""
    import kitlib

    c = kitlib.Cluster(nodes=1, seed=0)
    c.kubectl("create deployment web --image=nginx --replicas=10 --port=80")
    c.kubectl("expose deployment web --port=80")
    c.advance(30)
    ips = [a.ip for a in c.get("Endpoints", "web").subsets[0].addresses]
    assert ips == sorted(ips) and ips[0] == "10.244.0.10"


def test_a_deleted_pod_is_terminating_then_gone(exposed):
    """A deleted pod stays in the slice as not ready, still serving, terminating, and leaves the
    Endpoints object at once; when it has exited it leaves the slice too."""
    victim = exposed.pods()[0]
    exposed.delete("Pod", victim.name)
    row = next(r for r in endpoints_of(exposed, "web") if r[5] == victim.name)
    assert row[1:4] == (False, True, True)
    assert victim.status.pod_ip not in [a.ip for s in exposed.get("Endpoints", "web").subsets for a in s.addresses]
    exposed.advance(40)
    assert victim.name not in [r[5] for r in endpoints_of(exposed, "web")]
    assert len([r for r in endpoints_of(exposed, "web") if r[1]]) == 3  # the replacement is ready


def test_a_starting_pod_is_listed_not_ready(cluster):
    """A pod with an IP whose container has not started is in the slice with ready and serving
    false, and under notReadyAddresses in the Endpoints object."""
    cluster.kubectl("create service clusterip slow --tcp=80")
    cluster.apply(pod_doc("slow-1", {"app": "slow"}, image="example/slow:1"))
    cluster.advance(0.9)  # sandbox (and IP) ready; the image is still being pulled
    pod = cluster.get("Pod", "slow-1")
    assert pod.status.pod_ip
    assert endpoints_of(cluster, "slow") == [(pod.status.pod_ip, False, False, False, pod.spec.node_name, "slow-1")]
    (subset,) = cluster.get("Endpoints", "slow").subsets
    assert ([a.ip for a in subset.addresses], [a.ip for a in subset.not_ready_addresses]) == ([], [pod.status.pod_ip])
    assert cluster.kubectl("get endpoints slow").splitlines()[1].split() == ["slow", "0s"]
    cluster.advance(10)
    assert endpoints_of(cluster, "slow")[0][1:4] == (True, True, False)


def test_a_pod_without_an_ip_is_not_listed(cluster):
    """Until the sandbox has an IP the pod is in no slice; the Service's slice is an empty
    placeholder and its Endpoints object has no subsets."""
    cluster.kubectl("create service clusterip slow --tcp=80")
    cluster.apply(pod_doc("slow-1", {"app": "slow"}, image="example/slow:1"))
    (sl,) = slices(cluster, "slow")
    assert (sl.endpoints, sl.ports) == ([], [])
    assert cluster.get("Endpoints", "slow").subsets == []


def test_publish_not_ready_addresses(cluster):
    """With publishNotReadyAddresses every endpoint is ready, even a starting or terminating
    pod, and the Endpoints object lists them as addresses."""
    cluster.apply({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "peers"},
                   "spec": {"clusterIP": "None", "publishNotReadyAddresses": True, "selector": {"app": "peers"},
                            "ports": [{"port": 80}]}})
    cluster.apply(pod_doc("peer-1", {"app": "peers"}, image="example/slow:1"))
    cluster.advance(0.9)
    ip = cluster.get("Pod", "peer-1").status.pod_ip
    assert endpoints_of(cluster, "peers")[0][:4] == (ip, True, False, False)
    assert [a.ip for a in cluster.get("Endpoints", "peers").subsets[0].addresses] == [ip]
    cluster.advance(10)
    cluster.delete("Pod", "peer-1")
    assert endpoints_of(cluster, "peers")[0][:4] == (ip, True, True, True)
    assert [a.ip for a in cluster.get("Endpoints", "peers").subsets[0].addresses] == [ip]


def test_named_target_port_resolves_per_pod(cluster):
    """`targetPort: http` reaches 8080 on one pod and 9090 on the other: one slice per port
    number; a pod that declares no `http` port is in a slice without ports and not in the
    Endpoints object."""
    cluster.apply({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "app"},
                   "spec": {"selector": {"app": "app"}, "ports": [{"name": "web", "port": 80, "targetPort": "http"}]}})
    cluster.apply([pod_doc("a", {"app": "app"}, [{"name": "http", "containerPort": 8080}]),
                   pod_doc("b", {"app": "app"}, [{"name": "http", "containerPort": 9090}]),
                   pod_doc("c", {"app": "app"}, [{"name": "metrics", "containerPort": 9100}])])
    cluster.advance(10)
    by_pod = {e.target_ref.name: [(p.name, p.port) for p in s.ports] for s in slices(cluster, "app") for e in s.endpoints}
    assert by_pod == {"a": [("web", 8080)], "b": [("web", 9090)], "c": []}
    ip = {p.name: p.status.pod_ip for p in cluster.pods()}
    subsets = {(tuple(a.ip for a in s.addresses), tuple((p.name, p.port) for p in s.ports))
               for s in cluster.get("Endpoints", "app").subsets}
    assert subsets == {((ip["a"],), (("web", 8080),)), ((ip["b"],), (("web", 9090),))}


def test_protocol_must_match_for_a_named_port(cluster):
    """A named targetPort matches a container port of the same name and protocol only."""
    cluster.apply({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "dns"},
                   "spec": {"selector": {"app": "dns"},
                            "ports": [{"name": "dns", "port": 53, "protocol": "UDP", "targetPort": "dns"}]}})
    cluster.apply(pod_doc("d", {"app": "dns"}, [{"name": "dns", "containerPort": 5353, "protocol": "TCP"}]))
    cluster.advance(10)
    assert [s.ports for s in slices(cluster, "dns")] == [[]]


def test_service_without_selector_keeps_manual_endpoints(cluster):
    """A Service without a selector gets no controller-made slices or Endpoints: the ones you
    write stay as you wrote them."""
    cluster.apply([
        {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "ext"}, "spec": {"ports": [{"port": 80}]}},
        {"apiVersion": "v1", "kind": "Endpoints", "metadata": {"name": "ext"},
         "subsets": [{"addresses": [{"ip": "192.168.49.100"}], "ports": [{"port": 8080}]}]},
        {"apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
         "metadata": {"name": "ext-1", "labels": {SERVICE_NAME_LABEL: "ext"}}, "addressType": "IPv4",
         "endpoints": [{"addresses": ["192.168.49.100"]}], "ports": [{"port": 8080}]},
    ])
    cluster.apply(pod_doc("p", {"app": "ext"}))
    cluster.advance(30)
    # Yours stays as written; the only other slice is the mirror of your Endpoints.
    names = [s.name for s in slices(cluster, "ext")]
    assert "ext-1" in names and len(names) == 2
    mine = cluster.get("EndpointSlice", "ext-1")
    assert [e.addresses for e in mine.endpoints] == [["192.168.49.100"]]
    (mirror,) = [s for s in slices(cluster, "ext") if s.name != "ext-1"]
    assert mirror.metadata.labels[MANAGED_BY_LABEL] == "endpointslicemirroring-controller.k8s.io"
    assert [a.ip for a in cluster.get("Endpoints", "ext").subsets[0].addresses] == ["192.168.49.100"]


def test_headless_service_is_labelled(cluster):
    """Slices and Endpoints of a headless Service carry `service.kubernetes.io/headless`."""
    cluster.kubectl("create service clusterip db --clusterip=None")
    assert slices(cluster, "db")[0].metadata.labels[HEADLESS] == ""
    assert cluster.get("Endpoints", "db").metadata.labels == {"app": "db", HEADLESS: ""}


def test_more_than_100_endpoints_are_split(cluster):
    """A slice holds at most 100 endpoints (--max-endpoints-per-slice): 150 pods take two."""
    cluster.kubectl("create deployment big --image=nginx --replicas=150 --port=80")
    cluster.kubectl("expose deployment big --port=80")
    cluster.advance(60)
    sizes = sorted(len(s.endpoints) for s in slices(cluster, "big"))
    assert sizes == [50, 100]
    assert len({e.addresses[0] for s in slices(cluster, "big") for e in s.endpoints}) == 150
    assert "+ 147 more..." in cluster.kubectl("get endpoints big")


def test_kube_dns_lists_the_coredns_pod(cluster):
    """kube-dns's slice lists the CoreDNS pod (10.244.0.2 on minikube) on its three ports."""
    (sl,) = slices(cluster, "kube-dns", "kube-system")
    (ep,) = sl.endpoints
    (coredns,) = cluster.pods("kube-system", "k8s-app=kube-dns")
    assert (ep.addresses, ep.node_name, ep.target_ref.name) == (["10.244.0.2"], "minikube", coredns.name)
    assert [(p.name, p.port, p.protocol) for p in sl.ports] == [("dns", 53, "UDP"), ("dns-tcp", 53, "TCP"),
                                                                ("metrics", 9153, "TCP")]
    assert cluster.kubectl("get endpoints kube-dns -n kube-system").splitlines()[1].split()[:2] == \
        ["kube-dns", "10.244.0.2:53,10.244.0.2:53,10.244.0.2:9153"]


def test_scaling_and_relabelling_move_endpoints(exposed):
    """Scaling changes the endpoints; a pod relabelled out of the selector leaves; at zero
    replicas the slice stays as an empty placeholder."""
    exposed.scale("web", 5)
    exposed.advance(30)
    assert len(endpoints_of(exposed, "web")) == 5
    pod = exposed.pods()[0]
    exposed.label("Pod", pod.name, {"app": "debug"}, overwrite=True)
    assert pod.name not in [r[5] for r in endpoints_of(exposed, "web")]
    exposed.scale("web", 0)
    exposed.advance(60)
    (sl,) = slices(exposed, "web")
    assert sl.endpoints == []
    assert exposed.kubectl("get endpoints web").splitlines()[1].split()[:2] == ["web", "<none>"]


def test_a_scale_behind_a_service_lists_what_exposing_afterwards_lists():
    """The controller follows the pods' events one by one during a scale behind a Service; it
    ends with the layout it writes when the Service comes after the pods: every pod in name order,
    cut 100 to a slice, and the Endpoints addresses sorted by IP as text."""
    def settled(expose_first: bool) -> tuple[list, list, list]:
        c = kitlib.Cluster(nodes=3, seed=4)
        c.kubectl("create deployment web --image=nginx --replicas=1 --port=80")
        if expose_first:
            c.kubectl("expose deployment web --port=80")
        c.settle()
        c.scale("web", 250)
        c.settle()
        if not expose_first:
            c.kubectl("expose deployment web --port=80")
            c.settle()
        cut = [[e.target_ref.name for e in s.endpoints] for s in slices(c, "web")]
        (subset,) = c.get("Endpoints", "web").subsets
        return sorted(cut), [a.ip for a in subset.addresses], sorted(p.name for p in c.pods(selector="app=web"))
    for cut, addresses, names in (settled(True), settled(False)):
        assert cut == [names[:100], names[100:200], names[200:]]
        assert addresses == sorted(addresses) and len(addresses) == 250


def test_each_sync_of_the_changed_pods_agrees_with_a_walk_over_all_pods(monkeypatch):
    """A sync looks again only at the pods changed since the Service's last sync; with the check
    switched on, every sync also walks all pods and compares (scale up and down, relabelled pods,
    starting and terminating pods, a rollout, a changed selector)."""
    monkeypatch.setattr(endpointslice, "_CHECK", True)
    c = kitlib.Cluster(nodes=3, seed=2)
    c.kubectl("create deployment web --image=nginx --replicas=1 --port=80")
    c.kubectl("create deployment api --image=nginx --replicas=30 --port=8080")
    c.apply({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web"},
             "spec": {"selector": {"app": "web"}, "ports": [{"port": 80}]}})
    c.settle()
    c.scale("web", 230)
    c.advance(1)
    assert any(not e.conditions.ready for s in slices(c, "web") for e in s.endpoints)  # started, not ready yet
    c.settle()
    for pod in c.pods(selector="app=web")[::40]:
        c.label("Pod", pod.name, {"app": "debug"}, overwrite=True)
    c.scale("web", 120)
    c.settle()
    c.kubectl("set image deployment/web nginx=nginx:1.27")  # a rollout: pods terminate, others start
    c.advance(2)
    assert any(e.conditions.terminating for s in slices(c, "web") for e in s.endpoints)
    c.settle()
    c.apply({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web"},
             "spec": {"selector": {"app": "api"}, "ports": [{"port": 80, "targetPort": 8080}]}})
    c.settle()
    assert len(endpoints_of(c, "web")) == 30


def test_external_name_has_no_endpoints(cluster):
    """ExternalName Services get neither slices nor an Endpoints object."""
    cluster.kubectl("create service externalname db --external-name=db.example.com")
    assert slices(cluster, "db") == []
    with pytest.raises(Exception, match='endpoints "db" not found'):
        cluster.kubectl("get endpoints db")


def test_exported_endpoints_and_slices_validate(cluster):
    """Endpoints and EndpointSlices in every state (ready, starting, terminating, placeholder,
    headless, manual) are valid Kubernetes 1.37 objects."""
    kubernetes_validate = pytest.importorskip("kubernetes_validate")
    cluster.kubectl("create deployment web --image=nginx --replicas=3 --port=80")
    cluster.kubectl("expose deployment web --port=80 --type=NodePort")
    cluster.kubectl("create service clusterip db --clusterip=None")
    cluster.kubectl("create service clusterip empty --tcp=80")
    cluster.apply([{"apiVersion": "v1", "kind": "Service", "metadata": {"name": "ext"},
                    "spec": {"ports": [{"port": 80}]}},
                   {"apiVersion": "v1", "kind": "Endpoints", "metadata": {"name": "ext"},
                    "subsets": [{"addresses": [{"ip": "192.168.49.100"}], "ports": [{"port": 8080}]}]}])
    cluster.advance(30)
    cluster.delete("Pod", cluster.pods()[0].name)
    cluster.scale("web", 5)
    cluster.advance(0.5)
    for kind in ("Endpoints", "EndpointSlice"):
        objs = cluster.list(kind, None)
        assert len(objs) >= 5
        for obj in objs:
            kubernetes_validate.validate(obj.to_dict(), "1.37.0", strict=True)


def test_hand_managed_endpoints_are_mirrored_and_routed():
    """A Service without a selector keeps the Endpoints you write; the mirroring controller copies
    them into an EndpointSlice (managed-by endpointslicemirroring-controller.k8s.io), so kube-proxy
    sends the Service's traffic there."""
    c = kitlib.Cluster(nodes=2, seed=0)
    c.kubectl("create deployment client --image=nginx")
    c.advance(10)
    c.apply([
        {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "db"}, "spec": {"ports": [{"port": 5432}]}},
        {"apiVersion": "v1", "kind": "Endpoints", "metadata": {"name": "db"},
         "subsets": [{"addresses": [{"ip": "192.168.49.2"}], "ports": [{"port": 10250}]}]},
    ])
    (sl,) = [s for s in c.list("EndpointSlice") if s.metadata.labels.get("kubernetes.io/service-name") == "db"]
    assert sl.metadata.labels["endpointslice.kubernetes.io/managed-by"] == "endpointslicemirroring-controller.k8s.io"
    assert [e.addresses for e in sl.endpoints] == [["192.168.49.2"]] and sl.ports[0].port == 10250
    client = c.pods()[0]
    assert c.connect(client.key, "db", 5432).ok
    assert c.get("Endpoints", "db").subsets[0].addresses[0].ip == "192.168.49.2"
    c.delete("Endpoints", "db")
    assert not [s for s in c.list("EndpointSlice") if s.metadata.labels.get("kubernetes.io/service-name") == "db"]
