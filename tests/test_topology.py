"""Zones, Service ``trafficDistribution`` and topology-aware routing, as Kubernetes 1.37 has them.

* nodes carry the ``topology.kubernetes.io/zone`` label only when someone sets it (minikube does
  not; ``Cluster(zones=...)`` does it as ``kubectl label node`` would);
* the API server accepts ``PreferClose``, ``PreferSameZone`` and ``PreferSameNode``;
* the EndpointSlice controller writes each endpoint's zone and its hints (``trafficdist`` and
  the topology cache of ``service.kubernetes.io/topology-mode: Auto``);
* kube-proxy's ``CategorizeEndpoints`` keeps, on each node, the endpoints hinted for it, and falls
  back to all of them when a hint is missing or none is for it, in every proxy mode.
"""

from __future__ import annotations

import re

import pytest
import yaml

import kitlib
from kitlib.api.discovery import Endpoint, EndpointConditions, EndpointHints, ForZone
from kitlib.api.meta import ObjectMeta
from kitlib.api.node import Node, NodeCondition, NodeStatus
from kitlib.controllers import hints
from kitlib.network.proxy.servicemap import Hints, ProxyEndpoint, ServicePort, categorize

pytestmark = pytest.mark.filterwarnings("ignore:.*is deprecated:UserWarning")  # asserted where they matter

ZONE = "topology.kubernetes.io/zone"
AUTO = {"service.kubernetes.io/topology-mode": "Auto"}


def service(c: kitlib.Cluster, td: str | None = None, annotations: dict | None = None, name: str = "web",
            selector: str = "web") -> str:
    """Apply Service ``name`` in front of ``app=<selector>`` and return its ClusterIP."""
    spec: dict = {"selector": {"app": selector}, "ports": [{"port": 80}]}
    if td is not None:
        spec["trafficDistribution"] = td
    c.apply({"apiVersion": "v1", "kind": "Service",
             "metadata": {"name": name, **({"annotations": annotations} if annotations else {})}, "spec": spec})
    return c.get("Service", name).spec.cluster_ip


def endpoints(c: kitlib.Cluster, name: str = "web") -> list[Endpoint]:
    """The endpoints of the Service's slices, in slice order."""
    slices = c.list("EndpointSlice", selector=f"kubernetes.io/service-name={name}")
    return [e for s in slices for e in s.endpoints]


def zone_hints(ep: Endpoint) -> list[str]:
    return [z.name for z in ep.hints.for_zones] if ep.hints else []


@pytest.fixture
def zoned() -> kitlib.Cluster:
    """minikube (zone-a), minikube-m02 (zone-b), minikube-m03 (zone-a), with deployment/web
    (3 replicas, one on each node) running."""
    c = kitlib.Cluster(nodes=3, seed=0, zones=["zone-a", "zone-b"])
    c.kubectl("create deployment web --image=nginx --replicas=3 --port=80")
    c.advance(30)
    assert sorted(p.spec.node_name for p in c.pods()) == ["minikube", "minikube-m02", "minikube-m03"]
    return c


# ------------------------------------------------------------------------------ the API


@pytest.mark.parametrize("value", ["PreferClose", "PreferSameZone", "PreferSameNode"])
def test_the_api_server_accepts_the_three_values_of_1_37(cluster, value):
    """PreferSameZone and PreferSameNode are GA (locked on) since 1.35; PreferClose stays valid."""
    service(cluster, value)
    assert cluster.get("Service", "web").spec.traffic_distribution == value
    assert yaml.safe_load(cluster.kubectl("get svc web -o yaml"))["spec"]["trafficDistribution"] == value


@pytest.mark.parametrize("value", ["PreferZone", "prefersamezone", ""])
def test_any_other_value_is_refused_in_the_api_servers_words(cluster, snapshot, value):
    """validateServiceTrafficDistribution lists the values in its own order, not sorted."""
    before = snapshot(cluster)
    with pytest.raises(kitlib.Invalid, match=(
            rf'^Service "web" is invalid: spec.trafficDistribution: Unsupported value: "{value}": '
            r'supported values: "PreferClose", "PreferSameZone", "PreferSameNode"$')):
        service(cluster, value)
    assert snapshot(cluster) == before


def test_an_update_to_an_unknown_value_is_refused_too(cluster):
    service(cluster, "PreferSameZone")
    svc = cluster.get("Service", "web")
    svc.spec.traffic_distribution = "Nearby"
    with pytest.raises(kitlib.Invalid, match='spec.trafficDistribution: Unsupported value: "Nearby"'):
        cluster.update(svc)
    assert cluster.get("Service", "web").spec.traffic_distribution == "PreferSameZone"


