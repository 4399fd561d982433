"""Benchmark: 1,000,000 requests through ``cluster.traffic``.

A 3-node cluster runs ``deployment/web`` with 10 replicas behind a NodePort Service. Timed:
``cluster.traffic`` sending 1,000,000 requests, (1) from a pod to the ClusterIP, (2) from
outside to a node's NodePort, (3) the same as (1) in nftables mode and (4) in IPVS mode, (5) from a node to the
ClusterIP spread over 120 simulated seconds just after another node failed (the requests are
cut into slices at each event on the clock). kube-proxy's choice is drawn
in bulk with the distribution of a million separate draws (binomial draws along the
statistic chain, or over the numgen buckets), and each of the 10 paths is traced once. Target:
at most 0.5 s each.

    python benchmarks/bench_traffic.py             # best of 5 and median, PASS/FAIL
    python benchmarks/bench_traffic.py --strict    # exit code 1 on FAIL
    python benchmarks/bench_traffic.py --profile   # one run under cProfile: where the time goes
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import sys

from _util import Result, exit_code, machine, report, timed

import kitlib

TARGET = 0.5
REQUESTS = 1_000_000


def build(replicas: int = 10, seed: int = 0) -> kitlib.Cluster:
    cluster = kitlib.Cluster(nodes=3, seed=seed)
    cluster.kubectl(f"create deployment web --image=nginx --replicas={replicas} --port=80")
    cluster.apply({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web"},
                   "spec": {"type": "NodePort", "selector": {"app": "web"},
                            "ports": [{"port": 80, "nodePort": 30080}]}})
    cluster.advance(30)
    return cluster


def check(t, requests: int, replicas: int) -> None:
    if t.failed or sum(t.served.values()) != requests or len(t.served) != replicas:
        raise SystemExit(f"traffic benchmark: unexpected result\n{t}")


def run(repeat: int = 5, requests: int = REQUESTS, replicas: int = 10) -> list[Result]:
    cluster = build(replicas)
    ip = cluster.get("Service", "web").spec.cluster_ip
    client = cluster.pods()[0].key
    cases = [
        (f"{requests:,} requests, pod → ClusterIP", lambda: cluster.traffic(client, ip, 80, requests=requests)),
        (f"{requests:,} requests, outside → NodePort",
         lambda: cluster.traffic("external", "node/minikube-m02", 30080, requests=requests)),
    ]
    results = []
    for name, fn in cases:
        result = Result(name, target=TARGET)
        for _ in range(repeat):
            seconds, t = timed(fn)
            result.times.append(seconds)
            check(t, requests, replicas)
        results.append(result)
    for mode, label in (("nftables", "nftables"), ("ipvs", "IPVS")):
        cluster.set_proxy_mode(mode)
        result = Result(f"{requests:,} requests, pod → ClusterIP ({label})", target=TARGET)
        for _ in range(repeat):
            seconds, t = timed(cluster.traffic, client, ip, 80, requests)
            result.times.append(seconds)
            check(t, requests, replicas)
        results.append(result)
    # Spread over 120 simulated seconds after a node failure: the clock advances through the
    # node controller's 50 s and the eviction, with the requests sliced between those events.
    result = Result(f"{requests:,} requests over 120 s, node failed", target=TARGET)
    for _ in range(repeat):
        cluster = build(replicas)
        ip = cluster.get("Service", "web").spec.cluster_ip
        cluster.fail_node("minikube-m02")
        seconds, t = timed(cluster.traffic, "node/minikube", ip, 80, requests, "TCP", 120.0)
        result.times.append(seconds)
        if not 0 < t.failed < requests:
            raise SystemExit(f"traffic benchmark: unexpected result\n{t}")
    results.append(result)
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--requests", type=int, default=REQUESTS)
    parser.add_argument("--strict", action="store_true", help="exit with 1 if the target is missed")
    parser.add_argument("--profile", action="store_true", help="profile one run instead of timing")
    args = parser.parse_args(argv)
    if args.profile:
        cluster = build()
        ip = cluster.get("Service", "web").spec.cluster_ip
        profiler = cProfile.Profile()
        profiler.runcall(cluster.traffic, cluster.pods()[0].key, ip, 80, args.requests)
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(25)
        return 0
    print(machine())
    results = run(args.repeat, args.requests)
    report(f"traffic (target {TARGET * 1000:.0f} ms)", results)
    return exit_code(results, args.strict)


if __name__ == "__main__":
    sys.exit(main())
