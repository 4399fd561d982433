"""Node (core/v1): a machine of the cluster, its addresses, podCIDR and conditions."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

from .convert import api_field, extra_field
from .meta import KubeObject, ObjectMeta
from .resource import Resource

NOT_READY = "node.kubernetes.io/not-ready"
"""The taint of a node whose Ready condition is False, and of every Node just created
(TaintNodesByCondition), until its conditions are known."""


@dataclass
class Taint:
    key: str = ""
    effect: str = ""
    value: str | None = None
    time_added: str | None = None


@dataclass
class NodeSpec:
    pod_cidr: str | None = api_field("podCIDR")
    pod_cidrs: list[str] = api_field("podCIDRs", factory=list)
    unschedulable: bool | None = None
    taints: list[Taint] = field(default_factory=list)
    extra: dict[str, Any] = extra_field()


@dataclass
class NodeAddress:
    type: str = ""
    address: str = ""


@dataclass
class NodeCondition:
    type: str = ""
    status: str = ""
    last_heartbeat_time: str | None = None
    last_transition_time: str | None = None
    reason: str | None = None
    message: str | None = None


@dataclass
class NodeSystemInfo:
    machine_id: str = api_field("machineID", default="")
    system_uuid: str = api_field("systemUUID", default="")
    boot_id: str = api_field("bootID", default="")
    kernel_version: str = ""
    os_image: str = ""
    container_runtime_version: str = ""
    kubelet_version: str = ""
    kube_proxy_version: str = ""
    operating_system: str = ""
    architecture: str = ""


@dataclass
class NodeStatus:
    addresses: list[NodeAddress] = field(default_factory=list)
    conditions: list[NodeCondition] = field(default_factory=list)
    capacity: dict[str, str] = field(default_factory=dict)
    allocatable: dict[str, str] = field(default_factory=dict)
    node_info: NodeSystemInfo | None = None
    extra: dict[str, Any] = extra_field()

    def condition(self, type_: str) -> NodeCondition | None:
        return next((c for c in self.conditions if c.type == type_), None)


@dataclass(repr=False)
class Node(KubeObject):
    """A machine: it runs a kubelet, a container runtime and the pod network's plumbing."""

    api_version: ClassVar[str] = "v1"
    kind: ClassVar[str] = "Node"
    namespaced: ClassVar[bool] = False

    metadata: ObjectMeta = field(default_factory=ObjectMeta)
    spec: NodeSpec = field(default_factory=NodeSpec)
    status: NodeStatus = field(default_factory=NodeStatus)


ZONE_LABEL = "topology.kubernetes.io/zone"
"""The node's zone (``v1.LabelTopologyZone``). minikube sets none; ``Cluster(zones=...)`` and
``kubectl label node`` do."""
REGION_LABEL = "topology.kubernetes.io/region"
CONTROL_PLANE_LABEL = "node-role.kubernetes.io/control-plane"


def node_zone(node: Node) -> str:
    """The node's ``topology.kubernetes.io/zone`` label, or ``""``."""
    return node.metadata.labels.get(ZONE_LABEL, "")


def cpu_millis(quantity: str | None) -> int:
    """A CPU quantity in millicores: ``"2"`` is 2000, ``"500m"`` is 500, ``"1.5"`` is 1500; 0 when
    absent or unreadable.

    >>> cpu_millis("2"), cpu_millis("250m"), cpu_millis(None)
    (2000, 250, 0)
    """
    if not quantity:
        return 0
    try:
        if quantity.endswith("m"):
            return int(quantity[:-1])
        return round(float(quantity) * 1000)
    except ValueError:
        return 0


def internal_ip(node: Node) -> str:
    """The node's InternalIP address."""
    for a in node.status.addresses:  # a loop, not next() over a generator: read for every pod started
        if a.type == "InternalIP":
            return a.address
    return ""


def node_ready(node: Node) -> bool:
    """The node's Ready condition is True."""
    c = node.status.condition("Ready")
    return c is not None and c.status == "True"


RESOURCES = (Resource(Node, "nodes", ("no",)),)
"""The resource types this module defines, gathered by :mod:`kitlib.api.registry`."""
