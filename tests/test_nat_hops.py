"""Where NAT happens on a Service connection, hop by hop, in netfilter's order.

A forwarded packet meets nat PREROUTING (kube-proxy's DNAT: the destination changes), then the
routing decision for the new destination, then nat POSTROUTING (MASQUERADE of what kube-proxy
marked: the source becomes the address of the interface it leaves by). A packet the node sends
itself is routed first (its socket's route), then meets nat OUTPUT (DNAT), is routed again and
meets POSTROUTING. In IPVS mode iptables only marks: the Service address is local (kube-ipvs0), so
the packet is delivered to INPUT, where IPVS rewrites the destination. Sources:
pkg/proxy/iptables/proxier.go, pkg/proxy/nftables/proxier.go, pkg/proxy/ipvs/proxier.go.
"""

from __future__ import annotations

import pytest

import kitlib

EXTERNAL = "192.168.49.1"


def nodeport(cluster, name="web", node_port=30080, **spec):
    cluster.apply({"apiVersion": "v1", "kind": "Service", "metadata": {"name": name},
                   "spec": {"type": "NodePort", "selector": {"app": "web"},
                            "ports": [{"port": 80, "nodePort": node_port}], **spec}})
    return cluster.get("Service", name)


def at(conn, node, n):
    """(device, src, dst) of the first ``n`` hops in ``node``'s kernel (one pass through it)."""
    return [(h.device, h.src, h.dst) for h in conn.hops if h.vertex == f"kernel:{node}"][:n]


def pod_on(cluster, node):
    return next(p for p in cluster.pods() if p.spec.node_name == node)


def test_dnat_before_routing_and_masquerade_after_it(web):
    """externalTrafficPolicy Cluster, from outside: PREROUTING rewrites the destination (the source
    is still the client's), the route is chosen for the pod, and only POSTROUTING rewrites the
    source, to the address of the device the packet leaves by (cni0 towards a local pod)."""
    nodeport(web)
    pod = pod_on(web, "minikube-m03")
    for _ in range(60):
        conn = web.connect("external", "node/minikube-m03", 30080)
        if conn.pod == pod.key:
            break
    ip = pod.status.pod_ip
    assert conn.ok and at(conn, "minikube-m03", 3) == [
        ("iptables nat PREROUTING", EXTERNAL, ip),
        ("routing table", EXTERNAL, ip),
        ("iptables nat POSTROUTING", "10.244.2.1", ip)]
    nat, routed, post = [h for h in conn.hops if h.vertex == "kernel:minikube-m03"]
    assert "DNAT 192.168.49.4:30080 → " in nat.note and nat.note.endswith(
        "; KUBE-MARK-MASQ marks it for SNAT in POSTROUTING (externalTrafficPolicy Cluster, so that the reply "
        "comes back through this node)")
    assert routed.note == "route 10.244.2.0/24 dev cni0"
    assert post.note == ("kube-proxy: KUBE-POSTROUTING: marked 0x4000/0x4000 (KUBE-MARK-MASQ), so MASQUERADE: "
                         f"source {EXTERNAL} → 10.244.2.1, the address of cni0, the interface it leaves by")
    assert [h.device for h in conn.hops[-3:]] == ["cni0", conn.hops[-2].device, pod.name]


def test_local_policy_rewrites_no_source(web):
    """externalTrafficPolicy Local: KUBE-SVL-… does not mark, so POSTROUTING keeps the client's address."""
    nodeport(web, externalTrafficPolicy="Local")
    pod = pod_on(web, "minikube")
    conn = web.connect("external", "node/minikube", 30080)
    ip = pod.status.pod_ip
    assert at(conn, "minikube", 3) == [("iptables nat PREROUTING", EXTERNAL, ip), ("routing table", EXTERNAL, ip),
                                       ("iptables nat POSTROUTING", EXTERNAL, ip)]
    assert conn.hops[5].note == (f"kube-proxy: KUBE-POSTROUTING: not marked (externalTrafficPolicy Local keeps the "
                                 f"client's address), RETURN: the source {EXTERNAL} is kept")
    assert conn.hops[-1].src == EXTERNAL and "KUBE-MARK-MASQ" not in conn.hops[3].note


