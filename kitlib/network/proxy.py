"""kube-proxy: what each node's rules do with a packet sent to a Service address.

Every node runs kube-proxy. It watches Services and EndpointSlices and programs the node's
kernel so that a packet to a Service address is DNATed to one endpoint:

* **iptables mode** (the default): NAT rules. ``KUBE-SERVICES`` matches the ClusterIP,
  external IPs and LoadBalancer IPs (and, last, ``-m addrtype --dst-type LOCAL`` sends node
  addresses to ``KUBE-NODEPORTS``); ``KUBE-SVC-…`` picks an endpoint with a chain of
  ``-m statistic --mode random --probability 1/n, 1/(n-1), …`` rules; ``KUBE-SEP-…`` DNATs.
* **IPVS mode**: each Service address is a virtual server whose real servers are the
  endpoints, scheduled round robin (``rr``).

This module is kube-proxy's view of the cluster (:func:`view`, rebuilt only when the API
store's revision moves), the packet matching and endpoint choice the kernel then makes
(:func:`entry_for`, :func:`decide`, :func:`choose`), and renderings of the rules:
:func:`iptables_save` (``iptables-save -t nat``) and :func:`ipvsadm` (``ipvsadm -Ln``).

Sources: ``pkg/proxy/iptables/proxier.go``, ``pkg/proxy/topology.go`` (CategorizeEndpoints)
and ``pkg/proxy/endpointslicecache.go`` of Kubernetes v1.32.
"""

from __future__ import annotations

import functools
import hashlib
import ipaddress
import math
import random
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING

from ..api.discovery import SERVICE_NAME_LABEL
from ..api.node import internal_ip
from ..errors import NotFound

if TYPE_CHECKING:
    from ..runtime import Runtime

MASQ_MARK = "0x4000"
"""``--masquerade-bit 14``: the mark KUBE-MARK-MASQ sets and KUBE-POSTROUTING looks for."""
LARGE_CLUSTER_ENDPOINTS = 1000
"""Above this many endpoints kube-proxy leaves the per-endpoint comments out (largeClusterMode)."""
IPTABLES_VERSION = "v1.8.9 (nf_tables)"


# ---------------------------------------------------------------------------------- chain names

_B32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"  # RFC 4648 base32, as Go's base32.StdEncoding
_B32_PAIRS = [a + b for a in _B32 for b in _B32]


@functools.lru_cache(maxsize=1 << 17)
def _hash16(text: str) -> str:
    # 16 base32 characters encode exactly the first 10 bytes (80 bits) of the digest; taking
    # them 10 bits at a time is what base64.b32encode does, several times faster.
    n = int.from_bytes(hashlib.sha256(text.encode()).digest()[:10], "big")
    pairs = _B32_PAIRS
    return "".join([pairs[(n >> shift) & 1023] for shift in (70, 60, 50, 40, 30, 20, 10, 0)])


def port_proto_hash(service_port_name: str, protocol: str) -> str:
    """kube-proxy's ``portProtoHash``: base32(sha256(name + protocol))[:16].

    >>> port_proto_hash("default/kubernetes:https", "TCP")
    'NPX46M4PTMTKRN6Y'
    """
    return _hash16(service_port_name + protocol.lower())


def service_chain(service_port_name: str, protocol: str) -> str:
    """``KUBE-SVC-…``: the chain that spreads a service port's traffic over its endpoints."""
    return "KUBE-SVC-" + port_proto_hash(service_port_name, protocol)


def local_chain(service_port_name: str, protocol: str) -> str:
    """``KUBE-SVL-…``: the same, over this node's endpoints only (a ``Local`` traffic policy)."""
    return "KUBE-SVL-" + port_proto_hash(service_port_name, protocol)


def external_chain(service_port_name: str, protocol: str) -> str:
    """``KUBE-EXT-…``: where NodePort, LoadBalancer and external-IP traffic goes first."""
    return "KUBE-EXT-" + port_proto_hash(service_port_name, protocol)


def endpoint_chain(service_port_name: str, protocol: str, endpoint: str) -> str:
    """``KUBE-SEP-…``: the chain that DNATs to one endpoint (``endpoint`` is ``ip:port``).

    >>> endpoint_chain("default/my-nginx", "TCP", "10.244.3.3:80")
    'KUBE-SEP-MEZP33SDGZXSPSO5'
    """
    return "KUBE-SEP-" + _hash16(service_port_name + protocol.lower() + endpoint)


@functools.lru_cache(maxsize=64)
def saved_probability(n: int) -> str:
    """What ``iptables-save`` prints for the rule kube-proxy writes as ``1/n``.

    kube-proxy writes ``%0.10f``; the kernel keeps ``lround(2^31 p)`` and iptables-save prints
    that back with ``%.11f``: ``saved_probability(3) == '0.33333333349'``.
    """
    return f"{_kernel_probability(n):.11f}"


@functools.lru_cache(maxsize=64)
def _kernel_probability(n: int) -> float:
    """The probability the kernel really applies to ``-m statistic`` written as 1/n."""
    written = float(f"{1.0 / n:0.10f}")
    return math.floor(written * 0x80000000 + 0.5) / 0x80000000


# ---------------------------------------------------------------------------------- the view

