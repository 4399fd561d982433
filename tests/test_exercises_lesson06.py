"""Lesson 06's exercise checks pass on the instructor's solution and hint on wrong answers."""

from __future__ import annotations

import pytest

import kitlib
from kitlib.exercises import lesson06

ECHO = """
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {name}
spec:
  replicas: 2
  selector:
    matchLabels:
      app: {name}
  template:
    metadata:
      labels:
        app: {name}
    spec:
      containers:
      - name: echo
        image: hashicorp/http-echo
        args: ["-text={name}"]
        ports:
        - containerPort: 5678
"""

FANOUT = "create ingress shop --rule='shop.example/api*=api:80' --rule='shop.example/*=web:80'"
SECRET = """
apiVersion: v1
kind: Secret
metadata:
  name: {name}
type: {type}
data:
  tls.crt: LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCg==
  tls.key: LS0tLS1CRUdJTiBQUklWQVRFIEtFWS0tLS0tCg==
"""
SHOP_TLS = """
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: shop
spec:
  ingressClassName: nginx
  tls:
  - hosts: [shop.example]
    secretName: {secret}
  rules:
  - host: shop.example
    http:
      paths:
      - path: /api
        pathType: Prefix
        backend:
          service: {{name: api, port: {{number: 80}}}}
      - path: /
        pathType: Prefix
        backend:
          service: {{name: web, port: {{number: 80}}}}
"""


def _shop(api_path="/api", api_type="Prefix", host="shop.example", cls="nginx"):
    host_line = f"  - host: {host}\n" if host else "  - "
    first = "    http:\n" if host else "http:\n"
    return f"""
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: shop
spec:
  ingressClassName: {cls}
  rules:
{host_line}{first}      paths:
      - path: {api_path}
        pathType: {api_type}
        backend:
          service: {{name: api, port: {{number: 80}}}}
      - path: /
        pathType: Prefix
        backend:
          service: {{name: web, port: {{number: 80}}}}
"""


@pytest.fixture(scope="module")
def base():
    c = kitlib.Cluster(nodes=3, seed=0)
    for name in ("web", "api", "blog"):
        c.apply(ECHO.format(name=name))
        c.kubectl(f"expose deployment {name} --port=80 --target-port=5678")
    c.enable_addon("metallb", addresses="192.168.49.200-192.168.49.250")
    c.enable_addon("ingress")
    c.advance(20)
    return c


@pytest.fixture
def cluster(base):
    yield base
    for ing in list(base.list("Ingress")):
        base.delete("Ingress", ing.name)
    for secret in list(base.list("Secret")):
        base.delete("Secret", secret.name)
    for name in ("web", "api", "blog"):
        base.scale(name, 2)
    base.advance(20)


def _both(feedback, text):
    return text in feedback.message + feedback.hint


def test_no_controller_is_a_hint_not_an_error():
    c = kitlib.Cluster(nodes=1, seed=0)
    for check in (lesson06.check_fanout, lesson06.check_virtual_hosts, lesson06.check_tls):
        feedback = check(c)
        assert not feedback and "enable_addon" in feedback.hint, feedback


def test_fanout_solution_passes(cluster):
    assert _both(lesson06.check_fanout(cluster), "kubectl")  # no Ingress yet: the hint shows the command
    cluster.kubectl(FANOUT)
    feedback = lesson06.check_fanout(cluster)
    assert feedback, feedback


def test_fanout_yaml_solution_passes(cluster):
    cluster.apply(_shop())
    assert lesson06.check_fanout(cluster)


@pytest.mark.parametrize(("shop", "expected"), [
    (_shop(api_type="Exact"), "Exact"),
    (_shop(api_type="ImplementationSpecific"), "ImplementationSpecific"),
    (_shop(host=""), "no host"),
    (_shop(cls="traefik"), "ignores it"),
    (_shop(api_path="/apis"), "/api"),
])
def test_fanout_typical_mistakes(cluster, shop, expected):
    if "traefik" in shop:
        cluster.apply("apiVersion: networking.k8s.io/v1\nkind: IngressClass\nmetadata:\n  name: traefik\n"
                      "spec:\n  controller: traefik.io/ingress-controller\n")
    cluster.apply(shop)
    feedback = lesson06.check_fanout(cluster)
    assert not feedback and _both(feedback, expected), feedback
    if "traefik" in shop:
        cluster.delete("IngressClass", "traefik")


def test_fanout_with_kubectl_exact_rule(cluster):
    # Without the *, kubectl create ingress makes an Exact path: /api/orders/7 goes to web.
    cluster.kubectl("create ingress shop --rule='shop.example/api=api:80' --rule='shop.example/*=web:80'")
    feedback = lesson06.check_fanout(cluster)
    assert not feedback and "Exact" in feedback.message and "*" in feedback.hint, feedback


def test_fanout_hints_look_only_at_the_shop_ingress(cluster):
    # The lesson's own Exact /api, on another host, is not the learner's mistake.
    cluster.kubectl("create ingress exact --rule='exact.example/api=api:80' --rule='exact.example/*=web:80'")
    cluster.kubectl("create ingress shop --rule='shop.example/*=web:80'")
    feedback = lesson06.check_fanout(cluster)
    assert not feedback and "Exact" not in feedback.message and "/api" in feedback.message, feedback


