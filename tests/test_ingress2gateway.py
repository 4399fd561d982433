"""ingress2gateway v1.1.0 (``print --providers=ingress-nginx``): Ingresses to Gateways and HTTPRoutes.

The expected objects are the tool's own: its ingress-nginx provider's table tests
(``pkg/i2gw/providers/ingressnginx/*_test.go``), taken through the whole pipeline (provider,
common emitter, standard emitter, printer), and the lesson 06 Ingresses written out by the
tool's rules. The Go tests feed Ingresses in the order they list; the tool itself sorts them by
name before converting (``storage.go``'s ``FromMap``), so where the two differ (route names,
backendRef order) the expectations here follow the tool.
"""

from __future__ import annotations

import pytest
import yaml

import kitlib
from kitlib.api.networking import Ingress
from kitlib.api.service import Service
from kitlib.errors import BadRequest
from kitlib.tools import ingress2gateway
from kitlib.tools.ingress2gateway import ConversionError, convert, trailing_slash_rules

GEN = {"gateway.networking.k8s.io/generator": "ingress2gateway-v1.1.0"}


def ingress(name: str, rules: list[tuple[str, str, str, str]], annotations: dict[str, str] | None = None,
            tls: list[dict] | None = None, cls: str = "nginx", namespace: str = "default") -> Ingress:
    """An Ingress of class ``cls`` with rules (host, path, pathType, "service:port")."""
    spec: dict = {"ingressClassName": cls, "rules": []}
    for host, path, path_type, backend in rules:
        svc, _, port = backend.partition(":")
        ref = {"name": svc, "port": {"number": int(port)} if port.isdigit() else {"name": port}}
        rule: dict = {"http": {"paths": [{"path": path, "pathType": path_type, "backend": {"service": ref}}]}}
        if host:
            rule["host"] = host
        spec["rules"].append(rule)
    if tls:
        spec["tls"] = tls
    return Ingress.from_dict({"metadata": {"name": name, "namespace": namespace, "annotations": annotations or {}},
                              "spec": spec})


def by_name(conv: ingress2gateway.Conversion) -> dict[str, dict]:
    return {o["metadata"]["name"] if o["kind"] != "Gateway" else "Gateway/" + o["metadata"]["name"]: o
            for o in conv.objects}


def rules(conv: ingress2gateway.Conversion, route: str) -> list[dict]:
    return by_name(conv)[route]["spec"]["rules"]


def prefix(path: str) -> list[dict]:
    return [{"path": {"type": "PathPrefix", "value": path}}]


def messages(conv: ingress2gateway.Conversion) -> list[tuple[str, str, tuple]]:
    return [(n.type, n.message, n.objects) for n in conv.notifications if n.source == "ingress-nginx"]


URL_NORMALIZATION = (
    "┌─ WARN  ────────────────────────────────────────\n"
    "│  Gateway API does not support configuring URL normalization (RFC 3986, Section 6). Please check "
    "if this matters for your use case and consult implementation-specific details.\n"
    "│  source: STANDARD_EMITTER\n"
    "└─")


# ------------------------------------------------------------------------------ lesson 06, printed

@pytest.fixture(scope="module")
def lesson() -> kitlib.Cluster:
    c = kitlib.Cluster(nodes=1, seed=0)
    c.enable_addon("ingress")
    for name in ("web", "api", "docs"):
        c.kubectl(f"create deployment {name} --image=hashicorp/http-echo")
        c.kubectl(f"expose deployment {name} --port=80 --target-port=5678")
    return c


FAN_OUT = """\
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata:
  annotations:
    gateway.networking.k8s.io/generator: ingress2gateway-v1.1.0
  name: nginx
  namespace: default
spec:
  gatewayClassName: nginx
  listeners:
  - hostname: demo.example
    name: demo-example-http
    port: 80
    protocol: HTTP
  - hostname: docs.example
    name: docs-example-http
    port: 80
    protocol: HTTP
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata:
  annotations:
    gateway.networking.k8s.io/generator: ingress2gateway-v1.1.0
  name: demo-demo-example
  namespace: default
spec:
  hostnames:
  - demo.example
  parentRefs:
  - name: nginx
  rules:
  - backendRefs:
    - name: api
      port: 80
    matches:
    - path:
        type: PathPrefix
        value: /api
  - backendRefs:
    - name: web
      port: 80
    matches:
    - path:
        type: PathPrefix
        value: /
status:
  parents: []
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata:
  annotations:
    gateway.networking.k8s.io/generator: ingress2gateway-v1.1.0
  name: docs-docs-example
  namespace: default
spec:
  hostnames:
  - docs.example
  parentRefs:
  - name: nginx
  rules:
  - backendRefs:
    - name: docs
      port: 80
    matches:
    - path:
        type: PathPrefix
        value: /
status:
  parents: []"""


def self_signed(host: str) -> str:
    return ("┌─ WARN  ────────────────────────────────────────\n"
            f'│  Ingress NGINX serves TLS traffic for host "{host}" with a self-signed certificate. This '
            "behavior will not be translated and the host will not be accessible via HTTPS.\n"
            "│  source: INGRESS-NGINX\n"
            "└─")


