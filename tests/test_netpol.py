"""NetworkPolicy semantics, case by case, as the API reference and the docs define them
(https://kubernetes.io/docs/concepts/services-networking/network-policies/), on
:class:`kitlib.network.netpol.PolicySet` directly: pods and policies as plain objects."""

from __future__ import annotations

import pytest
import yaml
from netpol_scenarios import scenario

from kitlib.api.convert import from_api
from kitlib.api.meta import ObjectMeta
from kitlib.api.networkpolicy import NetworkPolicy
from kitlib.api.pod import Container, ContainerPort, Pod, PodSpec, PodStatus
from kitlib.apiserver.networkpolicy_strategy import default_network_policy
from kitlib.network.netpol import Peer, PolicySet, RuleRef

NAMESPACES = {
    "shop": {"kubernetes.io/metadata.name": "shop", "env": "prod"},
    "ops": {"kubernetes.io/metadata.name": "ops", "env": "prod", "team": "ops"},
    "dev": {"kubernetes.io/metadata.name": "dev", "env": "dev"},
}


def pod(key: str, ip: str, ports: list[ContainerPort] | None = None, **labels: str) -> Peer:
    namespace, name = key.split("/")
    obj = Pod(metadata=ObjectMeta(name=name, namespace=namespace, labels=dict(labels)),
              spec=PodSpec(containers=[Container(name="c", image="nginx", ports=ports or [])]),
              status=PodStatus(pod_ip=ip))
    return Peer(ip, obj, NAMESPACES[namespace])


def policies(text: str) -> PolicySet:
    """The policies of a YAML stream, defaulted as the API server stores them."""
    out = []
    for doc in yaml.safe_load_all(text):
        doc["metadata"].setdefault("namespace", "shop")
        np = from_api(NetworkPolicy, doc)
        default_network_policy(np)
        out.append(np)
    return PolicySet(out, NAMESPACES)


WEB = pod("shop/web", "10.244.0.10", [ContainerPort(container_port=8080, name="http")], app="web")
API = pod("shop/api", "10.244.0.11", [ContainerPort(container_port=9000, name="http"),
                                      ContainerPort(container_port=53, name="dns", protocol="UDP")], app="api")
DB = pod("shop/db", "10.244.0.12", app="db")
MON = pod("ops/mon", "10.244.1.10", app="mon")
DEVWEB = pod("dev/web", "10.244.2.10", app="web")
OUTSIDE = Peer("203.0.113.7")

DENY_INGRESS = """
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: deny-ingress}
spec:
  podSelector: {}
"""


def allowed(ps: PolicySet, src: Peer, dst: Peer, port: int = 80, protocol: str = "TCP") -> bool:
    return ps.decide(src, dst, port, protocol).allowed


def test_without_policies_everything_is_allowed():
    """Pods are non-isolated by default: they accept and send everything."""
    ps = policies("")
    v = ps.decide(WEB, API, 80)
    assert v.allowed and not v.egress.isolated and not v.ingress.isolated


def test_default_deny_ingress_isolates_ingress_only():
    """A policy selecting every pod with policyTypes [Ingress] and no rules denies all ingress
    to the namespace's pods; their egress stays open, and other namespaces are not affected."""
    ps = policies(DENY_INGRESS)
    assert not allowed(ps, WEB, API)
    assert not allowed(ps, MON, API)
    v = ps.decide(API, MON, 80)
    assert v.allowed and not v.egress.isolated      # shop's egress is not isolated
    assert allowed(ps, MON, DEVWEB)                 # dev has no policy
    assert ps.decide(WEB, API, 80).ingress.selecting == ("shop/deny-ingress",)


def test_isolation_is_per_direction():
    """An Egress-only policy isolates its pods' egress and leaves their ingress open."""
    ps = policies("""
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: deny-egress}
spec:
  podSelector: {matchLabels: {app: web}}
  policyTypes: [Egress]
""")
    assert not allowed(ps, WEB, API)
    assert allowed(ps, API, WEB)
    v = ps.decide(API, WEB, 80)
    assert not v.ingress.isolated


