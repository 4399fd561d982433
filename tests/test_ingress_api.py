"""Ingresses, IngressClasses and TLS Secrets in the API server: validation in its exact words, the
DefaultIngressClass admission plug-in, and failed requests that change nothing.

Sources: pkg/apis/networking/validation/validation.go (ValidateIngressCreate, validateHTTPIngressPath,
validateIngressBackend, ValidateIngressClass), plugin/pkg/admission/network/defaultingressclass
(getDefaultClass: the newest default class, ties by name) and pkg/apis/core/validation
(ValidateSecret: a kubernetes.io/tls Secret needs tls.crt and tls.key) of Kubernetes 1.37.
"""

from __future__ import annotations

import re
from unittest.mock import ANY

import pytest

import kitlib
from kitlib.api.networking import DEFAULT_CLASS_ANNOTATION
from kitlib.errors import ApiError, Invalid

WILDCARD_MSG = (
    "a wildcard DNS-1123 subdomain must start with '*.', followed by a valid DNS subdomain, which must "
    "consist of lower case alphanumeric characters, '-' or '.' and end with an alphanumeric character "
    "(e.g. '*.example.com', regex used for validation is "
    "'\\*\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"
)
SUBDOMAIN_MSG = (
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and "
    "must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is "
    "'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"
)
PATH0 = "spec.rules[0].http.paths[0]"


def backend(service: str = "web", port: int | str = 80) -> dict:
    key = "number" if isinstance(port, int) else "name"
    return {"service": {"name": service, "port": {key: port}}}


def path(p: str | None = "/", path_type: str | None = "Prefix", back: dict | None = None) -> dict:
    out: dict = {"backend": back if back is not None else backend()}
    if p is not None:
        out["path"] = p
    if path_type is not None:
        out["pathType"] = path_type
    return out


def ing(name: str = "shop", *, host: str | None = "shop.example", paths: list | None = None,
        annotations: dict | None = None, **spec) -> dict:
    """An Ingress manifest: one rule for ``host`` with ``paths`` (default: Prefix / → web:80)."""
    meta: dict = {"name": name}
    if annotations:
        meta["annotations"] = annotations
    rule: dict = {"http": {"paths": paths if paths is not None else [path()]}}
    if host is not None:
        rule["host"] = host
    body = {"rules": [rule], **spec}
    return {"apiVersion": "networking.k8s.io/v1", "kind": "Ingress", "metadata": meta, "spec": body}


def ingress_class(name: str, default: bool = False, controller: str | None = "example.com/ingress") -> dict:
    meta: dict = {"name": name}
    if default:
        meta["annotations"] = {DEFAULT_CLASS_ANNOTATION: "true"}
    spec = {"controller": controller} if controller is not None else {}
    return {"apiVersion": "networking.k8s.io/v1", "kind": "IngressClass", "metadata": meta, "spec": spec}


def tls_secret(name: str = "shop-tls", **data: str) -> dict:
    keys = data if data else {"tls.crt": "Y2VydA==", "tls.key": "a2V5"}
    return {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": name}, "type": "kubernetes.io/tls",
            "data": {k.replace("_", "."): v for k, v in keys.items()}}


def refused(cluster, snapshot, doc: dict, message: str, error: type[ApiError] = Invalid) -> None:
    """Creating ``doc`` (with create and with apply) fails with exactly ``message`` and changes nothing."""
    before = snapshot(cluster)
    for call in (cluster.create, cluster.apply):
        with pytest.raises(error, match="^" + re.escape(message) + "$"):
            call(doc)
        assert snapshot(cluster) == before


def invalid_ingress(body: str, name: str = "shop") -> str:
    return f'Ingress.networking.k8s.io "{name}" is invalid: {body}'


# ------------------------------------------------------------------------------ validation

