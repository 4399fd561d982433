"""kube-proxy's iptables rules as data: the chains of the nat table it programs on one node.

A :class:`Rule` holds the parts of one ``-A`` line (source, destination, protocol, each match
module's options, target), a :class:`Chain` its rules in order, and a :class:`NatTable` the
chains in the order ``iptables-save`` lists them. :mod:`.iptables` prints them as text;
figures and exercises read the fields.

:func:`nat_table` follows ``syncProxyRules`` in ``pkg/proxy/iptables/proxier.go`` (v1.32,
iptables mode, ``--cluster-cidr`` set as on minikube), service port by service port:

1. ``KUBE-SERVICES``: the ClusterIP (with ``KUBE-MARK-MASQ`` for a source outside the pod
   CIDR), then each external IP and LoadBalancer IP, which jump to ``KUBE-EXT-…``;
2. ``KUBE-NODEPORTS``: the node port, on 127.0.0.0/8 (counted by ``nfacct``) and on any address;
3. ``KUBE-EXT-…``: masquerade, then ``KUBE-SVC-…`` (``externalTrafficPolicy: Cluster``), or pod
   and node-local traffic to ``KUBE-SVC-…`` and the rest to ``KUBE-SVL-…`` (``Local``);
4. ``KUBE-SVC-…`` and ``KUBE-SVL-…``: the ``recent --rcheck`` rules of ClientIP affinity, then
   one rule per endpoint with ``--probability`` 1/n, 1/(n-1), …, the last unconditional;
5. ``KUBE-SEP-…``: hairpin masquerade, then DNAT (``recent --set`` with affinity).

A service port without usable endpoints gets no nat rules (its REJECT or DROP lives in the
filter table: :func:`filter_rule`). Above :data:`LARGE_CLUSTER_ENDPOINTS` endpoints the
per-endpoint comments are left out. Services come in sorted order, where kube-proxy walks a Go map.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import NamedTuple

from .servicemap import ProxyView, ServicePort, in_any

MASQ_MARK = "0x4000"
"""``--masquerade-bit 14``: the mark KUBE-MARK-MASQ sets and KUBE-POSTROUTING looks for."""
LARGE_CLUSTER_ENDPOINTS = 1000
"""Above this many endpoints kube-proxy leaves the per-endpoint comments out (largeClusterMode)."""
BUILTIN_CHAINS = ("PREROUTING", "INPUT", "OUTPUT", "POSTROUTING")
"""The nat table's own chains, with policy ACCEPT, in the order iptables-save lists them."""
AFFINITY_MASK = "255.255.255.255"
"""``--mask`` of the ``recent`` lists: ClientIP affinity remembers whole addresses."""


class Recent(NamedTuple):
    """``-m recent``: ClientIP affinity's list of clients per endpoint chain."""

    action: str
    """``set`` (remember the source, in KUBE-SEP-…) or ``rcheck`` (seen within ``seconds``)."""
    name: str
    seconds: int | None = None


class Rule(NamedTuple):
    """One rule of a chain: ``-A chain`` with its matches and its target.

    Fields are in the order iptables-save prints them; an empty field is not printed.
    """

    # Rule, Recent and Chain are immutable tuples rather than frozen dataclasses because a large
    # cluster has hundreds of thousands of rules: tuples of plain values are several times
    # cheaper to build, and the garbage collector stops tracking them.

    chain: str
    target: str
    source: str = ""
    """``-s``: an address or CIDR (``/32`` for one address, as printed)."""
    source_negated: bool = False
    """``! -s``: everything except ``source``."""
    destination: str = ""
    protocol: str = ""
    """``-p``: ``tcp``, ``udp`` or ``sctp``."""
    comment: str = ""
    recent: Recent | None = None
    probability: float | None = None
    """``-m statistic --mode random``: the share of the packets reaching this rule that match,
    as iptables-save prints it back (see :func:`saved_probability`)."""
    src_type: str = ""
    """``-m addrtype --src-type``: ``LOCAL`` for a packet the node itself sends."""
    dst_type: str = ""
    protocol_match: bool = False
    """``-m tcp`` even without a port (kube-proxy's DNAT rules load it)."""
    dport: int | None = None
    """``-m tcp --dport``."""
    nfacct: str = ""
    mark: str = ""
    """``-m mark`` options, e.g. ``! --mark 0x4000/0x4000``."""
    match_set: str = ""
    """``-m set --match-set`` options: an ipset and the packet fields it is matched on."""
    to_destination: str = ""
    """``-j DNAT --to-destination``: the endpoint's ``ip:port``."""
    target_options: str = ""
    """The other targets' options, e.g. ``--set-xmark 0x4000/0x4000`` for MARK."""
    conntrack: str = ""
    """``-m conntrack`` options, e.g. ``--ctstate NEW`` (the filter table's rules)."""
    first: str = ""
    """A match written before the comment, printed there: iptables-save keeps the matches in the
    order they were written (kube-proxy's jump rules start ``-m conntrack --ctstate NEW``)."""
    destination_negated: bool = False
    """``! -d``: everything except ``destination``."""
    ipvs: str = ""
    """``-m ipvs`` options (IPVS mode's ``KUBE-IPVS-OUT-FILTER``)."""


