"""kube-proxy's firewall and the node's filter table: ``loadBalancerSourceRanges`` validated as the
API server validates it, rendered as kube-proxy writes it in each mode (the nat table's ``KUBE-FW-…``
and the filter table's ``KUBE-PROXY-FIREWALL``, nftables' ``firewall-ips``, IPVS's ipsets) and
enforced in the data path; the filter table's REJECT for Services without endpoints; flannel's
chains in the whole ``iptables-save``.

``OVERALL_FILTER`` and ``OVERALL_NAT`` are copied from kube-proxy's own unit test
(``TestOverallIPTablesRules`` in ``pkg/proxy/iptables/proxier_test.go``), which prints the rules in
the order kube-proxy writes their arguments; :func:`canon` reads a rule as iptables does (order of
arguments, implied ``/32``, ``-m tcp``, the defaults iptables-save adds), so that the comparison is
rule by rule, in each chain's order.
"""

from __future__ import annotations

import shlex

import pytest
from test_nftables import NODE, POD_CIDR, ep, eps, port, svc

import kitlib
from kitlib.network.proxy import firewall, iptables, rules
from kitlib.network.proxy.servicemap import ProxyView

POOL = "192.168.49.200-192.168.49.250"
LB_IP = "192.168.49.200"

OVERALL_FILTER = """\
-A KUBE-NODEPORTS -m comment --comment "ns2/svc2:p80 health check node port" -m tcp -p tcp --dport 30000 -j ACCEPT
-A KUBE-SERVICES -m comment --comment "ns6/svc6:p80 has no endpoints" -m tcp -p tcp -d 172.30.0.46 --dport 80 -j REJECT
-A KUBE-EXTERNAL-SERVICES -m comment --comment "ns2/svc2:p80 has no local endpoints" -m tcp -p tcp -d 192.168.99.22 --dport 80 -j DROP
-A KUBE-EXTERNAL-SERVICES -m comment --comment "ns2/svc2:p80 has no local endpoints" -m tcp -p tcp -d 1.2.3.4 --dport 80 -j DROP
-A KUBE-EXTERNAL-SERVICES -m comment --comment "ns2/svc2:p80 has no local endpoints" -m addrtype --dst-type LOCAL -m tcp -p tcp --dport 3001 -j DROP
-A KUBE-FIREWALL -m comment --comment "block incoming localnet connections" -d 127.0.0.0/8 ! -s 127.0.0.0/8 -m conntrack ! --ctstate RELATED,ESTABLISHED,DNAT -j DROP
-A KUBE-FORWARD -m conntrack --ctstate INVALID -m nfacct --nfacct-name ct_state_invalid_dropped_pkts -j DROP
-A KUBE-FORWARD -m comment --comment "kubernetes forwarding rules" -m mark --mark 0x4000/0x4000 -j ACCEPT
-A KUBE-FORWARD -m comment --comment "kubernetes forwarding conntrack rule" -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
-A KUBE-PROXY-FIREWALL -m comment --comment "ns5/svc5:p80 traffic not accepted by KUBE-FW-NUKIZ6OKUXPJNT4C" -m tcp -p tcp -d 5.6.7.8 --dport 80 -j DROP
"""

