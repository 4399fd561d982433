"""The node lifecycle controller, cordoning, and what happens when a node stops answering.

Timings are the defaults of a current cluster, without the heartbeats behind them: the node
is marked NotReady (Ready=Unknown) 50 s after it went silent (``--node-monitor-grace-period``),
its pods are marked not ready at the same moment, and they are evicted 300 s later (the
``tolerationSeconds`` that admission gives every pod for the ``unreachable`` taint).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ..api.meta import ObjectMeta
from ..api.node import Node, NodeAddress, NodeCondition, NodeSpec, NodeStatus, NodeSystemInfo, Taint
from ..api.pod import Pod
from ..apiserver.server import VERSION
from ..network.ipam import HostLocal, node_network_ip
from . import garbage, kubelet

if TYPE_CHECKING:
    from ..runtime import Runtime

@dataclass
class NodeRuntime:
    """What lives on one node outside the API: whether it answers, its images, its IPAM state."""

    ipam: HostLocal
    up: bool = True
    images: set[str] = field(default_factory=set)
    generation: int = 0
    """Bumped each time the node fails, so that timers of an earlier failure do nothing."""



KUBERNETES_VERSION = VERSION
"""The kubelet's version, which ``kubectl get nodes`` shows: the cluster's."""
MONITOR_GRACE = 50.0
UNREACHABLE = "node.kubernetes.io/unreachable"
UNSCHEDULABLE = "node.kubernetes.io/unschedulable"


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
    if index == 0:
        labels["node-role.kubernetes.io/control-plane"] = ""
    now = rt.clock.timestamp()
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
    rt.node_state[name] = NodeRuntime(ipam=HostLocal(pod_cidr))
    rt.api.create_trusted(node)
    rt.topology.add_node(node)
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


def machine(rt: Runtime, node: Node) -> NodeRuntime:
    """The machine behind ``node``, or ValueError for a Node created through the API, which no
    kubelet runs (it never posts a status, so it stays NotReady and takes no pods)."""
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
        seconds = min((t.toleration_seconds for t in pod.spec.tolerations
                       if t.key == UNREACHABLE and t.toleration_seconds is not None), default=0)
        rt.clock.after(seconds, _evict, rt, pod, generation)


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
            kubelet.set_ready(rt, pod, True)
        elif pod.status.phase == "Pending" and pod.status.pod_ip:
            kubelet.start_containers(rt, pod)  # the sandbox and its IP are still there
        elif pod.status.phase == "Pending":
            kubelet.admit(rt, pod, node)