class Chain(NamedTuple):
    """A chain and its rules in order; ``policy`` is ``ACCEPT`` for a built-in chain, None for kube-proxy's."""

    name: str
    rules: tuple[Rule, ...] = ()
    policy: str | None = None


@dataclass(frozen=True, slots=True)
class NatTable:
    """The nat table as ``iptables-save -t nat`` lists it: built-in chains, then the rest by name."""

    chains: tuple[Chain, ...]

    def rules(self) -> list[Rule]:
        """Every rule, in the order iptables-save prints them."""
        return [r for c in self.chains for r in c.rules]


@functools.lru_cache(maxsize=64)
def saved_probability(n: int) -> str:
    """What ``iptables-save`` prints for the rule kube-proxy writes as ``1/n``.

    kube-proxy writes ``%0.10f``; the kernel keeps ``lround(2^31 p)`` and iptables-save prints
    that back with ``%.11f``: ``saved_probability(3) == '0.33333333349'``.
    """
    return f"{kernel_probability(n):.11f}"


@functools.lru_cache(maxsize=64)
def kernel_probability(n: int) -> float:
    """The probability the kernel really applies to ``-m statistic`` written as 1/n."""
    written = float(f"{1.0 / n:0.10f}")
    return math.floor(written * 0x80000000 + 0.5) / 0x80000000


@functools.lru_cache(maxsize=64)
def _saved_value(n: int) -> float:
    return float(saved_probability(n))


_PORTALS = "kubernetes service portals"
_MARK_MASQ = Rule("KUBE-MARK-MASQ", "MARK", target_options=f"--set-xmark {MASQ_MARK}/{MASQ_MARK}")
_POSTROUTING = (
    Rule("KUBE-POSTROUTING", "RETURN", mark=f"! --mark {MASQ_MARK}/{MASQ_MARK}"),
    Rule("KUBE-POSTROUTING", "MARK", target_options=f"--set-xmark {MASQ_MARK}/0x0"),
    Rule("KUBE-POSTROUTING", "MASQUERADE", comment="kubernetes service traffic requiring SNAT",
         target_options="--random-fully"),
)


def _builtin() -> list[Chain]:
    """PREROUTING and OUTPUT jump to KUBE-SERVICES, POSTROUTING to KUBE-POSTROUTING (both modes)."""
    return [Chain("PREROUTING", (Rule("PREROUTING", "KUBE-SERVICES", comment=_PORTALS),), "ACCEPT"),
            Chain("INPUT", (), "ACCEPT"),
            Chain("OUTPUT", (Rule("OUTPUT", "KUBE-SERVICES", comment=_PORTALS),), "ACCEPT"),
            Chain("POSTROUTING", (Rule("POSTROUTING", "KUBE-POSTROUTING", comment="kubernetes postrouting rules"),),
                  "ACCEPT")]


def _table(names: list[str], rules: Mapping[str, Sequence[Rule]]) -> NatTable:
    return NatTable((*_builtin(), *(Chain(n, tuple(rules.get(n, ()))) for n in names)))


