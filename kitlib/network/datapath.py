"""The data path: where a connection goes, hop by hop, and whether something answers.

Pod to pod is plain routing with no NAT: the packet leaves with the source pod's IP and
arrives with it. Across nodes it crosses the overlay: flannel wraps the packet (inner:
pod IP to pod IP) in a VXLAN/UDP 8472 packet between the two nodes' IPs; Calico
(:mod:`kitlib.network.calico`) in an IP-in-IP packet between ``tunl0`` devices, and enforces
NetworkPolicy after kube-proxy's DNAT (:func:`_policy_drop`).

NAT shows as the hops netfilter runs, in its order, each with its own source and destination:
``iptables nat PREROUTING`` (kube-proxy's DNAT; ``nat OUTPUT`` after the socket's route for the
node's own packets), the ``routing table`` for the new destination, then ``iptables nat
POSTROUTING`` (MASQUERADE to the address of the interface chosen, or the source kept); nftables
mode names its own chains, IPVS DNATs in the INPUT hook (:func:`_kube_proxy_hops`).

A failed connection says why twice: in a sentence (:attr:`Connection.reason`) and as one of
:data:`FAILURES` (:attr:`Connection.failure`), which is how the client's kernel reports it.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, cast

from ..api.addresses import in_cidr
from ..api.node import Node, internal_ip
from ..api.pod import Pod
from ..apiserver.server import SECURE_PORT
from ..container.listeners import describe, listening
from ..errors import BadRequest
from . import calico, hostport, proxy
from .proxy import balance, firewall, iptables, packets, servicemap
from .proxy.rules import MASQ_MARK
from .ref import Ref
from .topology import EXTERNAL, pod_vertex

if TYPE_CHECKING:
    from ..runtime import Runtime

VXLAN_PORT = 8472
NODE_PORTS = {10250: "kubelet", 10256: "kube-proxy health"}
MODE_NAMES = {"iptables": "iptables", "nftables": "nftables", "ipvs": "IPVS, deprecated"}
"""How a hop names the kube-proxy mode that handled the packet (IPVS mode is deprecated since 1.35)."""
CONTROL_PLANE_PORTS = {SECURE_PORT: "kube-apiserver", 2379: "etcd"}
FAILURES = ("refused", "timeout", "no route", "dns")
"""How a connection fails as the client sees it: refused (RST or ICMP port unreachable), timeout
(no answer at all), no route (no ARP answer: EHOSTUNREACH), dns (the name did not resolve)."""


@dataclass
class Hop:
    """One step of a packet's path: which interface, on which machine, and the addresses it carries."""

    vertex: str
    where: str
    device: str
    src: str
    dst: str
    note: str = ""

    def __str__(self) -> str:
        text = f"{self.where:<13} {self.device:<24} {self.src} → {self.dst}"
        return f"{text}  ({self.note})" if self.note else text


@dataclass
class Connection:
    """The outcome of :meth:`kitlib.Cluster.connect`: data, never an exception."""

    ok: bool
    pod: str | None
    reason: str
    hops: list[Hop] = field(default_factory=list)
    src_ip: str = ""
    dst_ip: str = ""
    port: int = 0
    protocol: str = "TCP"
    service: str | None = None
    """The Service (``ns/name``) whose address was dialled, or None."""
    container: str | None = None
    """The container that accepted the connection, or None (a node's listener, or a failure)."""
    target_port: int | None = None
    """The port the pod accepted on (after kube-proxy's DNAT), or None."""
    failure: str | None = None
    """One of :data:`FAILURES` when the connection failed, else None."""

    def fail(self, failure: str, reason: str) -> Connection:
        """Mark the connection failed with ``failure`` (one of :data:`FAILURES`) and ``reason``."""
        self.failure, self.reason = failure, reason
        return self

    @property
    def path(self) -> list[str]:
        """The graph vertices the packet crossed, in order (the DNS hop shares the client's vertex)."""
        vs = [h.vertex for h in self.hops]
        return [v for i, v in enumerate(vs) if i == 0 or v != vs[i - 1]]

    def __str__(self) -> str:
        head = f"{'OK' if self.ok else 'FAILED'}: {self.reason}"
        return head + "".join(f"\n  {h}" for h in self.hops)

    def _repr_pretty_(self, p, cycle) -> None:  # IPython shows the readable form
        p.text(str(self))


@dataclass(frozen=True)
class Source:
    """A connection's source, looked up: its kind (pod | node | external), graph vertex and IP."""

    ref: Ref
    vertex: str
    ip: str
    pod: Pod | None = None
    node: str | None = None

    @property
    def kind(self) -> str:
        """``pod``, ``node`` or ``external``."""
        return self.ref.kind


def resolve_source(rt: Runtime, src: Ref) -> Source:
    """Look ``src`` up as a connection's source (a pod with an IP, a node, or ``external``)."""
    if src.kind == "external":
        return Source(src, EXTERNAL, rt.topology.graph.nodes[EXTERNAL]["ip"])
    if src.kind == "node":
        node = _node(rt, src.name)
        return Source(src, f"kernel:{node.name}", internal_ip(node), node=node.name)
    pod = pod_of(rt, src)
    if not pod.status.pod_ip:
        raise BadRequest(f'error: pod "{pod.name}" has no IP yet: it is {pod.status.phase}, '
                         "its sandbox is still being created")
    return Source(src, pod_vertex(pod.key), pod.status.pod_ip, pod, pod.spec.node_name)


def pod_of(rt: Runtime, ref: Ref) -> Pod:
    """The stored pod a ``"namespace/pod"`` reference names, or kitlib's error for any other reference."""
    if ref.kind != "pod" or "/" not in ref.text:
        raise BadRequest(f'error: "{ref}" is not a pod reference: write "namespace/pod", e.g. "default/{ref}"')
    return cast(Pod, rt.get("Pod", ref.name, ref.namespace))  # the API's get returns the kind's own class


def _node(rt: Runtime, name: str) -> Node:
    """The stored Node ``name``, or the API's NotFound."""
    return cast(Node, rt.get("Node", name))  # the API's get returns the kind's own class


def resolve_destination(rt: Runtime, dst: Ref) -> tuple[str, Pod | None, str | None]:
    """(ip, pod with that IP or None, node with that IP or None) of a destination that is not a DNS name."""
    if dst.kind == "node":
        node = _node(rt, dst.name)
        return internal_ip(node), None, node.name
    if dst.kind == "ip":
        ip = dst.text
        key = rt.topology.pod_with_ip(ip)
        found = rt.api.store.get("Pod", key) if key else None
        on = next((n.name for n in rt.nodes() if internal_ip(n) == ip), None)
        return ip, found if isinstance(found, Pod) else None, on
    pod = pod_of(rt, dst)
    if not pod.status.pod_ip:
        return "", pod, None
    return pod.status.pod_ip, pod, None


