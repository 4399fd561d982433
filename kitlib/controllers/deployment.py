"""The Deployment controller: one ReplicaSet per pod template, and rollouts between them.

A rolling update scales the new ReplicaSet up and the old ones down within
``maxSurge`` (pods above ``replicas``) and ``maxUnavailable`` (pods below it that may be
not available), so a new version that never becomes available stalls the rollout.
"""

from __future__ import annotations

import copy
import math
from typing import TYPE_CHECKING

from ..api.apps import Deployment, DeploymentCondition, ReplicaSet, ReplicaSetSpec
from ..api.labels import LabelSelector
from ..api.meta import ObjectMeta, OwnerReference
from ..api.pod import PodTemplateSpec
from ..manifest import to_plain
from ..names import pod_template_hash
from .replicaset import is_active

if TYPE_CHECKING:
    from ..cluster import Cluster

HASH_LABEL = "pod-template-hash"
REVISION = "deployment.kubernetes.io/revision"


def resolve(value: int | str | None, total: int, round_up: bool) -> int:
    """An int-or-percent against ``total`` (maxSurge rounds up, maxUnavailable down)."""
    if value is None:
        return 0
    if isinstance(value, int):
        return value
    pct = int(value.rstrip("%")) * total / 100
    return math.ceil(pct) if round_up else math.floor(pct)


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


def _find_new_rs(d: Deployment, rss: list[ReplicaSet]) -> ReplicaSet | None:
    """The first ReplicaSet whose template is the Deployment's (apart from the hash label)."""
    want = None
    for rs in rss:
        if _same_template(rs.spec.template, d.spec.template):
            return rs
        if want is None:
            want = _template_plain(d.spec.template)
        if _template_plain(rs.spec.template) == want:
            return rs
    return None


def sync(cluster: Cluster, d: Deployment) -> None:
    """Reconcile one Deployment: find or create its new ReplicaSet, then roll or scale."""
    rss: list[ReplicaSet] = cluster.owned(d, "ReplicaSet")  # type: ignore[assignment]
    new_rs = _find_new_rs(d, rss)
    old = [rs for rs in rss if rs is not new_rs]
    if new_rs is None:
        new_rs = _create_new_rs(cluster, d, old)
    elif _revision(new_rs) < max((_revision(r) for r in old), default=0):
        # Rolling back to an older template makes that ReplicaSet the newest revision again.
        new_rs.metadata.annotations[REVISION] = str(max(_revision(r) for r in old) + 1)
        cluster._store.touch(new_rs)
    replicas = d.spec.replicas or 0
    strategy = d.spec.strategy.type if d.spec.strategy else "RollingUpdate"
    if d.spec.paused:
        pass
    elif strategy == "Recreate":
        _recreate(cluster, d, new_rs, old, replicas)
    elif not old or all(_pod_count(cluster, r) == 0 and not r.spec.replicas for r in old):
        _scale(cluster, new_rs, replicas, d)
    else:
        _rolling(cluster, d, new_rs, old, replicas)
    _cleanup(cluster, d, old)
    _update_status(cluster, d, new_rs, old)


def _revision(rs: ReplicaSet) -> int:
    return int(rs.metadata.annotations.get(REVISION, "0"))


def _pod_count(cluster: Cluster, rs: ReplicaSet) -> int:
    return sum(1 for p in cluster.owned(rs, "Pod") if is_active(p))  # type: ignore[arg-type]


def _create_new_rs(cluster: Cluster, d: Deployment, old: list[ReplicaSet]) -> ReplicaSet:
    collision = d.status.collision_count or 0
    template = copy.deepcopy(d.spec.template)
    h = pod_template_hash(_template_plain(template), collision)
    template.metadata.labels[HASH_LABEL] = h
    selector = copy.deepcopy(d.spec.selector) or LabelSelector()
    selector.match_labels[HASH_LABEL] = h
    revision = max((_revision(r) for r in old), default=0) + 1
    rs = ReplicaSet(
        metadata=ObjectMeta(
            name=f"{d.name}-{h}", namespace=d.namespace, labels=dict(template.metadata.labels),
            annotations={"deployment.kubernetes.io/desired-replicas": str(d.spec.replicas or 0),
                         "deployment.kubernetes.io/max-replicas": str(_max_replicas(d)),
                         REVISION: str(revision)},
            owner_references=[OwnerReference("apps/v1", "Deployment", d.name, d.metadata.uid or "", True, True)],
        ),
        spec=ReplicaSetSpec(replicas=0, selector=selector, template=template,
                            min_ready_seconds=d.spec.min_ready_seconds),
    )
    created = cluster._create(rs)
    return created  # type: ignore[return-value]


def _max_replicas(d: Deployment) -> int:
    replicas = d.spec.replicas or 0
    ru = d.spec.strategy.rolling_update if d.spec.strategy else None
    return replicas + (resolve(ru.max_surge, replicas, True) if ru else 0)


def _scale(cluster: Cluster, rs: ReplicaSet, replicas: int, d: Deployment) -> None:
    if rs.spec.replicas == replicas:
        return
    before = rs.spec.replicas or 0
    rs.spec.replicas = replicas
    rs.metadata.annotations["deployment.kubernetes.io/desired-replicas"] = str(d.spec.replicas or 0)
    rs.metadata.annotations["deployment.kubernetes.io/max-replicas"] = str(_max_replicas(d))
    rs.metadata.generation = (rs.metadata.generation or 1) + 1
    cluster._store.touch(rs)
    cluster._mark(rs)
    verb = "up" if replicas > before else "down"
    cluster._record(d, "ScalingReplicaSet", f"Scaled {verb} replica set {rs.name} from {before} to {replicas}",
                    "deployment-controller")