def test_prefer_close_and_the_old_annotation_are_deprecated_with_warnings(cluster, tmp_path):
    """GetWarningsForService (1.35+); kubectl sends nothing for an unchanged object, so it warns once."""
    path = tmp_path / "svc.yaml"
    path.write_text(yaml.safe_dump({
        "apiVersion": "v1", "kind": "Service",
        "metadata": {"name": "web", "annotations": {"service.kubernetes.io/topology-aware-hints": "auto"}},
        "spec": {"selector": {"app": "web"}, "ports": [{"port": 80}], "trafficDistribution": "PreferClose"}}))
    out = cluster.kubectl(f"apply -f {path}")
    assert out == "service/web created"
    assert out.warnings == (
        "annotation service.kubernetes.io/topology-aware-hints is deprecated, please use "
        "service.kubernetes.io/topology-mode instead",
        'spec.trafficDistribution: "PreferClose" is deprecated; use "PreferSameZone"')
    again = cluster.kubectl(f"apply -f {path}")
    assert again == "service/web unchanged" and again.warnings == ()
    with pytest.warns(UserWarning, match='"PreferClose" is deprecated'):
        service(cluster, "PreferClose", name="other")



def test_the_field_has_no_default(cluster):
    """Unset, the field is absent from the stored Service and from describe."""
    service(cluster)
    assert "trafficDistribution" not in yaml.safe_load(cluster.kubectl("get svc web -o yaml"))["spec"]
    assert "Traffic Distribution" not in cluster.kubectl("describe svc web")


def test_describe_shows_it_after_the_traffic_policies(cluster):
    """kubectl's describeService writes it after LoadBalancer Source Ranges, before the events."""
    service(cluster, "PreferSameNode")
    lines = cluster.kubectl("describe svc web").splitlines()
    assert lines[-2:] == ["Traffic Distribution:     PreferSameNode", "Events:                   <none>"]
    assert lines[-3].startswith("Internal Traffic Policy:")


def test_the_two_topology_annotations_must_agree(cluster):
    """ValidateService: topology-mode must match the deprecated topology-aware-hints when both are set."""
    with pytest.raises(kitlib.Invalid, match=re.escape(
            "metadata.annotations[service.kubernetes.io/topology-mode]: Invalid value: \"Auto\": must match "
            "annotations[service.kubernetes.io/topology-aware-hints] when both are specified")):
        service(cluster, annotations={"service.kubernetes.io/topology-mode": "Auto",
                                      "service.kubernetes.io/topology-aware-hints": "auto"})
    service(cluster, annotations={"service.kubernetes.io/topology-mode": "Auto",
                                  "service.kubernetes.io/topology-aware-hints": "Auto"})


# ------------------------------------------------------------------------------ zones on nodes


def test_minikube_gives_its_nodes_no_zone(cluster):
    """minikube's kubeadm bootstrapper labels nodes with minikube.k8s.io/* only: no topology labels."""
    for node in cluster.nodes():
        assert not [k for k in node.metadata.labels if k.startswith("topology.kubernetes.io/")]


def test_zones_are_dealt_out_in_node_order_or_given_by_name():
    c = kitlib.Cluster(nodes=4, zones=["zone-a", "zone-b", "zone-c"], region="eu-west")
    assert [(n.metadata.labels[ZONE], n.metadata.labels["topology.kubernetes.io/region"]) for n in c.nodes()] == [
        ("zone-a", "eu-west"), ("zone-b", "eu-west"), ("zone-c", "eu-west"), ("zone-a", "eu-west")]
    c = kitlib.Cluster(nodes=3, zones={"minikube-m03": "zone-x"})
    assert [n.metadata.labels.get(ZONE) for n in c.nodes()] == [None, None, "zone-x"]
    assert c.add_node(zone="zone-y").metadata.labels[ZONE] == "zone-y"


@pytest.mark.parametrize("zones, message", [
    (["zone a"], "not a valid label value"),
    ({"minikube-m07": "zone-a"}, "minikube-m07"),
    ([], "empty"),
    ("zone-a", "not a string"),
])
def test_zones_a_label_could_not_hold_are_refused(zones, message):
    with pytest.raises(ValueError, match=message):
        kitlib.Cluster(nodes=3, zones=zones)


def test_the_zones_option_is_kubectl_label_by_hand():
    """``Cluster(zones=...)`` holds no hidden state: labelling the nodes with kubectl right after
    ``minikube start`` gives the very same cluster, down to resourceVersions and random draws."""
    by_option = kitlib.Cluster(nodes=3, seed=7, zones=["zone-a", "zone-b"])
    by_hand = kitlib.Cluster(nodes=3, seed=7)
    for node, zone in (("minikube", "zone-a"), ("minikube-m02", "zone-b"), ("minikube-m03", "zone-a")):
        by_hand.kubectl(f"label node {node} {ZONE}={zone}")
    assert by_option.state() == by_hand.state()
    for c in (by_option, by_hand):
        c.kubectl("create deployment web --image=nginx --replicas=4 --port=80")
        service(c, "PreferSameZone")
        c.advance(30)
    assert by_option.state() == by_hand.state()
    ip = by_option.get("Service", "web").spec.cluster_ip
    assert by_option.traffic("node/minikube-m02", ip, 80, 500).served == \
        by_hand.traffic("node/minikube-m02", ip, 80, 500).served