@dataclass(frozen=True, slots=True)
class ProxyEndpoint:
    """One endpoint of a service port, as kube-proxy's endpoint cache holds it."""

    ip: str
    port: int
    node: str | None
    pod: str | None
    """``namespace/name`` of the pod in the endpoint's targetRef (None for a manual endpoint)."""
    ready: bool
    serving: bool
    terminating: bool

    @property
    def address(self) -> str:
        return f"{self.ip}:{self.port}"

    @property
    def key(self) -> str:
        """The pod key, or ``ip/<address>`` for an endpoint that is not a pod."""
        return self.pod or f"ip/{self.ip}"


@dataclass(slots=True, eq=False)
class ServicePort:
    """One port of a Service, with what kube-proxy needs to program it."""

    namespace: str
    name: str
    port_name: str
    protocol: str
    port: int
    type: str
    cluster_ip: str
    node_port: int | None
    external_ips: tuple[str, ...]
    lb_ips: tuple[str, ...]
    etp_local: bool
    itp_local: bool
    affinity_timeout: int | None
    endpoints: tuple[ProxyEndpoint, ...]
    _hash: str | None = None

    @property
    def service(self) -> str:
        return f"{self.namespace}/{self.name}"

    @property
    def port_name_string(self) -> str:
        """``ServicePortName.String()``: ``ns/name``, plus ``:port-name`` when the port has a name."""
        return f"{self.namespace}/{self.name}:{self.port_name}" if self.port_name else f"{self.namespace}/{self.name}"

    @property
    def hash(self) -> str:
        if self._hash is None:
            self._hash = port_proto_hash(self.port_name_string, self.protocol)
        return self._hash

    @property
    def svc_chain(self) -> str:
        return "KUBE-SVC-" + self.hash

    @property
    def svl_chain(self) -> str:
        return "KUBE-SVL-" + self.hash

    @property
    def ext_chain(self) -> str:
        return "KUBE-EXT-" + self.hash

    def sep_chain(self, ep: ProxyEndpoint) -> str:
        return endpoint_chain(self.port_name_string, self.protocol, ep.address)

    @property
    def externally_accessible(self) -> bool:
        return bool(self.node_port or self.lb_ips or self.external_ips)

    @property
    def uses_cluster_endpoints(self) -> bool:
        return not self.itp_local or (self.externally_accessible and not self.etp_local)

    @property
    def uses_local_endpoints(self) -> bool:
        return self.itp_local or (self.externally_accessible and self.etp_local)


@dataclass(slots=True)
class NodeRules:
    """``CategorizeEndpoints`` for one service port on one node."""

    rt: tuple[ProxyEndpoint, ...]
    local: tuple[ProxyEndpoint, ...]
    reachable: tuple[ProxyEndpoint, ...]
    has_endpoints: bool
    has_internal: bool
    has_external: bool


class ProxyView:
    """kube-proxy's service and endpoint maps, the same on every node (built by :func:`view`)."""

    def __init__(self, rt: Runtime) -> None:
        self.revision = rt.api.store.revision
        self.ports: list[ServicePort] = []
        self.by_vip: dict[tuple[str, int, str], tuple[ServicePort, str]] = {}
        self.by_node_port: dict[tuple[int, str], ServicePort] = {}
        self.cluster_ips: dict[str, str] = {}  # clusterIP -> ns/name
        self.node_ips: dict[str, str] = {internal_ip(n): n.name for n in rt.nodes()}  # type: ignore[arg-type]
        self._rules: dict[tuple[int, str], NodeRules] = {}
        slices: dict[tuple[str, str], list] = {}
        for sl in rt.api.store.objects("EndpointSlice"):
            owner = sl.metadata.labels.get(SERVICE_NAME_LABEL)
            if owner and getattr(sl, "address_type", "IPv4") == "IPv4":
                slices.setdefault((sl.metadata.namespace or "", owner), []).append(sl)
        total = 0
        for svc in rt.api.store.objects("Service"):
            s = svc.spec
            kind = s.type or "ClusterIP"
            # ShouldSkipService: no virtual IP, nothing for kube-proxy to do.
            if kind == "ExternalName" or s.cluster_ip in (None, "", "None"):
                continue
            ns, name = svc.metadata.namespace or "", svc.metadata.name or ""
            self.cluster_ips[s.cluster_ip] = f"{ns}/{name}"
            lb_ips = tuple(i.ip for i in svc.status.load_balancer.ingress
                           if i.ip and i.ip_mode in (None, "VIP")) if kind == "LoadBalancer" else ()
            timeout = None
            if s.session_affinity == "ClientIP":
                cfg = s.session_affinity_config
                timeout = (cfg.client_ip.timeout_seconds if cfg and cfg.client_ip else None) or 10800
            for p in s.ports:
                proto = p.protocol or "TCP"
                eps = _endpoints_for(slices.get((ns, name), ()), p.name or "", proto)
                total += len(eps)
                sp = ServicePort(ns, name, p.name or "", proto, p.port, kind, s.cluster_ip,
                                 p.node_port if kind in ("NodePort", "LoadBalancer") else None,
                                 tuple(s.external_ips), lb_ips, s.external_traffic_policy == "Local",
                                 s.internal_traffic_policy == "Local", timeout, eps)
                self.ports.append(sp)
        # kube-proxy walks a Go map (a different order every sync); sorted keeps runs identical.
        self.ports.sort(key=lambda sp: (sp.port_name_string, sp.protocol))
        for sp in self.ports:
            self.by_vip.setdefault((sp.cluster_ip, sp.port, sp.protocol), (sp, "ClusterIP"))
            for ip in sp.external_ips:
                self.by_vip.setdefault((ip, sp.port, sp.protocol), (sp, "ExternalIP"))
            for ip in sp.lb_ips:
                self.by_vip.setdefault((ip, sp.port, sp.protocol), (sp, "LoadBalancer"))
            if sp.node_port:
                self.by_node_port.setdefault((sp.node_port, sp.protocol), sp)
        self.total_endpoints = total

    def rules(self, sp: ServicePort, node: str) -> NodeRules:
        """Which endpoints ``node``'s kube-proxy uses for ``sp`` (``CategorizeEndpoints``)."""
        key = (id(sp), node)
        cached = self._rules.get(key)
        if cached is None:
            cached = self._rules[key] = categorize(sp, node)
        return cached