OVERALL_NAT = """\
-A KUBE-NODEPORTS -m comment --comment ns2/svc2:p80 -m tcp -p tcp -d 127.0.0.0/8 --dport 3001 -m nfacct --nfacct-name localhost_nps_accepted_pkts -j KUBE-EXT-GNZBNJ2PO5MGZ6GT
-A KUBE-NODEPORTS -m comment --comment ns2/svc2:p80 -m tcp -p tcp --dport 3001 -j KUBE-EXT-GNZBNJ2PO5MGZ6GT
-A KUBE-NODEPORTS -m comment --comment ns3/svc3:p80 -m tcp -p tcp -d 127.0.0.0/8 --dport 3003 -m nfacct --nfacct-name localhost_nps_accepted_pkts -j KUBE-EXT-X27LE4BHSL4DOUIK
-A KUBE-NODEPORTS -m comment --comment ns3/svc3:p80 -m tcp -p tcp --dport 3003 -j KUBE-EXT-X27LE4BHSL4DOUIK
-A KUBE-NODEPORTS -m comment --comment ns5/svc5:p80 -m tcp -p tcp -d 127.0.0.0/8 --dport 3002 -m nfacct --nfacct-name localhost_nps_accepted_pkts -j KUBE-EXT-NUKIZ6OKUXPJNT4C
-A KUBE-NODEPORTS -m comment --comment ns5/svc5:p80 -m tcp -p tcp --dport 3002 -j KUBE-EXT-NUKIZ6OKUXPJNT4C
-A KUBE-SERVICES -m comment --comment "ns1/svc1:p80 cluster IP" -m tcp -p tcp -d 172.30.0.41 --dport 80 -j KUBE-SVC-XPGD46QRK7WJZT7O
-A KUBE-SERVICES -m comment --comment "ns2/svc2:p80 cluster IP" -m tcp -p tcp -d 172.30.0.42 --dport 80 -j KUBE-SVC-GNZBNJ2PO5MGZ6GT
-A KUBE-SERVICES -m comment --comment "ns2/svc2:p80 external IP" -m tcp -p tcp -d 192.168.99.22 --dport 80 -j KUBE-EXT-GNZBNJ2PO5MGZ6GT
-A KUBE-SERVICES -m comment --comment "ns2/svc2:p80 loadbalancer IP" -m tcp -p tcp -d 1.2.3.4 --dport 80 -j KUBE-EXT-GNZBNJ2PO5MGZ6GT
-A KUBE-SERVICES -m comment --comment "ns3/svc3:p80 cluster IP" -m tcp -p tcp -d 172.30.0.43 --dport 80 -j KUBE-SVC-X27LE4BHSL4DOUIK
-A KUBE-SERVICES -m comment --comment "ns4/svc4:p80 cluster IP" -m tcp -p tcp -d 172.30.0.44 --dport 80 -j KUBE-SVC-4SW47YFZTEDKD3PK
-A KUBE-SERVICES -m comment --comment "ns4/svc4:p80 external IP" -m tcp -p tcp -d 192.168.99.33 --dport 80 -j KUBE-EXT-4SW47YFZTEDKD3PK
-A KUBE-SERVICES -m comment --comment "ns5/svc5:p80 cluster IP" -m tcp -p tcp -d 172.30.0.45 --dport 80 -j KUBE-SVC-NUKIZ6OKUXPJNT4C
-A KUBE-SERVICES -m comment --comment "ns5/svc5:p80 loadbalancer IP" -m tcp -p tcp -d 5.6.7.8 --dport 80 -j KUBE-FW-NUKIZ6OKUXPJNT4C
-A KUBE-SERVICES -m comment --comment "kubernetes service nodeports; NOTE: this must be the last rule in this chain" -m addrtype --dst-type LOCAL -j KUBE-NODEPORTS
-A KUBE-EXT-4SW47YFZTEDKD3PK -m comment --comment "masquerade traffic for ns4/svc4:p80 external destinations" -j KUBE-MARK-MASQ
-A KUBE-EXT-4SW47YFZTEDKD3PK -j KUBE-SVC-4SW47YFZTEDKD3PK
-A KUBE-EXT-GNZBNJ2PO5MGZ6GT -m comment --comment "pod traffic for ns2/svc2:p80 external destinations" -s 10.0.0.0/8 -j KUBE-SVC-GNZBNJ2PO5MGZ6GT
-A KUBE-EXT-GNZBNJ2PO5MGZ6GT -m comment --comment "masquerade LOCAL traffic for ns2/svc2:p80 external destinations" -m addrtype --src-type LOCAL -j KUBE-MARK-MASQ
-A KUBE-EXT-GNZBNJ2PO5MGZ6GT -m comment --comment "route LOCAL traffic for ns2/svc2:p80 external destinations" -m addrtype --src-type LOCAL -j KUBE-SVC-GNZBNJ2PO5MGZ6GT
-A KUBE-EXT-NUKIZ6OKUXPJNT4C -m comment --comment "masquerade traffic for ns5/svc5:p80 external destinations" -j KUBE-MARK-MASQ
-A KUBE-EXT-NUKIZ6OKUXPJNT4C -j KUBE-SVC-NUKIZ6OKUXPJNT4C
-A KUBE-EXT-X27LE4BHSL4DOUIK -m comment --comment "masquerade traffic for ns3/svc3:p80 external destinations" -j KUBE-MARK-MASQ
-A KUBE-EXT-X27LE4BHSL4DOUIK -j KUBE-SVC-X27LE4BHSL4DOUIK
-A KUBE-FW-NUKIZ6OKUXPJNT4C -m comment --comment "ns5/svc5:p80 loadbalancer IP" -s 203.0.113.0/25 -j KUBE-EXT-NUKIZ6OKUXPJNT4C
-A KUBE-FW-NUKIZ6OKUXPJNT4C -m comment --comment "other traffic to ns5/svc5:p80 will be dropped by KUBE-PROXY-FIREWALL"
-A KUBE-MARK-MASQ -j MARK --or-mark 0x4000
-A KUBE-POSTROUTING -m mark ! --mark 0x4000/0x4000 -j RETURN
-A KUBE-POSTROUTING -j MARK --xor-mark 0x4000
-A KUBE-POSTROUTING -m comment --comment "kubernetes service traffic requiring SNAT" -j MASQUERADE
-A KUBE-SEP-C6EBXVWJJZMIWKLZ -m comment --comment ns4/svc4:p80 -s 10.180.0.5 -j KUBE-MARK-MASQ
-A KUBE-SEP-C6EBXVWJJZMIWKLZ -m comment --comment ns4/svc4:p80 -m tcp -p tcp -j DNAT --to-destination 10.180.0.5:80
-A KUBE-SEP-I77PXRDZVX7PMWMN -m comment --comment ns5/svc5:p80 -s 10.180.0.3 -j KUBE-MARK-MASQ
-A KUBE-SEP-I77PXRDZVX7PMWMN -m comment --comment ns5/svc5:p80 -m recent --name KUBE-SEP-I77PXRDZVX7PMWMN --set -m tcp -p tcp -j DNAT --to-destination 10.180.0.3:80
-A KUBE-SEP-OYPFS5VJICHGATKP -m comment --comment ns3/svc3:p80 -s 10.180.0.3 -j KUBE-MARK-MASQ
-A KUBE-SEP-OYPFS5VJICHGATKP -m comment --comment ns3/svc3:p80 -m tcp -p tcp -j DNAT --to-destination 10.180.0.3:80
-A KUBE-SEP-RS4RBKLTHTF2IUXJ -m comment --comment ns2/svc2:p80 -s 10.180.0.2 -j KUBE-MARK-MASQ
-A KUBE-SEP-RS4RBKLTHTF2IUXJ -m comment --comment ns2/svc2:p80 -m tcp -p tcp -j DNAT --to-destination 10.180.0.2:80
-A KUBE-SEP-SXIVWICOYRO3J4NJ -m comment --comment ns1/svc1:p80 -s 10.180.0.1 -j KUBE-MARK-MASQ
-A KUBE-SEP-SXIVWICOYRO3J4NJ -m comment --comment ns1/svc1:p80 -m tcp -p tcp -j DNAT --to-destination 10.180.0.1:80
-A KUBE-SEP-UKSFD7AGPMPPLUHC -m comment --comment ns4/svc4:p80 -s 10.180.0.4 -j KUBE-MARK-MASQ
-A KUBE-SEP-UKSFD7AGPMPPLUHC -m comment --comment ns4/svc4:p80 -m tcp -p tcp -j DNAT --to-destination 10.180.0.4:80
-A KUBE-SVC-4SW47YFZTEDKD3PK -m comment --comment "ns4/svc4:p80 cluster IP" -m tcp -p tcp -d 172.30.0.44 --dport 80 ! -s 10.0.0.0/8 -j KUBE-MARK-MASQ
-A KUBE-SVC-4SW47YFZTEDKD3PK -m comment --comment "ns4/svc4:p80 -> 10.180.0.4:80" -m statistic --mode random --probability 0.5000000000 -j KUBE-SEP-UKSFD7AGPMPPLUHC
-A KUBE-SVC-4SW47YFZTEDKD3PK -m comment --comment "ns4/svc4:p80 -> 10.180.0.5:80" -j KUBE-SEP-C6EBXVWJJZMIWKLZ
-A KUBE-SVC-GNZBNJ2PO5MGZ6GT -m comment --comment "ns2/svc2:p80 cluster IP" -m tcp -p tcp -d 172.30.0.42 --dport 80 ! -s 10.0.0.0/8 -j KUBE-MARK-MASQ
-A KUBE-SVC-GNZBNJ2PO5MGZ6GT -m comment --comment "ns2/svc2:p80 -> 10.180.0.2:80" -j KUBE-SEP-RS4RBKLTHTF2IUXJ
-A KUBE-SVC-NUKIZ6OKUXPJNT4C -m comment --comment "ns5/svc5:p80 cluster IP" -m tcp -p tcp -d 172.30.0.45 --dport 80 ! -s 10.0.0.0/8 -j KUBE-MARK-MASQ
-A KUBE-SVC-NUKIZ6OKUXPJNT4C -m comment --comment "ns5/svc5:p80 -> 10.180.0.3:80" -m recent --name KUBE-SEP-I77PXRDZVX7PMWMN --rcheck --seconds 10800 --reap -j KUBE-SEP-I77PXRDZVX7PMWMN
-A KUBE-SVC-NUKIZ6OKUXPJNT4C -m comment --comment "ns5/svc5:p80 -> 10.180.0.3:80" -j KUBE-SEP-I77PXRDZVX7PMWMN
-A KUBE-SVC-X27LE4BHSL4DOUIK -m comment --comment "ns3/svc3:p80 cluster IP" -m tcp -p tcp -d 172.30.0.43 --dport 80 ! -s 10.0.0.0/8 -j KUBE-MARK-MASQ
-A KUBE-SVC-X27LE4BHSL4DOUIK -m comment --comment "ns3/svc3:p80 -> 10.180.0.3:80" -j KUBE-SEP-OYPFS5VJICHGATKP
-A KUBE-SVC-XPGD46QRK7WJZT7O -m comment --comment "ns1/svc1:p80 cluster IP" -m tcp -p tcp -d 172.30.0.41 --dport 80 ! -s 10.0.0.0/8 -j KUBE-MARK-MASQ
-A KUBE-SVC-XPGD46QRK7WJZT7O -m comment --comment "ns1/svc1:p80 -> 10.180.0.1:80" -j KUBE-SEP-SXIVWICOYRO3J4NJ
"""

