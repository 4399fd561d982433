"""Lesson 07's exercise checks pass on the instructor's solution and fail, with a hint, on the
usual wrong answers: a rule on one side only, a rule without ports, DNS forgotten after a
default-deny egress, and the two-peer (OR) namespaceSelector/podSelector mistake."""

from __future__ import annotations

import pytest

import kitlib
from kitlib.exercises import lesson07

AGNHOST = "registry.k8s.io/e2e-test-images/agnhost:2.53"

DENY = """
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: default-deny-ingress}
spec:
  podSelector: {}
  policyTypes: [Ingress]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: default-deny-egress}
spec:
  podSelector: {}
  policyTypes: [Egress]
"""
API_INGRESS = """
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: api-allow-frontend}
spec:
  podSelector: {matchLabels: {app: api}}
  ingress:
  - from:
    - podSelector: {matchLabels: {app: frontend}}
    ports:
    - {protocol: TCP, port: 8080}
"""
FRONTEND_EGRESS = """
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: frontend-to-api}
spec:
  podSelector: {matchLabels: {app: frontend}}
  policyTypes: [Egress]
  egress:
  - to:
    - podSelector: {matchLabels: {app: api}}
    ports:
    - {protocol: TCP, port: 8080}
"""
DNS = """
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: allow-dns}
spec:
  podSelector: {}
  policyTypes: [Egress]
  egress:
  - to:
    - namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: kube-system}}
      podSelector: {matchLabels: {k8s-app: kube-dns}}
    ports:
    - {protocol: UDP, port: 53}
    - {protocol: TCP, port: 53}
"""
PROMETHEUS_AND = """
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: api-allow-prometheus}
spec:
  podSelector: {matchLabels: {app: api}}
  ingress:
  - from:
    - namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: monitoring}}
      podSelector: {matchLabels: {app: prometheus}}
    ports:
    - {protocol: TCP, port: 8080}
"""
PROMETHEUS_OR = PROMETHEUS_AND.replace("      podSelector: {matchLabels: {app: prometheus}}",
                                       "    - podSelector: {matchLabels: {app: prometheus}}")


def deployment(c: kitlib.Cluster, name: str, port: int, namespace: str = "default") -> None:
    c.kubectl(f"create deployment {name} -n {namespace} --image={AGNHOST} --port={port} -- "
              f"/agnhost netexec --http-port={port}")


def lesson_cluster(cni: str = "calico") -> kitlib.Cluster:
    """The lesson's apps: frontend, api (8080) and db in default, prometheus and grafana in
    monitoring, a pod labelled app=prometheus in default, and both default-deny policies."""
    c = kitlib.Cluster(nodes=3, seed=0, cni=cni)
    c.kubectl("create namespace monitoring")
    deployment(c, "frontend", 80)
    deployment(c, "api", 8080)
    deployment(c, "db", 5432)
    deployment(c, "prometheus", 9090, "monitoring")
    deployment(c, "grafana", 3000, "monitoring")
    c.settle()
    c.apply("""
apiVersion: v1
kind: Pod
metadata: {name: fake-prometheus, labels: {app: prometheus}}
spec:
  containers: [{name: c, image: registry.k8s.io/e2e-test-images/agnhost:2.53, args: [pause]}]
""")
    c.settle()
    c.apply(DENY)
    return c


@pytest.fixture
def cluster():
    return lesson_cluster()


def test_frontend_only_passes_on_the_solution(cluster):
    """Both sides opened for frontend → api:8080, and DNS egress for everyone: the check passes."""
    cluster.apply(API_INGRESS)
    cluster.apply(FRONTEND_EGRESS)
    cluster.apply(DNS)
    fb = lesson07.check_frontend_only(cluster)
    assert fb.passed, str(fb)
    assert "only the frontend reaches the API pods" in fb.message


def test_frontend_only_fails_with_the_ingress_side_alone(cluster):
    """With default deny egress, an ingress rule on the API alone is not enough: the frontend's
    egress drops the connection; the hint names both sides."""
    cluster.apply(API_INGRESS)
    cluster.apply(DNS)
    fb = lesson07.check_frontend_only(cluster)
    assert not fb.passed
    assert "denied at egress" in fb.message and "AND an egress rule on the frontend" in fb.hint