def test_lesson_fan_out_and_virtual_hosts_print_as_the_tool(lesson: kitlib.Cluster, capsys: pytest.CaptureFixture[str]) -> None:
    """Lesson 06's fan-out (two rules of demo.example, made by kubectl with the default class nginx)
    and virtual host (docs.example): one Gateway ``nginx`` with a port-80 listener per host, one
    HTTPRoute ``<ingress>-<host>`` per host with a PathPrefix rule per path; on stderr a box for each
    host without a certificate and the emitter's URL-normalization warning."""
    c = lesson
    c.kubectl("create ingress demo --rule='demo.example/api*=api:80' --rule='demo.example/*=web:80'")
    c.kubectl("create ingress docs --rule='docs.example/*=docs:80'")
    try:
        out = ingress2gateway.run(c, "print --providers=ingress-nginx --no-color")
        assert out == FAN_OUT
        assert out.warnings == (self_signed("demo.example"), self_signed("docs.example"), URL_NORMALIZATION)
        assert capsys.readouterr().err == out.stderr
        assert ingress2gateway.print_(c, no_color=True) == FAN_OUT
    finally:
        c.delete("Ingress", "demo")
        c.delete("Ingress", "docs")


TLS = """
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: demo
spec:
  ingressClassName: nginx
  tls:
  - hosts:
    - demo.example
    secretName: demo-tls
  rules:
  - host: demo.example
    http:
      paths:
      - path: /api
        pathType: Prefix
        backend:
          service:
            name: api
            port:
              number: 80
      - path: /
        pathType: Prefix
        backend:
          service:
            name: web
            port:
              number: 80
"""


def test_lesson_tls_host_moves_to_443_and_port_80_redirects(lesson: kitlib.Cluster) -> None:
    """With a certificate for the host, ingress-nginx redirects http to https (ssl-redirect
    defaults to true): the route binds to the ``demo-example-https`` listener on 443, and a route
    ``<route>-http`` on port 80 answers every rule with a 308 to https (its status, never set by
    the tool, prints as ``parents: null``)."""
    c = lesson
    c.apply(TLS)
    try:
        out = ingress2gateway.print_(c, no_color=True)
    finally:
        c.delete("Ingress", "demo")
    docs = list(yaml.safe_load_all(out))
    assert [d["metadata"]["name"] for d in docs] == ["nginx", "demo-demo-example", "demo-demo-example-http"]
    assert docs[0]["spec"]["listeners"] == [
        {"hostname": "demo.example", "name": "demo-example-http", "port": 80, "protocol": "HTTP"},
        {"hostname": "demo.example", "name": "demo-example-https", "port": 443, "protocol": "HTTPS",
         "tls": {"certificateRefs": [{"group": "", "kind": "Secret", "name": "demo-tls"}]}}]
    assert docs[1]["spec"]["parentRefs"] == [{"name": "nginx", "port": 443, "sectionName": "demo-example-https"}]
    assert docs[2] == {
        "apiVersion": "gateway.networking.k8s.io/v1", "kind": "HTTPRoute",
        "metadata": {"annotations": GEN, "name": "demo-demo-example-http", "namespace": "default"},
        "spec": {"hostnames": ["demo.example"], "parentRefs": [{"name": "nginx", "port": 80}],
                 "rules": [{"filters": [{"requestRedirect": {"scheme": "https", "statusCode": 308},
                                         "type": "RequestRedirect"}], "matches": prefix(p)} for p in ("/api", "/")]},
        "status": {"parents": None}}
    assert "status:\n  parents: null" in out
    assert out.warnings == (URL_NORMALIZATION,)  # the host has a certificate: no self-signed box


def test_default_backend_is_a_route_of_its_own_without_a_gateway(lesson: kitlib.Cluster) -> None:
    """``--default-backend`` becomes ``<ingress>-default-backend``, a route with one rule and no
    match; an Ingress without rules gives the Gateway no listener, so no Gateway is printed."""
    c = lesson
    c.kubectl("create ingress fallback --default-backend=web:80")
    try:
        docs = list(yaml.safe_load_all(ingress2gateway.print_(c, no_color=True)))
    finally:
        c.delete("Ingress", "fallback")
    assert docs == [{"apiVersion": "gateway.networking.k8s.io/v1", "kind": "HTTPRoute",
                     "metadata": {"annotations": GEN, "name": "fallback-default-backend", "namespace": "default"},
                     "spec": {"parentRefs": [{"name": "nginx"}],
                              "rules": [{"backendRefs": [{"name": "web", "port": 80}]}]},
                     "status": {"parents": []}}]


def test_nothing_to_convert_says_no_resources_found(lesson: kitlib.Cluster) -> None:
    """``No resources found in <ns> namespace`` (without a namespace under -A); the emitter's
    warning is printed all the same."""
    assert ingress2gateway.print_(lesson, no_color=True) == "No resources found in default namespace"
    out = ingress2gateway.run(lesson, "print --providers=ingress-nginx -A --no-color")
    assert out == "No resources found"
    assert out.warnings == (URL_NORMALIZATION,)


