"""kube-proxy's nftables table as data: the chains, sets and maps it programs on one node.

In nftables mode kube-proxy owns one table, ``ip kube-proxy``. A :class:`Chain` holds its
:class:`Rule` values in order (a base chain also its hook), a :class:`Set` its
:class:`Element` values (a map: each key with a verdict), and a :class:`Table` all of them
in the order ``nft list`` prints them. :mod:`.nft` prints them as text; the packet path and
the figures read the fields.

:func:`table` follows ``syncProxyRules`` and ``setupNFTables`` in ``pkg/proxy/nftables/proxier.go``
(the version whose unit tests, ``proxier_test.go``, expect the base chains
``filter-prerouting-pre-dnat``/``filter-output-pre-dnat`` at priority -110 and the filter
chains at 0), with minikube's settings: ``--cluster-cidr`` set, so pod traffic is recognised by
its source, and ``nodePortAddresses`` left empty, which nftables mode reads as ``primary``: node
ports are accepted on the node's own IP only (the ``nodeport-ips`` set).

A packet meets the table at the hooks:

* ``nat-prerouting`` (from a pod or from outside) and ``nat-output`` (from the node itself) jump
  to ``services``, which looks ``ip daddr . meta l4proto . th dport`` up in the ``service-ips``
  map and ``meta l4proto . th dport`` (to a node IP) in ``service-nodeports``; each element is
  a ``goto`` to the service port's chain:
* ``service-…`` (its endpoints; ``local-…``: this node's only) first marks traffic from
  outside the pod network for masquerading, then picks an endpoint with one rule,
  ``numgen random mod N vmap { 0 : goto endpoint-…, 1 : … }``; ClientIP affinity adds one
  ``ip saddr @affinity-… goto endpoint-…`` rule per endpoint before it;
* ``external-…`` (node ports, external and load-balancer IPs) masquerades and goes on to
  ``service-…``, or, with ``externalTrafficPolicy: Local``, short-circuits pods and the node
  itself to ``service-…`` and sends the rest to ``local-…``;
* ``endpoint-…`` marks hairpin traffic, records the client in its affinity set, and DNATs;
* the filter chains (``filter-input``, ``filter-forward``, ``filter-output``) look new
  connections up in ``no-endpoint-services`` and ``no-endpoint-nodeports`` (``goto
  reject-chain`` for a port without endpoints, ``drop`` where a ``Local`` policy has none on
  this node) and in ``cluster-ips-check`` (reject a ClusterIP's other ports, drop unallocated
  ClusterIPs); ``firewall-check`` applies loadBalancerSourceRanges before DNAT;
* ``nat-postrouting`` jumps to ``masquerading``, which SNATs what was marked.

Objects come in the order a freshly started kube-proxy creates them (``nft list`` prints a
table's objects in the kernel's order, which on a real node also depends on the table's
history), with services sorted where kube-proxy walks a Go map.
"""

from __future__ import annotations

import functools
import ipaddress
from collections.abc import Mapping
from dataclasses import dataclass
from typing import NamedTuple

from .servicemap import ProxyView, ServicePort

MASQUERADE_MARK = "0x00004000"
"""``--masquerade-bit 14`` as kube-proxy writes it (``fmt.Sprintf("%#08x", 1 << 14)``)."""

FAMILY = "ip"
TABLE = "kube-proxy"
TABLE_COMMENT = "rules for kube-proxy"


