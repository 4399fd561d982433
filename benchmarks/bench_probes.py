"""Benchmark: 10 simulated minutes of a 50-pod Deployment with probes every second and 100 requests/s.

A 3-node cluster runs ``deployment/web`` (the ``kitlib/webapp`` demo image, 10 s warm-up) with 50
replicas, each with a readiness probe (``/ready``) and a liveness probe (``/live``), both every
second, behind a ClusterIP Service. Timed: from applying the Deployment, ``cluster.traffic``
sending 100 requests per second from a pod for 600 simulated seconds (60,000 requests), in 10
slices of 60 s; on the way 5 pods lose their dependency for a minute (readiness fails, they leave
the endpoints and come back) and one pod hangs (liveness restarts it, then it hangs again and goes
into CrashLoopBackOff). Target: at most 1 s.

    python benchmarks/bench_probes.py             # best of 5 and median, PASS/FAIL
    python benchmarks/bench_probes.py --strict    # exit code 1 on FAIL
    python benchmarks/bench_probes.py --profile   # one run under cProfile: where the time goes
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import sys

from _util import Result, exit_code, machine, report, timed

import kitlib

TARGET = 1.0
REPLICAS = 50
MINUTES = 10
RATE = 100


def manifest(replicas: int) -> dict:
    probe = {"periodSeconds": 1}
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"},
            "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": "web"}},
                     "template": {"metadata": {"labels": {"app": "web"}}, "spec": {"containers": [{
                         "name": "web", "image": "kitlib/webapp:1.0", "ports": [{"containerPort": 8080}],
                         "readinessProbe": {"httpGet": {"path": "/ready", "port": 8080}, **probe},
                         "livenessProbe": {"httpGet": {"path": "/live", "port": 8080},
                                           "initialDelaySeconds": 15, **probe}}]}}}}


def scenario(replicas: int = REPLICAS, minutes: int = MINUTES, seed: int = 0) -> list[kitlib.Traffic]:
    """Build, then run the 10 minutes; returns the traffic of each minute."""
    cluster = kitlib.Cluster(nodes=3, seed=seed)
    cluster.apply(manifest(replicas))
    cluster.kubectl("expose deployment web --port=80 --target-port=8080")
    ip = cluster.get("Service", "web").spec.cluster_ip
    client = "node/minikube"
    minutes_traffic = []
    for minute in range(minutes):
        pods = cluster.pods()
        if minute == 2:
            for p in pods[:5]:
                cluster.set_fault(p.name, "dependency-down")
        if minute == 3:
            for p in pods[:5]:
                cluster.set_fault(p.name, "dependency-down", on=False)
        if minute == 5:
            cluster.set_fault(pods[-1].name, "hang")
        minutes_traffic.append(cluster.traffic(client, ip, 80, requests=60 * RATE, duration=60))
    return minutes_traffic


def check(traffic: list) -> None:
    # The first minute loses requests only while no pod is ready yet; later ones hardly any.
    if sum(t.requests for t in traffic) != 60 * RATE * len(traffic) or traffic[-1].failed > traffic[0].failed:
        raise SystemExit("probes benchmark: unexpected result\n" + "\n".join(str(t) for t in traffic))


def run(repeat: int = 5) -> list[Result]:
    result = Result(f"{REPLICAS} pods, probes every 1 s, {RATE} req/s, {MINUTES} min", target=TARGET)
    for _ in range(repeat):
        seconds, traffic = timed(scenario)
        check(traffic)
        result.times.append(seconds)
    return [result]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--strict", action="store_true", help="exit with 1 if the target is missed")
    parser.add_argument("--profile", action="store_true", help="profile one run instead of timing")
    args = parser.parse_args(argv)
    if args.profile:
        profiler = cProfile.Profile()
        profiler.runcall(scenario)
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(25)
        return 0
    print(machine())
    results = run(args.repeat)
    report(f"probes (target {TARGET:.0f} s, median)", results)
    return exit_code(results, args.strict)


if __name__ == "__main__":
    sys.exit(main())
