"""Service (core/v1): a stable virtual IP, ports and a selector in front of changing pods."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

from .convert import api_field, extra_field
from .meta import KubeObject, ObjectMeta
from .resource import Resource

SERVICE_TYPES = ["ClusterIP", "ExternalName", "LoadBalancer", "NodePort"]

PREFER_CLOSE = "PreferClose"
"""The first ``trafficDistribution`` value (1.30), deprecated since 1.35 for its new name, ``PreferSameZone``."""
PREFER_SAME_ZONE = "PreferSameZone"
PREFER_SAME_NODE = "PreferSameNode"
TRAFFIC_DISTRIBUTIONS = [PREFER_CLOSE, PREFER_SAME_ZONE, PREFER_SAME_NODE]
"""The ``trafficDistribution`` values the API server accepts, in the order its error lists them."""
TOPOLOGY_MODE_ANNOTATION = "service.kubernetes.io/topology-mode"
"""``Auto`` turns on topology-aware routing: zone hints allotted in proportion to each zone's CPUs."""
TOPOLOGY_AWARE_HINTS_ANNOTATION = "service.kubernetes.io/topology-aware-hints"
"""The annotation's deprecated older name; when both are set, this one decides."""
LOAD_BALANCER_SOURCE_RANGES_ANNOTATION = "service.beta.kubernetes.io/load-balancer-source-ranges"
"""``loadBalancerSourceRanges``' older form, comma-separated CIDRs. The API server validates it
(when the field is empty); kube-proxy reads only the field (``newBaseServiceInfo``)."""


@dataclass
class ServicePort:
    """One port of a Service: ``port`` on the service address, ``target_port`` on the pods
    (a number or a container port's name), and ``node_port`` on every node (NodePort, LoadBalancer)."""

    port: int = 0
    name: str | None = None
    protocol: str | None = None
    target_port: int | str | None = None
    node_port: int | None = None
    app_protocol: str | None = None


@dataclass
class ClientIPConfig:
    timeout_seconds: int | None = None


@dataclass
class SessionAffinityConfig:
    client_ip: ClientIPConfig | None = api_field("clientIP")


@dataclass
class ServiceSpec:
    type: str | None = None
    selector: dict[str, str] = field(default_factory=dict)
    ports: list[ServicePort] = field(default_factory=list)
    cluster_ip: str | None = api_field("clusterIP")
    cluster_ips: list[str] = api_field("clusterIPs", factory=list)
    external_name: str | None = None
    external_ips: list[str] = api_field("externalIPs", factory=list)
    session_affinity: str | None = None
    session_affinity_config: SessionAffinityConfig | None = None
    external_traffic_policy: str | None = None
    internal_traffic_policy: str | None = None
    health_check_node_port: int | None = None
    publish_not_ready_addresses: bool | None = None
    allocate_load_balancer_node_ports: bool | None = None
    load_balancer_ip: str | None = api_field("loadBalancerIP")
    load_balancer_class: str | None = None
    load_balancer_source_ranges: list[str] = field(default_factory=list)
    """The client ranges (CIDRs) allowed to reach the LoadBalancer IPs; kube-proxy drops the rest
    (see :mod:`kitlib.network.proxy.firewall`)."""
    ip_families: list[str] = field(default_factory=list)
    ip_family_policy: str | None = None
    traffic_distribution: str | None = None
    """``PreferSameZone`` (or its older name ``PreferClose``) or ``PreferSameNode``: where kube-proxy
    prefers to send this Service's traffic (see :mod:`kitlib.network.proxy.servicemap`)."""
    extra: dict[str, Any] = extra_field()


@dataclass
class LoadBalancerIngress:
    ip: str | None = None
    hostname: str | None = None
    ip_mode: str | None = None


@dataclass
class LoadBalancerStatus:
    ingress: list[LoadBalancerIngress] = field(default_factory=list)


@dataclass
class ServiceStatus:
    load_balancer: LoadBalancerStatus = field(default_factory=LoadBalancerStatus)


@dataclass(repr=False)
class Service(KubeObject):
    """A Service; its ``spec.cluster_ip`` is allocated by the API server and never changes."""

    api_version: ClassVar[str] = "v1"
    kind: ClassVar[str] = "Service"

    metadata: ObjectMeta = field(default_factory=ObjectMeta)
    spec: ServiceSpec = field(default_factory=ServiceSpec)
    status: ServiceStatus = field(default_factory=ServiceStatus)


def is_headless(svc: Service) -> bool:
    """``clusterIP: None``: DNS returns the pods' IPs and kube-proxy ignores the Service."""
    return svc.spec.cluster_ip == "None"


def service_type(svc: Service) -> str:
    return svc.spec.type or "ClusterIP"


def is_external(svc: Service) -> bool:
    """Reachable from outside (Go's ``ExternallyAccessible``): NodePort and LoadBalancer, or a
    ClusterIP with externalIPs."""
    kind = service_type(svc)
    return kind in ("NodePort", "LoadBalancer") or (kind == "ClusterIP" and bool(svc.spec.external_ips))


RESOURCES = (Resource(Service, "services", ("svc",)),)
"""The resource types this module defines, gathered by :mod:`kitlib.api.registry`."""
