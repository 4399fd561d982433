"""The garbage collector: deleting an owner deletes what it owns (background propagation)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..api.meta import KubeObject

if TYPE_CHECKING:
    from ..cluster import Cluster


def collect(cluster: Cluster, owner: KubeObject) -> None:
    """Delete every object whose controller owner is ``owner``."""
    for child in cluster.owned(owner):
        if child.metadata.deletion_timestamp is None:
            cluster._delete(child)
