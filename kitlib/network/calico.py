"""Calico, the pod network of ``minikube start --cni=calico``: its IPAM, its interfaces and routes,
and where its Felix agent drops a packet that NetworkPolicy does not allow.

kitlib follows the manifest minikube ships (``pkg/minikube/cni/calico.yaml``, Calico
:data:`VERSION`; the images in ``pkg/minikube/bootstrapper/images/images.go``, ``calicoVersion``):

* **IPAM** (``calico-ipam``, ``libcalico-go/lib/ipam``): the pool is the cluster CIDR
  (10.244.0.0/16: ``CALICO_IPV4POOL_CIDR`` is left commented out, so calico-node takes kubeadm's
  ``--cluster-cidr``), cut into /26 blocks. A node claims a block with affinity to it; which block
  comes from ``randomBlockGenerator``: Go's ``math/rand`` seeded with the FNV-32 hash of the node's
  name picks a starting block, then the blocks are walked in order, skipping claimed ones. So
  ``minikube`` gets 10.244.120.64/26 and ``minikube-m02`` 10.244.205.192/26 on every cluster
  (:data:`FIRST_BLOCK`, computed once from that generator). Within a block the first free ordinal
  is handed out; a released one goes to the end of the free list, so it comes back last. The
  first address of a node's first block is its ``tunl0`` address (calico-node's
  ``allocateip``, handle ``ipip-tunnel-addr-<node>``), so the first pod gets ``.65``. The
  nodes' ``spec.podCIDR`` is still set by the controller manager and Calico ignores it.
* **Interfaces**: a pod's eth0 is one end of a veth pair whose host end is
  ``cali`` + the first 11 hex digits of SHA-1(``namespace.pod``) (``VethNameForWorkload``); there
  is no bridge. The pod's default route is via ``169.254.1.1``, an address nothing has: the host
  end answers ARP for it by proxy ARP. The node routes each local pod's /32 to its veth.
* **Between nodes**: ``CALICO_IPV4POOL_IPIP=Always`` (VXLAN ``Never``): each other node's block
  is routed by BIRD ``via <node IP> dev tunl0 onlink`` and the packet is wrapped in IP-in-IP
  (protocol 4). The pool has ``natOutgoing``: a pod's packet leaving the pools is masqueraded.
* **Policy**: Felix's filter chains ``cali-fw-<veth>`` (from the workload: its egress policy) and
  ``cali-tw-<veth>`` (to the workload: its ingress policy) end with "Drop if no policies passed
  packet". The host's own traffic to a local workload is not policed (``rules/static.go``,
  ``filterOutputChain``: "We don't currently police host -> endpoint according to the endpoint's
  ingress policy"), and ``FELIX_DEFAULTENDPOINTTOHOSTACTION=ACCEPT`` in the manifest lets a
  workload reach its host once its egress policy allows it.
"""

from __future__ import annotations

import hashlib
import ipaddress
from dataclasses import dataclass, field

VERSION = "v3.32.1"
"""The Calico release of minikube's manifest (``calicoVersion`` in ``images.go``)."""
NODE_IMAGE = f"quay.io/calico/node:{VERSION}"
CNI_IMAGE = f"quay.io/calico/cni:{VERSION}"
KUBE_CONTROLLERS_IMAGE = f"quay.io/calico/kube-controllers:{VERSION}"
BLOCK_PREFIX = 26
"""The pool's ``blockSize`` (Calico's default for IPv4)."""
GATEWAY = "169.254.1.1"
"""The pods' default gateway, answered by proxy ARP on the host end of their veth."""
TUNNEL = "tunl0"
NAT_OUTGOING = ("-A cali-nat-outgoing -m set --match-set cali40masq-ipam-pools src "
                "-m set ! --match-set cali40all-ipam-pools dst -j MASQUERADE --random-fully")
"""Felix's rule for the pool's ``natOutgoing`` (``rules/nat.go``)."""

FIRST_BLOCK: tuple[int, ...] = (
    481, 823, 604, 238, 596, 475, 966, 958, 171, 128, 540, 624, 310, 960, 101, 973,
    7, 282, 173, 505, 480, 288, 673, 220, 896, 510, 514, 793, 140, 191, 962, 861,
    56, 314, 190, 952, 323, 708, 328, 673, 57, 793, 519, 205, 156, 714, 34, 556,
    33, 760, 610, 871, 625, 995, 862, 868, 733, 633, 846, 286, 801, 541, 920, 410,
    720, 482, 26, 47, 437, 1019, 928, 1010, 213, 112, 184, 470, 131, 239, 216, 252,
    986, 96, 597, 473, 117, 343, 499, 582, 344, 179, 240, 788, 815, 737, 810, 313,
    564, 158, 148,
)
"""The starting block index of ``randomBlockGenerator`` in a pool of 1,024 /26 blocks (the
10.244.0.0/16 pool) for the nodes ``minikube``, ``minikube-m02``, ... ``minikube-m99``: Go's
``rand.New(rand.NewSource(int64(fnv32(name))))`` then ``big.Int.Rand(r, 1024)``, computed once
with Go's generator (kitlib does not carry Go's generator)."""