def check_port(port: int, protocol: str) -> str:
    """The protocol in upper case, or BadRequest for an unknown protocol or a bad port."""
    protocol = protocol.upper()
    if protocol not in ("TCP", "UDP", "SCTP"):
        raise BadRequest(f'error: unsupported protocol "{protocol}": use TCP, UDP or SCTP')
    if isinstance(port, bool) or not isinstance(port, int) or not 1 <= port <= 65535:
        raise BadRequest(f"error: port {port} is not in 1-65535")
    return protocol


def connect(rt: Runtime, src: str, dst: str, port: int, protocol: str = "TCP") -> Connection:
    """Trace a connection through the pod network (see :meth:`kitlib.Cluster.connect`)."""
    return connect_refs(rt, Ref.parse(src), Ref.parse(dst), port, protocol)


def connect_refs(rt: Runtime, src: Ref, dst: Ref, port: int, protocol: str = "TCP") -> Connection:
    """:func:`connect` for references already parsed."""
    protocol = check_port(port, protocol)
    return connect_from(rt, resolve_source(rt, src), dst, port, protocol)


def connect_from(rt: Runtime, s: Source, dst: Ref, port: int, protocol: str) -> Connection:
    """:func:`connect` from a source already looked up (``protocol`` already checked)."""
    hops: list[Hop] = []
    if dst.is_dns_name:
        # A DNS name: the client's resolver looks it up first (kitlib.network.dns).
        from . import dns

        address, hop, failure = dns.for_connect(rt, s, dst.text)
        hops.append(hop)
        if failure:
            return Connection(False, None, failure, hops, s.ip, "", port, protocol, failure="dns")
        dst = Ref.parse(address)
    dst_ip, dst_pod, dst_node = resolve_destination(rt, dst)
    conn = Connection(False, None, "", hops, s.ip, dst_ip, port, protocol)
    if not dst_ip:
        return conn.fail("timeout", f"{dst} has no IP yet: it is {dst_pod.status.phase} and its sandbox is not "  # type: ignore[union-attr]  # resolve_destination gives no IP only for a pod
                         "ready, so there is nothing to connect to")
    if s.node and not rt.node_runtime(s.node).up:
        return conn.fail("timeout", source_down_reason(s.node))
    entry = packets.entry_for(rt, s.kind, s.node, s.ip, dst_ip, port, protocol)
    if entry is not None:
        return _via_service(rt, s, entry, conn)
    miss = _service_cidr_miss(rt, s, dst_ip, port, protocol)
    if miss:
        return conn.fail(*miss)
    return _route(rt, s, dst_ip, dst_pod, dst_node, conn)


def source_down_reason(node: str) -> str:
    """Why nothing a client on a failed node sends gets anywhere (the connection times out)."""
    return f"the source's node {node} is down: nothing it sends leaves it"


def route(rt: Runtime, s: Source, dst_ip: str, dst_pod: Pod | None, dst_node: str | None, port: int,
          protocol: str) -> Connection:
    """A connection to an address that is not a Service's (plain routing), already resolved."""
    conn = Connection(False, None, "", [], s.ip, dst_ip, port, protocol)
    miss = _service_cidr_miss(rt, s, dst_ip, port, protocol)
    if miss:
        return conn.fail(*miss)
    return _route(rt, s, dst_ip, dst_pod, dst_node, conn)


def _service_cidr_miss(rt: Runtime, s: Source, dst_ip: str, port: int, protocol: str
                       ) -> tuple[str, str] | None:
    """(failure, why) for an address in a Service range (a ServiceCIDR's) that no rule matches, or None."""
    cidrs = proxy.service_cidrs(rt)
    cidr = next((c for c in cidrs if in_cidr(dst_ip, c)), None)
    if cidr is None:
        return None
    owner = proxy.view(rt).cluster_ips.get(dst_ip)
    if owner is None:
        if rt.proxy_mode == "nftables" and s.kind != "external":
            listed = cidrs[0] if len(cidrs) == 1 else "{ " + ", ".join(cidrs) + " }"
            return "timeout", (f"{dst_ip} is in the Service range {cidr} but belongs to no Service: "
                    f"kube-proxy's cluster-ips-check chain drops traffic to unallocated ClusterIPs (ip daddr "
                    f"{listed} drop), so the connection times out")
        return "timeout", (f"{dst_ip} is in the Service range {cidr} but belongs to no Service: no kube-proxy "
                "rule matches it and nothing routes it, so the connection times out")
    if s.kind == "external":
        return "timeout", (f"{dst_ip} is the ClusterIP of {owner}: a virtual address that exists only in the rules kube-proxy "
                "writes on each node, so nothing outside the cluster has a route to it and the connection times out")
    if rt.proxy_mode == "ipvs":
        return "refused", (f"{dst_ip} is the ClusterIP of {owner}, which has no port {port}/{protocol}: in IPVS mode every "
                f"ClusterIP is bound to kube-ipvs0 on each node, so {s.node} answers itself, nothing listens on "
                f"{port}, and the connection is refused")
    if rt.proxy_mode == "nftables":
        return "refused", (f"{dst_ip} is the ClusterIP of {owner}, which has no port {port}/{protocol}: kube-proxy's "
                "cluster-ips-check chain rejects traffic to a ClusterIP's other ports (ip daddr @cluster-ips reject), "
                "so the connection is refused")
    return "timeout", (f"{dst_ip} is the ClusterIP of {owner}, which has no port {port}/{protocol}: kube-proxy has a rule only "
            "for the Service's own ports, so the packet follows the default route out of the cluster and the "
            "connection times out")


# ------------------------------------------------------------------ through kube-proxy

def _entry_path(rt: Runtime, s: Source, entry: packets.Entry) -> list[str]:
    """The vertices from the client to the kernel of the node whose kube-proxy handles it."""
    target = f"kernel:{entry.node}"
    if s.kind == "pod":
        layers = {"pod", "host", "underlay"} if entry.crosses else {"pod", "host"}
    else:
        layers = {"host", "underlay"}
    return rt.topology.path(s.vertex, target, layers)


def _down_reason(node: str) -> str:
    return f"node {node} does not answer: the packet is lost on the way and the connection times out"


def entry_down(rt: Runtime, s: Source, entry: packets.Entry) -> str | None:
    """Why the packet cannot reach the entry node (a node on the way is down), or None."""
    down = _first_down(rt, _entry_path(rt, s, entry))
    return _down_reason(down) if down else None


