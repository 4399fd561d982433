"""Running counts of each ReplicaSet's pods, so that a sync caused by one pod's change does not
look at every pod of the ReplicaSet (with thousands of pods, that is what made a cluster slow).

A :class:`View` per ReplicaSet keeps one entry per owned pod and the totals of the entries. It is
brought up to date from the store's record of the owned objects put or removed since the last
sync (:meth:`kitlib.store.Store.owned_changes`); a stored pod changes only through a put
(``touch``), so nothing is missed.

:func:`steady_status` answers one question for ``replicaset.sync``: is this sync one that can
only change the status (nothing to release, adopt, create or delete, no ``minReadySeconds``
timer to set)? If so it returns the status counts, exactly those ``replicaset._update_status``
would compute; otherwise None, and the sync goes the full way.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..api.apps import ReplicaSet
from ..api.labels import LabelSelector
from ..api.pod import Pod
from ..clock import parse_timestamp

if TYPE_CHECKING:
    from ..runtime import Runtime

# Entry fields, and the totals kept of each: an entry is one int with a field of FIELD_BITS bits
# per count, so that the totals are one int too and adding or taking an entry is one addition.
ACTIVE, READY, LABELED, AVAILABLE, MISMATCHED, FUTURE = range(6)
FIELD_BITS = 32
_MASK = (1 << FIELD_BITS) - 1


class View:
    __slots__ = ("signature", "entries", "totals", "steady_rv", "template_selected")

    def __init__(self, signature: tuple) -> None:
        self.signature = signature
        """(the selector's matchLabels, the template's labels), as copies: the view is used while
        the ReplicaSet's are equal to these (:func:`_view` checks)."""
        self.entries: dict[str, int] = {}
        self.totals = 0
        self.steady_rv: str | None = None
        """The ReplicaSet's resourceVersion after its last sync, if that sync took the steady way
        (see :func:`mark_steady` and :func:`sync_needless`)."""
        self.template_selected: bool = signature[0].items() <= signature[1].items()
        """Whether labels equal to the template's match the selector (so :func:`_entry` needs no
        selector for a pod that keeps the labels it was made with). It follows from the signature
        alone because views serve only selectors without ``matchExpressions``: :func:`steady_status`
        goes the full way for the others before it asks for a view."""

    def set(self, key: str, entry: int | None) -> None:
        old = self.entries.pop(key, None)
        if old is not None:
            self.totals -= old
        if entry is not None:
            self.entries[key] = entry
            self.totals += entry

    def total(self, field: int) -> int:
        """The count of one field (ACTIVE, READY, ...) over the entries."""
        return (self.totals >> (field * FIELD_BITS)) & _MASK


_ACTIVE, _READY, _LABELED, _AVAILABLE, _MISMATCHED, _FUTURE = (1 << f * FIELD_BITS for f in range(6))
"""Each field's 1 in an entry."""
_FINISHED = ("Succeeded", "Failed")


def _entry(view: View, sel: LabelSelector, pod: Pod, now: float) -> int:
    """The pod's entry in ``view``: what the full sync counts it as. ``sel`` is the ReplicaSet's
    selector, without ``matchExpressions``; it and the template's labels are the view's signature."""
    meta, status = pod.metadata, pod.status
    alive = meta.deletion_timestamp is None
    # replicaset.is_active, inline: this runs for every change of every pod
    active = alive and status.phase not in _FINISHED
    entry = 0
    if active:
        entry = _ACTIVE
        for cond in status.conditions:  # is_ready and ready_since, with one look for the Ready condition
            if cond.type == "Ready":
                if cond.status == "True":
                    entry |= _READY
                    if cond.last_transition_time:
                        entry |= _AVAILABLE
                        # Ready since a time still to come (only a hand-written status can say so):
                        # the count of available pods would depend on the time of the sync, so such
                        # a ReplicaSet goes the full way.
                        if parse_timestamp(cond.last_transition_time) > now:
                            entry |= _FUTURE
                break
    labels = meta.labels
    template = view.signature[1]
    if labels == template:  # the labels the pod was made with: one dict comparison answers both
        if active:
            entry |= _LABELED
        if alive and not view.template_selected:
            entry |= _MISMATCHED
    else:
        if active and template.items() <= labels.items():
            entry |= _LABELED
        if alive and not sel.matches(labels):
            entry |= _MISMATCHED
    return entry


