"""The Deployment controller: one ReplicaSet per pod template, and rollouts between them.

It follows kube-controller-manager's ``pkg/controller/deployment`` (sync.go, rolling.go,
recreate.go, progress.go):

* A rolling update scales the new ReplicaSet up while all ReplicaSets together ask for at most
  ``replicas + maxSurge`` pods, and scales old ones down while at least
  ``replicas - maxUnavailable`` pods stay available (ready for ``minReadySeconds``). A new
  version whose pods never become ready therefore stalls: the old pods keep serving.
* Recreate scales the old ReplicaSets to 0 and creates the new one once their pods are gone.
* A paused Deployment creates no new ReplicaSet; it only scales.
* Each ReplicaSet carries its revision (``deployment.kubernetes.io/revision``); going back to an
  older template reuses its ReplicaSet as the newest revision and notes the old number in
  ``deployment.kubernetes.io/revision-history``. Idle old ReplicaSets beyond
  ``revisionHistoryLimit`` are deleted once a rollout is complete.
* ``progressDeadlineSeconds`` after the last progress the Progressing condition turns False with
  reason ProgressDeadlineExceeded (the rollout itself goes on trying).
"""

from __future__ import annotations

import copy
import functools
import math
from typing import TYPE_CHECKING, cast

from ..api.apps import Deployment, DeploymentCondition, ReplicaSet, ReplicaSetSpec
from ..api.labels import LabelSelector
from ..api.meta import ObjectMeta, OwnerReference
from ..api.pod import Pod, PodTemplateSpec
from ..clock import parse_timestamp
from ..manifest import to_plain
from ..names import pod_template_hash
from . import garbage, replicaset
from .replicaset import is_active

if TYPE_CHECKING:
    from ..runtime import Runtime

HASH_LABEL = "pod-template-hash"
REVISION = "deployment.kubernetes.io/revision"
REVISION_HISTORY = "deployment.kubernetes.io/revision-history"
DESIRED_REPLICAS = "deployment.kubernetes.io/desired-replicas"
MAX_REPLICAS = "deployment.kubernetes.io/max-replicas"
CHANGE_CAUSE = "kubernetes.io/change-cause"
LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"
SKIPPED_ANNOTATIONS = frozenset({LAST_APPLIED, REVISION, REVISION_HISTORY, DESIRED_REPLICAS, MAX_REPLICAS,
                                 "deprecated.deployment.rollback.to"})
"""Annotations never copied between a Deployment and its ReplicaSets (``annotationsToSkip``)."""

TIMED_OUT = "ProgressDeadlineExceeded"

@functools.lru_cache(maxsize=1024)  # a Deployment's sync asks for the same two on every pod that becomes ready
def resolve(value: int | str | None, total: int, round_up: bool) -> int:
    """An int-or-percent against ``total`` (maxSurge rounds up, maxUnavailable down)."""
    if value is None:
        return 0
    if isinstance(value, int):
        return value
    pct = int(value.rstrip("%")) * total / 100
    return math.ceil(pct) if round_up else math.floor(pct)


def _fenceposts(d: Deployment) -> tuple[int, int]:
    """``ResolveFenceposts``: (maxSurge, maxUnavailable); both 0 would deadlock, so unavailable is 1."""
    ru = d.spec.strategy.rolling_update if d.spec.strategy else None
    return _resolve_fenceposts(ru.max_surge if ru else "25%", ru.max_unavailable if ru else "25%",
                               d.spec.replicas or 0)


@functools.lru_cache(maxsize=1024, typed=True)  # a pure function of its arguments, asked per ready pod
def _resolve_fenceposts(max_surge: int | str | None, max_unavailable: int | str | None,
                        replicas: int) -> tuple[int, int]:
    surge = resolve(max_surge, replicas, True)
    unavailable = resolve(max_unavailable, replicas, False)
    if surge == 0 and unavailable == 0:
        unavailable = 1
    return surge, unavailable


