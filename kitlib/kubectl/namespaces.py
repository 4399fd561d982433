"""kubectl for Namespaces: ``get namespaces``, ``describe namespace`` and ``create namespace NAME``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..api.namespace import Namespace
from ..errors import BadRequest
from .args import Args
from .describe import annotation_lines, format_time, labels_lines
from .printers import age
from .tabwriter import DESCRIBE
from .view import View

if TYPE_CHECKING:
    from ..cluster import Cluster


def _row(cluster: Cluster, ns: Namespace, wide: bool) -> list[str]:
    return [ns.name, ns.status.phase or "Active", age(cluster, ns)]


def _describe(cluster: Cluster, ns: Namespace) -> str:
    """``describeNamespace``: the phase, the conditions the namespace controller set while deleting
    it, then the resource quotas and limit ranges (kitlib has none of either)."""
    lines = [f"Name:\t{ns.name}", *labels_lines("Labels", ns.metadata.labels),
             *annotation_lines(ns.metadata.annotations), f"Status:\t{ns.status.phase or ''}"]
    if ns.status.conditions:
        lines += ["Conditions:", "  Type\tStatus\tLastTransitionTime\tReason\tMessage",
                  "  ----\t------\t------------------\t------\t-------"]
        lines += [f"  {c.type}\t{c.status}\t{format_time(c.last_transition_time)}\t{c.reason or ''}\t{c.message or ''}"
                  for c in ns.status.conditions]
    lines += ["", "No resource quota.", "", "No LimitRange resource."]
    return DESCRIBE.format("\n".join(lines))


def create_namespace(cluster: Cluster, args: Args) -> dict[str, Any]:
    """The Namespace ``kubectl create namespace NAME`` builds."""
    if len(args.words) < 3:
        raise BadRequest("error: exactly one NAME is required, got 0")
    return {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": args.words[2]},
            "spec": {}, "status": {}}


VIEW = View("Namespace", ("NAME", "STATUS", "AGE"), (), _row, _describe, create=create_namespace,
            create_types=("namespace", "ns"))
VIEWS = (VIEW,)
"""The views this module gives :mod:`.kinds`."""