def _endpoints_for(slices, port_name: str, protocol: str) -> tuple[ProxyEndpoint, ...]:
    """The endpoints of one service port from the Service's slices, deduplicated by ``ip:port``
    (a ready copy wins) and sorted by that string, as the endpoint slice cache does."""
    found: dict[str, ProxyEndpoint] = {}
    for sl in slices:
        number = None
        for ep_port in sl.ports:
            if (ep_port.name or "") == port_name and (ep_port.protocol or "TCP") == protocol:
                number = ep_port.port
                break
        if number is None:
            continue
        for ep in sl.endpoints:
            if not ep.addresses:
                continue
            c = ep.conditions
            ready = c.ready is None or bool(c.ready)
            serving = ready if c.serving is None else bool(c.serving)
            ref = ep.target_ref
            pod = f"{ref.namespace or sl.metadata.namespace}/{ref.name}" if ref is not None and ref.kind == "Pod" else None
            pe = ProxyEndpoint(ep.addresses[0], number, ep.node_name, pod, ready, serving, bool(c.terminating))
            old = found.get(pe.address)
            if old is None or (pe.ready and not old.ready):
                found[pe.address] = pe
    return tuple(found[k] for k in sorted(found))


def categorize(sp: ServicePort, node: str) -> NodeRules:
    """``pkg/proxy/topology.go CategorizeEndpoints``: ready endpoints, or serving-and-terminating
    ones when none is ready; this node's own for a ``Local`` policy."""
    eps = sp.endpoints
    rt: tuple[ProxyEndpoint, ...] = ()
    local: tuple[ProxyEndpoint, ...] = ()
    has_any = False
    if sp.uses_cluster_endpoints:
        rt = tuple(e for e in eps if e.ready) or tuple(e for e in eps if e.serving and e.terminating)
        has_any = bool(rt)
    if sp.uses_local_endpoints:
        has_any = has_any or any(e.ready or (e.serving and e.terminating) for e in eps)
        local = tuple(e for e in eps if e.node == node and e.ready) or \
            tuple(e for e in eps if e.node == node and e.serving and e.terminating)
    if not sp.uses_local_endpoints:
        reachable = rt
    elif not sp.uses_cluster_endpoints:
        reachable = local
    else:
        merged = {e.address: e for e in (*rt, *local)}
        reachable = tuple(merged[k] for k in sorted(merged))
    return NodeRules(rt, local, reachable, has_any,
                     has_any and (not sp.itp_local or bool(local)),
                     has_any and (not sp.etp_local or bool(local)))


def view(rt: Runtime) -> ProxyView:
    """kube-proxy's view of ``cluster`` now (cached until the API store's revision moves)."""
    cached: ProxyView | None = rt.proxy_view
    if cached is None or cached.revision != rt.api.store.revision:
        cached = rt.proxy_view = ProxyView(rt)
    return cached


# ---------------------------------------------------------------------------------- runtime state

@dataclass
class ProxyRuntime:
    """What the nodes' kernels remember between connections: the ``recent`` lists of session
    affinity, the IPVS round-robin positions and persistence templates, and the random stream
    the kernel's ``-m statistic`` draws from (separate from the cluster's, so that sending
    traffic does not change the names and addresses the cluster hands out)."""

    rng: random.Random
    recent: dict[tuple[str, str], dict[str, float]] = field(default_factory=dict)
    rr: dict[tuple[str, str], str] = field(default_factory=dict)
    persist: dict[tuple[str, str, str], tuple[str, float]] = field(default_factory=dict)


def runtime(rt: Runtime) -> ProxyRuntime:
    if rt.proxy_state is None:
        rt.proxy_state = ProxyRuntime(random.Random(f"{rt.seed}:traffic"))
    return rt.proxy_state


def reset(rt: Runtime) -> None:
    """Forget affinity and round-robin state (kube-proxy restarted in another mode)."""
    state = runtime(rt)
    state.recent.clear()
    state.rr.clear()
    state.persist.clear()


# ---------------------------------------------------------------------------------- packets

