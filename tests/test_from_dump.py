"""A real cluster's dump in kitlib (:meth:`kitlib.Cluster.from_dump`, :mod:`kitlib.dump`).

The two dumps under ``tests/data/`` are written by hand (no cluster runs here) in the shape a
real ``kubectl get ... -A -o yaml`` prints: keys sorted, every server-set field (uid,
resourceVersion, creationTimestamp, ownerReferences, status with conditions, hostIP/podIPs,
EndpointSlices with conditions, nodeName and targetRef), managedFields left out as kubectl 1.21+
does by default.

``tests/data/minikube-dump.yaml`` is what ``kubectl get nodes,pods,services,endpointslices,ingresses,
ingressclasses,networkpolicies,namespaces -A -o yaml`` prints on a two-node minikube v1.37.0
(Kubernetes v1.34.0, docker driver, so kindnet as the CNI) with the ingress add-on and a ``shop``
namespace: ``web`` (an image kitlib does not know, three pods behind a ClusterIP and a NodePort
Service), ``api`` (nginx, one of its two pods not ready), a ``debug`` pod, a Pending pod that
no node fits, an Ingress of class nginx and one of class traefik, and a NetworkPolicy letting
only ``web`` reach ``api``.
"""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
import yaml

import kitlib
from kitlib import BadRequest
from kitlib.dump import DUMP_COMMAND

DUMP = Path(__file__).parent / "data" / "minikube-dump.yaml"
WEB_IP, API_IP = "10.101.23.45", "10.108.4.200"
WEB_PODS = {"shop/web-7d9f8b6c5d-2xkqp", "shop/web-7d9f8b6c5d-9hv4r", "shop/web-7d9f8b6c5d-tm6jw"}


@pytest.fixture(scope="module")
def text() -> str:
    return DUMP.read_text()


@pytest.fixture
def shop() -> kitlib.Cluster:
    return kitlib.Cluster.from_dump(DUMP)


def _item(doc: dict, kind: str, name: str) -> dict:
    return next(i for i in doc["items"] if i["kind"] == kind and i["metadata"]["name"] == name)


def _edited(text: str, edit) -> str:
    doc = yaml.safe_load(text)
    edit(doc)
    return yaml.safe_dump(doc)


def test_kubectl_get_shows_the_dumps_pods_with_their_ips_nodes_and_ages(shop):
    """Pods keep their names, IPs, nodes, readiness and restarts; the clock stands at the dump's
    newest timestamp, so AGE reads as it did when the dump was taken."""
    out = str(shop.kubectl("get pods -A -o wide"))
    lines = out.splitlines()
    assert lines[0].split() == ["NAMESPACE", "NAME", "READY", "STATUS", "RESTARTS", "AGE", "IP", "NODE",
                                "NOMINATED", "NODE", "READINESS", "GATES"]
    assert "shop            api-5c6b7f9d84-x7rcn                       0/1     Running     0          31h     " \
           "10.244.0.5     minikube       <none>           <none>" in lines
    assert "kube-system     storage-provisioner                        1/1     Running     1          5d12h   " \
           "192.168.49.2   minikube       <none>           <none>" in lines
    assert "shop            report-28f1c                               0/1     Pending     0          10m     " \
           "<none>         <none>         <none>           <none>" in lines
    assert "ingress-nginx   ingress-nginx-admission-create-w2n5j       0/1     Completed   0          5d12h   " \
           "10.244.1.2     minikube-m02   <none>           <none>" in lines
    assert len(lines) == 1 + 19
    assert shop.dump_report.snapshot == "2026-12-05T21:40:13Z"
    assert shop.get("Pod", "debug", "shop").metadata.uid == "2734bfc1-96e8-5026-f358-c4fd4699df2c"  # as dumped