def via_endpoint(rt: Runtime, s: Source, entry: packets.Entry, decision: packets.Decision,
                 endpoint: servicemap.ProxyEndpoint, dst_ip: str, port: int, protocol: str) -> Connection:
    """The connection that kube-proxy on ``entry.node`` DNATs to ``endpoint``."""
    conn = Connection(False, None, "", [], s.ip, dst_ip, port, protocol)
    return _via_service(rt, s, entry, conn, decision, endpoint)


def _via_service(rt: Runtime, s: Source, entry: packets.Entry, conn: Connection,
                 decision: packets.Decision | None = None,
                 endpoint: servicemap.ProxyEndpoint | None = None) -> Connection:
    sp = entry.service_port
    conn.service = sp.service
    dst_ip = conn.dst_ip
    if entry.node is None:
        _add(conn, rt, [EXTERNAL], s.ip, dst_ip)
        return conn.fail(_unreachable_failure(rt, entry), entry.reason)
    pre = _entry_path(rt, s, entry)
    crossed_snat = entry.client_ip if entry.client_ip != s.ip else None
    _add(conn, rt, pre[:-1], s.ip, dst_ip, snat_to=crossed_snat, snat_node=s.node)
    if entry.announced_by:
        for h in conn.hops:
            if h.vertex == f"eth0:{entry.node}":
                h.note += (f"; MetalLB's speaker on {entry.node} answers ARP for {dst_ip}, so the client sends "
                           f"the packet to this node")
    client = entry.client_ip
    down = _first_down(rt, pre)
    if down:
        _add(conn, rt, pre[-1:], client, dst_ip)
        return conn.fail("timeout", _down_reason(down))
    decision = decision or packets.decide(rt, entry)
    mode = rt.proxy_mode
    if decision.action != "dnat":
        _add(conn, rt, pre[-1:], client, dst_ip)
        if mode == "nftables":
            note = f"kube-proxy (nftables): {' → '.join(decision.chains)}: {decision.rule}"
        elif decision.rule and mode == "ipvs":
            note = f"kube-proxy ({MODE_NAMES[mode]}), filter table: {' → '.join(decision.chains)}: {decision.rule}"
        elif decision.rule and len(decision.chains) > 1:  # through the nat table's KUBE-FW-… first
            note = f"kube-proxy (iptables): {' → '.join(decision.chains)}, then filter table: {decision.rule}"
        elif decision.rule:
            note = f"kube-proxy (iptables), filter table: {decision.rule}"
        else:
            note = f"kube-proxy ({MODE_NAMES[mode]}): {' → '.join(decision.chains)}: no real server"
        _refused_at_hook(rt, entry, decision, conn.hops, note)
        # REJECT answers ICMP port unreachable; DROP answers nothing.
        return conn.fail("refused" if decision.action == "reject" else "timeout", decision.reason)
    if endpoint is None:
        endpoint = balance.choose(rt, entry, decision, 1)[0][0]
    ep = endpoint
    post, pod, host, problem = _endpoint_path(rt, entry.node, ep)
    hairpin = ep.ip == client
    masq = decision.masquerade or hairpin
    src_after = client
    flannel_masq = False
    g = rt.topology.graph
    if masq and len(post) > 1:
        src_after = g.nodes[post[1]]["ip"] if post[1].startswith(("cni0:", "flannel.1:", "tunl0:")) else \
            internal_ip(_node(rt, entry.node))
    elif s.kind == "pod" and len(post) > 1 and post[1] == f"eth0:{entry.node}" and in_cidr(client, rt.config.pod_cidr):
        src_after, flannel_masq = internal_ip(_node(rt, entry.node)), True
    first = len(conn.hops)
    _add(conn, rt, post, src_after, ep.ip)
    routed = conn.hops[first]  # the routing decision, taken for the new destination, before any SNAT
    routed.src = client
    nat = _kube_proxy_hops(rt, s, entry, decision, ep, routed, hairpin)
    post_nat = _postrouting_hop(rt, entry, routed, g.nodes[post[1]].get("label", post[1]), src_after, hairpin,
                                flannel_masq) if len(post) > 1 else []
    conn.hops[first:first + 1] = [*nat, routed, *post_nat]
    if problem:
        return conn.fail(*problem)
    down = _first_down(rt, post)
    if down:
        return conn.fail("timeout", _down_reason(down))
    if rt.calico is not None:
        # Felix's filter chains run after kube-proxy's DNAT (PREROUTING) and before its SNAT
        # (POSTROUTING): a local endpoint sees the client as it arrived, a remote one the SNATed source.
        seen = client if (pod is not None and pod.spec.node_name == entry.node) or host == entry.node \
            else conn.hops[-1].src
        egress_to = (ep.ip, pod or host, ep.port) if s.node == entry.node else (dst_ip, None, conn.port)
        if _policy_drop(rt, conn, s, seen, ep.ip, pod, host, ep.port, egress_to):
            return conn
    saved = conn.dst_ip, conn.port
    conn.dst_ip, conn.port = ep.ip, ep.port
    if pod is not None:
        _deliver_to_pod(conn, pod, rt)
    else:
        _deliver_to_node(rt, conn, host)  # type: ignore[arg-type]  # _endpoint_path gives a host when it gives neither pod nor problem
    conn.dst_ip, conn.port = saved
    return conn


# ------------------------------------------------------------------ netfilter's order, hop by hop
#
# A forwarded packet meets the nat table's hooks in this order: PREROUTING (DNAT), the routing
# decision for the new destination, the filter table's FORWARD, then POSTROUTING (SNAT, after
# routing, so MASQUERADE takes the address of the interface chosen). A packet the node sends
# itself is routed first (the socket's route, which picks its source), meets nat OUTPUT (DNAT),
# is routed again for the new destination, then meets POSTROUTING. kube-proxy hooks its chains
# there: iptables mode jumps from PREROUTING and OUTPUT to KUBE-SERVICES (DNAT in KUBE-SEP-…,
# the mark set by KUBE-MARK-MASQ) and from POSTROUTING to KUBE-POSTROUTING (MASQUERADE of marked
# packets): pkg/proxy/iptables/proxier.go (iptablesJumpChains, syncProxyRules). nftables mode
# uses the base chains nat-prerouting, nat-output (DNAT via the services chain) and
# nat-postrouting → masquerading: pkg/proxy/nftables/proxier.go (natPreroutingChain,
# natOutputChain, natPostroutingChain, masqueradingChain). IPVS mode leaves the destination
# alone in iptables (KUBE-SERVICES only marks and ACCEPTs): the Service address is local
# (bound to the dummy interface kube-ipvs0), so the packet is delivered to INPUT, where IPVS
# rewrites it to a real server and sends it on through POSTROUTING, where KUBE-POSTROUTING
# masquerades the marked packets and the KUBE-LOOP-BACK ipset's hairpin ones:
# pkg/proxy/ipvs/proxier.go (defaultDummyDevice, writeIptablesRules, kubeLoopBackIPSet).

