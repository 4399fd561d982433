"""kitlib's reachability matrix against an independent analyzer: IBM's network-config-analyzer
(``pip install network-config-analyzer``, https://github.com/IBM/network-config-analyzer), asked
for its connectivity map (``nca --connectivity POLICIES --pod_list PODS --ns_list NAMESPACES
--output_format txt_no_fw_rules --output_endpoints pods``) on seeded random scenarios: pods with
labels and named container ports in three namespaces, random policies (AND/OR peers, empty
selectors, matchExpressions, named ports, port ranges, policyTypes of every kind).

Every pod × pod cell must agree, for every port and protocol asked. Two cells are left out, as
each tool defines them its own way: a pod's connection to itself (the analyzer does not list it;
it never leaves the pod) and ``ipBlock`` peers overlapping pod IPs (the analyzer matches ipBlocks
against addresses outside the cluster only; Calico, which kitlib follows, against pod IPs too):
the random ipBlocks here lie outside the pod network, so they match no pod in either tool. And one
analyzer bug is kept out of the scenarios: it evaluates ``Exists``/``DoesNotExist`` in a peer's
podSelector in the policy's own namespace even beside a namespaceSelector (see
``netpol_scenarios.scenario``, ``exists_across``).

Skipped where the analyzer is not installed.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from netpol_scenarios import scenario

from kitlib.api.convert import to_api
from kitlib.network.netpol import PolicySet

NCA = str(Path(sys.executable).parent / "nca")
"""The analyzer's command, installed beside the interpreter running the tests."""
pytestmark = pytest.mark.skipif(not Path(NCA).exists(),
                                reason="network-config-analyzer is not installed")

PORTS = [(80, "TCP"), (443, "TCP"), (8080, "TCP"), (8050, "TCP"), (9090, "TCP"), (53, "UDP"), (53, "TCP"),
         (8080, "UDP"), (80, "SCTP")]


def parse_connections(text: str) -> list[tuple[str, int, int]] | None:
    """The analyzer's connection set: None for "All connections", else (protocol, low, high) triples."""
    text = text.strip()
    if text == "All connections":
        return None
    out: list[tuple[str, int, int]] = []
    for group in text.replace("};{", "}\x00{").split("\x00"):
        assert group.startswith("{") and group.endswith("}"), text
        protocols: list[str] = []
        ports: list[tuple[int, int]] = []
        key = ""
        for token in (t.strip() for t in group[1:-1].split(",")):
            if ":" in token:
                key, token = (x.strip() for x in token.split(":", 1))
            if key == "protocols":
                protocols.append(token)
            elif key == "dst_ports":
                low, _, high = token.partition("-")
                ports.append((int(low), int(high or low)))
            else:
                raise AssertionError(f"unexpected analyzer output: {text}")
        out += [(p, low, high) for p in protocols for low, high in (ports or [(1, 65535)])]
    return out


def analyzer_matrix(tmp: Path, sc) -> dict[tuple[str, str], list[list[tuple[str, int, int]] | None]]:
    """Run the analyzer on the scenario's YAML: the connections of every listed pod pair."""
    namespaces = [{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": n, "labels": labels}}
                  for n, labels in sc.namespaces.items()]
    pods = []
    for p in sc.pods:
        obj = {"apiVersion": "v1", "kind": "Pod", **to_api(p)}
        obj["status"]["podIPs"] = [{"ip": p.status.pod_ip}]
        pods.append(obj)
    (tmp / "ns.yaml").write_text(yaml.safe_dump({"apiVersion": "v1", "kind": "NamespaceList", "items": namespaces}))
    (tmp / "pods.yaml").write_text(yaml.safe_dump({"apiVersion": "v1", "kind": "PodList", "items": pods}))
    # The policies as the API server stores them (defaulted: ``egress: []`` isolates no egress),
    # as ``kubectl get netpol -o yaml`` exports them.
    stored = [{"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy", **to_api(np)} for np in sc.policies]
    (tmp / "policies.yaml").write_text(yaml.safe_dump_all(stored))
    run = subprocess.run([NCA, "--connectivity", str(tmp / "policies.yaml"), "--pod_list", str(tmp / "pods.yaml"),
                          "--ns_list", str(tmp / "ns.yaml"), "--output_format", "txt_no_fw_rules",
                          "--output_endpoints", "pods"], capture_output=True, text=True, check=False)
    pairs: dict[tuple[str, str], list[list[tuple[str, int, int]] | None]] = {}
    for line in run.stdout.splitlines():
        if " => " not in line:
            continue
        ends, conns = line.split(" : ", 1)
        src, dst = ends.split(" => ")
        pairs.setdefault((src, dst), []).append(parse_connections(conns))
    assert pairs or run.returncode == 0, run.stderr
    return pairs


def allows(conns: list[list[tuple[str, int, int]] | None] | None, port: int, protocol: str) -> bool:
    if not conns:
        return False
    return any(c is None or any(p == protocol and low <= port <= high for p, low, high in c) for c in conns)


@pytest.mark.parametrize("seed", range(16))
def test_matrix_agrees_with_network_config_analyzer(tmp_path: Path, seed: int) -> None:
    """On a random scenario, kitlib's matrix and the analyzer's connectivity map agree on every
    pod × pod × port cell (the pod's own cell aside: neither filters it)."""
    sc = scenario(seed, n_pods=10, n_policies=5, exists_across=False)
    peers = sc.peers()
    matrix = PolicySet(sc.policies, sc.namespaces).matrix(peers, peers, PORTS)
    pairs = analyzer_matrix(tmp_path, sc)
    differences = []
    for k, (port, protocol) in enumerate(PORTS):
        for i, a in enumerate(peers):
            for j, b in enumerate(peers):
                if i == j:
                    continue
                theirs = allows(pairs.get((a.name, b.name)), port, protocol)
                if matrix.get(i, j, k) != theirs:
                    differences.append((a.name, b.name, port, protocol, matrix.get(i, j, k), theirs))
    assert differences == []