def test_nodes_keep_their_names_addresses_podcidrs_and_versions(shop):
    """The address plan comes from the control plane's flags in the dump; nodes are as dumped."""
    assert str(shop.kubectl("get nodes -o wide")).splitlines()[1:] == [
        "minikube       Ready    control-plane   5d12h   v1.34.0   192.168.49.2   <none>        Ubuntu 22.04.5 LTS"
        "   6.8.0-87-generic   docker://28.4.0",
        "minikube-m02   Ready    <none>          5d12h   v1.34.0   192.168.49.3   <none>        Ubuntu 22.04.5 LTS"
        "   6.8.0-87-generic   docker://28.4.0"]
    assert [n.spec.pod_cidr for n in shop.nodes()] == ["10.244.0.0/24", "10.244.1.0/24"]
    assert (shop.pod_cidr, shop.service_cidr, shop.node_cidr) == ("10.244.0.0/16", "10.96.0.0/12", "192.168.49.0/24")


def test_the_allocators_hold_the_dumps_addresses_so_nothing_new_collides(shop):
    """ClusterIPs, NodePorts, podCIDRs and pod IPs of the dump are in use: a NodePort taken is refused
    in the API server's words, a new node takes the next podCIDR, new pods take free IPs."""
    with pytest.raises(kitlib.ApiError, match="spec.ports\\[0\\].nodePort: Invalid value: 30080: provided port is "
                                              "already allocated"):
        shop.kubectl("create service nodeport x --tcp=80:80 --node-port=30080")
    with pytest.raises(kitlib.ApiError, match="provided IP is already allocated"):
        shop.apply({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "y", "namespace": "shop"},
                    "spec": {"clusterIP": WEB_IP, "ports": [{"port": 80}]}})
    assert str(shop.kubectl("get servicecidrs")).splitlines()[1].split() == ["kubernetes", "10.96.0.0/12", "5d12h"]
    shop.add_node()
    assert shop.get("Node", "minikube-m03").spec.pod_cidr == "10.244.2.0/24"
    shop.kubectl("create deployment more --image=nginx --replicas=4")
    shop.advance(30)
    new = [p.status.pod_ip for p in shop.pods("default", "app=more")]
    dumped = {p.status.pod_ip for p in kitlib.Cluster.from_dump(DUMP).pods(None)}
    assert len(set(new)) == 4 and None not in new and not dumped & set(new)


def test_a_service_reaches_the_dumps_pods_through_kube_proxy(shop):
    """kube-proxy's rules come from the dump's Services and EndpointSlices: the three web pods share
    the ClusterIP's traffic, and the NodePort answers on every node."""
    t = shop.traffic("shop/debug", WEB_IP, 80, requests=300)
    assert set(t.served) == WEB_PODS and sum(t.served.values()) == 300
    r = shop.http("http://192.168.49.3:30080/")
    assert r.status == 200 and r.pod in WEB_PODS
    r = shop.http("http://web.shop/", src="shop/debug")
    assert r.status == 200 and r.service == "shop/web"


def test_the_dumps_endpointslices_are_the_truth_until_their_pods_change(shop):
    """The not-ready api pod stays listed as not ready, and only the ready one takes traffic; the
    slices stand as dumped while time passes. Deleting a web pod hands its Service's slices to the
    EndpointSlice controller, which rewrites them in place (the name kept)."""
    api = shop.get("EndpointSlice", "api-r4n6b", "shop")
    assert [(e.addresses, e.conditions.ready) for e in api.endpoints] == [(["10.244.1.5"], True),
                                                                        (["10.244.0.5"], False)]
    t = shop.traffic("shop/web-7d9f8b6c5d-2xkqp", API_IP, 80, requests=50)
    assert t.served == {"shop/api-5c6b7f9d84-lq2vd": 50}
    shop.advance(600)
    assert shop.get("EndpointSlice", "api-r4n6b", "shop").endpoints == api.endpoints
    shop.kubectl("delete pod web-7d9f8b6c5d-2xkqp -n shop")
    rows = str(shop.kubectl("get endpointslices -n shop")).splitlines()
    assert "web-h8m2x            IPv4          8080      10.244.0.4,10.244.1.4   31h" in rows
    assert set(shop.traffic("shop/debug", WEB_IP, 80, requests=60).served) == WEB_PODS - {"shop/web-7d9f8b6c5d-2xkqp"}