def _view(rt: Runtime, rs: ReplicaSet, sel: LabelSelector) -> View:
    store = rt.api.store
    # Kept with the store they count from, so a store copied or swapped carries its own views.
    views: dict[str, View] | None = store.__dict__.get("_rs_views")
    if views is None:
        views = store.__dict__["_rs_views"] = {}
    uid = rs.metadata.uid or ""
    view = views.get(uid)
    if view is not None and view.signature[0] == sel.match_labels \
            and view.signature[1] == rs.spec.template.metadata.labels:
        changed, owned = store.owned_changes(uid)
        if changed:  # View.set, inline: a pod's every write comes through here
            now = rt.now
            entries, totals = view.entries, view.totals
            try:
                for key in changed:
                    if key.startswith("Pod/"):
                        obj = owned.get(key)
                        old = entries.get(key)
                        if isinstance(obj, Pod):
                            try:
                                entry = _entry(view, sel, obj, now)
                            except BaseException:  # a status no one could parse: no entry for the pod
                                if old is not None:
                                    del entries[key]
                                    totals -= old
                                raise
                            # Replaced in place (a pop and an insert per pod would leave the dict
                            # to be rebuilt after a scale's bulk update; its order is never read).
                            entries[key] = entry
                            totals += entry - (old or 0)
                        elif old is not None:
                            del entries[key]
                            totals -= old
            finally:  # the totals match the entries, also after a status no one could parse
                view.totals = totals
        return view
    if len(views) > store.count("ReplicaSet") + 16:  # forget deleted ReplicaSets
        live = {o.metadata.uid for o in store.items("ReplicaSet")}
        for gone in [u for u in views if u not in live]:
            del views[gone]
            store.unwatch_owned(gone)
    store.watch_owned(uid)
    store.owned_changes(uid)
    view = views[uid] = View((dict(sel.match_labels), dict(rs.spec.template.metadata.labels)))
    for obj in store.owned_by(uid):
        if isinstance(obj, Pod):
            view.set(f"Pod/{obj.key}", _entry(view, sel, obj, rt.now))
    return view


def steady_status(rt: Runtime, rs: ReplicaSet) -> tuple[int, int, int, int] | None:
    """``(replicas, fully labeled, ready, available)`` if a sync of ``rs`` can change nothing but
    its status, else None."""
    sel = rs.spec.selector
    if sel is None or sel.match_expressions or not rs.metadata.uid or rs.spec.min_ready_seconds:
        return None
    view = _view(rt, rs, sel)
    view.steady_rv = None  # until this sync is known to be steady (mark_steady)
    totals = view.totals
    active = totals & _MASK
    # MISMATCHED and FUTURE are the top fields: the totals shifted past the others are their sum.
    if not view.entries or totals >> MISMATCHED * FIELD_BITS or active != (rs.spec.replicas or 0):
        return None
    for pod in rt.api.store.orphan_pods(rs.metadata.namespace or ""):  # what _adopt_orphans would take
        if sel.matches(pod.metadata.labels) and pod.metadata.controller_ref() is None \
                and pod.metadata.deletion_timestamp is None:
            return None
    # View.total of each, inline (a sync per pod change asks for them)
    return (active, totals >> LABELED * FIELD_BITS & _MASK, totals >> READY * FIELD_BITS & _MASK,
            totals >> AVAILABLE * FIELD_BITS & _MASK)


def mark_steady(rt: Runtime, rs: ReplicaSet) -> None:
    """Record that ``rs`` has just been synced the steady way (:func:`steady_status` answered and
    its status holds those counts): until its resourceVersion changes, a sync of it would change
    nothing as long as its pods' entries stay what they are."""
    views: dict[str, View] | None = rt.api.store.__dict__.get("_rs_views")
    view = views.get(rs.metadata.uid or "") if views is not None else None
    if view is not None:
        view.steady_rv = rs.metadata.resource_version


def sync_needless(rt: Runtime, pod: Pod, uid: str, key: str) -> bool:
    """Whether a sync of the ReplicaSet ``key`` (uid ``uid``), which controls ``pod``, just written,
    would change nothing, so the write need not queue it (most of a pod's writes on its way to
    Running, such as its sandbox's IP, change none of the counts). True only when the ReplicaSet's
    last sync was steady and it is unchanged since (same resourceVersion), the pod is the only
    owned object written since, its entry is the one the view holds, and the namespace has no
    orphan pod: :func:`steady_status` would then answer the counts its status already holds, and
    ``_set_status`` would write nothing. Whenever the ReplicaSet is steady and the pod the only
    change, the pod's entry is brought up to date here (what the sync's view update would do),
    so a sync that must follow does not count it again."""
    store = rt.api.store
    views: dict[str, View] | None = store.__dict__.get("_rs_views")
    if not views:
        return False
    view = views.get(uid)
    if view is None or view.steady_rv is None:
        return False
    pending = store.pending_owned(uid)  # the cheapest check first: it needs no key of its own
    if pending is None or len(pending) != 1:
        return False
    rs = store.get("ReplicaSet", key)
    if not isinstance(rs, ReplicaSet) or rs.metadata.resource_version != view.steady_rv or rs.metadata.uid != uid \
            or rs.spec.selector is None:
        return False
    (kind_key,) = pending  # the one key: compared with the pod's, not hashed again
    meta = pod.metadata
    if kind_key != f"Pod/{meta.namespace or ''}/{meta.name or ''}":  # Pod/<its key>
        return False
    old = view.entries.get(kind_key)
    if old is None or store.has_orphan_pods(rs.metadata.namespace or ""):
        return False
    entry = _entry(view, rs.spec.selector, pod, rt.now)
    if entry >> FUTURE * FIELD_BITS:
        return False  # ready since a time to come: counted by the sync, at its time
    # The entry the sync would compute: it depends on the time only through FUTURE, which a later
    # time cannot set. The view is brought up to date as the sync's update would (so a sync that
    # follows has nothing left to count), and the write taken off the recorded changes.
    view.entries[kind_key] = entry
    view.totals += entry - old
    pending.clear()
    return entry == old
