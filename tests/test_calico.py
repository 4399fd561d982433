"""A Calico cluster (``minikube start --cni=calico``, Calico v3.32.1 from minikube's manifest):
calico-ipam's /26 blocks with per-node affinity, ``cali`` veths without a bridge, the
169.254.1.1 gateway by proxy ARP, IP-in-IP between nodes over ``tunl0``, and Calico's system pods.
flannel stays the default, unchanged."""

from __future__ import annotations

import hashlib
import ipaddress

import pytest

import kitlib
from kitlib.errors import InvalidArgument
from kitlib.network import calico

WEB = """
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 4
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: nginx, image: nginx}]
"""


@pytest.fixture(scope="module")
def cluster() -> kitlib.Cluster:
    c = kitlib.Cluster(nodes=3, seed=0, cni="calico")
    c.apply(WEB)
    c.advance(30)
    return c


def _web(c: kitlib.Cluster) -> list:
    return sorted((p for p in c.pods() if p.name.startswith("web-")), key=lambda p: p.name)


def test_blocks_are_claimed_per_node_from_the_pool_as_calico_ipam_picks_them(cluster):
    """randomBlockGenerator seeds Go's math/rand with the FNV-32 hash of the node name: minikube
    claims 10.244.120.64/26 and minikube-m02 10.244.205.192/26 on every cluster; the block's first
    address is the node's tunl0 address, so pods start at the second."""
    pool = cluster.runtime.calico
    assert pool is not None
    claimed = {b.node: b.cidr for b in pool.blocks.values()}
    assert claimed == {"minikube": "10.244.120.64/26", "minikube-m02": "10.244.205.192/26",
                       "minikube-m03": "10.244.151.0/26"}
    assert pool.tunnel == {"minikube": "10.244.120.64", "minikube-m02": "10.244.205.192",
                           "minikube-m03": "10.244.151.0"}
    for p in cluster.pods():
        if p.status.pod_ip and p.status.pod_ip.startswith("10.244."):
            block = ipaddress.ip_network(claimed[p.spec.node_name])
            assert ipaddress.ip_address(p.status.pod_ip) in block
    # The controller manager still gives each node a podCIDR; Calico does not use it.
    node = cluster.get("Node", "minikube")
    assert node.spec.pod_cidr == "10.244.0.0/24"
    coredns = next(p for p in cluster.pods("kube-system") if p.name.startswith("coredns-"))
    assert ipaddress.ip_address(coredns.status.pod_ip) not in ipaddress.ip_network(node.spec.pod_cidr)


def test_a_full_block_makes_the_node_claim_another_and_a_freed_address_comes_back_last():
    """A /26 has 64 addresses; when they are used the node claims the next free block after its
    random start. calico-ipam appends a released ordinal to the block's free list."""
    pool = calico.Pool("10.244.0.0/16", "minikube")
    ipam = pool.node("minikube")  # takes 10.244.120.64 for tunl0
    got = [ipam.allocate() for _ in range(64)]
    assert got[0] == "10.244.120.65" and got[62] == "10.244.120.127"
    assert got[63] == "10.244.120.128"  # block 482, the next after minikube's start 481
    ipam.release("10.244.120.70")
    second = calico.Pool("10.244.0.0/16", "minikube")
    other = second.node("minikube")
    other.allocate()
    other.release("10.244.120.65")
    assert other.allocate() == "10.244.120.66"  # the freed .65 went to the end of the list


def test_each_pods_veth_is_cali_plus_a_hash_of_its_namespace_and_name(cluster):
    """VethNameForWorkload: "cali" + the first 11 hex digits of SHA-1("namespace.pod"); no bridge."""
    pod = _web(cluster)[0]
    want = "cali" + hashlib.sha1(f"default.{pod.name}".encode()).hexdigest()[:11]
    assert cluster.runtime.topology.veth(pod.key) == want
    graph = cluster.runtime.topology.graph
    assert not any(d.get("kind") in ("bridge", "vxlan") for _, d in graph.nodes(data=True))
    assert set(graph[f"veth:{pod.spec.node_name}:{want}"]) == {f"pod:{pod.key}", f"kernel:{pod.spec.node_name}"}


def test_pod_to_pod_across_nodes_goes_through_tunl0_in_ip_in_ip(cluster):
    """The pod's default route is via 169.254.1.1, answered by its cali veth (proxy ARP); the node
    routes the other node's block via that node over tunl0 (IPIP Always), outer packet node IP to
    node IP; the destination node routes the pod's /32 to its veth."""
    pods = _web(cluster)
    a = next(p for p in pods if p.spec.node_name == "minikube-m03")
    b = next(p for p in pods if p.spec.node_name == "minikube-m02")
    conn = cluster.connect(a.key, b.key, 80)
    assert conn.ok, conn.reason
    devices = [h.device for h in conn.hops]
    assert "tunl0" in devices and "cni0" not in devices and "flannel.1" not in devices
    assert "default via 169.254.1.1 dev eth0" in conn.hops[0].note
    assert "answers ARP for the gateway 169.254.1.1 (proxy ARP)" in conn.hops[1].note
    assert conn.hops[2].note == "route 10.244.205.192/26 via 192.168.49.3 dev tunl0 proto bird onlink"
    assert conn.hops[3].note.startswith("IP-in-IP encapsulation (CALICO_IPV4POOL_IPIP=Always)")
    outer = [h for h in conn.hops if h.note.startswith("outer IP-in-IP packet")]
    assert outer and all((h.src, h.dst) == ("192.168.49.4", "192.168.49.3") for h in outer)
    veth = cluster.runtime.topology.veth(b.key)
    assert f"route {b.status.pod_ip} dev {veth} scope link" in [h.note for h in conn.hops]
    assert conn.hops[-1].src == a.status.pod_ip  # no NAT between pods


