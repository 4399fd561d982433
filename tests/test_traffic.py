"""Traffic to Services: where connections land, with kube-proxy's randomness, traffic policies,
session affinity, IPVS, NAT, and the gap before a dead pod leaves the endpoints."""

from __future__ import annotations

import pytest

import kitlib

EXTERNAL = "192.168.49.1"


def service(cluster, name="web", **spec):
    body = {"selector": {"app": "web"}, "ports": [{"port": 80}], **spec}
    cluster.apply({"apiVersion": "v1", "kind": "Service", "metadata": {"name": name}, "spec": body})
    return cluster.get("Service", name)


def chi_square(counts, total, k):
    expected = total / k
    return sum((counts.get(i, 0) - expected) ** 2 / expected for i in range(k))


def on(cluster, node):
    return next(p for p in cluster.pods() if p.spec.node_name == node)


@pytest.fixture
def spread(web):
    """web's three pods, one on each node, behind a ClusterIP Service."""
    assert sorted(p.spec.node_name for p in web.pods()) == ["minikube", "minikube-m02", "minikube-m03"]
    service(web)
    return web


def test_requests_spread_evenly_over_the_endpoints(spread):
    """The statistic chain (1/3, then 1/2, then the rest) gives each of three pods a third of
    30,000 requests, within chi-square tolerance (df 2, p = 0.001: 13.8)."""
    ip = spread.get("Service", "web").spec.cluster_ip
    t = spread.traffic("node/minikube", ip, 80, requests=30_000)
    assert t.requests == 30_000 and t.failed == 0 and sum(t.served.values()) == 30_000
    keys = sorted(t.served)
    assert keys == sorted(p.key for p in spread.pods())
    assert chi_square({i: t.served[k] for i, k in enumerate(keys)}, 30_000, 3) < 13.8
    assert t.kind == "ClusterIP" and t.service == "default/web" and t.address == ip
    assert t.entry_nodes == {"minikube": 30_000}
    assert sum(t.flows.values()) == 30_000 and {n for n, _ in t.flows} == {"minikube"}
    assert t.by_node == {p.spec.node_name: t.served[p.key] for p in spread.pods()}


def test_single_connections_follow_the_same_distribution(spread):
    """One connect() at a time draws from the same chain: 3,000 of them spread evenly too."""
    ip = spread.get("Service", "web").spec.cluster_ip
    counts: dict[str, int] = {}
    for _ in range(3000):
        conn = spread.connect("node/minikube", ip, 80)
        counts[conn.pod] = counts.get(conn.pod, 0) + 1
    keys = sorted(counts)
    assert len(keys) == 3
    assert chi_square({i: counts[k] for i, k in enumerate(keys)}, 3000, 3) < 13.8


def test_five_endpoints_also_spread_evenly(web):
    """With five endpoints the chain is 1/5, 1/4, 1/3, 1/2, rest: still a fifth each (df 4: 18.5)."""
    web.scale("web", 5)
    web.advance(20)
    ip = service(web).spec.cluster_ip
    t = web.traffic("node/minikube", ip, 80, requests=30_000)
    keys = sorted(t.served)
    assert len(keys) == 5
    assert chi_square({i: t.served[k] for i, k in enumerate(keys)}, 30_000, 5) < 18.5


def test_same_seed_same_traffic():
    """Traffic is random like kube-proxy's, but reproducible: the same seed gives the same counts,
    and sending traffic does not change the names and addresses the cluster hands out."""
    def run(seed):
        c = kitlib.Cluster(nodes=3, seed=seed)
        c.kubectl("create deployment web --image=nginx --replicas=3 --port=80")
        c.advance(30)
        ip = service(c).spec.cluster_ip
        before = c.rng.getstate()
        t = c.traffic("node/minikube", ip, 80, requests=10_000)
        assert c.rng.getstate() == before
        return t.served
    assert run(0) == run(0)
    assert run(0) != run(1)


def test_a_clusterip_cannot_be_reached_from_outside(spread):
    """A ClusterIP exists only in the nodes' rules: from outside the cluster it times out."""
    ip = spread.get("Service", "web").spec.cluster_ip
    t = spread.traffic("external", ip, 80, requests=10)
    assert t.failed == 10 and t.kind == "ClusterIP" and t.entry_nodes == {}
    (reason,) = t.reasons
    assert "exists only in the rules kube-proxy writes on each node" in reason and "times out" in reason
    conn = spread.connect("external", ip, 80)
    assert not conn.ok and conn.path == ["external"] and conn.service == "default/web"


