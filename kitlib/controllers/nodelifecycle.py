"""The node lifecycle controller, cordoning, and what happens when a node stops answering.

Timings are the defaults of a current cluster, without the heartbeats behind them: the node
is marked NotReady (Ready=Unknown) 50 s after it went silent (``--node-monitor-grace-period``),
its pods are marked not ready at the same moment, and they are evicted 300 s later (the
``tolerationSeconds`` that admission gives every pod for the ``unreachable`` taint).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..api.node import Node, Taint
from . import kubelet

if TYPE_CHECKING:
    from ..cluster import Cluster

MONITOR_GRACE = 50.0
UNREACHABLE = "node.kubernetes.io/unreachable"
UNSCHEDULABLE = "node.kubernetes.io/unschedulable"


def set_unschedulable(cluster: Cluster, node: Node, value: bool) -> None:
    node.spec.unschedulable = True if value else None
    node.spec.taints = [t for t in node.spec.taints if t.key != UNSCHEDULABLE]
    if value:
        node.spec.taints.append(Taint(UNSCHEDULABLE, "NoSchedule", time_added=cluster.clock.timestamp()))
    cluster._store.touch(node)
    cluster._changed(node)


def fail(cluster: Cluster, node: Node) -> None:
    runtime = cluster.node_runtime(node.name)
    if not runtime.up:
        return
    runtime.up = False
    runtime.generation += 1
    cluster.clock.after(MONITOR_GRACE, _not_ready, cluster, node.name, runtime.generation)
    cluster._changed(node)


def _not_ready(cluster: Cluster, name: str, generation: int) -> None:
    runtime = cluster.node_runtime(name)
    node: Node | None = cluster._store.get("Node", name)  # type: ignore[assignment]
    if node is None or runtime.up or runtime.generation != generation:
        return
    ts = cluster.clock.timestamp()
    for c in node.status.conditions:
        if c.type == "Ready":
            c.status, c.reason, c.message = "Unknown", "NodeStatusUnknown", "Kubelet stopped posting node status."
            c.last_transition_time = ts
    node.spec.taints = [t for t in node.spec.taints if t.key != UNREACHABLE]
    node.spec.taints += [Taint(UNREACHABLE, "NoSchedule", time_added=ts), Taint(UNREACHABLE, "NoExecute", time_added=ts)]
    cluster._store.touch(node)
    cluster._changed(node)
    cluster._record(node, "NodeNotReady", f"Node {name} status is now: NodeNotReady", "node-controller")
    for pod in cluster.pods_on(name):
        _mark_pod_not_ready(cluster, pod)
        seconds = min((t.toleration_seconds for t in pod.spec.tolerations
                       if t.key == UNREACHABLE and t.toleration_seconds is not None), default=0)
        cluster.clock.after(seconds, _evict, cluster, pod, generation)


def _mark_pod_not_ready(cluster: Cluster, pod) -> None:
    """``MarkPodsNotReady``: only the pod's Ready condition turns False (so its endpoints stop taking
    traffic); the container statuses, and so kubectl's READY column, stay as the lost kubelet last
    reported them."""
    cond = pod.status.condition("Ready")
    if cond is not None and cond.status != "False":
        cond.status, cond.last_transition_time = "False", cluster.clock.timestamp()
        cluster._store.touch(pod)
        cluster._changed(pod)


def _evict(cluster: Cluster, pod, generation: int) -> None:
    runtime = cluster.node_runtime(pod.spec.node_name)
    if runtime.up or runtime.generation != generation or cluster._store.get("Pod", pod.key) is not pod:
        return
    cluster._record(pod, "TaintManagerEviction", f"Marking for deletion Pod {pod.key}", "taint-eviction-controller")
    cluster._delete(pod)


def restore(cluster: Cluster, node: Node) -> None:
    runtime = cluster.node_runtime(node.name)
    if runtime.up:
        return
    runtime.up = True
    ts = cluster.clock.timestamp()
    for c in node.status.conditions:
        if c.type == "Ready" and c.status != "True":
            c.status, c.reason, c.message = "True", "KubeletReady", "kubelet is posting ready status"
            c.last_transition_time = ts
    node.spec.taints = [t for t in node.spec.taints if t.key != UNREACHABLE]
    cluster._store.touch(node)
    cluster._changed(node)
    cluster._record(node, "NodeReady", f"Node {node.name} status is now: NodeReady", "kubelet")
    # The kubelet finishes what it missed: deleted pods go away, the others report ready again.
    for pod in cluster.pods_on(node.name):
        if pod.metadata.deletion_timestamp is not None:
            kubelet.remove(cluster, pod)
        elif pod.status.phase == "Running":
            kubelet.set_ready(cluster, pod, True)
        elif pod.status.phase == "Pending":
            kubelet.admit(cluster, pod, node)
