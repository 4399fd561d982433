"""The controller manager: every controller, the kinds it watches, and the order they run in.

As in controller-runtime, each controller declares what it watches; the manager's one watch on
the API server hands every write to the controllers of that kind, which queue the keys they
must reconcile (their own objects, the owners of changed objects, the Services that select a
changed pod). :meth:`ControllerManager.run` then drains the queues in :data:`ORDER` until
nothing is left: the first controller with work runs on all its queued keys (sorted, so that a
seed gives one outcome), then the manager starts again from the top. A real control plane
converges in milliseconds; here it converges before the call that caused the change returns.
"""

from __future__ import annotations

import gc
import math
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, ClassVar, cast

from ..api.apps import DaemonSet, Deployment, ReplicaSet
from ..api.meta import KubeObject
from ..api.namespace import Namespace
from ..api.node import Node, node_ready, node_zone
from ..api.pod import Pod
from ..api.service import Service
from ..api.servicecidr import DEFAULT_NAME, IPAddress, ServiceCIDR
from . import (
    daemonset,
    deployment,
    endpointslice,
    garbage,
    ipaddresses,
    kubelet,
    namespace,
    nodelifecycle,
    replicaset,
    rsview,
    scheduler,
    serviceaccounts,
    servicecidr,
)
from .hints import TopologyCache

if TYPE_CHECKING:
    from ..runtime import Runtime

MAX_ROUNDS = 1000
"""A bound on one convergence: a controller loop that never settles stops here."""
FULL_COLLECTIONS_DEFERRED = 1_000_000
"""The garbage collector's third threshold during a convergence (see :meth:`ControllerManager.run`)."""
MIDDLE_THRESHOLD_DEFERRED = 0
"""Its second threshold then (see :class:`_FullCollectionsDeferred`)."""
_GENERATIONAL = sys.version_info < (3, 14)
"""Whether the collector has the three generations the thresholds above are for: 3.14's
incremental collector (when built with it) reads the second threshold as the pace at which it
scans the old generation, where 0 would not mean "take the middle generation along"."""


class _FullCollectionsDeferred:
    """``with full_collections_deferred:`` raises the garbage collector's third threshold to
    :data:`FULL_COLLECTIONS_DEFERRED` for the block and puts back what it was (nested blocks
    keep the outer one's). Young generations are still collected, at the same rate of
    allocations; the full collection that the heap's growth calls for comes at CPython's next
    young collection after the block.

    The middle generation's threshold is 0 in the block: what survives a young collection there
    (pods, their statuses, events) nearly all lives as long as the cluster, and CPython walked each
    such object twice, once in the youngest generation and again in the middle one ten
    collections later, before it reached the oldest. With 0, every other young collection takes
    the middle generation along (CPython collects a generation once its count exceeds its
    threshold), so most survivors are walked once: scaling to 30,000 pods spends 0.17 s instead
    of 0.29 s in young collections. Cyclic garbage is still found at the next young collection."""

    __slots__ = ("_saved", "_depth")

    def __init__(self) -> None:
        self._saved = gc.get_threshold()
        self._depth = 0

    def __enter__(self) -> None:
        if not self._depth:
            self._saved = young0, young1, old = gc.get_threshold()
            gc.set_threshold(young0, MIDDLE_THRESHOLD_DEFERRED if _GENERATIONAL else young1,
                             max(old, FULL_COLLECTIONS_DEFERRED))
        self._depth += 1

    def __exit__(self, *exc: object) -> None:
        self._depth -= 1
        if not self._depth:
            gc.set_threshold(*self._saved)


full_collections_deferred = _FullCollectionsDeferred()
"""Defers full collections during a convergence: :meth:`ControllerManager.run`, and
:meth:`kitlib.runtime.Runtime.advance` and ``settle`` around the clock's events and the runs
they cause (a kubelet's timer builds what lives as long as its pod, as the controllers do)."""


