"""ObjectMeta and the base of every top-level object."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar, Self

from .convert import extra_field, from_api, to_api


@dataclass
class OwnerReference:
    """Who controls an object: a ReplicaSet owns its pods, a Deployment its ReplicaSets."""

    api_version: str = ""
    kind: str = ""
    name: str = ""
    uid: str = ""
    controller: bool | None = None
    block_owner_deletion: bool | None = None


@dataclass
class ObjectMeta:
    """metadata: name, namespace, labels and the fields the API server fills in."""

    name: str | None = None
    generate_name: str | None = None
    namespace: str | None = None
    labels: dict[str, str] = field(default_factory=dict)
    annotations: dict[str, str] = field(default_factory=dict)
    uid: str | None = None
    resource_version: str | None = None
    generation: int | None = None
    creation_timestamp: str | None = None
    deletion_timestamp: str | None = None
    deletion_grace_period_seconds: int | None = None
    owner_references: list[OwnerReference] = field(default_factory=list)
    finalizers: list[str] = field(default_factory=list)
    extra: dict[str, Any] = extra_field()

    def controller_ref(self) -> OwnerReference | None:
        """The owner reference with ``controller: true``, if any."""
        for r in self.owner_references:
            if r.controller:
                return r
        return None


@dataclass
class Condition:
    """``metav1.Condition``, the condition type of the newer APIs (ServiceCIDR's): unlike the core
    kinds' conditions, ``reason`` and ``message`` are always written, empty or not."""

    type: str = ""
    status: str = ""
    observed_generation: int | None = None
    last_transition_time: str | None = None
    reason: str = ""
    message: str = ""


@dataclass(repr=False)
class KubeObject:
    """A top-level API object: apiVersion, kind, metadata, spec, status."""

    api_version: ClassVar[str] = "v1"
    kind: ClassVar[str] = ""
    namespaced: ClassVar[bool] = True

    metadata: ObjectMeta = field(default_factory=ObjectMeta)

    @property
    def name(self) -> str:
        return self.metadata.name or ""

    @property
    def namespace(self) -> str:
        return self.metadata.namespace or ""

    @property
    def key(self) -> str:
        """``namespace/name``, or ``name`` for cluster-scoped objects."""
        m = self.metadata  # read directly: the store computes keys millions of times at scale
        return f"{m.namespace or ''}/{m.name or ''}" if self.namespaced else m.name or ""

    def to_dict(self) -> dict[str, Any]:
        """The object as the API serves it (``apiVersion``, ``kind`` first)."""
        return {"apiVersion": self.api_version, "kind": self.kind, **to_api(self)}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Self:
        """Build the object from an API dict (``apiVersion`` and ``kind`` are checked by the caller)."""
        body = {k: v for k, v in data.items() if k not in ("apiVersion", "kind")}
        return from_api(cls, body)

    def to_yaml(self) -> str:
        """The object as ``kubectl get -o yaml`` prints it."""
        from .convert import dump_yaml

        return dump_yaml(self.to_dict())

    def __repr__(self) -> str:
        return f"<{self.kind} {self.key}>"

