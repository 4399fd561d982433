"""Ingresses and IngressClasses in the API server: admission and validation.

Validation follows ``pkg/apis/networking/validation`` (ValidateIngressCreate and friends) in its
order and words, for the fields kitlib models. Admission is the DefaultIngressClass plug-in:
an Ingress created without a class gets the IngressClass marked
``ingressclass.kubernetes.io/is-default-class: "true"``.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from ..api.addresses import is_ip
from ..api.networking import (
    CLASS_ANNOTATION,
    PATH_TYPES,
    HTTPIngressPath,
    Ingress,
    IngressBackend,
    IngressClass,
    is_default_class,
)
from ..api.validation import SUBDOMAIN_MSG, GoValue, dns1035_label, dns1123_subdomain, validate_meta
from ..errors import FieldError, required, unsupported
from .service_strategy import port_name_errors
from .strategy import Strategy

if TYPE_CHECKING:
    from .server import ApiServer

WILDCARD_SUBDOMAIN = re.compile(r"^\*\.[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
WILDCARD_MSG = (
    "a wildcard DNS-1123 subdomain must start with '*.', followed by a valid DNS subdomain, which must "
    "consist of lower case alphanumeric characters, '-' or '.' and end with an alphanumeric character "
    "(e.g. '*.example.com', regex used for validation is "
    "'\\*\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"
)
INVALID_PATH_SEQUENCES = ("//", "/./", "/../", "%2f", "%2F")
INVALID_PATH_SUFFIXES = ("/..", "/.")


# ---------------------------------------------------------------------------- admission


def admit(api: ApiServer, ing: Ingress) -> None:
    """DefaultIngressClass: on create, an Ingress that names no class (neither field nor the old
    annotation) gets the default IngressClass; with several defaults, the newest one, and of
    those created in the same second the first by name (getDefaultClass sorts so)."""
    if ing.spec.ingress_class_name or CLASS_ANNOTATION in ing.metadata.annotations:
        return
    defaults = [ic for ic in api.store.items_as(IngressClass) if is_default_class(ic)]
    if defaults:
        by_name = sorted(defaults, key=lambda ic: ic.name)
        newest = max(by_name, key=lambda ic: ic.metadata.creation_timestamp or "")  # max keeps the first
        ing.spec.ingress_class_name = newest.name


# ---------------------------------------------------------------------------- validation


def validate_ingress(ing: Ingress) -> list[FieldError]:
    """ValidateIngressCreate: metadata, then the spec (default backend, rules, tls, class name)."""
    errs = validate_meta(ing.metadata, namespaced=True)
    s = ing.spec
    if not s.rules and s.default_backend is None:
        errs.append(FieldError("spec", "Invalid value", GoValue("[]networking.IngressRule(nil)"),
                               "either `defaultBackend` or `rules` must be specified"))
    if s.default_backend is not None:
        errs += validate_backend(s.default_backend, "spec.defaultBackend")
    for i, rule in enumerate(s.rules):
        p = f"spec.rules[{i}]"
        if rule.host:
            errs += host_errors(rule.host, f"{p}.host", allow_ip=False)
        if rule.http is not None:
            if not rule.http.paths:
                errs.append(required(f"{p}.http.paths"))
            for j, path in enumerate(rule.http.paths):
                errs += _validate_path(path, f"{p}.http.paths[{j}]")
    for i, tls in enumerate(s.tls):
        for j, host in enumerate(tls.hosts):
            errs += host_errors(host, f"spec.tls[{i}].hosts[{j}]", allow_ip=True)
        if tls.secret_name:
            errs += dns1123_subdomain(tls.secret_name, f"spec.tls[{i}].secretName")
    if s.ingress_class_name is not None:
        errs += dns1123_subdomain(s.ingress_class_name, "spec.ingressClassName")
    annotation = ing.metadata.annotations.get(CLASS_ANNOTATION)
    if annotation is not None and s.ingress_class_name is not None and annotation != s.ingress_class_name:
        errs.append(FieldError(f"annotations.{CLASS_ANNOTATION}", "Invalid value", annotation,
                               "must match `ingressClassName` when both are specified"))
    return errs


def host_errors(host: str, path: str, *, allow_ip: bool) -> list[FieldError]:
    """A rule's host: a DNS name (not an IP), or ``*.`` followed by one; TLS hosts skip the IP check."""
    errs = []
    if not allow_ip and is_ip(host):
        errs.append(FieldError(path, "Invalid value", host, "must be a DNS name, not an IP address"))
    if "*" in host:
        if len(host) > 253:
            errs.append(FieldError(path, "Invalid value", host, "must be no more than 253 characters"))
        if not WILDCARD_SUBDOMAIN.match(host):
            errs.append(FieldError(path, "Invalid value", host, WILDCARD_MSG))
        return errs
    return errs + dns1123_subdomain(host, path)