_FLAGS = {"--rcheck", "--reap", "--set", "--rsource", "--random-fully"}
"""Options without a value."""
_DEFAULTS = {("--mask", ("255.255.255.255",)), ("--rsource", ()), ("--reject-with", ("icmp-port-unreachable",)),
             ("--random-fully", ())}
"""What iptables-save prints that kube-proxy leaves to the defaults (the proxier test's fake
iptables has no ``--random-fully``)."""


def canon(line: str) -> tuple[str, tuple]:
    """A rule as the kernel holds it: its chain and its options, in no particular order, ``-m``
    module loads dropped (the options imply them), addresses without ``/32``, marks and
    probabilities in one notation."""
    tokens = shlex.split(line)
    chain, opts, i, negate = "", [], 0, False
    while i < len(tokens):
        tok = tokens[i]
        i += 1
        if tok == "!":
            negate = True
            continue
        if tok == "-m":
            i += 1
            continue
        values: list[str] = []
        if tok not in _FLAGS:
            while i < len(tokens) and not tokens[i].startswith("-") and tokens[i] != "!":
                values.append(tokens[i])
                i += 1
        if tok == "-A":
            chain = values[0]
            continue
        if tok in ("-s", "-d"):
            values = [values[0].removesuffix("/32")]
        elif tok == "--or-mark":
            tok, values = "--set-xmark", [f"{values[0]}/{values[0]}"]
        elif tok == "--xor-mark":
            tok, values = "--set-xmark", [f"{values[0]}/0x0"]
        elif tok == "--probability":
            values = [f"{float(values[0]):.6f}"]
        if (tok, tuple(values)) not in _DEFAULTS:
            opts.append((negate, tok, tuple(values)))
        negate = False
    return chain, tuple(sorted(opts))