def test_kubectl_get_label_columns_show_the_zones():
    """``-L`` adds a column per key, headed by its last path part in capitals (formatLabelHeaders);
    a node without the label shows an empty cell."""
    c = kitlib.Cluster(nodes=3, zones={"minikube-m02": "zone-b"})
    lines = c.kubectl(f"get nodes -L {ZONE} -L kubernetes.io/os").splitlines()
    assert lines[0].split() == ["NAME", "STATUS", "ROLES", "AGE", "VERSION", "ZONE", "OS"]
    assert lines[1].split()[-1] == "linux" and lines[2].split()[-2:] == ["zone-b", "linux"]
    assert c.kubectl(f"get nodes -L {ZONE},kubernetes.io/os") == "\n".join(lines)
    assert c.kubectl(f"get nodes -L {ZONE} --show-labels").splitlines()[0].split()[-2:] == ["ZONE", "LABELS"]


# ------------------------------------------------------------------------------ EndpointSlice hints


@pytest.mark.parametrize("value", ["PreferClose", "PreferSameZone"])
def test_prefer_same_zone_hints_each_ready_endpoint_for_its_own_zone(zoned, value):
    service(zoned, value)
    eps = endpoints(zoned)
    zones = {n.name: n.metadata.labels[ZONE] for n in zoned.nodes()}
    assert len(eps) == 3
    for ep in eps:
        assert ep.zone == zones[ep.node_name]
        assert ep.hints == EndpointHints(for_zones=[ForZone(ep.zone)])
    sl = yaml.safe_load(zoned.kubectl("get endpointslices -l kubernetes.io/service-name=web -o yaml"))["items"][0]
    assert {"forZones": [{"name": "zone-b"}]} in [e["hints"] for e in sl["endpoints"]]
    assert "    Zone:       zone-b" in zoned.kubectl(f"describe endpointslice {zoned.list('EndpointSlice')[1].name}")


def test_prefer_same_node_hints_the_node_as_well(zoned):
    service(zoned, "PreferSameNode")
    for ep in endpoints(zoned):
        assert [n.name for n in ep.hints.for_nodes] == [ep.node_name]
        assert zone_hints(ep) == [ep.zone]


def test_without_zones_the_endpoints_have_no_zone_and_prefer_same_zone_gives_no_hints(web):
    service(web, "PreferSameZone")
    eps = endpoints(web)
    assert eps and all(ep.zone is None and ep.hints is None for ep in eps)
    assert {n: (r.topology, len(r.cluster)) for n, r in web.proxy_endpoints("web").items()} == {
        "minikube": ("", 3), "minikube-m02": ("", 3), "minikube-m03": ("", 3)}


def test_prefer_same_node_without_zones_hints_nodes_only(web):
    service(web, "PreferSameNode")
    for ep in endpoints(web):
        assert ep.hints is not None and ep.hints.for_zones == [] and [n.name for n in ep.hints.for_nodes] == [ep.node_name]


def test_a_not_ready_endpoint_gets_no_hint(zoned):
    service(zoned, "PreferSameZone")
    zoned.fail_node("minikube-m02")
    zoned.advance(60)  # the node controller marks its pod not ready
    by_node = {ep.node_name: ep for ep in endpoints(zoned)}
    assert by_node["minikube-m02"].conditions.ready is False and by_node["minikube-m02"].hints is None
    assert zone_hints(by_node["minikube"]) == ["zone-a"]


def test_dropping_the_field_removes_the_hints(zoned):
    service(zoned, "PreferSameZone")
    svc = zoned.get("Service", "web")
    svc.spec.traffic_distribution = None
    zoned.update(svc)
    assert all(ep.hints is None for ep in endpoints(zoned))


# ------------------------------------------------------------------------------ topology-aware routing (Auto)


@pytest.fixture
def four() -> kitlib.Cluster:
    """Four nodes, two per zone; the control plane (minikube, zone-a) does not count, so zone-a
    has a third of the counted CPU and zone-b two thirds. Six replicas: three in each zone."""
    c = kitlib.Cluster(nodes=4, seed=0, zones=["zone-a", "zone-a", "zone-b", "zone-b"])
    c.kubectl("create deployment web --image=nginx --replicas=6 --port=80")
    c.advance(30)
    return c


