"""EndpointSlice (discovery.k8s.io/v1) and Endpoints (core/v1): who is behind a Service."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

from .convert import api_field, extra_field
from .meta import KubeObject, ObjectMeta
from .resource import Resource

SERVICE_NAME_LABEL = "kubernetes.io/service-name"
MANAGED_BY_LABEL = "endpointslice.kubernetes.io/managed-by"
MANAGED_BY = "endpointslice-controller.k8s.io"
MAX_ENDPOINTS_PER_SLICE = 100


@dataclass
class ObjectReference:
    kind: str | None = None
    namespace: str | None = None
    name: str | None = None
    uid: str | None = None


@dataclass
class EndpointConditions:
    """ready: the pod may take new connections; serving: it answers readiness; terminating: it is being deleted."""

    ready: bool | None = None
    serving: bool | None = None
    terminating: bool | None = None


@dataclass
class ForZone:
    """A zone whose clients should use this endpoint."""

    name: str = ""


@dataclass
class ForNode:
    """A node whose clients should use this endpoint."""

    name: str = ""


@dataclass
class EndpointHints:
    """Where the EndpointSlice controller suggests this endpoint be used (topology hints):
    kube-proxy on a node in one of ``for_zones`` (or named in ``for_nodes``) prefers it."""

    for_zones: list[ForZone] = field(default_factory=list)
    for_nodes: list[ForNode] = field(default_factory=list)


@dataclass
class Endpoint:
    """One endpoint: its address, conditions, node and zone (the node's
    ``topology.kubernetes.io/zone`` label), and the controller's topology ``hints``."""

    addresses: list[str] = api_field(factory=list, keep_empty=True)
    conditions: EndpointConditions = field(default_factory=EndpointConditions)
    node_name: str | None = None
    target_ref: ObjectReference | None = None
    hostname: str | None = None
    zone: str | None = None
    hints: EndpointHints | None = None


@dataclass
class EndpointPort:
    name: str | None = api_field(default=None)
    port: int | None = None
    protocol: str | None = None
    app_protocol: str | None = None


@dataclass(repr=False)
class EndpointSlice(KubeObject):
    """A slice of a Service's endpoints (at most 100 each), kept by the EndpointSlice controller."""

    api_version: ClassVar[str] = "discovery.k8s.io/v1"
    kind: ClassVar[str] = "EndpointSlice"

    metadata: ObjectMeta = field(default_factory=ObjectMeta)
    address_type: str = "IPv4"
    endpoints: list[Endpoint] = api_field(factory=list, keep_empty=True)
    ports: list[EndpointPort] = field(default_factory=list)


@dataclass
class EndpointAddress:
    ip: str = ""
    node_name: str | None = None
    target_ref: ObjectReference | None = None
    hostname: str | None = None


@dataclass
class EndpointsPort:
    port: int = 0
    name: str | None = None
    protocol: str | None = None


@dataclass
class EndpointSubset:
    addresses: list[EndpointAddress] = field(default_factory=list)
    not_ready_addresses: list[EndpointAddress] = field(default_factory=list)
    ports: list[EndpointsPort] = field(default_factory=list)


@dataclass(repr=False)
class Endpoints(KubeObject):
    """The older, single-object list of a Service's endpoints: deprecated since 1.33 in favour of
    EndpointSlices (every request for it draws a warning), and still kept in step in 1.37."""

    api_version: ClassVar[str] = "v1"
    kind: ClassVar[str] = "Endpoints"

    metadata: ObjectMeta = field(default_factory=ObjectMeta)
    subsets: list[EndpointSubset] = field(default_factory=list)
    extra: dict[str, Any] = extra_field()


RESOURCES = (Resource(Endpoints, "endpoints", ("ep",), deprecated=(1, 33), replacement="discovery.k8s.io/v1 EndpointSlice"),
             Resource(EndpointSlice, "endpointslices", ()))
"""The resource types this module defines, gathered by :mod:`kitlib.api.registry`."""
