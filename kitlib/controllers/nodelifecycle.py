"""The node lifecycle controller, cordoning, and what happens when a node stops answering.

Timings are the defaults of Kubernetes 1.32, without the heartbeats behind them: a node whose
kubelet stops posting is marked NotReady (Ready=Unknown) 50 s after it went silent
(``--node-monitor-grace-period``, 50 s since 1.32), its pods are marked not ready at the same
moment, and they are evicted 300 s later (the ``tolerationSeconds`` that admission gives every pod
for the ``unreachable`` taint).

A Node created through the API has no kubelet behind it, so it never posts a status: it has no
conditions (``kubectl get nodes`` says ``Unknown``) until the controller gives up on it
:data:`STARTUP_GRACE` seconds after its creation (``--node-startup-grace-period``) and sets its
conditions to Unknown (``NodeStatusNeverUpdated``), which taints it ``unreachable``
(:func:`kubelet_silent`). Whatever the node, its NoSchedule taints follow its conditions and
``spec.unschedulable`` (:func:`taint_no_schedule`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ..api.meta import ObjectMeta
from ..api.node import (
    NOT_READY,
    Node,
    NodeAddress,
    NodeCondition,
    NodeSpec,
    NodeStatus,
    NodeSystemInfo,
    Taint,
)
from ..api.pod import Pod
from ..apiserver.server import VERSION
from ..clock import parse_timestamp
from ..network.calico import NodeBlocks
from ..network.ipam import HostLocal, node_network_ip
from . import garbage, kubelet

if TYPE_CHECKING:
    from ..runtime import Runtime

@dataclass
class NodeRuntime:
    """What lives on one node outside the API: whether it answers, its images, its IPAM state."""

    ipam: HostLocal | NodeBlocks
    up: bool = True
    images: set[str] = field(default_factory=set)
    generation: int = 0
    """Bumped each time the node fails, so that timers of an earlier failure do nothing."""



MINIKUBE_VERSION = "v1.38.1"
"""The minikube release whose labels the nodes carry (``minikube.k8s.io/version``)."""
MINIKUBE_COMMIT = "72fe4e9502b4770404e266d7863b884094de83a0"
"""The commit of minikube v1.38.1 (its tag), ``minikube.k8s.io/commit``."""
KUBERNETES_VERSION = VERSION
"""The kubelet's version, which ``kubectl get nodes`` shows: the cluster's."""
MONITOR_GRACE = 50.0
"""Seconds a node's kubelet may stay silent before its Ready condition turns Unknown
(``--node-monitor-grace-period``)."""
STARTUP_GRACE = 60.0
"""Seconds a new Node may go without any Ready condition (``--node-startup-grace-period``)."""
UNREACHABLE = "node.kubernetes.io/unreachable"
UNSCHEDULABLE = "node.kubernetes.io/unschedulable"
CONDITION_TAINTS = {
    ("Ready", "False"): NOT_READY, ("Ready", "Unknown"): UNREACHABLE,
    ("MemoryPressure", "True"): "node.kubernetes.io/memory-pressure",
    ("DiskPressure", "True"): "node.kubernetes.io/disk-pressure",
    ("NetworkUnavailable", "True"): "node.kubernetes.io/network-unavailable",
    ("PIDPressure", "True"): "node.kubernetes.io/pid-pressure",
}
"""(condition, status) -> the taint it calls for (``nodeConditionToTaintKeyStatusMap``)."""
HEALTH_CONDITIONS = ("Ready", "MemoryPressure", "DiskPressure", "PIDPressure")
"""The conditions the controller turns Unknown when the kubelet is silent (NetworkUnavailable is
the network plugin's)."""


def join(rt: Runtime) -> Node:
    """A new node joins: it gets the next node IP and podCIDR, its kubelet registers the Node
    (Ready at once) and its CNI plugs it into the pod network."""
    config = rt.config
    index = _next_index(rt)
    name = config.name if index == 0 else f"{config.name}-m{index + 1:02d}"
    ip = node_network_ip(config.node_cidr, index)  # checked before anything is taken
    pod_cidr = rt.api.pod_cidrs.next()
    labels = {
        "beta.kubernetes.io/arch": "amd64", "beta.kubernetes.io/os": "linux",
        "kubernetes.io/arch": "amd64", "kubernetes.io/hostname": name, "kubernetes.io/os": "linux",
    }
    now = rt.clock.timestamp()
    # minikube's labelAndUntaintNode (pkg/minikube/bootstrapper/kubeadm/kubeadm.go) labels every
    # node; kubeadm's mark-control-plane phase labels the control plane, whose NoSchedule taint
    # minikube's kubeadm configuration leaves out (``taints: []``).
    labels.update({
        "minikube.k8s.io/commit": MINIKUBE_COMMIT, "minikube.k8s.io/name": config.name,
        "minikube.k8s.io/primary": "true" if index == 0 else "false",
        "minikube.k8s.io/updated_at": now[:19].replace("-", "_").replace(":", "_") + "_0700",
        "minikube.k8s.io/version": MINIKUBE_VERSION,
    })
    if index == 0:
        labels["node-role.kubernetes.io/control-plane"] = ""
        labels["node.kubernetes.io/exclude-from-external-load-balancers"] = ""
    node = Node(
        metadata=ObjectMeta(name=name, labels=labels),
        spec=NodeSpec(pod_cidr=pod_cidr, pod_cidrs=[pod_cidr]),
        status=NodeStatus(
            addresses=[NodeAddress("InternalIP", ip), NodeAddress("Hostname", name)],
            conditions=[NodeCondition("Ready", "True", now, now, "KubeletReady", "kubelet is posting ready status")],
            capacity={"cpu": "2", "memory": "8010424Ki", "pods": "110"},
            allocatable={"cpu": "2", "memory": "8010424Ki", "pods": "110"},
            node_info=NodeSystemInfo(
                kernel_version="6.8.0-49-generic", os_image="Ubuntu 22.04.5 LTS",
                # kubeProxyVersion is left empty: the kubelet stopped reporting it in 1.33
                # (DisableNodeKubeProxyVersion), and the field is deprecated.
                container_runtime_version="docker://27.4.1", kubelet_version=KUBERNETES_VERSION,
                operating_system="linux", architecture="amd64"),
        ),
    )
    # Calico ignores the podCIDR: calico-node claims the node's first block and its tunl0 address.
    rt.node_state[name] = NodeRuntime(ipam=rt.calico.node(name) if rt.calico is not None else HostLocal(pod_cidr))
    rt.api.create_trusted(node)
    rt.topology.add_node(node, rt.calico.tunnel.get(name) if rt.calico is not None else None)
    return node


def _next_index(rt: Runtime) -> int:
    """minikube's number for a new node, from 0: one past the highest of the machines and Nodes
    there are (``minikube``, ``minikube-m02``, ...), so no name or node IP is taken twice."""
    prefix = f"{rt.config.name}-m"
    taken = [-1]
    for name in [*rt.node_state, *(n.name for n in rt.nodes())]:
        if name == rt.config.name:
            taken.append(0)
        elif name.startswith(prefix) and name[len(prefix):].isdigit():
            taken.append(int(name[len(prefix):]) - 1)
    return max(taken) + 1


def set_unschedulable(rt: Runtime, node: Node, value: bool) -> None:
    node.spec.unschedulable = True if value else None
    node.spec.taints = [t for t in node.spec.taints if t.key != UNSCHEDULABLE]
    if value:
        node.spec.taints.append(Taint(UNSCHEDULABLE, "NoSchedule", time_added=rt.clock.timestamp()))
    rt.api.update_status(node)


def taint_no_schedule(rt: Runtime, node: Node) -> None:
    """``doNoScheduleTaintingPass``, on every change of a Node: its NoSchedule taints for conditions
    and for ``spec.unschedulable`` become exactly those its conditions and spec call for (the
    not-ready taint that TaintNodesByCondition gives a new Node goes as soon as the Node has no
    False Ready condition). Other taints are left alone."""
    want: list[str] = []
    for c in node.status.conditions:
        key = CONDITION_TAINTS.get((c.type, c.status))
        if key is not None and key not in want:
            want.append(key)
    if node.spec.unschedulable:
        want.append(UNSCHEDULABLE)
    managed = {*CONDITION_TAINTS.values(), UNSCHEDULABLE}
    have = [t.key for t in node.spec.taints if t.effect == "NoSchedule" and t.key in managed]
    add = [k for k in want if k not in have]
    drop = {k for k in have if k not in want}
    if not add and not drop:
        return
    ts = rt.clock.timestamp()
    node.spec.taints = [t for t in node.spec.taints if not (t.effect == "NoSchedule" and t.key in drop)]
    node.spec.taints += [Taint(k, "NoSchedule", time_added=ts) for k in add]  # SwapNodeControllerTaint
    rt.api.update_status(node)


def silent_deadline(node: Node) -> float:
    """When the controller gives up on a Node no kubelet posts for: its grace period from its
    creation, the startup grace if it has no Ready condition, else the monitor grace
    (``tryUpdateNodeHealth``)."""
    grace = MONITOR_GRACE if node.status.condition("Ready") is not None else STARTUP_GRACE
    return parse_timestamp(node.metadata.creation_timestamp or "2026-01-01T00:00:00Z") + grace


def kubelet_silent(rt: Runtime, name: str, uid: str) -> None:
    """The grace period of Node ``name`` (no kubelet behind it) is over (``tryUpdateNodeHealth``):
    each health condition it lacks is added as Unknown (``NodeStatusNeverUpdated``, "Kubelet never
    posted node status.", heartbeat at its creation), each it has turns Unknown
    (``NodeStatusUnknown``); the Ready condition's new status taints it ``unreachable``, NoSchedule
    and NoExecute, and its pods are evicted once they stop tolerating that
    (:func:`eviction_delay`). A node that was Ready also gets the NodeNotReady event and its pods
    are marked not ready."""
    node = rt.api.store.get("Node", name)
    if not isinstance(node, Node) or node.metadata.uid != uid or name in rt.node_state:
        return
    ready = node.status.condition("Ready")
    was_ready = ready is not None and ready.status == "True"
    ts = rt.clock.timestamp()
    changed = False
    for type_ in HEALTH_CONDITIONS:
        c = node.status.condition(type_)
        if c is None:
            node.status.conditions.append(NodeCondition(type_, "Unknown", node.metadata.creation_timestamp, ts,
                                                        "NodeStatusNeverUpdated", "Kubelet never posted node status."))
            changed = True
        elif c.status != "Unknown":
            c.status, c.reason, c.message = "Unknown", "NodeStatusUnknown", "Kubelet stopped posting node status."
            c.last_transition_time = ts
            changed = True
    if not changed:
        return
    rt.api.update_status(node)
    taint_no_schedule(rt, node)
    # doNoExecuteTaintingPass: unreachable and not-ready NoExecute taints exclude each other.
    node.spec.taints = [t for t in node.spec.taints if not (t.effect == "NoExecute" and t.key in (NOT_READY, UNREACHABLE))]
    node.spec.taints.append(Taint(UNREACHABLE, "NoExecute", time_added=ts))
    rt.api.update_status(node)
    if was_ready:
        rt.api.record_event(node, "NodeNotReady", f"Node {name} status is now: NodeNotReady", "node-controller")
    for pod in rt.pods_on(name):
        if was_ready:
            _mark_pod_not_ready(rt, pod)
        delay = eviction_delay(pod, UNREACHABLE)
        if delay is not None:
            rt.clock.after(delay, _evict_unreachable, rt, pod, uid)


def eviction_delay(pod: Pod, key: str) -> float | None:
    """Seconds until the taint manager evicts ``pod`` from a node with the NoExecute taint ``key``:
    0 without a matching toleration, else the shortest ``tolerationSeconds`` of those that match, or
    None (never) if none of them has one (``getMinTolerationTime``)."""
    matching = [t for t in pod.spec.tolerations
                if (t.key == key or (not t.key and t.operator == "Exists")) and t.effect in (None, "", "NoExecute")]
    if not matching:
        return 0.0
    seconds = [t.toleration_seconds for t in matching if t.toleration_seconds is not None]
    return float(max(0, min(seconds))) if seconds else None


def _evict_unreachable(rt: Runtime, pod: Pod, node_uid: str) -> None:
    """The taint manager's eviction from a Node without a kubelet: the pod is deleted, and as no
    kubelet confirms it, it stays Terminating."""
    node = rt.api.store.get("Node", pod.spec.node_name or "")
    if rt.api.store.get("Pod", pod.key) is not pod or pod.metadata.deletion_timestamp is not None:
        return
    if not isinstance(node, Node) or node.metadata.uid != node_uid or \
            not any(t.key == UNREACHABLE and t.effect == "NoExecute" for t in node.spec.taints):
        return
    rt.api.record_event(pod, "TaintManagerEviction", f"Marking for deletion Pod {pod.key}", "taint-eviction-controller")
    garbage.delete(rt, pod)


def machine(rt: Runtime, node: Node) -> NodeRuntime:
    """The machine behind ``node``, or ValueError for a Node created through the API, which no
    kubelet runs (it never posts a status: :func:`kubelet_silent`)."""
    runtime = rt.node_state.get(node.name)
    if runtime is None:
        raise ValueError(f"node {node.name} has no machine behind it: it was created through the API "
                         f"and no kubelet runs it")
    return runtime


def fail(rt: Runtime, node: Node) -> None:
    runtime = machine(rt, node)
    if not runtime.up:
        return
    runtime.up = False
    runtime.generation += 1
    rt.clock.after(MONITOR_GRACE, _not_ready, rt, node.name, runtime.generation)
    rt.api.notify(node)


def _not_ready(rt: Runtime, name: str, generation: int) -> None:
    runtime = rt.node_runtime(name)
    node = rt.api.store.get("Node", name)
    if not isinstance(node, Node) or runtime.up or runtime.generation != generation:
        return
    ts = rt.clock.timestamp()
    for c in node.status.conditions:
        if c.type == "Ready":
            c.status, c.reason, c.message = "Unknown", "NodeStatusUnknown", "Kubelet stopped posting node status."
            c.last_transition_time = ts
    node.spec.taints = [t for t in node.spec.taints if t.key != UNREACHABLE]
    node.spec.taints += [Taint(UNREACHABLE, "NoSchedule", time_added=ts), Taint(UNREACHABLE, "NoExecute", time_added=ts)]
    rt.api.update_status(node)
    rt.api.record_event(node, "NodeNotReady", f"Node {name} status is now: NodeNotReady", "node-controller")
    for pod in rt.pods_on(name):
        _mark_pod_not_ready(rt, pod)
        delay = eviction_delay(pod, UNREACHABLE)
        if delay is not None:  # a pod that tolerates the taint for ever stays
            rt.clock.after(delay, _evict, rt, pod, generation)


def _mark_pod_not_ready(rt: Runtime, pod: Pod) -> None:
    """``MarkPodsNotReady``: only the pod's Ready condition turns False (so its endpoints stop taking
    traffic); the container statuses, and so kubectl's READY column, stay as the lost kubelet last
    reported them."""
    cond = pod.status.condition("Ready")
    if cond is not None and cond.status != "False":
        cond.status, cond.last_transition_time = "False", rt.clock.timestamp()
        rt.api.update_status(pod)


def _evict(rt: Runtime, pod: Pod, generation: int) -> None:
    runtime = rt.node_runtime(pod.spec.node_name or "")  # bound to the node that failed
    if runtime.up or runtime.generation != generation or rt.api.store.get("Pod", pod.key) is not pod:
        return
    rt.api.record_event(pod, "TaintManagerEviction", f"Marking for deletion Pod {pod.key}", "taint-eviction-controller")
    garbage.delete(rt, pod)


def restore(rt: Runtime, node: Node) -> None:
    runtime = machine(rt, node)
    if runtime.up:
        return
    runtime.up = True
    ts = rt.clock.timestamp()
    for c in node.status.conditions:
        if c.type == "Ready" and c.status != "True":
            c.status, c.reason, c.message = "True", "KubeletReady", "kubelet is posting ready status"
            c.last_transition_time = ts
    node.spec.taints = [t for t in node.spec.taints if t.key != UNREACHABLE]
    rt.api.update_status(node)
    rt.api.record_event(node, "NodeReady", f"Node {node.name} status is now: NodeReady", "kubelet")
    # The kubelet finishes what it missed: deleted pods go away, the others report ready again.
    for pod in rt.pods_on(node.name):
        if pod.metadata.deletion_timestamp is not None:
            kubelet.remove(rt, pod)
        elif pod.status.phase == "Running":
            # Ready again unless a container is not running (waiting out a crash loop's back-off).
            kubelet.set_ready(rt, pod, all(cs.state.running is not None for cs in pod.status.container_statuses))
        elif pod.status.phase == "Pending" and pod.status.pod_ip:
            kubelet.start_containers(rt, pod)  # the sandbox and its IP are still there
        elif pod.status.phase == "Pending" and pod.status.start_time is None:
            kubelet.pod_added(rt, pod)  # created bound to the node while it was down
        elif pod.status.phase == "Pending":
            kubelet.admit(rt, pod, node)