class Controller:
    """One controller: its work queue and the kinds it watches."""

    name: ClassVar[str] = ""
    kind: ClassVar[str | None] = None
    """The kind it reconciles: a change to such an object, or to an object it controls, queues it."""
    watches: ClassVar[tuple[str, ...]] = ()
    """Further kinds whose changes it handles in :meth:`on_change`."""

    def __init__(self, rt: Runtime) -> None:
        self.rt = rt
        self.queue: set[str] = set()

    def on_change(self, obj: KubeObject, removed: bool) -> None:
        """An object of a watched kind was written or removed: queue what must be reconciled."""

    def reconcile(self, keys: list[str]) -> None:
        """Reconcile the queued keys (sorted)."""
        store = self.rt.api.store
        for key in keys:
            obj = store.get(self.kind or "", key)
            if obj is not None:
                self.sync(obj)

    def sync(self, obj: KubeObject) -> None:
        """Reconcile one object of :attr:`kind`."""


class DeploymentController(Controller):
    """Rolls Deployments out through their ReplicaSets (:mod:`kitlib.controllers.deployment`)."""

    name = "deployment"
    kind = "Deployment"

    def __init__(self, rt: Runtime) -> None:
        super().__init__(rt)
        self.progress_checks: dict[str, float] = {}
        """When each Deployment's progress deadline is checked next (``requeueStuckDeployment``)."""
        self.new_rs: dict[str, tuple] = {}
        """Deployment uid -> its template, generation, ReplicaSets (each with its template and
        generation) and new ReplicaSet at its last sync (:func:`kitlib.controllers.deployment._new_rs`)."""

    def sync(self, obj: KubeObject) -> None:
        if isinstance(obj, Deployment):  # the queue holds Deployments
            deployment.sync(self.rt, obj)


class ReplicaSetController(Controller):
    """Keeps each ReplicaSet's pod count; adopts and releases pods (:mod:`kitlib.controllers.replicaset`)."""

    name = "replicaset"
    kind = "ReplicaSet"
    watches = ("Pod",)

    def on_change(self, obj: KubeObject, removed: bool) -> None:
        if removed:
            return
        for ref in obj.metadata.owner_references:  # controller_ref(), inline: every pod write comes here
            if ref.controller:
                return
        # An orphan may be adopted by a ReplicaSet whose selector matches it.
        self.queue.update(rs.key for rs in self.rt.api.store.items("ReplicaSet", obj.namespace))

    def sync(self, obj: KubeObject) -> None:
        if isinstance(obj, ReplicaSet):  # the queue holds ReplicaSets
            replicaset.sync(self.rt, obj)


class DaemonSetController(Controller):
    """Keeps one pod of each DaemonSet on every node that should run it (:mod:`kitlib.controllers.daemonset`);
    a node that joins, leaves or changes its labels or taints queues every DaemonSet."""

    name = "daemonset"
    kind = "DaemonSet"
    watches = ("Node",)

    def __init__(self, rt: Runtime) -> None:
        super().__init__(rt)
        self.hashes: dict[str, tuple[int | None, str]] = {}
        """DaemonSet uid -> (generation, its template's hash): hashed once per spec, as the real
        controller hashes once per ControllerRevision."""

    def on_change(self, obj: KubeObject, removed: bool) -> None:
        self.queue.update(ds.key for ds in self.rt.api.store.items("DaemonSet"))

    def sync(self, obj: KubeObject) -> None:
        if isinstance(obj, DaemonSet):  # the queue holds DaemonSets
            uid, generation = obj.metadata.uid or "", obj.metadata.generation
            known = self.hashes.get(uid)
            if known is None or known[0] != generation:
                known = self.hashes[uid] = (generation, daemonset.template_hash(obj))
            daemonset.sync(self.rt, obj, known[1])


class Scheduler(Controller):
    """Binds pods without a node (:mod:`kitlib.controllers.scheduler`)."""

    name = "scheduler"
    watches = ("Pod", "Node")

    def __init__(self, rt: Runtime) -> None:
        super().__init__(rt)
        self.unschedulable: set[str] = set()
        """Pods the last attempt could not place (the scheduling queue's ``unschedulablePods``)."""

    def on_change(self, obj: KubeObject, removed: bool) -> None:
        if obj.kind == "Node":
            # A node that joins or changes may take the pods that are waiting.
            self.queue |= {p.key for p in self.rt.api.store.items("Pod") if isinstance(p, Pod) and not p.spec.node_name
                           and p.metadata.deletion_timestamp is None}
        elif removed or obj.metadata.deletion_timestamp is not None:
            self.queue.discard(obj.key)
            self.unschedulable.discard(obj.key)
            if removed and isinstance(obj, Pod) and obj.spec.node_name:
                # AssignedPodDelete: the pod's node has room again, so the pods that did not fit
                # are tried again (MoveAllToActiveOrBackoffQueue).
                self.queue |= self.unschedulable
        elif isinstance(obj, Pod) and not obj.spec.node_name:
            self.queue.add(obj.key)

    def reconcile(self, keys: list[str]) -> None:
        scheduler.schedule(self.rt, keys)
        store = self.rt.api.store
        for key in keys:
            pod = store.get("Pod", key)
            if isinstance(pod, Pod) and not pod.spec.node_name and pod.metadata.deletion_timestamp is None:
                self.unschedulable.add(key)
            else:
                self.unschedulable.discard(key)


