"""kube-proxy's nftables mode: the ``ip kube-proxy`` table checked line by line against kube-proxy's
own unit tests (``pkg/proxy/nftables/proxier_test.go``), packets traced through it as kube-proxy's
test tracer traces them (``helpers_test.go``), and what ``nft list table ip kube-proxy`` prints.

The expectations in ``BASE_RULES``, ``OVERALL`` and ``REPEATED`` are copied from proxier_test.go
(``baseRules``, ``TestOverallNFTablesRules``, ``TestSyncProxyRulesRepeated``); the proxier's test
fixture uses pod CIDR 10.0.0.0/8, Service CIDR 172.30.0.0/16, node ``test-node`` at 192.168.0.2
and the masquerade mark ``0x4000``. Tables are compared as ``assertNFTablesTransactionEqual``
compares them: blank and ``#`` lines dropped, lines sorted by object kind, then name, rules kept
in their order within a chain.
"""

from __future__ import annotations

import functools

import pytest
from nftables_tracer import trace

import kitlib
from kitlib import manifest
from kitlib.figures import nft_rules
from kitlib.network import proxy
from kitlib.network.proxy import chains, nft, nftrules, packets
from kitlib.network.proxy.servicemap import ProxyView

NODE, NODE_IP, POD_CIDR, SERVICE_CIDR = "test-node", "192.168.0.2", "10.0.0.0/8", "172.30.0.0/16"
NODE_IPS = frozenset({"192.168.0.2", "192.168.1.2", "192.168.99.11"})
"""testNodeIPs (the IPv4 ones): the addresses ``fib saddr type local`` matches."""
EXTERNAL = "203.0.113.2"
"""testExternalClient."""
BLOCKED = "203.0.113.130"
"""testExternalClientBlocked: outside the LB source range 203.0.113.0/25."""

BASE_RULES = """\
add table ip kube-proxy { comment "rules for kube-proxy" ; }

add set ip kube-proxy cluster-ips { type ipv4_addr ; comment "Active ClusterIPs" ; }
add set ip kube-proxy nodeport-ips { type ipv4_addr ; comment "IPs that accept NodePort traffic" ; }

add map ip kube-proxy firewall-ips { type ipv4_addr . inet_proto . inet_service : verdict ; comment "destinations that are subject to LoadBalancerSourceRanges" ; }
add map ip kube-proxy no-endpoint-nodeports { type inet_proto . inet_service : verdict ; comment "vmap to drop or reject packets to service nodeports with no endpoints" ; }
add map ip kube-proxy no-endpoint-services { type ipv4_addr . inet_proto . inet_service : verdict ; comment "vmap to drop or reject packets to services with no endpoints" ; }
add map ip kube-proxy service-ips { type ipv4_addr . inet_proto . inet_service : verdict ; comment "ClusterIP, ExternalIP and LoadBalancer IP traffic" ; }
add map ip kube-proxy service-nodeports { type inet_proto . inet_service : verdict ; comment "NodePort traffic" ; }

add chain ip kube-proxy cluster-ips-check
add chain ip kube-proxy filter-prerouting-pre-dnat { type filter hook prerouting priority -110 ; }
add chain ip kube-proxy filter-output-pre-dnat { type filter hook output priority -110 ; }
add chain ip kube-proxy filter-forward { type filter hook forward priority 0 ; }
add chain ip kube-proxy filter-input { type filter hook input priority 0 ; }
add chain ip kube-proxy filter-output { type filter hook output priority 0 ; }
add chain ip kube-proxy firewall-check
add chain ip kube-proxy mark-for-masquerade
add chain ip kube-proxy masquerading
add chain ip kube-proxy nat-output { type nat hook output priority -100 ; }
add chain ip kube-proxy nat-postrouting { type nat hook postrouting priority 100 ; }
add chain ip kube-proxy nat-prerouting { type nat hook prerouting priority -100 ; }
add chain ip kube-proxy nodeport-endpoints-check
add chain ip kube-proxy reject-chain { comment "helper for @no-endpoint-services / @no-endpoint-nodeports" ; }
add chain ip kube-proxy services
add chain ip kube-proxy service-endpoints-check

add rule ip kube-proxy cluster-ips-check ip daddr @cluster-ips reject comment "Reject traffic to invalid ports of ClusterIPs"
add rule ip kube-proxy cluster-ips-check ip daddr { 172.30.0.0/16 } drop comment "Drop traffic to unallocated ClusterIPs"
add rule ip kube-proxy filter-prerouting-pre-dnat ct state new jump firewall-check
add rule ip kube-proxy filter-forward ct state new jump service-endpoints-check
add rule ip kube-proxy filter-forward ct state new jump cluster-ips-check
add rule ip kube-proxy filter-input ct state new jump nodeport-endpoints-check
add rule ip kube-proxy filter-input ct state new jump service-endpoints-check
add rule ip kube-proxy filter-output ct state new jump service-endpoints-check
add rule ip kube-proxy filter-output-pre-dnat ct state new jump firewall-check
add rule ip kube-proxy filter-output ct state new jump cluster-ips-check
add rule ip kube-proxy firewall-check ip daddr . meta l4proto . th dport vmap @firewall-ips
add rule ip kube-proxy mark-for-masquerade mark set mark or 0x4000
add rule ip kube-proxy masquerading mark and 0x4000 == 0 return
add rule ip kube-proxy masquerading mark set mark xor 0x4000
add rule ip kube-proxy masquerading masquerade fully-random
add rule ip kube-proxy nat-output jump services
add rule ip kube-proxy nat-postrouting jump masquerading
add rule ip kube-proxy nat-prerouting jump services
add rule ip kube-proxy nodeport-endpoints-check ip daddr @nodeport-ips meta l4proto . th dport vmap @no-endpoint-nodeports
add rule ip kube-proxy reject-chain reject
add rule ip kube-proxy services ip daddr . meta l4proto . th dport vmap @service-ips
add rule ip kube-proxy services ip daddr @nodeport-ips meta l4proto . th dport vmap @service-nodeports

add element ip kube-proxy nodeport-ips { 192.168.0.2 }
add rule ip kube-proxy service-endpoints-check ip daddr . meta l4proto . th dport vmap @no-endpoint-services
"""

