"""The Gateway API (gateway.networking.k8s.io, v1.6.1 standard channel): GatewayClass, Gateway,
HTTPRoute and ReferenceGrant, the successor of Ingress.

The kinds are custom resources: a cluster serves them only once their CustomResourceDefinitions
are installed (``cluster.enable_addon("gateway")``). Their fields mirror the Go types of
``sigs.k8s.io/gateway-api/apis/v1`` (``gateway_types.go``, ``gatewayclass_types.go``,
``httproute_types.go``, ``shared_types.go``, ``referencegrant_types.go``) as far as the standard
channel's CRDs carry them; fields of the experimental channel are not part of the schema a
standard install serves, so the API server prunes or refuses them.

The roles the API splits between people: the infrastructure provider installs a GatewayClass
(one per controller), the cluster operator creates Gateways (the listeners: ports, protocols,
host names, certificates, which namespaces may attach routes) and application developers
write HTTPRoutes in their own namespaces, attaching them to a Gateway's listeners through
``parentRefs``. A ReferenceGrant, written in the namespace that is referred to, allows references
from another namespace (a route's backend in another namespace, a listener's certificate).

>>> route = HTTPRoute(metadata=ObjectMeta(name="web", namespace="default"),
...                   spec=HTTPRouteSpec(parent_refs=[ParentReference(name="eg")],
...                                      rules=[HTTPRouteRule(backend_refs=[HTTPBackendRef(name="web", port=80)])]))
>>> route.spec.rules[0].backend_refs[0].name, route.kind, route.api_version
('web', 'HTTPRoute', 'gateway.networking.k8s.io/v1')
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

from .convert import api_field
from .labels import LabelSelector
from .meta import Condition, KubeObject, ObjectMeta
from .resource import Resource

GROUP = "gateway.networking.k8s.io"
VERSION = "v1.6.1"
"""The Gateway API release whose standard-channel CRDs kitlib serves (its ``bundle-version``)."""

# Condition types and reasons (apis/v1/gatewayclass_types.go, gateway_types.go, shared_types.go).
ACCEPTED = "Accepted"
PROGRAMMED = "Programmed"
RESOLVED_REFS = "ResolvedRefs"
CONFLICTED = "Conflicted"
PARTIALLY_INVALID = "PartiallyInvalid"


# ---------------------------------------------------------------------------- shared


@dataclass
class ParentReference:
    """A route's parent: a Gateway (``group`` and ``kind`` default to gateway.networking.k8s.io and
    Gateway), optionally one of its listeners by ``section_name`` or by ``port``."""

    group: str | None = None
    kind: str | None = None
    namespace: str | None = None
    name: str = ""
    section_name: str | None = None
    port: int | None = None


@dataclass
class BackendObjectReference:
    """A backend: a Service (``group`` "" and ``kind`` Service by default) and its port."""

    group: str | None = None
    kind: str | None = None
    name: str = ""
    namespace: str | None = None
    port: int | None = None


@dataclass
class SecretObjectReference:
    """A certificate's Secret (``kind`` Secret, core group by default)."""

    group: str | None = None
    kind: str | None = None
    name: str = ""
    namespace: str | None = None


@dataclass
class RouteParentStatus:
    """What the controller ``controller_name`` says about the route's attachment to one parent."""

    parent_ref: ParentReference = field(default_factory=ParentReference)
    controller_name: str = ""
    conditions: list[Condition] = field(default_factory=list)


@dataclass
class RouteStatus:
    parents: list[RouteParentStatus] = api_field(factory=list, keep_empty=True)


# ---------------------------------------------------------------------------- GatewayClass


@dataclass
class ParametersReference:
    group: str = ""
    kind: str = ""
    name: str = ""
    namespace: str | None = None


@dataclass
class GatewayClassSpec:
    controller_name: str = ""
    parameters_ref: ParametersReference | None = None
    description: str | None = None


@dataclass
class SupportedFeature:
    name: str = ""


@dataclass
class GatewayClassStatus:
    conditions: list[Condition] = field(default_factory=list)
    supported_features: list[SupportedFeature] = field(default_factory=list)


@dataclass(repr=False)
class GatewayClass(KubeObject):
    """A kind of Gateway, implemented by the controller named in ``spec.controller_name``."""

    api_version: ClassVar[str] = f"{GROUP}/v1"
    kind: ClassVar[str] = "GatewayClass"
    namespaced: ClassVar[bool] = False

    metadata: ObjectMeta = field(default_factory=ObjectMeta)
    spec: GatewayClassSpec = field(default_factory=GatewayClassSpec)
    status: GatewayClassStatus = field(default_factory=GatewayClassStatus)


# ---------------------------------------------------------------------------- Gateway


@dataclass
class RouteGroupKind:
    group: str | None = None
    kind: str = ""


@dataclass
class RouteNamespaces:
    """Which namespaces may attach routes: ``from`` Same (the default), All or Selector."""

    from_: str | None = api_field("from")
    selector: LabelSelector | None = None


