"""NetworkPolicy semantics: whether a connection is allowed, by which rule, or why not.

Pure: it reads NetworkPolicy objects, pods and namespace labels, nothing of the data path. The
rules are those of the API reference (``k8s.io/api/networking/v1/types.go``) and
https://kubernetes.io/docs/concepts/services-networking/network-policies/:

* **isolation is per direction.** A pod is isolated for egress when a policy with ``Egress`` in its
  ``policyTypes`` selects it, for ingress when one with ``Ingress`` does; a pod no policy selects
  for a direction is not isolated for it and everything is allowed that way.
* **both sides must allow.** A connection needs the sender's egress and the receiver's ingress to
  allow it ("both the egress policy on the source pod and the ingress policy on the destination
  pod need to allow the connection").
* **policies add up.** An isolated pod may take what *any* rule of *any* policy selecting it for
  that direction allows (a union: the order of policies does not matter).
* **peers:** ``podSelector`` alone selects pods of the policy's namespace (empty: all of them);
  ``namespaceSelector`` alone all pods of the selected namespaces (empty: all namespaces); both in
  one peer, pods matching both (AND); separate peers of a rule add up (OR). A rule with no peers
  allows every peer, a rule with no ports every port.
* **ipBlock** matches by IP address only: the CIDR minus its ``except`` CIDRs. The docs say ipBlock
  is meant for cluster-external IPs and leave it to the implementation whether pod IPs match;
  kitlib follows Calico, which turns ``ipBlock`` into ``nets``/``notNets`` matched against the
  packet's address, so a pod's IP matches too.
* **ports:** the protocol (TCP when not given), a number, a range up to ``endPort``, or a name
  resolved against the *destination* pod's container ports of that protocol (for ingress the
  selected pod, for egress the pod connected to; an address that is no pod has no named ports).

A :class:`Peer` with no pod (a node, the outside world, a host-network pod) is never selected by a
policy and matches only ``ipBlock`` peers. :meth:`PolicySet.decide` answers one connection with
the reasons (:class:`Verdict`); :meth:`PolicySet.matrix` answers every source × destination × port
in one batch, on bitsets: per policy the pods it selects, per rule the peers it allows, combined
per direction.
"""

from __future__ import annotations

import ipaddress
import weakref
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any

from ..api.labels import LabelSelector
from ..api.namespace import Namespace
from ..api.networkpolicy import (
    EGRESS,
    INGRESS,
    IPBlock,
    NetworkPolicy,
    NetworkPolicyPeer,
    NetworkPolicyPort,
    policy_types,
)
from ..api.pod import Pod, uses_host_network

if TYPE_CHECKING:
    from ..apiserver.server import ApiServer

__all__ = ["Matrix", "Peer", "PolicySet", "RuleRef", "Side", "Verdict", "policy_set"]


@dataclass(frozen=True)
class Peer:
    """One end of a connection as policies see it: its IP, its pod (None for a node, the outside
    world or a host-network pod, which count by IP only) and its namespace's labels."""

    ip: str
    pod: Pod | None = None
    namespace_labels: Mapping[str, str] = field(default_factory=dict)

    @property
    def name(self) -> str:
        """``ns/pod`` for a pod, else the IP."""
        return f"{self.pod.metadata.namespace}/{self.pod.metadata.name}" if self.pod is not None else self.ip


@dataclass(frozen=True)
class RuleRef:
    """A rule that allowed a connection: ``policy`` ("ns/name"), ``direction`` ("Ingress" or
    "Egress"), the rule's index in ``spec.ingress``/``spec.egress``, the index of the peer that
    matched (None: the rule has no peers, so every peer) and of the port (None: no ports, so every port)."""

    policy: str
    direction: str
    rule: int
    peer: int | None
    port: int | None

    def __str__(self) -> str:
        key = "ingress" if self.direction == INGRESS else "egress"
        peer_word = "from" if self.direction == INGRESS else "to"
        peer = f"{peer_word}[{self.peer}]" if self.peer is not None else f"any peer (no `{peer_word}`)"
        port = f"ports[{self.port}]" if self.port is not None else "any port (no `ports`)"
        return f"{self.policy} {key}[{self.rule}]: {peer}, {port}"


@dataclass(frozen=True)
class Side:
    """One direction's verdict: the source's egress or the destination's ingress."""

    direction: str
    isolated: bool
    selecting: tuple[str, ...]
    """``ns/name`` of the policies that select the pod for this direction."""
    allowed_by: tuple[RuleRef, ...]
    allowed: bool
    """Not isolated, or some rule allows."""
    why_not: tuple[str, ...] = ()
    """When isolated and nothing allows: why each selecting policy's rules do not."""
    pod: bool = True
    """Whether this side is a pod (policies select pods only: a node or an outside address is never isolated)."""


