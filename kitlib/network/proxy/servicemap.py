"""kube-proxy's service and endpoint maps: what kube-proxy knows of the cluster.

kube-proxy watches Services and EndpointSlices and keeps, for every service port, its
addresses (ClusterIP, external IPs, LoadBalancer IPs, node port), its traffic policies and
session affinity, and its endpoints with their conditions and topology hints. :class:`ProxyView`
is that map, the same on every node; :func:`categorize` picks which endpoints one node's rules
use, for every proxy mode (iptables, IPVS, nftables) and for the traffic they carry.

Topology (``CategorizeEndpoints``, for traffic under a ``Cluster`` policy): when every ready
endpoint has a node hint and one is hinted for this node, the node uses only those
(``PreferSameNode``); otherwise, when every ready endpoint has a zone hint and one is hinted for
this node's zone (its ``topology.kubernetes.io/zone`` label, read live), only those
(``PreferSameZone``); otherwise all of them. One ready endpoint without a hint, or no endpoint
for this node or zone, and the node falls back to every endpoint.

Sources: ``pkg/proxy/topology.go`` (CategorizeEndpoints, topologyModeFromHints) and
``pkg/proxy/endpointslicecache.go`` of Kubernetes v1.37.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ...api.addresses import in_cidr, parse_cidr_sloppy
from ...api.discovery import SERVICE_NAME_LABEL
from ...api.node import internal_ip, node_zone
from ...api.service import PREFER_SAME_NODE, PREFER_SAME_ZONE
from .chains import endpoint_chain, nft_name, nft_service_base, port_proto_hash

if TYPE_CHECKING:
    from ...api.discovery import EndpointSlice
    from ...api.node import Node
    from ...api.service import Service

@dataclass(frozen=True, slots=True)
class Hints:
    """An endpoint's topology hints as kube-proxy keeps them (``ZoneHints()``, ``NodeHints()``)."""

    zones: frozenset[str]
    nodes: frozenset[str]