def test_a_pod_reaches_the_service_from_its_own_node(spread):
    """A pod's connection to a ClusterIP is DNATed by its own node's kube-proxy, then routed like
    pod-to-pod traffic, with the pod's own IP as source (no masquerade)."""
    ip = spread.get("Service", "web").spec.cluster_ip
    client = on(spread, "minikube")
    target = on(spread, "minikube-m03")
    for _ in range(50):
        conn = spread.connect(client.key, ip, 80)
        if conn.pod == target.key:
            break
    assert conn.ok and conn.pod == target.key and conn.service == "default/web"
    kernel = next(h for h in conn.hops if h.vertex == "kernel:minikube")
    assert "DNAT" in kernel.note and "KUBE-SVC-LOLE4ISW44XBNF3G" in kernel.note and "MASQUERADE" not in kernel.note
    assert "flannel.1:minikube-m03" in conn.path
    assert conn.hops[-1].src == client.status.pod_ip and conn.hops[-1].dst == target.status.pod_ip
    assert conn.reason.endswith(f"it sees the client as {client.status.pod_ip}")


def test_a_node_reaching_a_clusterip_is_masqueraded(spread):
    """From a node (not from the pod network) kube-proxy masquerades: the pod sees the address of
    the node's device towards it (cni0 for a local pod, flannel.1 for a remote one)."""
    ip = spread.get("Service", "web").spec.cluster_ip
    seen = set()
    for _ in range(60):
        conn = spread.connect("node/minikube", ip, 80)
        assert conn.ok
        seen.add((conn.pod, conn.hops[-1].src))
    local, remote = on(spread, "minikube"), on(spread, "minikube-m02")
    assert (local.key, "10.244.0.1") in seen and (remote.key, "10.244.0.0") in seen


def test_hairpin_traffic_is_masqueraded(spread):
    """A pod that reaches itself through its Service is masqueraded (KUBE-SEP's -s rule), so the
    reply can come back: it sees its node's bridge address."""
    ip = spread.get("Service", "web").spec.cluster_ip
    pod = on(spread, "minikube-m02")
    for _ in range(50):
        conn = spread.connect(pod.key, ip, 80)
        if conn.pod == pod.key:
            break
    assert conn.ok and conn.pod == pod.key
    assert conn.hops[-1].src == "10.244.1.1"
    assert any("hairpin" in h.note for h in conn.hops)


def test_no_endpoints_means_connection_refused(web):
    """A Service whose selector matches no ready pod is REJECTed: every request is refused at once."""
    ip = service(web, selector={"app": "nothing"}).spec.cluster_ip
    t = web.traffic("node/minikube", ip, 80, requests=100)
    assert t.failed == 100 and t.served == {} and t.entry_nodes == {"minikube": 100}
    (reason,) = t.reasons
    assert reason.startswith("default/web has no endpoints") and "refused" in reason


def test_nodeport_with_cluster_policy_answers_on_every_node(web):
    """externalTrafficPolicy Cluster: a NodePort answers on every node, spreads over all pods and
    masquerades the client, so a pod on another node sees the entry node's address."""
    web.scale("web", 2)
    web.advance(5)
    service(web, type="NodePort", ports=[{"port": 80, "nodePort": 30080}])
    empty = next(n.name for n in web.nodes() if not any(p.spec.node_name == n.name for p in web.pods()))
    t = web.traffic("external", f"node/{empty}", 30080, requests=1000)
    assert t.failed == 0 and len(t.served) == 2 and t.kind == "NodePort"
    assert t.entry_nodes == {empty: 1000}
    conn = web.connect("external", f"node/{empty}", 30080)
    kernel = [h for h in conn.hops if h.vertex == f"kernel:{empty}"][:3]  # then the VXLAN packet, if any
    assert [h.device for h in kernel] == ["iptables nat PREROUTING", "routing table", "iptables nat POSTROUTING"]
    assert "KUBE-NODEPORTS → KUBE-EXT-LOLE4ISW44XBNF3G → KUBE-SVC-LOLE4ISW44XBNF3G" in kernel[0].note
    assert f"MASQUERADE: source {EXTERNAL} → " in kernel[2].note and kernel[1].src == EXTERNAL
    assert conn.ok and not conn.reason.endswith(EXTERNAL)