@dataclass(frozen=True)
class Verdict:
    """Whether a connection is allowed: the sender's egress and the receiver's ingress."""

    egress: Side
    ingress: Side
    allowed: bool
    src: str = ""
    dst: str = ""
    port: int = 0
    protocol: str = "TCP"
    same_pod: bool = False
    """A pod connecting to itself: the packet never leaves its network namespace, so no policy
    sees it ("a pod cannot block access to itself", the NetworkPolicy docs): allowed whatever the sides say."""

    def explain(self) -> str:
        """The reason in words: which policies select each side and which rule allowed, or why none did."""
        head = f"{self.src} -> {self.dst} port {self.port}/{self.protocol}: {'allowed' if self.allowed else 'denied'}"
        if self.same_pod:
            return head + "\n  a pod's connection to itself never leaves its network namespace: no policy applies"
        lines = [head]
        for side, who in ((self.egress, self.src), (self.ingress, self.dst)):
            word = "egress" if side.direction == EGRESS else "ingress"
            if not side.pod:
                lines.append(f"  {side.direction}: {who} is not a pod (policies select pods only): allowed")
                continue
            if not side.isolated:
                lines.append(f"  {side.direction}: {who} is not isolated for {word} "
                             f"(no NetworkPolicy with policyType {side.direction} selects it): allowed")
                continue
            lines.append(f"  {side.direction}: {who} is isolated for {word} by {', '.join(side.selecting)}")
            if side.allowed:
                lines += [f"    allowed by {ref}" for ref in side.allowed_by]
            else:
                lines += [f"    {reason}" for reason in side.why_not]
                lines.append(f"    no {word} rule allows it: denied")
        return "\n".join(lines)


@dataclass
class Matrix:
    """Reachability of every source × destination × (port, protocol), computed in one batch.

    ``bits[k][i]`` is an int whose bit ``j`` says whether ``srcs[i]`` may connect to ``dsts[j]`` on
    ``ports[k]``; :attr:`allowed` is the same as nested lists of booleans ``allowed[k][i][j]``.
    """

    srcs: Sequence[Peer]
    dsts: Sequence[Peer]
    ports: Sequence[tuple[int, str]]
    bits: list[list[int]]

    @cached_property
    def allowed(self) -> list[list[list[bool]]]:
        """``allowed[port][src][dst]``."""
        n = len(self.dsts)
        return [[[bool(row >> j & 1) for j in range(n)] for row in rows] for rows in self.bits]

    def get(self, src: int, dst: int, port: int = 0) -> bool:
        """Whether ``srcs[src]`` may connect to ``dsts[dst]`` on ``ports[port]``."""
        return bool(self.bits[port][src] >> dst & 1)


# ------------------------------------------------------------------------------ matching


def _ip_int(ip: str) -> int | None:
    try:
        return int(ipaddress.IPv4Address(ip))
    except ValueError:
        return None


@dataclass(frozen=True)
class _Block:
    """An ipBlock as ranges of IPv4 integers: ``(network, mask)`` of the CIDR and of each except."""

    net: tuple[int, int] | None
    excepts: tuple[tuple[int, int], ...]

    @classmethod
    def of(cls, block: IPBlock) -> _Block:
        def parse(text: str) -> tuple[int, int] | None:
            try:
                n = ipaddress.ip_network(text, strict=False)
            except ValueError:
                return None
            if n.version != 4:
                return None
            return int(n.network_address), int(n.netmask)
        return cls(parse(block.cidr), tuple(x for x in map(parse, block.except_) if x is not None))

    def contains(self, ip: int | None) -> bool:
        if ip is None or self.net is None or ip & self.net[1] != self.net[0]:
            return False
        return not any(ip & mask == net for net, mask in self.excepts)


def peer_matches(peer: NetworkPolicyPeer, policy_namespace: str, target: Peer) -> bool:
    """Whether one ``from``/``to`` entry matches ``target``: by IP for an ipBlock, else by the
    pod's labels and its namespace (the policy's own namespace when there is no namespaceSelector)."""
    if peer.ip_block is not None:
        return _Block.of(peer.ip_block).contains(_ip_int(target.ip))
    pod = target.pod
    if pod is None:
        return False
    if peer.namespace_selector is not None:
        if not peer.namespace_selector.matches(dict(target.namespace_labels)):
            return False
    elif pod.metadata.namespace != policy_namespace:
        return False
    return peer.pod_selector is None or peer.pod_selector.matches(pod.metadata.labels)