def _validate_path(path: HTTPIngressPath, p: str) -> list[FieldError]:
    errs: list[FieldError] = []
    if path.path_type is None:
        return [FieldError(f"{p}.pathType", "Required value", detail="pathType must be specified")]
    text = path.path or ""
    if path.path_type in ("Exact", "Prefix"):
        if not text.startswith("/"):
            errs.append(FieldError(f"{p}.path", "Invalid value", text, "must be an absolute path"))
        if text:
            errs += [FieldError(f"{p}.path", "Invalid value", text, f"must not contain '{seq}'")
                     for seq in INVALID_PATH_SEQUENCES if seq in text]
            errs += [FieldError(f"{p}.path", "Invalid value", text, f"cannot end with '{suffix}'")
                     for suffix in INVALID_PATH_SUFFIXES if text.endswith(suffix)]
    elif path.path_type == "ImplementationSpecific":
        if text and not text.startswith("/"):
            errs.append(FieldError(f"{p}.path", "Invalid value", text, "must be an absolute path"))
    else:
        errs.append(unsupported(f"{p}.pathType", path.path_type, PATH_TYPES))
    return errs + validate_backend(path.backend, f"{p}.backend")


def validate_backend(backend: IngressBackend, path: str) -> list[FieldError]:
    """validateIngressBackend: a service (name, and a port by name or number) or a resource, not both."""
    if backend.resource is not None and backend.service is not None:
        return [FieldError(path, "Invalid value", "", "cannot set both resource and service backends")]
    errs: list[FieldError] = []
    if backend.resource is not None:
        ref = backend.resource
        if ref.api_group:
            errs += dns1123_subdomain(ref.api_group, f"{path}.resource.apiGroup")
        for name, value in (("kind", ref.kind), ("name", ref.name)):
            if not value:
                errs.append(required(f"{path}.resource.{name}"))
            elif value in (".", ".."):
                errs.append(FieldError(f"{path}.resource.{name}", "Invalid value", value, f"may not be '{value}'"))
            else:  # content.IsPathSegmentName: one message per character it may not contain
                errs += [FieldError(f"{path}.resource.{name}", "Invalid value", value, f"may not contain '{c}'")
                         for c in ("/", "%") if c in value]
        return errs
    if backend.service is None:
        return [FieldError(path, "Invalid value", "", "resource or service backend is required")]
    svc = backend.service
    if not svc.name:
        errs.append(required(f"{path}.service.name"))
    else:
        errs += dns1035_label(svc.name, f"{path}.service.name")
    port = svc.port
    if port.name and port.number:
        errs.append(FieldError(path, "Invalid value", "", "cannot set both port name & port number"))
    elif port.name:
        errs += [FieldError(f"{path}.service.port.name", "Invalid value", port.name, msg)
                 for msg in port_name_errors(port.name)]
    elif port.number:
        if not 1 <= port.number <= 65535:
            errs.append(FieldError(f"{path}.service.port.number", "Invalid value", port.number,
                                   "must be between 1 and 65535, inclusive"))
    else:
        errs.append(FieldError(path, "Required value", detail="port name or number is required"))
    return errs


def validate_ingress_class(ic: IngressClass) -> list[FieldError]:
    """ValidateIngressClass: a DNS subdomain name and a domain-prefixed ``spec.controller``."""
    errs = validate_meta(ic.metadata, namespaced=False)
    controller = ic.spec.controller
    if not controller:
        errs.append(required("spec.controller"))
    else:
        if len(controller) > 250:  # apimachinery prints a Too long error without the value
            errs.append(FieldError("spec.controller", "Too long", detail="may not be more than 250 bytes",
                                   show_value=False))
        domain = controller.split("/", 1)[0]
        if "/" not in controller or not domain or not controller.split("/", 1)[1]:
            errs.append(FieldError("spec.controller", "Invalid value", controller,
                                   "must be a domain-prefixed path (such as \"acme.io/foo\")"))
        elif not re.fullmatch(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*", domain):
            errs.append(FieldError("spec.controller", "Invalid value", domain, SUBDOMAIN_MSG))
    return errs


class IngressStrategy(Strategy[Ingress]):
    """Ingress: DefaultIngressClass admission on create, then ValidateIngress."""

    kind = "Ingress"
    generation = True
    resets_status = True

    def admit(self, api: ApiServer, obj: Ingress, old: Ingress | None) -> None:
        ing = obj
        if old is None:
            admit(api, ing)
        elif not ing.spec.ingress_class_name:
            # kubectl apply's three-way merge keeps a field the manifest never set: here the class
            # that DefaultIngressClass admission gave the Ingress on create.
            ing.spec.ingress_class_name = old.spec.ingress_class_name

    def validate(self, obj: Ingress) -> list[FieldError]:
        return validate_ingress(obj)


class IngressClassStrategy(Strategy[IngressClass]):
    """IngressClass: ValidateIngressClass."""

    kind = "IngressClass"
    generation = True

    def validate(self, obj: IngressClass) -> list[FieldError]:
        return validate_ingress_class(obj)


STRATEGIES = (IngressStrategy(), IngressClassStrategy())