class EndpointSliceController(Controller):
    """Writes each Service's EndpointSlices and Endpoints (:mod:`kitlib.controllers.endpointslice`),
    with their topology hints (:mod:`kitlib.controllers.hints`)."""

    name = "endpointslice"
    kind = "Service"
    watches = ("Pod", "Endpoints", "EndpointSlice", "Service", "Node")

    def __init__(self, rt: Runtime) -> None:
        super().__init__(rt)
        self.endpoint_pods: dict[str, set[str]] = {}
        """Pod key -> the Services whose endpoints list it."""
        self.memo: dict[str, endpointslice._Tracked] = {}
        """Service key -> what its last sync asked, listed and wrote: a pod's endpoint is rebuilt
        only when the pod or the Service changed, and nothing is rewritten when no endpoint changed."""
        self.dirty: dict[str, set[str]] = {}
        """Service key -> the pods changed since its last sync (from the pod events): a sync looks
        at these only, so a scale behind a Service costs each pod change a few list operations,
        not a walk over every pod of the namespace."""
        self.writing = False
        """True while a sync writes its slices and Endpoints: the writes seen then are its own."""
        self.foreign = 0
        """How many slices and Endpoints objects others (users, the garbage collector, the
        mirroring) have written: while it stays the same, a Service's slices are as its last sync
        left them, and the next sync need not list and compare them."""
        self.zone_epoch = 0
        """Bumped when a node comes, goes or changes zone: every endpoint takes its node's zone
        at the next sync, so the next sync of each Service walks all its pods again."""
        # Services by one of their selector's labels: (namespace, label, value) -> Service keys.
        self._index: dict[tuple[str, str, str], set[str]] = {}
        self._index_key: dict[str, tuple[str, str, str]] = {}  # Service key -> its entry above
        self.topology = TopologyCache()
        """The zones' CPU shares and the hints allotted for ``topology-mode: Auto``."""
        self.node_topology: dict[str, tuple[bool, str]] = {}
        """Node -> (Ready, zone) as last seen: the node handlers compare against it."""
        self._indexed_in: dict[str, int] = {}  # namespace -> how many of its Services are indexed
        self.held: dict[str, str] = {}
        """Service key -> its resourceVersion when its EndpointSlices were loaded from a dump
        (:mod:`kitlib.dump`): those slices are the truth of what was ready and stand as they are
        until the Service, or a pod they list or its selector matches, changes; then this
        controller takes them over (rewriting them in place, names kept)."""

    def on_change(self, obj: KubeObject, removed: bool) -> None:
        if obj.kind == "Pod":
            self._services_for_pod(obj, removed)
        elif isinstance(obj, Node):
            self._node_changed(obj, removed)
        elif obj.kind == "EndpointSlice":
            if not self.writing:
                self.foreign += 1
        elif obj.kind == "Endpoints":
            if not self.writing:
                self.foreign += 1
            if self.rt.api.store.get("Service", obj.key) is not None:
                self.queue.add(obj.key)  # hand-managed endpoints are mirrored into a slice
        elif isinstance(obj, Service):
            self._reindex(obj, removed)
            if removed:
                self.memo.pop(obj.key, None)
                self.dirty.pop(obj.key, None)

    def _reindex(self, svc: Service, removed: bool) -> None:
        index_key = self._index_key.pop(svc.key, None)
        if index_key is not None:
            self._index[index_key].discard(svc.key)
            self._indexed_in[index_key[0]] -= 1
        sel = svc.spec.selector
        if not removed and sel:
            k = min(sel)
            index_key = (svc.namespace, k, sel[k])
            self._index.setdefault(index_key, set()).add(svc.key)
            self._index_key[svc.key] = index_key
            self._indexed_in[svc.namespace] = self._indexed_in.get(svc.namespace, 0) + 1

    def _services_for_pod(self, pod: KubeObject, removed: bool) -> None:
        """Queue the Services whose endpoints may change with this pod (those that select it now,
        and those that listed it before)."""
        namespace = pod.metadata.namespace or ""
        pod_key = f"{namespace}/{pod.metadata.name or ''}"  # pod.key, once: every pod write comes here
        listed = self.endpoint_pods.pop(pod_key, None) if removed else self.endpoint_pods.get(pod_key)
        dirty = self.dirty
        if listed:
            self.queue |= listed
            for key in listed:
                dirty.setdefault(key, set()).add(pod_key)
        if removed or not self._indexed_in.get(namespace):  # no Service of its namespace selects
            return
        labels = pod.metadata.labels
        store = self.rt.api.store
        for k, v in labels.items():
            for key in self._index.get((namespace, k, v), ()):
                svc = store.get("Service", key)
                if isinstance(svc, Service) and svc.spec.selector.items() <= labels.items():
                    self.queue.add(key)
                    dirty.setdefault(key, set()).add(pod_key)

    def _node_changed(self, node: Node, removed: bool) -> None:
        """``addNode``, ``updateNode`` (only a change of readiness or zone counts) and ``deleteNode``:
        recount the zones' CPU (``checkNodeTopologyDistribution``) and queue the Services whose
        hints leave some zone short. A Service's endpoints are not rewritten for a node's new zone
        until it syncs for another reason."""
        if removed:
            self.node_topology.pop(node.name, None)
            self.zone_epoch += 1
        else:
            seen = (node_ready(node), node_zone(node))
            was = self.node_topology.get(node.name)
            if was == seen:
                return
            if was is None or was[1] != seen[1]:
                self.zone_epoch += 1
            self.node_topology[node.name] = seen
        self.topology.set_nodes(self.rt.api.nodes())
        self.queue.update(self.topology.overloaded_services())

    def hold(self, key: str, resource_version: str) -> None:
        """Leave Service ``key``'s EndpointSlices as they are until it or its pods change (:attr:`held`)."""
        self.held[key] = resource_version

    def sync(self, obj: KubeObject) -> None:
        if isinstance(obj, Service):  # the queue holds Services
            if self.held and obj.key in self.held:
                if self.held[obj.key] == obj.metadata.resource_version and not self.dirty.get(obj.key):
                    return
                del self.held[obj.key]
            endpointslice.sync(self.rt, obj)