def by_chain(lines: list[str]) -> dict[str, list[tuple]]:
    out: dict[str, list[tuple]] = {}
    for line in lines:
        chain, opts = canon(line)
        out.setdefault(chain, []).append(opts)
    return out


def overall_view() -> ProxyView:
    """TestOverallIPTablesRules' six Services and their endpoints, on the proxier tests' node."""
    services = [
        svc("ns1", "svc1", "172.30.0.41", port()),
        svc("ns2", "svc2", "172.30.0.42", port(nodePort=3001), type="LoadBalancer", externalTrafficPolicy="Local",
            externalIPs=["192.168.99.22"], healthCheckNodePort=30000,
            status={"loadBalancer": {"ingress": [{"ip": "1.2.3.4"}]}}),
        svc("ns3", "svc3", "172.30.0.43", port(nodePort=3003), type="NodePort"),
        svc("ns4", "svc4", "172.30.0.44", port(targetPort=80), type="NodePort", externalIPs=["192.168.99.33"]),
        svc("ns5", "svc5", "172.30.0.45", port(nodePort=3002), type="LoadBalancer", externalTrafficPolicy="Cluster",
            healthCheckNodePort=30000, loadBalancerSourceRanges=[" 203.0.113.0/25"], sessionAffinity="ClientIP",
            sessionAffinityConfig={"clientIP": {"timeoutSeconds": 10800}},
            status={"loadBalancer": {"ingress": [{"ip": "5.6.7.8"}]}}),
        svc("ns6", "svc6", "172.30.0.46", port(targetPort=80), type="ClusterIP"),
    ]
    slices = [eps("ns1", "svc1", ep("10.180.0.1")), eps("ns2", "svc2", ep("10.180.0.2")),
              eps("ns3", "svc3", ep("10.180.0.3")), eps("ns4", "svc4", ep("10.180.0.4"), ep("10.180.0.5", NODE)),
              eps("ns5", "svc5", ep("10.180.0.3"))]
    return ProxyView(0, services, slices, [])


def ours(table: rules.NatTable, chains: set[str]) -> dict[str, list[tuple]]:
    return by_chain([iptables.rule_text(r) for c in table.chains if c.name in chains for r in c.rules])


def test_overall_filter_table_is_the_proxiers_rule_by_rule():
    """TestOverallIPTablesRules, filter table: REJECT to a ClusterIP without endpoints, DROP to the
    external addresses of an ``externalTrafficPolicy: Local`` Service without a local endpoint,
    ACCEPT its health check node port, KUBE-FORWARD, and KUBE-PROXY-FIREWALL's DROP to the
    LoadBalancer IP of the Service with ``loadBalancerSourceRanges``."""
    expected = by_chain(OVERALL_FILTER.splitlines())
    got = ours(firewall.filter_table(overall_view(), NODE, "iptables", POD_CIDR), set(expected))
    assert got == expected


def test_overall_nat_table_is_the_proxiers_rule_by_rule():
    """TestOverallIPTablesRules, nat table: the LoadBalancer IP with source ranges jumps to
    ``KUBE-FW-…``, which sends the allowed range (whitespace trimmed) to ``KUBE-EXT-…`` and ends
    in a rule with no target that only says what KUBE-PROXY-FIREWALL will do."""
    expected = by_chain(OVERALL_NAT.splitlines())
    got = ours(rules.nat_table(overall_view(), NODE, POD_CIDR), set(expected))
    assert got == expected