OVERALL = """\
# svc1
add chain ip kube-proxy service-ULMVA6XW-ns1/svc1/tcp/p80
add rule ip kube-proxy service-ULMVA6XW-ns1/svc1/tcp/p80 ip daddr 172.30.0.41 ip saddr != 10.0.0.0/8 jump mark-for-masquerade
add rule ip kube-proxy service-ULMVA6XW-ns1/svc1/tcp/p80 numgen random mod 1 vmap { 0 : goto endpoint-5OJB2KTY-ns1/svc1/tcp/p80__10.180.0.1/80 }

add chain ip kube-proxy endpoint-5OJB2KTY-ns1/svc1/tcp/p80__10.180.0.1/80
add rule ip kube-proxy endpoint-5OJB2KTY-ns1/svc1/tcp/p80__10.180.0.1/80 ip saddr 10.180.0.1 jump mark-for-masquerade
add rule ip kube-proxy endpoint-5OJB2KTY-ns1/svc1/tcp/p80__10.180.0.1/80 meta l4proto tcp dnat to 10.180.0.1:80

add element ip kube-proxy cluster-ips { 172.30.0.41 }
add element ip kube-proxy service-ips { 172.30.0.41 . tcp . 80 : goto service-ULMVA6XW-ns1/svc1/tcp/p80 }

# svc2
add chain ip kube-proxy service-42NFTM6N-ns2/svc2/tcp/p80
add rule ip kube-proxy service-42NFTM6N-ns2/svc2/tcp/p80 ip daddr 172.30.0.42 ip saddr != 10.0.0.0/8 jump mark-for-masquerade
add rule ip kube-proxy service-42NFTM6N-ns2/svc2/tcp/p80 numgen random mod 1 vmap { 0 : goto endpoint-SGOXE6O3-ns2/svc2/tcp/p80__10.180.0.2/80 }
add chain ip kube-proxy external-42NFTM6N-ns2/svc2/tcp/p80
add rule ip kube-proxy external-42NFTM6N-ns2/svc2/tcp/p80 ip saddr 10.0.0.0/8 goto service-42NFTM6N-ns2/svc2/tcp/p80 comment "short-circuit pod traffic"
add rule ip kube-proxy external-42NFTM6N-ns2/svc2/tcp/p80 fib saddr type local jump mark-for-masquerade comment "masquerade local traffic"
add rule ip kube-proxy external-42NFTM6N-ns2/svc2/tcp/p80 fib saddr type local goto service-42NFTM6N-ns2/svc2/tcp/p80 comment "short-circuit local traffic"
add chain ip kube-proxy endpoint-SGOXE6O3-ns2/svc2/tcp/p80__10.180.0.2/80
add rule ip kube-proxy endpoint-SGOXE6O3-ns2/svc2/tcp/p80__10.180.0.2/80 ip saddr 10.180.0.2 jump mark-for-masquerade
add rule ip kube-proxy endpoint-SGOXE6O3-ns2/svc2/tcp/p80__10.180.0.2/80 meta l4proto tcp dnat to 10.180.0.2:80

add element ip kube-proxy cluster-ips { 172.30.0.42 }
add element ip kube-proxy service-ips { 172.30.0.42 . tcp . 80 : goto service-42NFTM6N-ns2/svc2/tcp/p80 }
add element ip kube-proxy service-ips { 192.168.99.22 . tcp . 80 : goto external-42NFTM6N-ns2/svc2/tcp/p80 }
add element ip kube-proxy service-ips { 1.2.3.4 . tcp . 80 : goto external-42NFTM6N-ns2/svc2/tcp/p80 }
add element ip kube-proxy service-nodeports { tcp . 3001 : goto external-42NFTM6N-ns2/svc2/tcp/p80 }

add element ip kube-proxy no-endpoint-nodeports { tcp . 3001 comment "ns2/svc2:p80" : drop }
add element ip kube-proxy no-endpoint-services { 1.2.3.4 . tcp . 80 comment "ns2/svc2:p80" : drop }
add element ip kube-proxy no-endpoint-services { 192.168.99.22 . tcp . 80 comment "ns2/svc2:p80" : drop }

# svc3
add chain ip kube-proxy service-4AT6LBPK-ns3/svc3/tcp/p80
add rule ip kube-proxy service-4AT6LBPK-ns3/svc3/tcp/p80 ip daddr 172.30.0.43 ip saddr != 10.0.0.0/8 jump mark-for-masquerade
add rule ip kube-proxy service-4AT6LBPK-ns3/svc3/tcp/p80 numgen random mod 1 vmap { 0 : goto endpoint-UEIP74TE-ns3/svc3/tcp/p80__10.180.0.3/80 }
add chain ip kube-proxy external-4AT6LBPK-ns3/svc3/tcp/p80
add rule ip kube-proxy external-4AT6LBPK-ns3/svc3/tcp/p80 jump mark-for-masquerade
add rule ip kube-proxy external-4AT6LBPK-ns3/svc3/tcp/p80 goto service-4AT6LBPK-ns3/svc3/tcp/p80
add chain ip kube-proxy endpoint-UEIP74TE-ns3/svc3/tcp/p80__10.180.0.3/80
add rule ip kube-proxy endpoint-UEIP74TE-ns3/svc3/tcp/p80__10.180.0.3/80 ip saddr 10.180.0.3 jump mark-for-masquerade
add rule ip kube-proxy endpoint-UEIP74TE-ns3/svc3/tcp/p80__10.180.0.3/80 meta l4proto tcp dnat to 10.180.0.3:80

add element ip kube-proxy cluster-ips { 172.30.0.43 }
add element ip kube-proxy service-ips { 172.30.0.43 . tcp . 80 : goto service-4AT6LBPK-ns3/svc3/tcp/p80 }
add element ip kube-proxy service-nodeports { tcp . 3003 : goto external-4AT6LBPK-ns3/svc3/tcp/p80 }

# svc4
add chain ip kube-proxy service-LAUZTJTB-ns4/svc4/tcp/p80
add rule ip kube-proxy service-LAUZTJTB-ns4/svc4/tcp/p80 ip daddr 172.30.0.44 ip saddr != 10.0.0.0/8 jump mark-for-masquerade
add rule ip kube-proxy service-LAUZTJTB-ns4/svc4/tcp/p80 numgen random mod 2 vmap { 0 : goto endpoint-UNZV3OEC-ns4/svc4/tcp/p80__10.180.0.4/80 , 1 : goto endpoint-5RFCDDV7-ns4/svc4/tcp/p80__10.180.0.5/80 }
add chain ip kube-proxy external-LAUZTJTB-ns4/svc4/tcp/p80
add rule ip kube-proxy external-LAUZTJTB-ns4/svc4/tcp/p80 jump mark-for-masquerade
add rule ip kube-proxy external-LAUZTJTB-ns4/svc4/tcp/p80 goto service-LAUZTJTB-ns4/svc4/tcp/p80
add chain ip kube-proxy endpoint-5RFCDDV7-ns4/svc4/tcp/p80__10.180.0.5/80
add rule ip kube-proxy endpoint-5RFCDDV7-ns4/svc4/tcp/p80__10.180.0.5/80 ip saddr 10.180.0.5 jump mark-for-masquerade
add rule ip kube-proxy endpoint-5RFCDDV7-ns4/svc4/tcp/p80__10.180.0.5/80 meta l4proto tcp dnat to 10.180.0.5:80
add chain ip kube-proxy endpoint-UNZV3OEC-ns4/svc4/tcp/p80__10.180.0.4/80
add rule ip kube-proxy endpoint-UNZV3OEC-ns4/svc4/tcp/p80__10.180.0.4/80 ip saddr 10.180.0.4 jump mark-for-masquerade
add rule ip kube-proxy endpoint-UNZV3OEC-ns4/svc4/tcp/p80__10.180.0.4/80 meta l4proto tcp dnat to 10.180.0.4:80

add element ip kube-proxy cluster-ips { 172.30.0.44 }
add element ip kube-proxy service-ips { 172.30.0.44 . tcp . 80 : goto service-LAUZTJTB-ns4/svc4/tcp/p80 }
add element ip kube-proxy service-ips { 192.168.99.33 . tcp . 80 : goto external-LAUZTJTB-ns4/svc4/tcp/p80 }

# svc5
add set ip kube-proxy affinity-GTK6MW7G-ns5/svc5/tcp/p80__10.180.0.3/80 { type ipv4_addr ; flags dynamic,timeout ; timeout 10800s ; }
add chain ip kube-proxy service-HVFWP5L3-ns5/svc5/tcp/p80
add rule ip kube-proxy service-HVFWP5L3-ns5/svc5/tcp/p80 ip daddr 172.30.0.45 ip saddr != 10.0.0.0/8 jump mark-for-masquerade
add rule ip kube-proxy service-HVFWP5L3-ns5/svc5/tcp/p80 ip saddr @affinity-GTK6MW7G-ns5/svc5/tcp/p80__10.180.0.3/80 goto endpoint-GTK6MW7G-ns5/svc5/tcp/p80__10.180.0.3/80
add rule ip kube-proxy service-HVFWP5L3-ns5/svc5/tcp/p80 numgen random mod 1 vmap { 0 : goto endpoint-GTK6MW7G-ns5/svc5/tcp/p80__10.180.0.3/80 }
add chain ip kube-proxy external-HVFWP5L3-ns5/svc5/tcp/p80
add rule ip kube-proxy external-HVFWP5L3-ns5/svc5/tcp/p80 jump mark-for-masquerade
add rule ip kube-proxy external-HVFWP5L3-ns5/svc5/tcp/p80 goto service-HVFWP5L3-ns5/svc5/tcp/p80

add chain ip kube-proxy endpoint-GTK6MW7G-ns5/svc5/tcp/p80__10.180.0.3/80
add rule ip kube-proxy endpoint-GTK6MW7G-ns5/svc5/tcp/p80__10.180.0.3/80 ip saddr 10.180.0.3 jump mark-for-masquerade
add rule ip kube-proxy endpoint-GTK6MW7G-ns5/svc5/tcp/p80__10.180.0.3/80 update @affinity-GTK6MW7G-ns5/svc5/tcp/p80__10.180.0.3/80 { ip saddr }
add rule ip kube-proxy endpoint-GTK6MW7G-ns5/svc5/tcp/p80__10.180.0.3/80 meta l4proto tcp dnat to 10.180.0.3:80

add chain ip kube-proxy firewall-HVFWP5L3-ns5/svc5/tcp/p80
add rule ip kube-proxy firewall-HVFWP5L3-ns5/svc5/tcp/p80 ip saddr != { 203.0.113.0/25 } drop

add element ip kube-proxy cluster-ips { 172.30.0.45 }
add element ip kube-proxy service-ips { 172.30.0.45 . tcp . 80 : goto service-HVFWP5L3-ns5/svc5/tcp/p80 }
add element ip kube-proxy service-ips { 5.6.7.8 . tcp . 80 : goto external-HVFWP5L3-ns5/svc5/tcp/p80 }
add element ip kube-proxy service-nodeports { tcp . 3002 : goto external-HVFWP5L3-ns5/svc5/tcp/p80 }
add element ip kube-proxy firewall-ips { 5.6.7.8 . tcp . 80 : goto firewall-HVFWP5L3-ns5/svc5/tcp/p80 }

# svc6
add element ip kube-proxy cluster-ips { 172.30.0.46 }
add element ip kube-proxy no-endpoint-services { 172.30.0.46 . tcp . 80 comment "ns6/svc6:p80" : goto reject-chain }
"""

