"""Server-side apply (``kubectl apply --server-side``): not simulated yet."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..api.meta import KubeObject
from ..errors import BadRequest
from .args import Args

if TYPE_CHECKING:
    from ..cluster import Cluster


def server_side_apply(cluster: Cluster, doc: dict, args: Args, validation: str, said: list[str],
                      dry_run: str) -> tuple[KubeObject, str]:
    """``apply --server-side`` of one document."""
    raise BadRequest("error: kitlib does not simulate server-side apply yet")