def named_port(pod: Pod | None, name: str, protocol: str) -> int | None:
    """The number of ``pod``'s container port called ``name`` with ``protocol`` (None: no such port)."""
    if pod is None:
        return None
    for c in pod.spec.containers:
        for p in c.ports:
            if p.name == name and (p.protocol or "TCP") == protocol:
                return p.container_port
    return None


def port_matches(spec: NetworkPolicyPort, port: int, protocol: str, dst: Pod | None) -> bool:
    """Whether one ``ports`` entry covers ``port``/``protocol`` to the destination pod ``dst``."""
    if (spec.protocol or "TCP") != protocol:
        return False
    if spec.port is None:
        return True
    if isinstance(spec.port, str):
        return named_port(dst, spec.port, protocol) == port
    if spec.end_port is not None:
        return spec.port <= port <= spec.end_port
    return spec.port == port


def _first(items: Iterable[bool]) -> int | None:
    for i, ok in enumerate(items):
        if ok:
            return i
    return None


def _selector_key(sel: LabelSelector | None) -> Any:
    if sel is None:
        return None
    return (tuple(sorted(sel.match_labels.items())),
            tuple((r.key, r.operator, tuple(r.values)) for r in sel.match_expressions))


# ------------------------------------------------------------------------------ the policy set