# TestSyncProxyRulesRepeated's blocks, one per service state, as the test composes its expectations.
R_SVC1 = """\
add element ip kube-proxy cluster-ips { 172.30.0.41 }
add element ip kube-proxy service-ips { 172.30.0.41 . tcp . 80 : goto service-ULMVA6XW-ns1/svc1/tcp/p80 }
add chain ip kube-proxy service-ULMVA6XW-ns1/svc1/tcp/p80
add rule ip kube-proxy service-ULMVA6XW-ns1/svc1/tcp/p80 ip daddr 172.30.0.41 ip saddr != 10.0.0.0/8 jump mark-for-masquerade
add rule ip kube-proxy service-ULMVA6XW-ns1/svc1/tcp/p80 numgen random mod 1 vmap { 0 : goto endpoint-5TPGNJF2-ns1/svc1/tcp/p80__10.0.1.1/80 }
add chain ip kube-proxy endpoint-5TPGNJF2-ns1/svc1/tcp/p80__10.0.1.1/80
add rule ip kube-proxy endpoint-5TPGNJF2-ns1/svc1/tcp/p80__10.0.1.1/80 ip saddr 10.0.1.1 jump mark-for-masquerade
add rule ip kube-proxy endpoint-5TPGNJF2-ns1/svc1/tcp/p80__10.0.1.1/80 meta l4proto tcp dnat to 10.0.1.1:80
"""
R_SVC2 = """\
add element ip kube-proxy cluster-ips { 172.30.0.42 }
add element ip kube-proxy service-ips { 172.30.0.42 . tcp . 8080 : goto service-MHHHYRWA-ns2/svc2/tcp/p8080 }
add chain ip kube-proxy service-MHHHYRWA-ns2/svc2/tcp/p8080
add rule ip kube-proxy service-MHHHYRWA-ns2/svc2/tcp/p8080 ip daddr 172.30.0.42 ip saddr != 10.0.0.0/8 jump mark-for-masquerade
add rule ip kube-proxy service-MHHHYRWA-ns2/svc2/tcp/p8080 numgen random mod 1 vmap { 0 : goto endpoint-7RVP4LUQ-ns2/svc2/tcp/p8080__10.0.2.1/8080 }
add chain ip kube-proxy endpoint-7RVP4LUQ-ns2/svc2/tcp/p8080__10.0.2.1/8080
add rule ip kube-proxy endpoint-7RVP4LUQ-ns2/svc2/tcp/p8080__10.0.2.1/8080 ip saddr 10.0.2.1 jump mark-for-masquerade
add rule ip kube-proxy endpoint-7RVP4LUQ-ns2/svc2/tcp/p8080__10.0.2.1/8080 meta l4proto tcp dnat to 10.0.2.1:8080
"""
R_SVC3 = """\
add element ip kube-proxy cluster-ips { 172.30.0.43 }
add element ip kube-proxy service-ips { 172.30.0.43 . tcp . 80 : goto service-4AT6LBPK-ns3/svc3/tcp/p80 }
add chain ip kube-proxy service-4AT6LBPK-ns3/svc3/tcp/p80
add rule ip kube-proxy service-4AT6LBPK-ns3/svc3/tcp/p80 ip daddr 172.30.0.43 ip saddr != 10.0.0.0/8 jump mark-for-masquerade
add rule ip kube-proxy service-4AT6LBPK-ns3/svc3/tcp/p80 numgen random mod 1 vmap { 0 : goto endpoint-2OCDJSZQ-ns3/svc3/tcp/p80__10.0.3.1/80 }
add chain ip kube-proxy endpoint-2OCDJSZQ-ns3/svc3/tcp/p80__10.0.3.1/80
add rule ip kube-proxy endpoint-2OCDJSZQ-ns3/svc3/tcp/p80__10.0.3.1/80 ip saddr 10.0.3.1 jump mark-for-masquerade
add rule ip kube-proxy endpoint-2OCDJSZQ-ns3/svc3/tcp/p80__10.0.3.1/80 meta l4proto tcp dnat to 10.0.3.1:80
"""
R_SVC3_TWO = """\
add element ip kube-proxy cluster-ips { 172.30.0.43 }
add element ip kube-proxy service-ips { 172.30.0.43 . tcp . 80 : goto service-4AT6LBPK-ns3/svc3/tcp/p80 }
add chain ip kube-proxy service-4AT6LBPK-ns3/svc3/tcp/p80
add rule ip kube-proxy service-4AT6LBPK-ns3/svc3/tcp/p80 ip daddr 172.30.0.43 ip saddr != 10.0.0.0/8 jump mark-for-masquerade
add rule ip kube-proxy service-4AT6LBPK-ns3/svc3/tcp/p80 numgen random mod 2 vmap { 0 : goto endpoint-SWWHDC7X-ns3/svc3/tcp/p80__10.0.3.2/80 , 1 : goto endpoint-TQ2QKHCZ-ns3/svc3/tcp/p80__10.0.3.3/80 }
add chain ip kube-proxy endpoint-SWWHDC7X-ns3/svc3/tcp/p80__10.0.3.2/80
add rule ip kube-proxy endpoint-SWWHDC7X-ns3/svc3/tcp/p80__10.0.3.2/80 ip saddr 10.0.3.2 jump mark-for-masquerade
add rule ip kube-proxy endpoint-SWWHDC7X-ns3/svc3/tcp/p80__10.0.3.2/80 meta l4proto tcp dnat to 10.0.3.2:80
add chain ip kube-proxy endpoint-TQ2QKHCZ-ns3/svc3/tcp/p80__10.0.3.3/80
add rule ip kube-proxy endpoint-TQ2QKHCZ-ns3/svc3/tcp/p80__10.0.3.3/80 ip saddr 10.0.3.3 jump mark-for-masquerade
add rule ip kube-proxy endpoint-TQ2QKHCZ-ns3/svc3/tcp/p80__10.0.3.3/80 meta l4proto tcp dnat to 10.0.3.3:80
"""
R_SVC4_NO_ENDPOINTS = """\
add element ip kube-proxy cluster-ips { 172.30.0.44 }
add element ip kube-proxy no-endpoint-services { 172.30.0.44 . tcp . 80 comment "ns4/svc4:p80" : goto reject-chain }
"""
R_SVC4 = """\
add element ip kube-proxy cluster-ips { 172.30.0.44 }
add element ip kube-proxy service-ips { 172.30.0.44 . tcp . 80 : goto service-LAUZTJTB-ns4/svc4/tcp/p80 }
add chain ip kube-proxy service-LAUZTJTB-ns4/svc4/tcp/p80
add rule ip kube-proxy service-LAUZTJTB-ns4/svc4/tcp/p80 ip daddr 172.30.0.44 ip saddr != 10.0.0.0/8 jump mark-for-masquerade
add rule ip kube-proxy service-LAUZTJTB-ns4/svc4/tcp/p80 numgen random mod 1 vmap { 0 : goto endpoint-WAHRBT2B-ns4/svc4/tcp/p80__10.0.4.1/80 }
add chain ip kube-proxy endpoint-WAHRBT2B-ns4/svc4/tcp/p80__10.0.4.1/80
add rule ip kube-proxy endpoint-WAHRBT2B-ns4/svc4/tcp/p80__10.0.4.1/80 ip saddr 10.0.4.1 jump mark-for-masquerade
add rule ip kube-proxy endpoint-WAHRBT2B-ns4/svc4/tcp/p80__10.0.4.1/80 meta l4proto tcp dnat to 10.0.4.1:80
"""

_ORDER = {"table": 10, "chain": 9, "rule": 8, "set": 7, "map": 6, "element": 5}


def _less(a: str, b: str) -> bool:
    wa, wb = a.split(" "), b.split(" ")
    if len(wa) < 5 or len(wb) < 5:
        return False
    if wa[1] != wb[1]:
        return _ORDER.get(wa[1], 0) >= _ORDER.get(wb[1], 0)
    if wa[4] != wb[4]:
        return wa[4] < wb[4]
    if wa[1] == "rule":
        return False
    return a < b


def sort_transaction(text: str) -> list[str]:
    """``sortNFTablesTransaction`` (helpers_test.go): the lines in a standard order for comparison."""
    lines = [line.strip() for line in text.splitlines()]
    lines = [line for line in lines if line and not line.startswith("#")]
    return sorted(lines, key=functools.cmp_to_key(lambda a, b: -1 if _less(a, b) else 1 if _less(b, a) else 0))


# ------------------------------------------------------------------ the proxier test fixture

def svc(ns: str, name: str, cluster_ip: str, *ports: dict, status: dict | None = None, **spec):
    return manifest.decode({"apiVersion": "v1", "kind": "Service", "metadata": {"name": name, "namespace": ns},
                            "spec": {"clusterIP": cluster_ip, "ports": list(ports), **spec},
                            "status": status or {}})


def port(name: str = "p80", number: int = 80, protocol: str = "TCP", **more) -> dict:
    return {"name": name, "port": number, "protocol": protocol, **more}


def ep(ip: str, node: str | None = None, ready: bool | None = None, serving: bool | None = None,
       terminating: bool | None = None) -> dict:
    out: dict = {"addresses": [ip]}
    if node:
        out["nodeName"] = node
    conditions = {k: v for k, v in (("ready", ready), ("serving", serving), ("terminating", terminating))
                  if v is not None}
    if conditions:
        out["conditions"] = conditions
    return out


def eps(ns: str, name: str, *endpoints: dict, ports: tuple[dict, ...] = (port(),)):
    return manifest.decode({"apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
                            "metadata": {"name": f"{name}-1", "namespace": ns,
                                         "labels": {"kubernetes.io/service-name": name}},
                            "addressType": "IPv4", "endpoints": list(endpoints), "ports": list(ports)})