def test_the_firewall_rules_print_as_iptables_save_prints_them():
    """iptables-save puts ``-s``/``-d``/``-p`` first and keeps the matches in written order; the
    last KUBE-FW rule has no ``-j``."""
    v = overall_view()
    text = iptables.save(rules.nat_table(v, NODE, POD_CIDR), "now")
    assert ('-A KUBE-FW-NUKIZ6OKUXPJNT4C -s 203.0.113.0/25 -m comment --comment "ns5/svc5:p80 loadbalancer IP" '
            "-j KUBE-EXT-NUKIZ6OKUXPJNT4C") in text.splitlines()
    assert ('-A KUBE-FW-NUKIZ6OKUXPJNT4C -m comment --comment '
            '"other traffic to ns5/svc5:p80 will be dropped by KUBE-PROXY-FIREWALL"') in text.splitlines()
    text = iptables.save(firewall.filter_table(v, NODE, "iptables", POD_CIDR), "now", "filter")
    assert ('-A KUBE-PROXY-FIREWALL -d 5.6.7.8/32 -p tcp -m comment --comment "ns5/svc5:p80 traffic not accepted '
            'by KUBE-FW-NUKIZ6OKUXPJNT4C" -m tcp --dport 80 -j DROP') in text.splitlines()
    assert ('-A KUBE-SERVICES -d 172.30.0.46/32 -p tcp -m comment --comment "ns6/svc6:p80 has no endpoints" '
            "-m tcp --dport 80 -j REJECT --reject-with icmp-port-unreachable") in text.splitlines()


# ------------------------------------------------------------------ validation


def service(cluster, kind="LoadBalancer", annotations=None, **spec):
    meta = {"name": "web", **({"annotations": annotations} if annotations else {})}
    cluster.apply({"apiVersion": "v1", "kind": "Service", "metadata": meta,
                   "spec": {"type": kind, "selector": {"app": "web"}, "ports": [{"port": 80}], **spec}})
    return cluster.get("Service", "web")


def test_source_ranges_are_only_for_load_balancers(cluster, snapshot):
    """ValidateService: ``loadBalancerSourceRanges`` (path spelled ``LoadBalancerSourceRanges``, as
    the API server spells it) may only be used with type LoadBalancer; nothing is created."""
    before = snapshot(cluster)
    with pytest.raises(kitlib.Invalid, match=r"^Service \"web\" is invalid: spec.LoadBalancerSourceRanges: "
                                             r"Forbidden: may only be used when `type` is 'LoadBalancer'$"):
        service(cluster, "NodePort", loadBalancerSourceRanges=["10.0.0.0/8"])
    assert snapshot(cluster) == before


def test_each_source_range_must_be_a_cidr(cluster):
    """Each entry, trimmed of spaces, must be a CIDR; the legacy parser reads an address with host
    bits (``10.1.2.3/8``) as its network."""
    with pytest.raises(kitlib.Invalid) as err:
        service(cluster, loadBalancerSourceRanges=["10.1.2.3/8", "office", " 1.2.3.4 "])
    assert str(err.value) == (
        'Service "web" is invalid: [spec.LoadBalancerSourceRanges[1]: Invalid value: "office": must be a valid '
        'CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64), spec.LoadBalancerSourceRanges[2]: Invalid value: '
        '"1.2.3.4": must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)]')
    assert service(cluster, loadBalancerSourceRanges=["10.1.2.3/8"]).spec.load_balancer_source_ranges == \
        ["10.1.2.3/8"]


def test_the_annotation_is_validated_when_the_field_is_empty(cluster):
    """``service.beta.kubernetes.io/load-balancer-source-ranges``: comma-separated CIDRs, also only
    for LoadBalancers, checked only when the field is empty."""
    key = "service.beta.kubernetes.io/load-balancer-source-ranges"
    with pytest.raises(kitlib.Invalid) as err:
        service(cluster, "ClusterIP", annotations={key: "10.0.0.0/8, lan"})
    assert str(err.value) == (
        f'Service "web" is invalid: [metadata.annotations[{key}]: Forbidden: may only be used when `type` is '
        f"'LoadBalancer', metadata.annotations[{key}]: Invalid value: \"lan\": must be a valid CIDR value, "
        "(e.g. 10.9.8.0/24 or 2001:db8::/64)]")
    assert service(cluster, annotations={key: "lan"}, loadBalancerSourceRanges=["10.0.0.0/8"])


# ------------------------------------------------------------------ in the data path


@pytest.fixture
def lb(web):
    """``web`` behind a MetalLB LoadBalancer (192.168.49.200) open to 203.0.113.0/24 only."""
    web.enable_addon("metallb", addresses=POOL)
    service(web, loadBalancerSourceRanges=["203.0.113.0/24"])
    return web


@pytest.mark.parametrize("mode", ["iptables", "nftables", "ipvs"])
def test_sources_outside_the_ranges_are_dropped(lb, mode):
    """A client outside the ranges gets no answer (kube-proxy drops, the client times out), in
    every mode; so do pods and nodes, which reach the LoadBalancer IP through the same firewall
    (no short-circuit); the node port is not filtered."""
    lb.set_proxy_mode(mode)
    for src in ("external", "node/minikube-m02", lb.pods()[0].key):
        conn = lb.connect(src, LB_IP, 80)
        assert (conn.ok, conn.failure) == (False, "timeout"), src
        assert "is not in the loadBalancerSourceRanges of default/web (203.0.113.0/24)" in conn.reason
    node_port = lb.get("Service", "web").spec.ports[0].node_port
    assert lb.connect("external", "192.168.49.3", node_port).ok