class Rule(NamedTuple):
    """One rule of a chain, in the words ``nft list`` prints it back.

    ``match`` and ``action`` are the rule's two halves, ``vmap`` the endpoint chains of a
    ``numgen random mod N vmap { 0 : goto …, … }`` (then ``action`` is empty), and ``written``
    kube-proxy's own words where ``nft`` prints the rule differently from how it was written
    (``mark set mark or 0x4000`` lists as ``meta mark set meta mark | 0x00004000``).
    """

    chain: str
    match: str = ""
    """What the packet must be, e.g. ``ip daddr 10.96.0.10 ip saddr != 10.244.0.0/16``; empty: every packet."""
    action: str = ""
    """What then happens: ``jump mark-for-masquerade``, ``goto service-…``, ``drop``, ``reject``,
    ``dnat to 10.244.1.2:80``, ``vmap @service-ips``, ``update @affinity-… { ip saddr }``."""
    comment: str = ""
    vmap: tuple[str, ...] = ()
    written: str = ""

    @property
    def targets(self) -> tuple[str, ...]:
        """The chains this rule may continue in (a ``jump``/``goto`` target, or the vmap's)."""
        if self.vmap:
            return self.vmap
        verb, _, target = self.action.partition(" ")
        return (target,) if verb in ("jump", "goto") else ()


class Element(NamedTuple):
    """One element of a set, or of a map with its verdict (``value``)."""

    key: tuple[str, ...]
    """The key's fields, e.g. ``("10.96.0.10", "udp", "53")``."""
    value: str = ""
    comment: str = ""
    expires: int | None = None
    """Milliseconds until it times out (the affinity sets' elements)."""


class Set(NamedTuple):
    """A named set, or a map when its ``type`` has a value (``… : verdict``)."""

    name: str
    type: str
    comment: str = ""
    flags: str = ""
    timeout: int | None = None
    """Seconds an element lives after it was last updated."""
    elements: tuple[Element, ...] = ()

    @property
    def is_map(self) -> bool:
        """A map (``map name { type key : value }``), not a plain set."""
        return " : " in self.type


class Chain(NamedTuple):
    """A chain and its rules in order; a base chain also has a ``type``, ``hook`` and ``priority``."""

    name: str
    rules: tuple[Rule, ...] = ()
    type: str = ""
    hook: str = ""
    priority: int = 0
    comment: str = ""


@dataclass(frozen=True, slots=True)
class Table:
    """The ``ip kube-proxy`` table: its chains, sets and maps in the order ``nft list`` prints them."""

    objects: tuple[Chain | Set, ...]
    family: str = FAMILY
    name: str = TABLE
    comment: str = TABLE_COMMENT

    def chains(self) -> list[Chain]:
        """The chains, in order."""
        return [o for o in self.objects if isinstance(o, Chain)]

    def sets(self) -> list[Set]:
        """The sets and maps, in order."""
        return [o for o in self.objects if isinstance(o, Set)]

    def rules(self) -> list[Rule]:
        """Every rule, chain by chain."""
        return [r for c in self.chains() for r in c.rules]

    def get(self, name: str) -> Chain | Set | None:
        """The chain, set or map called ``name``, or None."""
        return next((o for o in self.objects if o.name == name), None)

    def for_service(self, namespace: str, name: str) -> Table:
        """The part of the table that handles Service ``namespace/name``: its chains and affinity
        sets, and the elements of the sets and maps that concern it (its ClusterIPs, the verdicts
        that lead to its chains, its no-endpoint verdicts), each in the table's order."""
        readable = f"{namespace}/{name}/"
        own = {o.name for o in self.objects if o.name.split("-", 2)[-1].startswith(readable)}
        port_names = (f"{namespace}/{name}", f"{namespace}/{name}:")
        kept: list[Chain | Set] = []
        for o in self.objects:
            if o.name in own:
                kept.append(o)
            elif isinstance(o, Set) and o.is_map:
                elements = tuple(e for e in o.elements if e.value.split(" ")[-1] in own
                                 or e.comment == port_names[0] or e.comment.startswith(port_names[1]))
                if elements:
                    kept.append(o._replace(elements=elements))
        ips = {e.key[0] for o in kept if isinstance(o, Set) and o.name in ("service-ips", "no-endpoint-services")
               for e in o.elements}
        cluster_ips = self.get("cluster-ips")
        if isinstance(cluster_ips, Set):
            elements = tuple(e for e in cluster_ips.elements if e.key[0] in ips)
            if elements:
                kept.insert(0, cluster_ips._replace(elements=elements))
        return Table(tuple(kept), self.family, self.name, self.comment)


