"""Shared fixtures for the engine tests.

``cluster``      a fresh ``Cluster(nodes=3, seed=0)``: minikube, minikube-m02, minikube-m03.
``web``          that cluster with ``deployment/web`` (nginx, 3 replicas, port 80) running.
``snapshot``     ``snapshot(cluster)``: everything a failed call must leave untouched.
``real_kubectl`` ``real_kubectl("create deployment ...")``: the real kubectl's stdout, as an
                 oracle for client-side output; the test is skipped where kubectl is missing.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable

import pytest

import kitlib
from kitlib.api.registry import RESOURCES


@pytest.fixture
def cluster() -> kitlib.Cluster:
    return kitlib.Cluster(nodes=3, seed=0)


@pytest.fixture
def web(cluster: kitlib.Cluster) -> kitlib.Cluster:
    cluster.kubectl("create deployment web --image=nginx --replicas=3 --port=80")
    cluster.advance(30)
    return cluster


def take_snapshot(cluster: kitlib.Cluster) -> dict:
    """Every object as YAML (resourceVersions included), the clock, its queue, the random
    generator, the events, the network graph, each node's IPAM state and the Service IP and
    NodePort allocations."""
    objects = {kind: [o.to_yaml() for o in cluster.list(kind, None)] for kind in sorted(RESOURCES)}
    ipam = {}
    for node in cluster.nodes():
        rt = cluster.node_runtime(node.name)
        ipam[node.name] = (sorted(rt.ipam.in_use), rt.ipam.last_reserved, rt.up, sorted(rt.images))
    graph = cluster.topology.graph
    return {
        "objects": objects,
        "now": cluster.now,
        "revision": cluster._store.revision,
        "queue": len(cluster.clock._queue),
        "rng": cluster.rng.getstate(),
        "events": sorted((k, len(v)) for k, v in cluster.events._by_object.items()),
        "vertices": sorted(graph.nodes),
        "edges": sorted(tuple(sorted(e)) for e in graph.edges),
        "ipam": ipam,
        # What the API server has handed out: Service ClusterIPs and NodePorts.
        "allocations": (sorted(cluster.service_ips._map.used), sorted(cluster.node_ports._map.used)),
        "kubectl": cluster.kubectl("get nodes,pods,deployments,replicasets -A -o wide"),
    }


@pytest.fixture
def snapshot() -> Callable[[kitlib.Cluster], dict]:
    return take_snapshot


@pytest.fixture
def real_kubectl() -> Callable[[str], str]:
    exe = shutil.which("kubectl")
    if exe is None:
        pytest.skip("kubectl is not installed")

    def run(command: str) -> str:
        done = subprocess.run([exe, *command.split()], capture_output=True, text=True, timeout=60,
                              check=False)
        assert done.returncode == 0, done.stderr
        return done.stdout

    return run