def test_a_change_to_a_loaded_service_hands_its_slices_to_the_controller(shop):
    """Editing the Service is a change the real controller reacts to: the api Service's slice is
    rewritten from the pods as they are (the not-ready pod still listed not ready), its name kept."""
    shop.label("Service", "api", {"tier": "backend"}, namespace="shop")
    api = shop.get("EndpointSlice", "api-r4n6b", "shop")
    assert api.metadata.labels["tier"] == "backend"
    assert sorted((e.addresses[0], e.conditions.ready) for e in api.endpoints) == [("10.244.0.5", False),
                                                                                  ("10.244.1.5", True)]


def test_pods_whose_owners_are_not_in_the_dump_are_kept_and_not_replaced(shop):
    """No ReplicaSet is in the dump: its pods stay as they are, and a deleted one is not replaced;
    the Pending pod that no node fits stays Pending; the kubelet does not restart anything."""
    before = {p.key: (p.status.phase, p.status.pod_ip) for p in shop.pods(None)}
    shop.advance(300)
    assert {p.key: (p.status.phase, p.status.pod_ip) for p in shop.pods(None)} == before
    shop.kubectl("delete pod web-7d9f8b6c5d-9hv4r -n shop")
    shop.advance(60)
    assert {p.key for p in shop.pods("shop", "app=web")} == WEB_PODS - {"shop/web-7d9f8b6c5d-9hv4r"}
    notes = {(n.name, n.note) for n in shop.dump_report.notes}
    assert ("shop/web-7d9f8b6c5d-9hv4r", "its owner ReplicaSet web-7d9f8b6c5d is not in the dump: the pod is kept "
            "as it is, and nothing replaces it if it goes") in notes


def test_an_image_kitlib_does_not_know_listens_on_its_declared_ports(shop):
    """shop-web declares containerPort 8080: kitlib assumes it listens there (and nowhere else), says
    so in the report and in a Warning event."""
    assert shop.connect("shop/debug", "shop/web-7d9f8b6c5d-tm6jw", 8080).ok
    refused = shop.connect("shop/debug", "shop/web-7d9f8b6c5d-tm6jw", 80)
    assert refused.failure == "refused"
    assumed = ("kitlib does not model image ghcr.io/acme/shop-web: it assumes the app listens on the declared "
               "containerPorts (8080/TCP) and answers as agnhost netexec")
    assert ("shop/web-7d9f8b6c5d-tm6jw", f"container web: {assumed}") in {(n.name, n.note)
                                                                          for n in shop.dump_report.notes}
    assert assumed in str(shop.kubectl("get events -n shop --field-selector reason=UnknownImage"))


def test_kindnet_with_network_policies_runs_on_calicos_data_path_and_enforces(shop):
    """kindnet (kindnetd v20250512) enforces NetworkPolicy: debug may not reach api, web may."""
    report = shop.dump_report
    assert (report.cni, report.kitlib_cni, report.enforces_network_policy) == ("kindnet", "calico", True)
    assert shop.cni == "calico"
    denied = shop.connect("shop/debug", API_IP, 80)
    assert denied.failure == "timeout"
    assert "NetworkPolicy: the ingress of shop/api-5c6b7f9d84-lq2vd does not allow 10.244.1.6 on 80/TCP" in str(denied)
    assert shop.connect("shop/web-7d9f8b6c5d-2xkqp", API_IP, 80).ok


def test_the_running_ingress_nginx_routes_the_dumps_ingresses(shop):
    """ingress-nginx runs in the dump: it is adopted as the ingress add-on and routes shop.example.
    The policy does not admit the controller to api, so /api times out upstream (504), as on the
    real cluster. The traefik Ingress has no controller here, and the report says so."""
    r = shop.http("http://shop.example/")
    assert (r.status, r.service) == (200, "shop/web") and r.pod in WEB_PODS
    assert shop.http("http://shop.example/api/items").status == 504
    notes = {(n.kind, n.name, n.note) for n in shop.dump_report.notes}
    assert ("Ingress", "shop/legacy", 'class "traefik" has no controller kitlib runs: nothing routes it') in notes
    assert str(shop.kubectl("get ingress -n shop")).splitlines()[1:] == [
        "legacy   traefik   legacy.shop.example                  80      30h",
        "shop     nginx     shop.example          192.168.49.2   80      31h"]