def test_nodeport_with_local_policy_keeps_the_client_ip_and_drops_elsewhere(web):
    """externalTrafficPolicy Local: a node with a pod sends to its own pods only and keeps the
    client's IP; a node without one drops the traffic (it times out)."""
    web.scale("web", 1)
    web.advance(5)
    (pod,) = web.pods()
    service(web, type="NodePort", externalTrafficPolicy="Local", ports=[{"port": 80, "nodePort": 30080}])
    t = web.traffic("external", f"node/{pod.spec.node_name}", 30080, requests=500)
    assert t.served == {pod.key: 500}
    conn = web.connect("external", f"node/{pod.spec.node_name}", 30080)
    assert conn.ok and conn.reason.endswith(f"it sees the client as {EXTERNAL}")
    assert not any("MASQUERADE" in h.note for h in conn.hops)
    other = next(n.name for n in web.nodes() if n.name != pod.spec.node_name)
    t = web.traffic("external", f"node/{other}", 30080, requests=500)
    assert t.failed == 500
    (reason,) = t.reasons
    assert f"has no local endpoints on {other}" in reason and "times out" in reason


def test_a_pod_dialling_another_nodes_nodeport_is_handled_there(web):
    """A pod's packet to another node's IP:nodePort leaves its node (flannel masquerades it to the
    node's IP) and is DNATed by the addressed node's kube-proxy."""
    service(web, type="NodePort", ports=[{"port": 80, "nodePort": 30080}])
    client = on(web, "minikube")
    t = web.traffic(client.key, "node/minikube-m03", 30080, requests=300)
    assert t.entry_nodes == {"minikube-m03": 300} and t.failed == 0
    conn = web.connect(client.key, "node/minikube-m03", 30080)
    routed, masq = [h for h in conn.hops if h.vertex == "kernel:minikube"][:2]
    assert routed.device == "routing table" and routed.src == client.status.pod_ip
    assert masq.device == "iptables nat POSTROUTING" and masq.src == "192.168.49.2"
    assert f"MASQUERADE: source {client.status.pod_ip} → 192.168.49.2" in masq.note
    # ETP Cluster masquerades again on minikube-m03: to cni0 or flannel.1's address, whichever it leaves by.
    assert conn.ok and conn.reason.endswith(("it sees the client as 10.244.2.0", "it sees the client as 10.244.2.1"))


def test_session_affinity_pins_a_client_to_one_pod(spread):
    """sessionAffinity ClientIP: the first connection picks at random, every later one from the
    same client goes to the same pod (the `recent` module on the client's node)."""
    ip = service(spread, sessionAffinity="ClientIP").spec.cluster_ip
    first = spread.traffic("node/minikube", ip, 80, requests=1000)
    assert len(first.served) == 1
    again = spread.traffic("node/minikube", ip, 80, requests=1000)
    assert again.served.keys() == first.served.keys()


def test_session_affinity_expires_after_its_timeout(spread):
    """Requests further apart than timeoutSeconds each pick again."""
    ip = service(spread, sessionAffinity="ClientIP",
                 sessionAffinityConfig={"clientIP": {"timeoutSeconds": 10}}).spec.cluster_ip
    t = spread.traffic("node/minikube", ip, 80, requests=300, duration=3300)
    assert len(t.served) == 3


def test_ipvs_round_robin_takes_turns(spread):
    """IPVS mode: round robin, exactly even, and the turn carries over between calls."""
    spread.set_proxy_mode("ipvs")
    ip = spread.get("Service", "web").spec.cluster_ip
    t = spread.traffic("node/minikube", ip, 80, requests=3000)
    assert sorted(t.served.values()) == [1000, 1000, 1000]
    picks = [spread.connect("node/minikube", ip, 80).pod for _ in range(6)]
    assert picks[:3] == picks[3:] and len(set(picks)) == 3
    t = spread.traffic("node/minikube", ip, 80, requests=4)
    assert t.served[picks[0]] == 2


def test_ipvs_with_affinity_is_persistent(spread):
    """IPVS mode with ClientIP affinity: one client, one real server."""
    spread.set_proxy_mode("ipvs")
    ip = service(spread, sessionAffinity="ClientIP").spec.cluster_ip
    assert len(spread.traffic("node/minikube", ip, 80, requests=100).served) == 1


def test_requests_fail_until_a_dead_nodes_pods_leave_the_endpoints(spread):
    """When a node fails its pods stay ready endpoints for 50 s, until the node controller marks
    them not ready: requests sent to them in that gap time out; after it, none fails."""
    ip = spread.get("Service", "web").spec.cluster_ip
    dead = on(spread, "minikube-m02")
    spread.fail_node("minikube-m02")
    start = spread.now
    t = spread.traffic("node/minikube", ip, 80, requests=1200, duration=120)
    assert spread.now == start + 120
    (reason,) = t.reasons
    assert reason == "node minikube-m02 does not answer: the packet is lost on the way and the connection times out"
    # 500 requests in the first 50 s, a third of them to the dead pod.
    assert 120 < t.failed < 215
    assert t.flows[("minikube", dead.key)] == t.failed and dead.key not in t.served
    after = spread.traffic("node/minikube", ip, 80, requests=1000, duration=10)
    assert after.failed == 0