def test_auto_allots_endpoints_in_proportion_to_each_zones_cpu(four):
    """6 ready endpoints, 3 per zone; zone-b has 2/3 of the CPU: it should get 4, so one zone-a
    endpoint (the first in the slice) is hinted for zone-b (getAllocations, redistributeHints)."""
    service(four, annotations=AUTO)
    eps = endpoints(four)
    assert sorted(ep.zone for ep in eps) == ["zone-a"] * 3 + ["zone-b"] * 3
    first_a = next(ep for ep in eps if ep.zone == "zone-a")
    for ep in eps:
        assert zone_hints(ep) == (["zone-b"] if ep is first_a or ep.zone == "zone-b" else ["zone-a"])
    assert {n: (r.topology, len(r.cluster)) for n, r in four.proxy_endpoints("web").items()} == {
        "minikube": ("PreferSameZone", 2), "minikube-m02": ("PreferSameZone", 2),
        "minikube-m03": ("PreferSameZone", 4), "minikube-m04": ("PreferSameZone", 4)}
    events = [e for e in four.events.all() if e.kind == "Service" and e.reason.startswith("TopologyAwareHints")]
    assert events[-1].reason == "TopologyAwareHintsEnabled"
    assert events[-1].message == "Topology Aware Hints has been enabled, addressType: IPv4"


def test_the_annotation_wins_over_traffic_distribution(four):
    service(four, "PreferSameZone", annotations=AUTO)
    assert sorted(z for ep in endpoints(four) for z in zone_hints(ep)) == ["zone-a"] * 2 + ["zone-b"] * 4


def test_auto_on_plain_minikube_gives_no_hints_and_says_why(web):
    """No node has a zone: SetNodes finds insufficient node information."""
    service(web, annotations=AUTO)
    assert all(ep.hints is None for ep in endpoints(web))
    assert ("Insufficient Node information: allocatable CPU or zone not specified on one or more nodes, "
            "addressType: IPv4") in web.kubectl("describe svc web")


def test_auto_needs_at_least_one_endpoint_per_zone(four):
    four.scale("web", 1)
    four.advance(60)
    service(four, annotations=AUTO)
    assert all(ep.hints is None for ep in endpoints(four))
    assert "Insufficient number of endpoints (1 endpoints, 2 zones), addressType: IPv4" in \
        four.kubectl("describe svc web")


def test_a_counted_node_losing_its_zone_removes_the_hints(four):
    """The node handler recounts the zones and requeues the Services left short of endpoints."""
    service(four, annotations=AUTO)
    assert all(ep.hints for ep in endpoints(four))
    four.kubectl(f"label node minikube-m04 {ZONE}-")
    assert all(ep.hints is None for ep in endpoints(four))
    assert "Insufficient Node information" in four.kubectl("describe svc web")


def test_dropping_the_annotation_disables_the_hints_with_an_event(four):
    service(four, annotations=AUTO)
    service(four)
    assert all(ep.hints is None for ep in endpoints(four))
    assert "Topology Aware Hints has been disabled, addressType: IPv4" in four.kubectl("describe svc web")


def ep(address: str, zone: str | None, ready: bool | None = True, hint: str | None = None) -> Endpoint:
    return Endpoint(addresses=[address], zone=zone, conditions=EndpointConditions(ready=ready),
                    hints=EndpointHints([ForZone(hint)]) if hint else None)


def test_add_hints_as_topologycache_test_go_within_a_3_zone_threshold():
    """TestAddHints, "slices to create and update within 3 zone threshold": zone-a has one
    endpoint too many and zone-b one too few; the first zone-a endpoint goes to zone-b."""
    cache = hints.TopologyCache()
    cache.cpu_ratios_by_zone = {"zone-a": 0.35, "zone-b": 0.35, "zone-c": 0.30}
    drafts = [hints.SliceDraft(eps, unchanged=False) for eps in (
        [ep("10.1.2.3", "zone-a"), ep("10.1.2.4", "zone-b")],
        [ep("10.1.3.3", "zone-c"), ep("10.1.3.4", "zone-c"), ep("10.1.3.4", "zone-a")],
        [ep("10.2.2.3", "zone-a"), ep("10.2.2.4", "zone-a")],
        [ep("10.2.3.3", "zone-b"), ep("10.2.3.4", "zone-c"), ep("10.2.3.4", "zone-a")])]
    out, events = cache.add_hints("ns/svc", drafts)
    assert [[zone_hints(e) for e in eps] for eps in out] == [
        [["zone-b"], ["zone-b"]], [["zone-c"], ["zone-c"], ["zone-a"]], [["zone-a"], ["zone-a"]],
        [["zone-b"], ["zone-c"], ["zone-a"]]]
    assert cache.endpoints_by_service["ns/svc"] == {"zone-a": 4, "zone-b": 3, "zone-c": 3}
    assert [(e.type, e.reason) for e in events] == [("Normal", "TopologyAwareHintsEnabled")]