def veth_name(namespace: str, pod: str) -> str:
    """The host end of a pod's veth (``VethNameForWorkload``, ``FELIX_INTERFACEPREFIX`` unset).

    >>> veth_name("default", "web")
    'cali68caf03a5f4'
    """
    return "cali" + hashlib.sha1(f"{namespace}.{pod}".encode()).hexdigest()[:11]


def _fnv32(text: str) -> int:
    h = 2166136261
    for b in text.encode():
        h = (h * 16777619) & 0xFFFFFFFF
        h ^= b
    return h


def first_block(node: str, cluster: str, blocks: int) -> int:
    """Where ``randomBlockGenerator`` starts for ``node`` in a pool of ``blocks`` blocks.

    For minikube's node names in the 10.244.0.0/16 pool, the value Calico computes
    (:data:`FIRST_BLOCK`); otherwise (another cluster name or pool size) kitlib's stand-in: the
    node name's FNV-32 hash modulo the number of blocks.

    >>> first_block("minikube", "minikube", 1024), first_block("minikube-m02", "minikube", 1024)
    (481, 823)
    """
    if blocks == 1024 and cluster == "minikube":
        if node == cluster:
            return FIRST_BLOCK[0]
        suffix = node.removeprefix(cluster + "-m")
        if suffix.isdigit() and 2 <= int(suffix) <= len(FIRST_BLOCK):
            return FIRST_BLOCK[int(suffix) - 1]
    return _fnv32(node) % blocks


@dataclass
class Block:
    """One /26 block with affinity to a node: its base address and free ordinals in Calico's order."""

    base: int
    node: str
    free: list[int] = field(default_factory=lambda: list(range(1 << (32 - BLOCK_PREFIX))))

    @property
    def cidr(self) -> str:
        """The block as ``a.b.c.d/26``."""
        return f"{ipaddress.IPv4Address(self.base)}/{BLOCK_PREFIX}"


class Pool:
    """The IP pool (the cluster CIDR) and its blocks, shared by every node (Calico's IPAM lives in the datastore)."""

    def __init__(self, cidr: str, cluster: str) -> None:
        net = ipaddress.ip_network(cidr)
        self.cidr = cidr
        self.cluster = cluster
        self.base = int(net.network_address)
        self.count = max(1, net.num_addresses >> (32 - BLOCK_PREFIX))
        self.blocks: dict[int, Block] = {}
        """Claimed blocks by index."""
        self.tunnel: dict[str, str] = {}
        """Each node's tunl0 address."""

    def node(self, name: str) -> NodeBlocks:
        """The IPAM of node ``name``; this claims its first block and takes its tunl0 address."""
        ipam = NodeBlocks(self, name)
        tunnel = ipam.allocate()
        if tunnel is not None:
            self.tunnel[name] = tunnel
        return ipam

    def claim(self, node: str) -> Block | None:
        """A new block for ``node``: from its random start, the first unclaimed one (``findUnclaimedBlock``)."""
        start = first_block(node, self.cluster, self.count)
        for i in range(self.count):
            index = (start + i) % self.count
            if index not in self.blocks:
                block = Block(self.base + (index << (32 - BLOCK_PREFIX)), node)
                self.blocks[index] = block
                return block
        return None

    def release_node(self, node: str) -> None:
        """The node is gone: calico-kube-controllers' node controller frees its blocks."""
        for index in [i for i, b in self.blocks.items() if b.node == node]:
            del self.blocks[index]
        self.tunnel.pop(node, None)

    def block_of(self, ip: str) -> Block | None:
        """The claimed block holding ``ip``, or None."""
        value = int(ipaddress.IPv4Address(ip))
        return self.blocks.get((value - self.base) >> (32 - BLOCK_PREFIX)) if value >= self.base else None

    def owner(self, ip: str) -> str | None:
        """The node whose block holds ``ip`` (where Calico routes it), or None."""
        block = self.block_of(ip)
        return block.node if block else None

    def state(self) -> dict[str, object]:
        """The pool as plain values (for :meth:`kitlib.runtime.Runtime.state`)."""
        return {"blocks": {i: (b.node, list(b.free)) for i, b in sorted(self.blocks.items())},
                "tunnel": dict(sorted(self.tunnel.items()))}


class NodeBlocks:
    """One node's addresses from its affine blocks, shaped like :class:`kitlib.network.ipam.HostLocal`."""

    def __init__(self, pool: Pool, node: str) -> None:
        self.pool = pool
        self.node = node
        self.in_use: set[int] = set()
        self.last_reserved: int | None = None  # host-local's cursor; calico-ipam keeps none

    def allocate(self) -> str | None:
        """The first free ordinal of the node's first block with room, claiming a new block when all are full."""
        mine = sorted((b for b in self.pool.blocks.values() if b.node == self.node), key=lambda b: b.base)
        block = next((b for b in mine if b.free), None) or self.pool.claim(self.node)
        if block is None:
            return None
        value = block.base + block.free.pop(0)
        self.in_use.add(value)
        return str(ipaddress.IPv4Address(value))

    def release(self, ip: str) -> None:
        """Give ``ip`` back to its block, at the end of the free list."""
        value = int(ipaddress.IPv4Address(ip))
        block = self.pool.block_of(ip)
        if value in self.in_use and block is not None:
            self.in_use.discard(value)
            block.free.append(value - block.base)