IPVS_SETS = {"ClusterIP": "KUBE-SERVICES: the destination is in ipset KUBE-CLUSTER-IP",
             "NodePort": "KUBE-SERVICES → KUBE-NODE-PORT: the port is in ipset KUBE-NODE-PORT-{proto}",
             "LoadBalancer": "KUBE-SERVICES → KUBE-LOAD-BALANCER: the destination is in ipset KUBE-LOAD-BALANCER",
             "ExternalIP": "KUBE-SERVICES: the destination is in ipset KUBE-EXTERNAL-IP"}
"""IPVS mode: how kube-proxy's KUBE-SERVICES matches a Service address before it ACCEPTs it."""


def _kube_proxy_hops(rt: Runtime, s: Source, entry: packets.Entry, decision: packets.Decision,
                     ep: servicemap.ProxyEndpoint, routed: Hop, hairpin: bool) -> list[Hop]:
    """The hops before the routing decision ``routed`` on the entry node: the socket's route for
    the node's own packets, then the nat hook where kube-proxy DNATs (PREROUTING, or OUTPUT for
    the node's own packets; IPVS: the INPUT or OUTPUT hook, after a routing decision that finds
    the Service address local). ``routed`` is re-noted as the route taken after the DNAT."""
    v, where, client = routed.vertex, routed.where, entry.client_ip
    sp, mode, node = entry.service_port, rt.proxy_mode, entry.node or ""
    local = entry.source == "local"
    own = proxy.view(rt).node_ips.get(entry.dst) == node
    hops: list[Hop] = []
    if mode == "ipvs":
        where_bound = "the node's own address" if own else "bound to the dummy interface kube-ipvs0"
        if local:
            hops.append(Hop(v, where, "routing table", client, entry.dst,
                            f"the socket's route: {entry.dst} is a local address ({where_bound})"))
    elif local:
        first = (f"{entry.dst} is a local address" if own else _route_note(rt, node, entry.dst))
        hops.append(Hop(v, where, "routing table", client, entry.dst,
                        f"the socket's route: {first}, so the packet leaves with source {client}"))
    mark = ""
    if hairpin and mode != "ipvs":
        by = "mark-for-masquerade" if mode == "nftables" else "KUBE-MARK-MASQ"
        mark = f"; {by} marks it for SNAT in POSTROUTING (hairpin: the pod reaches itself through its Service)"
    elif decision.masquerade:
        by = "mark-for-masquerade" if mode == "nftables" else "KUBE-MARK-MASQ"
        mark = f"; {by} marks it for SNAT in POSTROUTING ({_masq_why(entry)})"
    if mode == "ipvs":
        walk = IPVS_SETS.get(entry.kind, IPVS_SETS["ClusterIP"]).format(proto=sp.protocol)
        hook = "OUTPUT" if local else "PREROUTING"
        hops.append(Hop(v, where, f"iptables nat {hook}", client, entry.dst,
                        f"kube-proxy ({MODE_NAMES[mode]}): {walk}; ACCEPT, no DNAT here{mark}"))
        if not local:
            hops.append(Hop(v, where, "routing table", client, entry.dst,
                            f"{entry.dst} is a local address ({where_bound}): delivered to INPUT"))
        hops.append(Hop(v, where, f"IPVS ({'OUTPUT' if local else 'INPUT'} hook)", client, ep.ip,
                        f"kube-proxy ({MODE_NAMES[mode]}): virtual server {decision.virtual_server} rr → real "
                        f"server {ep.address} (Masq): DNAT {entry.dst}:{entry.port} → {ep.address}"))
        routed.note = f"route to the real server: {routed.note}"
        return hops
    if mode == "nftables":
        device = "nftables nat-output" if local else "nftables nat-prerouting"
        nat = (f"kube-proxy (nftables): {' → '.join(decision.chains)} → endpoint-{sp.nft_endpoint(ep)}: "
               f"dnat to {ep.address}")
    else:
        device = "iptables nat OUTPUT" if local else "iptables nat PREROUTING"
        nat = (f"kube-proxy (iptables): {' → '.join(decision.chains)} → {sp.sep_chain(ep)}: "
               f"DNAT {entry.dst}:{entry.port} → {ep.address}")
    hops.append(Hop(v, where, device, client, ep.ip, nat + mark))
    if local:
        routed.note = f"routed again after the DNAT: {routed.note}"
    return hops


def _postrouting_hop(rt: Runtime, entry: packets.Entry, routed: Hop, out: str, src_after: str,
                     hairpin: bool, flannel_masq: bool) -> list[Hop]:
    """The nat POSTROUTING hop after the routing decision ``routed``: kube-proxy's MASQUERADE of a
    marked packet (the source becomes the address of ``out``, the interface it leaves by), the
    CNI's masquerade of a pod's packet leaving the pod network, or nothing rewritten."""
    v, where, client, dst = routed.vertex, routed.where, routed.src, routed.dst
    mode = rt.proxy_mode
    device = "nftables nat-postrouting" if mode == "nftables" and not flannel_masq else "iptables nat POSTROUTING"
    if flannel_masq:
        return [Hop(v, where, device, src_after, dst,
                    f"MASQUERADE: source {client} → {src_after} ({_flannel_masquerade(rt)})")]
    if src_after != client:
        to = f"source {client} → {src_after}, the address of {out}, the interface it leaves by"
        if mode == "nftables":
            note = f"kube-proxy: nat-postrouting → masquerading: marked, so masquerade fully-random: {to}"
        elif mode == "ipvs" and hairpin:
            note = ("kube-proxy: KUBE-POSTROUTING: in ipset KUBE-LOOP-BACK (hairpin: the pod reaches itself "
                    f"through its Service), so MASQUERADE: {to}")
        else:
            note = f"kube-proxy: KUBE-POSTROUTING: marked {MASQ_MARK}/{MASQ_MARK} (KUBE-MARK-MASQ), so MASQUERADE: {to}"
        return [Hop(v, where, device, src_after, dst, note)]
    sp = entry.service_port
    why = ("externalTrafficPolicy Local keeps the client's address" if sp.etp_local and entry.kind != "ClusterIP"
           and entry.source == "remote" else "a pod's packet keeps its own address" if entry.source == "pod"
           else "")
    why = f" ({why})" if why else ""
    if mode == "nftables":
        note = f"kube-proxy: nat-postrouting → masquerading: not marked{why}, return: the source {client} is kept"
    else:
        note = f"kube-proxy: KUBE-POSTROUTING: not marked{why}, RETURN: the source {client} is kept"
    return [Hop(v, where, device, client, dst, note)]