def test_every_view_draws_the_dump(shop):
    """The routing graph, the Sankey, the ingress routing tree and the reachability matrix are drawn
    from the dump's Services, pods, Ingresses and policies."""
    figures = pytest.importorskip("kitlib.figures")
    t = shop.traffic("shop/debug", WEB_IP, 80, requests=30)
    graph = figures.service_graph(shop, t, service="web", namespace="shop")
    texts = {x for tr in graph.data if tr.text for x in tr.text}
    assert {"web-…-2xkqp<br>10.244.1.3", "web-…-9hv4r<br>10.244.0.4", "web-…-tm6jw<br>10.244.1.4",
            "ClusterIP<br>10.101.23.45:80", "pod debug<br>10.244.1.6"} <= texts
    sankey = figures.traffic_sankey(t, shop)
    assert {"pod debug (30)", "web-…-2xkqp (10)", "node minikube-m02"} <= set(sankey.data[0].node.label)
    tree = figures.routing_tree(shop)
    texts = {x for tr in tree.data if getattr(tr, "text", None) for x in tr.text}
    assert {"shop.example", "Prefix /api", "Prefix /", "api:80", "web:80", "api-…-lq2vd · minikube-m02"} <= texts
    assert figures.ingress_tree(shop).title == "Ingress routing · ingress-nginx at 192.168.49.2"
    data = figures.reachability(shop)
    assert "shop/debug" in data.srcs and data.enforced
    debug, api = data.srcs.index("shop/debug"), data.dsts.index("shop/api-…-lq2vd")
    assert data.allowed[0][debug][api] is False
    assert figures.reachability_heatmap(shop).layout.title.text == "Who may connect to whom · calico enforces NetworkPolicy"
    assert figures.cluster_map(shop).data


def test_the_report_counts_what_was_loaded_and_lists_what_was_not(text):
    """Kinds outside the dump command, kinds kitlib does not model and fields Kubernetes does not
    know are listed, never dropped silently; str(report) prints it all."""
    def add(doc):
        doc["items"].append({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web", "namespace": "shop"},
                             "spec": {"selector": {"matchLabels": {"app": "web"}}}})
        doc["items"].append({"apiVersion": "cilium.io/v2", "kind": "CiliumNetworkPolicy",
                             "metadata": {"name": "l7", "namespace": "shop"}})
        debug = next(i for i in doc["items"] if i["metadata"]["name"] == "debug")
        debug["spec"]["sidecarMagic"] = True
        web = _item(doc, "EndpointSlice", "web-h8m2x")
        web["endpoints"][0]["deprecatedTopology"] = {"kubernetes.io/hostname": "minikube-m02"}
    c = kitlib.Cluster.from_dump(_edited(text, add))
    report = c.dump_report
    assert report.loaded == (("Namespace", 6), ("Node", 2), ("Pod", 19), ("Service", 8), ("EndpointSlice", 8),
                             ("IngressClass", 1), ("Ingress", 2), ("NetworkPolicy", 1))
    assert [(s.kind, s.name, s.reason) for s in report.skipped] == [
        ("Deployment", "shop/web", "from_dump loads only the kinds of " + DUMP_COMMAND.split()[2]),
        ("CiliumNetworkPolicy", "shop/l7", "kitlib does not model this kind")]
    notes = {(n.kind, n.name, n.note) for n in report.notes}
    assert ("Pod", "shop/debug", 'fields Kubernetes v1.37 does not know, dropped: unknown field "spec.sidecarMagic"') \
        in notes
    assert ("EndpointSlice", "shop/web-h8m2x", "fields kitlib does not keep: endpoints[].deprecatedTopology") in notes
    printed = str(report)
    assert printed.startswith("Loaded <text>: a snapshot of 2026-12-05T21:40:13Z\n"
                              "  nodes on 192.168.49.0/24, pods in 10.244.0.0/16, Services in 10.96.0.0/12\n"
                              "  CNI kindnet -> kitlib's calico data path, NetworkPolicy enforced\n"
                              "  loaded: 6 Namespace, 2 Node, 19 Pod, 8 Service, 8 EndpointSlice, 1 IngressClass, "
                              "2 Ingress, 1 NetworkPolicy\n  skipped (2):\n")
    assert "    CiliumNetworkPolicy shop/l7: kitlib does not model this kind" in printed
    assert repr(report) == ("<DumpReport <text>: 6 Namespace, 2 Node, 19 Pod, 8 Service, 8 EndpointSlice, "
                            f"1 IngressClass, 2 Ingress, 1 NetworkPolicy; 2 skipped, {len(report.notes)} notes>")