# The base chains of setupNFTables, in the order it creates them: (name, type, hook, priority).
BASE_CHAINS = (
    ("filter-prerouting-pre-dnat", "filter", "prerouting", -110),
    ("filter-output-pre-dnat", "filter", "output", -110),
    ("filter-input", "filter", "input", 0),
    ("filter-forward", "filter", "forward", 0),
    ("filter-output", "filter", "output", 0),
    ("nat-prerouting", "nat", "prerouting", -100),
    ("nat-output", "nat", "output", -100),
    ("nat-postrouting", "nat", "postrouting", 100),
)
# nftablesJumpChains: (chain jumped to, base chain it is jumped to from, condition).
JUMPS = (
    ("nodeport-endpoints-check", "filter-input", "ct state new"),
    ("service-endpoints-check", "filter-input", "ct state new"),
    ("service-endpoints-check", "filter-forward", "ct state new"),
    ("service-endpoints-check", "filter-output", "ct state new"),
    ("firewall-check", "filter-prerouting-pre-dnat", "ct state new"),
    ("firewall-check", "filter-output-pre-dnat", "ct state new"),
    ("services", "nat-output", ""),
    ("services", "nat-prerouting", ""),
    ("masquerading", "nat-postrouting", ""),
    ("cluster-ips-check", "filter-forward", "ct state new"),
    ("cluster-ips-check", "filter-output", "ct state new"),
)
ADDR = "ipv4_addr"
DEST = f"{ADDR} . inet_proto . inet_service : verdict"
PORT = "inet_proto . inet_service : verdict"
# (name, type, comment) of setupNFTables' sets and maps.
CLUSTER_IPS = ("cluster-ips", ADDR, "Active ClusterIPs")
NODEPORT_IPS = ("nodeport-ips", ADDR, "IPs that accept NodePort traffic")
NO_ENDPOINT_SERVICES = ("no-endpoint-services", DEST, "vmap to drop or reject packets to services with no endpoints")
NO_ENDPOINT_NODEPORTS = ("no-endpoint-nodeports", PORT,
                         "vmap to drop or reject packets to service nodeports with no endpoints")
FIREWALL_IPS = ("firewall-ips", DEST, "destinations that are subject to LoadBalancerSourceRanges")
SERVICE_IPS = ("service-ips", DEST, "ClusterIP, ExternalIP and LoadBalancer IP traffic")
SERVICE_NODEPORTS = ("service-nodeports", PORT, "NodePort traffic")
REJECT_CHAIN_COMMENT = "helper for @no-endpoint-services / @no-endpoint-nodeports"
MASQ = "jump mark-for-masquerade"
REJECT = "goto reject-chain"


def mark_text(mark: str) -> str:
    """A mark as ``nft`` prints it: ``0x4000`` and ``0x004000`` both list as ``0x00004000``."""
    return f"0x{int(mark, 16):08x}"