class PolicySet:
    """Every NetworkPolicy of a cluster, indexed by namespace for :meth:`decide` and compiled to
    bitsets by :meth:`matrix`. ``namespaces`` holds each namespace's labels (for :meth:`peer`)."""

    def __init__(self, policies: Iterable[NetworkPolicy], namespaces: Mapping[str, Mapping[str, str]] | None = None) -> None:
        self.policies: list[NetworkPolicy] = sorted(policies, key=lambda p: (p.metadata.namespace or "", p.name))
        self.namespaces: dict[str, dict[str, str]] = {k: dict(v) for k, v in (namespaces or {}).items()}
        self.by_namespace: dict[str, list[NetworkPolicy]] = defaultdict(list)
        self.revision: int | None = None
        """The store revision it was read at (:func:`policy_set`)."""
        for p in self.policies:
            self.by_namespace[p.metadata.namespace or ""].append(p)

    @classmethod
    def from_api(cls, api: ApiServer) -> PolicySet:
        """Every NetworkPolicy and every Namespace's labels in the API server's store."""
        return cls(api.store.items_as(NetworkPolicy),
                   {ns.name: ns.metadata.labels for ns in api.store.items_as(Namespace)})

    def peer(self, pod: Pod, ip: str | None = None) -> Peer:
        """The Peer of ``pod``: a host-network pod counts as its node (by IP only)."""
        address = ip or pod.status.pod_ip or ""
        if uses_host_network(pod):
            return Peer(address)
        return Peer(address, pod, self.namespaces.get(pod.metadata.namespace or "", {}))

    # -------------------------------------------------------------------------- one connection

    def _side(self, direction: str, subject: Peer, other: Peer, port: int, protocol: str, dst_pod: Pod | None) -> Side:
        pod = subject.pod
        if pod is None:
            return Side(direction, False, (), (), True, pod=False)
        selecting = [p for p in self.by_namespace.get(pod.metadata.namespace or "", ())
                     if direction in policy_types(p) and p.spec.pod_selector.matches(pod.metadata.labels)]
        if not selecting:
            return Side(direction, False, (), (), True)
        refs: list[RuleRef] = []
        why: list[str] = []
        for p in selecting:
            name = f"{p.metadata.namespace}/{p.name}"
            ns = p.metadata.namespace or ""
            rules = ([(r.from_, r.ports) for r in p.spec.ingress] if direction == INGRESS
                     else [(r.to, r.ports) for r in p.spec.egress])
            key = "ingress" if direction == INGRESS else "egress"
            if not rules:
                why.append(f"{name} has no {key} rules")
            for i, (peers, ports) in enumerate(rules):
                peer_i = _first(peer_matches(x, ns, other) for x in peers) if peers else None
                port_i = _first(port_matches(x, port, protocol, dst_pod) for x in ports) if ports else None
                peer_ok = not peers or peer_i is not None
                port_ok = not ports or port_i is not None
                if peer_ok and port_ok:
                    refs.append(RuleRef(name, direction, i, peer_i, port_i))
                elif not peer_ok and not port_ok:
                    why.append(f"{name} {key}[{i}]: no peer matches {other.name} and {port}/{protocol} is not in its ports")
                elif not peer_ok:
                    why.append(f"{name} {key}[{i}]: no peer matches {other.name}")
                else:
                    why.append(f"{name} {key}[{i}]: {port}/{protocol} is not in its ports")
        names = tuple(f"{p.metadata.namespace}/{p.name}" for p in selecting)
        return Side(direction, True, names, tuple(refs), bool(refs), () if refs else tuple(why))

    def decide(self, src: Peer, dst: Peer, port: int, protocol: str = "TCP") -> Verdict:
        """Whether ``src`` may open a connection to ``dst`` on ``port``/``protocol``, and why."""
        egress = self._side(EGRESS, src, dst, port, protocol, dst.pod)
        ingress = self._side(INGRESS, dst, src, port, protocol, dst.pod)
        same = src.pod is not None and dst.pod is not None and _key(src.pod) == _key(dst.pod)
        return Verdict(egress, ingress, same or (egress.allowed and ingress.allowed), src.name, dst.name,
                       port, protocol, same)

    # -------------------------------------------------------------------------- the matrix

    def matrix(self, srcs: Sequence[Peer], dsts: Sequence[Peer], ports: Sequence[tuple[int, str]]) -> Matrix:
        """Every ``srcs`` × ``dsts`` × ``ports`` cell at once; the same answers as :meth:`decide`.

        Per policy the selected sources/destinations and per rule the matching peers are bitsets
        (Python ints, bit i for the i-th peer); selectors are matched once per distinct label set,
        not once per pod. Then, for each port, a source's egress row is the union of its egress
        rules' destination sets (all ones when it is not isolated), a destination's ingress the
        union of its rules' source sets, turned into rows by OR-ing each rule's destinations
        into the rows of the sources it allows.
        """
        src_idx = _Index(srcs)
        dst_idx = _Index(dsts)
        all_dsts = (1 << len(dsts)) - 1
        rules_in: list[tuple[int, int, list[NetworkPolicyPort]]] = []   # (src peers, selected dsts, ports)
        rules_out: list[tuple[int, int, list[NetworkPolicyPort]]] = []  # (selected srcs, dst peers, ports)
        isolated_in = 0   # dsts
        isolated_out = 0  # srcs
        for p in self.policies:
            ns = p.metadata.namespace or ""
            types = policy_types(p)
            if INGRESS in types:
                sel = dst_idx.selected(ns, p.spec.pod_selector)
                isolated_in |= sel
                if sel:
                    rules_in += [(src_idx.peers(r.from_, ns), sel, r.ports) for r in p.spec.ingress]
            if EGRESS in types:
                sel = src_idx.selected(ns, p.spec.pod_selector)
                isolated_out |= sel
                if sel:
                    rules_out += [(sel, dst_idx.peers(r.to, ns), r.ports) for r in p.spec.egress]
        dst_at = {_key(d.pod): j for j, d in enumerate(dsts) if d.pod is not None}
        same = [(i, dst_at[_key(s.pod)]) for i, s in enumerate(srcs) if s.pod is not None and _key(s.pod) in dst_at]
        bits: list[list[int]] = []
        for port, protocol in ports:
            # Ingress: for each source, the isolated destinations that let it in.
            in_rows = [0] * len(srcs)
            by_peers: dict[int, int] = defaultdict(int)
            for peers, sel, pspecs in rules_in:
                target = sel & dst_idx.port_mask(pspecs, port, protocol)
                if target and peers:
                    by_peers[peers] |= target
            for peers, target in by_peers.items():
                for i in _bits(peers):
                    in_rows[i] |= target
            open_in = all_dsts & ~isolated_in
            # Egress: for each isolated source, the destinations its rules allow.
            out_rows = [all_dsts if not isolated_out >> i & 1 else 0 for i in range(len(srcs))]
            by_sel: dict[int, int] = defaultdict(int)
            for sel, peers, pspecs in rules_out:
                allowed = peers & dst_idx.port_mask(pspecs, port, protocol)
                if allowed:
                    by_sel[sel] |= allowed
            for sel, allowed in by_sel.items():
                for i in _bits(sel):
                    out_rows[i] |= allowed
            rows = [out_rows[i] & (open_in | in_rows[i]) for i in range(len(srcs))]
            for i, j in same:
                rows[i] |= 1 << j
            bits.append(rows)
        return Matrix(list(srcs), list(dsts), list(ports), bits)


def _key(pod: Pod) -> tuple[str, str]:
    return pod.metadata.namespace or "", pod.metadata.name or ""