class PodGarbageCollector(Controller):
    """Deletes pods bound to nodes that do not exist, after a quarantine
    (:func:`kitlib.controllers.garbage.collect_orphan`, :func:`~kitlib.controllers.garbage.orphan_deadline`)."""

    name = "podgc"
    watches = ("Pod",)

    def __init__(self, rt: Runtime) -> None:
        super().__init__(rt)
        self.quarantined: set[str] = set()
        """The uids of the pods whose missing node is in quarantine."""

    def on_change(self, obj: KubeObject, removed: bool) -> None:
        if removed or not isinstance(obj, Pod) or not obj.spec.node_name \
                or self.rt.api.store.get("Node", obj.spec.node_name) is not None:
            return
        uid = obj.metadata.uid or ""
        if uid not in self.quarantined:
            self.quarantined.add(uid)
            self.rt.clock.at(garbage.orphan_deadline(self.rt.now), self.collect, obj)

    def collect(self, pod: Pod) -> None:
        self.quarantined.discard(pod.metadata.uid or "")
        garbage.collect_orphan(self.rt, pod)


class Kubelet(Controller):
    """The kubelets' watch on the pods bound to their node: a pod created with ``spec.nodeName``
    set is started by that node's kubelet (:func:`kitlib.controllers.kubelet.pod_added`); the
    scheduler hands its own pods over as it binds them (:func:`kitlib.controllers.scheduler.bind`)."""

    name = "kubelet"
    watches = ("Pod",)

    def on_change(self, obj: KubeObject, removed: bool) -> None:
        # startTime first: it is set on all but a pod's first writes, and _awaits_kubelet needs it unset
        if not removed and isinstance(obj, Pod) and obj.status.start_time is None and _awaits_kubelet(obj):
            self.queue.add(obj.key)

    def reconcile(self, keys: list[str]) -> None:
        store = self.rt.api.store
        for key in keys:
            pod = store.get("Pod", key)
            if isinstance(pod, Pod) and _awaits_kubelet(pod):
                kubelet.pod_added(self.rt, pod)


