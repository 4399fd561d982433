"""Deletion: what a DELETE sets in motion besides removing the object.

* a pod is deleted gracefully: the kubelet stops its containers first (:func:`kubelet.terminate`);
* a namespace takes everything in it along (the namespace controller);
* a Service takes its Endpoints along;
* a node takes its pods along (they are gone with the machine), and its podCIDR is freed;
* a pod bound to a node that does not exist is deleted by the pod garbage collector once the
  node has stayed missing for :data:`ORPHAN_QUARANTINE` seconds (:func:`collect_orphan`);
* and the garbage collector deletes what the deleted object owned (background propagation).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..api.meta import KubeObject
from ..api.node import Node
from ..api.pod import Pod, PodCondition
from . import kubelet

if TYPE_CHECKING:
    from ..runtime import Runtime


ORPHAN_QUARANTINE = 40.0
"""How long the pod garbage collector waits for a missing node before it deletes the pods bound
to it (``quarantineTime``, pkg/controller/podgc/gc_controller.go)."""


def delete(rt: Runtime, obj: KubeObject) -> None:
    """Delete ``obj`` as the API server and the controllers behind it do."""
    api = rt.api
    if isinstance(obj, Pod):
        kubelet.terminate(rt, obj)
    elif obj.kind == "Namespace":
        for kind in list(api.store.kinds()):
            for child in api.store.items(kind, obj.name):
                if child.namespaced:
                    delete(rt, child)
        api.delete(obj)
    elif obj.kind == "Service":
        api.delete(obj)
        endpoints = api.store.get("Endpoints", obj.key)
        if endpoints is not None:
            api.delete(endpoints)
        collect(rt, obj)
    elif isinstance(obj, Node):
        for pod in api.pods_on(obj.name):
            kubelet.remove(rt, pod)
        if obj.spec.pod_cidr and obj.name in rt.node_state:  # a podCIDR the node IPAM controller gave
            api.pod_cidrs.release(obj.spec.pod_cidr)
        rt.topology.remove_node(obj)
        api.delete(obj)
    else:
        api.delete(obj)
        collect(rt, obj)


def collect(rt: Runtime, owner: KubeObject) -> None:
    """Delete every object whose controller owner is ``owner``."""
    for child in rt.api.owned(owner):
        if child.metadata.deletion_timestamp is None:
            delete(rt, child)


def collect_orphan(rt: Runtime, pod: Pod) -> None:
    """The pod garbage collector's ``gcOrphaned``: a pod whose node is still missing after the
    quarantine is marked Failed, with the condition ``DisruptionTarget`` (``DeletionByPodGC``),
    and force-deleted, whether or not it was already Terminating."""
    node = pod.spec.node_name or ""
    if rt.api.store.get("Pod", pod.key) is not pod or rt.api.store.get("Node", node) is not None:
        return
    if pod.status.phase not in ("Succeeded", "Failed"):
        pod.status.phase = "Failed"
        pod.status.conditions = [c for c in pod.status.conditions if c.type != "DisruptionTarget"]
        pod.status.conditions.append(PodCondition("DisruptionTarget", "True", None, rt.clock.timestamp(),
                                                  "DeletionByPodGC", "PodGC: node no longer exists"))
        rt.api.update_status(pod)
    kubelet.remove(rt, pod)