def test_an_object_the_api_server_refuses_is_skipped_with_its_message(text):
    """A Service whose ClusterIP lies outside the Service range cannot be stored: it is listed with
    the API server's own message, and the rest loads."""
    def bad(doc):
        svc = next(i for i in doc["items"] if i["kind"] == "Service" and i["metadata"]["name"] == "report")
        svc["spec"]["clusterIP"] = svc["spec"]["clusterIPs"][0] = "10.200.0.7"
    c = kitlib.Cluster.from_dump(_edited(text, bad))
    [skipped] = c.dump_report.skipped
    assert (skipped.kind, skipped.name) == ("Service", "shop/report")
    assert skipped.reason == ('the API server refuses it: Service "report" is invalid: spec.clusterIPs: Invalid value: '
                              '[]string{"10.200.0.7"}: failed to allocate IP 10.200.0.7: the provided network does not '
                              'match the current range')
    assert c.dump_report.count("Service") == 7


def test_pods_of_a_node_missing_from_the_dump_are_skipped(text):
    """A dump cut short (a node left out) still loads: the pods bound to the missing node have no
    machine to run on here, and the report lists them as skipped."""
    def drop(doc):
        doc["items"].remove(_item(doc, "Node", "minikube-m02"))
    c = kitlib.Cluster.from_dump(_edited(text, drop))
    skipped = {(s.name, s.reason) for s in c.dump_report.skipped}
    assert ("shop/debug", "its node minikube-m02 is not in the dump (or was not loaded)") in skipped
    assert len(skipped) == 7 and c.dump_report.count("Pod") == 12
    # The dumped slices still list the pods on minikube-m02: kube-proxy sends to them, and nothing answers.
    t = c.traffic("shop/web-7d9f8b6c5d-9hv4r", WEB_IP, 80, requests=20)
    assert t.served == {"shop/web-7d9f8b6c5d-9hv4r": 8} and "8 answered, 12 failed" in str(t)