def _refused_at_hook(rt: Runtime, entry: packets.Entry, decision: packets.Decision, hops: list[Hop],
                     note: str) -> None:
    """Split the entry node's last hop into the routing decision and the hook where kube-proxy's
    rule refuses or drops the packet (``note``): the filter table's INPUT (to a local address),
    FORWARD (routed on) or OUTPUT (the node's own packet), chosen after routing; nftables'
    ``filter-…-pre-dnat`` chains and IPVS's own INPUT/OUTPUT hook."""
    routed = hops[-1]
    node = entry.node or ""
    local = entry.source == "local"
    to_self = proxy.view(rt).node_ips.get(entry.dst) == node or (rt.proxy_mode == "ipvs" and entry.kind != "NodePort")
    hook = "OUTPUT" if local else "INPUT" if to_self else "FORWARD"
    if rt.proxy_mode == "nftables":
        chain = next((c for c in decision.chains if c.startswith("filter-")), f"filter-{hook.lower()}")
        device = f"nftables {chain}"
    elif rt.proxy_mode == "ipvs" and not decision.rule:
        device = f"IPVS ({hook} hook)"
    else:
        device = f"iptables filter {hook}"
    hop = Hop(routed.vertex, routed.where, device, routed.src, routed.dst, note)
    if device.endswith("-pre-dnat"):  # before DNAT, so before any routing decision
        hops[-1] = hop
        return
    where_to = (f"{entry.dst} is a local address" + ("" if local else ": to INPUT") if to_self or (
        local and rt.proxy_mode == "ipvs") else _route_note(rt, node, entry.dst))
    routed.note = f"the socket's route: {where_to}" if local else where_to
    hops.append(hop)


def _flannel_masquerade(rt: Runtime) -> str:
    """Why a pod's packet leaving the pod network leaves with its node's address: flannel's rule
    (Calico's ``natOutgoing`` rule on a Calico cluster)."""
    if rt.cni == "calico":
        return f"Calico, natOutgoing on the pool: {calico.NAT_OUTGOING}"
    rule = iptables.rule_text(firewall.masquerade_rule(rt.config.pod_cidr))
    return f"flannel, traffic leaving the pod network: {rule}"


def _unreachable_failure(rt: Runtime, entry: packets.Entry) -> str:
    """How a client sees a Service address that no node takes: a LoadBalancer IP on the node network
    that no speaker announces gets no ARP answer (no route); any other is lost on the way (timeout)."""
    if entry.kind == "LoadBalancer" and ("metallb" not in rt.addons or in_cidr(entry.dst, rt.config.node_cidr)):
        return "no route"
    return "timeout"


def _masq_why(entry: packets.Entry) -> str:
    if entry.source == "local":
        return "traffic from the node itself"
    if entry.kind == "ClusterIP":
        return "a client outside the pod network"
    return "externalTrafficPolicy Cluster, so that the reply comes back through this node"


def _endpoint_path(rt: Runtime, node: str, ep: servicemap.ProxyEndpoint
                   ) -> tuple[list[str], Pod | None, str | None, tuple[str, str] | None]:
    """(vertices from ``node``'s kernel to the endpoint, its pod, its host node, (failure, why) or None)."""
    topo = rt.topology
    start = f"kernel:{node}"
    pod = rt.api.store.get("Pod", ep.pod) if ep.pod else None
    if pod is None:
        key = topo.pod_with_ip(ep.ip)
        pod = rt.api.store.get("Pod", key) if key else None
    if isinstance(pod, Pod) and pod_vertex(pod.key) in topo.graph:
        return topo.path(start, pod_vertex(pod.key), {"pod", "host", "overlay"}), pod, None, None
    host = proxy.view(rt).node_ips.get(ep.ip)
    if host is not None:
        path = [start] if host == node else topo.path(start, f"kernel:{host}", {"host", "underlay"})
        return path, None, host, None
    owner = _node_for_pod_ip(rt, ep.ip) if in_cidr(ep.ip, rt.config.pod_cidr) else None
    if owner is not None and rt.calico is not None:
        return (topo.path(start, f"kernel:{owner}", {"pod", "host", "overlay"}), None, None,
                ("timeout", f"the endpoint {ep.address} has no pod any more (its IP was freed): {owner} routes its "
                 "block to a blackhole, the packet is dropped and the connection times out"))
    if owner is not None:
        return (topo.path(start, f"cni0:{owner}", {"pod", "host", "overlay"}), None, None,
                ("no route", f"the endpoint {ep.address} has no pod any more (its IP was freed): the bridge on "
                 f"{owner} gets no ARP answer and the connection fails with 'No route to host'"))
    return [start], None, None, ("timeout", f"the endpoint {ep.address} is outside the cluster and this simulator "
                                            "has no internet: the connection times out")


def _route(rt: Runtime, s: Source, dst_ip: str, dst_pod: Pod | None, dst_node: str | None,
           conn: Connection) -> Connection:
    topo = rt.topology
    g = topo.graph
    pod_net = rt.config.pod_cidr
    if in_cidr(dst_ip, pod_net):
        owner = _node_for_pod_ip(rt, dst_ip)
        if s.kind == "external":
            _add(conn, rt, [EXTERNAL], s.ip, dst_ip)
            return conn.fail("timeout", f"{dst_ip} is a pod IP: pod addresses ({pod_net}) exist only inside the "
                             "cluster's overlay network, and nothing outside has a route to them")
        if owner is None:
            return conn.fail("no route", f"{dst_ip} is in the pod network but in no node's podCIDR: no route to host")
        if s.kind == "node":
            # A packet the node itself sends takes the address of the device it leaves by:
            # cni0 (10.244.N.1) towards its own pods, flannel.1 (10.244.N.0) towards other nodes'.
            # Calico: eth0's address towards its own pods (their veths have none), tunl0's to others'.
            if rt.calico is not None:
                device = f"eth0:{s.node}" if owner == s.node else f"tunl0:{s.node}"
            else:
                device = f"cni0:{s.node}" if owner == s.node else f"flannel.1:{s.node}"
            s = replace(s, ip=g.nodes[device]["ip"])
            conn.src_ip = s.ip
        if dst_pod is None:
            target = f"kernel:{owner}" if rt.calico is not None else f"cni0:{owner}"
        else:
            target = pod_vertex(dst_pod.key)
        layers = {"pod", "host", "overlay"}
        path = topo.path(s.vertex, target, layers)
        _add(conn, rt, path, s.ip, dst_ip)
        down = _first_down(rt, path)
        if down:
            return conn.fail("timeout", _down_reason(down))
        if dst_pod is None and rt.calico is not None:
            return conn.fail("timeout", f"no pod has {dst_ip} (it was freed or never given out): {owner} routes "
                             "its block to a blackhole, the packet is dropped and the connection times out")
        if dst_pod is None:
            return conn.fail("no route", f"no pod has {dst_ip} (it was freed or never given out): the bridge on "
                             f"{owner} gets no ARP answer and the connection fails with 'No route to host'")
        if rt.calico is not None and _policy_drop(rt, conn, s, s.ip, dst_ip, dst_pod, None, conn.port):
            return conn
        return _deliver_to_pod(conn, dst_pod, rt)
    if dst_node is not None:
        target = f"kernel:{dst_node}"
        if s.kind == "pod":
            path = topo.path(s.vertex, target, {"pod", "host", "underlay"})
        else:
            path = topo.path(s.vertex, target, {"host", "underlay"})
        src_ip = s.ip
        if s.kind == "pod" and dst_node != s.node:
            # flannel masquerades traffic that leaves the pod network, so the node sees the node's IP.
            src_ip = internal_ip(_node(rt, s.node or ""))  # a pod source is bound to a node
        _add(conn, rt, path, s.ip, dst_ip, snat_to=src_ip if src_ip != s.ip else None, snat_node=s.node)
        down = _first_down(rt, path)
        if down:
            return conn.fail("timeout", f"node {down} does not answer: the connection times out")
        mapped = hostport.lookup(rt, dst_node, conn.port, conn.protocol)
        if mapped is not None:
            return _via_host_port(rt, s, conn, mapped, src_ip)
        if rt.calico is not None and _policy_drop(rt, conn, s, s.ip, dst_ip, None, dst_node, conn.port):
            return conn
        return _deliver_to_node(rt, conn, dst_node)
    if s.kind != "external" and not in_cidr(dst_ip, rt.config.node_cidr):
        return conn.fail("timeout", f"{dst_ip} is outside the cluster and this simulator has no internet: the "
                         "connection times out")
    return conn.fail("timeout", f"nothing has the address {dst_ip}: the connection times out")