def _setup(mark: str, service_cidrs: tuple[str, ...], chains: dict[str, list[Rule]], order: list[str],
           sets: dict[str, tuple[str, str, str]]) -> None:
    """``setupNFTables``: the table's fixed part (base chains, jump rules, sets, maps, helpers)."""
    def chain(name: str) -> list[Rule]:
        if name not in chains:
            chains[name] = []
            order.append(name)
        return chains[name]

    def declare(spec: tuple[str, str, str]) -> None:
        sets[spec[0]] = spec
        order.append(spec[0])

    for name, *_ in BASE_CHAINS:
        chain(name)
    for dest, src, condition in JUMPS:
        chain(dest)
        chains[src].append(Rule(src, condition, f"jump {dest}"))
    chain("mark-for-masquerade").append(Rule(
        "mark-for-masquerade", action=f"meta mark set meta mark | {mark_text(mark)}",
        written=f"mark set mark or {mark}"))
    chains["masquerading"] += (
        Rule("masquerading", f"meta mark & {mark_text(mark)} == 0x00000000", "return",
             written=f"mark and {mark} == 0 return"),
        Rule("masquerading", action=f"meta mark set meta mark ^ {mark_text(mark)}",
             written=f"mark set mark xor {mark}"),
        Rule("masquerading", action="masquerade fully-random"))
    declare(CLUSTER_IPS)
    chains["cluster-ips-check"].append(Rule("cluster-ips-check", "ip daddr @cluster-ips", "reject",
                                            "Reject traffic to invalid ports of ClusterIPs"))
    if service_cidrs:
        chains["cluster-ips-check"].append(Rule(
            "cluster-ips-check", "ip daddr " + _anonymous(service_cidrs), "drop",
            "Drop traffic to unallocated ClusterIPs", written=f"ip daddr {{ {','.join(service_cidrs)} }} drop"))
    declare(NODEPORT_IPS)
    declare(NO_ENDPOINT_SERVICES)
    declare(NO_ENDPOINT_NODEPORTS)
    chain("reject-chain").append(Rule("reject-chain", action="reject"))
    chains["service-endpoints-check"].append(Rule(
        "service-endpoints-check", action="ip daddr . meta l4proto . th dport vmap @no-endpoint-services"))
    chains["nodeport-endpoints-check"].append(Rule(
        "nodeport-endpoints-check", "ip daddr @nodeport-ips",
        "meta l4proto . th dport vmap @no-endpoint-nodeports"))
    declare(FIREWALL_IPS)
    chains["firewall-check"].append(Rule(
        "firewall-check", action="ip daddr . meta l4proto . th dport vmap @firewall-ips"))
    declare(SERVICE_IPS)
    declare(SERVICE_NODEPORTS)
    chains["services"] += (
        Rule("services", action="ip daddr . meta l4proto . th dport vmap @service-ips"),
        Rule("services", "ip daddr @nodeport-ips", "meta l4proto . th dport vmap @service-nodeports"))


def _anonymous(items: tuple[str, ...] | list[str]) -> str:
    """An anonymous set as ``nft`` prints it back: one element alone, several in braces."""
    return items[0] if len(items) == 1 else "{ " + ", ".join(items) + " }"


def firewall_rule(sp: ServicePort, node_ip: str) -> Rule:
    """The ``firewall-…`` chain's one rule: drop sources outside ``loadBalancerSourceRanges``
    (and, when the node itself is in a range, allow the LoadBalancer IPs as sources too)."""
    fw = "firewall-" + sp.nft_base
    sources = list(sp.source_ranges)
    if node_ip and any(ipaddress.ip_address(node_ip) in ipaddress.ip_network(c, strict=False) for c in sources):
        sources += sp.lb_ips
    return Rule(fw, "ip saddr != " + _anonymous(sources), "drop",
                written=f"ip saddr != {{ {' , '.join(sources)} }} drop")