NO_HINTS = Hints(frozenset(), frozenset())


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
    hints: Hints | None = None
    """Its ``hints``, or None when the EndpointSlice gives it none."""

    @property
    def zone_hints(self) -> frozenset[str]:
        """The zones the endpoint is hinted for (``hints.forZones``)."""
        return (self.hints or NO_HINTS).zones

    @property
    def node_hints(self) -> frozenset[str]:
        """The nodes the endpoint is hinted for (``hints.forNodes``)."""
        return (self.hints or NO_HINTS).nodes

    @property
    def address(self) -> str:
        """``ip:port``, as a DNAT rule writes it."""
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
    source_ranges: tuple[str, ...] = ()
    """``loadBalancerSourceRanges`` as kube-proxy keeps them: IPv4 subnets in canonical form
    (``MapCIDRsByIPFamily``: trimmed, parsed sloppily, host bits cleared)."""
    health_check_node_port: int = 0
    """``healthCheckNodePort`` (``externalTrafficPolicy: Local`` LoadBalancers), 0 when none."""
    hinted: bool = False
    """Some endpoint has a topology hint (without any, topology never narrows the choice)."""
    _hash: str | None = None
    _nft: str | None = None

    @property
    def service(self) -> str:
        """The Service, ``namespace/name``."""
        return f"{self.namespace}/{self.name}"

    @property
    def port_name_string(self) -> str:
        """``ServicePortName.String()``: ``ns/name``, plus ``:port-name`` when the port has a name."""
        return f"{self.namespace}/{self.name}:{self.port_name}" if self.port_name else f"{self.namespace}/{self.name}"

    @property
    def hash(self) -> str:
        """``portProtoHash``, computed once: the suffix of this port's chain names."""
        if self._hash is None:
            self._hash = port_proto_hash(self.port_name_string, self.protocol)
        return self._hash

    @property
    def svc_chain(self) -> str:
        """``KUBE-SVC-…``: spreads traffic over all endpoints."""
        return "KUBE-SVC-" + self.hash

    @property
    def svl_chain(self) -> str:
        """``KUBE-SVL-…``: spreads traffic over this node's endpoints."""
        return "KUBE-SVL-" + self.hash

    @property
    def ext_chain(self) -> str:
        """``KUBE-EXT-…``: where traffic from outside goes first."""
        return "KUBE-EXT-" + self.hash

    def sep_chain(self, ep: ProxyEndpoint) -> str:
        """``KUBE-SEP-…``: the chain that DNATs to ``ep``."""
        return endpoint_chain(self.port_name_string, self.protocol, ep.address)

    @property
    def nft_base(self) -> str:
        """``HASH-ns/name/protocol/port``, computed once: what follows the prefix of this port's
        nftables chains (``service-``, ``local-``, ``external-``, ``firewall-``)."""
        if self._nft is None:
            self._nft = nft_service_base(self.namespace, self.name, self.protocol, self.port_name)
        return self._nft

    def nft_endpoint(self, ep: ProxyEndpoint) -> str:
        """``HASH-ns/name/protocol/port__ip/port``: what follows ``endpoint-`` (the chain that
        DNATs to ``ep``) and ``affinity-`` (its ClientIP affinity set)."""
        ip = ep.ip.replace(":", ".") if ":" in ep.ip else ep.ip
        return nft_name(f"{self.namespace}/{self.name}/{self.protocol.lower()}/{self.port_name}__{ip}/{ep.port}")

    @property
    def fw_chain(self) -> str:
        """``KUBE-FW-…``: the ``loadBalancerSourceRanges`` check for traffic to a LoadBalancer IP."""
        return "KUBE-FW-" + self.hash

    @property
    def uses_firewall(self) -> bool:
        """Traffic to the LoadBalancer IPs is checked against ``loadBalancerSourceRanges``: the port
        has both (``usesFWChain``, which also wants endpoints: see :attr:`NodeRules.has_endpoints`)."""
        return bool(self.lb_ips) and bool(self.source_ranges)

    def allows(self, source: str, node_ip: str) -> bool:
        """Whether ``loadBalancerSourceRanges`` let a packet from ``source`` through the firewall
        of a node whose address is ``node_ip``: a source in a range, or (when the node itself is in
        a range) a LoadBalancer IP, the source a node's own packet to its VIP gets."""
        if in_any(source, self.source_ranges):
            return True
        return source in self.lb_ips and in_any(node_ip, self.source_ranges)

    @property
    def externally_accessible(self) -> bool:
        """The port has a node port, a LoadBalancer IP or an external IP."""
        return bool(self.node_port or self.lb_ips or self.external_ips)

    @property
    def uses_cluster_endpoints(self) -> bool:
        """Some traffic to the port may go to any node's endpoint: a ``Cluster`` internal policy,
        or any external access at all (with ``externalTrafficPolicy: Local`` too, pods and the
        node itself are short-circuited to every endpoint; ``UsesClusterEndpoints`` in
        ``pkg/proxy/serviceport.go``)."""
        return not self.itp_local or self.externally_accessible

    @property
    def uses_local_endpoints(self) -> bool:
        """Some traffic to the port goes only to this node's endpoints (a ``Local`` policy applies)."""
        return self.itp_local or (self.externally_accessible and self.etp_local)


@dataclass(frozen=True, slots=True)
class NodeRules:
    """``CategorizeEndpoints`` for one service port on one node: which endpoints its kube-proxy uses."""

    cluster: tuple[ProxyEndpoint, ...]
    """For traffic under a ``Cluster`` policy, after topology."""
    local: tuple[ProxyEndpoint, ...]
    """For traffic under a ``Local`` policy: this node's own."""
    reachable: tuple[ProxyEndpoint, ...]
    """Every endpoint some traffic from this node may reach (one ``KUBE-SEP-…`` chain each)."""
    has_endpoints: bool
    has_internal: bool
    has_external: bool
    topology: str = ""
    """How the hints narrowed :attr:`cluster`: ``PreferSameNode``, ``PreferSameZone`` or ``""`` (not at all)."""
    node: str = ""
    zone: str = ""
    """The node's ``topology.kubernetes.io/zone`` label (``""`` when it has none)."""


