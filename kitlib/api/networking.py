"""Ingress and IngressClass (networking.k8s.io/v1): HTTP routing by host and path into Services."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

from .convert import api_field, extra_field
from .meta import KubeObject, ObjectMeta
from .resource import Resource

PATH_TYPES = ["Exact", "ImplementationSpecific", "Prefix"]
DEFAULT_CLASS_ANNOTATION = "ingressclass.kubernetes.io/is-default-class"
CLASS_ANNOTATION = "kubernetes.io/ingress.class"
"""The deprecated annotation that named the class before ``spec.ingressClassName``."""


@dataclass
class ServiceBackendPort:
    """A Service port, by ``name`` or by ``number`` (exactly one)."""

    name: str | None = None
    number: int | None = None


@dataclass
class IngressServiceBackend:
    name: str = ""
    port: ServiceBackendPort = field(default_factory=ServiceBackendPort)


@dataclass
class TypedLocalObjectReference:
    api_group: str | None = None
    kind: str = ""
    name: str = ""


@dataclass
class IngressBackend:
    """Where matching requests go: a Service port, or another resource (e.g. a storage bucket)."""

    service: IngressServiceBackend | None = None
    resource: TypedLocalObjectReference | None = None


@dataclass
class HTTPIngressPath:
    """One path of a rule: ``path`` matched as ``path_type`` says (Exact, Prefix or ImplementationSpecific)."""

    path: str | None = None
    path_type: str | None = None
    backend: IngressBackend = field(default_factory=IngressBackend)


@dataclass
class HTTPIngressRuleValue:
    paths: list[HTTPIngressPath] = api_field(factory=list, keep_empty=True)


@dataclass
class IngressRule:
    """The paths of one ``host`` (exact, or ``*.`` and one DNS label); no host: every host."""

    host: str | None = None
    http: HTTPIngressRuleValue | None = None


@dataclass
class IngressTLS:
    """Hosts whose HTTPS the controller terminates with the certificate in Secret ``secret_name``."""

    hosts: list[str] = field(default_factory=list)
    secret_name: str | None = None


@dataclass
class IngressSpec:
    ingress_class_name: str | None = None
    default_backend: IngressBackend | None = None
    tls: list[IngressTLS] = field(default_factory=list)
    rules: list[IngressRule] = field(default_factory=list)
    extra: dict[str, Any] = extra_field()


@dataclass
class IngressPortStatus:
    port: int = 0
    protocol: str = "TCP"
    error: str | None = None


@dataclass
class IngressLoadBalancerIngress:
    ip: str | None = None
    hostname: str | None = None
    ports: list[IngressPortStatus] = field(default_factory=list)


@dataclass
class IngressLoadBalancerStatus:
    ingress: list[IngressLoadBalancerIngress] = field(default_factory=list)


@dataclass
class IngressStatus:
    load_balancer: IngressLoadBalancerStatus = field(default_factory=IngressLoadBalancerStatus)


@dataclass(repr=False)
class Ingress(KubeObject):
    """An Ingress: rules an ingress controller of its class turns into HTTP routing."""

    api_version: ClassVar[str] = "networking.k8s.io/v1"
    kind: ClassVar[str] = "Ingress"

    metadata: ObjectMeta = field(default_factory=ObjectMeta)
    spec: IngressSpec = field(default_factory=IngressSpec)
    status: IngressStatus = field(default_factory=IngressStatus)


@dataclass
class IngressClassParametersReference:
    api_group: str | None = None
    kind: str = ""
    name: str = ""
    namespace: str | None = None
    scope: str | None = None


@dataclass
class IngressClassSpec:
    controller: str | None = None
    parameters: IngressClassParametersReference | None = None


@dataclass(repr=False)
class IngressClass(KubeObject):
    """A class of Ingresses, served by the controller named in ``spec.controller``."""

    api_version: ClassVar[str] = "networking.k8s.io/v1"
    kind: ClassVar[str] = "IngressClass"
    namespaced: ClassVar[bool] = False

    metadata: ObjectMeta = field(default_factory=ObjectMeta)
    spec: IngressClassSpec = field(default_factory=IngressClassSpec)


def is_default_class(ic: IngressClass) -> bool:
    """Marked as the default: Ingresses created without a class get this one."""
    return ic.metadata.annotations.get(DEFAULT_CLASS_ANNOTATION) == "true"


def class_of(ing: Ingress) -> str | None:
    """The class an Ingress asks for: ``spec.ingressClassName``, else the deprecated annotation."""
    return ing.spec.ingress_class_name or ing.metadata.annotations.get(CLASS_ANNOTATION)


def backends(ing: Ingress) -> list[IngressBackend]:
    """Every backend the Ingress names: the default backend first, then each path's."""
    out = [ing.spec.default_backend] if ing.spec.default_backend else []
    for rule in ing.spec.rules:
        out += [p.backend for p in (rule.http.paths if rule.http else [])]
    return out


RESOURCES = (Resource(Ingress, "ingresses", ("ing",)), Resource(IngressClass, "ingressclasses", ()))
"""The resource types this module defines, gathered by :mod:`kitlib.api.registry`."""
