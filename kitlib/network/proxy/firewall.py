"""The node's filter table (and its mangle table's canaries): kube-proxy's firewall, the kubelet's
chains and flannel's, as data (:mod:`.rules`' ``Rule`` and ``Chain``), and flannel's nat chain.

**kube-proxy, iptables mode** (``syncProxyRules`` and ``iptablesJumpChains`` in
``pkg/proxy/iptables/proxier.go``, v1.37), service port by service port:

* ``KUBE-SERVICES``: ``REJECT`` to the ClusterIP of a port without endpoints (comment
  ``"ns/name:port has no endpoints"``), ``DROP`` for ``internalTrafficPolicy: Local`` without a
  local endpoint (``"… has no local endpoints"``);
* ``KUBE-EXTERNAL-SERVICES``: the same for external IPs, LoadBalancer IPs and (``-m addrtype
  --dst-type LOCAL``) the node port, where no endpoint takes external traffic;
* ``KUBE-PROXY-FIREWALL``: ``DROP`` to each LoadBalancer IP of a port with
  ``loadBalancerSourceRanges`` (and endpoints): a packet from an allowed source was DNATed in the
  nat table's ``KUBE-FW-…`` chain, so only the others still carry the LoadBalancer IP here;
* ``KUBE-NODEPORTS``: ``ACCEPT`` the ``healthCheckNodePort``;
* ``KUBE-FORWARD``: drop INVALID packets (counted by ``nfacct``), accept marked and established ones.

INPUT, FORWARD and OUTPUT jump to them, ``-m conntrack --ctstate NEW`` first for most, in the order
a real node lists them (kube-proxy prepends each jump once; the kubelet's ``KUBE-FIREWALL`` jumps
came first and so end up last). The kubelet owns ``KUBE-FIREWALL`` (its "block incoming localnet
connections" rule, ``pkg/kubelet/kubelet_network_linux.go``) and ``KUBE-KUBELET-CANARY``;
``KUBE-PROXY-CANARY`` is kube-proxy's (``ipt.Monitor``, in mangle, nat and filter).

**nftables mode**: kube-proxy removed its iptables chains; the kubelet's and flannel's stay.

**IPVS mode** (``iptablesJumpChain`` and ``writeIptablesRules`` in ``pkg/proxy/ipvs/proxier.go``):
the filter chains match ipsets rather than addresses. ``KUBE-PROXY-FIREWALL`` sends the
LoadBalancer IPs with source ranges (``KUBE-LOAD-BALANCER-FW``) to ``KUBE-SOURCE-RANGES-FIREWALL``,
which returns allowed sources (``KUBE-LOAD-BALANCER-SOURCE-CIDR``; ``…-SOURCE-IP`` when the node
is allowed) and drops the rest; ``KUBE-IPVS-OUT-FILTER`` drops the node's own packets to such a
LoadBalancer IP when the node is not allowed; ``KUBE-IPVS-FILTER`` refuses new connections to
other ports of the addresses bound to ``kube-ipvs0``. Like kitlib's IPVS nat table, the
set-matching rules are shown whatever the sets hold.

**flannel** (``pkg/trafficmngr/iptables/iptables.go``, ``MasqRules`` and ``ForwardRules``, with
``--ip-masq`` as kube-flannel runs it): in nat, ``FLANNEL-POSTRTG`` leaves kube-proxy's marked
packets and pod-to-pod traffic alone and masquerades pod traffic leaving the pod network; in
filter, ``FLANNEL-FWD`` accepts forwarding to and from the pod network. Both jumps are inserted
at the top of POSTROUTING and FORWARD (``-I``), after kube-proxy wrote its own.

Left out: the Docker daemon's chains inside minikube's node container (``DOCKER``,
``DOCKER-USER``, ``DOCKER-ISOLATION-STAGE-…``, Docker's embedded-DNS rules): which of them a
minikube node has depends on the Docker version inside the kicbase image.
"""

from __future__ import annotations