def table(v: ProxyView, node: str, node_ip: str, pod_cidr: str, service_cidrs: tuple[str, ...] = (),
          affinity: Mapping[str, Mapping[str, float]] | None = None, now: float = 0.0,
          mark: str = MASQUERADE_MARK) -> Table:
    """kube-proxy's ``ip kube-proxy`` table on ``node`` (whose address is ``node_ip``), from its
    service map ``v``.

    ``affinity`` maps an affinity set's name to the clients it holds (address → the time it was
    last updated); an element lists with the milliseconds it has left at ``now``.
    """
    chains: dict[str, list[Rule]] = {}
    order: list[str] = []  # object names in creation order
    sets: dict[str, tuple[str, str, str]] = {}
    timeouts: dict[str, int] = {}
    elements: dict[str, list[Element]] = {name: [] for name in (
        "cluster-ips", "nodeport-ips", "no-endpoint-services", "no-endpoint-nodeports", "firewall-ips",
        "service-ips", "service-nodeports")}
    _setup(mark, service_cidrs, chains, order, sets)
    if node_ip:
        elements["nodeport-ips"].append(Element((node_ip,)))
    not_local = f"ip saddr != {pod_cidr}"
    cluster_ips: set[str] = set()
    service_ips, no_endpoint = elements["service-ips"], elements["no-endpoint-services"]
    affinity = affinity or {}

    def chain(name: str) -> list[Rule]:
        if name not in chains:
            chains[name] = []
            order.append(name)
        return chains[name]

    for sp in v.ports:
        r = v.rules(sp, node)
        proto = sp.protocol.lower()
        name = sp.port_name_string
        base = sp.nft_base
        svc, local, ext, fw = "service-" + base, "local-" + base, "external-" + base, "firewall-" + base
        has_endpoints = r.has_endpoints
        reachable = r.reachable
        # Endpoint name bases by endpoint (the cluster and local lists hold the same objects).
        bases = {id(e): sp.nft_endpoint(e) for e in reachable}
        for e in reachable:  # each endpoint's chain is new: no need to look it up first
            ep_chain = "endpoint-" + bases[id(e)]
            chains[ep_chain] = []
            order.append(ep_chain)
        uses_cluster = bool(r.cluster) and sp.uses_cluster_endpoints
        uses_local = bool(r.local) and sp.uses_local_endpoints
        if uses_cluster:
            chain(svc)
        if uses_local:
            chain(local)
        uses_ext = has_endpoints and sp.externally_accessible
        if uses_ext:
            chain(ext)
        internal = local if sp.itp_local else svc
        has_internal, has_external = r.has_internal, r.has_external
        # No endpoints at all: reject; none for this kind of traffic on this node (a Local policy): drop.
        verdict = REJECT if not has_endpoints else "drop"
        port = str(sp.port)
        cluster_ips.add(sp.cluster_ip)
        if has_internal:
            service_ips.append(Element((sp.cluster_ip, proto, port), f"goto {internal}"))
        else:
            no_endpoint.append(Element((sp.cluster_ip, proto, port), verdict, name))
        for ip in sp.external_ips:
            if has_endpoints:
                service_ips.append(Element((ip, proto, port), f"goto {ext}"))
            if not has_external:
                no_endpoint.append(Element((ip, proto, port), verdict, name))
        uses_fw = bool(sp.lb_ips) and bool(sp.source_ranges)
        if uses_fw:
            chain(fw)
        for ip in sp.lb_ips:
            if has_endpoints:
                service_ips.append(Element((ip, proto, port), f"goto {ext}"))
            if uses_fw:
                elements["firewall-ips"].append(Element((ip, proto, port), f"goto {fw}"))
        if not has_external:
            for ip in sp.lb_ips:
                no_endpoint.append(Element((ip, proto, port), verdict, name))
        if sp.node_port:
            key = (proto, str(sp.node_port))
            if has_endpoints:
                elements["service-nodeports"].append(Element(key, f"goto {ext}"))
            if not has_external:
                elements["no-endpoint-nodeports"].append(Element(key, verdict, name))
        if has_internal:
            chains[internal].append(Rule(internal, f"ip daddr {sp.cluster_ip} {not_local}", MASQ))
        if uses_ext:
            out = chains[ext]
            if not sp.etp_local:
                out.append(Rule(ext, action=MASQ))
            else:
                out += (Rule(ext, f"ip saddr {pod_cidr}", f"goto {svc}", "short-circuit pod traffic"),
                        Rule(ext, "fib saddr type local", MASQ, "masquerade local traffic"),
                        Rule(ext, "fib saddr type local", f"goto {svc}", "short-circuit local traffic"))
            if has_external:
                out.append(Rule(ext, action=f"goto {local if sp.etp_local else svc}"))
        if uses_fw:
            chains[fw].append(firewall_rule(sp, node_ip))
        timeout = sp.affinity_timeout
        if timeout is not None:
            for e in reachable:
                aff = "affinity-" + bases[id(e)]
                sets[aff] = (aff, ADDR, "")
                timeouts[aff] = timeout
                order.append(aff)
                held = affinity.get(aff, {})
                left = {c: round((timeout - (now - t)) * 1000) for c, t in held.items()}
                elements[aff] = [Element((c,), expires=ms) for c, ms in left.items() if ms > 0]
        for policy_chain, eps, used in ((svc, r.cluster, uses_cluster), (local, r.local, uses_local)):
            if not used:
                continue
            out = chains[policy_chain]
            if timeout is not None:
                for e in eps:
                    b = bases[id(e)]
                    out.append(Rule(policy_chain, f"ip saddr @affinity-{b}", f"goto endpoint-{b}"))
            out.append(Rule(policy_chain, vmap=tuple(["endpoint-" + bases[id(e)] for e in eps])))
        dnat = f"meta l4proto {proto}"
        for e in reachable:
            b = bases[id(e)]
            ep_chain = "endpoint-" + b
            ip = e.ip
            if timeout is None:
                chains[ep_chain] = [Rule(ep_chain, f"ip saddr {ip}", MASQ),
                                    Rule(ep_chain, dnat, f"dnat to {ip}:{e.port}")]
            else:
                chains[ep_chain] = [Rule(ep_chain, f"ip saddr {ip}", MASQ),
                                    Rule(ep_chain, "", f"update @affinity-{b} {{ ip saddr }}"),
                                    Rule(ep_chain, dnat, f"dnat to {ip}:{e.port}")]
    elements["cluster-ips"] = [Element((ip,)) for ip in cluster_ips]
    objects: list[Chain | Set] = []
    hooks = {name: (kind, hook, prio) for name, kind, hook, prio in BASE_CHAINS}
    for name in order:
        spec = sets.get(name)
        if spec is not None:
            objects.append(Set(name, spec[1], spec[2], "dynamic,timeout" if name in timeouts else "",
                               timeouts.get(name), tuple(sorted(elements.get(name, ()), key=_element_order))))
            continue
        kind, hook, prio = hooks.get(name, ("", "", 0))
        objects.append(Chain(name, tuple(chains[name]), kind, hook, prio,
                             REJECT_CHAIN_COMMENT if name == "reject-chain" else ""))
    return Table(tuple(objects))


