"""The Service views and the service lab, without a browser: figures are functions of the
cluster's state and of a Traffic result, and every widget control is one engine call."""

from __future__ import annotations

import html
import re

import pytest

pytest.importorskip("plotly")

import kitlib
from kitlib.figures import (
    iptables_rules,
    iptables_view,
    nft_rules,
    proxy_rules,
    service_graph,
    traffic_sankey,
)
from kitlib.figures.iptables_view import ENTRY, _layout, service_chains
from kitlib.figures.sankey import sankey_flows
from kitlib.figures.service_graph import service_routes
from kitlib.network.proxy import nat_table

WEB = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web", "labels": {"app": "web"}},
       "spec": {"selector": {"app": "web"}, "ports": [{"port": 80, "targetPort": 80}]}}


def web_cluster(replicas: int = 5, type_: str = "ClusterIP", seed: int = 0, nodes: int = 3, **spec) -> kitlib.Cluster:
    cluster = kitlib.Cluster(nodes=nodes, seed=seed)
    cluster.kubectl(f"create deployment web --image=nginx --replicas={replicas} --port=80")
    cluster.advance(10)
    svc = {**WEB, "spec": {**WEB["spec"], "type": type_, **spec}}
    cluster.apply(svc)
    return cluster


def cluster_ip(cluster) -> str:
    return cluster.get("Service", "web").spec.cluster_ip


def node_port(cluster) -> int:
    return cluster.get("Service", "web").spec.ports[0].node_port


def client_pod(cluster) -> str:
    return cluster.pods(selector="app=web")[0].key


def trace(fig, name):
    return next(t for t in fig.data if t.name == name)


# ------------------------------------------------------------------ the routing graph

def test_figures_are_functions_of_state():
    """Same seed, same requests: the same figures, to the byte."""
    figs = []
    for _ in range(2):
        c = web_cluster(type_="NodePort")
        t = c.traffic("external", "192.168.49.3", node_port(c), requests=200)
        figs.append([service_graph(c, t, source="external").to_json(), traffic_sankey(t, c).to_json(),
                     iptables_view(c, "minikube-m02").to_json()])
    assert figs[0] == figs[1]


def test_clusterip_graph_has_no_node_ports_and_outside_is_unreachable():
    """A ClusterIP Service has one address, reachable from pods and nodes; from outside the
    cluster nothing routes to it, and the graph says why."""
    c = web_cluster()
    r = service_routes(c)
    ids = set(r.vertices)
    assert "clusterip" in ids
    assert not [v for v in ids if v.startswith(("nodeport:", "lb:"))]
    assert r.edge("client:pod", "clusterip").reachable
    assert r.edge("client:node", "clusterip").reachable
    unreachable = r.edge("client:outside", "clusterip")
    assert not unreachable.reachable and "only inside the cluster" in unreachable.reason
    fig = service_graph(c)
    assert len(trace(fig, "unreachable path").x) == 3  # one dashed segment
    labels = trace(fig, "labels")
    assert "✗ outside → ClusterIP: a ClusterIP is reachable only inside the cluster" in labels.text
    mark = labels.text.index("<b>✗</b>")  # on the dashed path, its hover the long form
    assert "nothing outside the cluster routes the service range" in labels.hovertext[mark]
    assert not fig.layout.annotations


def test_nodeport_graph_has_the_port_on_every_node():
    """NodePort opens the same port on every node, pod or not, each to that node's kube-proxy."""
    c = web_cluster(replicas=1, type_="NodePort")
    r = service_routes(c)
    port = node_port(c)
    for n in c.nodes():
        v = r.vertices[f"nodeport:{n.name}"]
        assert v.label.endswith(f":{port}")
        assert r.edge("client:outside", v.id).reachable
        assert r.edge(v.id, f"proxy:{n.name}") is not None
    assert not [v for v in r.vertices if v.startswith("lb:")]