from collections.abc import Sequence

from .rules import MASQ_MARK, Chain, NatTable, Rule
from .servicemap import ProxyView, ServicePort, in_any

FILTER_BUILTIN = ("INPUT", "FORWARD", "OUTPUT")
"""The filter table's own chains, with policy ACCEPT, in the order iptables-save lists them."""
MANGLE_BUILTIN = ("PREROUTING", "INPUT", "FORWARD", "OUTPUT", "POSTROUTING")
TABLE_ORDER = ("mangle", "filter", "nat")
"""The order ``iptables-save`` (nf_tables) prints the tables a node has (its ``nft_table_type``
enum: mangle, security, raw, filter, nat)."""

_NEW = "--ctstate NEW"
_LB_FIREWALL = "kubernetes load balancer firewall"
_PORTALS = "kubernetes service portals"
_EXTERNAL_PORTALS = "kubernetes externally-visible service portals"
_FLANNEL_MASQ = "flanneld masq"
_FLANNEL_FORWARD = "flanneld forward"
KUBELET_FIREWALL = Rule("KUBE-FIREWALL", "DROP", "127.0.0.0/8", True, "127.0.0.0/8",
                        comment="block incoming localnet connections",
                        conntrack="! --ctstate RELATED,ESTABLISHED,DNAT")
"""The kubelet's (and kube-proxy's identical) anti-martian rule for ``route_localnet``."""
IPVS_SOURCE_RANGES_DROP = Rule("KUBE-SOURCE-RANGES-FIREWALL", "DROP")
"""IPVS mode: what a packet to a LoadBalancer IP from outside its source ranges meets last
(``writeIptablesRules`` in ``pkg/proxy/ipvs/proxier.go``)."""


def _jump(chain: str, target: str, comment: str = "", new: bool = False) -> Rule:
    return Rule(chain, target, comment=comment, first="-m conntrack " + _NEW if new else "")


def firewall_drop(sp: ServicePort, lb_ip: str) -> Rule:
    """``KUBE-PROXY-FIREWALL``'s rule for one LoadBalancer IP of a port with source ranges."""
    return Rule("KUBE-PROXY-FIREWALL", "DROP", destination=f"{lb_ip}/32", protocol=sp.protocol.lower(),
                comment=f"{sp.port_name_string} traffic not accepted by {sp.fw_chain}", dport=sp.port)


def _refuse(chain: str, sp: ServicePort, comment: str, target: str, dst: str = "",
            dport: int | None = None, local: bool = False) -> Rule:
    options = "--reject-with icmp-port-unreachable" if target == "REJECT" else ""
    return Rule(chain, target, destination=f"{dst}/32" if dst else "", protocol=sp.protocol.lower(),
                comment=comment, dst_type="LOCAL" if local else "", dport=dport, target_options=options)


