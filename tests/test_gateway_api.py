"""The Gateway API as a v1.37 API server serves it from the v1.6.1 standard-channel CRDs: served
only once the CRDs exist (per cluster), defaulted and validated by the CRDs' structural schemas
and CEL rules in the API server's words, and printed by kubectl from the CRDs' columns."""

from __future__ import annotations

import copy
import glob
from pathlib import Path

import pytest
import yaml

import kitlib
from kitlib.api import cel, schema
from kitlib.api.crds import GATEWAY_API_VERSION, gateway_api_documents, standard_install_documents
from kitlib.api.gateway import Gateway
from kitlib.api.meta import Condition

DATA = Path(__file__).parent / "data" / "gateway-api-v1.6.1"

GATEWAY = """apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata:
  name: eg
spec:
  gatewayClassName: eg
  listeners:
  - name: http
    protocol: HTTP
    port: 80
"""
ROUTE = """apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata:
  name: web
spec:
  parentRefs:
  - name: eg
  hostnames: ["www.example.com"]
  rules:
  - backendRefs:
    - name: web
      port: 80
"""


def heredoc(text: str) -> str:
    return f"apply -f - <<EOF\n{text}EOF"


@pytest.fixture
def gw() -> kitlib.Cluster:
    """A one-node cluster with the Gateway API's standard-channel CRDs installed."""
    cluster = kitlib.Cluster(nodes=1, seed=0)
    cluster.apply(gateway_api_documents())
    return cluster


def refusal(cluster: kitlib.Cluster, manifest: str | dict) -> str:
    with pytest.raises(kitlib.ApiError) as err:
        cluster.apply(manifest)
    return str(err.value)


def route(**spec: object) -> dict:
    doc = yaml.safe_load(ROUTE)
    doc["spec"].update(spec)
    return doc


def gateway(*listeners: dict, **spec: object) -> dict:
    doc = yaml.safe_load(GATEWAY)
    if listeners:
        doc["spec"]["listeners"] = list(listeners)
    doc["spec"].update(spec)
    return doc


# ------------------------------------------------------------------------------- the vendored CRDs


def test_the_vendored_install_is_the_v1_6_1_standard_channel():
    """``standard-install.yaml`` of v1.6.1: ten CRDs of the standard channel and the safe-upgrades
    admission policy, each annotated with its bundle version and channel."""
    docs = standard_install_documents()
    crds = gateway_api_documents()
    assert GATEWAY_API_VERSION == "v1.6.1"
    assert [d["metadata"]["name"].split(".")[0] for d in crds] == [
        "backendtlspolicies", "gatewayclasses", "gateways", "grpcroutes", "httproutes", "listenersets",
        "referencegrants", "tcproutes", "tlsroutes", "udproutes"]
    assert [d["kind"] for d in docs if d["kind"] != "CustomResourceDefinition"] == [
        "ValidatingAdmissionPolicy", "ValidatingAdmissionPolicyBinding"]
    for d in docs:
        assert d["metadata"]["annotations"]["gateway.networking.k8s.io/bundle-version"] == "v1.6.1"
        assert d["metadata"]["annotations"]["gateway.networking.k8s.io/channel"] == "standard"


# ------------------------------------------------------------------------------- serving


def test_before_the_crds_kubectl_knows_no_gateways():
    """Without the CRDs the server has no such resource type: ``kubectl get`` says so, and
    ``kubectl apply`` cannot map the kind (and suggests installing the CRDs)."""
    cluster = kitlib.Cluster(nodes=1, seed=0)
    with pytest.raises(kitlib.ApiError) as err:
        cluster.kubectl("get gateways")
    assert err.value.kubectl_text() == 'error: the server doesn\'t have a resource type "gateways"'
    with pytest.raises(kitlib.ApiError) as err:
        cluster.kubectl(heredoc(GATEWAY))
    assert err.value.kubectl_text() == (
        'error: resource mapping not found for name: "eg" namespace: "" from "STDIN": no matches for kind '
        '"Gateway" in version "gateway.networking.k8s.io/v1"\nensure CRDs are installed first')


