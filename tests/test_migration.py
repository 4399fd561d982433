"""Migrating lesson 06's Ingresses to the Gateway API with ingress2gateway, end to end.

What ``ingress2gateway print --providers=ingress-nginx`` writes is meant to be applied as it is
(after pointing its GatewayClass, named after the ingress class, at a Gateway API controller):
the API server accepts it under the v1.6.1 CRDs' schemas, Envoy Gateway programs it, and the
same requests reach the same backends as through ingress-nginx.
"""

from __future__ import annotations

import pytest

import kitlib
from kitlib.api.gateway import Gateway, HTTPRoute
from kitlib.tools import ingress2gateway

REQUESTS = [("demo.example", "/api"), ("demo.example", "/api/orders"), ("demo.example", "/apiary"),
            ("demo.example", "/"), ("demo.example", "/cart"), ("docs.example", "/"),
            ("docs.example", "/guide/intro")]

NGINX_CLASS_FOR_ENVOY = """\
apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata:
  name: nginx
spec:
  controllerName: gateway.envoyproxy.io/gatewayclass-controller
"""


@pytest.fixture(scope="module")
def migrated() -> tuple[kitlib.Cluster, str]:
    """Lesson 06's apps and its fan-out and virtual-host Ingresses, then the converted objects applied."""
    c = kitlib.Cluster(nodes=2, seed=0)
    c.enable_addon("ingress")
    c.enable_addon("metallb", addresses="192.168.49.200-192.168.49.250")
    c.enable_addon("gateway")
    for name in ("web", "api", "docs"):
        c.kubectl(f"create deployment {name} --image=hashicorp/http-echo -- /http-echo -text={name}")
        c.kubectl(f"expose deployment {name} --port=80 --target-port=5678")
    c.kubectl("create ingress demo --rule='demo.example/api*=api:80' --rule='demo.example/*=web:80'")
    c.kubectl("create ingress docs --rule='docs.example/*=docs:80'")
    c.advance(30)
    printed = str(ingress2gateway.run(c, "print --providers=ingress-nginx"))
    c.apply(NGINX_CLASS_FOR_ENVOY)
    c.apply(printed)
    c.advance(30)
    return c, printed


def test_the_converted_objects_are_accepted_and_programmed(migrated: tuple[kitlib.Cluster, str]) -> None:
    """The API server validates the converted objects against the CRDs' schemas and CEL rules
    (applying them did not fail); Envoy Gateway then programs the Gateway and accepts both routes."""
    c, printed = migrated
    gw = c.get("Gateway", "nginx")
    assert isinstance(gw, Gateway)
    assert {(x.type, x.status) for x in gw.status.conditions} >= {("Accepted", "True"), ("Programmed", "True")}
    assert [a.value for a in gw.status.addresses] == ["192.168.49.200"]
    for name in ("demo-demo-example", "docs-docs-example"):
        route = c.get("HTTPRoute", name)
        assert isinstance(route, HTTPRoute)
        [parent] = route.status.parents
        assert {(x.type, x.status) for x in parent.conditions} == {("Accepted", "True"), ("ResolvedRefs", "True")}
    assert "kind: Gateway" in printed and printed.count("kind: HTTPRoute") == 2


@pytest.mark.parametrize(("host", "path"), REQUESTS)
def test_the_same_requests_reach_the_same_backends(migrated: tuple[kitlib.Cluster, str], host: str,
                                                   path: str) -> None:
    """A request sent to ingress-nginx (the node's IP, the name in the Host header) and the same
    request sent to the Gateway's address reach the same Service and answer the same body."""
    c, _ = migrated
    gateway_ip = c.get("Gateway", "nginx").status.addresses[0].value
    via_ingress = c.http(f"http://192.168.49.2{path}", headers={"Host": host})
    via_gateway = c.http(f"http://{gateway_ip}{path}", headers={"Host": host})
    assert via_ingress.ingress is not None and via_gateway.gateway is not None
    assert (via_gateway.status, via_gateway.service, via_gateway.body) == \
        (via_ingress.status, via_ingress.service, via_ingress.body) != (None, None, None)
    assert via_gateway.status == 200


def test_a_name_neither_serves_gets_each_proxys_own_404(migrated: tuple[kitlib.Cluster, str]) -> None:
    """No rule for the host: ingress-nginx answers its default backend's 404 page, Envoy an empty 404."""
    c, _ = migrated
    gateway_ip = c.get("Gateway", "nginx").status.addresses[0].value
    via_ingress = c.http("http://192.168.49.2/", headers={"Host": "nobody.example"})
    via_gateway = c.http(f"http://{gateway_ip}/", headers={"Host": "nobody.example"})
    assert (via_ingress.status, via_gateway.status) == (404, 404)
    assert "nginx" in via_ingress.body and via_gateway.body == ""


def _schema(node: object) -> object:
    """A CRD's structural schema as plain JSON Schema: the ``x-`` keywords and ``default`` dropped,
    unknown properties refused (as the API server's strict decoding and pruning do)."""
    if isinstance(node, list):
        return [_schema(v) for v in node]
    if not isinstance(node, dict):
        return node
    out = {k: _schema(v) for k, v in node.items() if not k.startswith("x-") and k != "default"}
    if "properties" in node and node.get("type") == "object":
        out["additionalProperties"] = False
    return out


def test_every_exported_object_validates_against_its_schema(migrated: tuple[kitlib.Cluster, str]) -> None:
    """Everything the add-ons and the migration left in the cluster, exported with its status, is
    valid: the Gateway API objects against the v1.6.1 CRDs' schemas (jsonschema, an independent
    validator; status as Envoy Gateway wrote it included), the built-in ones (the add-ons'
    Deployments, Services, pods, the Ingresses, IngressClass, ConfigMaps) against Kubernetes
    1.37's strict schemas (kubernetes-validate)."""
    jsonschema = pytest.importorskip("jsonschema")
    kubernetes_validate = pytest.importorskip("kubernetes_validate")
    c, _ = migrated
    custom = 0
    for kind in ("GatewayClass", "Gateway", "HTTPRoute"):
        schema = _schema(c.api.custom[kind].schema)
        assert isinstance(schema, dict)
        schema["properties"].pop("metadata")
        for obj in c.list(kind, namespace=None):
            body = obj.to_dict()
            body.pop("metadata")
            assert body.get("status"), f"{kind} {obj.name} has no status to check"
            jsonschema.validate(body, schema)
            custom += 1
    assert custom == 2 + 1 + 2  # GatewayClasses eg and nginx, Gateway nginx, two HTTPRoutes
    built_in = 0
    for kind in ("Deployment", "Service", "Pod", "Ingress", "IngressClass", "ConfigMap"):
        for obj in c.list(kind, namespace=None):
            kubernetes_validate.validate(obj.to_dict(), "1.37.0", strict=True)
            built_in += 1
    assert built_in > 20