@dataclass
class Entry:
    """Where a packet to a Service address meets kube-proxy's rules.

    ``node`` is the node whose rules handle it: the client's own node for a pod or node client
    (its packet goes through its node's ``KUBE-SERVICES`` first, whatever Service address it is
    sent to), the node addressed for a NodePort, the announcing node for a MetalLB IP. When
    nothing outside the cluster can reach the address, ``node`` is None and ``reason`` says why.
    """

    service_port: ServicePort
    kind: str
    """``ClusterIP``, ``NodePort``, ``LoadBalancer`` or ``ExternalIP``."""
    node: str | None
    dst: str
    port: int
    client_ip: str = ""
    """The packet's source address when it reaches ``node``."""
    source: str = "remote"
    """``pod`` (from the pod network), ``local`` (the node itself) or ``remote``."""
    crosses: bool = False
    """The packet leaves the client's node for ``node`` before any rule matches."""
    announced_by: str | None = None
    reason: str = ""


def entry_for(rt: Runtime, src_kind: str, src_node: str | None, src_ip: str, dst_ip: str,
              port: int, protocol: str) -> Entry | None:
    """Which Service port and node's rules a packet from the client to ``dst_ip:port`` meets,
    or None when it is not addressed to a Service (plain routing)."""
    v = view(rt)
    hit = v.by_vip.get((dst_ip, port, protocol))
    if hit is not None:
        sp, kind = hit
        if src_kind in ("pod", "node"):
            # kube-proxy's rules on the client's own node capture every Service address,
            # including LoadBalancer and external IPs: the packet never leaves the node as such.
            return Entry(sp, kind, src_node, dst_ip, port, src_ip, "pod" if src_kind == "pod" else "local")
        if kind == "ClusterIP":
            return Entry(sp, kind, None, dst_ip, port, src_ip, reason=(
                f"{dst_ip} is the ClusterIP of {sp.service}: a virtual address that exists only in the rules "
                f"kube-proxy writes on each node, on no interface; nothing outside the cluster has a route to "
                f"it, so the client sends the packet to its default gateway, where it is lost, and the "
                f"connection times out (use a NodePort or a LoadBalancer to reach a Service from outside)"))
        if kind == "LoadBalancer":
            from ..addons import announcer

            node, why = announcer(rt, sp.service, dst_ip)
            if node is None:
                return Entry(sp, kind, None, dst_ip, port, src_ip, reason=why)
            return Entry(sp, kind, node, dst_ip, port, src_ip, "remote", announced_by=node)
        node = v.node_ips.get(dst_ip)
        if node is None:
            return Entry(sp, kind, None, dst_ip, port, src_ip, reason=(
                f"{dst_ip} is an external IP of {sp.service}, but Kubernetes does not announce external IPs: "
                f"nothing on the node network routes {dst_ip} to a node, and the connection times out"))
        return Entry(sp, kind, node, dst_ip, port, src_ip, "remote")
    node = v.node_ips.get(dst_ip)
    if node is not None:
        sp = v.by_node_port.get((port, protocol))
        if sp is None:
            return None
        if src_kind in ("pod", "node") and node == src_node:
            return Entry(sp, "NodePort", node, dst_ip, port, src_ip, "pod" if src_kind == "pod" else "local")
        # The packet crosses the node network first; a pod's source is masqueraded by flannel.
        client = src_ip
        if src_kind == "pod" and src_node:
            client = internal_ip(rt.get("Node", src_node))  # type: ignore[arg-type]
        return Entry(sp, "NodePort", node, dst_ip, port, client, "remote", crosses=src_kind != "external")
    return None


@dataclass
class Decision:
    """What the entry node's kernel does with the packet: DNAT to one of ``endpoints``, or
    refuse (REJECT) or drop it (DROP), with the chains it went through."""

    action: str
    """``dnat``, ``reject`` or ``drop``."""
    chains: list[str]
    endpoints: tuple[ProxyEndpoint, ...] = ()
    masquerade: bool = False
    reason: str = ""
    virtual_server: str = ""
    """IPVS mode: the virtual server, e.g. ``TCP 10.96.0.10:53``."""
    rule: str = ""
    """The filter-table rule that refused or dropped the packet, as iptables-save prints it."""


def decide(rt: Runtime, entry: Entry) -> Decision:
    """Run the packet through ``entry.node``'s kube-proxy rules (iptables or IPVS)."""
    sp = entry.service_port
    node = entry.node or ""
    r = view(rt).rules(sp, node)
    name = sp.port_name_string
    masq_external = not sp.etp_local or entry.source == "local"
    if rt.proxy_mode == "ipvs":
        vs = f"{sp.protocol} {entry.dst}:{entry.port}"
        if entry.kind == "ClusterIP":
            eps, masq = (r.local if sp.itp_local else r.rt), entry.source != "pod"
        else:
            eps, masq = (r.local if sp.etp_local else r.rt), masq_external
        if not eps:
            what = "has no endpoints" if not r.has_endpoints else f"has no local endpoints on {node}"
            return Decision("reject", [f"IPVS {vs}"], virtual_server=vs, reason=(
                f"{name} {what}: the IPVS virtual server {entry.dst}:{entry.port} on {node} has no real "
                "servers, so the kernel answers ICMP port unreachable and the connection is refused"))
        return Decision("dnat", [f"IPVS {vs}"], eps, masq, virtual_server=vs)
    chains = ["KUBE-SERVICES"]
    if not r.has_endpoints:
        return Decision("reject", chains, rule=_filter_rule(entry, f"{name} has no endpoints", "REJECT"), reason=(
            f"{name} has no endpoints: kube-proxy on {node} REJECTs connections to it "
            "(-j REJECT --reject-with icmp-port-unreachable), so the connection is refused"))
    if entry.kind == "ClusterIP":
        if not r.has_internal:
            return Decision("drop", chains, rule=_filter_rule(entry, f"{name} has no local endpoints", "DROP"), reason=(
                f"{name} has no local endpoints: internalTrafficPolicy is Local and no endpoint runs on {node}, "
                "so kube-proxy DROPs the packet and the connection times out"))
        chain = sp.svl_chain if sp.itp_local else sp.svc_chain
        return Decision("dnat", [*chains, chain], r.local if sp.itp_local else r.rt,
                        masquerade=entry.source != "pod")
    if entry.kind == "NodePort":
        chains.append("KUBE-NODEPORTS")
    chains.append(sp.ext_chain)
    if not sp.etp_local or entry.source in ("pod", "local"):
        eps = r.rt or r.local
        if not eps:  # both policies Local and no endpoint here: nothing to send it to
            return Decision("drop", chains, rule=_filter_rule(entry, f"{name} has no local endpoints", "DROP"),
                            reason=f"{name} has no local endpoints on {node}: kube-proxy DROPs the packet and "
                                   "the connection times out")
        return Decision("dnat", [*chains, sp.svc_chain], eps, masquerade=masq_external)
    if not r.local:
        return Decision("drop", chains, rule=_filter_rule(entry, f"{name} has no local endpoints", "DROP"), reason=(
            f"{name} has no local endpoints on {node}: with externalTrafficPolicy Local, kube-proxy DROPs "
            "traffic from outside on a node without a ready endpoint of its own, and the connection times out"))
    return Decision("dnat", [*chains, sp.svl_chain], r.local, masquerade=False)