BAD_INGRESSES = [
    ("path without a slash", ing(paths=[path("api")]),
     f'{PATH0}.path: Invalid value: "api": must be an absolute path'),
    ("Exact path without a slash", ing(paths=[path("", "Exact")]),
     f'{PATH0}.path: Invalid value: "": must be an absolute path'),
    ("ImplementationSpecific path without a slash", ing(paths=[path("api", "ImplementationSpecific")]),
     f'{PATH0}.path: Invalid value: "api": must be an absolute path'),
    ("unsupported pathType", ing(paths=[path("/", "Regex")]),
     f'{PATH0}.pathType: Unsupported value: "Regex": supported values: "Exact", "ImplementationSpecific", '
     '"Prefix"'),
    ("missing pathType", ing(paths=[path("/", None)]),
     f"{PATH0}.pathType: Required value: pathType must be specified"),
    ("both service and resource", ing(paths=[path(back={**backend(), "resource": {"kind": "Bucket", "name": "b"}})]),
     f'{PATH0}.backend: Invalid value: "": cannot set both resource and service backends'),
    ("neither service nor resource", ing(paths=[path(back={})]),
     f'{PATH0}.backend: Invalid value: "": resource or service backend is required'),
    ("service backend without a port", ing(paths=[path(back={"service": {"name": "web"}})]),
     f"{PATH0}.backend: Required value: port name or number is required"),
    ("port name and number", ing(paths=[path(back={"service": {"name": "web", "port": {"name": "http", "number": 80}}})]),
     f'{PATH0}.backend: Invalid value: "": cannot set both port name & port number'),
    ("port number out of range", ing(paths=[path(back=backend("web", 70000))]),
     f"{PATH0}.backend.service.port.number: Invalid value: 70000: must be between 1 and 65535, inclusive"),
    ("service without a name", ing(paths=[path(back={"service": {"port": {"number": 80}}})]),
     f"{PATH0}.backend.service.name: Required value"),
    ("resource with a slash", ing(paths=[path(back={"resource": {"kind": "a/b", "name": "x%y"}})]),
     f"[{PATH0}.backend.resource.kind: Invalid value: \"a/b\": may not contain '/', "
     f"{PATH0}.backend.resource.name: Invalid value: \"x%y\": may not contain '%']"),
    ("IP host", ing(host="192.168.49.2"),
     'spec.rules[0].host: Invalid value: "192.168.49.2": must be a DNS name, not an IP address'),
    ("misplaced wildcard", ing(host="foo.*.com"), f'spec.rules[0].host: Invalid value: "foo.*.com": {WILDCARD_MSG}'),
    ("wildcard alone", ing(host="*"), f'spec.rules[0].host: Invalid value: "*": {WILDCARD_MSG}'),
    ("upper-case host", ing(host="Shop.example"), f'spec.rules[0].host: Invalid value: "Shop.example": {SUBDOMAIN_MSG}'),
    ("host with a port", ing(host="shop.example:80"),
     f'spec.rules[0].host: Invalid value: "shop.example:80": {SUBDOMAIN_MSG}'),
    ("http without paths", ing(paths=[]), "spec.rules[0].http.paths: Required value"),
    ("no rules and no defaultBackend",
     {"apiVersion": "networking.k8s.io/v1", "kind": "Ingress", "metadata": {"name": "shop"}, "spec": {}},
     "spec: Invalid value: []networking.IngressRule(nil): either `defaultBackend` or `rules` must be specified"),
    ("double slash", ing(paths=[path("/api//v1")]), f"{PATH0}.path: Invalid value: \"/api//v1\": must not contain '//'"),
    ("dot segment", ing(paths=[path("/a/./b", "Exact")]), f"{PATH0}.path: Invalid value: \"/a/./b\": must not contain '/./'"),
    ("dot-dot segment", ing(paths=[path("/a/../b")]), f"{PATH0}.path: Invalid value: \"/a/../b\": must not contain '/../'"),
    ("encoded slash", ing(paths=[path("/a%2fb")]), f"{PATH0}.path: Invalid value: \"/a%2fb\": must not contain '%2f'"),
    ("suffix /..", ing(paths=[path("/a/..")]), f"{PATH0}.path: Invalid value: \"/a/..\": cannot end with '/..'"),
    ("suffix /.", ing(paths=[path("/a/.")]), f"{PATH0}.path: Invalid value: \"/a/.\": cannot end with '/.'"),
    ("bad secretName", ing(tls=[{"hosts": ["shop.example"], "secretName": "Shop_TLS"}]),
     f'spec.tls[0].secretName: Invalid value: "Shop_TLS": {SUBDOMAIN_MSG}'),
    ("bad TLS host", ing(tls=[{"hosts": ["*.*.example"], "secretName": "shop-tls"}]),
     f'spec.tls[0].hosts[0]: Invalid value: "*.*.example": {WILDCARD_MSG}'),
    ("bad ingressClassName", ing(ingressClassName="Nginx"),
     f'spec.ingressClassName: Invalid value: "Nginx": {SUBDOMAIN_MSG}'),
    ("class annotation mismatch", ing(annotations={"kubernetes.io/ingress.class": "traefik"}, ingressClassName="nginx"),
     'annotations.kubernetes.io/ingress.class: Invalid value: "traefik": must match `ingressClassName` when both '
     "are specified"),
    ("bad defaultBackend", ing(defaultBackend={"service": {"name": "Web", "port": {"number": 80}}}),
     "spec.defaultBackend.service.name: Invalid value: \"Web\": a DNS-1035 label must consist of lower case "
     "alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character "
     "(e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')"),
]