def _rolling_update(d: Deployment) -> bool:
    return d.spec.strategy is None or d.spec.strategy.type in (None, "RollingUpdate")


def max_surge(d: Deployment) -> int:
    """Pods above ``replicas`` a rollout may create (0 for Recreate)."""
    return _fenceposts(d)[0] if _rolling_update(d) else 0


def max_unavailable(d: Deployment) -> int:
    """Pods below ``replicas`` that may be unavailable (0 for Recreate, at most ``replicas``)."""
    replicas = d.spec.replicas or 0
    if not _rolling_update(d) or replicas == 0:
        return 0
    return min(_fenceposts(d)[1], replicas)


def _template_plain(template: PodTemplateSpec) -> dict:
    plain = to_plain(template)
    labels = plain.get("metadata", {}).get("labels", {})
    labels.pop(HASH_LABEL, None)
    return plain


def _same_template(a: PodTemplateSpec, b: PodTemplateSpec) -> bool:
    """A quick sufficient test for ``_template_plain(a) == _template_plain(b)``: the templates are
    equal field by field, apart from the hash label, and have other labels."""
    la = {k: v for k, v in a.metadata.labels.items() if k != HASH_LABEL}
    if not la or la != {k: v for k, v in b.metadata.labels.items() if k != HASH_LABEL}:
        return False
    return {**vars(a), "metadata": None} == {**vars(b), "metadata": None} and \
        {**vars(a.metadata), "labels": None} == {**vars(b.metadata), "labels": None}


def same_template(a: PodTemplateSpec, b: PodTemplateSpec) -> bool:
    """Equal apart from the ``pod-template-hash`` label (``EqualIgnoreHash``)."""
    return _same_template(a, b) or _template_plain(a) == _template_plain(b)


def _find_new_rs(d: Deployment, rss: list[ReplicaSet]) -> ReplicaSet | None:
    """The oldest ReplicaSet whose template is the Deployment's (apart from the hash label)."""
    want = None
    for rs in sorted(rss, key=_created):
        if _same_template(rs.spec.template, d.spec.template):
            return rs
        if want is None:
            want = _template_plain(d.spec.template)
        if _template_plain(rs.spec.template) == want:
            return rs
    return None


def _new_rs(rt: Runtime, d: Deployment, rss: list[ReplicaSet]) -> ReplicaSet | None:
    """:func:`_find_new_rs`, remembered per Deployment while its template and its ReplicaSets are
    the same objects, of the same generation: a Deployment syncs on every pod that becomes ready,
    and comparing the templates each time was about 3 % of a scale. A template is never changed
    in place (an update stores a new object, and a spec change a new generation), so the answer
    is the one a comparison would give."""
    memo = rt.controllers.deployment.new_rs
    uid = d.metadata.uid or ""
    known = memo.get(uid)
    if known is not None and known[0] is d.spec.template and known[1] == d.metadata.generation \
            and len(known[2]) == len(rss):
        for rs, (k, t, g) in zip(rss, known[2], strict=True):  # a loop, not all(): no generator per sync
            if rs is not k or rs.spec.template is not t or rs.metadata.generation != g:
                break
        else:
            return known[3]
    new_rs = _find_new_rs(d, rss)
    memo[uid] = (d.spec.template, d.metadata.generation,
                 [(rs, rs.spec.template, rs.metadata.generation) for rs in rss], new_rs)
    return new_rs


def revision(obj: Deployment | ReplicaSet) -> int:
    """The ``deployment.kubernetes.io/revision`` annotation as a number (0 when unset)."""
    return int(obj.metadata.annotations.get(REVISION, "0"))




def _created(rs: ReplicaSet) -> tuple[str, str]:
    return (rs.metadata.creation_timestamp or "", rs.name)


