"""Deployment, ReplicaSet and DaemonSet (apps/v1): how pods are stamped out and kept at a count,
or one on each node."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

from .convert import api_field, extra_field
from .labels import LabelSelector
from .meta import KubeObject, ObjectMeta
from .pod import PodTemplateSpec
from .resource import Resource


@dataclass
class RollingUpdateDeployment:
    max_unavailable: int | str | None = None
    max_surge: int | str | None = None


@dataclass
class DeploymentStrategy:
    type: str | None = None
    rolling_update: RollingUpdateDeployment | None = None


@dataclass
class DeploymentCondition:
    type: str = ""
    status: str = ""
    last_update_time: str | None = None
    last_transition_time: str | None = None
    reason: str | None = None
    message: str | None = None


@dataclass
class DeploymentSpec:
    replicas: int | None = None
    selector: LabelSelector | None = None
    template: PodTemplateSpec = field(default_factory=PodTemplateSpec)
    strategy: DeploymentStrategy | None = None
    min_ready_seconds: int | None = None
    revision_history_limit: int | None = None
    progress_deadline_seconds: int | None = None
    paused: bool | None = None
    extra: dict[str, Any] = extra_field()


@dataclass
class DeploymentStatus:
    observed_generation: int | None = None
    replicas: int | None = None
    updated_replicas: int | None = None
    ready_replicas: int | None = None
    available_replicas: int | None = None
    unavailable_replicas: int | None = None
    conditions: list[DeploymentCondition] = field(default_factory=list)
    collision_count: int | None = None


@dataclass(repr=False)
class Deployment(KubeObject):
    """Declares how many pods of a template should run and how to roll out a new template."""

    api_version: ClassVar[str] = "apps/v1"
    kind: ClassVar[str] = "Deployment"

    metadata: ObjectMeta = field(default_factory=ObjectMeta)
    spec: DeploymentSpec = field(default_factory=DeploymentSpec)
    status: DeploymentStatus = field(default_factory=DeploymentStatus)


@dataclass
class ReplicaSetSpec:
    replicas: int | None = None
    selector: LabelSelector | None = None
    template: PodTemplateSpec = field(default_factory=PodTemplateSpec)
    min_ready_seconds: int | None = None
    extra: dict[str, Any] = extra_field()


@dataclass
class ReplicaSetStatus:
    replicas: int = 0
    fully_labeled_replicas: int | None = None
    ready_replicas: int | None = None
    available_replicas: int | None = None
    observed_generation: int | None = None


@dataclass(repr=False)
class ReplicaSet(KubeObject):
    """Keeps a number of identical pods running; a Deployment owns one per template version."""

    api_version: ClassVar[str] = "apps/v1"
    kind: ClassVar[str] = "ReplicaSet"

    metadata: ObjectMeta = field(default_factory=ObjectMeta)
    spec: ReplicaSetSpec = field(default_factory=ReplicaSetSpec)
    status: ReplicaSetStatus = field(default_factory=ReplicaSetStatus)


@dataclass
class RollingUpdateDaemonSet:
    max_unavailable: int | str | None = None
    max_surge: int | str | None = None


@dataclass
class DaemonSetUpdateStrategy:
    type: str | None = None
    rolling_update: RollingUpdateDaemonSet | None = None


@dataclass
class DaemonSetSpec:
    selector: LabelSelector | None = None
    template: PodTemplateSpec = field(default_factory=PodTemplateSpec)
    update_strategy: DaemonSetUpdateStrategy | None = None
    min_ready_seconds: int | None = None
    revision_history_limit: int | None = None
    extra: dict[str, Any] = extra_field()


@dataclass
class DaemonSetStatus:
    current_number_scheduled: int = api_field(default=0, keep_empty=True)
    number_misscheduled: int = api_field(default=0, keep_empty=True)
    desired_number_scheduled: int = api_field(default=0, keep_empty=True)
    number_ready: int = api_field(default=0, keep_empty=True)
    observed_generation: int | None = None
    updated_number_scheduled: int | None = None
    number_available: int | None = None
    number_unavailable: int | None = None


@dataclass(repr=False)
class DaemonSet(KubeObject):
    """Runs one copy of a pod on every node that fits (kube-proxy, the CNI's agent, log shippers)."""

    api_version: ClassVar[str] = "apps/v1"
    kind: ClassVar[str] = "DaemonSet"

    metadata: ObjectMeta = field(default_factory=ObjectMeta)
    spec: DaemonSetSpec = field(default_factory=DaemonSetSpec)
    status: DaemonSetStatus = field(default_factory=DaemonSetStatus)


RESOURCES = (Resource(Deployment, "deployments", ("deploy",)), Resource(ReplicaSet, "replicasets", ("rs",)),
             Resource(DaemonSet, "daemonsets", ("ds",)))
"""The resource types this module defines, gathered by :mod:`kitlib.api.registry`."""
