"""Lesson 08's exercise checks pass on the instructor's solution and fail, with a hint, on wrong answers."""

from __future__ import annotations

import pytest

from kitlib.exercises import lesson08
from kitlib.widgets.gateway_lab import echo_deployment

GATEWAY = """
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata:
  name: eg
spec:
  gatewayClassName: eg
  listeners:
  - name: http
    protocol: HTTP
    port: 80
    hostname: "*.example.com"
"""


def route(*rules: str, name: str = "store-front", host: str = "shop.example.com") -> str:
    """An HTTPRoute attached to eg for ``host`` with these rules (YAML list items, indented 2)."""
    return f"""
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata:
  name: {name}
spec:
  parentRefs:
  - name: eg
  hostnames:
  - {host}
  rules:
""" + "".join(rules)


API = """\
  - matches:
    - path:
        type: PathPrefix
        value: /api
    backendRefs:
    - name: api
      port: 80
"""
WEB = """\
  - backendRefs:
    - name: web
      port: 80
"""
SPLIT = """\
  - backendRefs:
    - name: web
      port: 80
      weight: 80
    - name: web-v2
      port: 80
      weight: 20
"""
HEADER = """\
  - matches:
    - headers:
      - name: x-canary
        value: always
    backendRefs:
    - name: web-v2
      port: 80
"""
INVOICES = """\
  - matches:
    - path:
        type: PathPrefix
        value: /invoices
    backendRefs:
    - name: invoices
      namespace: billing
      port: 80
"""
GRANT = """
apiVersion: gateway.networking.k8s.io/v1
kind: ReferenceGrant
metadata:
  name: routes-from-default
  namespace: billing
spec:
  from:
  - group: gateway.networking.k8s.io
    kind: HTTPRoute
    namespace: {namespace}
  to:
  - group: ""
    kind: Service
"""


@pytest.fixture
def cluster():
    """The lesson's exercise cluster (built per test: routes and grants added by a test stay in it):
    echo-basic web, web-v2, api; billing/invoices; MetalLB, Envoy
    Gateway and the Gateway eg whose listener takes *.example.com."""
    import kitlib

    c = kitlib.Cluster(nodes=3, seed=0)
    c.kubectl("create namespace billing")
    for name, ns in (("web", "default"), ("web-v2", "default"), ("api", "default"), ("invoices", "billing")):
        c.apply(echo_deployment(name, ns))
        c.kubectl(f"expose deployment {name} --port=80 --target-port=3000 -n {ns}")
    c.enable_addon("metallb", addresses="192.168.49.200-192.168.49.250")
    c.enable_addon("gateway")
    c.apply(GATEWAY)
    c.advance(20)
    return c


def apply(c, *docs: str):
    for doc in docs:
        c.apply(doc)
    c.advance(1)
    return c


# ------------------------------------------------------------------ exercise 1

def test_fanout_passes_on_the_solution(cluster):
    """PathPrefix /api → api and a rule without matches → web: /apiary stays on web."""
    fb = lesson08.check_fanout(apply(cluster, route(API, WEB)))
    assert fb.passed, fb


def test_fanout_without_a_route_says_so(cluster):
    fb = lesson08.check_fanout(cluster)
    assert not fb.passed and "there is no HTTPRoute store-front" in fb.message


def test_fanout_with_exact_api_fails_on_paths_below_it(cluster):
    """Exact /api matches /api only: /api/ goes to web."""
    fb = lesson08.check_fanout(apply(cluster, route(API.replace("PathPrefix", "Exact"), WEB)))
    assert not fb.passed
    assert "http://shop.example.com/api/ went to Service web" in fb.message
    assert "Exact /api matches /api only" in fb.hint


def test_fanout_with_a_regex_prefix_fails_on_apiary(cluster):
    """A RegularExpression /api.* takes /apiary too."""
    rules = API.replace("PathPrefix", "RegularExpression").replace("value: /api", "value: /api.*")
    fb = lesson08.check_fanout(apply(cluster, route(rules, WEB)))
    assert not fb.passed and "/apiary went to Service api" in fb.message


def test_fanout_with_a_host_outside_the_listener_is_not_attached(cluster):
    """shop.example.org does not intersect *.example.com: Accepted False, NoMatchingListenerHostname."""
    fb = lesson08.check_fanout(apply(cluster, route(API, WEB, host="shop.example.org")))
    assert not fb.passed and "NoMatchingListenerHostname" in fb.message


def test_fanout_with_a_misspelled_service_shows_the_condition(cluster):
    fb = lesson08.check_fanout(apply(cluster, route(API.replace("name: api", "name: apii"), WEB)))
    assert not fb.passed and "BackendNotFound" in fb.message