def test_direct_pod_traffic_has_no_kube_proxy(spread):
    """Traffic to a pod IP is plain routing: kind Pod, no service, no entry node."""
    pod = on(spread, "minikube-m02")
    t = spread.traffic("node/minikube", pod.key, 80, requests=10)
    assert t.served == {pod.key: 10} and t.kind == "Pod" and t.service is None and t.entry_nodes == {}
    assert "10 answered" in str(t)


def test_bad_traffic_arguments_change_nothing(spread, snapshot):
    """A negative request count or a non-positive duration is refused before anything is sent."""
    ip = spread.get("Service", "web").spec.cluster_ip
    before = snapshot(spread)
    with pytest.raises(kitlib.BadRequest, match="requests must be a whole number of at least 0"):
        spread.traffic("node/minikube", ip, 80, requests=-1)
    with pytest.raises(kitlib.BadRequest, match="duration must be a number of seconds greater than 0"):
        spread.traffic("node/minikube", ip, 80, requests=5, duration=0)
    with pytest.raises(kitlib.BadRequest, match="port 0 is not in 1-65535"):
        spread.traffic("node/minikube", ip, 0)
    with pytest.raises(kitlib.NotFound, match='pods "nope" not found'):
        spread.traffic("default/nope", ip, 80)
    assert snapshot(spread) == before


def test_zero_requests_still_names_the_target(spread):
    """With requests=0 nothing is sent, but the result says what the address is."""
    ip = spread.get("Service", "web").spec.cluster_ip
    t = spread.traffic("node/minikube", ip, 80, requests=0)
    assert (t.requests, t.failed, t.served, t.kind, t.service) == (0, 0, {}, "ClusterIP", "default/web")


def test_a_clusterip_port_without_a_rule(spread):
    """A port the Service does not have: no rule matches, and in iptables mode the packet leaves by
    the default route (times out); in IPVS mode the ClusterIP is a local address (refused)."""
    ip = spread.get("Service", "web").spec.cluster_ip
    conn = spread.connect("node/minikube", ip, 8080)
    assert not conn.ok and "times out" in conn.reason and conn.reason.startswith(f"{ip} is the ClusterIP")
    spread.set_proxy_mode("ipvs")
    conn = spread.connect("node/minikube", ip, 8080)
    assert not conn.ok and "refused" in conn.reason


def test_internal_traffic_policy_local_uses_the_clients_node_only(spread):
    """internalTrafficPolicy Local: a client reaches only the endpoints on its own node, and a
    node without one drops the traffic."""
    ip = service(spread, internalTrafficPolicy="Local").spec.cluster_ip
    client = on(spread, "minikube-m02")
    t = spread.traffic(client.key, ip, 80, requests=100)
    assert t.served == {client.key: 100}
    spread.scale("web", 1)
    spread.advance(5)
    (left,) = spread.pods()
    other = next(n.name for n in spread.nodes() if n.name != left.spec.node_name)
    t = spread.traffic(f"node/{other}", ip, 80, requests=10)
    assert t.failed == 10 and "has no local endpoints" in next(iter(t.reasons))


def test_traffic_to_a_service_name_goes_through_dns_then_kube_proxy(spread):
    """A pod's requests to a Service's name are resolved by kube-dns to the ClusterIP and spread
    by kube-proxy; a name that does not resolve fails every request."""
    client = on(spread, "minikube")
    t = spread.traffic(client.key, "web", 80, requests=3000)
    assert t.failed == 0 and len(t.served) == 3 and t.kind == "ClusterIP"
    assert t.address == spread.get("Service", "web").spec.cluster_ip
    t = spread.traffic(client.key, "nope", 80, requests=10)
    assert t.failed == 10 and next(iter(t.reasons)).startswith("nope does not resolve")


def test_a_headless_service_spreads_through_dns(spread):
    """A headless Service has no virtual IP: its name resolves to the pods' IPs, in an order CoreDNS
    shuffles in every reply, so requests go straight to the pods (no kube-proxy) and spread evenly."""
    service(spread, "hl", clusterIP="None")
    t = spread.traffic(on(spread, "minikube").key, "hl", 80, requests=3000)
    assert t.kind == "Pod" and t.entry_nodes == {} and t.failed == 0
    keys = sorted(t.served)
    assert len(keys) == 3 and chi_square({i: t.served[k] for i, k in enumerate(keys)}, 3000, 3) < 13.8