def sync(rt: Runtime, d: Deployment) -> None:
    """Reconcile one Deployment (``syncDeployment``): pause, scale, or roll out."""
    rss = cast("list[ReplicaSet]", rt.api.owned(d, "ReplicaSet"))  # the store keeps a kind's own class
    new_rs = _new_rs(rt, d, rss)
    old = [rs for rs in rss if rs is not new_rs]
    _check_paused_conditions(rt, d)
    if new_rs is not None:
        _sync_revision(rt, d, new_rs, old)
    if d.spec.paused or _is_scaling_event(d, new_rs, old):
        _scale_only(rt, d, new_rs, old)
        if d.spec.paused:
            _cleanup(rt, d, old)
        _update_status(rt, d, new_rs, old, progress=False)
        return
    if not _rolling_update(d):
        new_rs = _recreate(rt, d, new_rs, old)
    else:
        if new_rs is None:
            new_rs = _create_new_rs(rt, d, old)
        if _reconcile_new(rt, d, new_rs, old) or _reconcile_old(rt, d, new_rs, old):
            _update_status(rt, d, new_rs, old)
            return
    status = None
    if new_rs is not None:
        status = _calculate(d, new_rs, old)
        if _complete(d, status):
            _cleanup(rt, d, old)
            status = None  # counted again after the cleanup
    _update_status(rt, d, new_rs, old, status=status)


def _check_paused_conditions(rt: Runtime, d: Deployment) -> None:
    """Progressing becomes Unknown/DeploymentPaused on pause and DeploymentResumed on resume."""
    cond = condition(d, "Progressing")
    if cond is not None and cond.reason == TIMED_OUT:
        return  # a reported lack of progress is not overwritten
    paused = cond is not None and cond.reason == "DeploymentPaused"
    if d.spec.paused and not paused:
        _set_condition(d, "Progressing", "Unknown", "DeploymentPaused", "Deployment is paused", rt.clock.timestamp())
    elif not d.spec.paused and paused:
        _set_condition(d, "Progressing", "Unknown", "DeploymentResumed", "Deployment is resumed",
                       rt.clock.timestamp())


def _sync_revision(rt: Runtime, d: Deployment, new_rs: ReplicaSet, old: list[ReplicaSet]) -> None:
    """The new ReplicaSet is the newest revision and carries the Deployment's annotations; the
    Deployment carries its revision number."""
    new_revision = (max(map(revision, old)) if old else 0) + 1  # no generator: a sync per ready pod
    changed = _copy_annotations(d, new_rs)
    current = revision(new_rs)
    if current < new_revision:
        # Rolling back to an older template makes that ReplicaSet the newest revision again.
        if current:
            history = new_rs.metadata.annotations.get(REVISION_HISTORY)
            new_rs.metadata.annotations[REVISION_HISTORY] = f"{history},{current}" if history else str(current)
        new_rs.metadata.annotations[REVISION] = str(new_revision)
        changed = True
    if changed:
        rt.api.update_status(new_rs, notify=False)
    if d.metadata.annotations.get(REVISION) != new_rs.metadata.annotations[REVISION]:
        d.metadata.annotations[REVISION] = new_rs.metadata.annotations[REVISION]
        rt.api.update_status(d, notify=False)
    if condition(d, "Progressing") is None and d.spec.progress_deadline_seconds is not None:
        _set_condition(d, "Progressing", "True", "FoundNewReplicaSet", f'Found new replica set "{new_rs.name}"',
                       rt.clock.timestamp())


def _copy_annotations(d: Deployment, rs: ReplicaSet) -> bool:
    changed = False
    for k, v in d.metadata.annotations.items():
        if k not in SKIPPED_ANNOTATIONS and rs.metadata.annotations.get(k) != v:
            rs.metadata.annotations[k] = v
            changed = True
    return changed