@pytest.mark.parametrize("mode", ["iptables", "nftables", "ipvs"])
def test_sources_in_the_ranges_get_through(lb, mode):
    """The node network (192.168.49.0/24) holds the outside client and the nodes; the pods are
    let in only when the pod network is listed too."""
    service(lb, loadBalancerSourceRanges=["192.168.49.0/24"])
    lb.set_proxy_mode(mode)
    assert lb.connect("external", LB_IP, 80).ok
    assert lb.connect("node/minikube-m02", LB_IP, 80).ok
    assert not lb.connect(lb.pods()[0].key, LB_IP, 80).ok
    service(lb, loadBalancerSourceRanges=["192.168.49.0/24", "10.244.0.0/16"])
    assert lb.connect(lb.pods()[0].key, LB_IP, 80).ok


def test_a_dropped_connection_cites_the_rule(lb):
    """The last hop names the chains the packet went through and the filter rule that dropped it."""
    conn = lb.connect("external", LB_IP, 80)
    assert conn.hops[-1].note == (
        "kube-proxy (iptables): KUBE-SERVICES → KUBE-FW-LOLE4ISW44XBNF3G, then filter table: -A KUBE-PROXY-FIREWALL "
        "-d 192.168.49.200/32 -p tcp -m comment --comment \"default/web traffic not accepted by "
        "KUBE-FW-LOLE4ISW44XBNF3G\" -m tcp --dport 80 -j DROP")
    lb.set_proxy_mode("nftables")
    conn = lb.connect("external", LB_IP, 80)
    assert conn.hops[-1].note == (
        "kube-proxy (nftables): filter-prerouting-pre-dnat → firewall-check → @firewall-ips → "
        "firewall-PFISGYVC-default/web/tcp/: ip saddr != 203.0.113.0/24 drop")


def test_rendered_in_each_mode(lb):
    """iptables: KUBE-FW-… in nat, KUBE-PROXY-FIREWALL in filter; nftables: a ``firewall-ips``
    element and the port's ``firewall-…`` chain; IPVS: the ipset rules of KUBE-PROXY-FIREWALL and
    KUBE-SOURCE-RANGES-FIREWALL, and KUBE-IPVS-OUT-FILTER for the node, which is not allowed."""
    nat = lb.iptables("minikube")
    assert ('-A KUBE-SERVICES -d 192.168.49.200/32 -p tcp -m comment --comment "default/web loadbalancer IP" '
            "-m tcp --dport 80 -j KUBE-FW-LOLE4ISW44XBNF3G") in nat.splitlines()
    assert "-A KUBE-FW-LOLE4ISW44XBNF3G -s 203.0.113.0/24 " in nat
    assert "-A KUBE-PROXY-FIREWALL -d 192.168.49.200/32 " in lb.iptables("minikube", table="filter")
    lb.set_proxy_mode("nftables")
    listing = lb.nft("minikube")
    assert "192.168.49.200 . tcp . 80 : goto firewall-" in listing
    assert "ip saddr != 203.0.113.0/24 drop" in listing
    assert "KUBE-PROXY-FIREWALL" not in lb.iptables("minikube", table="filter")
    lb.set_proxy_mode("ipvs")
    text = lb.iptables("minikube", table="filter").splitlines()
    assert ('-A KUBE-PROXY-FIREWALL -m comment --comment "Kubernetes service load balancer ip + port for load '
            'balancer with sourceRange" -m set --match-set KUBE-LOAD-BALANCER-FW dst,dst '
            "-j KUBE-SOURCE-RANGES-FIREWALL") in text
    assert "-A KUBE-SOURCE-RANGES-FIREWALL -j DROP" in text
    assert ("-A KUBE-IPVS-OUT-FILTER -s 192.168.49.200/32 -m ipvs --vaddr 192.168.49.200/32 --vproto 6 --vport 80 "
            "-j DROP") in text


def test_a_node_in_the_ranges_may_also_come_from_the_vip(lb):
    """When the node's own address is in a range, KUBE-FW-… also lets the LoadBalancer IP in as a
    source: a node's packet to a VIP it holds leaves with the VIP as its source."""
    service(lb, loadBalancerSourceRanges=["192.168.49.0/24"])
    fw = [line for line in lb.iptables("minikube").splitlines() if line.startswith("-A KUBE-FW-")]
    assert fw == [
        '-A KUBE-FW-LOLE4ISW44XBNF3G -s 192.168.49.0/24 -m comment --comment "default/web loadbalancer IP" '
        "-j KUBE-EXT-LOLE4ISW44XBNF3G",
        '-A KUBE-FW-LOLE4ISW44XBNF3G -s 192.168.49.200/32 -m comment --comment "default/web loadbalancer IP" '
        "-j KUBE-EXT-LOLE4ISW44XBNF3G",
        '-A KUBE-FW-LOLE4ISW44XBNF3G -m comment --comment "other traffic to default/web will be dropped by '
        'KUBE-PROXY-FIREWALL"']


