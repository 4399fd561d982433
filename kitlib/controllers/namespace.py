"""The namespace controller: it empties a namespace being deleted, then lets the namespace go.

``kubectl delete namespace shop`` only marks the namespace: it gets a ``deletionTimestamp`` and the
phase ``Terminating`` (:func:`kitlib.controllers.garbage.delete`), and from then on the
NamespaceLifecycle admission plug-in refuses to create anything in it. The controller
(``pkg/controller/namespace``) takes the namespace up :data:`DELETION_GRACE` seconds after each
change it sees (``namespaceDeletionGracePeriod``), and each pass (``namespacedResourcesDeleter.Delete``):

1. deletes every object in the namespace (``deleteAllContent``): pods gracefully, so that they go
   through Terminating as any deleted pod does, the rest at once;
2. writes what it found into the namespace's conditions (``NamespaceContentRemaining``, ...);
3. if pods are still within their grace period, looks again after half of it
   (``ResourcesRemainingError``: the estimate / 2 + 1 seconds); content still there after the
   grace period is an error (``NamespaceDeletionContentFailure``), retried with the work queue's
   backoff (:func:`backoff`): a pod on a node that does not answer keeps its namespace Terminating;
4. once nothing is left, removes the ``kubernetes`` finalizer, and the API server deletes the
   namespace (a namespace with no finalizer left and a deletion timestamp is removed on that write).

So a namespace with a running pod goes about 10 s after the DELETE: 5 s until the first pass
deletes the pod, 5 s more until the pass that the conditions' update queued finds it gone.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..api.namespace import FINALIZER, TERMINATING, Namespace, NamespaceCondition
from ..api.pod import Pod
from ..api.registry import RESOURCES, Resource
from ..clock import parse_timestamp
from . import garbage

if TYPE_CHECKING:
    from ..runtime import Runtime

DELETION_GRACE = 5.0
"""Seconds between a change to a terminating namespace and the pass it queues
(``namespaceDeletionGracePeriod``: time for every API server to see the deletion)."""
BACKOFF_BASE, BACKOFF_MAX = 0.005, 60.0
"""The namespace controller's rate limiter after a failed pass: 5 ms, doubled each time, at most
60 s (``nsControllerRateLimiter``)."""

# The conditions the controller keeps, in its order, each with its reason and message when all is
# well (status False): pkg/controller/namespace/deletion/status_condition_utils.go.
CONDITIONS = (
    ("NamespaceDeletionDiscoveryFailure", "ResourcesDiscovered", "All resources successfully discovered"),
    ("NamespaceDeletionGroupVersionParsingFailure", "ParsedGroupVersions", "All legacy kube types successfully parsed"),
    ("NamespaceDeletionContentFailure", "ContentDeleted",
     "All content successfully deleted, may be waiting on finalization"),
    ("NamespaceContentRemaining", "ContentRemoved", "All content successfully removed"),
    ("NamespaceFinalizersRemaining", "ContentHasNoFinalizers", "All content-preserving finalizers finished"),
)


@dataclass(frozen=True)
class Outcome:
    """How one pass over a terminating namespace ended."""

    estimate: int = 0
    """Seconds the remaining pods may still take to stop (``ResourcesRemainingError``), or 0."""
    error: str | None = None
    """Why content remains past that (the pass failed and is retried with backoff), or None."""


def backoff(failures: int) -> float:
    """Seconds before the next pass after ``failures`` failed ones in a row (the item's exponential
    backoff: 5 ms, 10 ms, 20 ms, ... 60 s)."""
    return min(BACKOFF_BASE * 2 ** min(failures, 32), BACKOFF_MAX)


def sync(rt: Runtime, ns: Namespace) -> Outcome:
    """One pass over ``ns`` (``namespacedResourcesDeleter.Delete``); nothing for a namespace that
    is not being deleted."""
    if ns.metadata.deletion_timestamp is None:
        return Outcome()
    if ns.status.phase != TERMINATING:
        ns.status.phase = TERMINATING
        rt.api.update_status(ns)
    if not ns.spec.finalizers:
        return Outcome()  # finalized already: the server removes it
    estimate, remaining, errors = _delete_all_content(rt, ns)
    if _set_conditions(rt, ns, remaining, errors):
        rt.api.update_status(ns)
    if errors:
        return Outcome(error=", ".join(sorted(errors)))
    if estimate:
        return Outcome(estimate=estimate)
    _finalize(rt, ns)
    return Outcome()


def _delete_all_content(rt: Runtime, ns: Namespace) -> tuple[int, dict[Resource, int], list[str]]:
    """``deleteAllContent``: delete each namespaced resource's objects, then count what is left.
    Returns the estimate (the longest grace period of the pods that were still running, while it
    has not passed since the namespace's deletion), what remains by resource, and the errors
    (content left where no grace period explains it)."""
    api = rt.api
    deleted_at = parse_timestamp(ns.metadata.deletion_timestamp or "")
    estimate = 0
    remaining: dict[Resource, int] = {}
    errors: list[str] = []
    for res in sorted((r for r in RESOURCES.values() if r.cls.namespaced), key=lambda r: r.kind):
        items = list(api.store.items(res.kind, ns.name))
        if not items:
            continue
        est = 0
        if res.kind == "Pod":  # estimateGracefulTerminationForPods, before the pods are deleted
            est = max((p.spec.termination_grace_period_seconds or 0 for p in items
                       if isinstance(p, Pod) and p.status.phase not in ("Succeeded", "Failed")), default=0)
            if rt.now - deleted_at >= est:
                est = 0
        for obj in items:
            if obj.metadata.deletion_timestamp is None and api.store.get(res.kind, obj.key) is obj:
                garbage.delete(rt, obj)  # background propagation: owned objects go too
        left = len(api.store.items(res.kind, ns.name))
        if not left:
            continue
        remaining[res] = left
        if est:
            estimate = max(estimate, est)
        else:
            version = res.cls.api_version.rsplit("/", 1)[-1]
            errors.append(f"unexpected items still remain in namespace: {ns.name} for gvr: "
                          f"{res.group}/{version}, Resource={res.plural}")
    return estimate, remaining, errors


def _set_conditions(rt: Runtime, ns: Namespace, remaining: dict[Resource, int], errors: list[str]) -> bool:
    """``namespaceConditionUpdater``: each condition failing (True) or its all-is-well form
    (False); a condition's transition time moves only when its status changes. Whether any changed."""
    failing: dict[str, tuple[str, str]] = {}
    if errors:
        failing["NamespaceDeletionContentFailure"] = (
            "ContentDeletionFailed",
            f"Failed to delete all resource types, {len(errors)} remaining: {', '.join(sorted(errors))}")
    if remaining:
        counts = sorted(f"{res.plural}.{res.group} has {n} resource instances" for res, n in remaining.items())
        failing["NamespaceContentRemaining"] = ("SomeResourcesRemain",
                                                f"Some resources are remaining: {', '.join(counts)}")
    now = rt.clock.timestamp()
    changed = False
    for type_, ok_reason, ok_message in CONDITIONS:
        status, (reason, message) = ("True", failing[type_]) if type_ in failing else ("False", (ok_reason, ok_message))
        old = ns.status.condition(type_)
        if old is None:
            ns.status.conditions.append(NamespaceCondition(type_, status, now, reason, message))
            changed = True
        elif (old.status, old.reason, old.message) != (status, reason, message):
            if old.status != status:
                old.last_transition_time = now
            old.status, old.reason, old.message = status, reason, message
            changed = True
    return changed


def _finalize(rt: Runtime, ns: Namespace) -> None:
    """``finalizeNamespace``: drop the ``kubernetes`` finalizer (the ``finalize`` subresource); with
    none left, the API server deletes the namespace."""
    ns.spec.finalizers = sorted({f for f in ns.spec.finalizers if f != FINALIZER})
    if ns.spec.finalizers or ns.metadata.finalizers:
        rt.api.update_status(ns)
    else:
        rt.api.delete(ns)