def test_crds_serve_their_kinds_in_their_cluster_only(gw):
    """A CRD is an object of one cluster: another cluster (same process) still serves no Gateways."""
    gw.apply(GATEWAY)
    assert gw.kubectl("get gateways") == "NAME   CLASS   ADDRESS   PROGRAMMED   AGE\neg     eg      <none>    Unknown      0s"
    other = kitlib.Cluster(nodes=1, seed=0)
    with pytest.raises(kitlib.ApiError, match='the server doesn\'t have a resource type "gtw"'):
        other.kubectl("get gtw")
    with pytest.raises(kitlib.ApiError, match='no matches for kind "Gateway"'):
        other.apply(GATEWAY)


def test_kubectl_get_crd_prints_name_and_created_at(gw):
    """The server's default table for CRDs: NAME and CREATED AT (RFC 3339)."""
    lines = gw.kubectl("get crd").splitlines()
    assert lines[0] == "NAME                                           CREATED AT"
    assert lines[3] == "gateways.gateway.networking.k8s.io             2026-01-01T00:00:00Z"
    assert len(lines) == 11
    assert gw.kubectl("get crds gateways.gateway.networking.k8s.io -o name") == \
        "customresourcedefinition.apiextensions.k8s.io/gateways.gateway.networking.k8s.io"


def test_a_stored_crd_is_established(gw):
    """The definition's status: its accepted names, Established and NamesAccepted, its storage version."""
    crd = gw.get("CustomResourceDefinition", "referencegrants.gateway.networking.k8s.io")
    assert [(c.type, c.status) for c in crd.status.conditions] == [("NamesAccepted", "True"), ("Established", "True")]
    assert crd.status.accepted_names.short_names == ["refgrant"]
    assert crd.status.stored_versions == ["v1beta1"]


def test_deleting_a_crd_deletes_its_objects_and_stops_serving(gw):
    """The CRD's cleanup finalizer deletes every object of the kind; then the type is gone."""
    gw.apply(GATEWAY)
    gw.apply(ROUTE)
    gw.kubectl("delete crd gateways.gateway.networking.k8s.io")
    with pytest.raises(kitlib.ApiError, match='doesn\'t have a resource type "gateway"'):
        gw.kubectl("get gateway")
    assert gw.api.store.items("Gateway") == []
    assert gw.kubectl("get httproutes -o name") == "httproute.gateway.networking.k8s.io/web"
    gw.apply([d for d in gateway_api_documents() if d["spec"]["names"]["kind"] == "Gateway"])
    assert gw.kubectl("get gateways") == "No resources found in default namespace."


GRPC_ROUTE = {"apiVersion": "gateway.networking.k8s.io/v1", "kind": "GRPCRoute", "metadata": {"name": "g"},
              "spec": {"parentRefs": [{"name": "eg"}],
                       "rules": [{"matches": [{"method": {"service": "com.example.User", "method": "Login"}}],
                                  "backendRefs": [{"name": "grpc", "port": 50051}]}]}}


def test_kinds_kitlib_does_not_model_are_served_generically(gw):
    """GRPCRoute has no dataclass in kitlib: its CRD still serves it, with its schema's defaults
    and errors and its printer columns, and only in the cluster that has the CRD."""
    assert gw.kubectl("get grpcroutes") == "No resources found in default namespace."
    gw.apply(GRPC_ROUTE)
    assert gw.kubectl("get grpcroutes") == "NAME   HOSTNAMES   AGE\ng      <none>      0s"
    spec = gw.get("GRPCRoute", "g").to_dict()["spec"]
    assert spec["rules"][0]["matches"][0]["method"]["type"] == "Exact"
    assert spec["rules"][0]["backendRefs"][0]["weight"] == 1
    bad = copy.deepcopy(GRPC_ROUTE)
    bad["spec"]["rules"][0]["backendRefs"][0]["port"] = 0
    assert "spec.rules[0].backendRefs[0].port: Invalid value: 0" in refusal(gw, bad)
    other = kitlib.Cluster(nodes=1, seed=0)
    with pytest.raises(kitlib.ApiError, match='no matches for kind "GRPCRoute"'):
        other.apply(GRPC_ROUTE)
    gw.kubectl("delete crd grpcroutes.gateway.networking.k8s.io")
    with pytest.raises(kitlib.ApiError, match='doesn\'t have a resource type "grpcroutes"'):
        gw.kubectl("get grpcroutes")


