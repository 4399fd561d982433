"""Seeded random NetworkPolicy scenarios: pods with labels in a few namespaces, random policies.

Shared by the semantics tests (the matrix agrees with ``decide`` cell by cell), the comparison
with IBM's network-config-analyzer and ``benchmarks/bench_netpol.py``.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from kitlib.api.convert import from_api
from kitlib.api.meta import ObjectMeta
from kitlib.api.networkpolicy import NetworkPolicy
from kitlib.api.pod import Container, ContainerPort, Pod, PodSpec, PodStatus
from kitlib.apiserver.networkpolicy_strategy import default_network_policy
from kitlib.network.netpol import Peer

APPS = ["web", "api", "db", "cache", "batch"]
TIERS = ["front", "back"]
TEAMS = ["a", "b", "c"]


@dataclass
class Scenario:
    namespaces: dict[str, dict[str, str]]
    pods: list[Pod]
    policies: list[NetworkPolicy]
    manifests: list[dict]

    def peers(self) -> list[Peer]:
        return [Peer(p.status.pod_ip or "", p, self.namespaces[p.metadata.namespace or ""]) for p in self.pods]


def _selector(rng: random.Random, empty_ok: bool = True, exists: bool = True) -> dict:
    roll = rng.random()
    if empty_ok and roll < 0.15:
        return {}
    if roll < 0.6:
        key = rng.choice(["app", "tier"])
        return {"matchLabels": {key: rng.choice(APPS if key == "app" else TIERS)}}
    if roll < 0.8:
        return {"matchExpressions": [{"key": "app", "operator": rng.choice(["In", "NotIn"]),
                                      "values": rng.sample(APPS, 2)}]}
    if not exists:
        return {"matchExpressions": [{"key": "tier", "operator": "In", "values": [rng.choice(TIERS)]}]}
    return {"matchExpressions": [{"key": "tier", "operator": rng.choice(["Exists", "DoesNotExist"])}]}


def _ns_selector(rng: random.Random) -> dict:
    if rng.random() < 0.2:
        return {}
    if rng.random() < 0.5:
        return {"matchLabels": {"team": rng.choice(TEAMS)}}
    return {"matchLabels": {"kubernetes.io/metadata.name": f"ns{rng.randrange(3)}"}}


def _peer(rng: random.Random, with_ip_blocks: bool, exists_across: bool) -> dict:
    roll = rng.random()
    if roll < 0.35:
        return {"podSelector": _selector(rng)}
    if roll < 0.6:
        return {"namespaceSelector": _ns_selector(rng)}
    if roll < 0.9 or not with_ip_blocks:
        return {"podSelector": _selector(rng, exists=exists_across), "namespaceSelector": _ns_selector(rng)}
    return {"ipBlock": {"cidr": "192.168.0.0/16", "except": ["192.168.1.0/24"]}}


def _ports(rng: random.Random) -> list[dict]:
    roll = rng.random()
    if roll < 0.4:
        return []
    out = []
    for _ in range(rng.randint(1, 2)):
        kind = rng.random()
        proto = rng.choice(["TCP", "TCP", "UDP"])
        if kind < 0.5:
            out.append({"protocol": proto, "port": rng.choice([80, 443, 8080, 53])})
        elif kind < 0.75:
            out.append({"protocol": proto, "port": 8000, "endPort": 8100})
        else:
            out.append({"protocol": proto, "port": rng.choice(["http", "metrics", "dns"])})
    return out


def _rules(rng: random.Random, word: str, with_ip_blocks: bool, exists_across: bool) -> list[dict]:
    rules = []
    for _ in range(rng.randint(0, 2)):
        rule: dict = {}
        if rng.random() < 0.8:
            rule[word] = [_peer(rng, with_ip_blocks, exists_across) for _ in range(rng.randint(1, 2))]
        ports = _ports(rng)
        if ports:
            rule["ports"] = ports
        rules.append(rule)
    return rules


def scenario(seed: int, n_pods: int = 12, n_policies: int = 4, n_namespaces: int = 3,
             with_ip_blocks: bool = True, exists_across: bool = True) -> Scenario:
    """A random cluster's pods and policies (as manifests and as defaulted objects).

    ``exists_across=False`` keeps ``Exists``/``DoesNotExist`` out of a peer's podSelector that has a
    namespaceSelector beside it: network-config-analyzer 2.1.0 evaluates those two operators in
    the policy's own namespace only (``get_peers_with_key(self.namespace, ...)`` in its
    ``K8sPolicyYamlParser.parse_label_selector_requirement``), so such a peer matches no pod of
    another namespace there, unlike the API's definition (the podSelector applies in the
    namespaces the namespaceSelector selects)."""
    rng = random.Random(seed)
    namespaces = {f"ns{i}": {"kubernetes.io/metadata.name": f"ns{i}", "team": rng.choice(TEAMS)}
                  for i in range(n_namespaces)}
    pods = []
    for i in range(n_pods):
        ns = f"ns{rng.randrange(n_namespaces)}"
        labels = {"app": rng.choice(APPS)}
        if rng.random() < 0.7:
            labels["tier"] = rng.choice(TIERS)
        ports = [ContainerPort(container_port=80, name="http"), ContainerPort(container_port=9090, name="metrics")]
        if rng.random() < 0.5:
            ports = [ContainerPort(container_port=8080, name="http"),
                     ContainerPort(container_port=53, name="dns", protocol="UDP")]
        pods.append(Pod(metadata=ObjectMeta(name=f"pod{i}", namespace=ns, labels=labels),
                        spec=PodSpec(containers=[Container(name="c", image="nginx", ports=ports)]),
                        status=PodStatus(pod_ip=f"10.244.{i // 200}.{i % 200 + 2}")))
    manifests = []
    for j in range(n_policies):
        types = rng.choice([["Ingress"], ["Egress"], ["Ingress", "Egress"], None])
        spec: dict = {"podSelector": _selector(rng)}
        if types is None or "Ingress" in types:
            spec["ingress"] = _rules(rng, "from", with_ip_blocks, exists_across)
        if types is None or "Egress" in types:
            spec["egress"] = _rules(rng, "to", with_ip_blocks, exists_across)
        if types is not None:
            spec["policyTypes"] = types
        manifests.append({"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
                          "metadata": {"name": f"np{j}", "namespace": f"ns{rng.randrange(n_namespaces)}"},
                          "spec": spec})
    policies = []
    for m in manifests:
        np = from_api(NetworkPolicy, m)
        default_network_policy(np)
        policies.append(np)
    return Scenario(namespaces, pods, policies, manifests)