def test_add_hints_moves_no_endpoint_for_less_than_half_a_share():
    """TestAddHints, "zone ratios only require 2": zone-a wants 0.9 endpoints and has 1 (0.1 over),
    zone-b wants 1.1: nothing moves."""
    cache = hints.TopologyCache()
    cache.cpu_ratios_by_zone = {"zone-a": 0.45, "zone-b": 0.55}
    out, _ = cache.add_hints("ns/svc", [hints.SliceDraft([ep("10.1.2.3", "zone-a"), ep("10.1.2.4", "zone-b")],
                                                         unchanged=False)])
    assert [zone_hints(e) for e in out[0]] == [["zone-a"], ["zone-b"]]


def test_add_hints_gives_a_zones_surplus_to_every_zone_short_of_endpoints():
    """All four endpoints in zone-a, which has half the CPU: zone-b and zone-c get one each."""
    cache = hints.TopologyCache()
    cache.cpu_ratios_by_zone = {"zone-a": 0.5, "zone-b": 0.25, "zone-c": 0.25}
    out, _ = cache.add_hints("ns/svc", [hints.SliceDraft([ep(f"10.0.0.{i}", "zone-a") for i in range(4)],
                                                         unchanged=False)])
    assert sorted(z for e in out[0] for z in zone_hints(e)) == ["zone-a", "zone-a", "zone-b", "zone-c"]
    assert [zone_hints(e) for e in out[0]][2:] == [["zone-a"], ["zone-a"]]  # the first ones in the slice move
    assert cache.endpoints_by_service["ns/svc"] == {"zone-a": 2, "zone-b": 1, "zone-c": 1}


def test_add_hints_skips_not_ready_endpoints():
    """TestAddHints, "2 ready, 1 unready, 1 unknown endpoints": only the ready ones count and get hints."""
    cache = hints.TopologyCache()
    cache.cpu_ratios_by_zone = {"zone-a": 0.45, "zone-b": 0.55}
    out, _ = cache.add_hints("ns/svc", [hints.SliceDraft(
        [ep("10.1.2.3", "zone-a"), ep("10.1.2.4", "zone-b"), ep("10.1.2.5", "zone-b", False),
         ep("10.1.2.6", "zone-b", None)], unchanged=False)])
    assert [zone_hints(e) for e in out[0]] == [["zone-a"], ["zone-b"], [], []]
    assert cache.endpoints_by_service["ns/svc"] == {"zone-a": 1, "zone-b": 1}


@pytest.mark.parametrize("ratios, n, message", [
    (None, 2, "Insufficient Node information: allocatable CPU or zone not specified on one or more nodes"),
    ({}, 2, "Nodes only ready in one zone"),
    ({"zone-a": 0.3, "zone-b": 0.4, "zone-c": 0.3}, 2, "Insufficient number of endpoints (2 endpoints, 3 zones)"),
    ({"zone-a": 0.05, "zone-b": 0.95}, 2, "Unable to allocate minimum required endpoints to each zone without "
                                         "exceeding overload threshold (2 endpoints, 2 zones)"),
])
def test_allocations_give_up_with_the_controllers_reason(ratios, n, message):
    cache = hints.TopologyCache()
    cache.cpu_ratios_by_zone = ratios
    result = cache.allocations(n)
    assert isinstance(result, hints.HintEvent) and result.message == message


def test_unchanged_slices_keep_valid_hints():
    """getAllocatedHintsByZone: a slice with nothing but hints to change keeps hints that fit the
    allotment, even where a fresh allotment would differ."""
    cache = hints.TopologyCache()
    cache.cpu_ratios_by_zone = {"zone-a": 0.5, "zone-b": 0.5}
    kept = [ep("10.0.0.1", "zone-a", hint="zone-b"), ep("10.0.0.2", "zone-b", hint="zone-a")]
    out, _ = cache.add_hints("ns/svc", [hints.SliceDraft(kept, unchanged=True)])
    assert out[0] is kept
    out, _ = cache.add_hints("ns/svc", [hints.SliceDraft(kept, unchanged=False)])
    assert [zone_hints(e) for e in out[0]] == [["zone-a"], ["zone-b"]]


def node(zone: str, cpu: str = "1000m", ready: str = "True", control_plane: bool = False) -> Node:
    labels = {ZONE: zone} if zone else {}
    if control_plane:
        labels["node-role.kubernetes.io/control-plane"] = ""
    return Node(metadata=ObjectMeta(name=f"n-{zone}-{cpu}", labels=labels),
                status=NodeStatus(conditions=[NodeCondition("Ready", ready)], allocatable={"cpu": cpu}))