def proxier(services: list, slices: list, source_ranges: dict[str, tuple[str, ...]] | None = None) -> nftrules.Table:
    """kube-proxy's table on the proxier tests' node (``NewFakeProxier``), from these objects."""
    v = ProxyView(0, services, slices, [])
    for sp in v.ports:  # kube-proxy's view of the ranges, set directly (as the proxier tests' fixture does)
        sp.source_ranges = (source_ranges or {}).get(sp.service, ())
    return nftrules.table(v, NODE, NODE_IP, POD_CIDR, (SERVICE_CIDR,), mark="0x4000")


def flows(table: nftrules.Table, cases: list[tuple]) -> None:
    """``runPacketFlowTests``: each (name, source, destination, port, output, masq[, protocol])."""
    for name, src, dst, dport, output, masq, *proto in cases:
        got, marked = trace(table, src, (proto[0] if proto else "tcp"), dst, dport, NODE_IPS)
        assert got == output, name
        if output not in ("", "REJECT", "DROP"):
            assert marked == masq, name


# ------------------------------------------------------------------ chain names

@pytest.mark.parametrize("ns, name, protocol, port_name, expected", [
    ("testing", "service", "tcp", "http", "P4ZYZVCF-testing/service/tcp/http"),
    ("testing", "service", "tcp", "https", "LZBRENCP-testing/service/tcp/https"),
    ("very-long-namespace-name-abcdefghijklmnopqrstuvwxyz0123456789xx",
     "very-long-service-name-why-would-you-even-do-this-i-mean-really", "sctp",
     "port-443-providing-the-hypertext-transmission-protocol-with-tls",
     "KR6NACJP-very-long-namespace-name-abcdefghijklmnopqrstuvwxyz0123456789xx/very-long-service-name-why-would-"
     "you-even-do-this-i-mean-really/sctp/port-443-providing-the-hypertext-transmission-protocol-with-tls"),
])
def test_service_chain_name_bases_are_the_proxiers(ns, name, protocol, port_name, expected):
    """``service-``/``local-``/``external-``/``firewall-`` + ``HASH-ns/name/protocol/port``: 8 base32
    characters of the SHA-256 of the readable name, then the name (Test_servicePortChainNameBase)."""
    assert chains.nft_service_base(ns, name, protocol, port_name) == expected


LONG = ("very-long-namespace-name-abcdefghijklmnopqrstuvwxyz0123456789xx",
        "very-long-service-name-why-would-you-even-do-this-i-mean-really", "sctp",
        "port-443-providing-the-hypertext-transmission-protocol-with-tls")
LONG_TEXT = "/".join(LONG)


@pytest.mark.parametrize("spn, endpoint, expected", [
    (("testing", "service", "tcp", "http"), "10.180.0.1:80", "JO2XBXZR-testing/service/tcp/http__10.180.0.1/80"),
    (("testing", "service", "tcp", "http"), "10.180.0.2:80", "5S6H3H22-testing/service/tcp/http__10.180.0.2/80"),
    (("testing", "service", "tcp", "http"), "[fd80:abcd:12::a1b2:c3d4:e5f6:9999]:80",
     "U7E2ET36-testing/service/tcp/http__fd80.abcd.12..a1b2.c3d4.e5f6.9999/80"),
    (LONG, "[1234:5678:9abc:def0::abc:1234]:443",
     f"5YS7AFEA-{LONG_TEXT}__1234.5678.9abc.def0..abc.1234/443"),
    (LONG, "[1234:5678:9abc:def0::abcd:1234:5678]:443", f"CI6C53Q3-{LONG_TEXT}__1234.5678.9abc.def0..abcd.1234..."),
    (LONG, "[1234:5678:9abc:def0::abcd:1234:8765]:443", f"2FLXFK6X-{LONG_TEXT}__1234.5678.9abc.def0..abcd.1234..."),
])
def test_endpoint_chain_name_bases_are_the_proxiers(spn, endpoint, expected):
    """``endpoint-``/``affinity-`` + ``HASH-ns/name/protocol/port__ip/port``, an IPv6 address's
    colons as dots, cut to 240 characters ending in ``...`` (Test_servicePortEndpointChainNameBase)."""
    assert chains.nft_endpoint_base(*spn, endpoint) == expected
    assert len(expected) <= chains.NFT_NAME_MAX


# ------------------------------------------------------------------ the table, line by line

def overall_table() -> nftrules.Table:
    """TestOverallNFTablesRules' six Services and their endpoints."""
    services = [
        svc("ns1", "svc1", "172.30.0.41", port()),
        svc("ns2", "svc2", "172.30.0.42", port(nodePort=3001), type="LoadBalancer", externalTrafficPolicy="Local",
            externalIPs=["192.168.99.22"], healthCheckNodePort=30000,
            status={"loadBalancer": {"ingress": [{"ip": "1.2.3.4"}]}}),
        svc("ns3", "svc3", "172.30.0.43", port(nodePort=3003), type="NodePort"),
        svc("ns4", "svc4", "172.30.0.44", port(targetPort=80), type="NodePort", externalIPs=["192.168.99.33"]),
        svc("ns5", "svc5", "172.30.0.45", port(nodePort=3002), type="LoadBalancer", externalTrafficPolicy="Cluster",
            healthCheckNodePort=30000, sessionAffinity="ClientIP",
            sessionAffinityConfig={"clientIP": {"timeoutSeconds": 10800}},
            status={"loadBalancer": {"ingress": [{"ip": "5.6.7.8"}]}}),
        svc("ns6", "svc6", "172.30.0.46", port(targetPort=80), type="ClusterIP"),
    ]
    slices = [eps("ns1", "svc1", ep("10.180.0.1")), eps("ns2", "svc2", ep("10.180.0.2")),
              eps("ns3", "svc3", ep("10.180.0.3")), eps("ns4", "svc4", ep("10.180.0.4"), ep("10.180.0.5", NODE)),
              eps("ns5", "svc5", ep("10.180.0.3"))]
    return proxier(services, slices, {"ns5/svc5": ("203.0.113.0/25",)})


def test_overall_rules_are_the_proxiers_line_by_line():
    """TestOverallNFTablesRules: a ClusterIP Service, a LoadBalancer with externalTrafficPolicy
    Local and no local endpoint (its external addresses drop), a NodePort, external IPs, a
    LoadBalancer with source ranges and ClientIP affinity, and a Service without endpoints
    (rejected): every line of kube-proxy's transaction, as its unit test expects it."""
    assert sort_transaction(nft.dump(overall_table())) == sort_transaction(BASE_RULES + OVERALL)


def test_an_empty_cluster_has_the_base_rules():
    """With no Service, the table is the proxier tests' ``baseRules``: base chains, the jumps to
    the dispatch and check chains, the sets and maps, masquerading (TestSyncProxyRulesStartup)."""
    assert sort_transaction(nft.dump(proxier([], []))) == sort_transaction(BASE_RULES)


def test_repeated_syncs_give_the_proxiers_tables():
    """TestSyncProxyRulesRepeated, the states after each change once stale chains are gone:
    services added and deleted, a Service without endpoints (rejected), then given one, an
    endpoint moved and one added."""
    svc1 = svc("ns1", "svc1", "172.30.0.41", port())
    svc2 = svc("ns2", "svc2", "172.30.0.42", port("p8080", 8080))
    svc3 = svc("ns3", "svc3", "172.30.0.43", port())
    svc4 = svc("ns4", "svc4", "172.30.0.44", port())
    eps1 = eps("ns1", "svc1", ep("10.0.1.1"))
    eps2 = eps("ns2", "svc2", ep("10.0.2.1"), ports=(port("p8080", 8080),))
    eps3 = eps("ns3", "svc3", ep("10.0.3.1"))
    eps4 = eps("ns4", "svc4", ep("10.0.4.1"))

    def expect(services, slices, *blocks):
        assert sort_transaction(nft.dump(proxier(services, slices))) == sort_transaction(BASE_RULES + "".join(blocks))

    expect([svc1, svc2], [eps1, eps2], R_SVC1, R_SVC2)
    expect([svc1, svc2, svc3], [eps1, eps2, eps3], R_SVC1, R_SVC2, R_SVC3)
    expect([svc1, svc3], [eps1, eps3], R_SVC1, R_SVC3)
    expect([svc1, svc3, svc4], [eps1, eps3], R_SVC1, R_SVC3, R_SVC4_NO_ENDPOINTS)
    expect([svc1, svc3, svc4], [eps1, eps3, eps4], R_SVC1, R_SVC3, R_SVC4)
    eps3_two = eps("ns3", "svc3", ep("10.0.3.2"), ep("10.0.3.3"))
    expect([svc1, svc3, svc4], [eps1, eps3_two, eps4], R_SVC1, R_SVC3_TWO, R_SVC4)
    emptied = BASE_RULES + R_SVC1 + R_SVC4 + """\
add element ip kube-proxy cluster-ips { 172.30.0.43 }
add element ip kube-proxy no-endpoint-services { 172.30.0.43 . tcp . 80 comment "ns3/svc3:p80" : goto reject-chain }
"""
    assert sort_transaction(nft.dump(proxier([svc1, svc3, svc4], [eps1, eps("ns3", "svc3"), eps4]))) == \
        sort_transaction(emptied)