def test_both_sides_must_allow():
    """The source's egress and the destination's ingress must both allow: an egress rule to the
    API does not help when the API's ingress is closed, and an open ingress does not help when
    the source's egress is closed."""
    ps = policies(DENY_INGRESS + """---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: web-out}
spec:
  podSelector: {matchLabels: {app: web}}
  policyTypes: [Egress]
  egress:
  - to: [{podSelector: {matchLabels: {app: api}}}]
""")
    v = ps.decide(WEB, API, 80)
    assert v.egress.allowed and not v.ingress.allowed and not v.allowed
    ps2 = policies("""
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: web-out}
spec:
  podSelector: {matchLabels: {app: web}}
  policyTypes: [Egress]
""")
    v = ps2.decide(WEB, API, 80)
    assert v.ingress.allowed and not v.egress.allowed and not v.allowed


def test_policies_add_up():
    """Policies are additive: a pod selected by a deny-all and by an allow policy takes what the
    allow policy allows (the order of policies does not matter)."""
    ps = policies(DENY_INGRESS + """---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: api-from-web}
spec:
  podSelector: {matchLabels: {app: api}}
  ingress:
  - from: [{podSelector: {matchLabels: {app: web}}}]
""")
    v = ps.decide(WEB, API, 80)
    assert v.allowed
    assert v.ingress.selecting == ("shop/api-from-web", "shop/deny-ingress")
    assert v.ingress.allowed_by == (RuleRef("shop/api-from-web", "Ingress", 0, 0, None),)
    assert not allowed(ps, DB, API)


AND_POLICY = """
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: db-and}
spec:
  podSelector: {matchLabels: {app: db}}
  ingress:
  - from:
    - namespaceSelector: {matchLabels: {team: ops}}
      podSelector: {matchLabels: {app: mon}}
"""
OR_POLICY = """
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: db-or}
spec:
  podSelector: {matchLabels: {app: db}}
  ingress:
  - from:
    - namespaceSelector: {matchLabels: {team: ops}}
    - podSelector: {matchLabels: {app: mon}}
"""


def test_pod_and_namespace_selector_in_one_peer_is_an_and():
    """One peer with both selectors: pods labelled app=mon in namespaces labelled team=ops."""
    ps = policies(AND_POLICY)
    ops_other = pod("ops/backup", "10.244.1.11", app="backup")
    shop_mon = pod("shop/mon", "10.244.0.20", app="mon")
    assert allowed(ps, MON, DB)
    assert not allowed(ps, ops_other, DB)   # right namespace, wrong pod
    assert not allowed(ps, shop_mon, DB)    # right pod, wrong namespace


def test_separate_peers_are_an_or():
    """Two peers (the classic mistake: one dash too many): any pod of a team=ops namespace, or
    any app=mon pod of the policy's own namespace."""
    ps = policies(OR_POLICY)
    ops_other = pod("ops/backup", "10.244.1.11", app="backup")
    shop_mon = pod("shop/mon", "10.244.0.20", app="mon")
    dev_mon = pod("dev/mon", "10.244.2.20", app="mon")
    assert allowed(ps, MON, DB) and allowed(ps, ops_other, DB) and allowed(ps, shop_mon, DB)
    assert not allowed(ps, dev_mon, DB)     # a podSelector alone stays in the policy's namespace
    assert ps.decide(shop_mon, DB, 80).ingress.allowed_by == (RuleRef("shop/db-or", "Ingress", 0, 1, None),)