def test_load_balancer_address_only_with_metallb():
    """Without a load-balancer implementation EXTERNAL-IP stays <pending> (drawn as such);
    with MetalLB the Service gets an address from the pool and the graph shows it."""
    c = web_cluster(type_="LoadBalancer")
    fig = service_graph(c)
    assert list(trace(fig, "LoadBalancer <pending>").customdata) == ["lb:pending"]
    assert not [i for i in trace(fig, "service addresses").customdata if i.startswith("lb:")]
    assert not service_routes(c).edge("client:outside", "lb:pending").reachable
    c.enable_addon("metallb", addresses="192.168.49.200-192.168.49.250")
    ip = c.get("Service", "web").status.load_balancer.ingress[0].ip
    fig = service_graph(c)
    assert f"lb:{ip}" in trace(fig, "service addresses").customdata
    assert not trace(fig, "LoadBalancer <pending>").x


def test_edge_weights_equal_the_traffic_counts():
    """Each edge carries exactly the requests that took it: client → address, address →
    the kube-proxy that handled them, kube-proxy → the pod that answered."""
    c = web_cluster(replicas=6)
    src = client_pod(c)
    t = c.traffic(src, cluster_ip(c), 80, requests=300)
    r = service_routes(c, t, source=src)
    assert r.edge("client:pod", "clusterip").requests == 300
    for node, count in t.entry_nodes.items():
        assert r.edge("clusterip", f"proxy:{node}").requests == count
    for (node, pod), count in t.flows.items():
        assert r.edge(f"proxy:{node}", f"pod:{pod}").requests == count
    drawn = {(a, b): n for a, b, n, _ in trace(service_graph(c, t, source=src), "traffic (width: requests)").customdata}
    assert drawn[("client:pod", "clusterip")] == 300
    assert sum(n for (a, _), n in drawn.items() if a.startswith("proxy:")) == sum(t.served.values()) == 300
    # Paths that carried nothing are still drawn, thin.
    assert trace(service_graph(c, t, source=src), "path, no traffic").x


def test_outside_to_cluster_ip_fails_and_is_marked():
    """Requests from outside to a ClusterIP all fail; the graph puts them on the unreachable edge."""
    c = web_cluster()
    t = c.traffic("external", cluster_ip(c), 80, requests=50)
    assert t.failed == 50 and not t.served
    e = service_routes(c, t, source="external").edge("client:outside", "clusterip")
    assert (e.requests, e.failed, e.reachable) == (50, 50, False)
    fig = service_graph(c, t, source="external")
    assert [list(x) for x in trace(fig, "failed requests").customdata] == [["client:outside", "clusterip", 50, 50]]
    assert "0 answered, 50 failed" in fig.layout.title.subtitle.text


def test_local_policy_drops_at_a_node_without_a_pod():
    """externalTrafficPolicy: Local on a node with no endpoint: kube-proxy there drops the
    requests, and the graph sends them to "no answer" from that node."""
    c = web_cluster(replicas=1, type_="NodePort", externalTrafficPolicy="Local")
    pod_node = c.pods(selector="app=web")[0].spec.node_name
    empty = next(n for n in c.nodes() if n.name != pod_node)
    ip = next(a.address for a in empty.status.addresses if a.type == "InternalIP")
    t = c.traffic("external", ip, node_port(c), requests=40)
    assert t.failed == 40
    r = service_routes(c, t, source="external")
    assert r.edge(f"proxy:{empty.name}", f"failed:{empty.name}").failed == 40
    assert r.vertices[f"failed:{empty.name}"].kind == "failed"


# ------------------------------------------------------------------ the Sankey

@pytest.mark.parametrize("case", ["pod-clusterip", "outside-clusterip", "outside-nodeport", "local-drop"])
def test_sankey_conserves_requests(case):
    """Every request is somewhere in the Sankey: what leaves the client reaches a node or a
    failure sink, and the failures are counted with their reason."""
    if case == "local-drop":
        c = web_cluster(replicas=1, type_="NodePort", externalTrafficPolicy="Local")
        far = next(n for n in c.nodes() if n.name != c.pods(selector="app=web")[0].spec.node_name)
        src, dst, port = "external", far.status.addresses[0].address, node_port(c)
    else:
        c = web_cluster(type_="NodePort")
        src = {"pod-clusterip": client_pod(c)}.get(case, "external")
        dst, port = (cluster_ip(c), 80) if case.endswith("clusterip") else ("192.168.49.2", node_port(c))
    t = c.traffic(src, dst, port, requests=250)
    f = sankey_flows(t, c, source=src)
    assert f.total_out("source") == 250
    assert f.total_in(("node", "gone", "failed")) - f.total_out("failed") == 250
    assert f.total_in(("node", "gone")) == sum(t.served.values()) == 250 - t.failed
    assert sum(v for _, b, v in f.links if f.kinds[b] == "failed" and b not in {a for a, _, _ in f.links}) == t.failed
    fig = traffic_sankey(t, c, source=src)
    assert sum(fig.data[0].link.value) == sum(v for _, _, v in f.links)
    if t.failed:
        assert any(label.startswith("✗") for label in fig.data[0].node.label)