@pytest.mark.parametrize("nodes, ratios", [
    ([], None),
    ([node("zone-a"), node("zone-a")], None),
    ([node("zone-a"), node("zone-b")], {"zone-a": 0.5, "zone-b": 0.5}),
    ([node("zone-a", ready="False"), node("zone-b")], None),
    ([node("zone-a"), node("zone-b", control_plane=True)], None),
    ([node("zone-a"), node("zone-b"), node("zone-b", ready="False")], {"zone-a": 0.5, "zone-b": 0.5}),
    ([node("zone-a"), node(""), node("zone-b")], None),
    ([node("zone-a"), node("zone-a"), node("zone-a"), node("zone-a", "2000m"), node("zone-b", "3000m"),
      node("zone-b", "1500m"), node("zone-c", "500m")], {"zone-a": 0.5, "zone-b": 0.45, "zone-c": 0.05}),
])
def test_set_nodes_as_topologycache_test_go(nodes, ratios):
    cache = hints.TopologyCache()
    cache.set_nodes(nodes)
    assert cache.cpu_ratios_by_zone == ratios


# ------------------------------------------------------------------------------ kube-proxy


def port(*eps: ProxyEndpoint, itp_local: bool = False, etp_local: bool = False) -> ServicePort:
    node_port = 30080 if etp_local else None
    return ServicePort("ns", "svc", "", "TCP", 80, "NodePort" if node_port else "ClusterIP", "10.96.0.10",
                       node_port, (), (), etp_local, itp_local, None, eps,
                       hinted=any(e.zone_hints or e.node_hints for e in eps))


def pe(address: str, zones: tuple[str, ...] = (), nodes: tuple[str, ...] = (), ready: bool = True,
       node: str | None = None) -> ProxyEndpoint:
    return ProxyEndpoint(address, 80, node, None, ready, ready, False, Hints(frozenset(zones), frozenset(nodes)))


def addresses(eps) -> list[str]:
    return sorted(e.ip for e in eps)


FOUR = (pe("10.1.2.3", ("zone-a",)), pe("10.1.2.4", ("zone-b",)), pe("10.1.2.5", ("zone-c",)),
        pe("10.1.2.6", ("zone-a",)))


@pytest.mark.parametrize("eps, zone, expected", [
    (FOUR, "zone-a", ["10.1.2.3", "10.1.2.6"]),
    # unready endpoint
    ((*FOUR[:3], pe("10.1.2.6", ("zone-a",), ready=False)), "zone-a", ["10.1.2.3"]),
    # only unready endpoints in the same zone: no filtering
    ((pe("10.1.2.3", ("zone-a",), ready=False), *FOUR[1:3], pe("10.1.2.6", ("zone-a",), ready=False)), "zone-a",
     ["10.1.2.4", "10.1.2.5"]),
    # missing hints, no filtering
    ((*FOUR[:2], pe("10.1.2.5"), FOUR[3]), "zone-a", ["10.1.2.3", "10.1.2.4", "10.1.2.5", "10.1.2.6"]),
    # a node in a zone no endpoint is hinted for, and a node without a zone label
    ((pe("10.1.2.3", ("zone-a",)),), "zone-b", ["10.1.2.3"]),
    ((pe("10.1.2.3", ("zone-a",)),), "", ["10.1.2.3"]),
    # multiple hints per endpoint
    ((pe("10.1.2.3", ("zone-a", "zone-b", "zone-c")), pe("10.1.2.4", ("zone-b", "zone-c")),
      pe("10.1.2.5", ("zone-b", "zone-d")), pe("10.1.2.6", ("zone-c",))), "zone-c",
     ["10.1.2.3", "10.1.2.4", "10.1.2.6"]),
])
def test_categorize_endpoints_as_topology_test_go(eps, zone, expected):
    assert addresses(categorize(port(*eps), "node-1", zone).cluster) == expected


def test_local_endpoints_ignore_topology_and_all_reachable_merges_them():
    """TestCategorizeEndpoints, "conflicting topology and localness require merging allEndpoints"."""
    eps = (pe("10.0.0.0", ("zone-a",), node="here"), pe("10.0.0.1", ("zone-b",), node="here"),
           pe("10.0.0.2", ("zone-a",), node="there"), pe("10.0.0.3", ("zone-b",), node="there"))
    r = categorize(port(*eps, etp_local=True), "here", "zone-a")
    assert (addresses(r.cluster), addresses(r.local), addresses(r.reachable)) == (
        ["10.0.0.0", "10.0.0.2"], ["10.0.0.0", "10.0.0.1"], ["10.0.0.0", "10.0.0.1", "10.0.0.2"])


def test_prefer_same_node_falls_back_to_the_zone_then_to_everything():
    eps = (pe("10.0.0.1", ("zone-a",), ("node-1",)), pe("10.0.0.2", ("zone-a",), ("node-2",)),
           pe("10.0.0.3", ("zone-b",), ("node-3",)))
    sp = port(*eps)
    assert (categorize(sp, "node-1", "zone-a").topology, addresses(categorize(sp, "node-1", "zone-a").cluster)) == (
        "PreferSameNode", ["10.0.0.1"])
    assert (categorize(sp, "node-4", "zone-a").topology, addresses(categorize(sp, "node-4", "zone-a").cluster)) == (
        "PreferSameZone", ["10.0.0.1", "10.0.0.2"])
    assert (categorize(sp, "node-5", "zone-c").topology, addresses(categorize(sp, "node-5", "zone-c").cluster)) == (
        "", ["10.0.0.1", "10.0.0.2", "10.0.0.3"])
    # One ready endpoint without a node hint, and node hints are ignored altogether.
    sp = port(*eps[:2], pe("10.0.0.3", ("zone-b",)))
    assert categorize(sp, "node-1", "zone-a").topology == "PreferSameZone"