def nat_table(v: ProxyView, node: str, pod_cidr: str) -> NatTable:
    """kube-proxy's nat table on ``node`` in iptables mode, from its service map ``v``."""
    large = v.total_endpoints > LARGE_CLUSTER_ENDPOINTS
    node_ip = next((ip for ip, name in v.node_ips.items() if name == node), "")
    chains = {"KUBE-KUBELET-CANARY", "KUBE-MARK-MASQ", "KUBE-NODEPORTS", "KUBE-POSTROUTING",
              "KUBE-PROXY-CANARY", "KUBE-SERVICES"}
    rules: dict[str, Sequence[Rule]] = {}
    services: list[Rule] = []
    nodeports: list[Rule] = []
    chain_rules: dict[str, list[Rule]] = {}  # KUBE-SVC-… and KUBE-SVL-…, which grow rule by rule
    for sp in v.ports:
        r = v.rules(sp, node)
        if not r.has_endpoints:
            continue  # only REJECT rules, and those live in the filter table
        name = sp.port_name_string
        proto = sp.protocol.lower()
        svc, svl, ext = sp.svc_chain, sp.svl_chain, sp.ext_chain
        uses_cluster = bool(r.cluster) and sp.uses_cluster_endpoints
        uses_local = bool(r.local) and sp.uses_local_endpoints
        uses_ext = sp.externally_accessible
        chains.update(c for c, used in ((svc, uses_cluster), (svl, uses_local), (ext, uses_ext)) if used)
        if r.has_internal:
            internal = svl if sp.itp_local else svc
            vip = f"{sp.cluster_ip}/32"
            chain_rules.setdefault(internal, []).append(Rule(
                internal, "KUBE-MARK-MASQ", pod_cidr, True, vip, proto, name + " cluster IP", dport=sp.port))
            services.append(Rule("KUBE-SERVICES", internal, destination=vip, protocol=proto,
                                 comment=name + " cluster IP", dport=sp.port))
        for ip in sp.external_ips:
            services.append(Rule("KUBE-SERVICES", ext, destination=f"{ip}/32", protocol=proto,
                                 comment=name + " external IP", dport=sp.port))
        lb_chain = sp.fw_chain if sp.uses_firewall else ext
        for ip in sp.lb_ips:
            services.append(Rule("KUBE-SERVICES", lb_chain, destination=f"{ip}/32", protocol=proto,
                                 comment=name + " loadbalancer IP", dport=sp.port))
        if sp.uses_firewall:
            chains.add(sp.fw_chain)
            rules[sp.fw_chain] = _firewall_rules(sp, node_ip)
        if sp.node_port:
            nodeports.append(Rule("KUBE-NODEPORTS", ext, destination="127.0.0.0/8", protocol=proto, comment=name,
                                  dport=sp.node_port, nfacct="localhost_nps_accepted_pkts"))
            nodeports.append(Rule("KUBE-NODEPORTS", ext, protocol=proto, comment=name, dport=sp.node_port))
        if uses_ext:
            rules[ext] = _external_rules(sp, ext, pod_cidr, r.has_external)
        seps = {e.address: sp.sep_chain(e) for e in r.reachable}
        for chain, eps, used in ((svc, r.cluster, uses_cluster), (svl, r.local, uses_local)):
            if not used:
                continue
            out = chain_rules.setdefault(chain, [])
            if sp.affinity_timeout is not None:
                for e in eps:
                    address = e.address
                    sep = seps[address]
                    out.append(Rule(chain, sep, comment="" if large else f"{name} -> {address}",
                                    recent=Recent("rcheck", sep, sp.affinity_timeout)))
            n = len(eps)
            for i, e in enumerate(eps):
                address = e.address
                out.append(Rule(chain, seps[address], comment="" if large else f"{name} -> {address}",
                                probability=_saved_value(n - i) if i < n - 1 else None))
        comment = "" if large else name
        recent = bool(sp.affinity_timeout)
        for e in r.reachable:
            address = e.address
            sep = seps[address]
            chains.add(sep)
            rules[sep] = (
                Rule(sep, "KUBE-MARK-MASQ", source=f"{e.ip}/32", comment=comment),
                Rule(sep, "DNAT", protocol=proto, comment=comment, recent=Recent("set", sep) if recent else None,
                     protocol_match=True, to_destination=address))
    services.append(Rule("KUBE-SERVICES", "KUBE-NODEPORTS", comment="kubernetes service nodeports; NOTE: this must "
                         "be the last rule in this chain", dst_type="LOCAL"))
    rules.update(chain_rules)
    rules["KUBE-SERVICES"] = services
    rules["KUBE-NODEPORTS"] = nodeports
    rules["KUBE-MARK-MASQ"] = (_MARK_MASQ,)
    rules["KUBE-POSTROUTING"] = _POSTROUTING
    return _table(sorted(chains), rules)


def _firewall_rules(sp: ServicePort, node_ip: str) -> tuple[Rule, ...]:
    """``KUBE-FW-…``: sources in ``loadBalancerSourceRanges`` go on to ``KUBE-EXT-…`` (and, when the
    node itself is in a range, so do packets from a LoadBalancer IP: a node's own packet to a VIP
    it holds leaves with that VIP as its source); the last rule only names what happens to the
    rest: it returns un-DNATed, and the filter table's ``KUBE-PROXY-FIREWALL`` drops it."""
    name, fw, ext = sp.port_name_string, sp.fw_chain, sp.ext_chain
    comment = f"{name} loadbalancer IP"
    out = [Rule(fw, ext, source=cidr, comment=comment) for cidr in sp.source_ranges]
    if in_any(node_ip, sp.source_ranges):
        out += [Rule(fw, ext, source=f"{ip}/32", comment=comment) for ip in sp.lb_ips]
    out.append(Rule(fw, "", comment=f"other traffic to {name} will be dropped by KUBE-PROXY-FIREWALL"))
    return tuple(out)


