"""Address management: podCIDRs per node and host-local IPAM inside each."""

from __future__ import annotations

import ipaddress

import pytest

from kitlib.api.addresses import in_cidr, is_ip
from kitlib.apiserver.allocators import RangeAllocator
from kitlib.network.ipam import HostLocal, node_network_ip


def test_range_allocator_hands_out_consecutive_pod_cidrs():
    """The node IPAM controller carves /24s out of 10.244.0.0/16 in registration order."""
    alloc = RangeAllocator("10.244.0.0/16", 24)
    assert [alloc.next() for _ in range(3)] == ["10.244.0.0/24", "10.244.1.0/24", "10.244.2.0/24"]


def test_node_network_ip_skips_the_gateway():
    """On minikube's docker network .1 is the gateway; the first node is .2."""
    assert [node_network_ip("192.168.49.0/24", i) for i in range(3)] == [
        "192.168.49.2", "192.168.49.3", "192.168.49.4"]


def test_host_local_starts_at_two():
    """host-local skips the network address and the gateway .1 (cni0): the first pod gets .2."""
    ipam = HostLocal("10.244.1.0/24")
    assert ipam.gateway == "10.244.1.1"
    assert [ipam.allocate() for _ in range(3)] == ["10.244.1.2", "10.244.1.3", "10.244.1.4"]


def test_host_local_does_not_reuse_a_freed_ip_at_once():
    """host-local continues after the last address it reserved, so a freed IP comes back only
    after the range wraps around."""
    ipam = HostLocal("10.244.0.0/24")
    first = ipam.allocate()
    ipam.release(first)
    assert ipam.allocate() == "10.244.0.3"


def test_host_local_wraps_around_and_fills_up():
    """The range is .2 to .254 (253 pods); after the last one it wraps to the lowest free address,
    and when all are taken allocation fails."""
    ipam = HostLocal("10.244.0.0/24")
    ips = [ipam.allocate() for _ in range(253)]
    assert ips[0] == "10.244.0.2" and ips[-1] == "10.244.0.254"
    assert len(set(ips)) == 253
    assert ipam.allocate() is None
    ipam.release("10.244.0.7")
    ipam.release("10.244.0.5")
    assert ipam.allocate() == "10.244.0.5"
    assert ipam.allocate() == "10.244.0.7"


def test_address_helpers():
    """in_cidr and is_ip answer False for text that is not an address."""
    assert in_cidr("10.244.3.9", "10.244.0.0/16")
    assert not in_cidr("192.168.49.2", "10.244.0.0/16")
    assert not in_cidr("web", "10.244.0.0/16")
    assert is_ip("10.96.0.1") and not is_ip("default/web")


def test_pod_ips_come_from_their_nodes_pod_cidr(web):
    """Each pod's IP lies in its node's podCIDR, starting at .2; podIPs repeats podIP, and hostIP
    is the node's InternalIP."""
    web.scale("web", 6)
    web.advance(10)
    seen = set()
    for pod in web.pods():
        node = web.get("Node", pod.spec.node_name)
        net = ipaddress.ip_network(node.spec.pod_cidr)
        ip = ipaddress.ip_address(pod.status.pod_ip)
        assert ip in net and int(ip) - int(net.network_address) >= 2
        assert [p.ip for p in pod.status.pod_ips] == [pod.status.pod_ip]
        assert pod.status.host_ip == node.status.addresses[0].address
        seen.add(pod.status.pod_ip)
    assert len(seen) == 6
    # CoreDNS came first on minikube and holds .2; the web pods follow it.
    # The host-network system pods take no pod IP.
    assert sorted(p.status.pod_ip for p in web.pods_on("minikube") if not p.spec.host_network) == [
        "10.244.0.2", "10.244.0.3", "10.244.0.4"]
    assert web.list("Pod", "kube-system", "k8s-app=kube-dns")[0].status.pod_ip == "10.244.0.2"


def test_replacement_pod_gets_a_new_ip(web):
    """A pod that replaces a deleted one on the same node gets the next address, not the freed one."""
    victim = web.pods("default")[0]
    assert (victim.spec.node_name, victim.status.pod_ip) == ("minikube-m02", "10.244.1.2")
    web.delete("Pod", victim.name)
    web.advance(10)
    (replacement,) = [p for p in web.pods_on("minikube-m02") if p.namespace == "default"]
    assert replacement.name != victim.name
    assert replacement.status.pod_ip == "10.244.1.3"


def test_ip_is_released_when_the_pod_is_gone(web):
    """The kubelet frees a pod's IP once the pod is removed, not while it is Terminating."""
    victim = web.pods_on("minikube")[0]
    ipam = web.node_runtime("minikube").ipam
    as_int = int(ipaddress.ip_address(victim.status.pod_ip))
    web.delete("Pod", victim.name)
    assert as_int in ipam.in_use
    web.advance(5)
    assert as_int not in ipam.in_use


@pytest.mark.parametrize("nodes", [1, 4])
def test_pod_cidrs_follow_node_count(nodes):
    """Every node of an N-node cluster has its own /24."""
    import kitlib

    c = kitlib.Cluster(nodes=nodes)
    assert [n.spec.pod_cidr for n in c.nodes()] == [f"10.244.{i}.0/24" for i in range(nodes)]
