"""IPVS mode: each Service address is a virtual server whose real servers are the endpoints,
scheduled round robin (``rr``), and what ``ipvsadm -Ln`` prints of them.

Source: ``pkg/proxy/ipvs/proxier.go`` of Kubernetes v1.32.
"""

from __future__ import annotations

import ipaddress

from .servicemap import ProxyEndpoint, ProxyView


def virtual_servers(v: ProxyView, node: str) -> list[tuple[str, str, int | None, list[ProxyEndpoint]]]:
    """The virtual servers on ``node`` as (protocol, ``ip:port``, persistence timeout, real
    servers), in ``ipvsadm -Ln``'s order."""
    node_ip = next((ip for ip, n in v.node_ips.items() if n == node), None)
    out: list[tuple[str, str, int, int | None, tuple[ProxyEndpoint, ...]]] = []
    for sp in v.ports:
        r = v.rules(sp, node)
        internal = r.local if sp.itp_local else r.cluster
        external = r.local if sp.etp_local else r.cluster
        out.append((sp.protocol, sp.cluster_ip, sp.port, sp.affinity_timeout, internal))
        for ip in (*sp.external_ips, *sp.lb_ips):
            out.append((sp.protocol, ip, sp.port, sp.affinity_timeout, external))
        if sp.node_port and node_ip:
            out.append((sp.protocol, node_ip, sp.node_port, sp.affinity_timeout, external))
    out.sort(key=lambda t: (t[0], ipaddress.ip_address(t[1]), t[2]))
    return [(proto, f"{ip}:{port}", timeout, sorted(eps, key=lambda e: (ipaddress.ip_address(e.ip), e.port)))
            for proto, ip, port, timeout, eps in out]


def ipvsadm_text(v: ProxyView, node: str) -> str:
    """What ``ipvsadm -Ln`` prints on ``node``: one virtual server per ClusterIP, external IP,
    LoadBalancer IP and node-IP NodePort, each with its real servers (Masq, weight 1, round
    robin; ``persistent`` for ``sessionAffinity: ClientIP``)."""
    lines = ["IP Virtual Server version 1.2.1 (size=4096)",
             "Prot LocalAddress:Port Scheduler Flags",
             "  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn"]
    for proto, vip, timeout, eps in virtual_servers(v, node):
        lines.append(f"{proto}  {vip} rr" + (f" persistent {timeout}" if timeout is not None else ""))
        for e in eps:
            lines.append(f"  -> {e.address:<28} {'Masq':<7} {1:<6} {0:<10} {0:<10}")
    return "\n".join(lines) + "\n"