@pytest.mark.parametrize(("doc", "message"), [b[1:] for b in BAD_INGRESSES], ids=[b[0] for b in BAD_INGRESSES])
def test_invalid_ingresses_are_refused_and_change_nothing(cluster, snapshot, doc, message):
    refused(cluster, snapshot, doc, invalid_ingress(message))


def test_every_error_is_reported_at_once(cluster, snapshot):
    """The API server lists every field error, in the validator's order, between brackets."""
    doc = ing(host="1.2.3.4", paths=[path("api", "Exact"), path("/x", None)], tls=[{"secretName": "A"}])
    refused(cluster, snapshot, doc, invalid_ingress(
        '[spec.rules[0].host: Invalid value: "1.2.3.4": must be a DNS name, not an IP address, '
        f'{PATH0}.path: Invalid value: "api": must be an absolute path, '
        "spec.rules[0].http.paths[1].pathType: Required value: pathType must be specified, "
        f'spec.tls[0].secretName: Invalid value: "A": {SUBDOMAIN_MSG}]'))


def test_valid_corner_cases_are_accepted(cluster):
    """What the API allows: a TLS host may be an IP, an ImplementationSpecific path may be left out,
    a rule needs no http, a wildcard host, port by name, an Ingress with only a default backend, a
    resource backend, and /a..b or /.well-known (no dot segment)."""
    cluster.apply(ing("a", host="*.shop.example", tls=[{"hosts": ["10.0.0.1"]}],
                      paths=[path(None, "ImplementationSpecific"), path("/.well-known/x", "Exact", backend("web", "http")),
                             path("/a..b"), path("/files", "ImplementationSpecific",
                                                 {"resource": {"apiGroup": "k8s.example.com", "kind": "StorageBucket",
                                                               "name": "static-assets"}})]))
    cluster.apply({"apiVersion": "networking.k8s.io/v1", "kind": "Ingress", "metadata": {"name": "b"},
                   "spec": {"defaultBackend": backend(), "rules": [{"host": "b.example"}]}})
    cluster.apply({"apiVersion": "networking.k8s.io/v1", "kind": "Ingress", "metadata": {"name": "c"},
                   "spec": {"defaultBackend": backend()}})
    assert [i.name for i in cluster.list("Ingress")] == ["a", "b", "c"]
    assert cluster.get("Ingress", "a").spec.rules[0].http.paths[0].path is None


def test_an_update_is_validated_too(cluster, snapshot):
    cluster.apply(ing())
    refused(cluster, snapshot, ing(paths=[path("/x//y")]),
            invalid_ingress(f"{PATH0}.path: Invalid value: \"/x//y\": must not contain '//'"))
    assert cluster.get("Ingress", "shop").spec.rules[0].http.paths[0].path == "/"


def test_an_ingress_needs_its_namespace(cluster, snapshot):
    doc = ing()
    doc["metadata"]["namespace"] = "shop"
    refused(cluster, snapshot, doc, 'namespaces "shop" not found', kitlib.ApiError)


# ------------------------------------------------------------------------------ DefaultIngressClass


def test_default_class_is_set_on_create(cluster):
    """An Ingress created without a class gets the IngressClass marked is-default-class."""
    cluster.apply([ingress_class("plain"), ingress_class("main", default=True)])
    created = cluster.apply(ing())[0]
    assert created.spec.ingress_class_name == "main"
    assert cluster.get("Ingress", "shop").spec.ingress_class_name == "main"
    assert cluster.get("Ingress", "shop").to_dict()["spec"]["ingressClassName"] == "main"


