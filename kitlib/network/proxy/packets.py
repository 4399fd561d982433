"""Which endpoint a packet to a Service address reaches: where it meets kube-proxy's rules
(:func:`entry_for`) and what those rules do with it (:func:`decide`).

In iptables mode the packet walks ``KUBE-SERVICES`` → (``KUBE-NODEPORTS`` →) ``KUBE-EXT-…`` →
``KUBE-SVC-…`` or ``KUBE-SVL-…``. In nftables mode it enters at a hook's base chain
(``nat-prerouting``, or ``nat-output`` for the node's own packets), whose ``services`` chain
looks it up in the ``service-ips`` or ``service-nodeports`` map, which sends it on to
``external-…`` and ``service-…`` or ``local-…``. In IPVS mode it meets one virtual server.
Either way it is DNATed to one of a set of endpoints, or refused or dropped when there is none to
send it to (iptables: a filter-table rule; nftables: an element of ``no-endpoint-services`` or
``no-endpoint-nodeports``, looked up from the filter chains). Which endpoint of the set is
:func:`.balance.choose`'s part.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, cast

from ...api.node import Node, internal_ip
from . import firewall, nftrules, view
from .iptables import rule_text
from .nft import element_text
from .nft import rule_text as nft_rule_text
from .nftrules import Element
from .rules import filter_rule
from .servicemap import NodeRules, ProxyEndpoint, ServicePort

if TYPE_CHECKING:
    from ...runtime import Runtime


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
        nsp = v.by_node_port.get((port, protocol))
        if nsp is None:
            return None
        if src_kind in ("pod", "node") and node == src_node:
            return Entry(nsp, "NodePort", node, dst_ip, port, src_ip, "pod" if src_kind == "pod" else "local")
        # The packet crosses the node network first; a pod's source is masqueraded by flannel.
        client = src_ip
        if src_kind == "pod" and src_node:
            client = internal_ip(cast(Node, rt.get("Node", src_node)))  # the API's get returns the kind's own class
        return Entry(nsp, "NodePort", node, dst_ip, port, client, "remote", crosses=src_kind != "external")
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
    """What refused or dropped the packet: the filter-table rule as iptables-save prints it
    (iptables mode), or the map element as ``nft list`` prints it (nftables mode)."""


def decide(rt: Runtime, entry: Entry) -> Decision:
    """Run the packet through ``entry.node``'s kube-proxy rules (iptables, nftables or IPVS)."""
    sp = entry.service_port
    node = entry.node or ""
    v = view(rt)
    r = v.rules(sp, node)
    name = sp.port_name_string
    masq_external = not sp.etp_local or entry.source == "local"
    # loadBalancerSourceRanges: checked before anything else is done with a packet to a
    # LoadBalancer IP, from outside and from pods and nodes alike (no short-circuit).
    node_ip = _node_ip(v.node_ips, node)
    blocked = entry.kind == "LoadBalancer" and sp.uses_firewall and not sp.allows(entry.client_ip, node_ip)
    if rt.proxy_mode == "nftables":
        if blocked:
            return _firewall_nft(entry, node_ip)
        return _decide_nft(entry, r, v.node_ips.get(entry.dst) == node)
    if rt.proxy_mode == "ipvs":
        vs = f"{sp.protocol} {entry.dst}:{entry.port}"
        if blocked and entry.source == "local":  # from the LoadBalancer IP itself, to kube-ipvs0
            return Decision("drop", ["KUBE-IPVS-OUT-FILTER"], virtual_server=vs,
                            rule=rule_text(firewall.ipvs_out_filter(sp, entry.dst)), reason=_blocked_reason(entry, node))
        if blocked:
            return Decision("drop", ["KUBE-PROXY-FIREWALL", "KUBE-SOURCE-RANGES-FIREWALL"], virtual_server=vs,
                            rule=rule_text(firewall.IPVS_SOURCE_RANGES_DROP), reason=_blocked_reason(entry, node))
        if entry.kind == "ClusterIP":
            eps, masq = (r.local if sp.itp_local else r.cluster), entry.source != "pod"
        else:
            eps, masq = (r.local if sp.etp_local else r.cluster), masq_external
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
    if blocked:  # usesFWChain: only with endpoints (without, the REJECT above answers everyone)
        return Decision("drop", [*chains, sp.fw_chain], rule=rule_text(firewall.firewall_drop(sp, entry.dst)),
                        reason=_blocked_reason(entry, node))
    if entry.kind == "ClusterIP":
        if not r.has_internal:
            return Decision("drop", chains, rule=_filter_rule(entry, f"{name} has no local endpoints", "DROP"), reason=(
                f"{name} has no local endpoints: internalTrafficPolicy is Local and no endpoint runs on {node}, "
                "so kube-proxy DROPs the packet and the connection times out"))
        chain = sp.svl_chain if sp.itp_local else sp.svc_chain
        return Decision("dnat", [*chains, chain], r.local if sp.itp_local else r.cluster,
                        masquerade=entry.source != "pod")
    if entry.kind == "NodePort":
        chains.append("KUBE-NODEPORTS")
    chains.append(sp.ext_chain)
    if not sp.etp_local or entry.source in ("pod", "local"):
        return Decision("dnat", [*chains, sp.svc_chain], r.cluster, masquerade=masq_external)
    if not r.local:
        return Decision("drop", chains, rule=_filter_rule(entry, f"{name} has no local endpoints", "DROP"), reason=(
            f"{name} has no local endpoints on {node}: with externalTrafficPolicy Local, kube-proxy DROPs "
            "traffic from outside on a node without a ready endpoint of its own, and the connection times out"))
    return Decision("dnat", [*chains, sp.svl_chain], r.local, masquerade=False)