def test_only_ingresses_of_class_nginx_in_the_namespace_are_read(lesson: kitlib.Cluster) -> None:
    """The provider reads Ingresses of class ``nginx`` (``--ingress-nginx-ingress-class``) in the
    namespace asked for; ``-A`` reads all namespaces, one Gateway per namespace."""
    c = lesson
    c.kubectl("create namespace shop")
    c.kubectl("create ingress other --class=traefik --rule='a.example/*=web:80'")
    c.kubectl("create ingress cart -n shop --class=nginx --rule='cart.example/*=web:80'")
    try:
        assert ingress2gateway.print_(c, no_color=True) == "No resources found in default namespace"
        names = [(d["kind"], d["metadata"]["namespace"], d["metadata"]["name"])
                 for d in yaml.safe_load_all(ingress2gateway.print_(c, all_namespaces=True))]
        assert names == [("Gateway", "shop", "nginx"), ("HTTPRoute", "shop", "cart-cart-example")]
        traefik = ingress2gateway.run(c, "print --providers=ingress-nginx --ingress-nginx-ingress-class=traefik")
        assert "name: other-a-example" in traefik and "gatewayClassName: traefik" in traefik
    finally:
        c.delete("Ingress", "other")
        c.delete("Namespace", "shop")


def test_unsupported_annotation_names_the_ingress_without_kind_when_read_from_the_cluster(lesson: kitlib.Cluster) -> None:
    """``force-ssl-redirect`` is not one of the tool's annotations: it is reported as unsupported and
    changes nothing. The Ingress read from the cluster has no kind (list items carry none), so the
    box names it ``: default/demo``; read from a file it would say ``Ingress: default/demo``."""
    c = lesson
    c.kubectl("create ingress demo --rule='demo.example/*=web:80' "
              "--annotation=nginx.ingress.kubernetes.io/force-ssl-redirect=true")
    try:
        out = ingress2gateway.print_(c, no_color=True)
    finally:
        c.delete("Ingress", "demo")
    assert out.warnings[1] == (
        "┌─ WARN  ────────────────────────────────────────\n"
        "│  Unsupported annotation nginx.ingress.kubernetes.io/force-ssl-redirect\n"
        "│  source: INGRESS-NGINX\n"
        "│  object: : default/demo\n"
        "└─")
    assert "port: 443" not in out and "RequestRedirect" not in out
    conv = convert([ingress("demo", [("demo.example", "/", "Prefix", "web:80")],
                            {"nginx.ingress.kubernetes.io/force-ssl-redirect": "true"})])
    assert messages(conv)[1][2] == ("Ingress: default/demo",)


def test_colored_boxes_by_default(lesson: kitlib.Cluster) -> None:
    """Without ``--no-color`` the boxes carry the tool's ANSI colors (gray frame, yellow WARN)."""
    out = ingress2gateway.print_(lesson)
    assert out.warnings == ("\033[90m┌─ \033[33mWARN \033[90m " + "─" * 40 + "\033[0m\n"
                            "\033[90m│\033[0m  Gateway API does not support configuring URL normalization (RFC 3986, "
                            "Section 6). Please check if this matters for your use case and consult "
                            "implementation-specific details.\n"
                            "\033[90m│\033[0m  \033[90msource:\033[0m \033[95mSTANDARD_EMITTER\033[0m\n"
                            "\033[90m└─\033[0m",)


def test_command_line_errors(lesson: kitlib.Cluster) -> None:
    """The flags the tool refuses: --providers is required, -n and -A exclude each other."""
    with pytest.raises(BadRequest, match=r'^Error: required flag\(s\) "providers" not set$'):
        ingress2gateway.run(lesson, "print")
    with pytest.raises(BadRequest, match=r"none of the others can be; \[all-namespaces namespace\] were all set"):
        ingress2gateway.run(lesson, "print --providers=ingress-nginx -n default -A")


def test_a_failed_conversion_prints_the_tool_error_and_no_report(lesson: kitlib.Cluster) -> None:
    """A named backend port missing from its Service fails the whole run: cobra's ``Error:`` and the
    aggregated field errors, and no objects."""
    c = lesson
    c.kubectl("create ingress demo --rule='demo.example/*=web:http'")
    try:
        with pytest.raises(BadRequest) as err:
            ingress2gateway.print_(c, no_color=True)
    finally:
        c.delete("Ingress", "demo")
    assert str(err.value) == ('Error: \n\n# Encountered 1 errors # paths.backends[0].service.port: '
                              'Invalid value: "name": cannot find port with name http in service web')


# --------------------------------------------------------------------- the common converter's rules

def test_named_port_is_looked_up_in_the_service() -> None:
    """A backend by port name gets the Service's port number (``GroupServicePortsByPortName``)."""
    svc = Service.from_dict({"metadata": {"name": "web", "namespace": "default"},
                             "spec": {"ports": [{"name": "http", "port": 8080, "targetPort": 5678}]}})
    conv = convert([ingress("demo", [("demo.example", "/", "Prefix", "web:http")])], [svc])
    assert rules(conv, "demo-demo-example")[0]["backendRefs"] == [{"name": "web", "port": 8080}]