# ------------------------------------------------------------------------------- defaults


def test_gateway_defaults_listener_allowed_routes_and_pending_conditions(gw):
    """``allowedRoutes`` defaults to routes from the Gateway's namespace; the status schema's
    default is the two conditions "Waiting for controller" (Unknown, Pending, at time 0)."""
    gw.apply(GATEWAY)
    obj = gw.get("Gateway", "eg").to_dict()
    assert obj["spec"]["listeners"][0]["allowedRoutes"] == {"namespaces": {"from": "Same"}}
    assert obj["status"]["conditions"] == [
        {"lastTransitionTime": "1970-01-01T00:00:00Z", "message": "Waiting for controller", "reason": "Pending",
         "status": "Unknown", "type": t} for t in ("Accepted", "Programmed")]
    assert obj["metadata"]["generation"] == 1


def test_httproute_defaults_match_weight_group_and_kind(gw):
    """A rule without matches matches every path (``PathPrefix /``); a backendRef is a core
    Service of weight 1; a parentRef is a Gateway."""
    gw.apply(ROUTE)
    spec = gw.get("HTTPRoute", "web").to_dict()["spec"]
    assert spec["rules"] == [{"backendRefs": [{"group": "", "kind": "Service", "name": "web", "port": 80, "weight": 1}],
                              "matches": [{"path": {"type": "PathPrefix", "value": "/"}}]}]
    assert spec["parentRefs"] == [{"group": "gateway.networking.k8s.io", "kind": "Gateway", "name": "eg"}]


def test_a_status_sent_on_create_is_dropped(gw):
    """With the status subresource, a create cannot set the status."""
    doc = yaml.safe_load(GATEWAY)
    doc["status"] = {"addresses": [{"type": "IPAddress", "value": "1.2.3.4"}]}
    gw.apply(doc)
    assert gw.get("Gateway", "eg").status.addresses == []


# ------------------------------------------------------------------------------- schema errors


def test_schema_value_errors_in_the_api_servers_words(gw):
    """kube-openapi's messages: a minimum, a pattern, a length; the CEL rules still run."""
    assert refusal(gw, gateway({"name": "http", "protocol": "HTTP", "port": 0})) == (
        'Gateway.gateway.networking.k8s.io "eg" is invalid: spec.listeners[0].port: Invalid value: 0: '
        "spec.listeners[0].port in body should be greater than or equal to 1")
    assert refusal(gw, gateway({"name": "Web", "protocol": "HTTP", "port": 80})) == (
        'Gateway.gateway.networking.k8s.io "eg" is invalid: spec.listeners[0].name: Invalid value: "Web": '
        "spec.listeners[0].name in body should match "
        "'^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$'")


def test_blocking_errors_skip_the_cel_rules(gw):
    """Unsupported, Required, Too long and Too many errors stop the CEL rules: the list ends with
    the note that some rules were not checked."""
    note = ('<nil>: Invalid value: "null": some validation rules were not checked because the object was '
            "invalid; correct the existing errors to complete validation")
    bad_method = route(rules=[{"matches": [{"method": "FETCH"}], "backendRefs": [{"name": "web", "port": 80}]}])
    assert refusal(gw, bad_method).endswith(
        'spec.rules[0].matches[0].method: Unsupported value: "FETCH": supported values: "GET", "HEAD", "POST", '
        f'"PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH", {note}]')
    doc = gateway()
    del doc["spec"]["gatewayClassName"]
    assert refusal(gw, doc) == f'Gateway.gateway.networking.k8s.io "eg" is invalid: [spec.gatewayClassName: Required value, {note}]'
    many = route(hostnames=[f"h{i}.example.com" for i in range(17)])
    assert f"spec.hostnames: Too many: 17: must have at most 16 items, {note}" in refusal(gw, many)
    long_name = route(parentRefs=[{"name": "x" * 254}])
    assert f"spec.parentRefs[0].name: Too long: may not be more than 253 bytes, {note}" in refusal(gw, long_name)


def test_type_errors_are_the_decoders(gw):
    """A value of the wrong JSON type is refused while decoding, before any schema check."""
    with pytest.raises(kitlib.ApiError, match="cannot be handled as a Gateway"):
        gw.apply(gateway({"name": "http", "protocol": "HTTP", "port": "eighty"}))


