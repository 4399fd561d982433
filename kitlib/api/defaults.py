"""What the API server (and its admission plugins) fill in when an object is created."""

from __future__ import annotations

from .apps import (
    DaemonSet,
    DaemonSetUpdateStrategy,
    Deployment,
    DeploymentStrategy,
    ReplicaSet,
    RollingUpdateDaemonSet,
    RollingUpdateDeployment,
)
from .pod import Pod, PodSpec, Probe, Toleration


def image_pull_policy(image: str) -> str:
    """``Always`` for ``:latest`` or an untagged image, ``IfNotPresent`` otherwise."""
    name = image.split("@")[0]
    last = name.rsplit("/", 1)[-1]
    if "@" in image:
        return "IfNotPresent"
    if ":" not in last or last.endswith(":latest"):
        return "Always"
    return "IfNotPresent"


def image_repo(image: str) -> str:
    """The repository of an image reference, without tag, digest or Docker Hub prefixes
    (``docker.io/library/nginx:1.27`` → ``nginx``)."""
    name = image.split("@", 1)[0]
    last = name.rsplit("/", 1)[-1]
    if ":" in last:
        name = name[: len(name) - len(last)] + last.split(":", 1)[0]
    for prefix in ("docker.io/", "library/"):
        name = name.removeprefix(prefix)
    return name


def image_tag(image: str) -> str:
    """The tag of an image reference (``latest`` when none is given)."""
    last = image.split("@", 1)[0].rsplit("/", 1)[-1]
    return last.split(":", 1)[1] if ":" in last else "latest"


def default_pod_spec(spec: PodSpec) -> None:
    """SetDefaults for a PodSpec (in a pod and in a template)."""
    spec.restart_policy = spec.restart_policy or "Always"
    if spec.termination_grace_period_seconds is None:
        spec.termination_grace_period_seconds = 30
    spec.dns_policy = spec.dns_policy or "ClusterFirst"
    spec.scheduler_name = spec.scheduler_name or "default-scheduler"
    # setdefault without building the {} when it is there (a controller's pods come defaulted)
    if "securityContext" not in spec.extra:
        spec.extra["securityContext"] = {}
    for c in spec.containers:
        c.image_pull_policy = c.image_pull_policy or image_pull_policy(c.image or "")
        extra = c.extra
        if "resources" not in extra:
            extra["resources"] = {}
        extra.setdefault("terminationMessagePath", "/dev/termination-log")
        extra.setdefault("terminationMessagePolicy", "File")
        for p in c.ports:
            p.protocol = p.protocol or "TCP"
            if spec.host_network and not p.host_port:  # defaultHostNetworkPorts: the node's port is the container's
                p.host_port = p.container_port
        for probe in (c.startup_probe, c.liveness_probe, c.readiness_probe):  # c.probes(), without its list
            if probe is not None:
                default_probe(probe)


def default_probe(probe: Probe) -> None:
    """SetDefaults_Probe and its handlers: a zero (or missing) timing field takes its default."""
    # initialDelaySeconds is omitempty: an explicit 0 is not stored.
    probe.initial_delay_seconds = probe.initial_delay_seconds or None
    probe.timeout_seconds = probe.timeout_seconds or 1
    probe.period_seconds = probe.period_seconds or 10
    probe.success_threshold = probe.success_threshold or 1
    probe.failure_threshold = probe.failure_threshold or 3
    if probe.http_get is not None:
        probe.http_get.path = probe.http_get.path or "/"
        probe.http_get.scheme = probe.http_get.scheme or "HTTP"
    if probe.grpc is not None and probe.grpc.service is None:
        probe.grpc.service = ""


SYSTEM_PRIORITIES = {"system-node-critical": 2000001000, "system-cluster-critical": 2000000000}
"""The priority of the built-in PriorityClasses (``pkg/apis/scheduling``, SystemCriticalPriority + 1000 and + 0)."""


def default_pod(pod: Pod) -> None:
    """Defaults plus what admission adds to a new pod (service account, tolerations, priority)."""
    default_pod_spec(pod.spec)
    spec = pod.spec
    spec.service_account_name = spec.service_account_name or "default"
    spec.extra.setdefault("serviceAccount", spec.service_account_name)
    if spec.enable_service_links is None:
        spec.enable_service_links = True
    # The Priority admission plug-in: the built-in classes' values (scheduling/types.go).
    spec.priority = spec.priority or SYSTEM_PRIORITIES.get(spec.priority_class_name or "", 0)
    spec.preemption_policy = spec.preemption_policy or "PreemptLowerPriority"
    # DefaultTolerationSeconds: ride out a node's short trouble for 5 minutes before eviction,
    # unless the pod already tolerates the taint (a DaemonSet's pods tolerate it for ever).
    tolerations = spec.tolerations
    for key, default in DEFAULT_TOLERATIONS:
        for t in tolerations:  # any(...) without a generator: every pod a controller makes comes here
            if (t.key == key or (t.key is None and t.operator == "Exists")) and t.effect in (None, "NoExecute"):
                break
        else:
            tolerations.append(default)


DEFAULT_TOLERATIONS = tuple((key, Toleration(key=key, operator="Exists", effect="NoExecute", toleration_seconds=300))
                            for key in ("node.kubernetes.io/not-ready", "node.kubernetes.io/unreachable"))
"""The tolerations DefaultTolerationSeconds adds (``plugin/pkg/admission/defaulttolerationseconds``:
300 s each), by the taint's key. Every pod holds these two objects, not copies: a pod's
tolerations are never changed in place (an update stores a new pod, the copies handed out are
clones), and at 30,000 pods two objects fewer each are 60,000 fewer for the garbage collector
to walk at every full collection."""


def default_deployment(d: Deployment) -> None:
    s = d.spec
    if s.replicas is None:
        s.replicas = 1
    if s.strategy is None or s.strategy.type is None:
        s.strategy = DeploymentStrategy(type="RollingUpdate", rolling_update=(s.strategy.rolling_update if s.strategy else None))
    if s.strategy.type == "RollingUpdate":
        ru = s.strategy.rolling_update or RollingUpdateDeployment()
        ru.max_surge = "25%" if ru.max_surge is None else ru.max_surge
        ru.max_unavailable = "25%" if ru.max_unavailable is None else ru.max_unavailable
        s.strategy.rolling_update = ru
    if s.revision_history_limit is None:
        s.revision_history_limit = 10
    if s.progress_deadline_seconds is None:
        s.progress_deadline_seconds = 600
    default_pod_spec(s.template.spec)


def default_daemonset(ds: DaemonSet) -> None:
    """``SetDefaults_DaemonSet`` (apps/v1): a RollingUpdate of at most 1 unavailable pod and no
    surge, and 10 old revisions kept."""
    s = ds.spec
    strategy = s.update_strategy or DaemonSetUpdateStrategy()
    strategy.type = strategy.type or "RollingUpdate"
    if strategy.type == "RollingUpdate":
        ru = strategy.rolling_update or RollingUpdateDaemonSet()
        ru.max_unavailable = 1 if ru.max_unavailable is None else ru.max_unavailable
        ru.max_surge = 0 if ru.max_surge is None else ru.max_surge
        strategy.rolling_update = ru
    s.update_strategy = strategy
    if s.revision_history_limit is None:
        s.revision_history_limit = 10
    default_pod_spec(s.template.spec)


def default_replicaset(rs: ReplicaSet) -> None:
    if rs.spec.replicas is None:
        rs.spec.replicas = 1
    default_pod_spec(rs.spec.template.spec)