def test_sankey_without_traffic_is_empty():
    """Before any request the Sankey has nothing to show, and says so."""
    fig = traffic_sankey(None, web_cluster())
    assert not fig.data[0].link.value and "No requests" in fig.layout.title.text


# ------------------------------------------------------------------ iptables

def test_iptables_view_follows_the_chains_with_the_probabilities():
    """kube-proxy in iptables mode: KUBE-SERVICES matches the ClusterIP and jumps to KUBE-SVC-…,
    which picks one of n KUBE-SEP-… chains with probability 1/n, then 1/(n-1) of the rest, …;
    each KUBE-SEP-… DNATs to one pod."""
    c = web_cluster(replicas=3)
    tree = service_chains(nat_table(c.runtime, "minikube"), "default/web")
    svc = next(n for n in tree.nodes if n.startswith("KUBE-SVC-"))
    assert tree.edge(ENTRY, "KUBE-SERVICES") and tree.edge("KUBE-SERVICES", svc)
    seps = [b for a, b, _, _ in tree.edges if a == svc]
    assert len(seps) == 3 and all(s.startswith("KUBE-SEP-") for s in seps)
    labels = [tree.edge(svc, s)[2] for s in seps]
    assert labels[0].startswith("p 0.33333333349") and labels[1].startswith("p 0.50000000000")
    assert labels[2].startswith("the rest") and all("33% of new" in x for x in labels)
    ips = sorted(p.status.pod_ip for p in c.pods(selector="app=web"))
    assert sorted(n.split()[1].split(":")[0] for n in tree.nodes if n.startswith("DNAT ")) == ips
    fig = iptables_view(c, "minikube")
    assert any(n.startswith(f"<b>{svc[:9]}") for t in fig.data if t.text for n in t.text)


def test_iptables_view_puts_each_chains_name_where_no_jump_is():
    """Lesson 04's diagram: a chain's name sits under it when no jump comes from below, over it
    when none comes from above, else above to its left (KUBE-SVC-… fans out to the right): names
    never sit on the jumps and their probability labels."""
    c = web_cluster(replicas=3, type_="NodePort")
    tree = service_chains(nat_table(c.runtime, "minikube"), "default/web")
    fig = iptables_view(c, "minikube")
    side = {}
    for trace in fig.data:
        if trace.text and trace.mode == "markers+text":
            for x, y, at in zip(trace.x, trace.y, trace.textposition, strict=True):
                side[(x, y)] = at
    pos = _layout(tree)
    for n in tree.nodes:
        if n.startswith("DNAT "):
            continue
        others = [pos[b if a == n else a][1] for a, b, _, _ in tree.edges if n in (a, b)]
        at = side[pos[n]]
        if at == "bottom center":
            assert not any(y < pos[n][1] for y in others), n
        elif at == "top center":
            assert not any(y > pos[n][1] for y in others), n
        else:
            assert at == "top left", (n, at)
    svc = next(n for n in tree.nodes if n.startswith("KUBE-SVC-"))
    assert side[pos[svc]] == "top left"  # its three jumps go up, across and down
    assert {side[pos[n]] for n in tree.nodes if n in ("KUBE-NODEPORTS",) or n.startswith("KUBE-EXT-")} == {"bottom center"}