def test_without_endpoints_the_reject_comes_first(lb):
    """No endpoints: no KUBE-FW chain (usesFWChain needs endpoints); the filter table REJECTs the
    LoadBalancer IP for everyone, and a node's connection is refused (MetalLB stops announcing the
    address, so an outside client finds no route at all)."""
    lb.kubectl("scale deployment web --replicas=0")
    lb.advance(60)
    assert "KUBE-FW-" not in lb.iptables("minikube")
    filt = lb.iptables("minikube", table="filter").splitlines()
    assert ('-A KUBE-EXTERNAL-SERVICES -d 192.168.49.200/32 -p tcp -m comment --comment "default/web has no '
            'endpoints" -m tcp --dport 80 -j REJECT --reject-with icmp-port-unreachable') in filt
    assert not any(line.startswith("-A KUBE-PROXY-FIREWALL") for line in filt)
    conn = lb.connect("node/minikube-m02", LB_IP, 80)
    assert (conn.ok, conn.failure) == (False, "refused")


# ------------------------------------------------------------------ the filter table and iptables-save


def test_a_service_without_endpoints_is_rejected_in_the_filter_table(cluster):
    """kube-proxy writes no nat rules for a Service without endpoints, only a REJECT in the filter
    table; a client's connection is refused, and the hop cites that rule."""
    service(cluster, "ClusterIP")
    ip = cluster.get("Service", "web").spec.cluster_ip
    rule = (f'-A KUBE-SERVICES -d {ip}/32 -p tcp -m comment --comment "default/web has no endpoints" -m tcp '
            "--dport 80 -j REJECT --reject-with icmp-port-unreachable")
    assert rule in cluster.iptables("minikube", table="filter").splitlines()
    conn = cluster.connect("node/minikube", ip, 80)
    assert (conn.ok, conn.failure) == (False, "refused")
    assert conn.hops[-1].note == f"kube-proxy (iptables), filter table: {rule}"


def test_the_filter_table_jumps(cluster):
    """INPUT, FORWARD and OUTPUT jump to kube-proxy's chains as on a real node, flannel's FLANNEL-FWD
    first in FORWARD and the kubelet's KUBE-FIREWALL last in INPUT and OUTPUT."""
    lines = cluster.iptables("minikube", table="filter").splitlines()
    assert [line for line in lines if line.startswith(("-A INPUT", "-A FORWARD", "-A OUTPUT"))] == [
        '-A INPUT -m conntrack --ctstate NEW -m comment --comment "kubernetes load balancer firewall" '
        "-j KUBE-PROXY-FIREWALL",
        '-A INPUT -m comment --comment "kubernetes health check service ports" -j KUBE-NODEPORTS',
        '-A INPUT -m conntrack --ctstate NEW -m comment --comment "kubernetes externally-visible service portals" '
        "-j KUBE-EXTERNAL-SERVICES",
        "-A INPUT -j KUBE-FIREWALL",
        '-A FORWARD -m comment --comment "flanneld forward" -j FLANNEL-FWD',
        '-A FORWARD -m conntrack --ctstate NEW -m comment --comment "kubernetes load balancer firewall" '
        "-j KUBE-PROXY-FIREWALL",
        '-A FORWARD -m comment --comment "kubernetes forwarding rules" -j KUBE-FORWARD',
        '-A FORWARD -m conntrack --ctstate NEW -m comment --comment "kubernetes service portals" -j KUBE-SERVICES',
        '-A FORWARD -m conntrack --ctstate NEW -m comment --comment "kubernetes externally-visible service portals" '
        "-j KUBE-EXTERNAL-SERVICES",
        '-A OUTPUT -m conntrack --ctstate NEW -m comment --comment "kubernetes load balancer firewall" '
        "-j KUBE-PROXY-FIREWALL",
        '-A OUTPUT -m conntrack --ctstate NEW -m comment --comment "kubernetes service portals" -j KUBE-SERVICES',
        "-A OUTPUT -j KUBE-FIREWALL"]
    assert [line for line in lines if line.startswith(":")] == [
        ":INPUT ACCEPT [0:0]", ":FORWARD ACCEPT [0:0]", ":OUTPUT ACCEPT [0:0]", ":FLANNEL-FWD - [0:0]",
        ":KUBE-EXTERNAL-SERVICES - [0:0]", ":KUBE-FIREWALL - [0:0]", ":KUBE-FORWARD - [0:0]",
        ":KUBE-KUBELET-CANARY - [0:0]", ":KUBE-NODEPORTS - [0:0]", ":KUBE-PROXY-CANARY - [0:0]",
        ":KUBE-PROXY-FIREWALL - [0:0]", ":KUBE-SERVICES - [0:0]"]