def _decide_nft(entry: Entry, r: NodeRules, to_node_ip: bool) -> Decision:
    """``decide`` in nftables mode: the hooks and chains the packet goes through, and the map
    element that refuses or drops it when there is no endpoint for it."""
    sp = entry.service_port
    node = entry.node or ""
    name = sp.port_name_string
    base = sp.nft_base
    svc, local = "service-" + base, "local-" + base
    node_port = entry.kind == "NodePort"
    key = (sp.protocol.lower(), str(entry.port)) if node_port else (entry.dst, sp.protocol.lower(), str(entry.port))
    if node_port:
        # NodePorts are checked from filter-input only (a node's own packets come back in through lo).
        checks = ["filter-input", "nodeport-endpoints-check", "@no-endpoint-nodeports"]
    else:
        hook = "filter-output" if entry.source == "local" else "filter-input" if to_node_ip else "filter-forward"
        checks = [hook, "service-endpoints-check", "@no-endpoint-services"]
    if not r.has_endpoints:
        return Decision("reject", [*checks, "reject-chain"], rule=element_text(Element(key, "goto reject-chain", name)),
                        reason=(f"{name} has no endpoints: kube-proxy on {node} maps it to reject-chain in "
                                f"{checks[2][1:]}, which rejects new connections (ICMP port unreachable), so the "
                                "connection is refused"))
    drop = element_text(Element(key, "drop", name))
    nat = ["nat-output" if entry.source == "local" else "nat-prerouting", "services"]
    if entry.kind == "ClusterIP":
        if not r.has_internal:
            return Decision("drop", checks, rule=drop, reason=(
                f"{name} has no local endpoints: internalTrafficPolicy is Local and no endpoint runs on {node}, "
                f"so kube-proxy's no-endpoint-services map drops the packet and the connection times out"))
        return Decision("dnat", [*nat, "@service-ips", local if sp.itp_local else svc],
                        r.local if sp.itp_local else r.cluster, masquerade=entry.source != "pod")
    chains = [*nat, "@service-nodeports" if node_port else "@service-ips", "external-" + base]
    if not sp.etp_local or entry.source in ("pod", "local"):
        return Decision("dnat", [*chains, svc], r.cluster, masquerade=not sp.etp_local or entry.source == "local")
    if not r.local:
        return Decision("drop", [*chains, *checks], rule=drop, reason=(
            f"{name} has no local endpoints on {node}: with externalTrafficPolicy Local, {chains[-1]} sends "
            f"traffic from outside nowhere and the {checks[2][1:]} map drops it, so the connection times out"))
    return Decision("dnat", [*chains, local], r.local, masquerade=False)


def _node_ip(node_ips: dict[str, str], node: str) -> str:
    return next((ip for ip, name in node_ips.items() if name == node), "")


def _blocked_reason(entry: Entry, node: str) -> str:
    sp = entry.service_port
    return (f"{entry.client_ip} is not in the loadBalancerSourceRanges of {sp.service} "
            f"({', '.join(sp.source_ranges)}): kube-proxy's firewall on {node} DROPs connections from it to "
            f"the LoadBalancer IP {entry.dst}, so the connection times out (the node ports are not filtered)")


def _firewall_nft(entry: Entry, node_ip: str) -> Decision:
    """nftables mode: ``firewall-check`` looks the destination up in ``firewall-ips``, whose
    element sends it to the port's ``firewall-…`` chain, which drops sources outside the ranges."""
    sp = entry.service_port
    node = entry.node or ""
    hook = "filter-output-pre-dnat" if entry.source == "local" else "filter-prerouting-pre-dnat"
    chain = "firewall-" + sp.nft_base
    text = nft_rule_text(nftrules.firewall_rule(sp, node_ip))
    return Decision("drop", [hook, "firewall-check", "@firewall-ips", chain], rule=text,
                    reason=_blocked_reason(entry, node))


def _filter_rule(entry: Entry, comment: str, target: str) -> str:
    """The filter-table rule kube-proxy writes to refuse (REJECT) or drop a service address."""
    return rule_text(filter_rule(entry.service_port, entry.kind, entry.dst, comment, target))


def announcer(rt: Runtime, service: str, ip: str) -> tuple[str | None, str]:
    """The node that answers ARP for LoadBalancer IP ``ip`` of ``service`` ("ns/name"), or
    None and why no node does (an outside client then gets "No route to host")."""
    lb = rt.addons.get("metallb")  # the add-on that announces LoadBalancer IPs, if installed
    if lb is None:
        return None, (f"no node answers ARP for {ip}: no load-balancer implementation (such as MetalLB) "
                      "announces it on the node network, so the client's connection fails with 'No route to host'")
    return lb.announcer(service, ip)