def test_list_map_and_set_duplicates(gw):
    """``x-kubernetes-list-type: map`` reports the repeated key as Go prints a map; ``set`` the value."""
    twice = gateway({"name": "http", "protocol": "HTTP", "port": 80}, {"name": "http", "protocol": "HTTP", "port": 8080})
    assert refusal(gw, twice) == (
        'Gateway.gateway.networking.k8s.io "eg" is invalid: [spec.listeners[1]: Duplicate value: '
        'map[string]interface {}{"name":"http"}, spec.listeners: Invalid value: "array": '
        "Listener name must be unique within the Gateway]")
    remove = route(rules=[{"filters": [{"type": "RequestHeaderModifier",
                                        "requestHeaderModifier": {"remove": ["x-a", "x-a"]}}],
                           "backendRefs": [{"name": "web", "port": 80}]}])
    assert 'spec.rules[0].filters[0].requestHeaderModifier.remove[1]: Duplicate value: "x-a"' in refusal(gw, remove)


# ------------------------------------------------------------------------------- CEL rules


CEL_CASES = [
    ("RequestRedirect with backendRefs",
     route(rules=[{"filters": [{"type": "RequestRedirect", "requestRedirect": {"scheme": "https"}}],
                   "backendRefs": [{"name": "web", "port": 80}]}]),
     'spec.rules[0]: Invalid value: "object": RequestRedirect filter must not be used together with backendRefs'),
    ("hostname on a TCP listener",
     gateway({"name": "tcp", "protocol": "TCP", "port": 9000, "hostname": "a.example.com"}),
     "spec.listeners: Invalid value: \"array\": hostname must not be specified for protocols ['TCP', 'UDP']"),
    ("two refs to one parent, one without sectionName",
     route(parentRefs=[{"name": "eg", "sectionName": "http"}, {"name": "eg"}]),
     'spec.parentRefs: Invalid value: "array": sectionName must be specified when parentRefs includes 2 or more '
     "references to the same parent"),
    ("a path with //",
     route(rules=[{"matches": [{"path": {"type": "PathPrefix", "value": "/a//b"}}],
                   "backendRefs": [{"name": "web", "port": 80}]}]),
     "spec.rules[0].matches[0].path: Invalid value: \"object\": must not contain '//' when type one of "
     "['Exact', 'PathPrefix']"),
    ("a relative path",
     route(rules=[{"matches": [{"path": {"type": "Exact", "value": "a"}}], "backendRefs": [{"name": "web", "port": 80}]}]),
     "spec.rules[0].matches[0].path: Invalid value: \"object\": value must be an absolute path and start with '/' "
     "when type one of ['Exact', 'PathPrefix']"),
    ("a filter type without its field",
     route(rules=[{"filters": [{"type": "URLRewrite"}], "backendRefs": [{"name": "web", "port": 80}]}]),
     'spec.rules[0].filters[0]: Invalid value: "object": filter.urlRewrite must be specified for URLRewrite filter.type'),
    ("a Service backend without port",
     route(rules=[{"backendRefs": [{"name": "web"}]}]),
     'spec.rules[0].backendRefs[0]: Invalid value: "object": Must have port for Service reference'),
    ("HTTPS without Terminate",
     gateway({"name": "https", "protocol": "HTTPS", "port": 443, "tls": {"mode": "Passthrough"}}),
     'spec.listeners: Invalid value: "array": tls mode must be Terminate for protocol HTTPS'),
]


@pytest.mark.parametrize("manifest,message", [c[1:] for c in CEL_CASES], ids=[c[0] for c in CEL_CASES])
def test_cel_rules_refuse_with_their_messages(gw, manifest, message):
    """A false ``x-kubernetes-validations`` rule: ``<path>: Invalid value: "<type>": <message>``."""
    assert message in refusal(gw, manifest)


