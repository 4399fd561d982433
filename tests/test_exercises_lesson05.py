"""Lesson 05's exercise checks pass on the instructor's solution and hint on wrong answers."""

from __future__ import annotations

import pytest

import kitlib
from kitlib.exercises import lesson05

SHOP = """
apiVersion: apps/v1
kind: Deployment
metadata:
  name: shop
spec:
  replicas: 3
  selector:
    matchLabels:
      app: shop
  template:
    metadata:
      labels:
        app: shop
    spec:
      containers:
      - name: webapp
        image: kitlib/webapp:1
        ports:
        - name: http
          containerPort: 8080
"""
READY = """\
        readinessProbe:
          httpGet:
            path: /ready
            port: http
          periodSeconds: 2
"""
LIVE = """\
        livenessProbe:
          httpGet:
            path: /live
            port: http
          initialDelaySeconds: 15
          periodSeconds: 5
"""


def _probe(kind="readinessProbe", handler="httpGet:\n            path: /ready\n            port: http", extra=""):
    return f"        {kind}:\n          {handler}\n{extra}"


@pytest.fixture
def cluster():
    c = kitlib.Cluster(nodes=3, seed=0)
    c.kubectl("create deployment client --image=nginx")
    c.apply(SHOP)
    c.kubectl("expose deployment shop --port=80 --target-port=8080")
    c.advance(30)
    return c


def _client(c):
    return c.pods(selector="app=client")[0]


def test_readiness_needs_an_http_probe_on_ready(cluster):
    assert "no readiness probe" in lesson05.check_readiness(cluster).message
    cluster.apply(SHOP + _probe(handler="tcpSocket:\n            port: 8080"))
    assert "tcpSocket" in lesson05.check_readiness(cluster).message
    cluster.apply(SHOP + _probe(handler="httpGet:\n            path: /live\n            port: http"))
    assert "/ready" in lesson05.check_readiness(cluster).hint
    cluster.apply(SHOP + READY)
    pending = lesson05.check_readiness(cluster)
    assert not pending and "advance" in pending.hint
    cluster.advance(60)
    assert lesson05.check_readiness(cluster)


def test_no_deployment_is_a_hint_not_an_error():
    c = kitlib.Cluster(nodes=1, seed=0)
    assert not lesson05.check_readiness(c)
    assert not lesson05.check_rollout(c, None)
    assert not lesson05.check_liveness(c)


def test_rollout_without_a_probe_drops_requests_and_with_one_does_not(cluster):
    assert not lesson05.check_rollout(cluster, None)
    cluster.kubectl("set image deployment/shop webapp=kitlib/webapp:2")
    dropped = cluster.traffic(_client(cluster).key, "shop", 80, requests=600, duration=60)
    wrong = lesson05.check_rollout(cluster, dropped)
    assert not wrong and "failed" in wrong.message and "exercise 1" in wrong.hint
    cluster.apply((SHOP + READY).replace("webapp:1", "webapp:2"))
    cluster.advance(60)
    late = cluster.traffic(_client(cluster).key, "shop", 80, requests=100, duration=10)
    assert "one version" in lesson05.check_rollout(cluster, late).message
    cluster.kubectl("set image deployment/shop webapp=kitlib/webapp:1")
    cluster.advance(60)
    cluster.kubectl("set image deployment/shop webapp=kitlib/webapp:2")
    result = cluster.traffic(_client(cluster).key, "shop", 80, requests=600, duration=60)
    assert lesson05.check_rollout(cluster, result), lesson05.check_rollout(cluster, result)


def test_solution_in_lesson_order(cluster):
    cluster.apply(SHOP + READY)
    cluster.advance(60)
    assert lesson05.check_readiness(cluster)
    cluster.kubectl("set image deployment/shop webapp=kitlib/webapp:2")
    result = cluster.traffic(_client(cluster).key, "shop", 80, requests=600, duration=60)
    assert lesson05.check_rollout(cluster, result)
    cluster.apply((SHOP + READY + LIVE).replace("webapp:1", "webapp:2"))
    cluster.advance(60)
    assert lesson05.check_liveness(cluster)


def test_liveness_hints(cluster):
    cluster.apply(SHOP + READY)
    cluster.advance(60)
    assert "no liveness probe" in lesson05.check_liveness(cluster).message
    cases = [
        ("tcpSocket:\n            port: 8080", "", "tcpSocket"),
        ("httpGet:\n            path: /ready\n            port: http", "", "/live"),
        ("httpGet:\n            path: /live\n            port: http", "          periodSeconds: 20\n", "30 s"),
        ("httpGet:\n            path: /live\n            port: http", "          periodSeconds: 1\n", "warm-up"),
    ]
    for handler, extra, expected in cases:
        cluster.apply(SHOP + READY + _probe("livenessProbe", handler, extra))
        feedback = lesson05.check_liveness(cluster)
        assert not feedback and expected in feedback.message + feedback.hint, feedback


def test_liveness_with_a_startup_probe_passes(cluster):
    startup = _probe("startupProbe", "httpGet:\n            path: /live\n            port: http",
                     "          periodSeconds: 2\n          failureThreshold: 15\n")
    eager = _probe("livenessProbe", "httpGet:\n            path: /live\n            port: http",
                   "          periodSeconds: 1\n          failureThreshold: 3\n")
    cluster.apply(SHOP + READY + startup + eager)
    cluster.advance(60)
    assert lesson05.check_liveness(cluster)