@pytest.mark.parametrize(("edit", "message"), [
    (lambda doc: doc.update(kind="Pod"),
     re.escape('error: the dump is not a List (its kind is "Pod"): from_dump reads what "kubectl get nodes,pods,'
               'services,endpointslices,ingresses,ingressclasses,networkpolicies,namespaces -A -o yaml" prints: '
               'a List of objects')),
    (lambda doc: doc.update(items={"a": 1}), "error: the dump's items are a map, not a list"),
    (lambda doc: doc["items"].append("nodes"), "error: item 47 of the dump is a string, not an object"),
    (lambda doc: doc["items"][0].pop("kind"), "error: item 0 of the dump has no kind"),
    (lambda doc: doc["items"][0]["metadata"].pop("name"), r"error: item 0 of the dump \(Node\) has no metadata.name"),
    (lambda doc: _item(doc, "Node", "minikube-m02")["spec"].update(podCIDR="fd00:10:244:1::/64"),
     "error: Node minikube-m02 in the dump: podCIDR fd00:10:244:1::/64 is IPv6, and kitlib simulates IPv4 clusters only"),
    (lambda doc: _item(doc, "Pod", "debug")["status"].update(podIP="10.244.1.666"),
     'error: Pod shop/debug in the dump: podIP "10.244.1.666" is not an IP address'),
    (lambda doc: _item(doc, "Pod", "debug")["status"].update(startTime="yesterday"),
     'error: Pod shop/debug in the dump cannot be read: status.startTime: "yesterday" is not an RFC 3339 time'),
    (lambda doc: _item(doc, "Service", "kubernetes")["spec"].update(ports="80"),
     'error: Service default/kubernetes in the dump cannot be read: Service in version "v1" cannot be handled as a '
     'Service: json: cannot unmarshal string into Go struct field ServiceSpec.spec.ports of type '
     r'\[\]v1.ServicePort'),
])
def test_a_bad_dump_is_refused_and_no_cluster_is_made(text, edit, message):
    """Input that is not what the dump command prints is a BadRequest naming the problem; the
    notebook's current cluster stays the one it was, unchanged."""
    current = kitlib.Cluster(nodes=1)
    before = current.state()
    with pytest.raises(BadRequest, match=message):
        kitlib.Cluster.from_dump(_edited(text, edit))
    assert kitlib.current() is current and current.state() == before


def test_other_bad_sources_are_refused():
    """A missing file, YAML that does not parse, and something that is not text."""
    with pytest.raises(BadRequest, match='error: the path "nowhere.yaml" does not exist'):
        kitlib.Cluster.from_dump("nowhere.yaml")
    with pytest.raises(BadRequest, match="error: error parsing the dump: "):
        kitlib.Cluster.from_dump("kind: List\nitems: [\n")
    with pytest.raises(BadRequest, match="error: the dump is not a List but a list"):
        kitlib.Cluster.from_dump("- a\n- b\n")
    with pytest.raises(kitlib.InvalidArgument, match="from_dump takes a path, YAML text or a file, not int"):
        kitlib.Cluster.from_dump(3)  # type: ignore[arg-type]


def test_the_same_dump_and_seed_make_the_same_cluster_from_a_path_text_or_file(text):
    """Loading is deterministic, whatever the source's form; a failed call afterwards changes nothing."""
    a = kitlib.Cluster.from_dump(DUMP)
    b = kitlib.Cluster.from_dump(text)
    c = kitlib.Cluster.from_dump(io.StringIO(text))
    assert a.state() == b.state() == c.state()
    assert a.dump_report.notes == b.dump_report.notes
    before = a.state()
    with pytest.raises(kitlib.ApiError):
        a.kubectl("create service nodeport x --tcp=80:80 --node-port=31557")
    assert a.state() == before
    assert a.traffic("shop/debug", WEB_IP, 80, requests=40).served == b.traffic("shop/debug", WEB_IP, 80,
                                                                                 requests=40).served


KIND = Path(__file__).parent / "data" / "kind-dump.yaml"
"""kind v0.22.0 (Kubernetes v1.29.2, kindnetd v20240202, which has no network policies yet), three
nodes, kind-worker2 gone silent a quarter of an hour before the dump: NotReady, its echo pod not
ready and, once the taint manager's 300 s were up, Terminating."""
ECHO_IP = "10.96.148.20"


@pytest.fixture
def kind() -> kitlib.Cluster:
    return kitlib.Cluster.from_dump(KIND)


def test_a_kind_dump_keeps_kinds_names_and_address_plan(kind):
    """kind's node names, its Docker network and its /16 Service range (the API server's flag)."""
    assert [n.name for n in kind.nodes()] == ["kind-control-plane", "kind-worker", "kind-worker2"]
    assert (kind.name, kind.pod_cidr, kind.service_cidr, kind.node_cidr) == (
        "kind", "10.244.0.0/16", "10.96.0.0/16", "172.18.0.0/24")
    rows = str(kind.kubectl("get nodes")).splitlines()
    assert rows[3].split()[:2] == ["kind-worker2", "NotReady"]
    assert "default              echo-6d8f9c7b5-hn2rd                         1/1     Terminating   0          26h     " \
           "10.244.2.2   kind-worker2         <none>           <none>" in str(kind.kubectl("get pods -A -o wide")).splitlines()