def _external_rules(sp: ServicePort, ext: str, pod_cidr: str, has_external: bool) -> tuple[Rule, ...]:
    """``KUBE-EXT-…``: where traffic to a node port, external IP or LoadBalancer IP goes."""
    name, svc = sp.port_name_string, sp.svc_chain
    if not sp.etp_local:
        return (Rule(ext, "KUBE-MARK-MASQ", comment=f"masquerade traffic for {name} external destinations"),
                Rule(ext, svc))
    out = [Rule(ext, svc, source=pod_cidr, comment=f"pod traffic for {name} external destinations"),
           Rule(ext, "KUBE-MARK-MASQ", comment=f"masquerade LOCAL traffic for {name} external destinations",
                src_type="LOCAL"),
           Rule(ext, svc, comment=f"route LOCAL traffic for {name} external destinations", src_type="LOCAL")]
    if has_external:
        out.append(Rule(ext, sp.svl_chain))
    return tuple(out)


def ipvs_nat_table(pod_cidr: str) -> NatTable:
    """The nat table in IPVS mode: kube-proxy keeps only masquerade and hairpin rules there,
    matching ipsets (``KUBE-CLUSTER-IP``, ``KUBE-NODE-PORT-TCP``, …) instead of one rule per
    Service; the load balancing itself is in IPVS (see :mod:`.ipvs`)."""
    names = ["KUBE-KUBELET-CANARY", "KUBE-LOAD-BALANCER", "KUBE-MARK-MASQ", "KUBE-NODE-PORT",
             "KUBE-POSTROUTING", "KUBE-PROXY-CANARY", "KUBE-SERVICES"]
    rules = {
        "KUBE-LOAD-BALANCER": [Rule("KUBE-LOAD-BALANCER", "KUBE-MARK-MASQ")],
        "KUBE-MARK-MASQ": [_MARK_MASQ],
        "KUBE-NODE-PORT": [Rule("KUBE-NODE-PORT", "KUBE-MARK-MASQ", protocol="tcp",
                                comment="Kubernetes nodeport TCP port for masquerade purpose",
                                match_set="KUBE-NODE-PORT-TCP dst")],
        "KUBE-POSTROUTING": [
            Rule("KUBE-POSTROUTING", "MASQUERADE",
                 comment="Kubernetes endpoints dst ip:port, source ip for solving hairpin purpose",
                 match_set="KUBE-LOOP-BACK dst,dst,src"),
            *_POSTROUTING],
        "KUBE-SERVICES": [
            Rule("KUBE-SERVICES", "KUBE-LOAD-BALANCER", comment="Kubernetes service lb portal",
                 match_set="KUBE-LOAD-BALANCER dst,dst"),
            Rule("KUBE-SERVICES", "KUBE-MARK-MASQ", pod_cidr, True,
                 comment="Kubernetes service cluster ip + port for masquerade purpose",
                 match_set="KUBE-CLUSTER-IP dst,dst"),
            Rule("KUBE-SERVICES", "KUBE-NODE-PORT", dst_type="LOCAL"),
            Rule("KUBE-SERVICES", "ACCEPT", match_set="KUBE-CLUSTER-IP dst,dst"),
            Rule("KUBE-SERVICES", "ACCEPT", match_set="KUBE-LOAD-BALANCER dst,dst")],
    }
    return _table(names, rules)


def empty_nat_table() -> NatTable:
    """The nat table in nftables mode: kube-proxy removed its iptables chains when it started
    (``platformCleanup``), leaving the built-in chains and the kubelet's canary."""
    return NatTable((*(Chain(n, (), "ACCEPT") for n in BUILTIN_CHAINS), Chain("KUBE-KUBELET-CANARY")))


def filter_rule(sp: ServicePort, kind: str, dst: str, comment: str, target: str) -> Rule:
    """The filter-table rule kube-proxy writes to refuse (``REJECT``) or drop (``DROP``) traffic
    to a service address of ``kind`` (``ClusterIP``, ``NodePort`` or an external address ``dst``)."""
    proto = sp.protocol.lower()
    options = "--reject-with icmp-port-unreachable" if target == "REJECT" else ""
    if kind == "ClusterIP":
        return Rule("KUBE-SERVICES", target, destination=f"{sp.cluster_ip}/32", protocol=proto, comment=comment,
                    dport=sp.port, target_options=options)
    if kind == "NodePort":
        return Rule("KUBE-EXTERNAL-SERVICES", target, protocol=proto, comment=comment, dst_type="LOCAL",
                    dport=sp.node_port, target_options=options)
    return Rule("KUBE-EXTERNAL-SERVICES", target, destination=f"{dst}/32", protocol=proto, comment=comment,
                dport=sp.port, target_options=options)