def test_load_balancer_ip_mode_proxy_gets_no_service_ips_element():
    """TestLoadBalancerIngressRouteTypeProxy: a load-balancer IP with ipMode Proxy is the load
    balancer's own business; VIP (or unset) goes into service-ips."""
    for ip, mode, expected in (("1.2.3.4", "Proxy", False), ("1.2.3.5", "VIP", True), ("1.2.3.6", None, True)):
        ingress = {"ip": ip, **({"ipMode": mode} if mode else {})}
        table = proxier([svc("ns1", "svc1", "10.20.30.41", port(nodePort=3001), type="LoadBalancer",
                             status={"loadBalancer": {"ingress": [ingress]}})],
                        [eps("ns1", "svc1", ep("10.180.0.1"))])
        service_ips = table.get("service-ips")
        assert isinstance(service_ips, nftrules.Set)
        assert any(e.key == (ip, "tcp", "80") for e in service_ips.elements) == expected


# ------------------------------------------------------------------ packets through the table

def test_no_endpoints_reject():
    """TestNoEndpointsReject: a Service without endpoints is rejected at every address."""
    table = proxier([svc("ns1", "svc1", "172.30.0.41", port(nodePort=3001), type="LoadBalancer",
                         externalIPs=["192.168.99.11"], status={"loadBalancer": {"ingress": [{"ip": "1.2.3.4"}]}})], [])
    flows(table, [
        ("pod to cluster IP with no endpoints", "10.0.0.2", "172.30.0.41", 80, "REJECT", False),
        ("external to external IP with no endpoints", EXTERNAL, "192.168.99.11", 80, "REJECT", False),
        ("pod to NodePort with no endpoints", "10.0.0.2", NODE_IP, 3001, "REJECT", False),
        ("external to NodePort with no endpoints", EXTERNAL, NODE_IP, 3001, "REJECT", False),
        ("pod to LoadBalancer IP with no endpoints", "10.0.0.2", "1.2.3.4", 80, "REJECT", False),
        ("external to LoadBalancer IP with no endpoints", EXTERNAL, "1.2.3.4", 80, "REJECT", False),
    ])


def test_cluster_ip_general():
    """TestClusterIPGeneral: endpoints by port and protocol, hairpin masquerade, a ClusterIP's
    undeclared ports rejected and an unallocated ClusterIP dropped (cluster-ips-check)."""
    dns = (port("dns-udp", 53, "UDP"), port("dns-tcp", 53, "TCP", targetPort=5353), port("dns-sctp", 53, "SCTP"))
    table = proxier(
        [svc("ns1", "svc1", "172.30.0.41", port("http")),
         svc("ns2", "svc2", "172.30.0.42", port("http"), port("https", 443, targetPort=8443), *dns)],
        [eps("ns1", "svc1", ep("10.180.0.1", NODE), ports=(port("http"),)),
         eps("ns2", "svc2", ep("10.180.0.1", NODE), ep("10.180.2.1", "node2"),
             ports=(port("http"), port("https", 8443), port("dns-udp", 53, "UDP"), port("dns-tcp", 5353),
                    port("dns-sctp", 53, "SCTP")))])
    flows(table, [
        ("simple clusterIP", "10.180.0.2", "172.30.0.41", 80, "10.180.0.1:80", False),
        ("hairpin to cluster IP", "10.180.0.1", "172.30.0.41", 80, "10.180.0.1:80", True),
        ("clusterIP with multiple endpoints", "10.180.0.2", "172.30.0.42", 80, "10.180.0.1:80, 10.180.2.1:80", False),
        ("clusterIP with TargetPort", "10.180.0.2", "172.30.0.42", 443, "10.180.0.1:8443, 10.180.2.1:8443", False),
        ("TCP on 53", "10.180.0.2", "172.30.0.42", 53, "10.180.0.1:5353, 10.180.2.1:5353", False, "tcp"),
        ("UDP on 53", "10.180.0.2", "172.30.0.42", 53, "10.180.0.1:53, 10.180.2.1:53", False, "udp"),
        ("SCTP on 53", "10.180.0.2", "172.30.0.42", 53, "10.180.0.1:53, 10.180.2.1:53", False, "sctp"),
        ("TCP-only port does not match UDP traffic", "10.180.0.2", "172.30.0.42", 80, "REJECT", False, "udp"),
        ("svc1 does not accept svc2's ports", "10.180.0.2", "172.30.0.41", 443, "REJECT", False),
        ("packet to unallocated cluster ip", "10.180.0.2", "172.30.0.50", 80, "DROP", False),
    ])


def test_load_balancer_source_ranges():
    """TestLoadBalancer: loadBalancerSourceRanges are checked before DNAT (firewall-check); node
    ports bypass them; the node itself, and a packet SNATted to the LB IP, are allowed."""
    table = proxier([svc("ns1", "svc1", "172.30.0.41", port(nodePort=3001), type="LoadBalancer",
                         status={"loadBalancer": {"ingress": [{"ip": "1.2.3.4"}, {"ip": "5.6.7.8"}]}})],
                    [eps("ns1", "svc1", ep("10.180.0.1"))],
                    {"ns1/svc1": ("192.168.0.0/24", "203.0.113.0/25")})
    flows(table, [
        ("pod to cluster IP", "10.0.0.2", "172.30.0.41", 80, "10.180.0.1:80", False),
        ("external to nodePort", EXTERNAL, NODE_IP, 3001, "10.180.0.1:80", True),
        ("nodePort bypasses LoadBalancerSourceRanges", BLOCKED, NODE_IP, 3001, "10.180.0.1:80", True),
        ("accepted external to LB1", EXTERNAL, "1.2.3.4", 80, "10.180.0.1:80", True),
        ("accepted external to LB2", EXTERNAL, "5.6.7.8", 80, "10.180.0.1:80", True),
        ("blocked external to LB1", BLOCKED, "1.2.3.4", 80, "DROP", False),
        ("blocked external to LB2", BLOCKED, "5.6.7.8", 80, "DROP", False),
        ("pod to LB1 (blocked by LoadBalancerSourceRanges)", "10.0.0.2", "1.2.3.4", 80, "DROP", False),
        ("pod to LB2 (blocked by LoadBalancerSourceRanges)", "10.0.0.2", "5.6.7.8", 80, "DROP", False),
        ("node to LB1 (allowed by LoadBalancerSourceRanges)", NODE_IP, "1.2.3.4", 80, "10.180.0.1:80", True),
        ("node to LB2 (allowed by LoadBalancerSourceRanges)", NODE_IP, "5.6.7.8", 80, "10.180.0.1:80", True),
        ("same node to LB1, SNATted to LB1 (implicitly allowed)", "1.2.3.4", "1.2.3.4", 80, "10.180.0.1:80", True),
        ("same node to LB2, SNATted to LB2 (implicitly allowed)", "5.6.7.8", "5.6.7.8", 80, "10.180.0.1:80", True),
    ])


def test_node_ports_only_on_the_primary_node_ip():
    """TestNodePorts ("ipv4"): node ports answer on the node's primary IP only (nftables mode
    reads an empty nodePortAddresses as ``primary``), not on its other addresses."""
    table = proxier([svc("ns1", "svc1", "172.30.0.41", port(nodePort=3001), type="NodePort")],
                    [eps("ns1", "svc1", ep("10.180.0.1"), ep("10.180.2.1", NODE))])
    both = "10.180.0.1:80, 10.180.2.1:80"
    flows(table, [
        ("pod to cluster IP", "10.0.0.2", "172.30.0.41", 80, both, False),
        ("external to nodePort", EXTERNAL, NODE_IP, 3001, both, True),
        ("node to nodePort", NODE_IP, NODE_IP, 3001, both, True),
        ("secondary nodeIP ignores NodePorts", EXTERNAL, "192.168.1.2", 3001, "", False),
    ])


def _lb(policy: str):
    return svc("ns1", "svc1", "172.30.0.41", port(nodePort=3001, targetPort=80), type="LoadBalancer",
               externalIPs=["192.168.99.11"], externalTrafficPolicy=policy, healthCheckNodePort=30000,
               status={"loadBalancer": {"ingress": [{"ip": "1.2.3.4"}]}})