def test_transition_rule_keeps_controller_name_immutable(gw):
    """GatewayClass ``spec.controllerName``'s rule ``self == oldSelf`` runs only on updates."""
    gc = {"apiVersion": "gateway.networking.k8s.io/v1", "kind": "GatewayClass", "metadata": {"name": "eg"},
          "spec": {"controllerName": "gateway.envoyproxy.io/gatewayclass-controller"}}
    gw.apply(gc)
    changed = copy.deepcopy(gc)
    changed["spec"]["controllerName"] = "example.com/other"
    assert refusal(gw, changed) == ('GatewayClass.gateway.networking.k8s.io "eg" is invalid: spec.controllerName: '
                                    'Invalid value: "string": Value is immutable')


def test_a_refused_object_changes_nothing(gw, snapshot):
    """Bad input leaves the cluster as it was."""
    gw.apply(GATEWAY)
    before = snapshot(gw)
    refusal(gw, gateway({"name": "http", "protocol": "HTTP", "port": 0}))
    with pytest.raises(kitlib.ApiError):
        gw.kubectl(heredoc(GATEWAY.replace("port: 80", "port: 80\n    foo: 1")))
    assert snapshot(gw) == before


# ------------------------------------------------------------------------------- unknown fields


def test_unknown_fields_strict_by_default_pruned_with_validate_false(gw):
    """kubectl asks for strict field validation: unknown fields are a decoding error; with
    ``--validate=false`` the server prunes them; ``warn`` prints them."""
    text = GATEWAY.replace("  gatewayClassName: eg", "  gatewayClassName: eg\n  foo: 1").replace(
        "    port: 80", "    port: 80\n    bar: 2")
    with pytest.raises(kitlib.ApiError) as err:
        gw.kubectl(heredoc(text))
    assert err.value.kubectl_text() == (
        'Error from server (BadRequest): error when creating "STDIN": Gateway in version "v1" cannot be handled as a '
        'Gateway: strict decoding error: unknown field "spec.foo", unknown field "spec.listeners[0].bar"')
    assert gw.kubectl(f"apply --validate=false -f - <<EOF\n{text}EOF") == "gateway.gateway.networking.k8s.io/eg created"
    assert "foo" not in gw.get("Gateway", "eg").to_dict()["spec"]
    gw.kubectl("delete gateway eg")
    out = gw.kubectl(f"apply --validate=warn -f - <<EOF\n{text.replace('name: eg', 'name: eg2')}EOF")
    assert out == "gateway.gateway.networking.k8s.io/eg2 created"


# ------------------------------------------------------------------------------- status


def test_status_writes_are_validated_against_the_status_schema(gw):
    """A controller's status write goes through the status schema: a condition's reason must
    match its pattern."""
    gw.apply(GATEWAY)
    obj = gw.api.get_as(Gateway, "eg")
    obj.status.conditions = [Condition(type="Accepted", status="True", observed_generation=1,
                                       last_transition_time="2026-01-01T00:00:00Z", reason="not a reason", message="")]
    with pytest.raises(kitlib.Invalid, match=r"status.conditions\[0\].reason: Invalid value: \"not a reason\""):
        gw.api.update_status(obj)
    obj.status.conditions[0].reason = "Accepted"
    gw.api.update_status(obj)
    assert gw.kubectl("get gateway eg").splitlines()[1].split()[3] == "<none>"


# ------------------------------------------------------------------------------- kubectl


def test_kubectl_get_uses_the_printer_columns(gw):
    """Columns from ``additionalPrinterColumns``: a list prints as JSON, a missing value as
    ``<none>``, a date as an age; ``-o wide`` adds the priority-1 columns."""
    gw.apply({"apiVersion": "gateway.networking.k8s.io/v1", "kind": "GatewayClass", "metadata": {"name": "eg"},
              "spec": {"controllerName": "gateway.envoyproxy.io/gatewayclass-controller", "description": "Envoy"}})
    gw.apply(ROUTE)
    gw.advance(90)
    assert gw.kubectl("get gatewayclass") == (
        "NAME   CONTROLLER                                      ACCEPTED   AGE\n"
        "eg     gateway.envoyproxy.io/gatewayclass-controller   Unknown    90s")
    assert gw.kubectl("get gc -o wide").splitlines()[0].split() == ["NAME", "CONTROLLER", "ACCEPTED", "AGE",
                                                                     "DESCRIPTION"]
    assert gw.kubectl("get httproutes") == 'NAME   HOSTNAMES             AGE\nweb    ["www.example.com"]   90s'


