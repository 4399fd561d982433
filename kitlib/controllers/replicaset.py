"""The ReplicaSet controller: keep ``spec.replicas`` pods alive that match the selector."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, cast

from ..api.apps import Deployment, ReplicaSet
from ..api.convert import clone, stamper
from ..api.meta import ObjectMeta, OwnerReference
from ..api.pod import Pod, PodSpec, is_ready
from ..clock import parse_timestamp
from ..errors import ApiError
from ..names import random_suffix
from . import garbage, rsview

if TYPE_CHECKING:
    from ..runtime import Runtime

PHASE_RANK = {"Pending": 0, "Unknown": 1, "Running": 2}


def is_active(pod: Pod) -> bool:
    """Counts toward the replicas: not being deleted and not finished."""
    return pod.metadata.deletion_timestamp is None and pod.status.phase not in ("Succeeded", "Failed")


def ready_since(pod: Pod) -> float | None:
    c = pod.status.condition("Ready")
    if c is None or c.status != "True" or not c.last_transition_time:
        return None
    return parse_timestamp(c.last_transition_time)


def is_available(pod: Pod, min_ready_seconds: int, now: float) -> bool:
    """Ready for at least ``minReadySeconds`` (``IsPodAvailable``: with 0, ready is available)."""
    since = ready_since(pod)
    return since is not None and (not min_ready_seconds or now - since >= min_ready_seconds)


def deletion_order(pods: list[Pod], rt: Runtime) -> list[Pod]:
    """Pods in the order the controller deletes them when scaling down (``ActivePodsWithRanks``):
    unscheduled before scheduled, Pending before Running, not ready before ready, pods on busier
    nodes first, then more recently ready, more restarts, and newer pods first."""
    per_node: dict[str, int] = {}
    for p in pods:
        if p.spec.node_name:
            per_node[p.spec.node_name] = per_node.get(p.spec.node_name, 0) + 1

    def key(p: Pod) -> tuple:
        restarts = sum(cs.restart_count for cs in p.status.container_statuses)
        since = ready_since(p)
        created = parse_timestamp(p.metadata.creation_timestamp or "2026-01-01T00:00:00Z")
        return (
            1 if p.spec.node_name else 0,
            PHASE_RANK.get(p.status.phase or "Pending", 0),
            1 if is_ready(p) else 0,
            -per_node.get(p.spec.node_name or "", 0),
            -(since or 0.0),
            -restarts,
            -created,
            p.name,
        )

    return sorted(pods, key=key)


def sync(rt: Runtime, rs: ReplicaSet) -> None:
    """Create or delete pods until the number of active pods equals ``spec.replicas``."""
    counts = rsview.steady_status(rt, rs)
    if counts is not None:  # nothing to do but the status: counted without visiting every pod
        _set_status(rt, rs, *counts)
        rsview.mark_steady(rt, rs)
        return
    store = rt.api.store
    # The store keeps a kind's own class: these are Pods.
    pods = _release_mismatched(rt, rs, cast("list[Pod]", rt.owned(rs, "Pod")))
    _adopt_orphans(rt, rs, pods)
    if not pods:
        _wake_recreate(rt, rs)
    active = [p for p in pods if is_active(p)]
    want = rs.spec.replicas or 0
    diff = want - len(active)
    if diff > 0:
        # The template's spec copied once per pod: stamped from one snapshot of it (nothing in this
        # loop changes the ReplicaSet, which is written only through the API server's verbs). The
        # pods share one OwnerReference: an owner reference is never changed in place (releasing a
        # pod gives it a new list, adopting one appends a new reference), and each pod made here
        # would get an equal one.
        make_spec, owner = stamper(rs.spec.template.spec), _owner_reference(rs)
        for _ in range(diff):
            pod = _new_pod(rt, rs, make_spec, owner)
            try:
                rt.api.create(pod, copy=False)  # a new pod: stored as it is
            except ApiError:  # a template that cannot make pods: real controllers retry and warn
                rt.api.record_event(rs, "FailedCreate", "Error creating pod", "replicaset-controller", "Warning")
                break
            created = store.get("Pod", f"{rs.namespace}/{pod.metadata.name}")
            active.append(created if isinstance(created, Pod) else pod)
            rt.api.record_event(rs, "SuccessfulCreate", f"Created pod: {pod.metadata.name}", "replicaset-controller")
    elif diff < 0:
        for pod in deletion_order(active, rt)[: -diff]:
            garbage.delete(rt, pod)
            rt.api.record_event(rs, "SuccessfulDelete", f"Deleted pod: {pod.name}", "replicaset-controller")
        active = [p for p in active if is_active(p)]
    _update_status(rt, rs, active)


def _new_pod(rt: Runtime, rs: ReplicaSet, make_spec: Callable[[], PodSpec] | None = None,
             owner: OwnerReference | None = None) -> Pod:
    """A pod of ``rs``'s template with a generated name, controlled by ``rs``. ``make_spec``: a
    :func:`~kitlib.api.convert.stamper` of the template's spec (else it is cloned); ``owner``:
    the reference to ``rs`` (else a new one)."""
    tmpl = rs.spec.template
    name = f"{rs.name}-{random_suffix(rt.rng)}"
    while store_has(rt, rs.namespace, name):
        name = f"{rs.name}-{random_suffix(rt.rng)}"
    meta = ObjectMeta(
        name=name, generate_name=f"{rs.name}-", namespace=rs.namespace,
        labels=dict(tmpl.metadata.labels), annotations=dict(tmpl.metadata.annotations),
        owner_references=[owner or _owner_reference(rs)],
    )
    return Pod(metadata=meta, spec=make_spec() if make_spec is not None else clone(tmpl.spec))


def _owner_reference(rs: ReplicaSet) -> OwnerReference:
    """The reference a ReplicaSet's pods carry to it: the controller, blocking its deletion."""
    return OwnerReference("apps/v1", "ReplicaSet", rs.name, rs.metadata.uid or "", True, True)


