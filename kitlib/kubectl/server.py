"""The two writes kubectl makes that the Cluster has no public verb for yet: a create checked on
the server and given back (``--dry-run=server``), and a patch (``set image``, ``rollout undo``,
``annotate``, ...). These are the only calls into the Cluster's private members."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, TypeVar

from ..api.convert import clone
from ..api.meta import KubeObject
from ..api.registry import for_object
from ..errors import AlreadyExists, NotFound
from ..manifest import decode

if TYPE_CHECKING:
    from ..cluster import Cluster

T = TypeVar("T", bound=KubeObject)


def dry_run_create(cluster: Cluster, doc: dict) -> KubeObject:
    """Admit, default, allocate and validate as a create would, then give everything back."""
    obj = decode(doc)
    obj.metadata.namespace = obj.metadata.namespace or "default"
    cluster.get("Namespace", obj.metadata.namespace)
    state = cluster.rng.getstate()
    try:
        prepared = cluster._prepare(obj, None)
        try:
            cluster.get(prepared.kind, prepared.name, prepared.namespace)
        except NotFound:
            return prepared
        raise AlreadyExists(f'{for_object(prepared).qualified} "{prepared.name}" already exists')
    finally:
        cluster._finish(ok=False)
        cluster.rng.setstate(state)


def patch(cluster: Cluster, obj: T, change: Callable[[T], None]) -> T:
    """Store a copy of ``obj`` changed by ``change`` as a PATCH would: validated first, then committed."""
    new = clone(obj)
    change(new)
    try:
        prepared = cluster._prepare(new, obj)
    except Exception:
        cluster._finish(ok=False)
        raise
    stored = cluster._commit_update(obj, prepared)
    cluster._finish(ok=True)
    cluster._reconcile()
    return stored  # type: ignore[return-value]