def test_a_node_reaches_another_nodes_pod_from_its_tunl0_address(cluster):
    """Towards another node's block the kernel picks tunl0's address as the source."""
    pod = next(p for p in _web(cluster) if p.spec.node_name == "minikube-m02")
    conn = cluster.connect("node/minikube", pod.key, 80)
    assert conn.ok and conn.src_ip == "10.244.120.64"


def test_calicos_system_pods_as_minikubes_manifest_runs_them(cluster):
    """calico-node (a host-network DaemonSet, one pod per node) and calico-kube-controllers (a
    Deployment on the pod network) in kube-system; no kube-flannel namespace."""
    out = cluster.kubectl("get pods -A")
    lines = out.splitlines()
    assert sum(line.split()[1].startswith("calico-node-") for line in lines[1:]) == 3
    assert any(line.split()[1].startswith("calico-kube-controllers-") and "Running" in line for line in lines)
    assert "kube-flannel" not in out
    ds = cluster.get("DaemonSet", "calico-node", "kube-system")
    assert ds.spec.template.spec.containers[0].image == "quay.io/calico/node:v3.32.1"
    env = {e["name"]: e.get("value") for e in ds.spec.template.spec.containers[0].extra["env"]}
    assert env["CALICO_IPV4POOL_IPIP"] == "Always" and env["CALICO_IPV4POOL_VXLAN"] == "Never"
    dep = cluster.get("Deployment", "calico-kube-controllers", "kube-system")
    assert dep.spec.template.spec.containers[0].image == "quay.io/calico/kube-controllers:v3.32.1"
    node_pods = [p for p in cluster.pods("kube-system") if p.name.startswith("calico-node-")]
    assert sorted(p.status.pod_ip for p in node_pods) == ["192.168.49.2", "192.168.49.3", "192.168.49.4"]
    assert not [e for e in cluster.api.events.all() if e.reason == "UnknownImage"]


def test_calicos_filter_table_has_no_flannel_chains(cluster):
    """flannel's FLANNEL-FWD and FLANNEL-POSTRTG exist only where flannel runs."""
    assert "FLANNEL" not in cluster.iptables("minikube", table=None)
    assert "FLANNEL-FWD" in kitlib.Cluster(nodes=1, seed=0).iptables("minikube", table="filter")


def test_flannel_stays_the_default_and_other_cnis_are_refused():
    """``Cluster()`` is minikube's --cni=flannel; an unknown CNI fails with kitlib's message."""
    c = kitlib.Cluster(nodes=1, seed=0)
    assert c.cni == "flannel" and c.runtime.calico is None
    with pytest.raises(InvalidArgument, match='unsupported CNI "cilium": kitlib simulates flannel, calico'):
        kitlib.Cluster(nodes=1, cni="cilium")


def test_the_cluster_map_draws_calicos_devices_and_blocks(cluster):
    """On a Calico cluster the map labels tunl0 (no cni0, no flannel.1) and each node's blocks."""
    from kitlib import figures

    pods = _web(cluster)
    fig = figures.cluster_map(cluster, highlight=cluster.connect(pods[0].key, pods[-1].key, 80))
    labels = next(t for t in fig.data if t.name == "labels").text
    assert "<i>tunl0</i>" in labels and "<i>cni0</i>" not in labels and "<i>flannel.1</i>" not in labels
    assert "<b>minikube</b> · Ready<br>192.168.49.2 · pods 10.244.120.64/26" in labels


def test_same_seed_same_calico_cluster_and_a_failed_call_changes_nothing():
    """Calico's blocks and addresses are part of the declared state: equal for equal seeds and
    calls, unchanged by a call that fails; a deleted pod's address is not handed out again first."""
    def build() -> kitlib.Cluster:
        c = kitlib.Cluster(nodes=2, seed=3, cni="calico")
        c.apply(WEB)
        c.advance(30)
        return c

    a, b = build(), build()
    assert a.runtime.state() == b.runtime.state()
    before = a.runtime.state()
    with pytest.raises(kitlib.ApiError):
        a.connect("default/nope", "default/x", 80)
    assert a.runtime.state() == before
    gone = _web(a)[0]
    a.kubectl(f"delete pod {gone.name}")
    a.advance(60)
    assert gone.status.pod_ip not in {p.status.pod_ip for p in a.pods()}