@functools.lru_cache(maxsize=1 << 16)
def _field_order(field: str) -> tuple[int, int, str]:
    if field.isdigit():
        return (1, int(field), "")
    try:
        return (0, int(ipaddress.ip_address(field)), "")
    except ValueError:
        return (2, 0, field)


def _element_order(e: Element) -> tuple[tuple[int, int, str], ...]:
    """Elements in address order (``nft`` lists a hash set's elements in the kernel's order)."""
    return tuple(_field_order(f) for f in e.key)


@functools.lru_cache(maxsize=64)
def numgen_probability(n: int, i: int) -> float:
    """The chance that ``numgen random mod n`` picks bucket ``i`` among the buckets ``i``… ``n-1``.

    The kernel scales a random 32-bit value ``v`` to ``(v * n) >> 32``, so bucket ``k`` gets the
    values from ``ceil(k 2^32 / n)`` up to ``ceil((k + 1) 2^32 / n)``: all the same size, or one
    apart when ``n`` does not divide 2^32. Drawing bucket by bucket with these conditional
    probabilities gives exactly the kernel's distribution (``numgen_probability(3, 0)`` is
    1431655766/2^32, a hair above 1/3).
    """
    def start(k: int) -> int:
        return -((-k << 32) // n)

    return (start(i + 1) - start(i)) / ((1 << 32) - start(i))
