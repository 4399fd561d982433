"""ServiceCIDR and IPAddress (networking.k8s.io/v1, GA in 1.33): the objects behind ClusterIP allocation.

A ServiceCIDR is a range ClusterIPs are allocated from. The API server creates the one named
``kubernetes`` from its ``--service-cluster-ip-range`` (minikube's 10.96.0.0/12); more can be
created to extend the range. An IPAddress is one address in use, named by the address itself;
the allocator writes one for every ClusterIP it hands out, its ``spec.parentRef`` naming the
Service, and deletes it with the Service. An IPAddress anyone else creates reserves its address:
the allocator will not hand it out.

>>> ip = IPAddress(metadata=ObjectMeta(name="10.96.0.10"),
...                spec=IPAddressSpec(ParentReference(resource="services", namespace="kube-system", name="kube-dns")))
>>> parent_text(ip)
'services/kube-system/kube-dns'
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

from .meta import Condition, KubeObject, ObjectMeta
from .resource import Resource

IP_FAMILY_LABEL = "ipaddress.kubernetes.io/ip-family"
"""``LabelIPAddressFamily``: ``IPv4`` or ``IPv6``, on the IPAddresses the allocator writes."""
MANAGED_BY_LABEL = "ipaddress.kubernetes.io/managed-by"
"""``LabelManagedBy``: who manages an IPAddress."""
ALLOCATOR = "ipallocator.k8s.io"
"""The ClusterIP allocator's name (``ipallocator.ControllerName``), its IPAddresses' managed-by label."""
DEFAULT_NAME = "kubernetes"
"""The ServiceCIDR the API server keeps for its ``--service-cluster-ip-range`` (``DefaultServiceCIDRName``)."""
FINALIZER = "networking.k8s.io/service-cidr-finalizer"
"""What keeps a deleted ServiceCIDR while addresses only it contains are still in use."""
READY = "Ready"
"""``ServiceCIDRConditionReady``: the allocator may hand out addresses from the range."""
TERMINATING = "Terminating"
"""``ServiceCIDRReasonTerminating``: the reason of ``Ready=False`` while a deletion waits."""


@dataclass
class ParentReference:
    """What an IPAddress is for: ``resource`` ``services`` in group ``""`` (left out) for a ClusterIP."""

    group: str | None = None
    resource: str | None = None
    namespace: str | None = None
    name: str | None = None


@dataclass
class IPAddressSpec:
    parent_ref: ParentReference | None = None


@dataclass(repr=False)
class IPAddress(KubeObject):
    """One address in use, named by the address in canonical form (``10.96.0.10``)."""

    api_version: ClassVar[str] = "networking.k8s.io/v1"
    kind: ClassVar[str] = "IPAddress"
    namespaced: ClassVar[bool] = False

    metadata: ObjectMeta = field(default_factory=ObjectMeta)
    spec: IPAddressSpec = field(default_factory=IPAddressSpec)


@dataclass
class ServiceCIDRSpec:
    cidrs: list[str] = field(default_factory=list)
    """At most two, one of each IP family; immutable but for adding the second family."""


@dataclass
class ServiceCIDRStatus:
    conditions: list[Condition] = field(default_factory=list)

    def condition(self, type_: str) -> Condition | None:
        return next((c for c in self.conditions if c.type == type_), None)


@dataclass(repr=False)
class ServiceCIDR(KubeObject):
    """A range ClusterIPs are allocated from."""

    api_version: ClassVar[str] = "networking.k8s.io/v1"
    kind: ClassVar[str] = "ServiceCIDR"
    namespaced: ClassVar[bool] = False

    metadata: ObjectMeta = field(default_factory=ObjectMeta)
    spec: ServiceCIDRSpec = field(default_factory=ServiceCIDRSpec)
    status: ServiceCIDRStatus = field(default_factory=ServiceCIDRStatus)


def parent_text(ip: IPAddress) -> str:
    """The PARENTREF column (``printIPAddress``): ``services/default/web``, the group appended
    to the resource when there is one (``gateways.gateway.networking.k8s.io/gw``), or ``<none>``."""
    ref = ip.spec.parent_ref
    if ref is None:
        return "<none>"
    text = f"{ref.resource or ''}.{ref.group}" if ref.group else ref.resource or ""
    text = text.lower()
    if ref.namespace:
        text += f"/{ref.namespace}"
    return f"{text}/{ref.name or ''}"


def is_ready(cidr: ServiceCIDR) -> bool:
    """Whether the allocator may use the range (``isReady``): its ``Ready`` condition, True when
    it has none yet, and not being deleted."""
    if cidr.metadata.deletion_timestamp is not None:
        return False
    ready = cidr.status.condition(READY)
    return ready is None or ready.status == "True"


RESOURCES = (Resource(IPAddress, "ipaddresses", ("ip",)), Resource(ServiceCIDR, "servicecidrs", ()))
"""The resource types this module defines, gathered by :mod:`kitlib.api.registry`."""