def test_path_types_map_to_gateway_path_matches() -> None:
    """Prefix → PathPrefix, Exact → Exact, ImplementationSpecific → PathPrefix (ingress-nginx treats
    it as a prefix without regex): the provider test "ImplementationSpecific HTTPRouteMatching"."""
    conv = convert([ingress("implementation-specific-regex", [
        ("test.mydomain.com", "/~/echo/**/test", "ImplementationSpecific", "test:80"),
        ("test.mydomain.com", "/exact", "Exact", "test:80")], cls="ingress-nginx")], ingress_class_name="ingress-nginx")
    objs = by_name(conv)
    assert objs["Gateway/ingress-nginx"]["spec"] == {"gatewayClassName": "ingress-nginx", "listeners": [
        {"hostname": "test.mydomain.com", "name": "test-mydomain-com-http", "port": 80, "protocol": "HTTP"}]}
    assert rules(conv, "implementation-specific-regex-test-mydomain-com") == [
        {"backendRefs": [{"name": "test", "port": 80}], "matches": prefix("/~/echo/**/test")},
        {"backendRefs": [{"name": "test", "port": 80}], "matches": [{"path": {"type": "Exact", "value": "/exact"}}]}]


def test_multiple_rules_with_tls_and_ssl_redirect_false() -> None:
    """Provider test "multiple rules with TLS": one TLS entry for two hosts gives each host an http
    and an https listener with the Secret; ``ssl-redirect: "false"`` keeps the routes where they are."""
    conv = convert([ingress("example-ingress", [
        ("foo.example.com", "/", "Prefix", "foo-app:80"), ("foo.example.com", "/orders", "Prefix", "foo-orders-app:80"),
        ("bar.example.com", "/", "Prefix", "bar-app:80")], {"nginx.ingress.kubernetes.io/ssl-redirect": "false"},
        tls=[{"hosts": ["foo.example.com", "bar.example.com"], "secretName": "example-com"}])])
    cert = {"certificateRefs": [{"group": "", "kind": "Secret", "name": "example-com"}]}
    assert by_name(conv)["Gateway/nginx"]["spec"]["listeners"] == [
        {"hostname": "bar.example.com", "name": "bar-example-com-http", "port": 80, "protocol": "HTTP"},
        {"hostname": "bar.example.com", "name": "bar-example-com-https", "port": 443, "protocol": "HTTPS", "tls": cert},
        {"hostname": "foo.example.com", "name": "foo-example-com-http", "port": 80, "protocol": "HTTP"},
        {"hostname": "foo.example.com", "name": "foo-example-com-https", "port": 443, "protocol": "HTTPS", "tls": cert}]
    foo = by_name(conv)["example-ingress-foo-example-com"]["spec"]
    assert foo == {"hostnames": ["foo.example.com"], "parentRefs": [{"name": "nginx"}], "rules": [
        {"backendRefs": [{"name": "foo-app", "port": 80}], "matches": prefix("/")},
        {"backendRefs": [{"name": "foo-orders-app", "port": 80}], "matches": prefix("/orders")}]}
    assert sorted(by_name(conv)) == ["Gateway/nginx", "example-ingress-bar-example-com", "example-ingress-foo-example-com"]


def test_tls_of_another_ingress_on_the_host_silences_the_self_signed_warning() -> None:
    """Provider tests "host without TLS cert triggers warning" and "host covered by TLS in another
    ingress does not trigger warning"."""
    plain = ingress("no-tls", [("example.com", "/", "Prefix", "svc:80")])
    assert messages(convert([plain]))[0][1].startswith('Ingress NGINX serves TLS traffic for host "example.com"')
    with_tls = ingress("ing-with-tls", [("example.com", "/foo", "Prefix", "svc-foo:80")],
                       tls=[{"hosts": ["example.com"], "secretName": "example-cert"}])
    no_tls = ingress("ing-no-tls", [("example.com", "/bar", "Prefix", "svc-bar:80")])
    assert not any("self-signed" in m for _, m, _ in messages(convert([with_tls, no_tls])))


def test_ssl_redirect_is_per_rule_and_a_tls_host_of_another_ingress_counts() -> None:
    """Provider test "crossIngressTLSWithOptOut": TLS on one Ingress of the host redirects the rules
    of the others too, except a rule whose own Ingress says ``ssl-redirect: "false"`` (copied as is)."""
    conv = convert([ingress("a-tls", [("h.example", "/a", "Prefix", "a:80")], tls=[{"secretName": "cert"}]),
                    ingress("b-plain", [("h.example", "/b", "Prefix", "b:80")],
                            {"nginx.ingress.kubernetes.io/ssl-redirect": "false"})])
    assert rules(conv, "a-tls-h-example-http") == [
        {"filters": [{"type": "RequestRedirect", "requestRedirect": {"scheme": "https", "statusCode": 308}}],
         "matches": prefix("/a")},
        {"backendRefs": [{"name": "b", "port": 80}], "matches": prefix("/b")}]
    assert by_name(conv)["a-tls-h-example"]["spec"]["parentRefs"] == [
        {"name": "nginx", "port": 443, "sectionName": "h-example-https"}]


# ------------------------------------------------------------------------------------------ canary

def canary_pair(annotations: dict[str, str], cls: str = "nginx") -> list[Ingress]:
    return [ingress("production", [("echo.prod.mydomain.com", "/", "Prefix", "production:80")], cls=cls),
            ingress("canary", [("echo.prod.mydomain.com", "/", "Prefix", "canary:80")],
                    {"nginx.ingress.kubernetes.io/canary": "true", **annotations}, cls=cls)]