def _node_for_pod_ip(rt: Runtime, ip: str) -> str | None:
    if rt.calico is not None:  # Calico routes by its blocks, not by the nodes' podCIDRs
        return rt.calico.owner(ip)
    addr = ipaddress.ip_address(ip)
    for n in rt.nodes():
        if n.spec.pod_cidr and addr in ipaddress.ip_network(n.spec.pod_cidr):
            return n.name
    return None


def _first_down(rt: Runtime, path: list[str]) -> str | None:
    g = rt.topology.graph
    for v in path:
        node = g.nodes[v].get("node")
        if node and not rt.node_runtime(node).up:
            return node
    return None


def _deliver_to_pod(conn: Connection, pod: Pod, rt: Runtime) -> Connection:
    """Whether a container of ``pod`` accepts ``conn``: one whose image and command listen on the
    port (:mod:`kitlib.container.listeners`; ``containerPort`` is informational), then its app's
    state (warming up, hung)."""
    if pod.metadata.deletion_timestamp is not None and pod.status.phase != "Running":
        return conn.fail("refused", f"pod {pod.name} is terminating: its containers have stopped, the connection "
                         "is refused")
    if not any(cs.state.running for cs in pod.status.container_statuses):
        return conn.fail("refused", f"pod {pod.name} has its IP but its container is not running yet "
                         f"({_waiting(pod)}): nothing listens on port {conn.port}, the connection is refused")
    wanted = (conn.port, conn.protocol)
    running = [c for c, cs in zip(pod.spec.containers, pod.status.container_statuses, strict=True)
               if cs.state.running]
    container = next((c for c in running if wanted in listening(rt, c).ports), None)
    if container is None:
        open_ports: set[tuple[int, str]] = set().union(*(listening(rt, c).ports for c in running))
        declared = {(p.container_port, p.protocol or "TCP") for c in pod.spec.containers for p in c.ports}
        note = (f"; it declares containerPort {conn.port}/{conn.protocol}, but containerPort is only "
                "informational" if wanted in declared else "")
        return conn.fail("refused", f"nothing in pod {pod.name} listens on {conn.port}/{conn.protocol} (its "
                         f"containers listen on {describe(open_ports)}{note}): connection refused")
    from ..container.behaviour import connection_problem  # the app model: warming up, hung

    problem = connection_problem(rt, pod, container, conn.port)
    if problem is not None:
        return conn.fail(*problem)
    conn.ok = True
    conn.pod = pod.key
    conn.container, conn.target_port = container.name, conn.port
    conn.reason = (f"container {container.name} of pod {pod.name} accepted the connection on "
                   f"{conn.dst_ip}:{conn.port}; it sees the client as {conn.src_ip if not conn.hops else conn.hops[-1].src}")
    return conn


def _waiting(pod: Pod) -> str:
    for cs in pod.status.container_statuses:
        if cs.state.waiting:
            return cs.state.waiting.reason or "waiting"
    return pod.status.phase or "Pending"


def _via_host_port(rt: Runtime, s: Source, conn: Connection, mapped: hostport.HostPort, seen: str) -> Connection:
    """The CNI portmap plugin's DNAT on the pod's node: ``nodeIP:hostPort`` → ``podIP:containerPort``
    (:mod:`kitlib.network.hostport`); the source stays as it arrived."""
    pod, node = mapped.pod, mapped.node
    pod_ip = pod.status.pod_ip or ""
    post = rt.topology.path(f"kernel:{node}", pod_vertex(pod.key), {"pod", "host"})
    hook = "OUTPUT" if s.kind == "node" and s.node == node else "PREROUTING"
    nat = (f"CNI portmap (hostPort): {hook} → CNI-HOSTPORT-DNAT → {mapped.chain}: DNAT {conn.dst_ip}:"
           f"{conn.port} → {pod_ip}:{mapped.container_port} (pod {pod.key})")
    after: list[Hop] = []
    kernel = conn.hops[-1] if conn.hops and conn.hops[-1].vertex.startswith("kernel:") else None
    if s.kind == "pod" and s.node == node and (rt.calico is None or s.pod is pod or
                                                 (s.pod is not None and s.pod.key == pod.key)):
        # Hairpin: the source is in the pod's own network (the bridge's subnet; Calico's /32), so the
        # chain jumps to CNI-HOSTPORT-SETMARK and CNI-HOSTPORT-MASQ masquerades it in POSTROUTING.
        device = f"eth0:{node}" if rt.calico is not None else f"cni0:{node}"
        masq_ip = rt.topology.graph.nodes[device]["ip"]
        nat += "; hairpin: the source is in the pod's network, so CNI-HOSTPORT-SETMARK marks it"
        if kernel is not None:
            after.append(Hop(kernel.vertex, kernel.where, "iptables nat POSTROUTING", masq_ip, pod_ip,
                             f"CNI-HOSTPORT-MASQ masquerades it: source {seen} → {masq_ip}"))
        seen = masq_ip
    if kernel is not None:
        # The DNAT comes before the routing decision: the node's address is not where it ends.
        routed = Hop(kernel.vertex, kernel.where, "routing table", kernel.src, pod_ip, _route_note(rt, node, pod_ip))
        if hook == "OUTPUT":  # the node's own packet: the socket's route came first
            conn.hops.insert(len(conn.hops) - 1, replace(kernel, note=f"the socket's route: {conn.dst_ip} is a "
                                                                     "local address"))
        kernel.device, kernel.dst, kernel.note = f"iptables nat {hook}", pod_ip, nat
        conn.hops += [routed, *after]
    _add(conn, rt, post[1:], seen, pod_ip)
    if rt.calico is not None and _policy_drop(rt, conn, s, seen, pod_ip, pod, None, mapped.container_port):
        return conn
    saved = conn.dst_ip, conn.port
    conn.dst_ip, conn.port = pod_ip, mapped.container_port
    _deliver_to_pod(conn, pod, rt)
    conn.dst_ip, conn.port = saved
    return conn