def _awaits_kubelet(pod: Pod) -> bool:
    """A pod bound to a node whose kubelet has not taken it up yet (it sets ``startTime`` when it does)."""
    return bool(pod.spec.node_name) and pod.status.start_time is None and pod.status.phase == "Pending" \
        and pod.metadata.deletion_timestamp is None


class NodeLifecycleController(Controller):
    """Keeps each node's NoSchedule taints in step with its conditions, and gives up on the Nodes
    no kubelet posts for (:mod:`kitlib.controllers.nodelifecycle`)."""

    name = "nodelifecycle"
    kind = "Node"

    def __init__(self, rt: Runtime) -> None:
        super().__init__(rt)
        self.silent: set[str] = set()
        """The uids of the Nodes without a kubelet whose grace period was timed (once for each)."""

    def sync(self, obj: KubeObject) -> None:
        if not isinstance(obj, Node):  # the queue holds Nodes
            return
        nodelifecycle.taint_no_schedule(self.rt, obj)
        uid = obj.metadata.uid or ""
        if obj.name not in self.rt.node_state and uid not in self.silent:
            self.silent.add(uid)
            self.rt.clock.at(nodelifecycle.silent_deadline(obj), self.expire, obj.name, uid)

    def expire(self, name: str, uid: str) -> None:
        nodelifecycle.kubelet_silent(self.rt, name, uid)