def test_empty_selectors():
    """``podSelector: {}`` as a peer: every pod of the policy's namespace; ``namespaceSelector: {}``:
    every pod of every namespace; never a node or an outside address."""
    ps = policies("""
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: same-ns}
spec:
  podSelector: {matchLabels: {app: db}}
  ingress: [{from: [{podSelector: {}}]}]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: any-ns}
spec:
  podSelector: {matchLabels: {app: api}}
  ingress: [{from: [{namespaceSelector: {}}]}]
""")
    assert allowed(ps, WEB, DB) and not allowed(ps, MON, DB)
    assert allowed(ps, WEB, API) and allowed(ps, MON, API) and allowed(ps, DEVWEB, API)
    assert not allowed(ps, OUTSIDE, API)


def test_rules_without_peers_or_ports_allow_everything_that_way():
    """``ingress: [{}]`` allows every source on every port; ``ingress: []`` (or none) allows nothing."""
    ps = policies("""
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: allow-all}
spec:
  podSelector: {}
  ingress: [{}]
""")
    v = ps.decide(OUTSIDE, API, 12345, "UDP")
    assert v.allowed and v.ingress.allowed_by == (RuleRef("shop/allow-all", "Ingress", 0, None, None),)
    ports_only = policies("""
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: port-80}
spec:
  podSelector: {}
  ingress: [{ports: [{port: 80}]}]
""")
    assert allowed(ports_only, DEVWEB, API, 80) and not allowed(ports_only, DEVWEB, API, 81)


def test_named_ports_resolve_against_the_destination_pod():
    """``port: http`` means each destination pod's own container port named http with that
    protocol: 8080 on web, 9000 on api; for egress too, the pod connected to."""
    ps = policies("""
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: http-in}
spec:
  podSelector: {}
  ingress: [{ports: [{port: http}]}]
""")
    assert allowed(ps, DB, WEB, 8080) and not allowed(ps, DB, WEB, 9000)
    assert allowed(ps, DB, API, 9000) and not allowed(ps, DB, API, 8080)
    assert not allowed(ps, WEB, DB, 8080)          # db has no port named http
    assert not allowed(ps, WEB, API, 9000, "UDP")  # the name is of a TCP port
    egress = policies("""
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: dns-out}
spec:
  podSelector: {matchLabels: {app: web}}
  policyTypes: [Egress]
  egress: [{ports: [{port: dns, protocol: UDP}]}]
""")
    assert allowed(egress, WEB, API, 53, "UDP")
    assert not allowed(egress, WEB, DB, 53, "UDP")     # db names no dns port
    assert not allowed(egress, WEB, OUTSIDE, 53, "UDP")  # an address outside has no named ports


def test_end_port_makes_a_range():
    """``port: 8000`` with ``endPort: 8100`` covers 8000 to 8100 inclusive."""
    ps = policies("""
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: range}
spec:
  podSelector: {}
  ingress: [{ports: [{port: 8000, endPort: 8100}]}]
""")
    assert [allowed(ps, WEB, API, p) for p in (7999, 8000, 8050, 8100, 8101)] == [False, True, True, True, False]


@pytest.mark.parametrize("protocol", ["TCP", "UDP", "SCTP"])
def test_protocols_are_matched(protocol):
    """A port entry allows its protocol only (TCP when not given)."""
    ps = policies(f"""
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {{name: p}}
spec:
  podSelector: {{}}
  ingress: [{{ports: [{{port: 5000, protocol: {protocol}}}]}}]
""")
    assert {p: allowed(ps, WEB, API, 5000, p) for p in ("TCP", "UDP", "SCTP")} == \
        {p: p == protocol for p in ("TCP", "UDP", "SCTP")}


def test_ip_block_with_except():
    """ipBlock matches addresses in the CIDR but not in its ``except`` CIDRs. It matches by address
    only, pod IPs included (as Calico does; the API leaves pod IPs to the implementation)."""
    ps = policies("""
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: ipb}
spec:
  podSelector: {matchLabels: {app: api}}
  ingress:
  - from: [{ipBlock: {cidr: 203.0.113.0/24, except: [203.0.113.0/29]}}, {ipBlock: {cidr: 10.244.1.0/24}}]
""")
    assert not allowed(ps, OUTSIDE, API)                     # 203.0.113.7 is in the except /29
    assert allowed(ps, Peer("203.0.113.200"), API)
    assert allowed(ps, MON, API)                             # a pod IP in 10.244.1.0/24
    assert not allowed(ps, WEB, API)