def test_a_named_class_or_the_old_annotation_is_kept(cluster):
    """The plug-in leaves an Ingress alone when it names a class, in the field or in the deprecated
    kubernetes.io/ingress.class annotation."""
    cluster.apply(ingress_class("main", default=True))
    assert cluster.apply(ing("a", ingressClassName="other"))[0].spec.ingress_class_name == "other"
    by_annotation = cluster.apply(ing("b", annotations={"kubernetes.io/ingress.class": "traefik"}))[0]
    assert by_annotation.spec.ingress_class_name is None
    assert by_annotation.metadata.annotations["kubernetes.io/ingress.class"] == "traefik"


def test_without_a_default_class_it_stays_unset(cluster):
    cluster.apply([ingress_class("plain"), ingress_class("off", default=False)])
    false = ingress_class("false-string")
    false["metadata"]["annotations"] = {DEFAULT_CLASS_ANNOTATION: "True"}  # only "true" counts
    cluster.apply(false)
    assert cluster.apply(ing())[0].spec.ingress_class_name is None


def test_with_several_defaults_the_newest_wins(cluster):
    """getDefaultClass: the newest default class; created in the same second, the first by name."""
    cluster.apply([ingress_class("zeta", default=True), ingress_class("alpha", default=True)])
    assert cluster.apply(ing("same-second"))[0].spec.ingress_class_name == "alpha"
    cluster.advance(5)
    cluster.apply(ingress_class("newer", default=True))
    assert cluster.apply(ing("later"))[0].spec.ingress_class_name == "newer"


def test_the_class_is_set_only_on_create(cluster):
    """Admission defaults the class when the Ingress is created; a class added later does not
    reach Ingresses that exist."""
    cluster.apply(ing())
    cluster.apply(ingress_class("main", default=True))
    assert cluster.get("Ingress", "shop").spec.ingress_class_name is None


def test_re_applying_the_same_manifest_keeps_the_defaulted_class(cluster):
    cluster.apply(ingress_class("main", default=True))
    cluster.apply(ing())
    ((obj, outcome),) = cluster.apply_with_outcome(ing())
    assert outcome == "unchanged"
    assert obj.spec.ingress_class_name == "main"


# ------------------------------------------------------------------------------ IngressClass

BAD_CLASSES = [
    ("no controller", ingress_class("c", controller=None), "spec.controller: Required value"),
    ("not domain-prefixed", ingress_class("c", controller="acme"),
     'spec.controller: Invalid value: "acme": must be a domain-prefixed path (such as "acme.io/foo")'),
    ("empty path", ingress_class("c", controller="acme.io/"),
     'spec.controller: Invalid value: "acme.io/": must be a domain-prefixed path (such as "acme.io/foo")'),
    ("bad domain", ingress_class("c", controller="Acme_IO/foo"), f'spec.controller: Invalid value: "Acme_IO": {SUBDOMAIN_MSG}'),
    ("too long", ingress_class("c", controller="acme.io/" + "x" * 250),
     "spec.controller: Too long: may not be more than 250 bytes"),
    ("bad name", ingress_class("Nginx"), f'metadata.name: Invalid value: "Nginx": {SUBDOMAIN_MSG}'),
]


@pytest.mark.parametrize(("doc", "message"), [b[1:] for b in BAD_CLASSES], ids=[b[0] for b in BAD_CLASSES])
def test_invalid_ingress_classes_are_refused(cluster, snapshot, doc, message):
    name = doc["metadata"]["name"]
    refused(cluster, snapshot, doc, f'IngressClass.networking.k8s.io "{name}" is invalid: {message}')


def test_an_ingress_class_is_cluster_scoped(cluster):
    cluster.apply(ingress_class("nginx", controller="k8s.io/ingress-nginx"))
    ic = cluster.get("IngressClass", "nginx")
    assert ic.metadata.namespace in (None, "") and ic.spec.controller == "k8s.io/ingress-nginx"
    assert "namespace" not in ic.to_dict()["metadata"]


# ------------------------------------------------------------------------------ TLS Secrets


def test_a_tls_secret_needs_both_keys(cluster, snapshot):
    refused(cluster, snapshot, tls_secret(tls_crt="Y2VydA=="),
            'Secret "shop-tls" is invalid: data[tls.key]: Required value')
    doc = tls_secret()
    doc["data"] = {}
    refused(cluster, snapshot, doc,
            'Secret "shop-tls" is invalid: [data[tls.crt]: Required value, data[tls.key]: Required value]')


