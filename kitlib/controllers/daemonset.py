"""The DaemonSet controller (``pkg/controller/daemon``): one pod on each node that should run it.

* **Which nodes.** A node should run the DaemonSet's pod when the pod template, with the
  tolerations the controller adds to every daemon pod (:func:`daemon_tolerations`), fits it:
  its ``nodeSelector`` and required node affinity select the node, and no NoSchedule or NoExecute
  taint goes untolerated (``NodeShouldRunDaemonPod``). A node whose only untolerated taints are
  NoSchedule keeps a pod it already runs; an untolerated NoExecute taint removes it.
* **The pods.** Named ``NAME-xxxxx``, labelled ``controller-revision-hash`` (the template's hash)
  and ``pod-template-generation``, owned by the DaemonSet, with a required node affinity
  ``matchFields metadata.name In [node]`` in place of the template's (``ReplaceDaemonSetPodNodeNameNodeAffinity``),
  so that the default scheduler binds each to its node. A node that joins gets a pod; a node
  removed takes its pod with it; a failed pod is deleted and replaced.
* **Rolling update** (``rollingUpdate`` in ``update.go``, ``maxSurge`` 0): an old pod that is not
  available is replaced at once; otherwise old pods are deleted, in node order, only while fewer
  than ``maxUnavailable`` (of the desired count, rounded up) new pods are unavailable; the new pod
  is created as soon as the old one is terminating. ``OnDelete`` replaces a pod only when it is deleted.
* **Status**: desired, current and misscheduled counts, ready, up to date, available and
  unavailable pods, and ``observedGeneration``.

Not modelled: ControllerRevision objects (the hash is computed from the template, as
:func:`kitlib.names.pod_template_hash` does for ReplicaSets), ``maxSurge`` above 0, and the
back-off before replacing a failed pod.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, cast

from ..api.apps import DaemonSet
from ..api.convert import clone
from ..api.meta import ObjectMeta, OwnerReference
from ..api.node import Node
from ..api.pod import (
    Affinity,
    NodeAffinity,
    NodeSelector,
    NodeSelectorRequirement,
    NodeSelectorTerm,
    Pod,
    PodSpec,
    Toleration,
    is_ready,
)
from ..apiserver.apps_strategy import TEMPLATE_GENERATION
from ..apiserver.streams import stream_for
from ..errors import ApiError
from ..manifest import to_plain
from ..names import pod_template_hash, random_suffix
from . import garbage
from .replicaset import is_available, ready_since
from .scheduler import node_selected, tolerated

if TYPE_CHECKING:
    from ..runtime import Runtime

REVISION_HASH = "controller-revision-hash"
TEMPLATE_GENERATION_LABEL = "pod-template-generation"
SOURCE = "daemonset-controller"


def daemon_tolerations(spec: PodSpec) -> list[Toleration]:
    """The template's tolerations plus those ``AddOrUpdateDaemonPodTolerations`` gives every
    daemon pod: not-ready and unreachable NoExecute (no eviction), disk, memory and PID pressure
    and unschedulable NoSchedule, and network-unavailable NoSchedule for a host-network pod."""
    tolerations = list(spec.tolerations)
    wanted = [("node.kubernetes.io/not-ready", "NoExecute"), ("node.kubernetes.io/unreachable", "NoExecute"),
              ("node.kubernetes.io/disk-pressure", "NoSchedule"), ("node.kubernetes.io/memory-pressure", "NoSchedule"),
              ("node.kubernetes.io/pid-pressure", "NoSchedule"), ("node.kubernetes.io/unschedulable", "NoSchedule")]
    if spec.host_network:
        wanted.append(("node.kubernetes.io/network-unavailable", "NoSchedule"))
    for key, effect in wanted:
        # AddOrUpdateTolerationInPodSpec: a toleration equal to one there is not added twice.
        if not any(t.key == key and t.operator == "Exists" and t.effect == effect and t.value is None
                   for t in tolerations):
            tolerations.append(Toleration(key=key, operator="Exists", effect=effect))
    return tolerations


def should_run(ds: DaemonSet, node: Node, tolerations: list[Toleration]) -> tuple[bool, bool]:
    """``NodeShouldRunDaemonPod``: (should run a new pod there, should keep one running there)."""
    if not node_selected(ds.spec.template.spec, node):
        return False, False
    for taint in node.spec.taints:
        if taint.effect in ("NoSchedule", "NoExecute") and not tolerated(tolerations, taint.key, taint.effect,
                                                                         taint.value):
            if taint.effect == "NoExecute":
                return False, False
            return False, True
    return True, True


def template_hash(ds: DaemonSet) -> str:
    """The ``controller-revision-hash`` of the DaemonSet's current template."""
    return pod_template_hash(to_plain(ds.spec.template))