def _bits(mask: int) -> Iterable[int]:
    """The indexes of the set bits of ``mask``, lowest first."""
    while mask:
        low = mask & -mask
        yield low.bit_length() - 1
        mask ^= low


class _Index:
    """One side of a matrix (its sources or its destinations) as bitsets: by namespace, by label
    set, by namespace label set, by IP; selectors and ipBlocks are evaluated once each."""

    def __init__(self, peers: Sequence[Peer]) -> None:
        self.peers_list = peers
        self.all = (1 << len(peers)) - 1
        self.by_ns: dict[str, int] = defaultdict(int)
        self.by_labels: dict[tuple[tuple[str, str], ...], int] = defaultdict(int)
        self.by_ns_labels: dict[tuple[tuple[str, str], ...], int] = defaultdict(int)
        self.pods = 0
        self.ips: list[int | None] = []
        for i, peer in enumerate(peers):
            self.ips.append(_ip_int(peer.ip))
            if peer.pod is None:
                continue
            bit = 1 << i
            self.pods |= bit
            self.by_ns[peer.pod.metadata.namespace or ""] |= bit
            self.by_labels[tuple(sorted(peer.pod.metadata.labels.items()))] |= bit
            self.by_ns_labels[tuple(sorted(peer.namespace_labels.items()))] |= bit
        self._pod_sel: dict[Any, int] = {}
        self._ns_sel: dict[Any, int] = {}
        self._blocks: dict[Any, int] = {}
        self._ports: dict[Any, int] = {}

    def _match(self, sel: LabelSelector, groups: dict[tuple[tuple[str, str], ...], int],
               cache: dict[Any, int]) -> int:
        key = _selector_key(sel)
        mask = cache.get(key)
        if mask is None:
            mask = 0
            for labels, m in groups.items():
                if sel.matches(dict(labels)):
                    mask |= m
            cache[key] = mask
        return mask

    def selected(self, namespace: str, sel: LabelSelector) -> int:
        """The pods a policy of ``namespace`` with ``podSelector`` ``sel`` selects."""
        return self.by_ns.get(namespace, 0) & self._match(sel, self.by_labels, self._pod_sel)

    def peer(self, peer: NetworkPolicyPeer, namespace: str) -> int:
        """What one ``from``/``to`` entry of a policy of ``namespace`` matches."""
        if peer.ip_block is not None:
            key = (peer.ip_block.cidr, tuple(peer.ip_block.except_))
            mask = self._blocks.get(key)
            if mask is None:
                block = _Block.of(peer.ip_block)
                mask = sum(1 << i for i, ip in enumerate(self.ips) if block.contains(ip))
                self._blocks[key] = mask
            return mask
        if peer.namespace_selector is not None:
            mask = self._match(peer.namespace_selector, self.by_ns_labels, self._ns_sel)
        else:
            mask = self.by_ns.get(namespace, 0)
        if peer.pod_selector is not None:
            mask &= self._match(peer.pod_selector, self.by_labels, self._pod_sel)
        return mask

    def peers(self, peers: list[NetworkPolicyPeer], namespace: str) -> int:
        """What a rule's ``from``/``to`` matches: everything when it is empty, else the union."""
        if not peers:
            return self.all
        mask = 0
        for x in peers:
            mask |= self.peer(x, namespace)
        return mask

    def port_mask(self, specs: list[NetworkPolicyPort], port: int, protocol: str) -> int:
        """The destinations (this index as the destination side) that a rule's ``ports`` covers."""
        if not specs:
            return self.all
        mask = 0
        for s in specs:
            if isinstance(s.port, str):
                key = (s.port, port, protocol, s.protocol)
                m = self._ports.get(key)
                if m is None:
                    m = sum(1 << i for i, peer in enumerate(self.peers_list)
                            if port_matches(s, port, protocol, peer.pod))
                    self._ports[key] = m
                mask |= m
            elif port_matches(s, port, protocol, None):
                return self.all
        return mask


# ------------------------------------------------------------------------------ the cache


_CACHE: weakref.WeakKeyDictionary[Any, PolicySet] = weakref.WeakKeyDictionary()


def policy_set(source: Any) -> PolicySet:
    """The PolicySet of a Runtime's or an ApiServer's store, built again when the store's revision
    changes (any write: a new policy, a namespace's labels), so label changes take effect at once."""
    api = getattr(source, "api", source)
    revision = api.store.revision
    hit = _CACHE.get(api)
    if hit is not None and hit.revision == revision:
        return hit
    built = PolicySet.from_api(api)
    built.revision = revision
    _CACHE[api] = built
    return built
