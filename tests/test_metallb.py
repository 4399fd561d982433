"""LoadBalancer Services: pending on a bare cluster, addresses from MetalLB (layer 2) once it is
installed, and the node that answers for each address."""

from __future__ import annotations

import hashlib

import pytest

import kitlib

POOL = "192.168.49.200-192.168.49.250"


def lb(cluster, name="web", annotations=None, **spec):
    body = {"type": "LoadBalancer", "selector": {"app": "web"}, "ports": [{"port": 80}], **spec}
    meta = {"name": name, **({"annotations": annotations} if annotations else {})}
    cluster.apply({"apiVersion": "v1", "kind": "Service", "metadata": meta, "spec": body})
    return cluster.get("Service", name)


def ingress(cluster, name="web"):
    return [i.ip for i in cluster.get("Service", name).status.load_balancer.ingress]


def events(cluster, name="web"):
    svc = cluster.get("Service", name)
    return [(e.reason, e.message, e.source) for e in cluster.events.for_object("Service", svc.metadata.uid)]


def test_without_a_load_balancer_the_external_ip_stays_pending(web):
    """On a bare-metal cluster nothing assigns LoadBalancer addresses: EXTERNAL-IP is <pending>,
    though the NodePort part works."""
    svc = lb(web)
    assert ingress(web) == []
    line = next(x for x in web.kubectl("get svc").splitlines() if x.startswith("web "))
    assert "<pending>" in line
    node_port = svc.spec.ports[0].node_port
    assert web.traffic("external", "node/minikube", node_port, requests=10).failed == 0


def test_metallb_assigns_the_first_free_address(web):
    """MetalLB's controller gives each LoadBalancer the lowest free address of its pool and writes
    it to status.loadBalancer.ingress (ipMode VIP); kubectl shows it as EXTERNAL-IP."""
    lb(web)
    web.enable_addon("metallb", addresses=POOL)
    (ing,) = web.get("Service", "web").status.load_balancer.ingress
    assert (ing.ip, ing.ip_mode) == ("192.168.49.200", "VIP")
    lb(web, "web2")
    assert ingress(web, "web2") == ["192.168.49.201"]
    assert "192.168.49.201" in web.kubectl("get svc web2")
    reasons = events(web)
    assert ("IPAllocated", 'Assigned IP ["192.168.49.200"]', "metallb-controller") in reasons
    assert any(r == "nodeAssigned" and m.endswith('with protocol "layer2"') for r, m, _ in reasons)


def test_a_cidr_pool_starts_at_its_first_address(web):
    """A CIDR pool is handed out from its first address (MetalLB does not skip .0 unless told to)."""
    web.enable_addon("metallb", addresses="192.168.49.192/28")
    lb(web)
    assert ingress(web) == ["192.168.49.192"]


def test_a_requested_address_is_honoured(web):
    """spec.loadBalancerIP or the metallb.universe.tf/loadBalancerIPs annotation picks the address."""
    web.enable_addon("metallb", addresses=POOL)
    lb(web, loadBalancerIP="192.168.49.230")
    assert ingress(web) == ["192.168.49.230"]
    lb(web, "web2", annotations={"metallb.universe.tf/loadBalancerIPs": "192.168.49.231"})
    assert ingress(web, "web2") == ["192.168.49.231"]


def test_an_address_outside_the_pool_or_taken_stays_pending(web):
    """A requested address MetalLB cannot give leaves the Service pending, with a Warning event."""
    web.enable_addon("metallb", addresses=POOL)
    lb(web, loadBalancerIP="10.0.0.5")
    assert ingress(web) == []
    assert ("AllocationFailed", 'Failed to allocate IP for "default/web": "10.0.0.5" is not allowed in config',
            "metallb-controller") in events(web)
    lb(web, "a", loadBalancerIP="192.168.49.210")
    lb(web, "b", loadBalancerIP="192.168.49.210")
    assert ingress(web, "b") == []
    assert any(m.endswith('address also in use by default/a') for _, m, _ in events(web, "b"))


def test_an_exhausted_pool_leaves_services_pending_until_an_address_frees(web):
    """When the pool is empty new Services wait; deleting one that holds an address lets the next
    one have it."""
    web.enable_addon("metallb", addresses="192.168.49.200-192.168.49.201")
    for name in ("a", "b", "c"):
        lb(web, name)
    assert [ingress(web, n) for n in ("a", "b", "c")] == [["192.168.49.200"], ["192.168.49.201"], []]
    assert ("AllocationFailed", 'Failed to allocate IP for "default/c": no available IPs',
            "metallb-controller") in events(web, "c")
    web.delete("Service", "a")
    assert ingress(web, "c") == ["192.168.49.200"]


def test_an_address_is_released_when_the_service_stops_being_a_load_balancer(web):
    """Switching a LoadBalancer back to ClusterIP gives its address back to the pool."""
    web.enable_addon("metallb", addresses=POOL)
    lb(web)
    web.apply({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web"},
               "spec": {"selector": {"app": "web"}, "ports": [{"port": 80}]}})
    assert ingress(web) == [] and web.addons["metallb"].allocated == {}
    lb(web, "web2")
    assert ingress(web, "web2") == ["192.168.49.200"]