def _is_scaling_event(d: Deployment, new_rs: ReplicaSet | None, old: list[ReplicaSet]) -> bool:
    """An active ReplicaSet was sized for a different ``replicas``: scale, don't roll."""
    for rs in (new_rs, *old) if old else (new_rs,):  # _active, without its list: a sync per ready pod
        if rs is not None and rs.spec.replicas:
            desired = rs.metadata.annotations.get(DESIRED_REPLICAS)
            if desired is not None and int(desired) != (d.spec.replicas or 0):
                return True
    return False


def _active(rss: list[ReplicaSet | None]) -> list[ReplicaSet]:
    return [rs for rs in rss if rs is not None and rs.spec.replicas]


def _pod_count(rt: Runtime, rs: ReplicaSet) -> int:
    return sum(1 for p in rt.owned(rs, "Pod") if isinstance(p, Pod) and is_active(p))


def _create_new_rs(rt: Runtime, d: Deployment, old: list[ReplicaSet]) -> ReplicaSet:
    collision = d.status.collision_count or 0
    template = copy.deepcopy(d.spec.template)
    h = pod_template_hash(_template_plain(template), collision)
    template.metadata.labels[HASH_LABEL] = h
    selector = copy.deepcopy(d.spec.selector) or LabelSelector()
    selector.match_labels[HASH_LABEL] = h
    rev = max((revision(r) for r in old), default=0) + 1
    annotations = {k: v for k, v in d.metadata.annotations.items() if k not in SKIPPED_ANNOTATIONS}
    annotations.update({DESIRED_REPLICAS: str(d.spec.replicas or 0), MAX_REPLICAS: str(_max_replicas(d)),
                        REVISION: str(rev)})
    rs = ReplicaSet(
        metadata=ObjectMeta(
            name=f"{d.name}-{h}", namespace=d.namespace, labels=dict(template.metadata.labels),
            annotations=annotations,
            owner_references=[OwnerReference("apps/v1", "Deployment", d.name, d.metadata.uid or "", True, True)],
        ),
        spec=ReplicaSetSpec(replicas=0, selector=selector, template=template,
                            min_ready_seconds=d.spec.min_ready_seconds),
    )
    created = cast(ReplicaSet, rt.api.create(rs))  # a copy of rs, stored
    d.metadata.annotations[REVISION] = str(rev)
    if d.spec.progress_deadline_seconds is not None:
        _set_condition(d, "Progressing", "True", "NewReplicaSetCreated", f'Created new replica set "{created.name}"',
                       rt.clock.timestamp())
    rt.api.update_status(d, notify=False)
    return created


def _max_replicas(d: Deployment) -> int:
    return (d.spec.replicas or 0) + max_surge(d)


def _scale(rt: Runtime, rs: ReplicaSet, replicas: int, d: Deployment) -> bool:
    """Set a ReplicaSet's size and the Deployment size it was set for; True if the size changed."""
    before = rs.spec.replicas or 0
    desired, most = str(d.spec.replicas or 0), str(_max_replicas(d))
    notes = rs.metadata.annotations
    if before == replicas and notes.get(DESIRED_REPLICAS) == desired and notes.get(MAX_REPLICAS) == most:
        return False
    rs.spec.replicas = replicas
    notes[DESIRED_REPLICAS], notes[MAX_REPLICAS] = desired, most
    if before != replicas:
        rs.metadata.generation = (rs.metadata.generation or 1) + 1
    rt.api.update_status(rs, notify=False)
    rt.controllers.enqueue(rs.kind, rs.key)
    rt.controllers.enqueue(d.kind, d.key)  # the ReplicaSet's update event wakes its Deployment
    if before == replicas:
        return False
    verb = "up" if replicas > before else "down"
    rt.api.record_event(d, "ScalingReplicaSet", f"Scaled {verb} replica set {rs.name} from {before} to {replicas}",
                    "deployment-controller")
    if replicas < before:
        # The ReplicaSet acts on a scale-down at once, so that no later scale-up in the same
        # instant sees more than replicas + maxSurge pods.
        replicaset.sync(rt, rs)
    return True


