"""Shared fixtures for the engine tests.

``cluster``      a fresh ``Cluster(nodes=3, seed=0)``: minikube, minikube-m02, minikube-m03.
``web``          that cluster with ``deployment/web`` (nginx, 3 replicas, port 80) running.
``snapshot``     ``snapshot(cluster)``: everything a failed call must leave untouched.
``real_kubectl`` ``real_kubectl("create deployment ...")``: the real kubectl's stdout, as an
                 oracle for client-side output (kubectl v1.37.1, :mod:`oracle`); the test is
                 skipped where it is missing.
"""

from __future__ import annotations

import subprocess
from collections.abc import Callable

import oracle
import pytest

import kitlib


@pytest.fixture
def cluster() -> kitlib.Cluster:
    return kitlib.Cluster(nodes=3, seed=0)


@pytest.fixture
def web(cluster: kitlib.Cluster) -> kitlib.Cluster:
    cluster.kubectl("create deployment web --image=nginx --replicas=3 --port=80")
    cluster.advance(30)
    return cluster


def take_snapshot(cluster: kitlib.Cluster) -> dict:
    """The whole declared state (:meth:`kitlib.Cluster.state`): every object with its
    resourceVersion, the clock and its queue, the random generators, the events, the allocations,
    the nodes' IPAM, images and network graph, kube-proxy's, the prober's, the apps' and the
    add-ons' state, and the controllers' queues."""
    return cluster.state()


@pytest.fixture
def snapshot() -> Callable[[kitlib.Cluster], dict]:
    return take_snapshot


@pytest.fixture
def real_kubectl() -> Callable[[str], str]:
    exe = oracle.require()

    def run(command: str) -> str:
        done = subprocess.run([exe, *command.split()], capture_output=True, text=True, timeout=60,
                              check=False)
        assert done.returncode == 0, done.stderr
        return done.stdout

    return run