def test_kubectl_describe_prints_a_custom_resource_generically(gw):
    """kubectl's generic describer: fields sorted, labels from camelCase, maps indented."""
    gw.apply(GATEWAY)
    out = gw.kubectl("describe gateway eg")
    lines = out.splitlines()
    assert lines[:6] == ["Name:         eg", "Namespace:    default", "Labels:       <none>",
                         "Annotations:  <none>", "API Version:  gateway.networking.k8s.io/v1", "Kind:         Gateway"]
    assert "Spec:\n  Gateway Class Name:  eg\n  Listeners:\n    Allowed Routes:\n      Namespaces:\n" \
           "        From:  Same\n    Name:      http\n    Port:      80\n    Protocol:  HTTP\n" in out
    assert "  Creation Timestamp:  2026-01-01T00:00:00Z\n" in out
    assert lines[-1] == "Events:                    <none>"


def test_kubectl_get_o_yaml_of_a_gateway(gw):
    """``-o yaml`` prints the stored object with its defaults."""
    gw.apply(GATEWAY)
    out = gw.kubectl("get gtw eg -o yaml")
    assert out.startswith("apiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\nmetadata:\n")
    assert "  - allowedRoutes:\n      namespaces:\n        from: Same\n    name: http\n" in out


# ------------------------------------------------------------------------------- the project's examples


def _docs(path: str) -> list[dict]:
    return [d for d in yaml.safe_load_all(Path(path).read_text()) if d]


MODELED = {"Gateway", "GatewayClass", "HTTPRoute", "ReferenceGrant", "GRPCRoute", "TLSRoute", "TCPRoute", "UDPRoute",
           "BackendTLSPolicy", "ListenerSet", "Namespace", "Service", "Deployment", "Secret", "ConfigMap"}


@pytest.mark.parametrize("path", sorted(glob.glob(str(DATA / "invalid" / "*.yaml"))), ids=lambda p: Path(p).stem)
def test_every_invalid_example_of_the_project_is_refused(gw, path):
    """gateway-api's ``hack/invalid-examples/standard``: CI expects the API server to refuse each."""
    docs = _docs(path)
    if not {d["kind"] for d in docs} <= MODELED:
        pytest.skip("a kind kitlib does not serve")
    with pytest.raises(kitlib.ApiError):
        gw.apply(docs)


@pytest.mark.parametrize("path", sorted(glob.glob(str(DATA / "valid" / "*.yaml"))), ids=lambda p: Path(p).stem)
def test_every_valid_example_of_the_project_is_accepted_and_exports_schema_valid(gw, path):
    """gateway-api's ``examples/standard`` are accepted; what kitlib stores validates against
    the CRD's schema (jsonschema, an independent validator)."""
    jsonschema = pytest.importorskip("jsonschema")
    docs = _docs(path)
    if not {d["kind"] for d in docs} <= MODELED:
        pytest.skip("a kind kitlib does not serve")
    namespaces = sorted({d["metadata"].get("namespace") for d in docs} - {None, "default"})
    gw.apply([{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": n}} for n in namespaces
              if not any(d["kind"] == "Namespace" and d["metadata"]["name"] == n for d in docs)] or [])
    gw.apply(docs)
    for d in docs:
        if d["kind"] not in gw.api.custom:
            continue
        stored = gw.get(d["kind"], d["metadata"]["name"], d["metadata"].get("namespace", "default")).to_dict()
        body = {k: v for k, v in stored.items() if k not in ("metadata", "status")}
        jsonschema.validate(body, _plain(gw.api.custom[d["kind"]].schema))


def _plain(node: object) -> object:
    """The schema without ``metadata``'s free-form object, ``status``, ``default`` and the ``x-``
    keywords, refusing unknown properties (as the API server's strict decoding does)."""
    if isinstance(node, list):
        return [_plain(v) for v in node]
    if not isinstance(node, dict):
        return node
    out = {k: _plain(v) for k, v in node.items() if not k.startswith("x-") and k not in ("default", "properties")}
    if "properties" in node:
        out["properties"] = {k: _plain(v) for k, v in node["properties"].items() if k not in ("metadata", "status")}
        if node.get("type") == "object":
            out["additionalProperties"] = False
    return out


# ------------------------------------------------------------------------------- CEL evaluator


def _rules() -> list[str]:
    found: set[str] = set()

    def walk(node: object) -> None:
        if isinstance(node, dict):
            found.update(r["rule"] for r in node.get("x-kubernetes-validations", ()))
            for v in node.values():
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)
    walk(standard_install_documents())
    return sorted(found)