def test_iptables_view_of_a_nodeport_goes_through_kube_ext():
    """NodePort: KUBE-NODEPORTS (the last rule of KUBE-SERVICES) jumps on the node port to
    KUBE-EXT-…, which marks the packet for SNAT and goes on to KUBE-SVC-…"""
    c = web_cluster(replicas=2, type_="NodePort")
    tree = service_chains(nat_table(c.runtime, "minikube-m03"), "default/web")
    ext = next(n for n in tree.nodes if n.startswith("KUBE-EXT-"))
    svc = "KUBE-SVC-" + ext[len("KUBE-EXT-"):]
    assert tree.edge("KUBE-SERVICES", "KUBE-NODEPORTS")
    assert tree.edge("KUBE-NODEPORTS", ext)[2] == f"port {node_port(c)}"
    assert tree.edge(ext, svc)
    assert any("SNAT" in n for n in tree.notes[ext])
    lines = iptables_rules(c, "minikube-m03").splitlines()
    assert lines and all(line.startswith("-A ") for line in lines)
    assert any(f"--dport {node_port(c)}" in line for line in lines)


def test_iptables_view_of_local_policy_and_client_ip_affinity():
    """externalTrafficPolicy: Local gives KUBE-EXT-… a jump to KUBE-SVL-… (this node's endpoints
    only) on a node that has one; sessionAffinity: ClientIP adds "recent" checks, which the view
    notes once on the chain instead of on every edge."""
    c = web_cluster(replicas=4, type_="NodePort", externalTrafficPolicy="Local", sessionAffinity="ClientIP")
    node = c.pods(selector="app=web")[0].spec.node_name
    tree = service_chains(nat_table(c.runtime, node), "default/web")
    svl = next(n for n in tree.nodes if n.startswith("KUBE-SVL-"))
    ext = "KUBE-EXT-" + svl[len("KUBE-SVL-"):]
    assert tree.edge(ext, svl)
    local = [b for a, b, _, _ in tree.edges if a == svl]
    assert len(local) == len([p for p in c.pods(selector="app=web") if p.spec.node_name == node])
    assert any("affinity" in n for n in tree.notes[svl])
    svc = "KUBE-SVC-" + svl[len("KUBE-SVL-"):]
    assert [tree.edge(svc, b)[2].split("<br>")[0] for a, b, _, _ in tree.edges if a == svc] == \
        ["p 0.25000000000", "p 0.33333333349", "p 0.50000000000", "the rest"]


def test_iptables_figures_read_the_rules_as_data_not_the_text(monkeypatch):
    """The chain tree is built from kube-proxy's rules as data: with the iptables-save text
    unavailable the figure and the Service's rules come out the same, and hovers still show
    each rule as iptables-save prints it."""
    c = web_cluster(replicas=3, type_="NodePort", sessionAffinity="ClientIP")
    before = (iptables_view(c, "minikube").to_json(), iptables_rules(c, "minikube"))
    text = c.iptables("minikube")

    def no_text(node):
        raise AssertionError("the figure parsed the iptables-save text")

    monkeypatch.setattr(c, "iptables", no_text)
    assert (iptables_view(c, "minikube").to_json(), iptables_rules(c, "minikube")) == before
    assert all(line in text.splitlines() for line in before[1].splitlines())


def test_proxy_rules_are_the_modes_own_listing_of_the_service():
    """What kube-proxy wrote for one Service on one node, in the mode it runs in: the Service's
    iptables-save lines, its part of nft list table ip kube-proxy, or its IPVS virtual servers
    (ClusterIP and this node's NodePort) with their real servers."""
    c = web_cluster(replicas=3, type_="NodePort")
    assert proxy_rules(c, "minikube") == iptables_rules(c, "minikube")
    c.set_proxy_mode("nftables")
    assert proxy_rules(c, "minikube") == nft_rules(c, "minikube", "web").rstrip("\n")
    assert "numgen random mod 3 vmap" in proxy_rules(c, "minikube")
    c.set_proxy_mode("ipvs")
    ipvs = proxy_rules(c, "minikube-m02").splitlines()
    assert ipvs[:3] == c.ipvsadm("minikube-m02").splitlines()[:3]
    assert [line.split()[1] for line in ipvs[3:] if not line.startswith(" ")] == [
        f"{cluster_ip(c)}:80", f"192.168.49.3:{node_port(c)}"]
    assert sum(line.startswith("  -> ") for line in ipvs[3:]) == 6
    assert "10.96.0.10" not in "\n".join(ipvs)