def test_each_node_uses_the_endpoints_of_its_own_zone(zoned):
    service(zoned, "PreferSameZone")
    pods = {p.spec.node_name: p.status.pod_ip for p in zoned.pods()}
    chosen = {n: (r.zone, r.topology, addresses(r.cluster)) for n, r in zoned.proxy_endpoints("web").items()}
    zone_a = sorted([pods["minikube"], pods["minikube-m03"]])
    assert chosen == {"minikube": ("zone-a", "PreferSameZone", zone_a),
                      "minikube-m02": ("zone-b", "PreferSameZone", [pods["minikube-m02"]]),
                      "minikube-m03": ("zone-a", "PreferSameZone", zone_a)}


def test_prefer_same_node_keeps_traffic_on_the_node(zoned):
    ip = service(zoned, "PreferSameNode")
    for p in zoned.pods():
        r = zoned.proxy_endpoints("web")[p.spec.node_name]
        assert r.topology == "PreferSameNode" and [e.pod for e in r.cluster] == [p.key]
        t = zoned.traffic(f"node/{p.spec.node_name}", ip, 80, requests=300)
        assert t.served == {p.key: 300}


def test_traffic_from_a_pod_in_zone_a_stays_in_zone_a(zoned):
    ip = service(zoned, "PreferSameZone")
    client = next(p for p in zoned.pods() if p.spec.node_name == "minikube-m03")
    t = zoned.traffic(client.key, ip, 80, requests=2000)
    assert t.by_zone == {"zone-a": 2000}
    assert set(t.by_node) == {"minikube", "minikube-m03"} and min(t.by_node.values()) > 800
    client_b = next(p for p in zoned.pods() if p.spec.node_name == "minikube-m02")
    assert zoned.traffic(client_b.key, ip, 80, requests=500).by_zone == {"zone-b": 500}


def test_without_a_hint_for_its_zone_a_node_spreads_over_every_endpoint():
    """No endpoint is hinted for zone-c: kube-proxy there ignores the hints (the fallback)."""
    c = kitlib.Cluster(nodes=3, seed=0, zones=["zone-a", "zone-b", "zone-c"])
    c.cordon("minikube-m03")
    c.kubectl("create deployment web --image=nginx --replicas=2 --port=80")
    c.advance(30)
    ip = service(c, "PreferSameZone")
    r = c.proxy_endpoints("web")["minikube-m03"]
    assert (r.topology, len(r.cluster)) == ("", 2)
    t = c.traffic("node/minikube-m03", ip, 80, requests=2000)
    assert set(t.by_zone) == {"zone-a", "zone-b"} and min(t.by_zone.values()) > 800
    assert c.traffic("node/minikube", ip, 80, requests=500).by_zone == {"zone-a": 500}


def test_one_endpoint_without_a_hint_turns_topology_off(cluster):
    """Hand-written EndpointSlice: two endpoints hinted, one not; every node uses all three."""
    cluster.kubectl(f"label node minikube {ZONE}=zone-a")
    cluster.apply(yaml.safe_dump_all([
        {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "ext"}, "spec": {"ports": [{"port": 80}]}},
        {"apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice", "addressType": "IPv4",
         "metadata": {"name": "ext-1", "labels": {"kubernetes.io/service-name": "ext"}},
         "ports": [{"name": "", "port": 80, "protocol": "TCP"}],
         "endpoints": [{"addresses": ["192.168.49.100"], "hints": {"forZones": [{"name": "zone-a"}]}},
                       {"addresses": ["192.168.49.101"], "hints": {"forZones": [{"name": "zone-b"}]}},
                       {"addresses": ["192.168.49.102"]}]}]))
    assert len(cluster.proxy_endpoints("ext")["minikube"].cluster) == 3
    sl = cluster.get("EndpointSlice", "ext-1")
    sl.endpoints[2].hints = EndpointHints([ForZone("zone-b")])
    cluster.update(sl)
    r = cluster.proxy_endpoints("ext")["minikube"]
    assert (r.topology, addresses(r.cluster)) == ("PreferSameZone", ["192.168.49.100"])


