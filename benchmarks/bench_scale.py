"""Benchmark: scale one Deployment to tens of thousands of pods and let it converge.

A cluster of 278 nodes (110 pods each at most, 2 of them kube-proxy's and flannel's and 6 more
on the control plane, so room for 30,000 pods; ``minikube start --nodes 278`` would make it) with a Deployment ``web`` of one pod is built off the clock. Then
``cluster.scale("web", n)`` and ``cluster.settle()`` are timed together, until every pod is
Running: to 10,000 pods and to 30,000 pods, each from one pod on a fresh cluster.
Target: at most 5 s for 30,000 pods, 2 s for 10,000 ("a few seconds", so a notebook cell that
scales does not need a progress bar). The timed calls include the garbage collector's work,
among it the full collection that a convergence defers until it is over (run explicitly at the
end, since CPython would run it at the next allocations after ``settle``). benchmarks/README.md
("Scaling a Deployment") has the figures and where a pod's time goes; on a shared machine compare
CPU time and profiles (``--profile``), not wall time alone.

    python benchmarks/bench_scale.py             # best of 3 and median, PASS/FAIL
    python benchmarks/bench_scale.py --strict    # exit code 1 on FAIL
    python benchmarks/bench_scale.py --profile   # one run to 30,000 under cProfile: where the time goes
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import pstats
import sys
from collections.abc import Callable
from typing import Any

from _util import Result, exit_code, machine, report, timed

import kitlib

NODES = 278
"""The fewest nodes that hold 30,000 pods at the kubelet's default of 110 pods per node, beside
the system pods (a kube-proxy and a flannel pod on every node; CoreDNS, the four static pods and
storage-provisioner on the control plane)."""
TARGETS = {10_000: 2.0, 30_000: 5.0}
LABEL = "scale a Deployment to {:,} pods, converge"


def build(nodes: int = NODES, seed: int = 0) -> kitlib.Cluster:
    """The cluster and its one-pod Deployment, settled (off the clock)."""
    # More than 254 nodes need a wider node network and pod CIDR than minikube's defaults (a /24
    # each), as bench_services.py does.
    cluster = kitlib.Cluster(nodes=nodes, seed=seed, pod_cidr="10.128.0.0/9", node_cidr="192.168.0.0/16")
    cluster.kubectl("create deployment web --image=nginx --replicas=1 --port=80")
    cluster.settle()
    return cluster


def scale(cluster: kitlib.Cluster, replicas: int) -> None:
    cluster.scale("web", replicas)
    cluster.settle()
    # The full collection the convergence deferred: CPython would run it at its next young
    # collection after settle() (the heap has grown far past a quarter), so it is timed here.
    gc.collect()


def check(cluster: kitlib.Cluster, pods: int) -> None:
    running = sum(1 for p in cluster.api.store.objects("Pod")
                  if p.metadata.namespace == "default" and getattr(p.status, "phase", None) == "Running")
    if running != pods:
        raise SystemExit(f"scale benchmark: {running} of {pods} pods Running after settle()")


def run(repeat: int = 3, sizes: tuple[int, ...] = tuple(TARGETS), *, label: str = LABEL,
        targets: dict[int, float] = TARGETS, build: Callable[[], kitlib.Cluster] = build,
        check: Callable[[kitlib.Cluster, int], None] = check) -> list[Result]:
    """Time :func:`scale` to each size on a fresh cluster from ``build``, ``repeat`` times
    (``bench_scale_service.py`` runs it with its own cluster, check and targets)."""
    results = []
    for replicas in sizes:
        result = Result(label.format(replicas), target=targets.get(replicas))
        for _ in range(repeat):
            cluster = build()
            seconds, _ = timed(scale, cluster, replicas)
            result.times.append(seconds)
            check(cluster, replicas)
            del cluster
        results.append(result)
    return results


def main(argv: list[str] | None = None, *, doc: str | None = __doc__, title: str = "scale (target per size, median)",
         **bench: Any) -> int:
    """The command line of this benchmark, or of another built on :func:`run` (``bench`` are its
    keyword arguments: label, targets, build, check)."""
    targets = bench.get("targets", TARGETS)
    parser = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--replicas", type=int, nargs="*", default=list(targets))
    parser.add_argument("--strict", action="store_true", help="exit with 1 if a target is missed")
    parser.add_argument("--profile", action="store_true", help="profile one run instead of timing")
    args = parser.parse_args(argv)
    if args.profile:
        cluster = bench.get("build", build)()
        profiler = cProfile.Profile()
        profiler.runcall(scale, cluster, max(args.replicas))
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(40)
        pstats.Stats(profiler).sort_stats("tottime").print_stats(25)
        return 0
    print(machine())
    results = run(args.repeat, tuple(args.replicas), **bench)
    report(title, results)
    return exit_code(results, args.strict)


if __name__ == "__main__":
    sys.exit(main())
