"""Deletion: what a DELETE sets in motion besides removing the object.

* a pod is deleted gracefully: the kubelet stops its containers first (:func:`kubelet.terminate`);
* a namespace turns Terminating, and the namespace controller deletes everything in it before
  the namespace itself goes (:mod:`kitlib.controllers.namespace`);
* a Service takes its Endpoints along;
* a node takes its pods along (they are gone with the machine), and its podCIDR is freed;
* a ServiceCIDR with its finalizer is only marked, and the allocator stops using its ranges; the
  ServiceCIDR controller lets it go (:mod:`kitlib.controllers.servicecidr`);
* a pod bound to a node that does not exist is deleted by the pod garbage collector once the
  node has stayed missing for :data:`ORPHAN_QUARANTINE` seconds after the collector's periodic
  pass (every :data:`GC_PERIOD` seconds) first saw it (:func:`collect_orphan`, :func:`orphan_deadline`);
* and the garbage collector deletes what the deleted object owned (background propagation).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from ..api.meta import KubeObject
from ..api.namespace import TERMINATING, Namespace
from ..api.node import Node
from ..api.pod import Pod, PodCondition
from ..api.servicecidr import ServiceCIDR
from ..apiserver.servicecidr_strategy import track
from . import kubelet

if TYPE_CHECKING:
    from ..runtime import Runtime


ORPHAN_QUARANTINE = 40.0
"""How long the pod garbage collector waits for a missing node before it deletes the pods bound
to it (``quarantineTime``, pkg/controller/podgc/gc_controller.go)."""
GC_PERIOD = 20.0
"""How often the pod garbage collector looks at every pod (``gcCheckPeriod``); kitlib's passes fall
on the multiples of 20 s of simulated time."""


def orphan_deadline(now: float) -> float:
    """When the pod garbage collector deletes a pod first bound to a missing node at ``now``: its
    next pass notices the node is missing and queues the node for :data:`ORPHAN_QUARANTINE`
    seconds (``nodeQueue.AddAfter``); the pass at the end of it finds the node still missing
    (``discoverDeletedNodes``). So 40 to 60 s."""
    first_pass = math.ceil(now / GC_PERIOD) * GC_PERIOD
    return first_pass + ORPHAN_QUARANTINE


def delete(rt: Runtime, obj: KubeObject, grace_period: int | None = None) -> None:
    """Delete ``obj`` as the API server and the controllers behind it do (``grace_period``: the
    DELETE's ``gracePeriodSeconds``, for a pod)."""
    api = rt.api
    if isinstance(obj, Pod):
        kubelet.terminate(rt, obj, grace_period)
    elif isinstance(obj, Namespace):
        # The namespace registry's Delete: the namespace only turns Terminating; the namespace
        # controller (kitlib.controllers.namespace) deletes what is in it, then the namespace.
        if obj.metadata.deletion_timestamp is None:
            obj.metadata.deletion_timestamp = rt.clock.timestamp()
            obj.status.phase = TERMINATING
            api.update_status(obj)
    elif isinstance(obj, ServiceCIDR) and obj.metadata.finalizers:
        # The generic registry's Delete of an object with finalizers: it is marked, and stays.
        if obj.metadata.deletion_timestamp is None:
            obj.metadata.deletion_timestamp = rt.clock.timestamp()
            obj.metadata.deletion_grace_period_seconds = 0
            api.update_status(obj)
            track(api, obj)
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
        if rt.calico is not None:
            rt.calico.release_node(obj.name)
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