def _filter_rule(entry: Entry, comment: str, target: str) -> str:
    """The filter-table rule kube-proxy writes to refuse (REJECT) or drop a service address."""
    sp = entry.service_port
    proto = sp.protocol.lower()
    verdict = "REJECT --reject-with icmp-port-unreachable" if target == "REJECT" else "DROP"
    if entry.kind == "ClusterIP":
        return (f"-A KUBE-SERVICES -d {sp.cluster_ip}/32 -p {proto} -m comment --comment {_q(comment)} "
                f"-m {proto} --dport {sp.port} -j {verdict}")
    if entry.kind == "NodePort":
        return (f"-A KUBE-EXTERNAL-SERVICES -p {proto} -m comment --comment {_q(comment)} -m addrtype --dst-type "
                f"LOCAL -m {proto} --dport {sp.node_port} -j {verdict}")
    return (f"-A KUBE-EXTERNAL-SERVICES -d {entry.dst}/32 -p {proto} -m comment --comment {_q(comment)} "
            f"-m {proto} --dport {sp.port} -j {verdict}")


def choose(rt: Runtime, entry: Entry, decision: Decision, n: int = 1,
           first: float | None = None, last: float | None = None) -> list[tuple[ProxyEndpoint, int]]:
    """Which endpoints ``n`` new connections (at times ``first`` … ``last``) are DNATed to,
    with the same randomness as the kernel: the statistic chain (iptables), round robin (IPVS),
    and ``sessionAffinity: ClientIP`` (the ``recent`` module, or IPVS persistence).

    The counts have exactly the distribution of ``n`` separate draws: the statistic chain is
    itself a sequence of binomial draws over the connections that reach each rule.
    """
    eps = decision.endpoints
    if n <= 0 or not eps:
        return []
    state = runtime(rt)
    now = rt.now
    first = now if first is None else first
    last = first if last is None else last
    gap = (last - first) / (n - 1) if n > 1 else 0.0
    sp = entry.service_port
    node = entry.node or ""
    timeout = sp.affinity_timeout
    client = entry.client_ip
    ipvs = rt.proxy_mode == "ipvs"
    pinned: ProxyEndpoint | None = None
    if timeout is not None:
        if ipvs:
            held = state.persist.get((node, decision.virtual_server, client))
            if held is not None and first - held[1] <= timeout:
                pinned = next((e for e in eps if e.address == held[0]), None)
        else:
            for e in eps:  # the --rcheck rules, in endpoint order
                seen = state.recent.get((node, sp.sep_chain(e)), {}).get(client)
                if seen is not None and first - seen <= timeout:
                    pinned = e
                    break
        if pinned is None:
            pinned = _spread(state, node, decision, eps, 1, ipvs)[0][0]
        if gap <= timeout:
            counts = [(pinned, n)]
        else:
            # Requests further apart than the timeout each start afresh.
            counts = _merge([(pinned, 1), *_spread(state, node, decision, eps, n - 1, ipvs)])
        final = counts[-1][0]
        if ipvs:
            state.persist[(node, decision.virtual_server, client)] = (final.address, last)
        else:
            state.recent.setdefault((node, sp.sep_chain(final)), {})[client] = last
        return counts
    return _spread(state, node, decision, eps, n, ipvs)


def _spread(state: ProxyRuntime, node: str, decision: Decision, eps: tuple[ProxyEndpoint, ...], n: int,
            ipvs: bool) -> list[tuple[ProxyEndpoint, int]]:
    m = len(eps)
    if n <= 0:
        return []
    if ipvs:
        key = (node, decision.virtual_server)
        addrs = [e.address for e in eps]
        prev = state.rr.get(key)
        start = (addrs.index(prev) + 1) % m if prev in addrs else 0
        base, extra = divmod(n, m)
        counts = [(eps[(start + j) % m], base + (1 if j < extra else 0)) for j in range(m)]
        state.rr[key] = addrs[(start + n - 1) % m]
        return [(e, c) for e, c in counts if c]
    out = []
    remaining = n
    for i, e in enumerate(eps):
        if i == m - 1:
            c = remaining
        else:
            c = binomial(state.rng, remaining, _kernel_probability(m - i))
        if c:
            out.append((e, c))
        remaining -= c
        if not remaining:
            break
    return out