def test_the_node_itself_goes_through_output(web):
    """From the node: the socket's route picks the source (eth0's address), nat OUTPUT DNATs and
    marks, the packet is routed again for the pod, and POSTROUTING masquerades it to flannel.1's."""
    web.apply({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web"},
               "spec": {"selector": {"app": "web"}, "ports": [{"port": 80}]}})
    ip = web.get("Service", "web").spec.cluster_ip
    remote = pod_on(web, "minikube-m02")
    for _ in range(60):
        conn = web.connect("node/minikube", ip, 80)
        if conn.pod == remote.key:
            break
    pod_ip = remote.status.pod_ip
    assert at(conn, "minikube", 4) == [
        ("routing table", "192.168.49.2", ip),
        ("iptables nat OUTPUT", "192.168.49.2", pod_ip),
        ("routing table", "192.168.49.2", pod_ip),
        ("iptables nat POSTROUTING", "10.244.0.0", pod_ip)]
    assert conn.hops[0].note == ("the socket's route: default route via eth0, so the packet leaves with source "
                                 "192.168.49.2")
    assert conn.hops[2].note == "routed again after the DNAT: route 10.244.1.0/24 via 10.244.1.0 dev flannel.1 onlink"
    assert conn.hops[4].device == "flannel.1" and conn.hops[-1].src == "10.244.0.0"


def test_hairpin_is_masqueraded_after_routing(web):
    """A pod reaching itself through its Service: DNAT back to its own address, routed to cni0, and
    masqueraded in POSTROUTING to cni0's address (KUBE-SEP's -s rule marked it)."""
    web.apply({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web"},
               "spec": {"selector": {"app": "web"}, "ports": [{"port": 80}]}})
    ip = web.get("Service", "web").spec.cluster_ip
    pod = pod_on(web, "minikube-m02")
    for _ in range(60):
        conn = web.connect(pod.key, ip, 80)
        if conn.pod == pod.key:
            break
    me = pod.status.pod_ip
    assert at(conn, "minikube-m02", 3) == [("iptables nat PREROUTING", me, me), ("routing table", me, me),
                                           ("iptables nat POSTROUTING", "10.244.1.1", me)]
    assert "(hairpin: the pod reaches itself through its Service)" in conn.hops[3].note


@pytest.mark.parametrize("mode, hooks", [
    ("nftables", ["nftables nat-prerouting", "routing table", "nftables nat-postrouting"]),
    ("ipvs", ["iptables nat PREROUTING", "routing table", "IPVS (INPUT hook)", "routing table",
              "iptables nat POSTROUTING"]),
])
def test_each_proxy_mode_keeps_netfilters_order(web, mode, hooks):
    """nftables: kube-proxy's own base chains at the same hooks. IPVS: KUBE-SERVICES only marks and
    ACCEPTs; the NodePort address is local, so IPVS DNATs in the INPUT hook, then the route to the
    real server and POSTROUTING's MASQUERADE."""
    nodeport(web)
    web.set_proxy_mode(mode)
    conn = web.connect("external", "node/minikube-m03", 30080)
    hops = [h for h in conn.hops if h.vertex == "kernel:minikube-m03"][:len(hooks)]
    assert conn.ok and [h.device for h in hops] == hooks
    dnat = next(i for i, h in enumerate(hops) if h.dst != "192.168.49.4")
    assert all(h.src == EXTERNAL for h in hops[:-1]) and hops[-1].src != EXTERNAL
    assert hops[dnat].device == hooks[0 if mode == "nftables" else 2]
    if mode == "ipvs":
        assert hops[1].note == "192.168.49.4 is a local address (the node's own address): delivered to INPUT"