def test_one_node_announces_each_address(web):
    """Layer 2: the speakers elect one node per address, the one whose sha256(node#ip) sorts
    first among the nodes not excluded from external load balancers (minikube's control plane
    is); outside traffic to the address enters the cluster there."""
    web.enable_addon("metallb", addresses=POOL)
    lb(web)
    ip = "192.168.49.200"
    expected = min((n.name for n in web.nodes() if n.name != "minikube"), key=lambda n: hashlib.sha256(f"{n}#{ip}".encode()).digest())
    t = web.traffic("external", ip, 80, requests=900)
    assert t.entry_nodes == {expected: 900} and t.kind == "LoadBalancer" and t.service == "default/web"
    assert t.failed == 0 and len(t.served) == 3
    assert ("nodeAssigned", f'announcing from node "{expected}" with protocol "layer2"', "metallb-speaker") \
        in events(web)
    conn = web.connect("external", ip, 80)
    assert any(f"MetalLB's speaker on {expected} answers ARP" in h.note for h in conn.hops)


def test_local_policy_is_announced_from_a_node_with_an_endpoint(web):
    """externalTrafficPolicy Local: only nodes with a ready endpoint announce, so outside traffic
    reaches a local pod and keeps the client's address."""
    web.scale("web", 1)
    web.advance(5)
    (pod,) = web.pods()
    web.enable_addon("metallb", addresses=POOL)
    lb(web, externalTrafficPolicy="Local")
    t = web.traffic("external", "192.168.49.200", 80, requests=100)
    assert t.entry_nodes == {pod.spec.node_name: 100} and t.served == {pod.key: 100}
    conn = web.connect("external", "192.168.49.200", 80)
    assert conn.reason.endswith("it sees the client as 192.168.49.1")


def test_another_node_takes_over_when_the_announcer_fails(web):
    """If the announcing node stops answering, another speaker announces the address."""
    web.enable_addon("metallb", addresses=POOL)
    lb(web)
    first = next(iter(web.traffic("external", "192.168.49.200", 80, requests=1).entry_nodes))
    web.fail_node(first)
    second = next(iter(web.traffic("external", "192.168.49.200", 80, requests=1).entry_nodes))
    assert second != first


def test_nobody_announces_a_service_without_endpoints(web):
    """With no ready endpoint no speaker answers ARP: the outside client gets 'No route to host'."""
    web.enable_addon("metallb", addresses=POOL)
    lb(web, selector={"app": "nothing"})
    assert ingress(web) == ["192.168.49.200"]
    t = web.traffic("external", "192.168.49.200", 80, requests=5)
    assert t.failed == 5 and "No route to host" in next(iter(t.reasons))
    # From inside, kube-proxy short-circuits the LoadBalancer IP: the REJECT answers at once.
    assert "has no endpoints" in web.connect("node/minikube", "192.168.49.200", 80).reason


def test_pods_reach_a_load_balancer_ip_through_their_own_node(web):
    """A pod dialling a LoadBalancer IP never leaves its node as such: its own kube-proxy DNATs it."""
    web.enable_addon("metallb", addresses=POOL)
    lb(web)
    client = web.pods()[0]
    t = web.traffic(client.key, "192.168.49.200", 80, requests=30)
    assert t.entry_nodes == {client.spec.node_name: 30} and t.failed == 0


def test_disabling_metallb_makes_services_pending_again(web):
    """Without MetalLB the addresses are gone and EXTERNAL-IP is <pending> again."""
    web.enable_addon("metallb", addresses=POOL)
    lb(web)
    web.disable_addon("metallb")
    assert ingress(web) == [] and "metallb" not in web.addons
    lb(web, "web2")
    assert ingress(web, "web2") == []


def test_addon_errors(web, snapshot):
    """Unknown add-ons, bad pools and disabling what is not enabled are refused, changing nothing."""
    lb(web)
    before = snapshot(web)
    with pytest.raises(kitlib.BadRequest, match='"traefik" is not a valid addon: the addons kitlib has are "gateway", "ingress", "metallb"'):
        web.enable_addon("traefik")
    with pytest.raises(kitlib.BadRequest, match='invalid address range "192.168.49.250-192.168.49.200"'):
        web.enable_addon("metallb", addresses="192.168.49.250-192.168.49.200")
    with pytest.raises(kitlib.BadRequest, match="metallb needs addresses"):
        web.enable_addon("metallb")
    with pytest.raises(kitlib.BadRequest, match='addon "metallb" is not enabled'):
        web.disable_addon("metallb")
    assert snapshot(web) == before and web.addons == {}
    web.enable_addon("metallb", addresses=POOL)
    with pytest.raises(kitlib.BadRequest, match='service "default/web" cannot own "192.168.49.200" under new config'):
        web.enable_addon("metallb", addresses="192.168.49.220-192.168.49.230")
    assert ingress(web) == ["192.168.49.200"]
