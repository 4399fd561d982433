"""kubectl for Namespaces: ``get namespaces`` and ``create namespace NAME``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..api.namespace import Namespace
from ..errors import BadRequest
from .args import Args
from .printers import age
from .view import View

if TYPE_CHECKING:
    from ..cluster import Cluster


def _row(cluster: Cluster, ns: Namespace, wide: bool) -> list[str]:
    return [ns.name, ns.status.phase or "Active", age(cluster, ns)]


def create_namespace(cluster: Cluster, args: Args) -> dict[str, Any]:
    """The Namespace ``kubectl create namespace NAME`` builds."""
    if len(args.words) < 3:
        raise BadRequest("error: exactly one NAME is required, got 0")
    return {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": args.words[2]},
            "spec": {}, "status": {}}


VIEW = View("Namespace", ("NAME", "STATUS", "AGE"), (), _row, create=create_namespace,
            create_types=("namespace", "ns"))
VIEWS = (VIEW,)
"""The views this module gives :mod:`.kinds`."""