def test_a_pod_leaving_the_pod_network_is_masqueraded_after_routing(web):
    """flannel's FLANNEL-POSTRTG masquerades a pod's packet to a node address in POSTROUTING, after
    the route to eth0 was chosen."""
    pod = pod_on(web, "minikube")
    conn = web.connect(pod.key, "node/minikube-m02", 10250)
    assert at(conn, "minikube", 2) == [("routing table", pod.status.pod_ip, "192.168.49.3"),
                                       ("iptables nat POSTROUTING", "192.168.49.2", "192.168.49.3")]
    assert conn.hops[4].note.startswith(f"MASQUERADE: source {pod.status.pod_ip} → 192.168.49.2 (flannel, ")


def test_calico_nat_outgoing_is_a_postrouting_hop():
    """Calico: natOutgoing on the pool masquerades a pod's packet to a node in POSTROUTING too."""
    c = kitlib.Cluster(nodes=2, seed=0, cni="calico")
    c.kubectl("create deployment web --image=nginx --replicas=2 --port=80")
    c.advance(30)
    pod = pod_on(c, "minikube")
    conn = c.connect(pod.key, "node/minikube-m02", 10250)
    (routed, post) = [h for h in conn.hops if h.vertex == "kernel:minikube"][:2]
    assert routed.device == "routing table" and routed.src == pod.status.pod_ip
    assert post.device == "iptables nat POSTROUTING" and post.src == "192.168.49.2"
    assert "Calico, natOutgoing on the pool" in post.note


@pytest.mark.parametrize("mode, forward, inbound, output", [
    ("iptables", "iptables filter FORWARD", "iptables filter INPUT", "iptables filter OUTPUT"),
    ("nftables", "nftables filter-forward", "nftables filter-input", "nftables filter-output"),
])
def test_a_service_without_endpoints_is_rejected_after_routing(web, mode, forward, inbound, output):
    """No endpoints: kube-proxy's filter rule rejects the packet after the routing decision, at the
    hook the route leads to: FORWARD for a pod's packet to a ClusterIP (routed on), INPUT for a
    NodePort (a local address), OUTPUT for the node's own packet."""
    nodeport(web, selector={"app": "nothing"})
    web.set_proxy_mode(mode)
    ip = web.get("Service", "web").spec.cluster_ip
    pod = pod_on(web, "minikube")
    cases = [(web.connect(pod.key, ip, 80), forward, "default route via eth0"),
             (web.connect("external", "node/minikube", 30080), inbound, "192.168.49.2 is a local address: to INPUT"),
             (web.connect("node/minikube", ip, 80), output, "the socket's route: default route via eth0")]
    for conn, hook, route in cases:
        assert conn.failure == "refused"
        assert [h.device for h in conn.hops[-2:]] == ["routing table", hook] and conn.hops[-2].note == route
        assert "no endpoints" in conn.hops[-1].note or "@no-endpoint-" in conn.hops[-1].note


def test_ipvs_refuses_in_its_own_hook():
    """IPVS mode: a virtual server without real servers answers in the INPUT hook (OUTPUT for the
    node's own packet), after the routing table found the Service address local (kube-ipvs0)."""
    c = kitlib.Cluster(nodes=2, seed=0)
    c.set_proxy_mode("ipvs")
    c.kubectl("run client --image=nginx")
    c.advance(30)
    c.kubectl("create service clusterip none --tcp=80")
    ip = c.get("Service", "none").spec.cluster_ip
    conn = c.connect("default/client", ip, 80)
    assert [(h.device, h.note) for h in conn.hops[-2:]] == [
        ("routing table", f"{ip} is a local address: to INPUT"),
        ("IPVS (INPUT hook)", f"kube-proxy (IPVS, deprecated): IPVS TCP {ip}:80: no real server")]
    assert c.connect("node/minikube", ip, 80).hops[-1].device == "IPVS (OUTPUT hook)"