def test_external_traffic_policy_local():
    """TestExternalTrafficPolicyLocal: from outside, only this node's endpoint and no masquerade;
    pods are short-circuited to every endpoint."""
    table = proxier([_lb("Local")], [eps("ns1", "svc1", ep("10.180.0.1"), ep("10.180.2.1", NODE))])
    both, local = "10.180.0.1:80, 10.180.2.1:80", "10.180.2.1:80"
    flows(table, [
        ("pod to cluster IP hits both endpoints, unmasqueraded", "10.0.0.2", "172.30.0.41", 80, both, False),
        ("pod to external IP hits both endpoints, unmasqueraded", "10.0.0.2", "192.168.99.11", 80, both, False),
        ("external to external IP hits only local endpoint, unmasqueraded", EXTERNAL, "192.168.99.11", 80, local, False),
        ("pod to LB IP hits only both endpoints, unmasqueraded", "10.0.0.2", "1.2.3.4", 80, both, False),
        ("external to LB IP hits only local endpoint, unmasqueraded", EXTERNAL, "1.2.3.4", 80, local, False),
        ("pod to NodePort hits both endpoints, unmasqueraded", "10.0.0.2", NODE_IP, 3001, both, False),
        ("external to NodePort hits only local endpoint, unmasqueraded", EXTERNAL, NODE_IP, 3001, local, False),
    ])


def test_external_traffic_policy_cluster():
    """TestExternalTrafficPolicyCluster: every endpoint, masqueraded, whatever the source."""
    table = proxier([_lb("Cluster")], [eps("ns1", "svc1", ep("10.180.0.1"), ep("10.180.2.1", NODE))])
    both = "10.180.0.1:80, 10.180.2.1:80"
    flows(table, [
        ("pod to cluster IP hits both endpoints, unmasqueraded", "10.0.0.2", "172.30.0.41", 80, both, False),
        ("pod to external IP hits both endpoints, masqueraded", "10.0.0.2", "192.168.99.11", 80, both, True),
        ("external to external IP hits both endpoints, masqueraded", EXTERNAL, "192.168.99.11", 80, both, True),
        ("pod to LB IP hits both endpoints, masqueraded", "10.0.0.2", "1.2.3.4", 80, both, True),
        ("external to LB IP hits both endpoints, masqueraded", EXTERNAL, "1.2.3.4", 80, both, True),
        ("pod to NodePort hits both endpoints, masqueraded", "10.0.0.2", NODE_IP, 3001, both, True),
        ("external to NodePort hits both endpoints, masqueraded", EXTERNAL, NODE_IP, 3001, both, True),
    ])


@pytest.mark.parametrize("policy, nodes, output", [
    ("Cluster", (NODE, "node1", "node2"), "10.0.1.1:80, 10.0.1.2:80, 10.0.1.3:80"),
    ("Local", (NODE, "node1", "node2"), "10.0.1.1:80"),
    ("Local", (NODE, NODE, "node2"), "10.0.1.1:80, 10.0.1.2:80"),
    ("Local", ("node0", "node1", "node2"), "DROP"),
])
def test_internal_traffic_policy(policy, nodes, output):
    """TestInternalTrafficPolicy: Local keeps ClusterIP traffic on this node's endpoints, and
    drops it when there is none; with the endpoints gone it is rejected."""
    service = svc("ns1", "svc1", "172.30.1.1", port(""), internalTrafficPolicy=policy, selector={"foo": "bar"})
    slice_ = eps("ns1", "svc1", *(ep(f"10.0.1.{i + 1}", n, ready=True) for i, n in enumerate(nodes)),
                 ports=(port(""),))
    flows(proxier([service], [slice_]), [("pod to ClusterIP", "10.0.0.2", "172.30.1.1", 80, output, False)])
    flows(proxier([service], []), [("endpoints deleted", "10.0.0.2", "172.30.1.1", 80, "REJECT", False)])


def test_terminating_endpoints_with_local_traffic_policy():
    """TestTerminatingEndpointsTrafficPolicyLocal: ready endpoints first; serving-and-terminating
    ones only when no endpoint is ready, for each policy on its own."""
    service = svc("ns1", "svc1", "172.30.1.1", port("", targetPort=80), type="LoadBalancer",
                  externalTrafficPolicy="Local", healthCheckNodePort=30000,
                  status={"loadBalancer": {"ingress": [{"ip": "1.2.3.4"}]}})
    ready = eps("ns1", "svc1", ep("10.0.1.1", NODE, True, True, False), ep("10.0.1.2", NODE, True, True, False),
                ep("10.0.1.3", NODE, False, True, True), ep("10.0.1.4", NODE, False, False, True),
                ep("10.0.1.5", "node-1", True, True, False), ports=(port(""),))
    flows(proxier([service], [ready]), [
        ("pod to clusterIP", "10.0.0.2", "172.30.1.1", 80, "10.0.1.1:80, 10.0.1.2:80, 10.0.1.5:80", False),
        ("external to LB", EXTERNAL, "1.2.3.4", 80, "10.0.1.1:80, 10.0.1.2:80", False),
    ])
    terminating = eps("ns1", "svc1", ep("10.0.1.2", NODE, False, True, True), ep("10.0.1.3", NODE, False, True, True),
                      ep("10.0.1.4", NODE, False, False, True), ep("10.0.1.5", "node-1", True, True, False),
                      ports=(port(""),))
    flows(proxier([service], [terminating]), [
        ("pod to clusterIP", "10.0.0.2", "172.30.1.1", 80, "10.0.1.5:80", False),
        ("external to LB", EXTERNAL, "1.2.3.4", 80, "10.0.1.2:80, 10.0.1.3:80", False),
    ])


def test_internal_external_masquerade():
    """TestInternalExternalMasquerade (the base case): who is masqueraded, and which endpoints a
    Cluster, an externalTrafficPolicy Local and an internalTrafficPolicy Local Service use from a
    pod, the node and outside."""
    def lb(n: int, ip: str, **spec):
        return svc(f"ns{n}", f"svc{n}", f"172.30.0.4{n}", port(nodePort=3000 + n), type="LoadBalancer",
                   healthCheckNodePort=30000 + n, status={"loadBalancer": {"ingress": [{"ip": ip}]}}, **spec)

    table = proxier(
        [lb(1, "1.2.3.4"), lb(2, "5.6.7.8", externalTrafficPolicy="Local"), lb(3, "9.10.11.12",
                                                                              internalTrafficPolicy="Local")],
        [eps(f"ns{n}", f"svc{n}", ep(f"10.180.0.{n}", NODE), ep(f"10.180.1.{n}", "remote")) for n in (1, 2, 3)])
    all1, all2, all3 = "10.180.0.1:80, 10.180.1.1:80", "10.180.0.2:80, 10.180.1.2:80", "10.180.0.3:80, 10.180.1.3:80"
    pod = "10.0.0.2"
    flows(table, [
        ("pod to ClusterIP", pod, "172.30.0.41", 80, all1, False),
        ("pod to NodePort", pod, NODE_IP, 3001, all1, True),
        ("pod to LB", pod, "1.2.3.4", 80, all1, True),
        ("node to ClusterIP", NODE_IP, "172.30.0.41", 80, all1, True),
        ("node to NodePort", NODE_IP, NODE_IP, 3001, all1, True),
        ("node to LB", NODE_IP, "1.2.3.4", 80, all1, True),
        ("external to ClusterIP", EXTERNAL, "172.30.0.41", 80, all1, True),
        ("external to NodePort", EXTERNAL, NODE_IP, 3001, all1, True),
        ("external to LB", EXTERNAL, "1.2.3.4", 80, all1, True),
        ("pod to ClusterIP with eTP:Local", pod, "172.30.0.42", 80, all2, False),
        ("pod to NodePort with eTP:Local", pod, NODE_IP, 3002, all2, False),
        ("pod to LB with eTP:Local", pod, "5.6.7.8", 80, all2, False),
        ("node to ClusterIP with eTP:Local", NODE_IP, "172.30.0.42", 80, all2, True),
        ("node to NodePort with eTP:Local", NODE_IP, NODE_IP, 3001, all1, True),
        ("node to LB with eTP:Local", NODE_IP, "5.6.7.8", 80, all2, True),
        ("external to ClusterIP with eTP:Local", EXTERNAL, "172.30.0.42", 80, all2, True),
        ("external to NodePort with eTP:Local", EXTERNAL, NODE_IP, 3002, "10.180.0.2:80", False),
        ("external to LB with eTP:Local", EXTERNAL, "5.6.7.8", 80, "10.180.0.2:80", False),
        ("pod to ClusterIP with iTP:Local", pod, "172.30.0.43", 80, "10.180.0.3:80", False),
        ("pod to NodePort with iTP:Local", pod, NODE_IP, 3003, all3, True),
        ("pod to LB with iTP:Local", pod, "9.10.11.12", 80, all3, True),
        ("node to ClusterIP with iTP:Local", NODE_IP, "172.30.0.43", 80, "10.180.0.3:80", True),
        ("node to NodePort with iTP:Local", NODE_IP, NODE_IP, 3003, all3, True),
        ("node to LB with iTP:Local", NODE_IP, "9.10.11.12", 80, all3, True),
        ("external to ClusterIP with iTP:Local", EXTERNAL, "172.30.0.43", 80, "10.180.0.3:80", True),
        ("external to NodePort with iTP:Local", EXTERNAL, NODE_IP, 3003, all3, True),
        ("external to LB with iTP:Local", EXTERNAL, "9.10.11.12", 80, all3, True),
    ])


# ------------------------------------------------------------------ nft list table ip kube-proxy on a cluster

