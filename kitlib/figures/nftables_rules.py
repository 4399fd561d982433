"""kube-proxy's nftables rules for one Service on one node, as ``nft list`` prints them.

``nft_rules(cluster, node, service)`` reads the node's ``ip kube-proxy`` table as data
(:func:`kitlib.network.proxy.nft_table`, what ``cluster.nft(node)`` prints) and keeps the part
that handles the Service: its ClusterIP in ``cluster-ips``, its elements of ``service-ips``,
``service-nodeports`` and the no-endpoint maps, and its ``service-…``, ``local-…``,
``external-…``, ``endpoint-…`` chains and affinity sets. The iptables counterpart is
:func:`kitlib.figures.iptables_rules`.
"""

from __future__ import annotations

from ..network.proxy import nft_table
from ..network.proxy.nft import list_table


def nft_rules(cluster, node: str, service: str = "web", namespace: str = "default") -> str:
    """The Service's part of ``nft list table ip kube-proxy`` on ``node`` (nftables mode).

    >>> import kitlib
    >>> c = kitlib.Cluster(nodes=1, proxy_mode="nftables")
    >>> print(nft_rules(c, "minikube", "kubernetes"))  # doctest: +NORMALIZE_WHITESPACE
    table ip kube-proxy {
        comment "rules for kube-proxy"
    <BLANKLINE>
        set cluster-ips {
            type ipv4_addr
            comment "Active ClusterIPs"
            elements = { 10.96.0.1 }
        }
    <BLANKLINE>
        map service-ips {
            type ipv4_addr . inet_proto . inet_service : verdict
            comment "ClusterIP, ExternalIP and LoadBalancer IP traffic"
            elements = { 10.96.0.1 . tcp . 443 : goto service-2QRHZV4L-default/kubernetes/tcp/https }
        }
    <BLANKLINE>
        chain endpoint-PFFLQ6JN-default/kubernetes/tcp/https__192.168.49.2/8443 {
            ip saddr 192.168.49.2 jump mark-for-masquerade
            meta l4proto tcp dnat to 192.168.49.2:8443
        }
    <BLANKLINE>
        chain service-2QRHZV4L-default/kubernetes/tcp/https {
            ip daddr 10.96.0.1 ip saddr != 10.244.0.0/16 jump mark-for-masquerade
            numgen random mod 1 vmap { 0 : goto endpoint-PFFLQ6JN-default/kubernetes/tcp/https__192.168.49.2/8443 }
        }
    }
    <BLANKLINE>
    """
    return list_table(nft_table(cluster.runtime, node).for_service(namespace, service))