@pytest.mark.parametrize(("annotations", "canary", "production"), [
    ({"nginx.ingress.kubernetes.io/canary-weight": "20"}, 20, 80),
    ({"nginx.ingress.kubernetes.io/canary-weight": "20", "nginx.ingress.kubernetes.io/canary-weight-total": "200"}, 20, 180),
    ({}, 0, 100),
    ({"nginx.ingress.kubernetes.io/canary-weight": "100"}, 100, 0),
])
def test_canary_weight_splits_the_rule(annotations: dict[str, str], canary: int, production: int) -> None:
    """Provider tests "canary deployment", "canary deployment total weight", "no weight annotation
    defaults to 0", "weight set to 100": the canary's rule has both backends, weighted ``weight`` and
    ``total - weight``. The tool sorts Ingresses by name, so ``canary`` names the route and comes first."""
    conv = convert(canary_pair(annotations))
    assert rules(conv, "canary-echo-prod-mydomain-com") == [{"matches": prefix("/"), "backendRefs": [
        {"name": "canary", "port": 80, "weight": canary}, {"name": "production", "port": 80, "weight": production}]}]


def test_canary_with_resource_backends_keeps_group_and_kind() -> None:
    """Provider test "canary deployment": resource backends (a StorageBucket) keep group and kind."""
    bucket = [Ingress.from_dict({"metadata": {"name": n, "namespace": "default", "annotations": a}, "spec": {
        "ingressClassName": "ingress-nginx", "rules": [{"host": "echo.prod.mydomain.com", "http": {"paths": [{
            "path": "/", "pathType": "Prefix", "backend": {"resource": {
                "apiGroup": "vendor.example.com", "kind": "StorageBucket", "name": n}}}]}}]}})
        for n, a in (("production", {}), ("canary", {"nginx.ingress.kubernetes.io/canary": "true",
                                                       "nginx.ingress.kubernetes.io/canary-weight": "20"}))]
    conv = convert(bucket, ingress_class_name="ingress-nginx")
    assert rules(conv, "canary-echo-prod-mydomain-com")[0]["backendRefs"] == [
        {"group": "vendor.example.com", "kind": "StorageBucket", "name": "canary", "weight": 20},
        {"group": "vendor.example.com", "kind": "StorageBucket", "name": "production", "weight": 80}]


def test_canary_only_touches_the_rules_it_shares() -> None:
    """Provider test "multiple rules with canary": the canary of bar.example.com weights that host's
    rule (70/30) and leaves foo.example.com's rules alone."""
    conv = convert([
        ingress("example-ingress", [("foo.example.com", "/", "Prefix", "foo-app:80"),
                                    ("foo.example.com", "/orders", "Prefix", "foo-orders-app:80"),
                                    ("bar.example.com", "/", "Prefix", "bar-app:80")]),
        ingress("example-ingress-canary", [("bar.example.com", "/", "Prefix", "bar-app-canary:80")],
                {"nginx.ingress.kubernetes.io/canary": "true", "nginx.ingress.kubernetes.io/canary-weight": "30"})])
    assert rules(conv, "example-ingress-bar-example-com")[0]["backendRefs"] == [
        {"name": "bar-app", "port": 80, "weight": 70}, {"name": "bar-app-canary", "port": 80, "weight": 30}]
    assert all("weight" not in ref for rule in rules(conv, "example-ingress-foo-example-com")
               for ref in rule["backendRefs"])


def test_canary_with_the_same_service_in_different_rules() -> None:
    """Provider test "canary with same service in different rules - based on bad.yaml": weights come
    from which Ingress a backend came from, per rule, whatever the Service."""
    conv = convert([
        ingress("production-ingress", [("api.example.com", "/api", "Prefix", "api-service-v1:80"),
                                       ("api.example.com", "/admin", "Prefix", "admin-service:80")]),
        ingress("canary-ingress", [("api.example.com", "/api", "Prefix", "api-service-v2:80"),
                                   ("api.example.com", "/admin", "Prefix", "api-service-v1:80")],
                {"nginx.ingress.kubernetes.io/canary": "true", "nginx.ingress.kubernetes.io/canary-weight": "10"})])
    assert [r["backendRefs"] for r in rules(conv, "canary-ingress-api-example-com")] == [
        [{"name": "api-service-v2", "port": 80, "weight": 10}, {"name": "api-service-v1", "port": 80, "weight": 90}],
        [{"name": "api-service-v1", "port": 80, "weight": 10}, {"name": "admin-service", "port": 80, "weight": 90}]]


def test_canary_by_header_adds_header_rules() -> None:
    """``canary-by-header`` without a value: requests with the header ``always`` go to the canary,
    ``never`` to the main backend, the rest to the main backend alone (the canary leaves the rule)."""
    conv = convert(canary_pair({"nginx.ingress.kubernetes.io/canary-by-header": "X-Canary"}))
    assert rules(conv, "canary-echo-prod-mydomain-com") == [
        {"matches": prefix("/"), "backendRefs": [{"name": "production", "port": 80}]},
        {"matches": [{"headers": [{"name": "X-Canary", "value": "always"}], "path": {"type": "PathPrefix", "value": "/"}}],
         "backendRefs": [{"name": "canary", "port": 80}]},
        {"matches": [{"headers": [{"name": "X-Canary", "value": "never"}], "path": {"type": "PathPrefix", "value": "/"}}],
         "backendRefs": [{"name": "production", "port": 80}]}]