def test_frontend_only_fails_when_dns_is_forgotten(cluster):
    """The classic: after a default-deny egress, pods can no longer reach CoreDNS on UDP 53."""
    cluster.apply(API_INGRESS)
    cluster.apply(FRONTEND_EGRESS)
    fb = lesson07.check_frontend_only(cluster)
    assert not fb.passed
    assert "CoreDNS" in fb.message and "UDP 53 is denied" in fb.message and "k8s-app=kube-dns" in fb.hint


def test_frontend_only_fails_on_a_rule_without_ports(cluster):
    """A rule without ports allows every port: the API would be open on 9090 too."""
    cluster.apply(API_INGRESS.replace("    ports:\n    - {protocol: TCP, port: 8080}\n", ""))
    cluster.apply(FRONTEND_EGRESS.replace("    ports:\n    - {protocol: TCP, port: 8080}\n", ""))
    cluster.apply(DNS)
    fb = lesson07.check_frontend_only(cluster)
    assert not fb.passed and "on TCP 9090 is allowed" in fb.message


def test_frontend_only_fails_when_the_api_lets_everyone_in(cluster):
    """An ingress rule with an empty podSelector lets every pod of the namespace in, db included."""
    cluster.apply(API_INGRESS.replace("podSelector: {matchLabels: {app: frontend}}", "podSelector: {}"))
    cluster.apply(FRONTEND_EGRESS)
    cluster.apply(DNS)
    fb = lesson07.check_frontend_only(cluster)
    assert not fb.passed and "accept db" in fb.message


def test_frontend_only_fails_without_the_default_deny(cluster):
    """Deleting the default deny opens everything again; the check notices."""
    cluster.delete("NetworkPolicy", "default-deny-ingress")
    cluster.apply(FRONTEND_EGRESS)
    cluster.apply(DNS)
    fb = lesson07.check_frontend_only(cluster)
    assert not fb.passed and "accept db" in fb.message


def test_checks_refuse_a_flannel_cluster():
    """On flannel nothing is enforced, so the checks say so instead of grading."""
    c = kitlib.Cluster(nodes=1, seed=0)
    fb = lesson07.check_frontend_only(c)
    assert not fb.passed and "does not enforce NetworkPolicy" in fb.message and 'cni="calico"' in fb.hint
    assert not lesson07.check_prometheus_only(c).passed


def test_prometheus_only_passes_with_one_and_peer(cluster):
    """namespaceSelector and podSelector in one peer: only prometheus of monitoring gets in."""
    cluster.apply(PROMETHEUS_AND)
    fb = lesson07.check_prometheus_only(cluster)
    assert fb.passed, str(fb)


def test_prometheus_only_fails_with_two_or_peers(cluster):
    """The classic mistake: a dash before podSelector makes two peers (OR): all of monitoring and
    every app=prometheus pod of default get in."""
    cluster.apply(PROMETHEUS_OR)
    fb = lesson07.check_prometheus_only(cluster)
    assert not fb.passed
    assert "two peers (OR)" in fb.message and "ONE list item" in fb.hint


def test_prometheus_only_fails_with_an_empty_namespace_selector(cluster):
    """namespaceSelector {} matches every namespace: a look-alike in default gets in."""
    cluster.apply(PROMETHEUS_AND.replace("{matchLabels: {kubernetes.io/metadata.name: monitoring}}", "{}"))
    fb = lesson07.check_prometheus_only(cluster)
    assert not fb.passed and "only looks like Prometheus" in fb.message


def test_prometheus_only_fails_when_the_namespace_is_open(cluster):
    """A namespaceSelector alone lets Grafana in too."""
    cluster.apply(PROMETHEUS_AND.replace("      podSelector: {matchLabels: {app: prometheus}}\n", ""))
    fb = lesson07.check_prometheus_only(cluster)
    assert not fb.passed and "grafana" in fb.message


def test_both_solutions_together_pass_both_checks(cluster):
    """Exercise 2 lets Prometheus in; exercise 1's check still passes after it (its outsider is
    Grafana, which stays out)."""
    for manifest in (API_INGRESS, FRONTEND_EGRESS, DNS, PROMETHEUS_AND):
        cluster.apply(manifest)
    assert lesson07.check_frontend_only(cluster).passed
    assert lesson07.check_prometheus_only(cluster).passed