@dataclass
class AllowedRoutes:
    namespaces: RouteNamespaces | None = None
    kinds: list[RouteGroupKind] = field(default_factory=list)


@dataclass
class ListenerTLSConfig:
    """``mode`` Terminate (the default) or Passthrough; the certificates' Secrets."""

    mode: str | None = None
    certificate_refs: list[SecretObjectReference] = field(default_factory=list)
    options: dict[str, str] = field(default_factory=dict)


@dataclass
class Listener:
    """One logical endpoint of a Gateway: a port, a protocol and an optional host name."""

    name: str = ""
    hostname: str | None = None
    port: int = 0
    protocol: str = ""
    tls: ListenerTLSConfig | None = None
    allowed_routes: AllowedRoutes | None = None


@dataclass
class GatewaySpecAddress:
    type: str | None = None
    value: str | None = None


@dataclass
class LocalParametersReference:
    group: str = ""
    kind: str = ""
    name: str = ""


@dataclass
class GatewayInfrastructure:
    labels: dict[str, str] = field(default_factory=dict)
    annotations: dict[str, str] = field(default_factory=dict)
    parameters_ref: LocalParametersReference | None = None


@dataclass
class ListenerNamespaces:
    from_: str | None = api_field("from")
    selector: LabelSelector | None = None


@dataclass
class AllowedListeners:
    namespaces: ListenerNamespaces | None = None


@dataclass
class ObjectReference:
    group: str = ""
    kind: str = ""
    name: str = ""
    namespace: str | None = None


@dataclass
class FrontendTLSValidation:
    ca_certificate_refs: list[ObjectReference] = field(default_factory=list)
    mode: str | None = None


@dataclass
class TLSConfig:
    validation: FrontendTLSValidation | None = None


@dataclass
class TLSPortConfig:
    port: int = 0
    tls: TLSConfig = field(default_factory=TLSConfig)


@dataclass
class FrontendTLSConfig:
    default: TLSConfig = field(default_factory=TLSConfig)
    per_port: list[TLSPortConfig] = field(default_factory=list)


@dataclass
class GatewayBackendTLS:
    client_certificate_ref: SecretObjectReference | None = None


@dataclass
class GatewayTLSConfig:
    backend: GatewayBackendTLS | None = None
    frontend: FrontendTLSConfig | None = None


@dataclass
class GatewaySpec:
    gateway_class_name: str = ""
    listeners: list[Listener] = field(default_factory=list)
    addresses: list[GatewaySpecAddress] = field(default_factory=list)
    infrastructure: GatewayInfrastructure | None = None
    allowed_listeners: AllowedListeners | None = None
    tls: GatewayTLSConfig | None = None


@dataclass
class GatewayStatusAddress:
    type: str | None = None
    value: str = ""


@dataclass
class ListenerStatus:
    """A listener's state: the route kinds it supports, how many routes attached, its conditions."""

    name: str = ""
    supported_kinds: list[RouteGroupKind] = api_field(factory=list, keep_empty=True)
    attached_routes: int = 0
    conditions: list[Condition] = api_field(factory=list, keep_empty=True)


@dataclass
class GatewayStatus:
    addresses: list[GatewayStatusAddress] = field(default_factory=list)
    conditions: list[Condition] = field(default_factory=list)
    listeners: list[ListenerStatus] = field(default_factory=list)
    attached_listener_sets: int | None = None


@dataclass(repr=False)
class Gateway(KubeObject):
    """An instance of traffic-handling infrastructure: listeners a GatewayClass's controller programs."""

    api_version: ClassVar[str] = f"{GROUP}/v1"
    kind: ClassVar[str] = "Gateway"

    metadata: ObjectMeta = field(default_factory=ObjectMeta)
    spec: GatewaySpec = field(default_factory=GatewaySpec)
    status: GatewayStatus = field(default_factory=GatewayStatus)


# ---------------------------------------------------------------------------- HTTPRoute


@dataclass
class HTTPPathMatch:
    """``type`` Exact, PathPrefix (the default, value ``/``) or RegularExpression."""

    type: str | None = None
    value: str | None = None


@dataclass
class HTTPHeaderMatch:
    """``type`` Exact (the default) or RegularExpression; header names match case-insensitively."""

    type: str | None = None
    name: str = ""
    value: str = ""


@dataclass
class HTTPQueryParamMatch:
    type: str | None = None
    name: str = ""
    value: str = ""


@dataclass
class HTTPRouteMatch:
    """Conditions that must all hold: path, every header, every query parameter, the method."""

    path: HTTPPathMatch | None = None
    headers: list[HTTPHeaderMatch] = field(default_factory=list)
    query_params: list[HTTPQueryParamMatch] = field(default_factory=list)
    method: str | None = None


@dataclass
class HTTPHeader:
    name: str = ""
    value: str = ""


@dataclass
class HTTPHeaderFilter:
    set: list[HTTPHeader] = field(default_factory=list)
    add: list[HTTPHeader] = field(default_factory=list)
    remove: list[str] = field(default_factory=list)