def template_generation(ds: DaemonSet) -> str:
    return ds.metadata.annotations.get(TEMPLATE_GENERATION, "1")


def is_updated(ds: DaemonSet, pod: Pod, hash_: str) -> bool:
    """``IsPodUpdated``: the pod was made from the current template."""
    labels = pod.metadata.labels
    return labels.get(REVISION_HASH) == hash_ or labels.get(TEMPLATE_GENERATION_LABEL) == template_generation(ds)


def sync(rt: Runtime, ds: DaemonSet, hash_: str | None = None) -> None:
    """Create and delete daemon pods until each node that should run one does, roll out a new
    template, and write the status. ``hash_`` is the template's hash if the caller knows it."""
    if ds.metadata.deletion_timestamp is not None:
        return
    hash_ = hash_ or template_hash(ds)
    tolerations = daemon_tolerations(ds.spec.template.spec)
    nodes = sorted(rt.nodes(), key=lambda n: n.name)
    verdicts = {n.name: should_run(ds, n, tolerations) for n in nodes}  # once a sync: a node's verdict
    pods = cast("list[Pod]", rt.owned(ds, "Pod"))
    by_node: dict[str, list[Pod]] = {}
    for p in pods:
        by_node.setdefault(_node_of(p), []).append(p)
    create: list[str] = []
    delete: list[Pod] = []
    for node in nodes:
        run, keep = verdicts[node.name]
        here = by_node.get(node.name, [])
        alive = [p for p in here if p.metadata.deletion_timestamp is None]
        if keep:
            failed = [p for p in alive if p.status.phase == "Failed"]
            delete += failed
            alive = [p for p in alive if p not in failed]
            if not alive and run:
                create.append(node.name)
            elif len(alive) > 1:  # keep the oldest (the updated one first, as getNodesToDaemonPods sorts)
                alive.sort(key=lambda p: (not is_updated(ds, p, hash_), p.metadata.creation_timestamp or "", p.name))
                delete += alive[1:]
        else:
            delete += alive
    # Pods bound to nodes that are gone, or not yet bound, stay until the pod GC or the scheduler acts.
    rolling = ds.spec.update_strategy is not None and ds.spec.update_strategy.type == "RollingUpdate"
    if rolling and any(not is_updated(ds, p, hash_) for p in pods):
        delete += [p for p in _rolling_update(rt, ds, nodes, by_node, hash_, verdicts) if p not in delete]
    for node_name in create:
        pod = _new_pod(rt, ds, node_name, hash_, tolerations)
        try:
            rt.api.create(pod, copy=False)
        except ApiError as err:
            rt.api.record_event(ds, "FailedCreate", f"Error creating: {err}", SOURCE, "Warning")
            break
        rt.api.record_event(ds, "SuccessfulCreate", f"Created pod: {pod.metadata.name}", SOURCE)
    for pod in delete:
        garbage.delete(rt, pod)
        rt.api.record_event(ds, "SuccessfulDelete", f"Deleted pod: {pod.name}", SOURCE)
    _update_status(rt, ds, nodes, hash_, verdicts)


def _node_of(pod: Pod) -> str:
    """The node a daemon pod is for: where it is bound, else the node its affinity names."""
    if pod.spec.node_name:
        return pod.spec.node_name
    na = pod.spec.affinity.node_affinity if pod.spec.affinity else None
    required = na.required_during_scheduling_ignored_during_execution if na else None
    for term in required.node_selector_terms if required else []:
        for r in term.match_fields:
            if r.key == "metadata.name" and r.operator == "In" and len(r.values) == 1:
                return r.values[0]
    return ""


def _rolling_update(rt: Runtime, ds: DaemonSet, nodes: list[Node], by_node: dict[str, list[Pod]], hash_: str,
                    verdicts: dict[str, tuple[bool, bool]]) -> list[Pod]:
    """The old pods to delete now (``rollingUpdate`` with ``maxSurge`` 0)."""
    strategy = ds.spec.update_strategy
    ru = strategy.rolling_update if strategy else None
    desired = sum(1 for n in nodes if verdicts[n.name][0])
    max_unavailable = _scaled(ru.max_unavailable if ru else 1, desired)
    min_ready, now = ds.spec.min_ready_seconds or 0, rt.now
    unavailable = 0
    replace: list[Pod] = []
    candidates: list[Pod] = []
    for node in nodes:
        if not verdicts[node.name][1]:
            continue
        alive = [p for p in by_node.get(node.name, []) if p.metadata.deletion_timestamp is None]
        new = next((p for p in alive if is_updated(ds, p, hash_)), None)
        old = next((p for p in alive if not is_updated(ds, p, hash_)), None)
        if (old is None) == (new is None):
            if new is None and old is None:
                unavailable += 1  # a pod still to be created is unavailable
            continue
        if new is not None:
            if not is_available(new, min_ready, now):
                unavailable += 1
        elif old is not None and not is_available(old, min_ready, now):
            replace.append(old)
        elif old is not None and unavailable < max_unavailable:
            candidates.append(old)
    room = min(max(max_unavailable - unavailable, 0), len(candidates))
    return replace + candidates[:room]