def _merge(counts: list[tuple[ProxyEndpoint, int]]) -> list[tuple[ProxyEndpoint, int]]:
    merged: dict[str, list] = {}
    for e, c in counts:
        if e.address in merged:
            merged[e.address][1] += c
        else:
            merged[e.address] = [e, c]
    return [(e, c) for e, c in merged.values()]


def binomial(rng: random.Random, n: int, p: float) -> int:
    """One draw from Binomial(n, p) in O(1) expected time: Devroye's geometric method when
    ``n p < 10``, Hörmann's BTRS (transformed rejection with squeeze) otherwise. ``n == 1`` is a
    single ``rng.random() < p``, exactly one packet meeting one statistic rule."""
    if n <= 0 or p <= 0.0:
        return 0
    if p >= 1.0:
        return n
    if n == 1:
        return int(rng.random() < p)
    if p > 0.5:
        return n - binomial(rng, n, 1.0 - p)
    if n * p < 10.0:
        x = y = 0
        c = math.log(1.0 - p)
        while True:
            y += math.floor(math.log(1.0 - rng.random()) / c) + 1
            if y > n:
                return x
            x += 1
    spq = math.sqrt(n * p * (1.0 - p))
    b = 1.15 + 2.53 * spq
    a = -0.0873 + 0.0248 * b + 0.01 * p
    c = n * p + 0.5
    vr = 0.92 - 4.2 / b
    alpha = (2.83 + 5.1 / b) * spq
    lpq = math.log(p / (1.0 - p))
    m = math.floor((n + 1) * p)
    h = math.lgamma(m + 1) + math.lgamma(n - m + 1)
    while True:
        u = rng.random() - 0.5
        us = 0.5 - abs(u)
        k = math.floor((2.0 * a / us + b) * u + c)
        if k < 0 or k > n:
            continue
        v = rng.random()
        if us >= 0.07 and v <= vr:
            return k
        v *= alpha / (a / (us * us) + b)
        if math.log(v) <= h - math.lgamma(k + 1) - math.lgamma(n - k + 1) + (k - m) * lpq:
            return k


# ---------------------------------------------------------------------------------- renderings

def _q(text: str) -> str:
    """A comment as iptables-save prints it (quoted unless it is all ``[A-Za-z0-9_-]``)."""
    if text and all(ch.isascii() and (ch.isalnum() or ch in "_-") for ch in text):
        return text
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _ctime(rt: Runtime) -> str:
    from ..clock import EPOCH

    return (EPOCH + timedelta(seconds=int(rt.now))).ctime()