def kube_proxy_rules(v: ProxyView, node: str) -> dict[str, list[Rule]]:
    """kube-proxy's filter rules on ``node`` in iptables mode, by chain (``syncProxyRules``)."""
    out: dict[str, list[Rule]] = {c: [] for c in ("KUBE-SERVICES", "KUBE-EXTERNAL-SERVICES", "KUBE-NODEPORTS",
                                                  "KUBE-PROXY-FIREWALL")}
    services, external = out["KUBE-SERVICES"], out["KUBE-EXTERNAL-SERVICES"]
    for sp in v.ports:
        r = v.rules(sp, node)
        name = sp.port_name_string
        if not r.has_endpoints:
            internal_target = external_target = "REJECT"
            internal_comment = external_comment = f"{name} has no endpoints"
        else:
            internal_target = "" if r.has_internal else "DROP"
            external_target = "" if r.has_external else "DROP"
            internal_comment = external_comment = f"{name} has no local endpoints"
        if internal_target:
            services.append(_refuse("KUBE-SERVICES", sp, internal_comment, internal_target, sp.cluster_ip, sp.port))
        if external_target:
            external += [_refuse("KUBE-EXTERNAL-SERVICES", sp, external_comment, external_target, ip, sp.port)
                         for ip in sp.external_ips]
        if r.has_endpoints and sp.uses_firewall:
            out["KUBE-PROXY-FIREWALL"] += [firewall_drop(sp, ip) for ip in sp.lb_ips]
        if external_target:
            external += [_refuse("KUBE-EXTERNAL-SERVICES", sp, external_comment, external_target, ip, sp.port)
                         for ip in sp.lb_ips]
            if sp.node_port:
                external.append(_refuse("KUBE-EXTERNAL-SERVICES", sp, external_comment, external_target,
                                        dport=sp.node_port, local=True))
        if sp.health_check_node_port:
            out["KUBE-NODEPORTS"].append(Rule("KUBE-NODEPORTS", "ACCEPT", protocol="tcp",
                                              comment=f"{name} health check node port",
                                              dport=sp.health_check_node_port))
    out["KUBE-FORWARD"] = [
        Rule("KUBE-FORWARD", "DROP", conntrack="--ctstate INVALID", nfacct="ct_state_invalid_dropped_pkts"),
        Rule("KUBE-FORWARD", "ACCEPT", comment="kubernetes forwarding rules", mark=f"--mark {MASQ_MARK}/{MASQ_MARK}"),
        Rule("KUBE-FORWARD", "ACCEPT", comment="kubernetes forwarding conntrack rule",
             conntrack="--ctstate RELATED,ESTABLISHED"),
    ]
    return out


_LB_FW_SET = "Kubernetes service load balancer ip + port for load balancer with sourceRange"
_LB_CIDR_SET = "Kubernetes service load balancer ip + port + source cidr for packet filter purpose"
_LB_IP_SET = "Kubernetes service load balancer ip + port + source IP for packet filter purpose"


def ipvs_out_filter(sp: ServicePort, lb_ip: str) -> Rule:
    """IPVS mode: the rule that drops the node's own packets to a LoadBalancer IP whose source
    ranges leave the node out (the node reaches its kube-ipvs0 address from that address)."""
    return Rule("KUBE-IPVS-OUT-FILTER", "DROP", f"{lb_ip}/32",
                ipvs=f"--vaddr {lb_ip}/32 --vproto {_PROTO[sp.protocol]} --vport {sp.port}")


def _ipvs_rules(v: ProxyView, node: str, node_ip: str) -> dict[str, list[Rule]]:
    """kube-proxy's filter chains in IPVS mode (``writeIptablesRules``)."""
    fw_ports = [sp for sp in v.ports if sp.uses_firewall]
    node_allowed = any(in_any(node_ip, sp.source_ranges) for sp in fw_ports)
    sources = [Rule("KUBE-SOURCE-RANGES-FIREWALL", "RETURN", comment=_LB_CIDR_SET,
                    match_set="KUBE-LOAD-BALANCER-SOURCE-CIDR dst,dst,src")] if fw_ports else []
    if node_allowed:
        sources.append(Rule("KUBE-SOURCE-RANGES-FIREWALL", "RETURN", comment=_LB_IP_SET,
                            match_set="KUBE-LOAD-BALANCER-SOURCE-IP dst,dst,src"))
    sets = ("KUBE-LOAD-BALANCER dst,dst", "KUBE-CLUSTER-IP dst,dst", "KUBE-EXTERNAL-IP dst,dst",
            "KUBE-EXTERNAL-IP-LOCAL dst,dst", "KUBE-HEALTH-CHECK-NODE-PORT dst")
    return {
        "KUBE-FORWARD": [
            Rule("KUBE-FORWARD", "ACCEPT", comment="kubernetes forwarding rules", mark=f"--mark {MASQ_MARK}/{MASQ_MARK}"),
            Rule("KUBE-FORWARD", "ACCEPT", comment="kubernetes forwarding conntrack rule",
                 conntrack="--ctstate RELATED,ESTABLISHED")],
        "KUBE-IPVS-FILTER": [*(Rule("KUBE-IPVS-FILTER", "RETURN", match_set=m) for m in sets),
                             Rule("KUBE-IPVS-FILTER", "REJECT", first="-m conntrack " + _NEW,
                                  match_set="KUBE-IPVS-IPS dst", target_options="--reject-with icmp-port-unreachable")],
        "KUBE-IPVS-OUT-FILTER": [ipvs_out_filter(sp, ip) for sp in fw_ports if not in_any(node_ip, sp.source_ranges)
                                 for ip in sp.lb_ips],
        "KUBE-NODE-PORT": [Rule("KUBE-NODE-PORT", "ACCEPT", comment="Kubernetes health check node port",
                                match_set="KUBE-HEALTH-CHECK-NODE-PORT dst")],
        "KUBE-PROXY-FIREWALL": [Rule("KUBE-PROXY-FIREWALL", "KUBE-SOURCE-RANGES-FIREWALL", comment=_LB_FW_SET,
                                     match_set="KUBE-LOAD-BALANCER-FW dst,dst")] if fw_ports else [],
        "KUBE-SOURCE-RANGES-FIREWALL": [*sources, IPVS_SOURCE_RANGES_DROP],
    }