def test_nftables_mode_leaves_the_kubelets_and_flannels_chains(cluster):
    """kube-proxy in nftables mode removed its iptables chains; the kubelet's KUBE-FIREWALL and
    canary and flannel's FLANNEL-FWD stay."""
    cluster.set_proxy_mode("nftables")
    lines = cluster.iptables("minikube", table="filter").splitlines()
    assert [line for line in lines if line.startswith(":")] == [
        ":INPUT ACCEPT [0:0]", ":FORWARD ACCEPT [0:0]", ":OUTPUT ACCEPT [0:0]", ":FLANNEL-FWD - [0:0]",
        ":KUBE-FIREWALL - [0:0]", ":KUBE-KUBELET-CANARY - [0:0]"]


def test_the_whole_iptables_save_has_flannels_chains(cluster):
    """``iptables-save`` prints mangle, filter, nat in that order, each between its own header and
    footer; flannel's FLANNEL-POSTRTG (nat) masquerades pod traffic leaving the pod network (not
    to the pod network, not kube-proxy's marked packets) and FLANNEL-FWD (filter) accepts it."""
    text = cluster.iptables("minikube-m02", table=None)
    assert [line for line in text.splitlines() if line.startswith("*")] == ["*mangle", "*filter", "*nat"]
    assert text.count("# Generated by iptables-save") == 3
    assert [line for line in text.splitlines() if "FLANNEL-POSTRTG" in line and line.startswith("-A")] == [
        '-A POSTROUTING -m comment --comment "flanneld masq" -j FLANNEL-POSTRTG',
        '-A FLANNEL-POSTRTG -m mark --mark 0x4000/0x4000 -m comment --comment "flanneld masq" -j RETURN',
        '-A FLANNEL-POSTRTG -s 10.244.0.0/16 -d 10.244.0.0/16 -m comment --comment "flanneld masq" -j RETURN',
        '-A FLANNEL-POSTRTG -s 10.244.0.0/16 ! -d 224.0.0.0/4 -m comment --comment "flanneld masq" '
        "-j MASQUERADE --random-fully",
        '-A FLANNEL-POSTRTG ! -s 10.244.0.0/16 -d 10.244.1.0/24 -m comment --comment "flanneld masq" -j RETURN',
        '-A FLANNEL-POSTRTG ! -s 10.244.0.0/16 -d 10.244.0.0/16 -m comment --comment "flanneld masq" '
        "-j MASQUERADE --random-fully"]
    assert '-A FLANNEL-FWD -s 10.244.0.0/16 -m comment --comment "flanneld forward" -j ACCEPT' in text


def test_the_nat_table_alone_is_kube_proxys_as_before(web):
    """``iptables(node)`` is still ``iptables-save -t nat`` restricted to kube-proxy's and the
    kubelet's chains, as the lessons print it: the whole dump's nat part less flannel's lines."""
    nat = web.iptables("minikube")
    whole = web.iptables("minikube", table=None)
    part = whole[whole.index("# Generated", whole.index("*filter")):]
    assert [line for line in part.splitlines() if "FLANNEL" not in line] == nat.splitlines()
    assert web.iptables("minikube", table="nat") == nat


def test_an_unknown_table_is_refused(cluster):
    """Only the tables a node has: nat, filter, mangle (or None for all)."""
    with pytest.raises(kitlib.InvalidArgument, match='unknown table "raw"'):
        cluster.iptables("minikube", table="raw")


def test_a_pod_leaving_the_pod_network_is_masqueraded_by_flannels_rule(web):
    """A pod's packet to another node's address leaves its node with the node's address: the hop
    cites flannel's FLANNEL-POSTRTG rule that does it."""
    pod = next(p for p in web.pods() if p.spec.node_name == "minikube-m02")
    conn = web.connect(pod.key, "node/minikube", 10250)
    rule = ('-A FLANNEL-POSTRTG -s 10.244.0.0/16 ! -d 224.0.0.0/4 -m comment --comment "flanneld masq" '
            "-j MASQUERADE --random-fully")
    notes = [h.note for h in conn.hops if "MASQUERADE" in h.note]
    assert notes and notes[0].endswith(
        f"MASQUERADE: source {pod.status.pod_ip} → 192.168.49.3 (flannel, traffic leaving the pod network: {rule})")


def test_the_chain_figure_says_what_falls_through_the_firewall(lb):
    """The nat chains' figure follows KUBE-SERVICES → KUBE-FW-… → KUBE-EXT-… and notes that the
    other sources are left to KUBE-PROXY-FIREWALL (the KUBE-FW chain's last rule has no target)."""
    from kitlib.figures.iptables_view import service_chains
    from kitlib.network.proxy import nat_table
    tree = service_chains(nat_table(lb.runtime, "minikube"), "default/web")
    assert ("KUBE-FW-LOLE4ISW44XBNF3G", "KUBE-EXT-LOLE4ISW44XBNF3G") in [(a, b) for a, b, _, _ in tree.edges]
    assert tree.notes["KUBE-FW-LOLE4ISW44XBNF3G"] == [
        "other sources: not DNATed here, so the filter table's KUBE-PROXY-FIREWALL drops them"]