SMALL = """\
table ip kube-proxy {
\tcomment "rules for kube-proxy"

\tchain filter-prerouting-pre-dnat {
\t\ttype filter hook prerouting priority dstnat - 10; policy accept;
\t\tct state new jump firewall-check
\t}

\tchain filter-output-pre-dnat {
\t\ttype filter hook output priority -110; policy accept;
\t\tct state new jump firewall-check
\t}

\tchain filter-input {
\t\ttype filter hook input priority filter; policy accept;
\t\tct state new jump nodeport-endpoints-check
\t\tct state new jump service-endpoints-check
\t}

\tchain filter-forward {
\t\ttype filter hook forward priority filter; policy accept;
\t\tct state new jump service-endpoints-check
\t\tct state new jump cluster-ips-check
\t}

\tchain filter-output {
\t\ttype filter hook output priority filter; policy accept;
\t\tct state new jump service-endpoints-check
\t\tct state new jump cluster-ips-check
\t}

\tchain nat-prerouting {
\t\ttype nat hook prerouting priority dstnat; policy accept;
\t\tjump services
\t}

\tchain nat-output {
\t\ttype nat hook output priority -100; policy accept;
\t\tjump services
\t}

\tchain nat-postrouting {
\t\ttype nat hook postrouting priority srcnat; policy accept;
\t\tjump masquerading
\t}

\tchain nodeport-endpoints-check {
\t\tip daddr @nodeport-ips meta l4proto . th dport vmap @no-endpoint-nodeports
\t}

\tchain service-endpoints-check {
\t\tip daddr . meta l4proto . th dport vmap @no-endpoint-services
\t}

\tchain firewall-check {
\t\tip daddr . meta l4proto . th dport vmap @firewall-ips
\t}

\tchain services {
\t\tip daddr . meta l4proto . th dport vmap @service-ips
\t\tip daddr @nodeport-ips meta l4proto . th dport vmap @service-nodeports
\t}

\tchain masquerading {
\t\tmeta mark & 0x00004000 == 0x00000000 return
\t\tmeta mark set meta mark ^ 0x00004000
\t\tmasquerade fully-random
\t}

\tchain cluster-ips-check {
\t\tip daddr @cluster-ips reject comment "Reject traffic to invalid ports of ClusterIPs"
\t\tip daddr 10.96.0.0/12 drop comment "Drop traffic to unallocated ClusterIPs"
\t}

\tchain mark-for-masquerade {
\t\tmeta mark set meta mark | 0x00004000
\t}

\tset cluster-ips {
\t\ttype ipv4_addr
\t\tcomment "Active ClusterIPs"
\t\telements = { 10.96.45.12 }
\t}

\tset nodeport-ips {
\t\ttype ipv4_addr
\t\tcomment "IPs that accept NodePort traffic"
\t\telements = { 192.168.49.2 }
\t}

\tmap no-endpoint-services {
\t\ttype ipv4_addr . inet_proto . inet_service : verdict
\t\tcomment "vmap to drop or reject packets to services with no endpoints"
\t}

\tmap no-endpoint-nodeports {
\t\ttype inet_proto . inet_service : verdict
\t\tcomment "vmap to drop or reject packets to service nodeports with no endpoints"
\t}

\tchain reject-chain {
\t\tcomment "helper for @no-endpoint-services / @no-endpoint-nodeports"
\t\treject
\t}

\tmap firewall-ips {
\t\ttype ipv4_addr . inet_proto . inet_service : verdict
\t\tcomment "destinations that are subject to LoadBalancerSourceRanges"
\t}

\tmap service-ips {
\t\ttype ipv4_addr . inet_proto . inet_service : verdict
\t\tcomment "ClusterIP, ExternalIP and LoadBalancer IP traffic"
\t\telements = { 10.96.45.12 . tcp . 80 : goto service-PFISGYVC-default/web/tcp/ }
\t}

\tmap service-nodeports {
\t\ttype inet_proto . inet_service : verdict
\t\tcomment "NodePort traffic"
\t}

\tchain endpoint-5V4SALOI-default/web/tcp/__10.244.1.2/80 {
\t\tip saddr 10.244.1.2 jump mark-for-masquerade
\t\tupdate @affinity-5V4SALOI-default/web/tcp/__10.244.1.2/80 { ip saddr }
\t\tmeta l4proto tcp dnat to 10.244.1.2:80
\t}

\tchain endpoint-A7VVRXZS-default/web/tcp/__10.244.1.3/80 {
\t\tip saddr 10.244.1.3 jump mark-for-masquerade
\t\tupdate @affinity-A7VVRXZS-default/web/tcp/__10.244.1.3/80 { ip saddr }
\t\tmeta l4proto tcp dnat to 10.244.1.3:80
\t}

\tchain endpoint-OVM4RAAD-default/web/tcp/__10.244.2.2/80 {
\t\tip saddr 10.244.2.2 jump mark-for-masquerade
\t\tupdate @affinity-OVM4RAAD-default/web/tcp/__10.244.2.2/80 { ip saddr }
\t\tmeta l4proto tcp dnat to 10.244.2.2:80
\t}

\tchain service-PFISGYVC-default/web/tcp/ {
\t\tip daddr 10.96.45.12 ip saddr != 10.244.0.0/16 jump mark-for-masquerade
\t\tip saddr @affinity-5V4SALOI-default/web/tcp/__10.244.1.2/80 goto endpoint-5V4SALOI-default/web/tcp/__10.244.1.2/80
\t\tip saddr @affinity-A7VVRXZS-default/web/tcp/__10.244.1.3/80 goto endpoint-A7VVRXZS-default/web/tcp/__10.244.1.3/80
\t\tip saddr @affinity-OVM4RAAD-default/web/tcp/__10.244.2.2/80 goto endpoint-OVM4RAAD-default/web/tcp/__10.244.2.2/80
\t\tnumgen random mod 3 vmap { 0 : goto endpoint-5V4SALOI-default/web/tcp/__10.244.1.2/80, 1 : goto endpoint-A7VVRXZS-default/web/tcp/__10.244.1.3/80, 2 : goto endpoint-OVM4RAAD-default/web/tcp/__10.244.2.2/80 }
\t}

\tset affinity-5V4SALOI-default/web/tcp/__10.244.1.2/80 {
\t\ttype ipv4_addr
\t\tflags dynamic,timeout
\t\ttimeout 3h
\t}

\tset affinity-A7VVRXZS-default/web/tcp/__10.244.1.3/80 {
\t\ttype ipv4_addr
\t\tflags dynamic,timeout
\t\ttimeout 3h
\t\telements = { 192.168.49.2 expires 2h59m50s }
\t}

\tset affinity-OVM4RAAD-default/web/tcp/__10.244.2.2/80 {
\t\ttype ipv4_addr
\t\tflags dynamic,timeout
\t\ttimeout 3h
\t}
}
"""


def small_cluster(**spec) -> kitlib.Cluster:
    """One node in nftables mode, only Service ``web`` (ClusterIP 10.96.45.12) with three endpoints."""
    c = kitlib.Cluster(nodes=1, seed=0, proxy_mode="nftables")
    c.delete("Service", "kubernetes")
    c.delete("Service", "kube-dns", "kube-system")
    c.apply({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web"},
             "spec": {"clusterIP": "10.96.45.12", "ports": [{"port": 80}], **spec}})
    c.apply({"apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
             "metadata": {"name": "web-1", "labels": {"kubernetes.io/service-name": "web"}},
             "addressType": "IPv4",
             "endpoints": [{"addresses": [ip], "conditions": {"ready": True}}
                           for ip in ("10.244.1.2", "10.244.1.3", "10.244.2.2")],
             "ports": [{"name": "", "port": 80, "protocol": "TCP"}]})
    return c


def test_nft_list_of_a_small_service_is_exact():
    """``nft list table ip kube-proxy`` as nft prints it: a tab per level, the base chains' hooks
    with priorities by name (``dstnat - 10``, ``filter``, ``srcnat``), rules in nft's own spelling
    (``meta mark set meta mark | 0x00004000``, ``ip daddr 10.96.0.0/12`` without braces,
    ``0 : goto …, 1 : …``), elements wrapped as nft wraps them, and ClientIP affinity's sets with
    the client a request from the node left there and the time it has left."""
    c = small_cluster(sessionAffinity="ClientIP")
    c.traffic("node/minikube", "10.96.45.12", 80, requests=5)
    c.advance(10)
    assert c.nft("minikube") == SMALL
    assert c.nft("node/minikube") == SMALL