def test_the_graph_title_names_kube_proxys_mode():
    """The routing graph says which mode kube-proxy runs in, IPVS marked deprecated."""
    c = web_cluster(replicas=2)
    assert service_routes(c).title.endswith(" · kube-proxy: iptables")
    c.set_proxy_mode("nftables")
    assert service_routes(c).title.endswith(" · kube-proxy: nftables")
    c.set_proxy_mode("ipvs")
    assert service_routes(c).title.endswith(" · kube-proxy: ipvs (deprecated)")


# ------------------------------------------------------------------ the service lab

widgets = pytest.importorskip("ipywidgets")
pytest.importorskip("anywidget")

from kitlib.widgets import ServiceLab  # noqa: E402

VERBS = ("apply", "create", "delete", "scale", "advance", "traffic", "enable_addon", "disable_addon", "label",
         "connect", "fail_node", "restore_node", "set_proxy_mode")


@pytest.fixture
def lab():
    return ServiceLab(web_cluster(replicas=3), "web")


@pytest.fixture
def calls(lab):
    """The engine verbs the lab calls (outermost calls only: a verb may use others inside)."""
    record: list[tuple[str, tuple]] = []
    depth = [0]
    for name in VERBS:
        original = getattr(lab.cluster, name)

        def spy(*args, _original=original, _name=name, **kwargs):
            if depth[0] == 0:
                record.append((_name, args))
            depth[0] += 1
            try:
                return _original(*args, **kwargs)
            finally:
                depth[0] -= 1

        setattr(lab.cluster, name, spy)
    return record


def graph_ids(lab, trace_name="service addresses"):
    return list(trace(lab.graph, trace_name).customdata or ())


def test_type_dropdown_applies_the_service_with_the_new_type(lab, calls):
    """Switching the type is one apply of the Service; its ports and ClusterIP stay, the graph
    and the address picker follow."""
    before = lab.cluster.get("Service", "web")
    ip = before.spec.cluster_ip
    lab.type.value = "NodePort"
    assert [name for name, _ in calls] == ["apply"]
    svc = lab.cluster.get("Service", "web")
    assert svc.spec.type == "NodePort" and svc.spec.cluster_ip == ip and svc.spec.ports[0].port == 80
    assert len([i for i in graph_ids(lab) if i.startswith("nodeport:")]) == 3
    assert len(lab.address.options) == 4
    lab.type.value = "LoadBalancer"
    assert graph_ids(lab, "LoadBalancer <pending>") == ["lb:pending"]
    assert lab.cluster.get("Service", "web").spec.ports[0].node_port == svc.spec.ports[0].node_port
    lab.type.value = "ClusterIP"
    assert [name for name, _ in calls] == ["apply"] * 3
    assert not [i for i in graph_ids(lab) if i.startswith("nodeport:")]
    assert "NodePort" not in lab.table.value and "web" in lab.table.value


def test_replicas_and_kill_are_one_call_each(lab, calls):
    """The slider is cluster.scale; Kill pod is cluster.delete; +10 s is cluster.advance(10)."""
    lab.replicas.value = 5
    assert calls == [("scale", ("web", 5, "default"))]
    assert len(lab.cluster.pods(selector="app=web")) == 5
    victim = lab.pod_picker.value
    lab.kill_button.click()
    assert calls[-1] == ("delete", ("Pod", victim, "default"))
    assert lab.cluster.get("Pod", victim).metadata.deletion_timestamp is not None
    lab.step_button.click()
    assert calls[-1] == ("advance", (10,))
    assert len(calls) == 3
    ready = [i for i in graph_ids(lab, "endpoint pods (ready)")]
    assert len(ready) == 5 and f"pod:default/{victim}" not in ready


def test_send_requests_draws_both_figures(lab, calls):
    """Send is one cluster.traffic; the graph's edges and the Sankey's links show its counts."""
    lab.source.value = "external"
    lab.type.value = "NodePort"
    calls.clear()
    lab.address.value = lab.address.options[2][1]  # the NodePort of minikube-m02
    lab.requests.value = 120
    lab.send_button.click()
    assert [name for name, _ in calls] == ["traffic"]
    t = lab.last_traffic
    assert t.requests == 120
    drawn = {(a, b): n for a, b, n, _ in trace(lab.graph, "traffic (width: requests)").customdata}
    assert drawn[("client:outside", "nodeport:minikube-m02")] == 120
    assert sum(lab.sankey.data[0].link.value) > 120  # client → proxy → pod → node: each request counted per step
    assert sum(v for v, s in zip(lab.sankey.data[0].link.value, lab.sankey.data[0].link.source, strict=True)
               if s == 0) == 120
    assert "120" in lab.result.value


