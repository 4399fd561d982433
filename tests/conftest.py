"""Shared fixtures for the engine tests.

``cluster``      a fresh ``Cluster(nodes=3, seed=0)``: minikube, minikube-m02, minikube-m03.
``web``          that cluster with ``deployment/web`` (nginx, 3 replicas, port 80) running.
``snapshot``     ``snapshot(cluster)``: everything a failed call must leave untouched.
``real_kubectl`` ``real_kubectl("create deployment ...")``: the real kubectl's stdout, as an
                 oracle for client-side output; the test is skipped where kubectl is missing.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Callable

import pytest

import kitlib
from kitlib import apps
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
    """Every object as the API serves it (resourceVersions included), the clock, its queue, the
    random generator, the events, the network graph, each node's IPAM state, the Service IP and
    NodePort allocations, the kube-proxy mode, the add-ons and the pods' app faults.

    Objects are compared as API dicts rather than YAML text: the same content, fifty times faster,
    so that ``test_operations.py`` can take a snapshot before every call."""
    objects = {kind: [o.to_dict() for o in cluster.list(kind, None)] for kind in sorted(RESOURCES)}
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
        "proxy_mode": cluster.proxy_mode,
        "addons": {name: _addon_state(addon) for name, addon in sorted(cluster.addons.items())},
        "faults": sorted((k, sorted(v)) for k, v in apps.runtime(cluster).faults.items()),
    }


def _addon_state(addon: object) -> dict:
    # Everything an add-on holds but its cluster (reprs without memory addresses).
    return {k: re.sub(r" at 0x[0-9a-f]+", "", repr(v)) for k, v in sorted(vars(addon).items()) if k != "cluster"}


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