def _scale_only(rt: Runtime, d: Deployment, new_rs: ReplicaSet | None, old: list[ReplicaSet]) -> None:
    """``scale``: a replicas change without a template change, spread over the active ReplicaSets
    in proportion to their sizes (largest first) while a rollout is under way."""
    replicas = d.spec.replicas or 0
    active = _active([new_rs, *old])
    target = None
    if not active:
        target = new_rs or max(old, key=_created, default=None)
    elif len(active) == 1:
        target = active[0]
    if target is not None:
        _scale(rt, target, replicas, d)
        return
    if new_rs is not None and new_rs.spec.replicas == replicas and new_rs.status.available_replicas == replicas:
        for rs in _active(list(old)):
            _scale(rt, rs, 0, d)
        return
    if not _rolling_update(d):
        return
    allowed = replicas + max_surge(d) if replicas > 0 else 0
    to_add = allowed - sum(rs.spec.replicas or 0 for rs in active)
    if to_add == 0:
        return
    # Scaling up favours newer ReplicaSets of equal size, scaling down older ones.
    sign = -1 if to_add > 0 else 1
    rank = {rs.name: i for i, rs in enumerate(sorted(active, key=_created))}
    active.sort(key=lambda rs: (-(rs.spec.replicas or 0), sign * rank[rs.name]))
    sizes, added = {}, 0
    for rs in active:
        part = _proportion(d, rs, to_add, added)
        sizes[rs.name] = (rs.spec.replicas or 0) + part
        added += part
    sizes[active[0].name] = max(0, sizes[active[0].name] + to_add - added)
    for rs in active:
        _scale(rt, rs, sizes[rs.name], d)


def _proportion(d: Deployment, rs: ReplicaSet, to_add: int, added: int) -> int:
    """``GetReplicaSetProportion``: this ReplicaSet's share of a scale, rounded to nearest."""
    size = rs.spec.replicas or 0
    if size == 0 or to_add == 0 or to_add == added:
        return 0
    replicas = d.spec.replicas or 0
    if replicas == 0:
        fraction = -size
    else:
        before = int(rs.metadata.annotations.get(MAX_REPLICAS, "0") or 0) or (d.status.replicas or 0)
        if before == 0:
            return 0
        fraction = math.floor(size * (replicas + max_surge(d)) / before + 0.5) - size
    allowed = to_add - added
    return min(fraction, allowed) if to_add > 0 else max(fraction, allowed)


def _recreate(rt: Runtime, d: Deployment, new_rs: ReplicaSet | None,
              old: list[ReplicaSet]) -> ReplicaSet | None:
    """``rolloutRecreate``: old ReplicaSets to 0, wait until no old pod runs, then the new one."""
    scaled = False
    for rs in _active(list(old)):
        scaled |= _scale(rt, rs, 0, d)
    if scaled or any(_pod_count(rt, rs) or rt.owned(rs, "Pod") for rs in old):
        return new_rs
    if new_rs is None:
        new_rs = _create_new_rs(rt, d, old)
    _scale(rt, new_rs, d.spec.replicas or 0, d)
    return new_rs


def _reconcile_new(rt: Runtime, d: Deployment, new_rs: ReplicaSet, old: list[ReplicaSet]) -> bool:
    """Scale the new ReplicaSet up as far as maxSurge allows (``NewRSNewReplicas``)."""
    replicas = d.spec.replicas or 0
    current = new_rs.spec.replicas or 0
    if current == replicas:
        return False
    if current > replicas:
        return _scale(rt, new_rs, replicas, d)
    total = sum(rs.spec.replicas or 0 for rs in [new_rs, *old])
    room = replicas + max_surge(d) - total
    if room <= 0:
        return False
    return _scale(rt, new_rs, current + min(room, replicas - current), d)