class ProxyView:
    """kube-proxy's service and endpoint maps, the same on every node, built from the API
    store at ``revision`` (``kitlib.network.proxy.view`` builds and caches it)."""

    def __init__(self, revision: int, services: Iterable[Service], endpoint_slices: Iterable[EndpointSlice],
                 nodes: Iterable[Node]) -> None:
        self.revision = revision
        self.ports: list[ServicePort] = []
        self.by_vip: dict[tuple[str, int, str], tuple[ServicePort, str]] = {}
        self.by_node_port: dict[tuple[int, str], ServicePort] = {}
        self.cluster_ips: dict[str, str] = {}  # clusterIP -> ns/name
        nodes = list(nodes)
        self.node_ips: dict[str, str] = {internal_ip(n): n.name for n in nodes}
        self.node_zones: dict[str, str] = {n.name or "": node_zone(n) for n in nodes}
        """kube-proxy's own node's zone label on each node (``NodeTopologyConfig``)."""
        self._rules: dict[tuple[int, str], NodeRules] = {}
        slices: dict[tuple[str, str], list[EndpointSlice]] = {}
        for sl in endpoint_slices:
            owner = sl.metadata.labels.get(SERVICE_NAME_LABEL)
            if owner and getattr(sl, "address_type", "IPv4") == "IPv4":
                slices.setdefault((sl.metadata.namespace or "", owner), []).append(sl)
        total = 0
        for svc in services:
            s = svc.spec
            kind = s.type or "ClusterIP"
            # ShouldSkipService: no virtual IP, nothing for kube-proxy to do.
            if kind == "ExternalName" or s.cluster_ip in (None, "", "None"):
                continue
            ns, name = svc.metadata.namespace or "", svc.metadata.name or ""
            self.cluster_ips[s.cluster_ip] = f"{ns}/{name}"
            lb_ips = tuple(i.ip for i in svc.status.load_balancer.ingress
                           if i.ip and i.ip_mode in (None, "VIP")) if kind == "LoadBalancer" else ()
            ranges = _source_ranges(tuple(s.load_balancer_source_ranges))
            health = s.health_check_node_port or 0  # kube-proxy keeps it only where it is needed
            timeout = None
            if s.session_affinity == "ClientIP":
                cfg = s.session_affinity_config
                timeout = (cfg.client_ip.timeout_seconds if cfg and cfg.client_ip else None) or 10800
            for p in s.ports:
                proto = p.protocol or "TCP"
                eps, hinted = _endpoints_for(slices.get((ns, name), ()), p.name or "", proto)
                total += len(eps)
                sp = ServicePort(ns, name, p.name or "", proto, p.port, kind, s.cluster_ip,
                                 p.node_port if kind in ("NodePort", "LoadBalancer") else None,
                                 tuple(s.external_ips), lb_ips, s.external_traffic_policy == "Local",
                                 s.internal_traffic_policy == "Local", timeout, eps, ranges,
                                 health if kind == "LoadBalancer" and s.external_traffic_policy == "Local" else 0,
                                 hinted)
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
            cached = self._rules[key] = categorize(sp, node, self.node_zones.get(node, ""))
        return cached


@functools.lru_cache(maxsize=1024)
def _source_ranges(ranges: tuple[str, ...]) -> tuple[str, ...]:
    """kube-proxy's IPv4 source ranges (``MapCIDRsByIPFamily``): the others, and any it cannot
    parse, are left out."""
    out = []
    for text in ranges:
        net = parse_cidr_sloppy(text.strip())
        if net is not None and net.version == 4:
            out.append(str(net))
    return tuple(out)


def in_any(ip: str, cidrs: tuple[str, ...]) -> bool:
    """Whether address ``ip`` lies in one of ``cidrs``."""
    return any(in_cidr(ip, c) for c in cidrs)