def _deliver_to_node(rt: Runtime, conn: Connection, node: str) -> Connection:
    ports = dict(NODE_PORTS)
    if node == rt.nodes()[0].name:
        ports.update(CONTROL_PLANE_PORTS)
    if conn.protocol == "TCP" and conn.port in ports:
        conn.ok = True
        conn.reason = f"{ports[conn.port]} on {node} accepted the connection on {conn.dst_ip}:{conn.port}"
    else:
        conn.fail("refused", f"nothing listens on {conn.dst_ip}:{conn.port}/{conn.protocol} on node {node}: "
                  "connection refused")
    return conn


def _add(conn: Connection, rt: Runtime, path: list[str], src: str, dst: str,
         snat_to: str | None = None, snat_node: str | None = None) -> None:
    """Turn a vertex path into hops, expanding each VXLAN edge into its underlay path."""
    g = rt.topology.graph
    cur_src = src
    for i, v in enumerate(path):
        data = g.nodes[v]
        node = data.get("node", "")
        kind = data.get("kind")
        where = node or ("outside" if v == EXTERNAL else "node network")
        note = ""
        if kind == "pod":
            note = "the pod's eth0" if i == 0 else "delivered to the pod's eth0"
            if i == 0 and rt.calico is not None:
                note += f" (default via {calico.GATEWAY} dev eth0)"
        elif kind == "veth" and rt.calico is not None and i + 1 < len(path) and path[i + 1].startswith("pod:"):
            note = f"veth pair: {data['label']} on the node ↔ the pod's eth0, no bridge"
        elif kind == "veth" and rt.calico is not None:
            note = (f"veth pair: the pod's eth0 ↔ {data['label']} on the node, no bridge; {data['label']} "
                    f"answers ARP for the gateway {calico.GATEWAY} (proxy ARP)")
        elif kind == "veth":
            note = "veth pair: the pod's eth0 ↔ this port on the node"
        elif kind == "bridge":
            note = f"bridge {data['ip']}, the pods' gateway"
        elif kind == "host":
            note = _route_note(rt, node, dst)
            if snat_to and node == snat_node and cur_src != snat_to:
                # Routed first, then masqueraded in POSTROUTING with the outgoing interface's address.
                conn.hops.append(Hop(v, where, data.get("label", v), cur_src, dst, note))
                note = f"MASQUERADE: source {cur_src} → {snat_to} ({_flannel_masquerade(rt)})"
                cur_src = snat_to
                conn.hops.append(Hop(v, where, "iptables nat POSTROUTING", cur_src, dst, note))
                continue
        elif kind == "vxlan":
            prev = path[i - 1] if i else ""
            if g.nodes.get(prev, {}).get("kind") == "vxlan":
                note = f"VXLAN decapsulation: the inner packet {cur_src} → {dst} comes out unchanged"
            else:
                note = f"VXLAN encapsulation (VNI 1): the packet is wrapped in UDP to port {VXLAN_PORT}"
        elif kind == "ipip":
            prev = path[i - 1] if i else ""
            if g.nodes.get(prev, {}).get("kind") == "ipip":
                note = f"IP-in-IP decapsulation: the inner packet {cur_src} → {dst} comes out unchanged"
            else:
                note = (f"IP-in-IP encapsulation (CALICO_IPV4POOL_IPIP=Always): the packet is wrapped in an "
                        f"outer IP packet (protocol 4); tunl0 has {data['ip']}")
        elif kind == "nic":
            note = f"node IP {data['ip']}"
        elif kind == "switch":
            note = data.get("label", "")
        conn.hops.append(Hop(v, where, data.get("label", v), cur_src, dst, note))
        nxt = path[i + 1] if i + 1 < len(path) else None
        if kind == "ipip" and nxt and g.nodes[nxt].get("kind") == "ipip":
            a, b = f"eth0:{node}", f"eth0:{g.nodes[nxt]['node']}"
            outer_src, outer_dst = g.nodes[a]["ip"], g.nodes[b]["ip"]
            outer = rt.topology.path(f"kernel:{node}", f"kernel:{g.nodes[nxt]['node']}", {"host", "underlay"})
            for u in outer:
                ud = g.nodes[u]
                conn.hops.append(Hop(u, ud.get("node") or "node network", ud.get("label", u), outer_src, outer_dst,
                                     f"outer IP-in-IP packet (protocol 4) node → node, carrying {cur_src} → {dst}"))
        if kind == "vxlan" and nxt and g.nodes[nxt].get("kind") == "vxlan":
            a, b = f"eth0:{node}", f"eth0:{g.nodes[nxt]['node']}"
            outer_src, outer_dst = g.nodes[a]["ip"], g.nodes[b]["ip"]
            # The outer packet is routed by each node's kernel between flannel.1 and eth0, so the
            # hops stay adjacent in the graph: kernel, eth0, node network, eth0, kernel.
            outer = rt.topology.path(f"kernel:{node}", f"kernel:{g.nodes[nxt]['node']}", {"host", "underlay"})
            for u in outer:
                ud = g.nodes[u]
                conn.hops.append(Hop(u, ud.get("node") or "node network", ud.get("label", u),
                                     f"{outer_src}", f"{outer_dst}:{VXLAN_PORT}",
                                     f"outer UDP packet node → node, carrying {cur_src} → {dst}"))


