"""``kubectl get``: kubectl's columns for each resource type, and -o wide|yaml|json|name."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from ..api.meta import KubeObject
from ..api.node import internal_ip, node_ready
from ..api.pod import Pod
from ..api.registry import Resource, for_object
from ..clock import human_duration, parse_timestamp
from ..manifest import dump_json, dump_yaml
from .table import render

if TYPE_CHECKING:
    from ..cluster import Cluster

Columns = Callable[["Cluster", KubeObject, bool], list[str]]
PRINTERS: dict[str, tuple[list[str], list[str], Columns]] = {}
"""kind -> (headers, extra headers with -o wide, row function)."""


def printer(kind: str, headers: list[str], wide: list[str]):
    """Register the columns of a kind (later modules add Services, Ingresses, ...)."""
    def wrap(fn: Columns) -> Columns:
        PRINTERS[kind] = (headers, wide, fn)
        return fn
    return wrap


def age(cluster: Cluster, obj: KubeObject) -> str:
    ts = obj.metadata.creation_timestamp
    return human_duration(cluster.now - parse_timestamp(ts)) if ts else "<unknown>"


def pod_status(cluster: Cluster, pod: Pod) -> str:
    """The STATUS column as kubectl computes it (printPod)."""
    reason = pod.status.reason or pod.status.phase or "Pending"
    has_running = False
    for cs in reversed(pod.status.container_statuses):
        if cs.state.waiting and cs.state.waiting.reason:
            reason = cs.state.waiting.reason
        elif cs.state.terminated and cs.state.terminated.reason:
            reason = cs.state.terminated.reason
        elif cs.state.terminated:
            reason = f"ExitCode:{cs.state.terminated.exit_code}"
        elif cs.ready and cs.state.running:
            has_running = True
    if reason == "Completed" and has_running:
        # One container finished but another still runs: the pod is not done.
        ready = pod.status.condition("Ready")
        reason = "Running" if ready is not None and ready.status == "True" else "NotReady"
    if pod.metadata.deletion_timestamp is not None:
        # kubectl shows "Unknown" only for the old NodeLost reason, which current clusters don't set.
        return "Unknown" if pod.status.reason == "NodeLost" else "Terminating"
    return reason


def restarts_column(cluster: Cluster, pod: Pod) -> str:
    """RESTARTS as kubectl 1.32 prints it: ``2 (35s ago)``, timed from the last container exit."""
    restarts = sum(cs.restart_count for cs in pod.status.container_statuses)
    finished = [cs.last_state.terminated.finished_at for cs in pod.status.container_statuses
                if cs.last_state.terminated is not None and cs.last_state.terminated.finished_at]
    if restarts and finished:
        return f"{restarts} ({human_duration(cluster.now - max(parse_timestamp(t) for t in finished))} ago)"
    return str(restarts)


@printer("Pod", ["NAME", "READY", "STATUS", "RESTARTS", "AGE"], ["IP", "NODE", "NOMINATED NODE", "READINESS GATES"])
def _pod(cluster: Cluster, pod: Pod, wide: bool) -> list[str]:
    total = len(pod.spec.containers)
    ready = sum(1 for cs in pod.status.container_statuses if cs.ready)
    row = [pod.name, f"{ready}/{total}", pod_status(cluster, pod), restarts_column(cluster, pod), age(cluster, pod)]
    if wide:
        row += [pod.status.pod_ip or "<none>", pod.spec.node_name or "<none>", "<none>", "<none>"]
    return row


@printer("Node", ["NAME", "STATUS", "ROLES", "AGE", "VERSION"],
         ["INTERNAL-IP", "EXTERNAL-IP", "OS-IMAGE", "KERNEL-VERSION", "CONTAINER-RUNTIME"])
def _node(cluster: Cluster, node, wide: bool) -> list[str]:
    status = "Ready" if node_ready(node) else "NotReady"
    if node.spec.unschedulable:
        status += ",SchedulingDisabled"
    roles = ",".join(sorted(k.split("/", 1)[1] for k in node.metadata.labels
                            if k.startswith("node-role.kubernetes.io/"))) or "<none>"
    info = node.status.node_info
    row = [node.name, status, roles, age(cluster, node), info.kubelet_version if info else ""]
    if wide:
        row += [internal_ip(node), "<none>", info.os_image, info.kernel_version, info.container_runtime_version]
    return row


@printer("Namespace", ["NAME", "STATUS", "AGE"], [])
def _namespace(cluster: Cluster, ns, wide: bool) -> list[str]:
    return [ns.name, ns.status.phase or "Active", age(cluster, ns)]


def _containers(template) -> tuple[str, str]:
    cs = template.spec.containers
    return ",".join(c.name for c in cs), ",".join(c.image or "" for c in cs)


@printer("Deployment", ["NAME", "READY", "UP-TO-DATE", "AVAILABLE", "AGE"], ["CONTAINERS", "IMAGES", "SELECTOR"])
def _deployment(cluster: Cluster, d, wide: bool) -> list[str]:
    st = d.status
    row = [d.name, f"{st.ready_replicas or 0}/{d.spec.replicas or 0}", str(st.updated_replicas or 0),
           str(st.available_replicas or 0), age(cluster, d)]
    if wide:
        row += [*_containers(d.spec.template), str(d.spec.selector or "")]
    return row


@printer("ReplicaSet", ["NAME", "DESIRED", "CURRENT", "READY", "AGE"], ["CONTAINERS", "IMAGES", "SELECTOR"])
def _replicaset(cluster: Cluster, rs, wide: bool) -> list[str]:
    row = [rs.name, str(rs.spec.replicas or 0), str(rs.status.replicas), str(rs.status.ready_replicas or 0),
           age(cluster, rs)]
    if wide:
        row += [*_containers(rs.spec.template), str(rs.spec.selector or "")]
    return row


def table(cluster: Cluster, res: Resource, objs: list[KubeObject], *, wide: bool, all_namespaces: bool,
          show_kind: bool = False, show_labels: bool = False) -> str:
    headers, wide_headers, row = PRINTERS[res.kind]
    heads = list(headers) + (list(wide_headers) if wide else [])
    rows = []
    for obj in objs:
        r = row(cluster, obj, wide)
        if show_kind:
            r[0] = f"{res.type_name}/{r[0]}"
        if show_labels:
            r.append(",".join(f"{k}={v}" for k, v in sorted(obj.metadata.labels.items())) or "<none>")
        if all_namespaces and res.cls.namespaced:
            r.insert(0, obj.namespace)
        rows.append(r)
    if show_labels:
        heads.append("LABELS")
    if all_namespaces and res.cls.namespaced:
        heads.insert(0, "NAMESPACE")
    return render(heads, rows)


def as_list(objs: list[KubeObject]) -> dict:
    return {"apiVersion": "v1", "items": [o.to_dict() for o in objs], "kind": "List",
            "metadata": {"resourceVersion": ""}}


def output(objs: list[KubeObject], fmt: str, single: bool) -> str:
    """-o yaml | json | name for a list of objects (one object prints bare when asked by name)."""
    if fmt == "name":
        return "\n".join(f"{for_object(o).type_name}/{o.name}" for o in objs)
    data = objs[0].to_dict() if single else as_list(objs)
    return dump_yaml(data).rstrip("\n") if fmt == "yaml" else dump_json(data)
