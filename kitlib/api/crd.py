"""CustomResourceDefinition (apiextensions.k8s.io/v1): a kind a cluster serves once the
definition is created, and only in that cluster.

A definition names its kind (``spec.names``), its group and its versions; each version carries
its structural OpenAPI v3 schema (``schema.openAPIV3Schema``: validation, defaults, pruning,
CEL rules, see :mod:`kitlib.api.schema`), its ``additionalPrinterColumns`` (``kubectl get``'s
columns) and its subresources (``status``). The schemas are free-form JSON, so the versions are
kept as the API dicts they are.

The kinds kitlib models as dataclasses (the Gateway API's, :mod:`kitlib.api.gateway`) are in
:data:`kitlib.api.registry.CUSTOM`: known to kitlib, served by a cluster only while their
definition exists (:class:`CustomKind`). A definition of any other kind (GRPCRoute, TLSRoute,
a course's own) is served generically: its objects are :class:`CustomObject` subclasses made
for the kind (:func:`generic_class`), whose ``spec`` and ``status`` are the API's JSON.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

from .convert import api_field, extra_field
from .meta import Condition, KubeObject, ObjectMeta
from .resource import Resource

GROUP = "apiextensions.k8s.io"


@dataclass
class CustomResourceDefinitionNames:
    """The kind's names: ``plural`` (the resource), ``singular``, ``kind``, ``shortNames``."""

    plural: str = ""
    singular: str | None = None
    kind: str = ""
    list_kind: str | None = None
    short_names: list[str] = field(default_factory=list)
    categories: list[str] = field(default_factory=list)


@dataclass
class CustomResourceDefinitionSpec:
    group: str = ""
    names: CustomResourceDefinitionNames = field(default_factory=CustomResourceDefinitionNames)
    scope: str = ""
    versions: list[dict[str, Any]] = field(default_factory=list)
    """Each served version as the API dict: ``name``, ``served``, ``storage``, ``schema``,
    ``subresources``, ``additionalPrinterColumns``."""
    conversion: dict[str, Any] | None = None
    preserve_unknown_fields: bool | None = None


@dataclass
class CustomResourceDefinitionStatus:
    accepted_names: CustomResourceDefinitionNames | None = None
    conditions: list[Condition] = field(default_factory=list)
    stored_versions: list[str] = field(default_factory=list)


@dataclass(repr=False)
class CustomResourceDefinition(KubeObject):
    """A definition of a custom kind (cluster-scoped, named ``<plural>.<group>``)."""

    api_version: ClassVar[str] = f"{GROUP}/v1"
    kind: ClassVar[str] = "CustomResourceDefinition"
    namespaced: ClassVar[bool] = False

    metadata: ObjectMeta = field(default_factory=ObjectMeta)
    spec: CustomResourceDefinitionSpec = field(default_factory=CustomResourceDefinitionSpec)
    status: CustomResourceDefinitionStatus = api_field(factory=CustomResourceDefinitionStatus)

    def version(self, name: str) -> dict[str, Any] | None:
        """The version ``name`` (``v1``) of ``spec.versions``, if served."""
        for v in self.spec.versions:
            if v.get("name") == name and v.get("served", True):
                return v
        return None


@dataclass(frozen=True)
class CustomKind:
    """A kind one cluster serves because of a definition: its resource type and what the
    definition says about the version kitlib serves."""

    resource: Resource
    crd: str
    """The definition's name (``gateways.gateway.networking.k8s.io``)."""
    version: str
    schema: dict[str, Any]
    """The version's ``openAPIV3Schema``."""
    columns: tuple[dict[str, Any], ...]
    """The version's ``additionalPrinterColumns``."""
    status_subresource: bool


@dataclass(repr=False)
class CustomObject(KubeObject):
    """An object of a custom kind kitlib has no dataclass for: ``spec`` and ``status`` as JSON,
    any other top-level field kept as it came."""

    metadata: ObjectMeta = field(default_factory=ObjectMeta)
    spec: dict[str, Any] | None = None
    status: dict[str, Any] | None = None
    extra: dict[str, Any] = extra_field()


_GENERIC: dict[tuple[str, str, bool], type[CustomObject]] = {}


def generic_class(api_version: str, kind: str, namespaced: bool) -> type[CustomObject]:
    """The :class:`CustomObject` subclass of ``kind`` in ``api_version`` (one per kind and scope)."""
    key = (api_version, kind, namespaced)
    if key not in _GENERIC:
        _GENERIC[key] = dataclass(repr=False)(type(kind, (CustomObject,), {
            "__annotations__": {}, "__module__": __name__, "__qualname__": kind,
            "api_version": api_version, "kind": kind, "namespaced": namespaced}))
    return _GENERIC[key]


def served_version(crd: CustomResourceDefinition) -> dict[str, Any] | None:
    """The version kitlib serves of a kind it does not model: the storage version (clients that
    name another served version get no conversion here)."""
    for v in crd.spec.versions:
        if v.get("storage") and v.get("served", True):
            return v
    return None


RESOURCES = (Resource(CustomResourceDefinition, "customresourcedefinitions", ("crd", "crds")),)
"""The resource types this module defines, gathered by :mod:`kitlib.api.registry`."""
