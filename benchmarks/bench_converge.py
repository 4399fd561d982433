"""Benchmark: build a large cluster and let it converge.

A 100-node cluster is built, 50 Deployments of 100 replicas (5,000 pods) are created with
``kubectl create deployment``, and the clock is advanced until nothing more is due
(``cluster.settle()``), by which time every pod is Running. Target: at most 2 s for all of it.

    python benchmarks/bench_converge.py             # best of 3 and median, PASS/FAIL
    python benchmarks/bench_converge.py --strict    # exit code 1 on FAIL
    python benchmarks/bench_converge.py --profile   # one run under cProfile: where the time goes
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import sys

from _util import Result, exit_code, machine, report, timed

import kitlib

TARGET = 2.0


def converge(nodes: int, deployments: int, replicas: int, seed: int = 0) -> kitlib.Cluster:
    """Build the cluster, create the Deployments and advance until everything has happened."""
    cluster = kitlib.Cluster(nodes=nodes, seed=seed)
    for i in range(deployments):
        cluster.kubectl(f"create deployment app-{i:02d} --image=nginx --replicas={replicas} --port=80")
    cluster.settle()
    return cluster


def check(cluster: kitlib.Cluster, pods: int) -> None:
    running = sum(1 for p in cluster.pods("default") if p.status.phase == "Running")
    if running != pods:
        raise SystemExit(f"converge benchmark: {running} of {pods} pods Running after settle()")


def run(repeat: int = 3, nodes: int = 100, deployments: int = 50, replicas: int = 100) -> list[Result]:
    pods = deployments * replicas
    result = Result(f"build {nodes} nodes + {pods:,} pods, converge", target=TARGET)
    for _ in range(repeat):
        seconds, cluster = timed(converge, nodes, deployments, replicas)
        result.times.append(seconds)
        check(cluster, pods)
        del cluster
    return [result]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--nodes", type=int, default=100)
    parser.add_argument("--deployments", type=int, default=50)
    parser.add_argument("--replicas", type=int, default=100)
    parser.add_argument("--strict", action="store_true", help="exit with 1 if the target is missed")
    parser.add_argument("--profile", action="store_true", help="profile one run instead of timing")
    args = parser.parse_args(argv)
    if args.profile:
        profiler = cProfile.Profile()
        profiler.runcall(converge, args.nodes, args.deployments, args.replicas)
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(30)
        pstats.Stats(profiler).sort_stats("tottime").print_stats(20)
        return 0
    print(machine())
    results = run(args.repeat, args.nodes, args.deployments, args.replicas)
    report(f"converge (target {TARGET:.0f} s)", results)
    return exit_code(results, args.strict)


if __name__ == "__main__":
    sys.exit(main())