def test_send_spread_over_time_shows_the_gap_after_a_node_fails(lab, calls):
    """Requests spread over 60 s are one cluster.traffic with a duration: the clock advances,
    and the requests DNATed to a pod on a dead node fail until its endpoint leaves the Service."""
    lab.source.value = next(v for _, v in lab.source.options if v.startswith("node/minikube-m02"))
    lab.spread.value = 60.0
    lab.cluster.fail_node("minikube")  # not the lab's call: a node dies behind its back
    calls.clear()
    start = lab.cluster.now
    lab.send_button.click()
    assert [name for name, _ in calls] == ["traffic"]
    assert lab.cluster.now == start + 60
    t = lab.last_traffic
    assert t.failed and t.served and t.duration == 60
    lost = [list(x) for x in trace(lab.graph, "failed requests").customdata or ()]
    assert lost and all(b.startswith("pod:") for _, b, _, _ in lost)
    assert sum(f for *_, f in lost) == t.failed


def test_outside_to_cluster_ip_from_the_lab_shows_why(lab):
    """From outside, the ClusterIP does not answer: the Sankey counts the failures and the
    graph marks the path unreachable."""
    lab.source.value = "external"
    lab.address.value = lab.address.options[0][1]
    lab.send_button.click()
    assert lab.last_traffic.failed == lab.requests.value
    assert graph_ids(lab) and list(trace(lab.graph, "failed requests").customdata[0][:2]) == \
        ["client:outside", "clusterip"]
    assert any(label.startswith("✗") for label in lab.sankey.data[0].node.label)


def test_policy_affinity_and_metallb_toggles(lab, calls):
    """externalTrafficPolicy and sessionAffinity are each one apply; MetalLB is one
    enable_addon/disable_addon, and a LoadBalancer gets its address."""
    lab.type.value = "LoadBalancer"
    lab.traffic_policy.value = "Local"
    assert lab.cluster.get("Service", "web").spec.external_traffic_policy == "Local"
    lab.affinity.value = "ClientIP"
    assert lab.cluster.get("Service", "web").spec.session_affinity == "ClientIP"
    assert "sessionAffinity: ClientIP" in shown(lab.graph_title)
    lab.metallb.value = True
    assert calls[-1] == ("enable_addon", ("metallb",))
    assert [i for i in graph_ids(lab) if i.startswith("lb:")]
    assert any(label.startswith("LoadBalancer") for label, _ in lab.address.options)
    lab.metallb.value = False
    assert calls[-1] == ("disable_addon", ("metallb",))
    assert [name for name, _ in calls] == ["apply", "apply", "apply", "enable_addon", "disable_addon"]


def test_errors_show_in_the_status_line_and_change_nothing(lab, calls):
    """externalTrafficPolicy on a ClusterIP Service is the API server's error: shown, and the
    cluster and the toggle stay as they were."""
    before = lab.cluster.kubectl("get svc web -o yaml")
    lab.traffic_policy.value = "Local"
    assert calls == [("apply", calls[0][1])]
    assert 'spec.externalTrafficPolicy: Invalid value: "Local": may only be set for externally-accessible ' \
           'services' in lab.status.value
    assert lab.cluster.kubectl("get svc web -o yaml") == before
    assert lab.traffic_policy.value == "Cluster"
    lab.pod_picker.options = ["no-such-pod"]
    lab.pod_picker.value = "no-such-pod"
    lab.kill_button.click()
    assert 'pods "no-such-pod" not found' in lab.status.value
    lab.replicas.value = 4
    assert lab.status.value == ""


def test_kube_proxy_mode_dropdown_switches_the_mode(lab, calls):
    """The kube-proxy control is one cluster.set_proxy_mode; the graph's kube-proxy hover names the
    mode's way of picking an endpoint, and IPVS is marked deprecated."""
    lab.proxy_mode.value = "nftables"
    assert calls == [("set_proxy_mode", ("nftables",))] and lab.cluster.proxy_mode == "nftables"
    proxies = trace(lab.graph, "kube-proxy")
    assert all("numgen random" in h for h in proxies.hovertext)
    assert ("ipvs (deprecated)", "ipvs") in lab.proxy_mode.options
    lab.proxy_mode.value = "ipvs"
    assert calls[-1] == ("set_proxy_mode", ("ipvs",))
    assert all("deprecated" in h for h in trace(lab.graph, "kube-proxy").hovertext)