def _endpoints_for(slices: Iterable[EndpointSlice], port_name: str,
                   protocol: str) -> tuple[tuple[ProxyEndpoint, ...], bool]:
    """The endpoints of one service port from the Service's slices, deduplicated by ``ip:port``
    (a ready copy wins) and sorted by that string, as the endpoint slice cache does; and whether
    any of them has a topology hint."""
    found: dict[str, ProxyEndpoint] = {}
    hinted = False
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
            h = ep.hints
            if h is None:
                pe = ProxyEndpoint(ep.addresses[0], number, ep.node_name, pod, ready, serving, bool(c.terminating))
            else:
                hinted = True
                pe = ProxyEndpoint(ep.addresses[0], number, ep.node_name, pod, ready, serving, bool(c.terminating),
                                   Hints(frozenset(z.name for z in h.for_zones), frozenset(n.name for n in h.for_nodes)))
            old = found.get(pe.address)
            if old is None or (pe.ready and not old.ready):
                found[pe.address] = pe
    return tuple(found[k] for k in sorted(found)), hinted


def topology_mode(eps: tuple[ProxyEndpoint, ...], node: str, zone: str) -> str:
    """``topologyModeFromHints``: ``PreferSameNode`` when every ready endpoint has a node hint and
    one names ``node``; else ``PreferSameZone`` when every ready endpoint has a zone hint and one
    names ``zone``; else ``""`` (no ready endpoint, a hint missing, or none for here)."""
    has_ready = for_node = for_zone = False
    all_node_hints = all_zone_hints = True
    for e in eps:
        if not e.ready:
            continue
        has_ready = True
        if not e.node_hints:
            all_node_hints = False
        elif node in e.node_hints:
            for_node = True
        if not e.zone_hints:
            all_zone_hints = False
        elif zone in e.zone_hints:
            for_zone = True
    if not has_ready:
        return ""
    if all_node_hints and for_node:  # PreferSameTrafficDistribution: GA (locked on) since 1.35
        return PREFER_SAME_NODE
    if all_zone_hints and for_zone:
        return PREFER_SAME_ZONE
    return ""


def categorize(sp: ServicePort, node: str, zone: str = "") -> NodeRules:
    """``pkg/proxy/topology.go CategorizeEndpoints``: for a ``Cluster`` policy, the ready endpoints
    the hints leave for this node and zone (:func:`topology_mode`), or, when none is ready anywhere,
    the serving-and-terminating ones; for a ``Local`` policy, this node's own (ready, or else
    serving-and-terminating)."""
    eps = sp.endpoints
    cluster: tuple[ProxyEndpoint, ...] = ()
    local: tuple[ProxyEndpoint, ...] = ()
    has_any = False
    mode = ""
    if sp.uses_cluster_endpoints:
        mode = topology_mode(eps, node, zone) if sp.hinted else ""
        if mode == PREFER_SAME_NODE:
            cluster = tuple(e for e in eps if e.ready and node in e.node_hints)
        elif mode == PREFER_SAME_ZONE:
            cluster = tuple(e for e in eps if e.ready and zone in e.zone_hints)
        else:
            cluster = tuple(e for e in eps if e.ready)
        # No ready endpoint anywhere (topology already fell back when none was ready here).
        cluster = cluster or tuple(e for e in eps if e.serving and e.terminating)
        has_any = bool(cluster)
    serving_terminating_local = False
    if sp.uses_local_endpoints:
        has_any = has_any or any(e.ready or (e.serving and e.terminating) for e in eps)
        local = tuple(e for e in eps if e.node == node and e.ready)
        if not local:
            local = tuple(e for e in eps if e.node == node and e.serving and e.terminating)
            serving_terminating_local = bool(local)
    if not sp.uses_local_endpoints:
        reachable = cluster
    elif not sp.uses_cluster_endpoints:
        reachable = local
    elif not mode and not serving_terminating_local:
        reachable = cluster  # every ready endpoint: a superset of the local ones
    else:
        merged = {e.address: e for e in (*cluster, *local)}
        reachable = tuple(merged[k] for k in sorted(merged))
    return NodeRules(cluster, local, reachable, has_any,
                     has_any and (not sp.itp_local or bool(local)),
                     has_any and (not sp.etp_local or bool(local)), mode, node, zone)
