"""Namespace (core/v1): a scope for names."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

from .convert import extra_field
from .meta import KubeObject, ObjectMeta
from .resource import Resource

ACTIVE = "Active"
TERMINATING = "Terminating"
"""The phase of a namespace from its DELETE until it is gone: nothing new may be created in it."""
FINALIZER = "kubernetes"
"""The finalizer in every namespace's ``spec.finalizers`` (``FinalizerKubernetes``): the namespace
controller removes it once the namespace is empty, and only then does the namespace go."""


@dataclass
class NamespaceSpec:
    finalizers: list[str] = field(default_factory=list)


@dataclass
class NamespaceCondition:
    """What the namespace controller found while deleting the namespace's content
    (``NamespaceContentRemaining``, ``NamespaceDeletionContentFailure``, ...)."""

    type: str = ""
    status: str = ""
    last_transition_time: str | None = None
    reason: str | None = None
    message: str | None = None


@dataclass
class NamespaceStatus:
    phase: str | None = None
    """``Active``, or ``Terminating`` from the DELETE until the namespace controller has emptied it."""
    conditions: list[NamespaceCondition] = field(default_factory=list)
    extra: dict[str, Any] = extra_field()

    def condition(self, type_: str) -> NamespaceCondition | None:
        return next((c for c in self.conditions if c.type == type_), None)


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