def iptables_save(rt: Runtime, node: str) -> str:
    """What ``iptables-save -t nat`` prints of kube-proxy's chains on ``node``.

    Chains and their names are kube-proxy's (v1.32, iptables mode, ``--cluster-cidr`` set as on
    minikube); arguments appear in the order iptables-save normalizes them to. Two things
    differ from a real dump: the packet counters are ``[0:0]``, and services come in sorted
    order (kube-proxy writes them in Go map order, which changes at every sync). In IPVS mode
    the nat table holds only the ipset-based masquerade rules; see :func:`ipvsadm`.
    """
    if node.startswith("node/"):
        node = node[5:]
    if rt.api.store.get("Node", node) is None:
        raise NotFound(f'nodes "{node}" not found')
    if rt.proxy_mode == "ipvs":
        return _ipvs_nat(rt)
    v = view(rt)
    cidr = rt.config.pod_cidr
    large = v.total_endpoints > LARGE_CLUSTER_ENDPOINTS
    chains = {"KUBE-KUBELET-CANARY", "KUBE-MARK-MASQ", "KUBE-NODEPORTS", "KUBE-POSTROUTING",
              "KUBE-PROXY-CANARY", "KUBE-SERVICES"}
    rules: dict[str, list[str]] = {}

    def add(chain: str, rule: str) -> None:
        rules.setdefault(chain, []).append(f"-A {chain} {rule}")

    for sp in v.ports:
        r = v.rules(sp, node)
        if not r.has_endpoints:
            continue  # only REJECT rules, and those live in the filter table
        name = sp.port_name_string
        proto = sp.protocol.lower()
        comment = "" if large else f"-m comment --comment {_q(name)} "
        svc, svl, ext = sp.svc_chain, sp.svl_chain, sp.ext_chain
        uses_cluster = bool(r.rt) and sp.uses_cluster_endpoints
        uses_local = bool(r.local) and sp.uses_local_endpoints
        uses_ext = sp.externally_accessible
        chains.update(c for c, used in ((svc, uses_cluster), (svl, uses_local), (ext, uses_ext)) if used)
        internal = svl if sp.itp_local else svc
        match = f"-p {proto} -m comment --comment {_q(name + ' cluster IP')} -m {proto} --dport {sp.port}"
        if r.has_internal:
            add(internal, f"! -s {cidr} -d {sp.cluster_ip}/32 {match} -j KUBE-MARK-MASQ")
            add("KUBE-SERVICES", f"-d {sp.cluster_ip}/32 {match} -j {internal}")
        for ip in sp.external_ips:
            add("KUBE-SERVICES", f"-d {ip}/32 -p {proto} -m comment --comment {_q(name + ' external IP')} "
                                 f"-m {proto} --dport {sp.port} -j {ext}")
        for ip in sp.lb_ips:
            add("KUBE-SERVICES", f"-d {ip}/32 -p {proto} -m comment --comment {_q(name + ' loadbalancer IP')} "
                                 f"-m {proto} --dport {sp.port} -j {ext}")
        if sp.node_port:
            add("KUBE-NODEPORTS", f"-d 127.0.0.0/8 -p {proto} -m comment --comment {_q(name)} -m {proto} "
                                  f"--dport {sp.node_port} -m nfacct --nfacct-name  localhost_nps_accepted_pkts -j {ext}")
            add("KUBE-NODEPORTS", f"-p {proto} -m comment --comment {_q(name)} -m {proto} --dport {sp.node_port} -j {ext}")
        if uses_ext:
            if not sp.etp_local:
                add(ext, f"-m comment --comment {_q(f'masquerade traffic for {name} external destinations')} "
                         "-j KUBE-MARK-MASQ")
                add(ext, f"-j {svc}")
            else:
                add(ext, f"-s {cidr} -m comment --comment {_q(f'pod traffic for {name} external destinations')} -j {svc}")
                add(ext, f"-m comment --comment {_q(f'masquerade LOCAL traffic for {name} external destinations')} "
                         "-m addrtype --src-type LOCAL -j KUBE-MARK-MASQ")
                add(ext, f"-m comment --comment {_q(f'route LOCAL traffic for {name} external destinations')} "
                         f"-m addrtype --src-type LOCAL -j {svc}")
                if r.has_external:
                    add(ext, f"-j {svl}")
        seps = {e.address: sp.sep_chain(e) for e in r.reachable}
        for chain, eps, used in ((svc, r.rt, uses_cluster), (svl, r.local, uses_local)):
            if not used:
                continue
            if sp.affinity_timeout is not None:
                for e in eps:
                    sep = seps[e.address]
                    c = "" if large else f"-m comment --comment {_q(f'{name} -> {e.address}')} "
                    add(chain, f"{c}-m recent --rcheck --seconds {sp.affinity_timeout} --reap --name {sep} "
                               f"--mask 255.255.255.255 --rsource -j {sep}")
            n = len(eps)
            for i, e in enumerate(eps):
                c = "" if large else f"-m comment --comment {_q(f'{name} -> {e.address}')} "
                stat = f"-m statistic --mode random --probability {saved_probability(n - i)} " if i < n - 1 else ""
                add(chain, f"{c}{stat}-j {seps[e.address]}")
        for e in r.reachable:
            sep = seps[e.address]
            chains.add(sep)
            add(sep, f"-s {e.ip}/32 {comment}-j KUBE-MARK-MASQ")
            recent = f"-m recent --set --name {sep} --mask 255.255.255.255 --rsource " if sp.affinity_timeout else ""
            add(sep, f"-p {proto} {comment}{recent}-m {proto} -j DNAT --to-destination {e.address}")
    add("KUBE-SERVICES", '-m comment --comment "kubernetes service nodeports; NOTE: this must be the last rule '
                         'in this chain" -m addrtype --dst-type LOCAL -j KUBE-NODEPORTS')
    add("KUBE-MARK-MASQ", f"-j MARK --set-xmark {MASQ_MARK}/{MASQ_MARK}")
    rules["KUBE-POSTROUTING"] = [
        f"-A KUBE-POSTROUTING -m mark ! --mark {MASQ_MARK}/{MASQ_MARK} -j RETURN",
        f"-A KUBE-POSTROUTING -j MARK --set-xmark {MASQ_MARK}/0x0",
        '-A KUBE-POSTROUTING -m comment --comment "kubernetes service traffic requiring SNAT" -j MASQUERADE --random-fully',
    ]
    builtin = [
        '-A PREROUTING -m comment --comment "kubernetes service portals" -j KUBE-SERVICES',
        '-A OUTPUT -m comment --comment "kubernetes service portals" -j KUBE-SERVICES',
        '-A POSTROUTING -m comment --comment "kubernetes postrouting rules" -j KUBE-POSTROUTING',
    ]
    return _save(rt, sorted(chains), builtin, rules)


def _save(rt: Runtime, chains: list[str], builtin: list[str], rules: dict[str, list[str]]) -> str:
    when = _ctime(rt)
    lines = [f"# Generated by iptables-save {IPTABLES_VERSION} on {when}", "*nat"]
    lines += [f":{c} ACCEPT [0:0]" for c in ("PREROUTING", "INPUT", "OUTPUT", "POSTROUTING")]
    lines += [f":{c} - [0:0]" for c in chains]
    lines += builtin
    for c in chains:
        lines += rules.get(c, [])
    lines += ["COMMIT", f"# Completed on {when}"]
    return "\n".join(lines) + "\n"