def test_policy_types_are_defaulted():
    """``SetDefaults_NetworkPolicy``: Ingress always; Egress when egress rules exist; ``egress: []``
    is no rule. A port without a protocol gets TCP."""
    ps = policies("""
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: a}
spec:
  podSelector: {}
  egress: [{ports: [{port: 53}]}]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: b}
spec:
  podSelector: {}
  egress: []
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: c}
spec:
  podSelector: {}
  policyTypes: [Egress]
""")
    assert [p.spec.policy_types for p in ps.policies] == [["Ingress", "Egress"], ["Ingress"], ["Egress"]]
    assert ps.policies[0].spec.egress[0].ports[0].protocol == "TCP"


def test_a_pod_may_always_reach_itself():
    """"A pod cannot block access to itself": its packets to its own IP never leave its network
    namespace, whatever the policies say."""
    ps = policies(DENY_INGRESS)
    v = ps.decide(API, API, 80)
    assert v.allowed and v.same_pod and not v.ingress.allowed


def test_nodes_and_outside_addresses_are_never_selected():
    """Policies select pods: a node's or an outside address's own traffic is never isolated."""
    ps = policies("""
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: deny-all}
spec:
  podSelector: {}
  policyTypes: [Ingress, Egress]
""")
    v = ps.decide(OUTSIDE, API, 80)
    assert not v.egress.isolated and not v.egress.pod and not v.allowed


def test_explain_names_policies_rules_and_reasons():
    """The verdict in words: who selects each side, the rule that allowed, or why none did."""
    ps = policies(DENY_INGRESS + """---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: api-from-web}
spec:
  podSelector: {matchLabels: {app: api}}
  ingress:
  - from: [{podSelector: {matchLabels: {app: web}}}]
    ports: [{port: 9000}]
""")
    assert ps.decide(WEB, API, 9000).explain() == (
        "shop/web -> shop/api port 9000/TCP: allowed\n"
        "  Egress: shop/web is not isolated for egress (no NetworkPolicy with policyType Egress selects it): allowed\n"
        "  Ingress: shop/api is isolated for ingress by shop/api-from-web, shop/deny-ingress\n"
        "    allowed by shop/api-from-web ingress[0]: from[0], ports[0]")
    assert ps.decide(DB, API, 80).explain() == (
        "shop/db -> shop/api port 80/TCP: denied\n"
        "  Egress: shop/db is not isolated for egress (no NetworkPolicy with policyType Egress selects it): allowed\n"
        "  Ingress: shop/api is isolated for ingress by shop/api-from-web, shop/deny-ingress\n"
        "    shop/api-from-web ingress[0]: no peer matches shop/db and 80/TCP is not in its ports\n"
        "    shop/deny-ingress has no ingress rules\n"
        "    no ingress rule allows it: denied")


@pytest.mark.parametrize("seed", range(40))
def test_matrix_agrees_with_decide(seed):
    """The batch matrix gives every cell the answer ``decide`` gives it alone (random scenarios
    with ipBlocks, Exists/DoesNotExist, named ports, ranges, every policyTypes)."""
    sc = scenario(seed, n_pods=14, n_policies=6)
    ps = PolicySet(sc.policies, sc.namespaces)
    peers = sc.peers() + [Peer("192.168.3.4"), Peer("192.168.1.9")]
    ports = [(80, "TCP"), (8080, "TCP"), (53, "UDP"), (8050, "TCP"), (9090, "TCP"), (80, "SCTP")]
    m = ps.matrix(peers, peers, ports)
    expected = [[[ps.decide(a, b, port, proto).allowed for b in peers] for a in peers] for port, proto in ports]
    assert m.allowed == expected