@dataclass
class HTTPPathModifier:
    """``type`` ReplaceFullPath or ReplacePrefixMatch, with the matching value."""

    type: str = ""
    replace_full_path: str | None = None
    replace_prefix_match: str | None = None


@dataclass
class HTTPRequestRedirectFilter:
    scheme: str | None = None
    hostname: str | None = None
    path: HTTPPathModifier | None = None
    port: int | None = None
    status_code: int | None = None


@dataclass
class HTTPURLRewriteFilter:
    hostname: str | None = None
    path: HTTPPathModifier | None = None


@dataclass
class Fraction:
    numerator: int = 0
    denominator: int | None = None


@dataclass
class HTTPRequestMirrorFilter:
    backend_ref: BackendObjectReference = field(default_factory=BackendObjectReference)
    percent: int | None = None
    fraction: Fraction | None = None


@dataclass
class HTTPCORSFilter:
    allow_origins: list[str] = field(default_factory=list)
    allow_credentials: bool | None = None
    allow_methods: list[str] = field(default_factory=list)
    allow_headers: list[str] = field(default_factory=list)
    expose_headers: list[str] = field(default_factory=list)
    max_age: int | None = None


@dataclass
class LocalObjectReference:
    group: str = ""
    kind: str = ""
    name: str = ""


@dataclass
class HTTPRouteFilter:
    """One filter: ``type`` names which of the fields below is set."""

    type: str = ""
    request_header_modifier: HTTPHeaderFilter | None = None
    response_header_modifier: HTTPHeaderFilter | None = None
    request_mirror: HTTPRequestMirrorFilter | None = None
    request_redirect: HTTPRequestRedirectFilter | None = None
    url_rewrite: HTTPURLRewriteFilter | None = None
    cors: HTTPCORSFilter | None = None
    extension_ref: LocalObjectReference | None = None


@dataclass
class HTTPBackendRef:
    """A backend with its ``weight`` (1 by default; 0 takes no traffic) and its own filters."""

    group: str | None = None
    kind: str | None = None
    name: str = ""
    namespace: str | None = None
    port: int | None = None
    weight: int | None = None
    filters: list[HTTPRouteFilter] = field(default_factory=list)


@dataclass
class HTTPRouteTimeouts:
    request: str | None = None
    backend_request: str | None = None


@dataclass
class HTTPRouteRule:
    """Matches (any one suffices), filters applied in order, and the backends, split by weight."""

    name: str | None = None
    matches: list[HTTPRouteMatch] = field(default_factory=list)
    filters: list[HTTPRouteFilter] = field(default_factory=list)
    backend_refs: list[HTTPBackendRef] = field(default_factory=list)
    timeouts: HTTPRouteTimeouts | None = None


@dataclass
class HTTPRouteSpec:
    parent_refs: list[ParentReference] = field(default_factory=list)
    hostnames: list[str] = field(default_factory=list)
    rules: list[HTTPRouteRule] = field(default_factory=list)


@dataclass(repr=False)
class HTTPRoute(KubeObject):
    """HTTP routing rules that attach to Gateway listeners through ``spec.parent_refs``."""

    api_version: ClassVar[str] = f"{GROUP}/v1"
    kind: ClassVar[str] = "HTTPRoute"

    metadata: ObjectMeta = field(default_factory=ObjectMeta)
    spec: HTTPRouteSpec = field(default_factory=HTTPRouteSpec)
    status: RouteStatus = field(default_factory=RouteStatus)


# ---------------------------------------------------------------------------- ReferenceGrant


@dataclass
class ReferenceGrantFrom:
    """Who may refer: objects of ``group``/``kind`` in ``namespace``."""

    group: str = ""
    kind: str = ""
    namespace: str = ""


@dataclass
class ReferenceGrantTo:
    """What they may refer to, in the grant's own namespace: ``kind`` (every one, or only ``name``)."""

    group: str = ""
    kind: str = ""
    name: str | None = None


@dataclass
class ReferenceGrantSpec:
    from_: list[ReferenceGrantFrom] = api_field("from", factory=list)
    to: list[ReferenceGrantTo] = field(default_factory=list)


@dataclass(repr=False)
class ReferenceGrant(KubeObject):
    """Allows references into its namespace from the namespaces and kinds it lists."""

    api_version: ClassVar[str] = f"{GROUP}/v1"
    kind: ClassVar[str] = "ReferenceGrant"

    metadata: ObjectMeta = field(default_factory=ObjectMeta)
    spec: ReferenceGrantSpec = field(default_factory=ReferenceGrantSpec)


RESOURCES = (
    Resource(GatewayClass, "gatewayclasses", ("gc",)),
    Resource(Gateway, "gateways", ("gtw",)),
    Resource(HTTPRoute, "httproutes", ()),
    Resource(ReferenceGrant, "referencegrants", ("refgrant",)),
)
"""The resource types this module defines (short names from the CRDs' ``spec.names.shortNames``)."""
