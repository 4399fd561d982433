"""Benchmark: the NetworkPolicy reachability matrix (``PolicySet.matrix``), in one batch.

Timed, targets from issue 13:

* 100 pods × 100 pods × 2 ports (80/TCP, 53/UDP) with 50 policies: at most 200 ms;
* 1,000 pods × 1,000 pods × 1 port (80/TCP) with 500 policies: at most 5 s.

Each time covers building the PolicySet from the policy objects and computing the matrix (per
policy the selected pods and per rule the allowed peers as bitsets, combined per direction); the
nested lists of booleans (``Matrix.allowed``) are timed apart, for information. The scenarios are
those of ``tests/netpol_scenarios.py`` (seeded: pods with app/tier labels and named container
ports in 5 or 10 namespaces, random policies with AND/OR peers, empty selectors, matchExpressions,
ipBlocks, named ports, port ranges and every policyTypes), made before the clock starts.

``--analyzer`` also runs IBM's network-config-analyzer (``nca --connectivity ... --output_format
txt_no_fw_rules --output_endpoints pods``) on the same YAML, once, wall-clock time including its
start-up (about 0.3 s), for the README's comparison; it answers every port and protocol at once.

    python benchmarks/bench_netpol.py              # best of 3 and median, PASS/FAIL
    python benchmarks/bench_netpol.py --analyzer   # and the analyzer's time on the same YAML
    python benchmarks/bench_netpol.py --strict     # exit code 1 on FAIL
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml
from _util import ROOT, Result, exit_code, machine, report, timed

sys.path.insert(0, str(ROOT / "tests"))
from netpol_scenarios import Scenario, scenario  # noqa: E402  (the tests' scenario generator)

from kitlib.api.convert import to_api  # noqa: E402
from kitlib.network.netpol import PolicySet  # noqa: E402

SIZES = (  # (pods, policies, namespaces, ports, target in seconds)
    (100, 50, 5, ((80, "TCP"), (53, "UDP")), 0.2),
    (1000, 500, 10, ((80, "TCP"),), 5.0),
)


def matrix(sc: Scenario, ports: tuple[tuple[int, str], ...]):
    peers = sc.peers()
    return PolicySet(sc.policies, sc.namespaces).matrix(peers, peers, ports)


def analyzer_seconds(sc: Scenario, timeout: float = 600) -> float | None:
    """The analyzer's wall-clock time for the connectivity map of ``sc`` (None if absent or too slow)."""
    nca = Path(sys.executable).parent / "nca"
    if not nca.exists():
        return None
    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp)
        pods = [{"apiVersion": "v1", "kind": "Pod", **to_api(p)} for p in sc.pods]
        for p, obj in zip(sc.pods, pods, strict=True):
            obj["status"]["podIPs"] = [{"ip": p.status.pod_ip}]
        namespaces = [{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": n, "labels": dict(labels)}}
                      for n, labels in sc.namespaces.items()]
        (d / "pods.yaml").write_text(yaml.safe_dump({"apiVersion": "v1", "kind": "PodList", "items": pods}))
        (d / "ns.yaml").write_text(yaml.safe_dump({"apiVersion": "v1", "kind": "NamespaceList", "items": namespaces}))
        (d / "np.yaml").write_text(yaml.safe_dump_all(
            [{"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy", **to_api(np)} for np in sc.policies]))
        start = time.perf_counter()
        try:
            subprocess.run([str(nca), "--connectivity", str(d / "np.yaml"), "--pod_list", str(d / "pods.yaml"),
                            "--ns_list", str(d / "ns.yaml"), "--output_format", "txt_no_fw_rules",
                            "--output_endpoints", "pods"], capture_output=True, check=True, timeout=timeout)
        except subprocess.TimeoutExpired:
            return None
        return time.perf_counter() - start


def run(repeat: int = 3, analyzer: bool = False) -> list[Result]:
    results = []
    for pods, n_policies, namespaces, ports, target in SIZES:
        sc = scenario(0, n_pods=pods, n_policies=n_policies, n_namespaces=namespaces)
        r = Result(f"matrix {pods}x{pods} pods x {len(ports)} port(s), {n_policies} policies", target=target)
        lists = Result("  as nested lists (Matrix.allowed)")
        for _ in range(repeat):
            seconds, m = timed(matrix, sc, ports)
            r.times.append(seconds)
            lists.times.append(timed(lambda m=m: m.allowed)[0])
        allowed = sum(bin(row).count("1") for rows in m.bits for row in rows)
        print(f"({pods}x{pods}: {allowed:,} of {pods * pods * len(ports):,} cells allowed)")
        results += [r, lists]
        if analyzer:
            seconds = analyzer_seconds(sc)
            print(f"  network-config-analyzer on the same YAML: "
                  f"{'absent or over 600 s' if seconds is None else f'{seconds:.2f} s'}")
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--strict", action="store_true", help="exit with 1 if a target is missed")
    parser.add_argument("--analyzer", action="store_true", help="also time network-config-analyzer")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    print(machine())
    results = run(args.repeat, args.analyzer)
    report("NetworkPolicy matrix (target per size, median)", results)
    return exit_code(results, args.strict)


if __name__ == "__main__":
    sys.exit(main())
