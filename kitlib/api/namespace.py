"""Namespace (core/v1): a scope for names."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

from .convert import extra_field
from .meta import KubeObject, ObjectMeta
from .resource import Resource


@dataclass
class NamespaceSpec:
    finalizers: list[str] = field(default_factory=list)


@dataclass
class NamespaceStatus:
    phase: str | None = None
    extra: dict[str, Any] = extra_field()


@dataclass(repr=False)
class Namespace(KubeObject):
    """A namespace; the API server labels each with ``kubernetes.io/metadata.name``."""

    api_version: ClassVar[str] = "v1"
    kind: ClassVar[str] = "Namespace"
    namespaced: ClassVar[bool] = False

    metadata: ObjectMeta = field(default_factory=ObjectMeta)
    spec: NamespaceSpec = field(default_factory=NamespaceSpec)
    status: NamespaceStatus = field(default_factory=NamespaceStatus)


RESOURCES = (Resource(Namespace, "namespaces", ("ns",)),)
"""The resource types this module defines, gathered by :mod:`kitlib.api.registry`."""