def test_fanout_without_a_root_rule_and_with_no_endpoints(cluster):
    cluster.kubectl("create ingress shop --rule='shop.example/api*=api:80'")
    feedback = lesson06.check_fanout(cluster)
    assert not feedback and "404" in feedback.message, feedback
    cluster.delete("Ingress", "shop")
    cluster.kubectl(FANOUT)
    cluster.scale("api", 0)
    cluster.advance(10)
    feedback = lesson06.check_fanout(cluster)
    assert not feedback and "503" in feedback.message and "scale" in feedback.hint, feedback


def test_virtual_hosts_solution_passes(cluster):
    cluster.kubectl(FANOUT)
    assert not lesson06.check_virtual_hosts(cluster)
    cluster.kubectl("create ingress blog --rule='blog.example/*=blog:80'")
    feedback = lesson06.check_virtual_hosts(cluster)
    assert feedback, feedback


def test_virtual_hosts_catch_all_and_path_mistakes(cluster):
    cluster.kubectl(FANOUT)
    # The blog as a path of the shop, not as a host.
    cluster.kubectl("create ingress blog --rule='shop.example/blog*=blog:80'")
    feedback = lesson06.check_virtual_hosts(cluster)
    assert not feedback and "host" in feedback.hint, feedback
    cluster.delete("Ingress", "blog")
    # A rule without a host: blog.example works, but so does every other name.
    cluster.kubectl("create ingress blog --rule='/*=blog:80'")
    feedback = lesson06.check_virtual_hosts(cluster)
    assert not feedback and "nobody.example" in feedback.message and "catch" in feedback.message, feedback
    cluster.delete("Ingress", "blog")
    # A default backend as the catch-all.
    cluster.kubectl("create ingress blog --rule='blog.example/*=blog:80'")
    cluster.kubectl("create ingress fallback --default-backend=web:80")
    feedback = lesson06.check_virtual_hosts(cluster)
    assert not feedback and "defaultBackend" in feedback.message, feedback
    cluster.delete("Ingress", "fallback")
    assert lesson06.check_virtual_hosts(cluster)


def test_virtual_hosts_needs_shop_still_working(cluster):
    cluster.kubectl("create ingress blog --rule='blog.example/*=blog:80'")
    feedback = lesson06.check_virtual_hosts(cluster)
    assert not feedback and "shop.example no longer works" in feedback.message, feedback


def test_tls_solution_passes(cluster):
    cluster.kubectl(FANOUT)
    assert "no Secret" in lesson06.check_tls(cluster).message
    cluster.apply(SECRET.format(name="shop-tls", type="kubernetes.io/tls"))
    feedback = lesson06.check_tls(cluster)
    assert not feedback and "Fake Certificate" in feedback.message and "tls" in feedback.hint, feedback
    cluster.apply(SHOP_TLS.format(secret="shop-tls"))
    feedback = lesson06.check_tls(cluster)
    assert feedback and "308" in feedback.message, feedback
    # kubectl's own way gives the same object.
    cluster.delete("Ingress", "shop")
    cluster.kubectl("create ingress shop --rule='shop.example/api*=api:80,tls=shop-tls' "
                    "--rule='shop.example/*=web:80,tls=shop-tls'")
    assert lesson06.check_tls(cluster)
    assert lesson06.check_fanout(cluster)


def test_tls_wrong_secret_name_and_type(cluster):
    cluster.apply(SECRET.format(name="shop-cert", type="kubernetes.io/tls"))
    cluster.apply(SHOP_TLS.format(secret="shop-cert"))
    assert "no Secret shop-tls" in lesson06.check_tls(cluster).message
    cluster.apply(SECRET.format(name="shop-tls", type="kubernetes.io/tls"))
    feedback = lesson06.check_tls(cluster)
    assert not feedback and "shop-cert" in feedback.hint and "shop-tls" in feedback.hint, feedback
    cluster.apply(SHOP_TLS.format(secret="shop-tls-typo"))
    feedback = lesson06.check_tls(cluster)
    assert not feedback and "does not exist" in feedback.message and "Fake" in feedback.message, feedback
    cluster.delete("Secret", "shop-tls")
    cluster.apply(SECRET.format(name="shop-tls", type="Opaque"))
    feedback = lesson06.check_tls(cluster)
    assert not feedback and "Opaque" in feedback.message, feedback


def test_solution_in_lesson_order(cluster):
    cluster.kubectl(FANOUT)
    assert lesson06.check_fanout(cluster)
    cluster.kubectl("create ingress blog --rule='blog.example/*=blog:80'")
    assert lesson06.check_virtual_hosts(cluster)
    cluster.apply(SECRET.format(name="shop-tls", type="kubernetes.io/tls"))
    cluster.apply(SHOP_TLS.format(secret="shop-tls"))
    assert lesson06.check_tls(cluster)
    assert lesson06.check_fanout(cluster) and lesson06.check_virtual_hosts(cluster)