def _scaled(value: int | str | None, total: int) -> int:
    """``GetScaledValueFromIntOrPercent`` rounding up, as ``UnavailableCount`` does."""
    if isinstance(value, str) and value.endswith("%"):
        return math.ceil(int(value[:-1]) * total / 100)
    return int(value or 0)


def _new_pod(rt: Runtime, ds: DaemonSet, node: str, hash_: str, tolerations: list[Toleration]) -> Pod:
    """``CreatePods`` with the template made for ``node`` (``NewPod``)."""
    tmpl = ds.spec.template
    rng = stream_for(rt.api, ds)
    name = f"{ds.name}-{random_suffix(rng)}"
    while rt.api.store.get("Pod", f"{ds.namespace}/{name}") is not None:
        name = f"{ds.name}-{random_suffix(rng)}"
    labels = dict(tmpl.metadata.labels)
    labels[REVISION_HASH] = hash_
    labels[TEMPLATE_GENERATION_LABEL] = template_generation(ds)
    meta = ObjectMeta(name=name, generate_name=f"{ds.name}-", namespace=ds.namespace, labels=labels,
                      annotations=dict(tmpl.metadata.annotations),
                      owner_references=[OwnerReference("apps/v1", "DaemonSet", ds.name, ds.metadata.uid or "",
                                                       True, True)])
    spec = clone(tmpl.spec)
    spec.tolerations = [clone(t) for t in tolerations]
    # ReplaceDaemonSetPodNodeNameNodeAffinity: the required node affinity becomes this one term.
    affinity = spec.affinity or Affinity()
    node_affinity = affinity.node_affinity or NodeAffinity()
    node_affinity.required_during_scheduling_ignored_during_execution = NodeSelector([NodeSelectorTerm(
        match_fields=[NodeSelectorRequirement("metadata.name", "In", [node])])])
    affinity.node_affinity = node_affinity
    spec.affinity = affinity
    return Pod(metadata=meta, spec=spec)


def _update_status(rt: Runtime, ds: DaemonSet, nodes: list[Node], hash_: str,
                   verdicts: dict[str, tuple[bool, bool]]) -> None:
    """``updateDaemonSetStatus``: the counts over the nodes and the pods there now."""
    desired = current = misscheduled = ready = updated = available = 0
    min_ready, now = ds.spec.min_ready_seconds or 0, rt.now
    pods = [p for p in cast("list[Pod]", rt.owned(ds, "Pod")) if p.metadata.deletion_timestamp is None]
    on: dict[str, list[Pod]] = {}
    for p in pods:
        if p.spec.node_name:
            on.setdefault(p.spec.node_name, []).append(p)
    for node in nodes:
        run = verdicts[node.name][0]
        here = on.get(node.name, [])
        if run:
            desired += 1
            if here:
                current += 1
                newest = max(here, key=lambda p: p.metadata.creation_timestamp or "")
                if is_ready(newest):
                    ready += 1
                    if is_available(newest, min_ready, now):
                        available += 1
                    else:
                        since = ready_since(newest)
                        if since is not None:
                            rt.clock.at(since + min_ready, _resync, rt, ds.key)
                if is_updated(ds, newest, hash_):
                    updated += 1
        elif here:
            misscheduled += 1
    st = ds.status
    new = (current, misscheduled, desired, ready, ds.metadata.generation, updated or None, available or None,
           (desired - available) or None)
    old = (st.current_number_scheduled, st.number_misscheduled, st.desired_number_scheduled, st.number_ready,
           st.observed_generation, st.updated_number_scheduled, st.number_available, st.number_unavailable)
    if new != old:
        (st.current_number_scheduled, st.number_misscheduled, st.desired_number_scheduled, st.number_ready,
         st.observed_generation, st.updated_number_scheduled, st.number_available, st.number_unavailable) = new
        rt.api.update_status(ds, notify=False)


def _resync(rt: Runtime, key: str) -> None:
    rt.controllers.enqueue("DaemonSet", key)