def test_every_rule_of_the_vendored_crds_compiles():
    """kitlib's CEL evaluator parses every rule the standard channel uses (79 distinct rules)."""
    rules = _rules()
    assert len(rules) == 79
    for rule in rules:
        cel.compile_rule(rule)


def _pairs(value: object, node: dict, out: list) -> None:
    if value is None:
        return
    if node.get("x-kubernetes-validations"):
        out.append((node, value))
    if isinstance(value, dict):
        props, extra = node.get("properties", {}), node.get("additionalProperties")
        for key, item in value.items():
            sub = props.get(key, extra if isinstance(extra, dict) else None)
            if sub:
                _pairs(item, sub, out)
    elif isinstance(value, list) and "items" in node:
        for item in value:
            _pairs(item, node["items"], out)


def _gateway_doc(kind: str, spec: dict) -> dict:
    return {"apiVersion": "gateway.networking.k8s.io/v1", "kind": kind, "metadata": {"name": "x"}, "spec": spec}


SYNTHETIC = [
    *(_gateway_doc("HTTPRoute", {"rules": [{"timeouts": t}]}) for t in (
        {"request": "10s", "backendRequest": "20s"}, {"request": "1m", "backendRequest": "500ms"},
        {"request": "0s", "backendRequest": "1h"}, {"request": "1h30m", "backendRequest": "90m"})),
    *(_gateway_doc("HTTPRoute", {"rules": [{"filters": [{"type": "RequestMirror", "requestMirror": {
        "backendRef": {"name": "m", "port": 80}, "fraction": f}}]}]})
      for f in ({"numerator": 5, "denominator": 2}, {"numerator": 1, "denominator": 2}, {"numerator": 3})),
    *(_gateway_doc("Gateway", {"gatewayClassName": "eg", "listeners": [], "infrastructure": {
        "labels": keys, "annotations": keys}}) for keys in (
        {"a.example/b": "x"}, {"bad key!": "y"}, {"x" * 260 + "/y": "z"}, {"-a": "b"})),
    *(_gateway_doc("Gateway", {"gatewayClassName": "eg", "listeners": [], "addresses": [a]}) for a in (
        {"type": "Hostname", "value": "eg.example.com"}, {"type": "Hostname", "value": "Bad_Host"},
        {"type": "IPAddress", "value": "10.0.0.1"})),
    {**_gateway_doc("Gateway", {"gatewayClassName": "eg", "listeners": []}),
     "status": {"addresses": [{"type": "Hostname", "value": "a.example"}, {"type": "Hostname", "value": "BAD"},
                              {"type": "IPAddress", "value": "10.0.0.1"}]}},
    *(_gateway_doc("BackendTLSPolicy", {"targetRefs": [], "validation": {"hostname": "a", "subjectAltNames": [n]}})
      for n in ({"type": "Hostname", "hostname": "a.example"}, {"type": "Hostname"}, {"type": "URI", "uri": "spiffe://a"},
                {"type": "URI", "hostname": "a.example"}, {"type": "Hostname", "uri": "spiffe://a"})),
]
"""Objects for the rules no example exercises (durations, fractions, label keys, addresses, status
addresses, subjectAltNames)."""