def store_has(rt: Runtime, namespace: str, name: str) -> bool:
    return rt.api.store.get("Pod", f"{namespace}/{name}") is not None


def _wake_recreate(rt: Runtime, rs: ReplicaSet) -> None:
    """The Deployment controller's pod-deletion handler: a Recreate rollout waits until the old
    pods are all gone, which changes no ReplicaSet status, so the Deployment is woken here."""
    ref = rs.metadata.controller_ref()
    if ref is None or ref.kind != "Deployment":
        return
    d = rt.api.store.get("Deployment", f"{rs.namespace}/{ref.name}")
    if isinstance(d, Deployment) and d.spec.strategy is not None and d.spec.strategy.type == "Recreate":
        rt.controllers.enqueue("Deployment", d.key)


def _release_mismatched(rt: Runtime, rs: ReplicaSet, pods: list[Pod]) -> list[Pod]:
    """Orphan the owned pods whose labels no longer match the selector (ClaimPods releases them);
    the ReplicaSet then counts without them and makes replacements."""
    if rs.spec.selector is None:
        return pods
    kept = []
    for pod in pods:
        if rs.spec.selector.matches(pod.metadata.labels) or pod.metadata.deletion_timestamp is not None:
            kept.append(pod)
            continue
        pod.metadata.owner_references = [r for r in pod.metadata.owner_references if r.uid != rs.metadata.uid]
        rt.api.update_status(pod, notify=False)
    return kept


def _adopt_orphans(rt: Runtime, rs: ReplicaSet, pods: list) -> None:
    if rs.spec.selector is None:
        return
    for pod in rt.api.store.orphan_pods(rs.namespace):
        if rs.spec.selector.matches(pod.metadata.labels) and pod.metadata.controller_ref() is None \
                and pod.metadata.deletion_timestamp is None:
            pod.metadata.owner_references.append(_owner_reference(rs))
            rt.api.update_status(pod, notify=False)
            pods.append(pod)


def _update_status(rt: Runtime, rs: ReplicaSet, active: list[Pod]) -> None:
    now = rt.now
    min_ready = rs.spec.min_ready_seconds or 0
    ready = [p for p in active if is_ready(p)]
    available = [p for p in ready if is_available(p, min_ready, now)]
    if min_ready:
        for p in ready:
            since = ready_since(p)
            if since is not None and now - since < min_ready:
                rt.clock.at(since + min_ready, _resync, rt, rs.key)
    labeled = [p for p in active if rs.spec.template.metadata.labels.items() <= p.metadata.labels.items()]
    _set_status(rt, rs, len(active), len(labeled), len(ready), len(available))


def _set_status(rt: Runtime, rs: ReplicaSet, replicas: int, labeled: int, ready: int, available: int) -> None:
    st = rs.status
    new = (replicas, labeled or None, ready or None, available or None, rs.metadata.generation)
    old = (st.replicas, st.fully_labeled_replicas, st.ready_replicas, st.available_replicas, st.observed_generation)
    if new != old:
        st.replicas, st.fully_labeled_replicas, st.ready_replicas, st.available_replicas, st.observed_generation = new
        rt.api.update_status(rs, notify=False)
        ref = rs.metadata.controller_ref()
        if ref is not None:
            rt.controllers.enqueue("Deployment", f"{rs.namespace}/{ref.name}")


def _resync(rt: Runtime, key: str) -> None:
    rt.controllers.enqueue("ReplicaSet", key)
