"""Pod (core/v1): containers and their ports, where it runs, and its status."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

from .convert import api_field, extra_field
from .meta import KubeObject, ObjectMeta
from .resource import Resource


@dataclass
class ContainerPort:
    """A port the container declares: informational, as on a real cluster (what listens is decided by
    the image and its command, :mod:`kitlib.container.listeners`); Services may name it."""

    container_port: int = 0
    name: str | None = None
    protocol: str | None = None
    host_port: int | None = None
    extra: dict[str, Any] = extra_field()


@dataclass
class HTTPHeader:
    name: str = ""
    value: str = ""


@dataclass
class HTTPGetAction:
    """A probe's GET request: the kubelet sends it to the pod IP (or ``host``), and a status in
    200-399 is a success."""

    path: str | None = None
    port: int | str = 0
    """A number, or the name of one of the container's ports."""
    host: str | None = None
    scheme: str | None = None
    http_headers: list[HTTPHeader] = field(default_factory=list)


@dataclass
class TCPSocketAction:
    """A probe that only opens a TCP connection: success when something accepts it."""

    port: int | str = 0
    host: str | None = None


@dataclass
class ExecAction:
    """A command run inside the container: exit code 0 is a success."""

    command: list[str] = field(default_factory=list)


@dataclass
class GRPCAction:
    """The gRPC health-checking protocol (``grpc.health.v1.Health/Check``) on ``port``."""

    port: int = 0
    service: str | None = None


@dataclass
class Probe:
    """A readiness, liveness or startup probe: one handler and its timing."""

    exec: ExecAction | None = None
    http_get: HTTPGetAction | None = None
    tcp_socket: TCPSocketAction | None = None
    grpc: GRPCAction | None = None
    initial_delay_seconds: int | None = None
    timeout_seconds: int | None = None
    period_seconds: int | None = None
    success_threshold: int | None = None
    failure_threshold: int | None = None
    termination_grace_period_seconds: int | None = None
    extra: dict[str, Any] = extra_field()

    def handlers(self) -> list[str]:
        """The API names of the handlers set, in the order the API server checks them."""
        return [name for name, h in (("exec", self.exec), ("httpGet", self.http_get),
                                     ("tcpSocket", self.tcp_socket), ("grpc", self.grpc)) if h is not None]


@dataclass
class Container:
    """One container of a pod; what its app answers is :mod:`kitlib.container.images`."""

    name: str = ""
    image: str | None = None
    ports: list[ContainerPort] = field(default_factory=list)
    image_pull_policy: str | None = None
    readiness_probe: Probe | None = None
    liveness_probe: Probe | None = None
    startup_probe: Probe | None = None
    extra: dict[str, Any] = extra_field()

    def probes(self) -> list[tuple[str, Probe]]:
        """(kind, probe) for each probe set: ``startup``, ``liveness``, ``readiness``."""
        return [(k, p) for k, p in (("startup", self.startup_probe), ("liveness", self.liveness_probe),
                                    ("readiness", self.readiness_probe)) if p is not None]


@dataclass
class Toleration:
    key: str | None = None
    operator: str | None = None
    value: str | None = None
    effect: str | None = None
    toleration_seconds: int | None = None


@dataclass
class NodeSelectorRequirement:
    """One condition on a node's labels (``matchExpressions``) or fields (``matchFields``)."""

    key: str = ""
    operator: str = ""
    values: list[str] = field(default_factory=list)


@dataclass
class NodeSelectorTerm:
    """All its requirements must hold (the terms of a :class:`NodeSelector` are ORed)."""

    match_expressions: list[NodeSelectorRequirement] = field(default_factory=list)
    match_fields: list[NodeSelectorRequirement] = field(default_factory=list)


@dataclass
class NodeSelector:
    node_selector_terms: list[NodeSelectorTerm] = field(default_factory=list)


@dataclass
class NodeAffinity:
    required_during_scheduling_ignored_during_execution: NodeSelector | None = None
    extra: dict[str, Any] = extra_field()


@dataclass
class Affinity:
    """Where a pod may run; kitlib models the required node affinity (pod affinity is kept as given)."""

    node_affinity: NodeAffinity | None = None
    extra: dict[str, Any] = extra_field()


@dataclass
class Volume:
    """A pod volume; only whether it is an ``emptyDir`` matters here (``kubectl drain``)."""

    name: str = ""
    empty_dir: dict[str, Any] | None = api_field(keep_empty=True)
    extra: dict[str, Any] = extra_field()