_PROTO = {"TCP": 6, "UDP": 17, "SCTP": 132}


def filter_table(v: ProxyView, node: str, mode: str, pod_cidr: str, cni: str = "flannel") -> NatTable:
    """The filter table on ``node`` with kube-proxy in ``mode``: kube-proxy's chains (iptables
    and IPVS modes), the kubelet's and flannel's (``pod_cidr`` is flannel's network). On a Calico
    cluster flannel's chains are absent (Felix's ``cali-*`` chains are not rendered)."""
    node_ip = next((ip for ip, name in v.node_ips.items() if name == node), "")
    chains: dict[str, Sequence[Rule]] = {
        "FLANNEL-FWD": [Rule("FLANNEL-FWD", "ACCEPT", source=pod_cidr, comment=_FLANNEL_FORWARD),
                        Rule("FLANNEL-FWD", "ACCEPT", destination=pod_cidr, comment=_FLANNEL_FORWARD)],
        "KUBE-FIREWALL": [KUBELET_FIREWALL],
        "KUBE-KUBELET-CANARY": [],
    }
    flannel = _jump("FORWARD", "FLANNEL-FWD", _FLANNEL_FORWARD)
    if mode == "ipvs":
        chains.update(_ipvs_rules(v, node, node_ip))
        chains["KUBE-PROXY-CANARY"] = []
        builtin = {
            "INPUT": [_jump("INPUT", "KUBE-IPVS-FILTER", "kubernetes ipvs access filter"),
                      _jump("INPUT", "KUBE-PROXY-FIREWALL", "kube-proxy firewall rules"),
                      _jump("INPUT", "KUBE-NODE-PORT", "kubernetes health check rules"),
                      _jump("INPUT", "KUBE-FIREWALL")],
            "FORWARD": [flannel,
                        _jump("FORWARD", "KUBE-PROXY-FIREWALL", "kube-proxy firewall rules"),
                        _jump("FORWARD", "KUBE-FORWARD", "kubernetes forwarding rules")],
            "OUTPUT": [_jump("OUTPUT", "KUBE-IPVS-OUT-FILTER", "kubernetes ipvs access filter"),
                       _jump("OUTPUT", "KUBE-FIREWALL")],
        }
    elif mode != "iptables":
        builtin = {"INPUT": [_jump("INPUT", "KUBE-FIREWALL")], "FORWARD": [flannel],
                   "OUTPUT": [_jump("OUTPUT", "KUBE-FIREWALL")]}
    else:
        chains.update(kube_proxy_rules(v, node))
        chains["KUBE-PROXY-CANARY"] = []
        builtin = {
            "INPUT": [_jump("INPUT", "KUBE-PROXY-FIREWALL", _LB_FIREWALL, True),
                      _jump("INPUT", "KUBE-NODEPORTS", "kubernetes health check service ports"),
                      _jump("INPUT", "KUBE-EXTERNAL-SERVICES", _EXTERNAL_PORTALS, True),
                      _jump("INPUT", "KUBE-FIREWALL")],
            "FORWARD": [flannel,
                        _jump("FORWARD", "KUBE-PROXY-FIREWALL", _LB_FIREWALL, True),
                        _jump("FORWARD", "KUBE-FORWARD", "kubernetes forwarding rules"),
                        _jump("FORWARD", "KUBE-SERVICES", _PORTALS, True),
                        _jump("FORWARD", "KUBE-EXTERNAL-SERVICES", _EXTERNAL_PORTALS, True)],
            "OUTPUT": [_jump("OUTPUT", "KUBE-PROXY-FIREWALL", _LB_FIREWALL, True),
                       _jump("OUTPUT", "KUBE-SERVICES", _PORTALS, True),
                       _jump("OUTPUT", "KUBE-FIREWALL")],
        }
    if cni != "flannel":
        del chains["FLANNEL-FWD"]
        builtin = {n: [r for r in rules if r is not flannel] for n, rules in builtin.items()}
    return NatTable((*(Chain(n, tuple(builtin[n]), "ACCEPT") for n in FILTER_BUILTIN),
                     *(Chain(n, tuple(chains[n])) for n in sorted(chains))))