def _route_note(rt: Runtime, node: str, dst: str) -> str:
    if not node:
        return ""
    n = _node(rt, node)
    if rt.calico is not None and in_cidr(dst, rt.config.pod_cidr):
        return _calico_route_note(rt, n, dst)
    if n.spec.pod_cidr and in_cidr(dst, n.spec.pod_cidr):
        return f"route {n.spec.pod_cidr} dev cni0"
    if in_cidr(dst, rt.config.pod_cidr):
        for other in rt.nodes():
            if other.spec.pod_cidr and in_cidr(dst, other.spec.pod_cidr):
                gw = str(ipaddress.ip_network(other.spec.pod_cidr).network_address)
                return f"route {other.spec.pod_cidr} via {gw} dev flannel.1 onlink"
    if in_cidr(dst, rt.config.node_cidr):
        return f"route {rt.config.node_cidr} dev eth0" if internal_ip(n) != dst else "local address: delivered here"
    return "default route via eth0"



def _calico_route_note(rt: Runtime, node: Node, dst: str) -> str:
    """The route Calico installs on ``node`` for the pod address ``dst``: a local pod's /32 to its
    veth, another node's block via that node over tunl0 (BIRD's route), the node's own block a blackhole."""
    pool = rt.calico
    block = pool.block_of(dst) if pool is not None else None
    if block is None:
        return "no route: the address is in no claimed block"
    if block.node == node.name:
        key = rt.topology.pod_with_ip(dst)
        veth = rt.topology.veth(key) if key else None
        return f"route {dst} dev {veth} scope link" if veth else f"blackhole {block.cidr} proto bird"
    return f"route {block.cidr} via {internal_ip(_node(rt, block.node))} dev tunl0 proto bird onlink"


# ------------------------------------------------------------------ Calico's policy enforcement

def _policy_drop(rt: Runtime, conn: Connection, s: Source, seen_src: str, dst_ip: str, dst_pod: Pod | None,
                 dst_host: str | None, port: int,
                 egress_to: tuple[str, Pod | str | None, int] | None = None) -> bool:
    """On a Calico cluster, whether Felix drops ``conn`` by NetworkPolicy; if so the connection
    fails as a drop (the client times out) and its last hop says which chain on which node.

    Evaluated once per connection after kube-proxy's DNAT, as Felix does (conntrack then lets the
    replies of an allowed connection through): the source pod's egress at ``cali-fw-<veth>`` on its
    node, the destination pod's ingress at ``cali-tw-<veth>`` on its node. ``seen_src`` is the source
    as the destination's node sees it (after any SNAT on the way); ``egress_to`` is (ip, pod or
    host, port) as the source's node sees the destination (the Service's node IP and nodePort when
    kube-proxy on another node does the DNAT), by default the endpoint itself. The host's own
    traffic to a local pod is not policed (Felix's ``filterOutputChain``)."""
    from . import netpol  # the policies, read per store revision (label changes count at once)

    ps = netpol.policy_set(rt)
    src_is_pod = s.kind == "pod" and s.pod is not None and pod_vertex(s.pod.key) in rt.topology.graph
    if not src_is_pod and s.node is not None and dst_pod is not None and dst_pod.spec.node_name == s.node:
        return False  # the node (or a host-network pod) to a local workload: cali-OUTPUT returns before policy
    src_peer = ps.peer(s.pod, s.ip) if src_is_pod and s.pod is not None else netpol.Peer(seen_src)
    dst_peer = ps.peer(dst_pod, dst_ip) if dst_pod is not None else netpol.Peer(dst_ip)
    verdict = ps.decide(src_peer, dst_peer, port, conn.protocol)
    egress = verdict.egress
    if egress_to is not None and egress_to[0] != dst_ip:
        ip, target, eport = egress_to
        peer = ps.peer(target, ip) if isinstance(target, Pod) else netpol.Peer(ip)
        egress = ps.decide(src_peer, peer, eport, conn.protocol).egress
    if not egress.allowed and src_is_pod and s.pod is not None:
        node = s.pod.spec.node_name or ""
        veth = rt.topology.veth(s.pod.key) or ""
        to_host = dst_host == node
        path = ("cali-INPUT → cali-wl-to-host → cali-from-wl-dispatch" if to_host
                else "cali-FORWARD → cali-from-wl-dispatch")
        _drop_at(conn, f"kernel:{node}", first=True, note=(
            f"Calico (Felix) on {node}: {path} → cali-fw-{veth} (from workload {s.pod.name}): "
            f"{_side_words(egress)}: DROP (\"Drop if no policies passed packet\")"))
        conn.fail("timeout", f"NetworkPolicy: the egress of {s.pod.namespace}/{s.pod.name} does not allow "
                  f"{egress_to[0] if egress_to else dst_ip}:{egress_to[2] if egress_to else port}/{conn.protocol}: "
                  f"Calico drops the packet at cali-fw-{veth} on {node}, nothing answers and the connection "
                  "times out")
        return True
    ingress = verdict.ingress
    if not ingress.allowed and dst_pod is not None:
        node = dst_pod.spec.node_name or ""
        veth = rt.topology.veth(dst_pod.key) or ""
        _drop_at(conn, f"kernel:{node}", first=False, note=(
            f"Calico (Felix) on {node}: cali-FORWARD → cali-to-wl-dispatch → cali-tw-{veth} (to workload "
            f"{dst_pod.name}): {_side_words(ingress)}: DROP (\"Drop if no policies passed packet\")"))
        conn.fail("timeout", f"NetworkPolicy: the ingress of {dst_pod.namespace}/{dst_pod.name} does not allow "
                  f"{seen_src} on {port}/{conn.protocol}: Calico drops the packet at cali-tw-{veth} on {node}, "
                  "nothing answers and the connection times out")
        return True
    return False


def _side_words(side: object) -> str:
    """The policies that isolate the pod in this direction and why none of their rules allows."""
    selecting = ", ".join(getattr(side, "selecting", ()))
    why = "; ".join(getattr(side, "why_not", ()))
    return f"isolated by {selecting}" + (f" ({why})" if why else "")


def _drop_at(conn: Connection, vertex: str, first: bool, note: str) -> None:
    """Cut the path at ``vertex`` (its first or last hop there), where the packet is dropped."""
    idx = [i for i, h in enumerate(conn.hops) if h.vertex == vertex]
    if not idx:
        return
    # The hops of one pass through the node's kernel (nat hooks, routing, POSTROUTING): the filter
    # chains run after the routing decision and before POSTROUTING, so cut at the routing hop.
    run = [idx[0]] if first else [idx[-1]]
    while first and run[-1] + 1 in idx:
        run.append(run[-1] + 1)
    while not first and run[0] - 1 in idx:
        run.insert(0, run[0] - 1)
    routing = [i for i in run if conn.hops[i].device == "routing table"]
    i = routing[-1] if routing else run[-1]
    del conn.hops[i + 1:]
    hop = conn.hops[i]
    hop.note = f"{hop.note}; {note}" if hop.note else note