def test_cel_evaluator_agrees_with_cel_python_on_the_projects_examples():
    """Every rule evaluated on every value the examples (valid and invalid, defaults applied) give
    it: kitlib's answer (true, false or an error) is cel-python's."""
    celpy = pytest.importorskip("celpy")
    import ipaddress

    from celpy import celtypes as ct

    def is_ip(s: object) -> object:
        try:
            ipaddress.ip_address(str(s))
        except ValueError:
            return ct.BoolType(False)
        return ct.BoolType(True)

    functions = {"isIP": is_ip,  # Kubernetes' CEL libraries, which cel-python does not have
                 "split": lambda s, sep: ct.ListType([ct.StringType(x) for x in str(s).split(str(sep))]),
                 "substring": lambda s, i: ct.StringType(str(s)[int(i):])}
    env = celpy.Environment()
    programs: dict[str, object] = {}

    def escaped(value: object) -> object:
        # Kubernetes binds a property named like a CEL keyword as __keyword__ (cel-python does not).
        if isinstance(value, dict):
            return {f"__{k}__" if k in cel.RESERVED else k: escaped(v) for k, v in value.items()}
        return [escaped(v) for v in value] if isinstance(value, list) else value

    def oracle(rule: str, value: object) -> object:
        if rule not in programs:
            programs[rule] = env.program(env.compile(rule), functions=functions)
        try:
            result = programs[rule].evaluate({"self": celpy.json_to_cel(escaped(value))})  # type: ignore[attr-defined]
        except celpy.CELEvalError:
            return "error"
        return bool(result) if isinstance(result, ct.BoolType) else "error"

    def ours(rule: str, value: object) -> object:
        try:
            result = cel.evaluate(rule, value)
        except cel.CelError:
            return "error"
        return result if isinstance(result, bool) else "error"

    schemas = {d["spec"]["names"]["kind"]: v["schema"]["openAPIV3Schema"]
               for d in gateway_api_documents() for v in d["spec"]["versions"] if v["name"] == "v1"}
    checked: set[str] = set()
    count = 0
    documents = [(path, doc) for path in sorted(glob.glob(str(DATA / "*" / "*.yaml"))) for doc in _docs(path)]
    documents += [("synthetic", doc) for doc in SYNTHETIC]
    for path, doc in documents:
        if True:
            if doc["kind"] not in schemas:
                continue
            doc = copy.deepcopy(doc)
            schema.apply_defaults(doc, schemas[doc["kind"]])
            pairs: list = []
            _pairs(doc, schemas[doc["kind"]], pairs)
            for node, value in pairs:
                for rule in (r["rule"] for r in node["x-kubernetes-validations"] if "oldSelf" not in r["rule"]):
                    assert ours(rule, value) == oracle(rule, value), (path, rule, value)
                    checked.add(rule)
                    count += 1
    assert count > 2000
    assert set(_rules()) - checked == {"self == oldSelf"}  # the transition rule: below
    for old, new in [("a.example/x", "a.example/x"), ("a.example/x", "b.example/y")]:
        env_old = {"self": celpy.json_to_cel(new), "oldSelf": celpy.json_to_cel(old)}
        expected = bool(env.program(env.compile("self == oldSelf")).evaluate(env_old))
        assert cel.compile_rule("self == oldSelf")(new, old) is expected


def test_kubectl_create_maps_and_validates_custom_resources_per_cluster(gw):
    """``kubectl create -f`` maps the kind against the cluster's CRDs and asks for strict field
    validation, as apply does."""
    text = GATEWAY.replace("  gatewayClassName: eg", "  gatewayClassName: eg\n  foo: 1")
    with pytest.raises(kitlib.ApiError) as err:
        kitlib.Cluster(nodes=1, seed=0).kubectl(f"create -f - <<EOF\n{text}EOF")
    assert 'from "STDIN": no matches for kind "Gateway"' in err.value.kubectl_text()
    with pytest.raises(kitlib.ApiError) as err:
        gw.kubectl(f"create -f - <<EOF\n{text}EOF")
    assert err.value.kubectl_text().endswith('strict decoding error: unknown field "spec.foo"')
    assert gw.kubectl(f"create --validate=false -f - <<EOF\n{text}EOF") == "gateway.gateway.networking.k8s.io/eg created"


def test_kubectl_get_o_json_of_a_custom_resource_has_sorted_keys(gw):
    """A custom resource is unstructured JSON on the server: Go writes its maps' keys sorted."""
    gw.kubectl(f"create -f - <<EOF\n{GATEWAY}EOF")
    out = gw.kubectl("get gateway eg -o json")
    assert out.startswith('{\n    "apiVersion": "gateway.networking.k8s.io/v1",\n    "kind": "Gateway",\n'
                          '    "metadata": {\n        "creationTimestamp": "2026-01-01T00:00:00Z",\n'
                          '        "generation": 1,\n        "name": "eg",\n')