@pytest.mark.parametrize("spec", [
    {"type": "ClusterIP"},
    {"type": "NodePort", "externalTrafficPolicy": "Local", "sessionAffinity": "ClientIP"},
    {"type": "LoadBalancer", "externalIPs": ["192.168.49.100"], "internalTrafficPolicy": "Local"},
])
def test_every_listed_line_comes_from_the_table(web, spec):
    """nft's text is the structured table printed: a block per chain, set and map, in the table's
    order, each rule's line in its chain's order; the transaction dump holds the same objects."""
    web.enable_addon("metallb", addresses="192.168.49.200-192.168.49.250")
    web.apply({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web"},
               "spec": {"selector": {"app": "web"}, "ports": [{"port": 80}], **spec}})
    web.advance(2)
    web.set_proxy_mode("nftables")
    for node in web.nodes():
        table = proxy.nft_table(web.runtime, node.name)
        text = web.nft(node.name)
        heads = [line.split()[:2] for line in text.splitlines() if line.startswith("\t") and line.endswith("{")
                 and not line.startswith("\t\t")]
        assert heads == [["map" if isinstance(o, nftrules.Set) and o.is_map else type(o).__name__.lower(), o.name]
                         for o in table.objects]
        for c in table.chains():
            block = text.split(f"\tchain {c.name} {{\n", 1)[1].split("\n\t}", 1)[0].splitlines()
            assert [line[2:] for line in block if not line.startswith(("\t\ttype ", "\t\tcomment "))] == \
                [nft.rule_text(r) for r in c.rules]
        dumped = nft.dump(table).splitlines()
        assert len([line for line in dumped if line.startswith("add rule ")]) == len(table.rules())
        assert {line.split()[4] for line in dumped if line.startswith(("add chain", "add set", "add map"))} == \
            {o.name for o in table.objects}


def test_nft_elsewhere_and_iptables_in_nftables_mode():
    """kube-proxy deletes the other modes' rules when it starts: in iptables or IPVS mode there is
    no ``ip kube-proxy`` table (nft's error), and in nftables mode ``iptables-save -t nat`` shows
    only the built-in chains and the kubelet's canary. An unknown node is NotFound."""
    c = small_cluster()
    assert c.iptables("minikube").splitlines()[2:8] == [
        ":PREROUTING ACCEPT [0:0]", ":INPUT ACCEPT [0:0]", ":OUTPUT ACCEPT [0:0]", ":POSTROUTING ACCEPT [0:0]",
        ":KUBE-KUBELET-CANARY - [0:0]", "COMMIT"]
    for mode in ("iptables", "ipvs"):
        c.set_proxy_mode(mode)
        with pytest.raises(kitlib.NotFound) as err:
            c.nft("minikube")
        assert err.value.kubectl_text() == (
            "Error: No such file or directory\nlist table ip kube-proxy\n              ^^^^^^^^^^")
    c.set_proxy_mode("nftables")
    with pytest.raises(kitlib.NotFound, match='nodes "nope" not found'):
        c.nft("nope")


def test_external_traffic_policy_local_tables_depend_on_the_node(web):
    """externalTrafficPolicy Local: on the node with the pod, ``external-…`` ends in ``goto
    local-…``; elsewhere it only short-circuits pods and the node itself, and the node port and
    load-balancer addresses are in the no-endpoint maps with ``drop``."""
    web.scale("web", 1)
    web.advance(5)
    (pod,) = web.pods()
    web.apply({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web"},
               "spec": {"selector": {"app": "web"}, "type": "NodePort", "externalTrafficPolicy": "Local",
                        "ports": [{"port": 80, "nodePort": 30080}]}})
    web.set_proxy_mode("nftables")
    base = chains.nft_service_base("default", "web", "TCP", "")
    here = web.nft(pod.spec.node_name)
    other = web.nft(next(n.name for n in web.nodes() if n.name != pod.spec.node_name))
    assert f"\t\tgoto local-{base}\n" in here and f"chain local-{base} {{" in here
    assert f"chain local-{base}" not in other and f"goto local-{base}" not in other
    assert 'tcp . 30080 comment "default/web" : drop' in other and "tcp . 30080 comment" not in here
    external = other.split(f"\tchain external-{base} {{\n", 1)[1].split("\n\t}", 1)[0]
    assert external == (
        f'\t\tip saddr 10.244.0.0/16 goto service-{base} comment "short-circuit pod traffic"\n'
        '\t\tfib saddr type local jump mark-for-masquerade comment "masquerade local traffic"\n'
        f'\t\tfib saddr type local goto service-{base} comment "short-circuit local traffic"')


def test_kitlibs_decisions_are_the_tables(web):
    """What kitlib's packet path decides for a connection (DNAT to which endpoints, masquerade or
    not, reject, drop) is what tracing that packet through the node's nftables table gives, for
    every node, client and kind of address; the chains a hop names are the table's."""
    web.enable_addon("metallb", addresses="192.168.49.200-192.168.49.250")
    web.scale("web", 2)
    web.advance(5)
    for name, spec in (("a", {"type": "LoadBalancer"}),
                       ("b", {"type": "LoadBalancer", "externalTrafficPolicy": "Local"}),
                       ("c", {"type": "NodePort", "internalTrafficPolicy": "Local"}),
                       ("d", {"type": "NodePort", "externalTrafficPolicy": "Local", "internalTrafficPolicy": "Local"}),
                       ("e", {"type": "NodePort", "selector": {"app": "none"}})):
        web.apply({"apiVersion": "v1", "kind": "Service", "metadata": {"name": name},
                   "spec": {"selector": {"app": "web"}, "ports": [{"port": 80}], **spec}})
    web.advance(2)
    web.set_proxy_mode("nftables")
    v = proxy.view(web.runtime)
    checked = 0
    for node in web.nodes():
        table = proxy.nft_table(web.runtime, node.name)
        names = {o.name for o in table.objects}
        node_ip = next(ip for ip, n in v.node_ips.items() if n == node.name)
        pod_ip = node.spec.pod_cidr.rsplit(".", 1)[0] + ".200"  # a pod of this node that is no endpoint
        for sp in v.ports:
            if sp.namespace != "default" or sp.name == "kubernetes":
                continue
            targets = [("ClusterIP", sp.cluster_ip, sp.port)] + [("LoadBalancer", ip, sp.port) for ip in sp.lb_ips]
            if sp.node_port:
                targets.append(("NodePort", node_ip, sp.node_port))
            for kind, dst, dport in targets:
                for source, src in (("pod", pod_ip), ("local", node_ip), ("remote", "192.168.49.1")):
                    if kind == "ClusterIP" and source == "remote":
                        continue
                    entry = packets.Entry(sp, kind, node.name, dst, dport, src, source)
                    d = packets.decide(web.runtime, entry)
                    got, masq = trace(table, src, "tcp", dst, dport, {node_ip})
                    if d.action == "dnat":
                        assert got == ", ".join(e.address for e in d.endpoints), (sp.name, kind, source, node.name)
                        assert masq == d.masquerade, (sp.name, kind, source, node.name)
                    else:
                        assert got == d.action.upper(), (sp.name, kind, source, node.name)
                    assert all(c in names for c in d.chains if not c.startswith("@")), d.chains
                    checked += 1
    assert checked > 60


def test_a_services_part_of_the_table(web):
    """``nft_rules`` (and ``Table.for_service``) keep what handles one Service: its ClusterIP, its
    map elements, its chains and affinity sets; nothing of the other Services."""
    web.apply({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web"},
               "spec": {"selector": {"app": "web"}, "type": "NodePort", "sessionAffinity": "ClientIP",
                        "ports": [{"port": 80, "nodePort": 30080}]}})
    web.apply({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "empty"},
               "spec": {"selector": {"app": "none"}, "ports": [{"port": 81}]}})
    web.set_proxy_mode("nftables")
    text = nft_rules(web, "minikube", "web")
    table = proxy.nft_table(web.runtime, "minikube").for_service("default", "web")
    assert text == nft.list_table(table)
    base = chains.nft_service_base("default", "web", "TCP", "")
    assert [o.name for o in table.objects][:3] == ["cluster-ips", "service-ips", "service-nodeports"]
    assert {o.name.split("-", 1)[0] for o in table.objects[3:]} == {"endpoint", "service", "external", "affinity"}
    assert f"goto external-{base}" in text and "kube-dns" not in text and "kubernetes" not in text
    assert "default/empty" not in text
    empty = nft_rules(web, "minikube", "empty")
    assert 'comment "default/empty" : goto reject-chain' in empty and "\tchain " not in empty


def test_a_node_port_gets_an_external_chain_and_only_the_primary_ip(web):
    """A NodePort Service: its port in service-nodeports (``goto external-…``, which masquerades
    and goes on to ``service-…``), matched only on the node's own IP (``nodeport-ips``): unlike
    iptables mode there are no localhost node ports. Headless and ExternalName Services get
    nothing."""
    web.apply({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web"},
               "spec": {"selector": {"app": "web"}, "type": "NodePort", "ports": [{"port": 80, "nodePort": 30080}]}})
    web.apply({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "headless"},
               "spec": {"selector": {"app": "web"}, "clusterIP": "None", "ports": [{"port": 80}]}})
    web.apply({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "db"},
               "spec": {"type": "ExternalName", "externalName": "db.example.com"}})
    web.set_proxy_mode("nftables")
    base = chains.nft_service_base("default", "web", "TCP", "")
    text = web.nft("minikube-m02")
    assert f"\t\telements = {{ tcp . 30080 : goto external-{base} }}" in text
    assert "\t\telements = { 192.168.49.3 }" in text
    assert f"\tchain external-{base} {{\n\t\tjump mark-for-masquerade\n\t\tgoto service-{base}\n\t}}" in text
    assert "127.0.0." not in text and "default/headless" not in text and "default/db" not in text