def test_every_proxy_mode_programs_only_the_chosen_endpoints(zoned):
    ip = service(zoned, "PreferSameZone")
    b = next(p.status.pod_ip for p in zoned.pods() if p.spec.node_name == "minikube-m02")
    others = [p.status.pod_ip for p in zoned.pods() if p.spec.node_name != "minikube-m02"]
    rules = [line for line in zoned.iptables("minikube-m02").splitlines() if "default/web" in line and "DNAT" in line]
    assert [line.split("--to-destination ")[1] for line in rules] == [f"{b}:80"]
    zoned.set_proxy_mode("ipvs")
    text = zoned.ipvsadm("minikube-m02")
    block = text.split(f"TCP  {ip}:80 rr\n")[1].split("TCP ")[0]
    assert f"{b}:80" in block and not any(o in block for o in others)
    assert zoned.traffic("node/minikube-m02", ip, 80, 300).by_zone == {"zone-b": 300}
    zoned.set_proxy_mode("nftables")
    chain = zoned.nft("minikube-m02").split("chain service-")
    web = next(c for c in chain if c.split(" ", 1)[0].endswith("-default/web/tcp/"))
    assert "numgen random mod 1 vmap { 0 : goto endpoint-" in web and f"__{b}/80" in web
    assert not any(f"__{o}/80" in zoned.nft("minikube-m02") for o in others)
    assert zoned.traffic("node/minikube-m02", ip, 80, 300).by_zone == {"zone-b": 300}
    assert zoned.traffic("node/minikube", ip, 80, 300).by_zone == {"zone-a": 300}


def test_relabelling_a_node_moves_kube_proxy_at_once_and_the_endpoints_at_their_next_sync(zoned):
    """kube-proxy reads its node's zone live; the EndpointSlice controller writes an endpoint's zone
    (and hint) when it next syncs the Service, not when a node is relabelled."""
    ip = service(zoned, "PreferSameZone")
    zoned.kubectl(f"label node minikube-m02 {ZONE}=zone-a --overwrite")
    by_node = {e.node_name: e for e in endpoints(zoned)}
    assert (by_node["minikube-m02"].zone, zone_hints(by_node["minikube-m02"])) == ("zone-b", ["zone-b"])
    r = zoned.proxy_endpoints("web")["minikube-m02"]
    assert (r.zone, len(r.cluster)) == ("zone-a", 2)
    assert zoned.traffic("node/minikube-m02", ip, 80, 400).by_node.keys() == {"minikube", "minikube-m03"}
    # A pod of the Service changes: the Service syncs and every endpoint takes its node's zone.
    zoned.scale("web", 4)
    zoned.advance(30)
    assert {e.node_name: zone_hints(e) for e in endpoints(zoned)}["minikube-m02"] == ["zone-a"]
    assert all(e.zone == "zone-a" for e in endpoints(zoned))


def test_labels_by_hand_before_deploying_work_as_the_option(cluster):
    for name, zone in (("minikube", "zone-a"), ("minikube-m02", "zone-b"), ("minikube-m03", "zone-a")):
        cluster.kubectl(f"label node {name} {ZONE}={zone}")
    cluster.kubectl("create deployment web --image=nginx --replicas=3 --port=80")
    cluster.advance(30)
    ip = service(cluster, "PreferSameZone")
    assert cluster.traffic("node/minikube-m02", ip, 80, 300).by_zone == {"zone-b": 300}


def test_proxy_endpoints_picks_a_port_and_refuses_a_missing_one(zoned):
    service(zoned, "PreferSameZone")
    assert zoned.proxy_endpoints("web", port=80) == zoned.proxy_endpoints("web")
    with pytest.raises(ValueError, match="has no port 81"):
        zoned.proxy_endpoints("web", port=81)
    with pytest.raises(kitlib.NotFound):
        zoned.proxy_endpoints("nope")


def test_the_figure_reads_the_same_choice(zoned):
    from kitlib.figures import endpoint_choice, topology_view
    service(zoned, "PreferSameZone")
    choice = endpoint_choice(zoned, "web")
    by_node = zoned.proxy_endpoints("web")
    assert choice.rows == list(by_node)
    for node, used in zip(choice.rows, choice.used, strict=True):
        assert {a for a, u in zip(choice.columns, used, strict=True) if u} == {e.address for e in by_node[node].cluster}
    assert choice.row_labels[1] == "minikube-m02 (zone-b): PreferSameZone"
    assert len(topology_view(zoned, "web").data) == 1


def test_same_seed_same_hints_and_traffic():
    def run() -> tuple:
        c = kitlib.Cluster(nodes=4, seed=3, zones=["zone-a", "zone-a", "zone-b", "zone-b"])
        c.kubectl("create deployment web --image=nginx --replicas=5 --port=80")
        c.advance(30)
        ip = service(c, annotations=AUTO)
        return ([(e.addresses, zone_hints(e)) for e in endpoints(c)],
                c.traffic("node/minikube-m03", ip, 80, 1000).served)
    assert run() == run()