@dataclass
class PodSpec:
    """spec of a Pod, and of a pod template."""

    containers: list[Container] = api_field(factory=list, keep_empty=True)
    node_name: str | None = None
    restart_policy: str | None = None
    termination_grace_period_seconds: int | None = None
    dns_policy: str | None = None
    scheduler_name: str | None = None
    service_account_name: str | None = None
    enable_service_links: bool | None = None
    priority: int | None = None
    preemption_policy: str | None = None
    tolerations: list[Toleration] = field(default_factory=list)
    node_selector: dict[str, str] = field(default_factory=dict)
    affinity: Affinity | None = None
    host_network: bool | None = None
    """The pod uses its node's network namespace: its IP is the node's (no pod-network address)."""
    priority_class_name: str | None = None
    volumes: list[Volume] = field(default_factory=list)
    extra: dict[str, Any] = extra_field()


@dataclass
class PodCondition:
    type: str = ""
    status: str = ""
    last_probe_time: str | None = api_field(default=None, keep_empty=True)
    last_transition_time: str | None = None
    reason: str | None = None
    message: str | None = None


@dataclass
class ContainerStateWaiting:
    reason: str | None = None
    message: str | None = None


@dataclass
class ContainerStateRunning:
    started_at: str | None = None


@dataclass
class ContainerStateTerminated:
    exit_code: int = api_field(default=0, keep_empty=True)
    reason: str | None = None
    container_id: str | None = api_field("containerID")
    started_at: str | None = None
    finished_at: str | None = None


@dataclass
class ContainerState:
    """Exactly one of waiting, running or terminated is set."""

    waiting: ContainerStateWaiting | None = None
    running: ContainerStateRunning | None = None
    terminated: ContainerStateTerminated | None = None


@dataclass
class ContainerStatus:
    name: str = ""
    image: str = ""
    image_id: str = api_field("imageID", default="")
    container_id: str | None = api_field("containerID")
    ready: bool = False
    started: bool | None = None
    restart_count: int = 0
    state: ContainerState = field(default_factory=ContainerState)
    last_state: ContainerState = field(default_factory=ContainerState)


@dataclass
class PodIP:
    ip: str = ""


@dataclass
class PodStatus:
    phase: str | None = None
    conditions: list[PodCondition] = field(default_factory=list)
    host_ip: str | None = api_field("hostIP")
    host_ips: list[PodIP] = api_field("hostIPs", factory=list)
    pod_ip: str | None = api_field("podIP")
    pod_ips: list[PodIP] = api_field("podIPs", factory=list)
    start_time: str | None = None
    qos_class: str | None = None
    container_statuses: list[ContainerStatus] = field(default_factory=list)
    reason: str | None = None
    message: str | None = None

    def condition(self, type_: str) -> PodCondition | None:
        for c in self.conditions:
            if c.type == type_:
                return c
        return None


@dataclass(repr=False)
class Pod(KubeObject):
    """The smallest deployable unit: one network namespace (one IP) shared by its containers."""

    api_version: ClassVar[str] = "v1"
    kind: ClassVar[str] = "Pod"

    metadata: ObjectMeta = field(default_factory=ObjectMeta)
    spec: PodSpec = field(default_factory=PodSpec)
    status: PodStatus = field(default_factory=PodStatus)


@dataclass
class PodTemplateSpec:
    """The pod a controller stamps out: metadata (labels) and spec."""

    metadata: ObjectMeta = field(default_factory=ObjectMeta)
    spec: PodSpec = field(default_factory=PodSpec)


def is_ready(pod: Pod) -> bool:
    """The pod's Ready condition is True."""
    c = pod.status.condition("Ready")
    return c is not None and c.status == "True"


def is_terminating(pod: Pod) -> bool:
    """The pod has been deleted and is in its grace period."""
    return pod.metadata.deletion_timestamp is not None


def container_path(name: str) -> str:
    """The field path of a container, which a kubelet's events about it name
    (``GenerateContainerRef``): ``spec.containers{web}``."""
    return f"spec.containers{{{name}}}"


def container_ports(pod: Pod) -> list[tuple[str, ContainerPort]]:
    """Every declared port of the pod with the name of its container."""
    return [(c.name, p) for c in pod.spec.containers for p in c.ports]


MIRROR_ANNOTATION = "kubernetes.io/config.mirror"
"""The annotation of a mirror pod: the API's copy of a static pod the kubelet runs from a file."""


def is_mirror(pod: Pod) -> bool:
    """A mirror pod (``kubernetes.io/config.mirror``): deleting it through the API stops nothing."""
    return MIRROR_ANNOTATION in pod.metadata.annotations


def uses_host_network(pod: Pod) -> bool:
    """``spec.hostNetwork``: the pod's IP is its node's."""
    return bool(pod.spec.host_network)


RESOURCES = (Resource(Pod, "pods", ("po",)),)
"""The resource types this module defines, gathered by :mod:`kitlib.api.registry`."""