def mangle_table(mode: str) -> NatTable:
    """The mangle table: the kubelet's ``KUBE-IPTABLES-HINT`` (which iptables backend it uses) and
    canary, and kube-proxy's canary (iptables mode)."""
    names = ["KUBE-IPTABLES-HINT", "KUBE-KUBELET-CANARY"] + (["KUBE-PROXY-CANARY"] if mode == "iptables" else [])
    return NatTable((*(Chain(n, (), "ACCEPT") for n in MANGLE_BUILTIN), *(Chain(n) for n in names)))


def with_flannel(nat: NatTable, pod_cidr: str, node_subnet: str) -> NatTable:
    """``nat`` with flannel's ``FLANNEL-POSTRTG`` (``MasqRules``, ``--random-fully``): ``node_subnet``
    is the node's lease (its podCIDR)."""
    n = pod_cidr
    masq = [
        Rule("FLANNEL-POSTRTG", "RETURN", comment=_FLANNEL_MASQ, first=f"-m mark --mark {MASQ_MARK}/{MASQ_MARK}"),
        Rule("FLANNEL-POSTRTG", "RETURN", n, destination=n, comment=_FLANNEL_MASQ),
        Rule("FLANNEL-POSTRTG", "MASQUERADE", n, destination="224.0.0.0/4", destination_negated=True,
             comment=_FLANNEL_MASQ, target_options="--random-fully"),
        Rule("FLANNEL-POSTRTG", "RETURN", n, True, node_subnet, comment=_FLANNEL_MASQ),
        Rule("FLANNEL-POSTRTG", "MASQUERADE", n, True, n, comment=_FLANNEL_MASQ, target_options="--random-fully"),
    ]
    out = []
    for c in nat.chains:
        if c.name == "POSTROUTING":
            c = Chain(c.name, (_jump("POSTROUTING", "FLANNEL-POSTRTG", _FLANNEL_MASQ), *c.rules), c.policy)
        out.append(c)
    builtin = [c for c in out if c.policy]
    rest = sorted([c for c in out if not c.policy] + [Chain("FLANNEL-POSTRTG", tuple(masq))], key=lambda c: c.name)
    return NatTable((*builtin, *rest))


def masquerade_rule(pod_cidr: str) -> Rule:
    """The flannel rule that masquerades a pod's packet leaving the pod network."""
    return Rule("FLANNEL-POSTRTG", "MASQUERADE", pod_cidr, destination="224.0.0.0/4", destination_negated=True,
                comment=_FLANNEL_MASQ, target_options="--random-fully")