def test_canary_by_header_value_and_weight_combined() -> None:
    """Header value and weight: the header's value picks the canary, and the others are split by weight."""
    conv = convert(canary_pair({"nginx.ingress.kubernetes.io/canary-by-header": "X-Canary",
                                "nginx.ingress.kubernetes.io/canary-by-header-value": "yes",
                                "nginx.ingress.kubernetes.io/canary-weight": "25"}))
    assert rules(conv, "canary-echo-prod-mydomain-com") == [
        {"matches": prefix("/"), "backendRefs": [{"name": "canary", "port": 80, "weight": 25},
                                                 {"name": "production", "port": 80, "weight": 75}]},
        {"matches": [{"headers": [{"name": "X-Canary", "value": "yes"}], "path": {"type": "PathPrefix", "value": "/"}}],
         "backendRefs": [{"name": "canary", "port": 80}]}]


@pytest.mark.parametrize(("annotations", "weights", "notes"), [
    ({"nginx.ingress.kubernetes.io/canary-weight": "abc"}, (0, 100),
     ['Invalid canary-weight annotation "abc", defaulting to 0: strconv.ParseInt: parsing "abc": invalid syntax']),
    ({"nginx.ingress.kubernetes.io/canary-weight": "-5"}, (0, 100), ["Negative canary-weight -5, defaulting to 0"]),
    ({"nginx.ingress.kubernetes.io/canary-weight": "150"}, (100, 0),
     ["Canary-weight (150) exceeding canary-weight-total (100), capping weight to 100"]),
    ({"nginx.ingress.kubernetes.io/canary-weight": "5", "nginx.ingress.kubernetes.io/canary-weight-total": "x"}, (5, 95),
     ['Invalid canary-weight-total annotation "x", defaulting to 100: strconv.ParseInt: parsing "x": invalid syntax',
      "Non-positive canary-weight-total 0, defaulting to 100"]),
    ({"nginx.ingress.kubernetes.io/canary-weight": "5", "nginx.ingress.kubernetes.io/canary-weight-total": "0"}, (5, 95),
     ["Non-positive canary-weight-total 0, defaulting to 100"]),
])
def test_bad_canary_weights_fall_back_with_an_error_notification(annotations: dict[str, str], weights: tuple[int, int],
                                                                  notes: list[str]) -> None:
    """Provider tests "invalid non-integer weight defaults to 0", "negative weight defaults to 0",
    "weight exceeding total is capped", "invalid weight total string defaults to 100" (which reports
    twice, as the tool checks the zero it parsed), "zero weight total defaults to 100"."""
    conv = convert(canary_pair(annotations))
    refs = rules(conv, "canary-echo-prod-mydomain-com")[0]["backendRefs"]
    assert (refs[0]["weight"], refs[1]["weight"]) == weights
    errors = [(t, m, o) for t, m, o in messages(conv) if t == "ERROR"]
    assert errors == [("ERROR", n, ("Ingress: default/canary",)) for n in notes]


def test_unsupported_canary_matchers_are_reported() -> None:
    """``canary-by-header-pattern`` and ``canary-by-cookie`` are not converted: a WARN each."""
    conv = convert(canary_pair({"nginx.ingress.kubernetes.io/canary-by-cookie": "beta"}))
    assert ("WARNING", "ingress default/canary uses unsupported annotation nginx.ingress.kubernetes.io/canary-by-cookie",
            ("Ingress: default/canary",)) in messages(conv)


def test_two_plain_ingresses_on_one_path_fail_the_conversion() -> None:
    """The canary parser allows one non-canary backend per rule, canary or not: two Ingresses with
    the same host and path fail the run with the tool's field error."""
    with pytest.raises(ConversionError) as err:
        convert([ingress("a", [("h.example", "/", "Prefix", "one:80")]),
                 ingress("b", [("h.example", "/", "Prefix", "two:80")])])
    assert err.value.errors == ['httproute.a-h-example.spec.rules[0].backendRefs: Invalid value: '
                                '"multiple non-canary backends": at most one non-canary backend is allowed per rule '
                                'when using canary']


# ------------------------------------------------------------------------- regex and rewrite-target

def test_use_regex_makes_every_path_of_the_host_a_case_insensitive_regex() -> None:
    """e2e "host-level matching": ``use-regex`` on one Ingress turns the paths of every Ingress of
    that host into ``(?i)<path>.*`` RegularExpression matches, with an INFO naming the route."""
    conv = convert([ingress("a-regex", [("h.example", "/api/[0-9]+", "ImplementationSpecific", "api:80")],
                            {"nginx.ingress.kubernetes.io/use-regex": "true"}),
                    ingress("b-plain", [("h.example", "/web", "Prefix", "web:80")])])
    assert [r["matches"] for r in rules(conv, "a-regex-h-example")] == [
        [{"path": {"type": "RegularExpression", "value": "(?i)/api/[0-9]+.*"}}],
        [{"path": {"type": "RegularExpression", "value": "(?i)/web.*"}}]]
    assert ("INFO", "Using case-insensitive regex path matches. You may want to change this.",
            ("HTTPRoute: default/a-regex-h-example",)) in messages(conv)