def test_a_tls_secret_from_string_data(cluster):
    """stringData is folded into data (base64) on write, and counts for the required keys."""
    doc = {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "shop-tls"}, "type": "kubernetes.io/tls",
           "stringData": {"tls.crt": "cert", "tls.key": "key"}}
    secret = cluster.apply(doc)[0]
    assert secret.data == {"tls.crt": "Y2VydA==", "tls.key": "a2V5"}
    assert "stringData" not in secret.to_dict()


def test_an_opaque_secret_needs_no_keys_and_defaults_its_type(cluster):
    secret = cluster.apply({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "plain"}})[0]
    assert secret.type == "Opaque"


def test_a_bad_data_key_is_refused(cluster, snapshot):
    doc = {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s"}, "data": {"a b": "eA=="}}
    refused(cluster, snapshot, doc,
            'Secret "s" is invalid: data[a b]: Invalid value: "a b": a valid config key must consist of alphanumeric '
            "characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for "
            "validation is '[-._a-zA-Z0-9]+')")


# ------------------------------------------------------------------------------ round trip and schema

FULL = ing("full", ingressClassName="nginx",
           annotations={"nginx.ingress.kubernetes.io/ssl-redirect": "false"},
           defaultBackend=backend("fallback"),
           tls=[{"hosts": ["shop.example", "*.shop.example"], "secretName": "shop-tls"}],
           paths=[path("/", "Prefix"), path("/api", "Exact", backend("api", "http")),
                  path("/img", "ImplementationSpecific",
                       {"resource": {"apiGroup": "k8s.example.com", "kind": "StorageBucket", "name": "img"}})])


def test_an_applied_ingress_round_trips(cluster):
    """What was applied comes back as written (plus the server's metadata, kubectl's last-applied
    annotation and an empty status), and applying the export again changes only that annotation."""
    obj = cluster.apply(FULL)[0]
    out = obj.to_dict()
    assert out["spec"] == FULL["spec"]
    assert out["metadata"]["annotations"] == {**FULL["metadata"]["annotations"],
                                              "kubectl.kubernetes.io/last-applied-configuration": ANY}
    assert out["metadata"]["namespace"] == "default" and out["metadata"]["uid"]
    assert out["metadata"]["creationTimestamp"] and out["metadata"]["generation"] == 1
    ((again, outcome),) = cluster.apply_with_outcome(out)
    assert outcome == "configured" and again.to_dict()["spec"] == FULL["spec"]
    assert kitlib.manifest.decode(out).to_dict()["spec"] == FULL["spec"]


def test_a_spec_change_bumps_the_generation(cluster):
    cluster.apply(FULL)
    changed = ing("full", ingressClassName="nginx", paths=[path("/v2")])
    ((obj, outcome),) = cluster.apply_with_outcome(changed)
    assert outcome == "configured" and obj.metadata.generation == 2


def test_exports_validate_against_the_1_32_schema(cluster):
    kubernetes_validate = pytest.importorskip("kubernetes_validate")
    cluster.enable_addon("ingress")
    cluster.apply([tls_secret(), FULL, ing("plain"), ingress_class("other")])
    objs = [*cluster.list("Ingress"), *cluster.list("IngressClass", None), cluster.get("Secret", "shop-tls")]
    assert len(objs) == 5
    for obj in objs:
        kubernetes_validate.validate(obj.to_dict(), "1.37.0", strict=True)
    bad = cluster.get("Ingress", "full").to_dict()
    bad["spec"]["rules"][0]["http"]["paths"][0]["pathtype"] = "Prefix"
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(bad, "1.37.0", strict=True)


def test_a_secrets_type_cannot_change(cluster, snapshot):
    """A Secret's type is immutable: the API server refuses the update and keeps the Secret."""
    tls = {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "cert"}, "type": "kubernetes.io/tls",
           "stringData": {"tls.crt": "c", "tls.key": "k"}}
    cluster.apply(tls)
    before = snapshot(cluster)
    with pytest.raises(kitlib.Invalid, match=r'^Secret "cert" is invalid: type: Invalid value: "Opaque": '
                                             r"field is immutable$"):
        cluster.apply({**tls, "type": "Opaque"})
    assert snapshot(cluster) == before and cluster.get("Secret", "cert").type == "kubernetes.io/tls"