def test_fanout_with_only_the_api_rule_reports_envoys_404(cluster):
    fb = lesson08.check_fanout(apply(cluster, route(API)))
    assert not fb.passed and "http://shop.example.com/ got Envoy's 404" in fb.message


# ------------------------------------------------------------------ exercise 2

def test_canary_passes_on_the_solution(cluster):
    """80/20 by weight, and the header rule wins for x-canary: always (one header match more)."""
    fb = lesson08.check_canary(apply(cluster, route(API, SPLIT, HEADER)))
    assert fb.passed, fb
    assert "default/web 800 (80.0 %) · default/web-v2 200 (20.0 %)" in fb.message


def test_canary_without_the_header_rule_fails(cluster):
    fb = lesson08.check_canary(apply(cluster, route(API, SPLIT)))
    assert not fb.passed and "x-canary" in fb.hint


def test_canary_with_the_wrong_share_fails(cluster):
    fb = lesson08.check_canary(apply(cluster, route(API, SPLIT.replace("weight: 20", "weight: 50"), HEADER)))
    assert not fb.passed
    assert "% of 1000 requests to /cart, not about 20 %" in fb.message


def test_canary_with_weights_reversed_fails(cluster):
    wrong = SPLIT.replace("weight: 80", "weight: X").replace("weight: 20", "weight: 80").replace("X", "20")
    fb = lesson08.check_canary(apply(cluster, route(API, wrong, HEADER)))
    assert not fb.passed and "80.0 %" in fb.message


def test_canary_that_breaks_api_fails(cluster):
    fb = lesson08.check_canary(apply(cluster, route(SPLIT, HEADER)))
    assert not fb.passed and "/api went to" in fb.message


def test_canary_header_rule_matching_any_value_fails(cluster):
    """A header match of type RegularExpression ``.*`` takes x-canary: never too."""
    loose = HEADER.replace("value: always", "type: RegularExpression\n        value: .*")
    fb = lesson08.check_canary(apply(cluster, route(API, SPLIT, loose)))
    assert not fb.passed and "x-canary: never took the header rule too" in fb.message


# ------------------------------------------------------------------ exercise 3

def test_cross_namespace_passes_on_the_solution(cluster):
    fb = lesson08.check_cross_namespace(apply(cluster, route(API, WEB, INVOICES), GRANT.format(namespace="default")))
    assert fb.passed, fb


def test_cross_namespace_without_a_grant_gets_500_and_the_grant_hint(cluster):
    """RefNotPermitted: the backend in billing does not resolve, and its requests get 500."""
    fb = lesson08.check_cross_namespace(apply(cluster, route(API, WEB, INVOICES)))
    assert not fb.passed
    assert "RefNotPermitted" in fb.message or "not permitted by any ReferenceGrant" in fb.message
    assert "ReferenceGrant in namespace billing" in fb.hint


def test_cross_namespace_with_a_grant_for_another_namespace_fails(cluster):
    fb = lesson08.check_cross_namespace(apply(cluster, route(API, WEB, INVOICES), GRANT.format(namespace="shop")))
    assert not fb.passed and "not permitted by any ReferenceGrant" in fb.message


def test_cross_namespace_with_a_grant_that_is_too_wide_fails(cluster):
    wide = """
apiVersion: gateway.networking.k8s.io/v1
kind: ReferenceGrant
metadata:
  name: routes-from-anywhere
  namespace: billing
spec:
  from:
  - group: gateway.networking.k8s.io
    kind: HTTPRoute
    namespace: default
  - group: gateway.networking.k8s.io
    kind: HTTPRoute
    namespace: team-b
  to:
  - group: ""
    kind: Service
"""
    fb = lesson08.check_cross_namespace(apply(cluster, route(API, WEB, INVOICES), wide))
    assert not fb.passed and "also lets in HTTPRoutes of team-b" in fb.message


def test_cross_namespace_without_the_namespace_in_the_backend_ref_fails(cluster):
    same_ns = INVOICES.replace("      namespace: billing\n", "")
    fb = lesson08.check_cross_namespace(apply(cluster, route(API, WEB, same_ns), GRANT.format(namespace="default")))
    assert not fb.passed and "namespace: billing" in fb.hint


def test_cross_namespace_before_any_route_gets_envoys_404_not_a_dns_failure(cluster):
    """The checks send to the Gateway's address with the Host header, as curl --resolve does."""
    fb = lesson08.check_cross_namespace(cluster)
    assert not fb.passed
    assert "http://shop.example.com/invoices got Envoy's 404 (no rule matched)" in fb.message
    assert "PathPrefix /invoices" in fb.hint