def test_rewrite_target_is_a_full_path_rewrite_and_implies_regex() -> None:
    """e2e "rewrite-target implies host-level matching": the path becomes a regex, and the rule gets
    a URLRewrite ReplaceFullPath filter (``x-forwarded-prefix``: a header set beside it)."""
    conv = convert([ingress("rw", [("h.example", "/api", "Prefix", "api:80")],
                            {"nginx.ingress.kubernetes.io/rewrite-target": "/",
                             "nginx.ingress.kubernetes.io/x-forwarded-prefix": "/api"})])
    assert rules(conv, "rw-h-example") == [{
        "backendRefs": [{"name": "api", "port": 80}],
        "filters": [{"type": "URLRewrite", "urlRewrite": {"path": {"type": "ReplaceFullPath", "replaceFullPath": "/"}}},
                    {"type": "RequestHeaderModifier",
                     "requestHeaderModifier": {"set": [{"name": "X-Forwarded-Prefix", "value": "/api"}]}}],
        "matches": [{"path": {"type": "RegularExpression", "value": "(?i)/api.*"}}]}]


def test_rewrite_target_capture_groups_as_the_tool_detects_them() -> None:
    """The tool looks for ``\\$`` (a backslash and a dollar, as in its test
    ``TestApplyRewriteTargetToEmitterIR_SetsRewriteHeadersAndRegex``): ``/\\$1`` is not converted
    and warned about; ``/$2``, the ingress-nginx documentation's form, is written as the literal full
    path ``/$2``."""
    escaped = convert([ingress("rw", [("h.example", "/api(/|$)(.*)", "ImplementationSpecific", "api:80")],
                               {"nginx.ingress.kubernetes.io/rewrite-target": "/rewritten/\\$1",
                                "nginx.ingress.kubernetes.io/use-regex": "true"})])
    assert "filters" not in rules(escaped, "rw-h-example")[0]
    emitter = [(n.type, n.message, n.objects) for n in escaped.notifications if n.source == "standard_emitter"]
    assert emitter[0] == ("WARNING", 'Failed to apply metadata.annotations."nginx.ingress.kubernetes.io/rewrite-target" '
                          "from rewrite-target from Ingress default/rw: Path rewrites with capture group references "
                          "are not supported", ("HTTPRoute: default/rw-h-example",))
    plain = convert([ingress("rw", [("h.example", "/api(/|$)(.*)", "ImplementationSpecific", "api:80")],
                             {"nginx.ingress.kubernetes.io/rewrite-target": "/$2",
                              "nginx.ingress.kubernetes.io/use-regex": "true"})])
    assert rules(plain, "rw-h-example")[0]["filters"] == [
        {"type": "URLRewrite", "urlRewrite": {"path": {"type": "ReplaceFullPath", "replaceFullPath": "/$2"}}}]


def test_rewrite_target_of_a_canary_is_ignored() -> None:
    """``TestApplyRewriteTargetToEmitterIR_PrefersNonCanaryIngressSource``: the rule's annotations
    are read from its non-canary Ingress."""
    conv = convert([ingress("main", [("h.example", "/", "Prefix", "main:80")],
                            {"nginx.ingress.kubernetes.io/rewrite-target": "/good"}),
                    ingress("zcanary", [("h.example", "/", "Prefix", "canary:80")],
                            {"nginx.ingress.kubernetes.io/canary": "true",
                             "nginx.ingress.kubernetes.io/rewrite-target": "/bad"})])
    assert rules(conv, "main-h-example")[0]["filters"][0]["urlRewrite"]["path"]["replaceFullPath"] == "/good"


# ------------------------------------------------------------------------- app-root and redirects

APP_ROOT_REDIRECT = {"type": "RequestRedirect", "requestRedirect": {
    "path": {"type": "ReplaceFullPath", "replaceFullPath": "/app1"}, "statusCode": 302}}


def test_app_root_redirects_the_root_with_302() -> None:
    """e2e "root path redirects to app-root": beside a PathPrefix ``/`` rule, an Exact ``/`` rule
    redirects to the app root."""
    conv = convert([ingress("approot", [("h.example", "/", "Prefix", "web:80")],
                            {"nginx.ingress.kubernetes.io/app-root": "/app1"})])
    assert rules(conv, "approot-h-example") == [
        {"backendRefs": [{"name": "web", "port": 80}], "matches": prefix("/")},
        {"filters": [APP_ROOT_REDIRECT], "matches": [{"path": {"type": "Exact", "value": "/"}}]}]


def test_app_root_on_an_exact_root_rule_replaces_its_backends() -> None:
    """e2e "exact root path redirects to app-root": the Exact ``/`` rule itself redirects."""
    conv = convert([ingress("approot", [("h.example", "/", "Exact", "web:80")],
                            {"nginx.ingress.kubernetes.io/app-root": "/app1"})])
    assert rules(conv, "approot-h-example") == [
        {"filters": [APP_ROOT_REDIRECT], "matches": [{"path": {"type": "Exact", "value": "/"}}]}]


def test_absolute_app_root_is_ignored_with_a_warning() -> None:
    """e2e "absolute URL app-root is ignored": a WARN without an object, no redirect."""
    conv = convert([ingress("approot", [("h.example", "/", "Prefix", "web:80")],
                            {"nginx.ingress.kubernetes.io/app-root": "https://other.example/app"})])
    assert len(rules(conv, "approot-h-example")) == 1
    assert ("WARNING", 'Ignoring app-root annotation with absolute URL "https://other.example/app" (not supported)',
            ()) in messages(conv)


