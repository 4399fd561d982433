"""Traffic in kube-proxy's nftables mode: ``numgen random mod N`` spreads new connections evenly,
the hops name the hooks and chains of the ``ip kube-proxy`` table, and switching modes back and
forth leaves the cluster as it was. IPVS, deprecated since Kubernetes 1.35, says so."""

from __future__ import annotations

import pytest
from test_traffic import EXTERNAL, chi_square, on, service

import kitlib
from kitlib.network.proxy import IPVS_DEPRECATION, chains
from kitlib.network.proxy.nftrules import numgen_probability

WEB = chains.nft_service_base("default", "web", "TCP", "")


@pytest.fixture
def spread(web):
    """web's three pods, one on each node, behind a ClusterIP Service, kube-proxy in nftables mode."""
    service(web)
    web.set_proxy_mode("nftables")
    return web


def test_numgen_buckets_are_the_kernels():
    """``numgen random mod n`` scales a random 32-bit value to ``(v * n) >> 32``: the conditional
    probabilities of the buckets in turn multiply out to each bucket's share of the 2^32 values."""
    for n in (1, 2, 3, 5, 7, 10):
        left, shares = 1.0, []
        for i in range(n):
            p = numgen_probability(n, i)
            shares.append(left * p)
            left *= 1 - p
        starts = [-((-k << 32) // n) for k in range(n + 1)]  # the first 32-bit value of bucket k: ceil(k 2^32 / n)
        sizes = [starts[k + 1] - starts[k] for k in range(n)]
        assert all(abs(s - z / 2**32) < 1e-12 for s, z in zip(shares, sizes, strict=True))
        assert numgen_probability(n, n - 1) == 1.0
    assert numgen_probability(3, 0) == 1431655766 / 2**32


def test_requests_spread_evenly_over_the_endpoints(spread):
    """numgen picks one of the three endpoint chains with (almost exactly) equal chances: 30,000
    requests spread within chi-square tolerance (df 2, p = 0.001: 13.8)."""
    ip = spread.get("Service", "web").spec.cluster_ip
    t = spread.traffic("node/minikube", ip, 80, requests=30_000)
    assert t.requests == 30_000 and t.failed == 0 and sum(t.served.values()) == 30_000
    keys = sorted(t.served)
    assert keys == sorted(p.key for p in spread.pods())
    assert chi_square({i: t.served[k] for i, k in enumerate(keys)}, 30_000, 3) < 13.8
    assert t.entry_nodes == {"minikube": 30_000}


def test_five_endpoints_and_single_connections_spread_evenly(spread):
    """Five endpoints share 50,000 requests evenly (df 4: 18.5), and one connect() at a time
    draws from the same distribution."""
    spread.scale("web", 5)
    spread.advance(10)
    ip = spread.get("Service", "web").spec.cluster_ip
    t = spread.traffic("node/minikube", ip, 80, requests=50_000)
    keys = sorted(t.served)
    assert len(keys) == 5 and chi_square({i: t.served[k] for i, k in enumerate(keys)}, 50_000, 5) < 18.5
    counts: dict[str, int] = {}
    for _ in range(2500):
        conn = spread.connect("node/minikube", ip, 80)
        counts[conn.pod] = counts.get(conn.pod, 0) + 1
    assert sorted(counts) == keys and chi_square({i: counts[k] for i, k in enumerate(keys)}, 2500, 5) < 18.5


def test_same_seed_same_traffic_and_rules():
    """Two clusters built with the same seed and the same calls send the same requests to the same
    pods and print the same table."""
    def run():
        c = kitlib.Cluster(nodes=3, seed=7, proxy_mode="nftables")
        c.kubectl("create deployment web --image=nginx --replicas=4 --port=80")
        c.kubectl("expose deployment web --port=80 --type=NodePort")
        c.advance(30)
        ip = c.get("Service", "web").spec.cluster_ip
        t = c.traffic("node/minikube-m02", ip, 80, requests=1000)
        picks = [c.connect("node/minikube", ip, 80).pod for _ in range(20)]
        return t.served, picks, c.nft("minikube"), c.state()
    assert run() == run()


def test_a_pod_reaches_the_service_through_the_nftables_chains(spread):
    """A pod's connection meets its own node's nat-prerouting hook: services, the service-ips map,
    the Service's chain and an endpoint chain that DNATs; no masquerade for a pod."""
    ip = spread.get("Service", "web").spec.cluster_ip
    client, target = on(spread, "minikube"), on(spread, "minikube-m03")
    for _ in range(50):
        conn = spread.connect(client.key, ip, 80)
        if conn.pod == target.key:
            break
    assert conn.ok and conn.pod == target.key
    nat, routed, post = [h for h in conn.hops if h.vertex == "kernel:minikube"][:3]
    endpoint = "endpoint-" + chains.nft_endpoint_base("default", "web", "TCP", "", f"{target.status.pod_ip}:80")
    assert nat.device == "nftables nat-prerouting" and nat.note == (
        f"kube-proxy (nftables): nat-prerouting → services → @service-ips → service-{WEB} → {endpoint}: "
        f"dnat to {target.status.pod_ip}:80")
    assert routed.device == "routing table" and routed.note.endswith("dev flannel.1 onlink")
    assert post.device == "nftables nat-postrouting" and post.note == (
        "kube-proxy: nat-postrouting → masquerading: not marked (a pod's packet keeps its own address), return: "
        f"the source {client.status.pod_ip} is kept")
    assert conn.hops[-1].src == client.status.pod_ip


def test_the_node_itself_goes_through_nat_output_and_is_masqueraded(spread):
    """From the node, the packet meets the output hook (nat-output) and is marked by
    mark-for-masquerade: the pod sees the node's device address."""
    ip = spread.get("Service", "web").spec.cluster_ip
    seen = set()
    for _ in range(60):
        conn = spread.connect("node/minikube", ip, 80)
        kernel = [h for h in conn.hops if h.vertex == "kernel:minikube"]
        assert [h.device for h in kernel[:4]] == ["routing table", "nftables nat-output", "routing table",
                                                  "nftables nat-postrouting"]
        assert kernel[1].note.startswith("kube-proxy (nftables): nat-output → services → @service-ips")
        assert kernel[1].note.endswith("; mark-for-masquerade marks it for SNAT in POSTROUTING (traffic from the "
                                       "node itself)")
        assert kernel[3].note.startswith("kube-proxy: nat-postrouting → masquerading: marked, so masquerade "
                                         "fully-random: source 192.168.49.2 → ")
        seen.add((conn.pod, conn.hops[-1].src))
    local, remote = on(spread, "minikube"), on(spread, "minikube-m02")
    assert (local.key, "10.244.0.1") in seen and (remote.key, "10.244.0.0") in seen


def test_hairpin_traffic_is_masqueraded(spread):
    """A pod reaching itself through its Service is marked by its endpoint chain's ``ip saddr``
    rule, so the reply comes back: it sees its node's bridge address."""
    ip = spread.get("Service", "web").spec.cluster_ip
    pod = on(spread, "minikube-m02")
    for _ in range(50):
        conn = spread.connect(pod.key, ip, 80)
        if conn.pod == pod.key:
            break
    assert conn.ok and conn.hops[-1].src == "10.244.1.1"
    assert any("hairpin" in h.note and "mark-for-masquerade" in h.note for h in conn.hops)


def test_no_endpoints_are_rejected_through_the_no_endpoint_map(web):
    """A Service without ready endpoints is an element of no-endpoint-services with ``goto
    reject-chain``: the filter chains reject the connection at once."""
    ip = service(web, selector={"app": "nothing"}).spec.cluster_ip
    web.set_proxy_mode("nftables")
    t = web.traffic("node/minikube", ip, 80, requests=100)
    assert t.failed == 100 and t.entry_nodes == {"minikube": 100}
    (reason,) = t.reasons
    assert reason.startswith("default/web has no endpoints: kube-proxy on minikube maps it to reject-chain in "
                             "no-endpoint-services") and "refused" in reason
    conn = web.connect(on(web, "minikube").key, ip, 80)
    assert conn.failure == "refused" and conn.hops[-1].note == (
        "kube-proxy (nftables): filter-forward → service-endpoints-check → @no-endpoint-services → reject-chain: "
        f'{ip} . tcp . 80 comment "default/web" : goto reject-chain')


def test_nodeport_cluster_policy_and_local_policy(web):
    """externalTrafficPolicy Cluster: the node port answers on every node through service-nodeports
    and external-…, masqueraded. Local: the node with the pod keeps the client's address (local-…),
    another drops the traffic through no-endpoint-nodeports."""
    web.scale("web", 1)
    web.advance(5)
    (pod,) = web.pods()
    service(web, type="NodePort", ports=[{"port": 80, "nodePort": 30080}])
    web.set_proxy_mode("nftables")
    other = next(n.name for n in web.nodes() if n.name != pod.spec.node_name)
    conn = web.connect("external", f"node/{other}", 30080)
    kernel = [h for h in conn.hops if h.vertex == f"kernel:{other}"][:3]  # then the VXLAN packet, if any
    assert [h.device for h in kernel] == ["nftables nat-prerouting", "routing table", "nftables nat-postrouting"]
    assert f"nat-prerouting → services → @service-nodeports → external-{WEB} → service-{WEB} → endpoint-" in \
        kernel[0].note
    assert f"masquerade fully-random: source {EXTERNAL} → " in kernel[2].note and conn.ok
    service(web, type="NodePort", externalTrafficPolicy="Local", ports=[{"port": 80, "nodePort": 30080}])
    t = web.traffic("external", f"node/{pod.spec.node_name}", 30080, requests=300)
    assert t.served == {pod.key: 300}
    conn = web.connect("external", f"node/{pod.spec.node_name}", 30080)
    assert conn.ok and conn.reason.endswith(f"it sees the client as {EXTERNAL}")
    assert f"external-{WEB} → local-{WEB} → endpoint-" in "".join(h.note for h in conn.hops)
    t = web.traffic("external", f"node/{other}", 30080, requests=300)
    assert t.failed == 300
    (reason,) = t.reasons
    assert f"has no local endpoints on {other}" in reason and "times out" in reason
    conn = web.connect("external", f"node/{other}", 30080)
    assert conn.failure == "timeout" and conn.hops[-1].note.endswith(
        'filter-input → nodeport-endpoints-check → @no-endpoint-nodeports: tcp . 30080 comment "default/web" : drop')


def test_internal_traffic_policy_local_drops_where_no_endpoint_runs(spread):
    """internalTrafficPolicy Local: a client reaches its own node's endpoint (local-…); a node
    without one drops the packet (no-endpoint-services: drop)."""
    ip = service(spread, internalTrafficPolicy="Local").spec.cluster_ip
    client = on(spread, "minikube-m02")
    t = spread.traffic(client.key, ip, 80, requests=100)
    assert t.served == {client.key: 100}
    spread.scale("web", 1)
    spread.advance(5)
    (left,) = spread.pods()
    other = next(n.name for n in spread.nodes() if n.name != left.spec.node_name)
    conn = spread.connect(f"node/{other}", ip, 80)
    assert conn.failure == "timeout" and "no-endpoint-services map drops the packet" in conn.reason
    assert conn.hops[-1].note.endswith(f'{ip} . tcp . 80 comment "default/web" : drop')


def test_session_affinity_pins_a_client_and_expires(spread):
    """ClientIP affinity: the endpoint chain records the client in its affinity set, and the
    Service's chain sends it back there while the element lives (timeoutSeconds)."""
    ip = service(spread, sessionAffinity="ClientIP",
                 sessionAffinityConfig={"clientIP": {"timeoutSeconds": 10}}).spec.cluster_ip
    first = spread.traffic("node/minikube", ip, 80, requests=1000)
    assert len(first.served) == 1
    again = spread.traffic("node/minikube", ip, 80, requests=1000)
    assert again.served.keys() == first.served.keys()
    (pod,) = [p for p in spread.pods() if p.key in first.served]
    listed = spread.nft("minikube")
    aff = "affinity-" + chains.nft_endpoint_base("default", "web", "TCP", "", f"{pod.status.pod_ip}:80")
    assert f"\tset {aff} {{\n\t\ttype ipv4_addr\n\t\tflags dynamic,timeout\n\t\ttimeout 10s\n" \
           f"\t\telements = {{ 192.168.49.2 expires 10s }}\n\t}}" in listed
    spread.advance(4)
    assert "192.168.49.2 expires 6s }" in spread.nft("minikube")
    t = spread.traffic("node/minikube", ip, 80, requests=300, duration=3300)
    assert len(t.served) == 3


def test_a_clusterip_port_without_a_rule_is_rejected_and_an_unallocated_one_dropped(spread):
    """cluster-ips-check: a ClusterIP's undeclared port is rejected (refused at once, where the
    iptables mode lets it time out), an address of the Service range that no Service has is
    dropped (times out)."""
    ip = spread.get("Service", "web").spec.cluster_ip
    conn = spread.connect("node/minikube", ip, 8080)
    assert conn.failure == "refused" and "cluster-ips-check chain rejects" in conn.reason
    conn = spread.connect(on(spread, "minikube").key, "10.96.200.200", 80)
    assert conn.failure == "timeout" and "drops traffic to unallocated ClusterIPs" in conn.reason
    conn = spread.connect("external", ip, 8080)
    assert conn.failure == "timeout"


def test_switching_modes_back_and_forth_changes_nothing_else(spread):
    """Switching kube-proxy between iptables and nftables and back restores the same rules, the
    same routing and the same declared state; only the rules each mode writes change."""
    ip = spread.get("Service", "web").spec.cluster_ip
    nft_rules = spread.nft("minikube")
    nft_state = spread.state()
    spread.set_proxy_mode("iptables")
    spread.set_proxy_mode("nftables")
    assert spread.state() == nft_state
    spread.set_proxy_mode("iptables")
    ipt_rules = spread.iptables("minikube")
    ipt_state = spread.state()
    assert "KUBE-SVC-LOLE4ISW44XBNF3G" in ipt_rules and nft_state != ipt_state
    for mode in ("nftables", "ipvs", "iptables", "nftables"):
        spread.set_proxy_mode(mode)
    assert spread.nft("minikube") == nft_rules
    spread.set_proxy_mode("iptables")
    assert spread.iptables("minikube") == ipt_rules
    spread.set_proxy_mode("nftables")
    t = spread.traffic("node/minikube", ip, 80, requests=3000)
    assert t.failed == 0 and len(t.served) == 3
    assert {k for k, v in spread.state().items() if v != nft_state[k]} <= {"api", "proxy_rng", "proxy_mode"}


def test_ipvs_is_deprecated_where_it_shows(spread):
    """kube-proxy in IPVS mode (deprecated since 1.35) records a Warning event IPVSDeprecation on
    its Node with the message it logs, on every node and on nodes that join later; the hops say
    IPVS is deprecated."""
    spread.set_proxy_mode("ipvs")
    for node in spread.nodes():
        (event,) = [e for e in spread.events.for_object("Node", node.metadata.uid) if e.reason == "IPVSDeprecation"]
        assert (event.type, event.message, event.source) == ("Warning", IPVS_DEPRECATION, "kube-proxy")
    assert IPVS_DEPRECATION == ("The ipvs proxier is now deprecated and may be removed in a future release. "
                                "Please use 'nftables' instead.")
    joined = spread.add_node()
    assert [e.reason for e in spread.events.for_object("Node", joined.metadata.uid)].count("IPVSDeprecation") == 1
    assert "Warning   IPVSDeprecation" in spread.kubectl("describe node minikube")
    conn = spread.connect("node/minikube", spread.get("Service", "web").spec.cluster_ip, 80)
    assert any(h.note.startswith("kube-proxy (IPVS, deprecated): virtual server") for h in conn.hops)
    fresh = kitlib.Cluster(nodes=1, proxy_mode="ipvs")
    assert [e.reason for e in fresh.events.all()].count("IPVSDeprecation") == 1
    assert not [e for e in kitlib.Cluster(nodes=1, proxy_mode="nftables").events.all()
                if e.reason == "IPVSDeprecation"]
