"""What kube-proxy programs for one Service on one node, in whichever mode it runs: the
Service's lines of ``iptables-save -t nat`` (iptables mode), its part of ``nft list table ip
kube-proxy`` (nftables mode), or its virtual servers in ``ipvsadm -Ln`` (IPVS mode, deprecated).

``proxy_rules(cluster, node, service)`` gives the text; :data:`COMMANDS` names the command
whose output it is a part of, by mode. The service lab shows it beside its mode control.
"""

from __future__ import annotations

from ..api.node import internal_ip
from .iptables_view import iptables_rules
from .nftables_rules import nft_rules

COMMANDS = {
    "iptables": "iptables-save -t nat",
    "nftables": "nft list table ip kube-proxy",
    "ipvs": "ipvsadm -Ln",
}
"""The command a node's rules are read with, by kube-proxy mode."""

IPVS_HEADER_LINES = 3
"""``ipvsadm -Ln`` starts with its version and two column headings."""


def proxy_rules(cluster, node: str, service: str = "web", namespace: str = "default") -> str:
    """The Service's part of the rules kube-proxy wrote on ``node``, in the cluster's proxy mode.

    >>> import kitlib
    >>> c = kitlib.Cluster(nodes=1, proxy_mode="ipvs")
    >>> print(proxy_rules(c, "minikube", "kubernetes"))
    IP Virtual Server version 1.2.1 (size=4096)
    Prot LocalAddress:Port Scheduler Flags
      -> RemoteAddress:Port           Forward Weight ActiveConn InActConn
    TCP  10.96.0.1:443 rr
      -> 192.168.49.2:8443            Masq    1      0          0
    """
    mode = getattr(cluster, "proxy_mode", "iptables")
    if mode == "nftables":
        return nft_rules(cluster, node, service, namespace).rstrip("\n")
    if mode == "ipvs":
        return _ipvs_rules(cluster, node, service, namespace)
    return iptables_rules(cluster, node, service, namespace)


def _ipvs_rules(cluster, node: str, service: str, namespace: str) -> str:
    """The header of ``ipvsadm -Ln`` and the Service's virtual servers with their real servers."""
    svc = cluster.get("Service", service, namespace)
    node_ip = internal_ip(cluster.get("Node", node.removeprefix("node/"), ""))
    addresses = set()
    for p in svc.spec.ports:
        if svc.spec.cluster_ip and svc.spec.cluster_ip != "None":
            addresses.add(f"{svc.spec.cluster_ip}:{p.port}")
        if p.node_port:
            addresses.add(f"{node_ip}:{p.node_port}")
        addresses.update(f"{i.ip}:{p.port}" for i in svc.status.load_balancer.ingress if i.ip)
    lines = cluster.ipvsadm(node).splitlines()
    out = lines[:IPVS_HEADER_LINES]
    keep = False
    for line in lines[IPVS_HEADER_LINES:]:
        if not line.startswith(" "):  # a virtual server: "TCP  10.96.0.1:443 rr"
            keep = len(line.split()) > 1 and line.split()[1] in addresses
        if keep:
            out.append(line.rstrip())
    return "\n".join(out)