@pytest.mark.parametrize(("annotations", "redirect"), [
    ({"nginx.ingress.kubernetes.io/permanent-redirect": "https://example.com/new"},
     {"hostname": "example.com", "path": {"type": "ReplaceFullPath", "replaceFullPath": "/new"}, "scheme": "https",
      "statusCode": 301}),
    ({"nginx.ingress.kubernetes.io/temporal-redirect": "https://example.com:8443",
      "nginx.ingress.kubernetes.io/temporal-redirect-code": "307"},
     {"hostname": "example.com", "path": {"type": "ReplaceFullPath", "replaceFullPath": "/"}, "port": 8443,
      "scheme": "https", "statusCode": 307}),
])
def test_permanent_and_temporal_redirects(annotations: dict[str, str], redirect: dict) -> None:
    """Provider tests "permanent-redirect annotation", "temporal-redirect annotation" and e2e
    "redirect with port": a RequestRedirect in place of the backends (no path: ``/``)."""
    conv = convert([ingress("r", [("h.example", "/", "Prefix", "web:80")], annotations)])
    assert rules(conv, "r-h-example") == [
        {"filters": [{"type": "RequestRedirect", "requestRedirect": redirect}], "matches": prefix("/")}]


def test_redirect_hostname_is_kept_as_written() -> None:
    """Go's ``URL.Hostname()`` does not lowercase: the redirect keeps ``Example.com`` as written."""
    conv = convert([ingress("r", [("h.example", "/", "Prefix", "web:80")],
                            {"nginx.ingress.kubernetes.io/permanent-redirect": "http://Example.com"})])
    assert rules(conv, "r-h-example")[0]["filters"][0]["requestRedirect"]["hostname"] == "Example.com"


def test_trailing_slash_path_gets_a_redirect_from_the_bare_path() -> None:
    """NGINX redirects ``/docs`` to ``/docs/`` (301) when only ``location /docs/`` exists."""
    conv = convert([ingress("d", [("h.example", "/docs/", "Prefix", "docs:80")])])
    assert rules(conv, "d-h-example")[1] == {
        "filters": [{"type": "RequestRedirect", "requestRedirect": {
            "path": {"type": "ReplaceFullPath", "replaceFullPath": "/docs/"}, "statusCode": 301}}],
        "matches": [{"path": {"type": "Exact", "value": "/docs"}}]}


def _rules(*paths: tuple[str, str]) -> list[dict]:
    return [{"matches": [{"path": {"type": t, "value": v}}]} for t, v in paths]


@pytest.mark.parametrize(("rules_in", "sources"), [
    (_rules(("PathPrefix", "/foo/")), ["/foo"]),
    ([{"matches": [{"path": {"type": "Exact", "value": "/foo"}}, {"path": {"type": "PathPrefix", "value": "/foo/"}}]}], []),
    ([{"matches": [{"path": {"type": "PathPrefix", "value": "/foo"}}, {"path": {"type": "PathPrefix", "value": "/foo/"}}]}], []),
    (_rules(("PathPrefix", "/a"), ("Exact", "/a/b/c/")), []),
    (_rules(("PathPrefix", "/"), ("PathPrefix", "/xyz/")), []),
    (_rules(("PathPrefix", "/ab"), ("Exact", "/a/b/c/")), ["/a/b/c"]),
    (_rules(("PathPrefix", "/")), []),
    (_rules(("PathPrefix", "/foo")), []),
    (_rules(("PathPrefix", "/foo/"), ("Exact", "/foo/")), ["/foo"]),
])
def test_trailing_slash_rules_table(rules_in: list[dict], sources: list[str]) -> None:
    """``TestBuildTrailingSlashRedirectRules``: a redirect only where no rule (or covering prefix,
    by segments) routes the bare path already, once per path; never for ``/``."""
    got = trailing_slash_rules(rules_in)
    assert [r["matches"][0]["path"]["value"] for r in got] == sources


def test_upstream_vhost_sets_the_host_header() -> None:
    """``upstream-vhost``: a RequestHeaderModifier setting ``Host``."""
    conv = convert([ingress("v", [("h.example", "/", "Prefix", "web:80")],
                            {"nginx.ingress.kubernetes.io/upstream-vhost": "internal.example"})])
    assert rules(conv, "v-h-example")[0]["filters"] == [
        {"type": "RequestHeaderModifier", "requestHeaderModifier": {"set": [{"name": "Host", "value": "internal.example"}]}}]


def test_annotations_kitlib_does_not_emulate_say_so() -> None:
    """Annotations the tool converts but kitlib does not (CORS, timeouts, ...) raise
    NotImplementedError instead of a silently different output."""
    with pytest.raises(NotImplementedError, match="enable-cors"):
        convert([ingress("c", [("h.example", "/", "Prefix", "web:80")], {"nginx.ingress.kubernetes.io/enable-cors": "true"})])


def test_output_yaml_documents_are_api_shaped() -> None:
    """The printed documents read back as the dicts: Gateway API v1 objects, camelCase fields."""
    conv = convert([ingress("demo", [("demo.example", "/", "Prefix", "web:80")], tls=[{"secretName": "demo-tls"}])])
    assert list(yaml.safe_load_all(conv.yaml())) == conv.objects
    assert {o["apiVersion"] for o in conv.objects} == {"gateway.networking.k8s.io/v1"}