def _reconcile_old(rt: Runtime, d: Deployment, new_rs: ReplicaSet, old: list[ReplicaSet]) -> bool:
    """Scale old ReplicaSets down while ``replicas - maxUnavailable`` pods stay available: first
    the old pods that are not available anyway, then available ones (``reconcileOldReplicaSets``)."""
    if not old or not sum(rs.spec.replicas or 0 for rs in old):
        return False
    all_pods = sum(rs.spec.replicas or 0 for rs in [new_rs, *old])
    min_available = (d.spec.replicas or 0) - max_unavailable(d)
    new_unavailable = (new_rs.spec.replicas or 0) - (new_rs.status.available_replicas or 0)
    budget = all_pods - min_available - new_unavailable
    if budget <= 0:
        return False
    ordered = sorted(old, key=_created)
    cleaned = 0
    for rs in ordered:
        if cleaned >= budget:
            break
        size, available = rs.spec.replicas or 0, rs.status.available_replicas or 0
        if size == 0 or size == available:
            continue
        cut = min(budget - cleaned, size - available)
        _scale(rt, rs, size - cut, d)
        cleaned += cut
    available_total = sum(rs.status.available_replicas or 0 for rs in [new_rs, *old])
    budget = available_total - min_available
    scaled = 0
    for rs in ordered:
        if scaled >= budget:
            break
        size = rs.spec.replicas or 0
        if size == 0:
            continue
        cut = min(size, budget - scaled)
        _scale(rt, rs, size - cut, d)
        scaled += cut
    return cleaned + scaled > 0


def _cleanup(rt: Runtime, d: Deployment, old: list[ReplicaSet]) -> None:
    """Delete the oldest idle ReplicaSets beyond ``revisionHistoryLimit``."""
    limit = d.spec.revision_history_limit
    if limit is None:
        return
    ordered = sorted(old, key=lambda r: (revision(r), *_created(r)))
    for rs in ordered[: max(0, len(ordered) - limit)]:
        if rs.status.replicas or rs.spec.replicas or rt.owned(rs, "Pod"):
            continue
        garbage.delete(rt, rs)


def _calculate(d: Deployment, new_rs: ReplicaSet | None, old: list[ReplicaSet]) -> tuple:
    """``calculateStatus``: (replicas, updated, ready, available, unavailable)."""
    replicas = ready = available = wanted = 0
    for rs in (new_rs, *old):  # one pass: a Deployment syncs on every pod that becomes ready
        if rs is not None:
            st = rs.status
            replicas += st.replicas
            ready += st.ready_replicas or 0
            available += st.available_replicas or 0
            wanted += rs.spec.replicas or 0
    return (replicas, new_rs.status.replicas if new_rs else 0, ready, available, max(0, wanted - available))


def _complete(d: Deployment, status: tuple) -> bool:
    """``DeploymentComplete``: every replica updated, available, and no old pod left."""
    want = d.spec.replicas or 0
    replicas, updated, _, available, _ = status
    return updated == want and replicas == want and available == want