def _recreate(cluster: Cluster, d: Deployment, new_rs: ReplicaSet, old: list[ReplicaSet], replicas: int) -> None:
    for rs in old:
        _scale(cluster, rs, 0, d)
    if all(_pod_count(cluster, rs) == 0 and not any(cluster.owned(rs, "Pod")) for rs in old):
        _scale(cluster, new_rs, replicas, d)


def _rolling(cluster: Cluster, d: Deployment, new_rs: ReplicaSet, old: list[ReplicaSet], replicas: int) -> None:
    ru = d.spec.strategy.rolling_update if d.spec.strategy else None
    max_surge = resolve(ru.max_surge if ru else "25%", replicas, True)
    max_unavailable = resolve(ru.max_unavailable if ru else "25%", replicas, False)
    if max_surge == 0 and max_unavailable == 0:
        max_unavailable = 1
    all_rs = [new_rs, *old]
    # Scale up the new ReplicaSet as far as maxSurge allows.
    total = sum(rs.spec.replicas or 0 for rs in all_rs)
    new_replicas = new_rs.spec.replicas or 0
    if new_replicas < replicas:
        room = replicas + max_surge - total
        if room > 0:
            _scale(cluster, new_rs, min(replicas, new_replicas + room), d)
    elif new_replicas > replicas:
        _scale(cluster, new_rs, replicas, d)
    # Scale down old ReplicaSets as far as maxUnavailable allows.
    min_available = replicas - max_unavailable
    all_pods = sum(rs.spec.replicas or 0 for rs in all_rs)
    new_unavailable = (new_rs.spec.replicas or 0) - (new_rs.status.available_replicas or 0)
    budget = all_pods - min_available - new_unavailable
    if budget <= 0:
        return
    # First the old pods that are not available anyway, then available ones.
    for rs in sorted(old, key=lambda r: r.metadata.creation_timestamp or ""):
        if budget <= 0:
            break
        unhealthy = (rs.spec.replicas or 0) - (rs.status.available_replicas or 0)
        cut = min(unhealthy, budget)
        if cut > 0:
            _scale(cluster, rs, (rs.spec.replicas or 0) - cut, d)
            budget -= cut
    available_total = sum(rs.status.available_replicas or 0 for rs in all_rs)
    budget = min(budget, available_total - min_available)
    for rs in sorted(old, key=lambda r: r.metadata.creation_timestamp or ""):
        if budget <= 0:
            break
        cut = min(rs.spec.replicas or 0, budget)
        if cut > 0:
            _scale(cluster, rs, (rs.spec.replicas or 0) - cut, d)
            budget -= cut


def _cleanup(cluster: Cluster, d: Deployment, old: list[ReplicaSet]) -> None:
    limit = d.spec.revision_history_limit if d.spec.revision_history_limit is not None else 10
    idle = [rs for rs in old if not rs.spec.replicas and not cluster.owned(rs, "Pod")]
    idle.sort(key=_revision)
    for rs in idle[: max(0, len(idle) - limit)]:
        cluster._delete(rs)


def _update_status(cluster: Cluster, d: Deployment, new_rs: ReplicaSet, old: list[ReplicaSet]) -> None:
    all_rs = [new_rs, *old]
    replicas = sum(rs.status.replicas for rs in all_rs)
    ready = sum(rs.status.ready_replicas or 0 for rs in all_rs)
    available = sum(rs.status.available_replicas or 0 for rs in all_rs)
    updated = new_rs.status.replicas
    want = d.spec.replicas or 0
    st = d.status
    new = (d.metadata.generation, replicas or None, updated or None, ready or None, available or None,
           max(0, want - available) or None)
    old_t = (st.observed_generation, st.replicas, st.updated_replicas, st.ready_replicas,
             st.available_replicas, st.unavailable_replicas)
    ru = d.spec.strategy.rolling_update if d.spec.strategy else None
    max_unavailable = resolve(ru.max_unavailable, want, False) if ru else 0
    is_available = available >= want - max_unavailable
    ts = cluster.clock.timestamp()
    _set_condition(d, "Available", "True" if is_available else "False",
                   "MinimumReplicasAvailable" if is_available else "MinimumReplicasUnavailable",
                   "Deployment has minimum availability." if is_available
                   else "Deployment does not have minimum availability.", ts)
    complete = updated == want and (new_rs.status.available_replicas or 0) == want and replicas == want
    _set_condition(d, "Progressing", "True",
                   "NewReplicaSetAvailable" if complete else "ReplicaSetUpdated",
                   f'ReplicaSet "{new_rs.name}" has successfully progressed.' if complete
                   else f'ReplicaSet "{new_rs.name}" is progressing.', ts)
    if new != old_t:
        (st.observed_generation, st.replicas, st.updated_replicas, st.ready_replicas,
         st.available_replicas, st.unavailable_replicas) = new
    cluster._store.touch(d)


def _set_condition(d: Deployment, type_: str, status: str, reason: str, message: str, ts: str) -> None:
    cond = next((c for c in d.status.conditions if c.type == type_), None)
    if cond is None:
        d.status.conditions.append(DeploymentCondition(type_, status, ts, ts, reason, message))
        return
    if cond.status != status:
        cond.last_transition_time = ts
    if (cond.status, cond.reason, cond.message) != (status, reason, message):
        cond.last_update_time = ts
    cond.status, cond.reason, cond.message = status, reason, message