class NamespaceController(Controller):
    """Empties the namespaces being deleted, then lets them go (:mod:`kitlib.controllers.namespace`).

    Its work queue delays: a change to a terminating namespace queues a pass
    :data:`~kitlib.controllers.namespace.DELETION_GRACE` seconds later, a pass that leaves pods
    terminating queues the next for when they should be gone, and a failed pass retries with
    backoff; a namespace waiting twice runs at the earlier time (``AddAfter``)."""

    name = "namespace"
    kind = "Namespace"

    def __init__(self, rt: Runtime) -> None:
        super().__init__(rt)
        self.waiting: dict[str, float] = {}
        """Namespace -> when its next pass is due."""
        self.failures: dict[str, int] = {}
        """Namespace -> the failed passes in a row (the rate limiter's backoff)."""

    def sync(self, obj: KubeObject) -> None:
        if obj.metadata.deletion_timestamp is not None:  # enqueueNamespace
            self.add_after(obj.name, namespace.DELETION_GRACE)

    def add_after(self, name: str, delay: float) -> None:
        """Queue a pass over namespace ``name`` in ``delay`` seconds, unless one is due sooner."""
        when = self.rt.now + delay
        if self.waiting.get(name, math.inf) <= when:
            return
        self.waiting[name] = when
        self.rt.clock.at(when, self.work, name, when)

    def work(self, name: str, when: float) -> None:
        if self.waiting.get(name) != when:
            return  # an earlier pass took this one's place
        del self.waiting[name]
        ns = self.rt.api.store.get("Namespace", name)
        if not isinstance(ns, Namespace):
            self.failures.pop(name, None)
            return
        outcome = namespace.sync(self.rt, ns)
        if outcome.error is not None:
            failures = self.failures.get(name, 0)
            self.failures[name] = failures + 1
            self.add_after(name, namespace.backoff(failures))
        elif outcome.estimate:
            self.add_after(name, outcome.estimate // 2 + 1)  # ResourcesRemainingError
        else:
            self.failures.pop(name, None)  # Forget


class ServiceCIDRController(Controller):
    """Puts the finalizer and the Ready condition on ServiceCIDRs and lets a deleted one go once no
    ClusterIP depends on it alone (:func:`kitlib.controllers.servicecidr.sync`); and, for the API
    server, creates the ServiceCIDR ``kubernetes`` again once it is gone
    (:func:`~kitlib.controllers.servicecidr.ensure_default`, at its next 10 s sync).

    An IPAddress the allocator writes or deletes queues the ServiceCIDRs being deleted that hold
    it; a ServiceCIDR that comes queues those being deleted that it overlaps (a new parent may
    free them). A deletion that waits out its grace period is looked at again when it ends."""

    name = "servicecidrs"
    kind = "ServiceCIDR"
    watches = ("IPAddress", "ServiceCIDR")

    def __init__(self, rt: Runtime) -> None:
        super().__init__(rt)
        self.waiting: dict[str, float] = {}
        """ServiceCIDR -> when its deletion is looked at again (``AddAfter``)."""

    def on_change(self, obj: KubeObject, removed: bool) -> None:
        store = self.rt.api.store
        if isinstance(obj, IPAddress):
            self.queue.update(servicecidr.waits_for(store, obj))
        elif isinstance(obj, ServiceCIDR):
            if removed:
                if obj.name == DEFAULT_NAME:
                    self.rt.clock.at(self.rt.now + servicecidr.DEFAULT_SYNC_PERIOD, servicecidr.ensure_default, self.rt)
                return
            self.queue.update(c.name for c in servicecidr.overlapping(store, obj)
                              if c.metadata.deletion_timestamp is not None and c.name != obj.name)

    def sync(self, obj: KubeObject) -> None:
        if not isinstance(obj, ServiceCIDR):  # the queue holds ServiceCIDRs
            return
        wait = servicecidr.sync(self.rt, obj)
        if wait > 0:
            when = self.rt.now + wait
            if self.waiting.get(obj.name, math.inf) > when:
                self.waiting[obj.name] = when
                self.rt.clock.at(when, self.work, obj.name, when)

    def work(self, name: str, when: float) -> None:
        if self.waiting.get(name) != when:
            return  # an earlier pass took this one's place
        del self.waiting[name]
        obj = self.rt.api.store.get("ServiceCIDR", name)
        if obj is not None:
            self.sync(obj)


class IPAddressRepair(Controller):
    """The API server's ClusterIP repair loop (:mod:`kitlib.controllers.ipaddresses`): a changed
    Service is checked for its IPAddresses, a changed IPAddress of the allocator's for its Service.
    Its queue holds ``Service/<namespace>/<name>`` and ``IPAddress/<name>``."""

    name = "ipallocator-repair"
    watches = ("Service", "IPAddress")

    def __init__(self, rt: Runtime) -> None:
        super().__init__(rt)
        self.timed: dict[str, float] = {}
        """Queue key -> when a timed pass over it is due (a resync, or a leak's grace period)."""

    def on_change(self, obj: KubeObject, removed: bool) -> None:
        if isinstance(obj, Service):
            if not removed:
                self.queue.add(f"Service/{obj.key}")
        elif isinstance(obj, IPAddress):
            self.queue.add(f"IPAddress/{obj.key}")
            ref = obj.spec.parent_ref
            svc = self.rt.api.store.get("Service", f"{ref.namespace or ''}/{ref.name or ''}") if ref else None
            if removed and isinstance(svc, Service) and obj.name in svc.spec.cluster_ips:
                # Nothing wakes the Service up before the next resync goes over every Service.
                self.add_at(f"Service/{svc.key}", ipaddresses.next_resync(self.rt.now))

    def add_at(self, key: str, when: float) -> None:
        """Queue ``key`` at ``when`` (``AddAfter``), unless a pass over it is due sooner."""
        if self.timed.get(key, math.inf) <= when:
            return
        self.timed[key] = when
        self.rt.clock.at(when, self.due, key, when)

    def due(self, key: str, when: float) -> None:
        if self.timed.get(key) == when:
            del self.timed[key]
            self.queue.add(key)

    def reconcile(self, keys: list[str]) -> None:
        store = self.rt.api.store
        for key in keys:
            kind, _, name = key.partition("/")
            obj = store.get(kind, name)
            if isinstance(obj, Service):
                ipaddresses.sync_service(self.rt, obj)
            elif isinstance(obj, IPAddress):
                wait = ipaddresses.sync_ipaddress(self.rt, obj)
                if wait > 0:
                    self.add_at(key, self.rt.now + wait)


class ServiceAccountController(Controller):
    """Keeps a ``default`` ServiceAccount in every active namespace
    (:func:`kitlib.controllers.serviceaccounts.sync`): a new namespace, or the deletion of its
    ``default`` account, queues the namespace."""

    name = "serviceaccount"
    watches = ("Namespace", "ServiceAccount")

    def on_change(self, obj: KubeObject, removed: bool) -> None:
        if obj.kind == "Namespace" and not removed:
            self.queue.add(obj.name)
        elif obj.kind == "ServiceAccount" and removed and obj.name == serviceaccounts.DEFAULT:
            self.queue.add(obj.namespace)

    def reconcile(self, keys: list[str]) -> None:
        for name in keys:
            serviceaccounts.sync(self.rt, name)


ORDER: tuple[type[Controller], ...] = (DeploymentController, ReplicaSetController, DaemonSetController, Scheduler,
                                       EndpointSliceController, PodGarbageCollector, Kubelet,
                                       NodeLifecycleController, NamespaceController, ServiceAccountController,
                                       ServiceCIDRController, IPAddressRepair)
"""The order queues are drained in: workloads first, so that pods exist before they are scheduled,
and endpoints once the pods they list have settled. The kubelets, the node lifecycle and the
namespace controller mostly set timers, so where they run in a round changes little."""


class ControllerManager:
    """Runs the controllers of :data:`ORDER` (kube-controller-manager and kube-scheduler)."""

    def __init__(self, rt: Runtime) -> None:
        self.rt = rt
        self.controllers = [cls(rt) for cls in ORDER]
        self.deployment = cast(DeploymentController, self.controllers[ORDER.index(DeploymentController)])
        self.endpointslice = cast(EndpointSliceController, self.controllers[ORDER.index(EndpointSliceController)])
        self._by_kind = {c.kind: c for c in self.controllers if c.kind}
        watching: dict[str, list[Controller]] = {}
        for c in self.controllers:
            for kind in c.watches:
                watching.setdefault(kind, []).append(c)
        # Each kind's handlers, bound once (a pod's every write calls five of them).
        self._handlers: dict[str, tuple[Callable[[KubeObject, bool], None], ...]] = {
            kind: tuple(c.on_change for c in cs) for kind, cs in watching.items()}
        self._running = False
        rt.api.watch(self.on_change)

    def on_change(self, obj: KubeObject, removed: bool) -> None:
        """The informers' event handler: queue the object's own controller, its owner's, and
        whatever else watches its kind."""
        kind = obj.kind
        own = self._by_kind.get(kind)
        if own is not None:
            own.queue.add(obj.key)
        for ref in obj.metadata.owner_references:  # controller_ref(), inline: a pod's every write comes here
            if ref.controller:
                break
        else:
            ref = None
        if ref is not None:  # enqueue(), inline
            owner = self._by_kind.get(ref.kind)
            if owner is not None:
                key = f"{obj.metadata.namespace or ''}/{ref.name}"
                # A pod write that changes none of its ReplicaSet's counts (its sandbox's IP, say)
                # does not queue a sync that would change nothing (rsview.sync_needless).
                if key not in owner.queue and not (kind == "Pod" and not removed and ref.kind == "ReplicaSet"
                                                   and isinstance(obj, Pod)
                                                   and rsview.sync_needless(self.rt, obj, ref.uid, key)):
                    owner.queue.add(key)
        for handler in self._handlers.get(kind, ()):
            handler(obj, removed)

    def enqueue(self, kind: str, key: str) -> None:
        """Queue ``key`` for the controller that reconciles ``kind`` (if any)."""
        c = self._by_kind.get(kind)
        if c is not None:
            c.queue.add(key)

    def run(self) -> None:
        """Run the controllers until nothing is left to do."""
        if self._running:
            return  # a controller's own writes are handled by the loop already running
        controllers = self.controllers
        for c in controllers:  # a plain loop: faster than map(attrgetter) with 3.11's attribute caches
            if c.queue:
                break
        else:
            return
        self._running = True
        # A convergence can create tens of thousands of objects that live as long as the cluster
        # (pods, their status, events). CPython collects its oldest generation each time the heap
        # has grown by a quarter, so a scale to 30,000 pods walked the whole growing heap a dozen
        # times (a third of its time) and found nothing to free. Young generations are still
        # collected as usual; the oldest waits until the convergence is over.
        try:
            with full_collections_deferred:
                for _ in range(MAX_ROUNDS):
                    for c in controllers:
                        if c.queue:
                            break
                    else:
                        return
                    queue = c.queue
                    c.queue = set()
                    c.reconcile(sorted(queue) if len(queue) > 1 else list(queue))
        finally:
            self._running = False