def _update_status(rt: Runtime, d: Deployment, new_rs: ReplicaSet | None, old: list[ReplicaSet],
                   progress: bool = True, status: tuple | None = None) -> None:
    """``syncRolloutStatus`` (or ``syncDeploymentStatus`` with ``progress=False``); ``status`` is
    :func:`_calculate`'s answer when the caller has just computed it and changed nothing since."""
    if status is None:
        status = _calculate(d, new_rs, old)
    replicas, updated, ready, available, unavailable = status
    st = d.status
    want = d.spec.replicas or 0
    ts = rt.clock.timestamp()
    if available >= want - max_unavailable(d):
        _set_condition(d, "Available", "True", "MinimumReplicasAvailable", "Deployment has minimum availability.", ts)
    else:
        _set_condition(d, "Available", "False", "MinimumReplicasUnavailable",
                       "Deployment does not have minimum availability.", ts)
    deadline = d.spec.progress_deadline_seconds
    cond = condition(d, "Progressing")
    if progress and deadline is None and cond is not None:
        d.status.conditions.remove(cond)
    finished = replicas == updated and cond is not None and cond.reason == "NewReplicaSetAvailable"
    if progress and deadline is not None and not finished:
        name = f'ReplicaSet "{new_rs.name}"' if new_rs else f'Deployment "{d.name}"'
        if _complete(d, status):
            _set_condition(d, "Progressing", "True", "NewReplicaSetAvailable", f"{name} has successfully progressed.", ts)
        elif (updated > (st.updated_replicas or 0) or replicas - updated < (st.replicas or 0) - (st.updated_replicas or 0)
              or ready > (st.ready_replicas or 0) or available > (st.available_replicas or 0)):
            since = cond.last_transition_time if cond is not None and cond.status == "True" else ts
            if cond is not None:
                d.status.conditions.remove(cond)
            d.status.conditions.append(DeploymentCondition("Progressing", "True", ts, since, "ReplicaSetUpdated",
                                                           f"{name} is progressing."))
        elif _timed_out(rt, d):
            _set_condition(d, "Progressing", "False", TIMED_OUT, f"{name} has timed out progressing.", ts)
    if deadline is not None and (progress or d.spec.paused):
        _requeue_stuck(rt, d, status)
    (st.observed_generation, st.replicas, st.updated_replicas, st.ready_replicas, st.available_replicas,
     st.unavailable_replicas) = (d.metadata.generation, replicas or None, updated or None, ready or None,
                                 available or None, unavailable or None)
    rt.api.update_status(d, notify=False)


def _timed_out(rt: Runtime, d: Deployment) -> bool:
    cond = condition(d, "Progressing")
    if cond is None or cond.reason == "NewReplicaSetAvailable":
        return False
    if cond.reason == TIMED_OUT:
        return True
    since = parse_timestamp(cond.last_update_time) if cond.last_update_time else rt.now
    return since + (d.spec.progress_deadline_seconds or 0) < rt.now


def _requeue_stuck(rt: Runtime, d: Deployment, status: tuple) -> None:
    """Queue a progress check for when the deadline passes (``requeueStuckDeployment``); a
    finished, paused or timed-out rollout has none queued, so ``settle`` does not wait for it."""
    cond = condition(d, "Progressing")
    queued = rt.controllers.deployment.progress_checks
    key = d.key
    if cond is None or _complete(d, status) or cond.reason == TIMED_OUT or not cond.last_update_time \
            or d.spec.paused:
        if queued.pop(key, None) is not None:
            _cancel_check(rt, key)
        return
    # A second after the deadline, as the real controller adds one to avoid clock skew.
    when = parse_timestamp(cond.last_update_time) + (d.spec.progress_deadline_seconds or 0) + 1
    at = queued.get(key)
    if at == when or when <= rt.now:
        return
    if at is not None:
        _cancel_check(rt, key)
    queued[key] = when
    rt.clock.at(when, _progress_check, rt, key)


def _cancel_check(rt: Runtime, key: str) -> None:
    rt.clock.cancel(_progress_check, lambda args: args[1] == key)


def _progress_check(rt: Runtime, key: str) -> None:
    rt.controllers.deployment.progress_checks.pop(key, None)
    rt.controllers.enqueue("Deployment", key)


def condition(d: Deployment, type_: str) -> DeploymentCondition | None:
    for c in d.status.conditions:
        if c.type == type_:
            return c
    return None


def _set_condition(d: Deployment, type_: str, status: str, reason: str, message: str, ts: str) -> None:
    """``SetDeploymentCondition``: nothing if status and reason are unchanged; otherwise the
    condition is replaced (and moves last), keeping its transition time if the status stays."""
    cond = condition(d, type_)
    if cond is not None and cond.status == status and cond.reason == reason:
        return
    since = cond.last_transition_time if cond is not None and cond.status == status else ts
    if cond is not None:
        d.status.conditions.remove(cond)
    d.status.conditions.append(DeploymentCondition(type_, status, ts, since, reason, message))
