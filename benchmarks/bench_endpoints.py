"""Benchmark: a Service's EndpointSlices and Endpoints kept in step with thousands of pods.

A 100-node cluster runs Deployment ``web`` with 3,000 pods (built and converged off the clock).
Then, timed:

* ``kubectl expose deployment web --port=80``: the Service is allocated and its 30 EndpointSlices
  and its Endpoints object (3,000 addresses) are written;
* ``cluster.scale`` one replica down and back up, then ``advance(2)``: the pod goes (terminating,
  then gone) or comes (scheduled, IP, ready) and each step rewrites the endpoints;
* deleting a pod, then ``advance(2)``: the pod terminates and its replacement starts.

Each is what one interaction of a lab costs in the EndpointSlice controller when a Service sits
in front of the large Deployment of ``bench_interaction.py``; the target is that benchmark's
large-scale target, 300 ms (median). Also measured, for information: creating 1,000 Services
with ``kubectl create service clusterip`` (allocation, validation, an empty slice each).

    python benchmarks/bench_endpoints.py            # PASS/FAIL against the targets
    python benchmarks/bench_endpoints.py --strict   # exit code 1 on FAIL
"""

from __future__ import annotations

import sys

from _util import Result, bench_main, timed

import kitlib

TARGET = 0.300
SETTLE = 5.0


def build(nodes: int = 100, pods: int = 3000, seed: int = 0) -> kitlib.Cluster:
    cluster = kitlib.Cluster(nodes=nodes, seed=seed)
    cluster.kubectl(f"create deployment web --image=nginx --replicas={pods} --port=80")
    cluster.settle()
    return cluster


def _endpoints(cluster: kitlib.Cluster) -> int:
    slices = cluster.list("EndpointSlice", "default", "kubernetes.io/service-name=web")
    return sum(1 for s in slices for e in s.endpoints if e.conditions.ready)


def run(repeat: int = 10, nodes: int = 100, pods: int = 3000) -> list[Result]:
    expose = Result(f"expose a Deployment of {pods:,} pods", target=TARGET)
    scale = Result("Service over 3,000 pods: scale -1/+1 + advance(2)", target=TARGET)
    kill = Result("Service over 3,000 pods: delete pod + advance(2)", target=TARGET)
    create = Result("create 1,000 Services (kubectl create service)")
    for i in range(min(repeat, 3)):
        cluster = build(nodes, pods, seed=i)
        seconds, _ = timed(cluster.kubectl, "expose deployment web --port=80")
        expose.times.append(seconds)
        if _endpoints(cluster) != pods:
            raise SystemExit(f"endpoints benchmark: {_endpoints(cluster)} of {pods} endpoints after expose")
    for step in range(repeat):
        replicas = pods - 1 if step % 2 == 0 else pods

        def change(n=replicas):
            cluster.scale("web", n)
            cluster.advance(2)
        seconds, _ = timed(change)
        scale.times.append(seconds)
        cluster.advance(SETTLE)
    for _ in range(repeat):
        victim = next(p.name for p in reversed(cluster.pods(selector="app=web"))
                      if p.status.phase == "Running" and p.metadata.deletion_timestamp is None)

        def delete(name=victim):
            cluster.delete("Pod", name)
            cluster.advance(2)
        seconds, _ = timed(delete)
        kill.times.append(seconds)
        cluster.advance(60)
    if _endpoints(cluster) != pods:
        raise SystemExit(f"endpoints benchmark: {_endpoints(cluster)} of {pods} endpoints at the end")
    for i in range(3):
        small = kitlib.Cluster(nodes=3, seed=i)

        def many(c=small):
            for n in range(1000):
                c.kubectl(f"create service clusterip s{n} --tcp=80:8080")
        seconds, _ = timed(many)
        create.times.append(seconds)
    return [expose, scale, kill, create]


def main(argv: list[str] | None = None) -> int:
    return bench_main(argv, __doc__, run, f"endpoints (target {TARGET * 1000:.0f} ms, median)")


if __name__ == "__main__":
    sys.exit(main())