def _ipvs_nat(rt: Runtime) -> str:
    """The nat table in IPVS mode: kube-proxy keeps only masquerade and hairpin rules there,
    matching ipsets (``KUBE-CLUSTER-IP``, ``KUBE-NODE-PORT-TCP``, …) instead of one rule per
    Service; the load balancing itself is in IPVS (see :func:`ipvsadm`)."""
    cidr = rt.config.pod_cidr
    chains = ["KUBE-KUBELET-CANARY", "KUBE-LOAD-BALANCER", "KUBE-MARK-MASQ", "KUBE-NODE-PORT",
              "KUBE-POSTROUTING", "KUBE-PROXY-CANARY", "KUBE-SERVICES"]
    rules = {
        "KUBE-LOAD-BALANCER": ["-A KUBE-LOAD-BALANCER -j KUBE-MARK-MASQ"],
        "KUBE-MARK-MASQ": [f"-A KUBE-MARK-MASQ -j MARK --set-xmark {MASQ_MARK}/{MASQ_MARK}"],
        "KUBE-NODE-PORT": ['-A KUBE-NODE-PORT -p tcp -m comment --comment "Kubernetes nodeport TCP port for '
                           'masquerade purpose" -m set --match-set KUBE-NODE-PORT-TCP dst -j KUBE-MARK-MASQ'],
        "KUBE-POSTROUTING": [
            '-A KUBE-POSTROUTING -m comment --comment "Kubernetes endpoints dst ip:port, source ip for solving '
            'hairpin purpose" -m set --match-set KUBE-LOOP-BACK dst,dst,src -j MASQUERADE',
            f"-A KUBE-POSTROUTING -m mark ! --mark {MASQ_MARK}/{MASQ_MARK} -j RETURN",
            f"-A KUBE-POSTROUTING -j MARK --set-xmark {MASQ_MARK}/0x0",
            '-A KUBE-POSTROUTING -m comment --comment "kubernetes service traffic requiring SNAT" '
            "-j MASQUERADE --random-fully"],
        "KUBE-SERVICES": [
            '-A KUBE-SERVICES -m comment --comment "Kubernetes service lb portal" -m set --match-set '
            "KUBE-LOAD-BALANCER dst,dst -j KUBE-LOAD-BALANCER",
            f'-A KUBE-SERVICES ! -s {cidr} -m comment --comment "Kubernetes service cluster ip + port for '
            'masquerade purpose" -m set --match-set KUBE-CLUSTER-IP dst,dst -j KUBE-MARK-MASQ',
            "-A KUBE-SERVICES -m addrtype --dst-type LOCAL -j KUBE-NODE-PORT",
            "-A KUBE-SERVICES -m set --match-set KUBE-CLUSTER-IP dst,dst -j ACCEPT",
            "-A KUBE-SERVICES -m set --match-set KUBE-LOAD-BALANCER dst,dst -j ACCEPT"],
    }
    builtin = [
        '-A PREROUTING -m comment --comment "kubernetes service portals" -j KUBE-SERVICES',
        '-A OUTPUT -m comment --comment "kubernetes service portals" -j KUBE-SERVICES',
        '-A POSTROUTING -m comment --comment "kubernetes postrouting rules" -j KUBE-POSTROUTING',
    ]
    return _save(rt, chains, builtin, rules)


def virtual_servers(rt: Runtime, node: str) -> list[tuple[str, str, int | None, list[ProxyEndpoint]]]:
    """IPVS mode: the virtual servers on ``node`` as (protocol, ``ip:port``, persistence
    timeout, real servers), in ``ipvsadm -Ln``'s order."""
    v = view(rt)
    node_ip = next((ip for ip, n in v.node_ips.items() if n == node), None)
    out = []
    for sp in v.ports:
        r = v.rules(sp, node)
        internal = r.local if sp.itp_local else r.rt
        external = r.local if sp.etp_local else r.rt
        out.append((sp.protocol, sp.cluster_ip, sp.port, sp.affinity_timeout, internal))
        for ip in (*sp.external_ips, *sp.lb_ips):
            out.append((sp.protocol, ip, sp.port, sp.affinity_timeout, external))
        if sp.node_port and node_ip:
            out.append((sp.protocol, node_ip, sp.node_port, sp.affinity_timeout, external))
    out.sort(key=lambda t: (t[0], ipaddress.ip_address(t[1]), t[2]))
    return [(proto, f"{ip}:{port}", timeout, sorted(eps, key=lambda e: (ipaddress.ip_address(e.ip), e.port)))
            for proto, ip, port, timeout, eps in out]


def ipvsadm(rt: Runtime, node: str) -> str:
    """What ``ipvsadm -Ln`` prints on ``node`` in IPVS mode: one virtual server per ClusterIP,
    external IP, LoadBalancer IP and node-IP NodePort, each with its real servers (Masq,
    weight 1, round robin; ``persistent`` for ``sessionAffinity: ClientIP``)."""
    if node.startswith("node/"):
        node = node[5:]
    if rt.api.store.get("Node", node) is None:
        raise NotFound(f'nodes "{node}" not found')
    lines = ["IP Virtual Server version 1.2.1 (size=4096)",
             "Prot LocalAddress:Port Scheduler Flags",
             "  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn"]
    for proto, vip, timeout, eps in virtual_servers(rt, node):
        lines.append(f"{proto}  {vip} rr" + (f" persistent {timeout}" if timeout is not None else ""))
        for e in eps:
            lines.append(f"  -> {e.address:<28} {'Masq':<7} {1:<6} {0:<10} {0:<10}")
    return "\n".join(lines) + "\n"