def test_the_rules_view_follows_the_mode_and_the_endpoints():
    """With rules=<node>, the lab shows kube-proxy's rules for the Service on that node under the
    command that lists them; a mode switch or a scale redraws them."""
    lab = ServiceLab(web_cluster(replicas=3, type_="NodePort"), "web", rules="minikube")
    assert lab.rules in lab.widget.children
    assert "$ iptables-save -t nat" in shown(lab.rules) and "--probability 0.33333333349" in shown(lab.rules)
    lab.proxy_mode.value = "nftables"
    assert "$ nft list table ip kube-proxy" in shown(lab.rules) and "numgen random mod 3 vmap" in shown(lab.rules)
    assert "kube-proxy: nftables" in shown(lab.graph_title)
    lab.replicas.value = 4
    lab.step(10)
    assert "numgen random mod 4 vmap" in shown(lab.rules)
    lab.proxy_mode.value = "ipvs"
    assert "$ ipvsadm -Ln" in shown(lab.rules) and "rr" in shown(lab.rules)


def test_no_rules_view_unless_asked(lab, calls):
    """Without rules=, the lab has no rules view, and redrawing it makes no engine call."""
    assert lab.rules not in lab.widget.children and lab.rules.value == ""
    lab.refresh()
    assert calls == []


def shown(view) -> str:
    """The text an HTML view shows (its tags removed, its entities decoded)."""
    return html.unescape(re.sub("<[^>]+>", "", view.value))


def test_empty_states_say_what_to_do_first(lab):
    """Before any request, the result line, the routing graph and the Sankey say to send some;
    the result line then shows the requests; with no pods behind the Service it says to scale."""
    assert "press Send to see where they land" in lab.result.value
    assert shown(lab.graph_title).endswith("No requests drawn yet: send some to see where they land")
    assert lab.sankey.layout.title.text.startswith("No requests sent yet: send some")
    lab.source.value = lab.source.options[0][1]
    lab.send_button.click()
    assert "requests from" in shown(lab.result) and "press Send" not in shown(lab.result)
    lab.replicas.value = 0
    lab.step(60)
    lab.type.value = "NodePort"  # the routing changes: the last requests are dropped
    assert "No pods behind the Service yet: move the replicas slider up" in lab.result.value


def test_failed_requests_are_drawn_dashed_in_vermillion():
    """Requests from outside to a ClusterIP get no answer: their path is a vermillion dashed line,
    its count a "failed requests" marker, and the subtitle counts them as failed."""
    c = web_cluster(replicas=2)
    t = c.traffic("external", cluster_ip(c), 80, requests=20)
    fig = service_graph(c, t, "web")
    lost = [s for s in fig.layout.shapes if s.type == "line"]
    assert lost and all((s.line.color, s.line.dash) == ("#D55E00", "dash") for s in lost)
    assert "0 answered, 20 failed" in fig.layout.title.subtitle.text


def test_the_figures_have_text_alternatives(lab):
    """Under the routing graph and the Sankey, a sentence each says what they draw: the Service,
    its ready endpoints and the last requests' outcome; where the requests landed, per pod."""
    assert shown(lab.graph_text) == ("Routing graph: Service default/web · ClusterIP · kube-proxy: iptables; "
                                     "3 ready endpoint pods; ✗ outside → ClusterIP: a ClusterIP is reachable only "
                                     "inside the cluster; No requests drawn yet: send some to see where they land.")
    assert shown(lab.sankey_text) == "Sankey of the last requests: none sent yet."
    lab.source.value = lab.source.options[0][1]
    lab.send_button.click()
    served = lab.last_traffic.served
    assert len(served) == 3 and sum(served.values()) == 100
    assert shown(lab.sankey_text).startswith("Sankey of the last requests: 100 sent, 100 answered, 0 failed; "
                                             "answered by web-…-")
    assert "100 answered, 0 failed" in shown(lab.graph_text)
