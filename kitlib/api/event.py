"""Events (core/v1 ``Event``) and ServiceAccounts (core/v1 ``ServiceAccount``).

kitlib's API server keeps its events in :class:`kitlib.events.EventLog`; ``kubectl get events``
reads them as the Event objects a real API server stores (:func:`kitlib.kubectl.events.objects`).
A ServiceAccount here is a name only: since Kubernetes 1.24 no token Secret is made for it, so
its ``secrets`` list stays empty.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

from .convert import extra_field
from .meta import KubeObject, ObjectMeta
from .resource import Resource


@dataclass
class ObjectReference:
    """``involvedObject``: what an event is about (``fieldPath``: the part of it, ``spec.containers{web}``)."""

    kind: str = ""
    namespace: str | None = None
    name: str = ""
    uid: str | None = None
    api_version: str | None = None
    resource_version: str | None = None
    field_path: str | None = None


@dataclass
class EventSource:
    """``source``: the component that reported the event and its host (a kubelet's node)."""

    component: str | None = None
    host: str | None = None


@dataclass(repr=False)
class Event(KubeObject):
    """An event as ``kubectl get events -o yaml`` shows it (the core/v1 kind that the event
    recorder writes: ``count``, ``firstTimestamp`` and ``lastTimestamp`` for repeats)."""

    api_version: ClassVar[str] = "v1"
    kind: ClassVar[str] = "Event"

    metadata: ObjectMeta = field(default_factory=ObjectMeta)
    involved_object: ObjectReference = field(default_factory=ObjectReference)
    reason: str | None = None
    message: str | None = None
    source: EventSource = field(default_factory=EventSource)
    first_timestamp: str | None = None
    last_timestamp: str | None = None
    count: int | None = None
    type: str | None = None
    reporting_component: str | None = None
    reporting_instance: str | None = None
    extra: dict[str, Any] = extra_field()


@dataclass
class LocalObjectReference:
    name: str = ""


@dataclass(repr=False)
class ServiceAccount(KubeObject):
    """A ServiceAccount: the identity pods run as (``spec.serviceAccountName``, ``default`` unless set)."""

    api_version: ClassVar[str] = "v1"
    kind: ClassVar[str] = "ServiceAccount"

    metadata: ObjectMeta = field(default_factory=ObjectMeta)
    secrets: list[ObjectReference] = field(default_factory=list)
    image_pull_secrets: list[LocalObjectReference] = field(default_factory=list)
    automount_service_account_token: bool | None = None
    extra: dict[str, Any] = extra_field()


RESOURCES = (Resource(Event, "events", ("ev",)), Resource(ServiceAccount, "serviceaccounts", ("sa",)))
"""The resource types this module defines, gathered by :mod:`kitlib.api.registry`."""