def test_kindnet_before_network_policies_maps_to_flannel_and_enforces_nothing(kind):
    """kindnetd v20240202 predates kube-network-policies: the default-deny policy is stored and
    shown, and every connection still goes through, as on that kind cluster."""
    report = kind.dump_report
    assert (report.cni, report.kitlib_cni, report.enforces_network_policy) == (
        "kindnet (without network policies)", "flannel", False)
    assert kind.connect("default/echo-6d8f9c7b5-4kq9s", "default/echo-6d8f9c7b5-wv7lx", 8080).ok
    figures = pytest.importorskip("kitlib.figures")
    assert figures.reachability_heatmap(kind).layout.title.text == \
        "Who may connect to whom · flannel: NetworkPolicy is not enforced"


def test_a_node_that_was_not_ready_in_the_dump_does_not_answer(kind):
    """Its pod's endpoint is listed not ready and terminating, so the Service sends nothing there;
    a connection straight to the pod times out."""
    t = kind.traffic("default/echo-6d8f9c7b5-4kq9s", ECHO_IP, 80, requests=100)
    assert set(t.served) == {"default/echo-6d8f9c7b5-4kq9s", "default/echo-6d8f9c7b5-wv7lx"}
    lost = kind.connect("default/echo-6d8f9c7b5-4kq9s", "default/echo-6d8f9c7b5-hn2rd", 8080)
    assert (lost.failure, lost.reason) == ("timeout", "node kind-worker2 does not answer: the packet is lost on the "
                                                      "way and the connection times out")
    assert ("Node", "kind-worker2", "not Ready in the dump: it does not answer") in {
        (n.kind, n.name, n.note) for n in kind.dump_report.notes}


def test_a_calico_dump_rebuilds_calicos_blocks_from_the_pods_addresses(text):
    """On Calico, the /26 blocks holding the pods' IPs become their nodes' blocks and the node
    annotation gives tunl0's address, so routes and new addresses follow Calico's IPAM."""
    def calico(doc):
        for item in doc["items"]:
            if item["kind"] == "Pod" and item["metadata"]["name"].startswith("kindnet-"):
                item["spec"]["containers"][0]["image"] = "docker.io/calico/node:v3.30.3"
            if item["kind"] == "Node":
                tunnel = {"minikube": "10.244.0.1", "minikube-m02": "10.244.1.1"}[item["metadata"]["name"]]
                item["metadata"]["annotations"]["projectcalico.org/IPv4IPIPTunnelAddr"] = tunnel
    c = kitlib.Cluster.from_dump(_edited(text, calico))
    assert (c.dump_report.cni, c.cni) == ("calico", "calico")
    pool = c.runtime.calico
    assert pool is not None and pool.tunnel == {"minikube": "10.244.0.1", "minikube-m02": "10.244.1.1"}
    assert {b.cidr: b.node for b in pool.blocks.values()} == {"10.244.0.0/26": "minikube",
                                                              "10.244.1.0/26": "minikube-m02"}
    for name in ("new-1", "new-2"):
        c.apply({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name},
                 "spec": {"nodeName": "minikube-m02", "containers": [{"name": "c", "image": "nginx"}]}})
    c.advance(30)
    # Calico's first free ordinals: .0, and .2 (the Completed pod's address is free again); the
    # dumped pods' .3 to .6 and tunl0's .1 are taken.
    assert sorted(c.get("Pod", n).status.pod_ip for n in ("new-1", "new-2")) == ["10.244.1.0", "10.244.1.2"]
    assert c.connect("shop/debug", API_IP, 80).failure == "timeout"
    assert c.connect("shop/web-7d9f8b6c5d-9hv4r", API_IP, 80).ok
