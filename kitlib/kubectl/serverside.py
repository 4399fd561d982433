"""``kubectl apply --server-side`` (``applyOneObject``'s server-side branch in kubectl's
``pkg/cmd/apply/apply.go``): each document sent whole as an apply patch under the field manager
``--field-manager`` (``kubectl`` by default), printed ``serverside-applied``; the API server's
conflicts come back with kubectl's advice after them (:mod:`kitlib.apiserver.managedfields`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..api.meta import KubeObject
from ..errors import BadRequest, Conflict
from .args import Args

if TYPE_CHECKING:
    from ..cluster import Cluster

ADVICE = """Please review the fields above--they currently have other managers. Here
are the ways you can resolve this warning:
* If you intend to manage all of these fields, please re-run the apply
  command with the `--force-conflicts` flag.
* If you do not intend to manage all of the fields, please edit your
  manifest to remove references to the fields that should keep their
  current managers.
* You may co-own fields by updating your manifest to match the existing
  value; in this case, you'll become the manager if the other manager(s)
  stop managing the field (remove it from their configuration).
See https://kubernetes.io/docs/reference/using-api/server-side-apply/#conflicts"""
"""What kubectl adds after a conflict (apply.go)."""


def server_side_apply(cluster: Cluster, doc: dict, args: Args, validation: str, said: list[str],
                      dry_run: str) -> tuple[KubeObject, str]:
    """``apply --server-side`` of one document: the object and kubectl's word for it."""
    if dry_run == "client":
        raise BadRequest("error: --dry-run=client doesn't work with --server-side (did you mean --dry-run=server "
                         "instead?)")
    manager = args.get("field-manager") or "kubectl"
    try:
        obj, _ = cluster.server_side_apply(doc, manager, force=args.on("force-conflicts"),
                                           dry_run=dry_run == "server", validation=validation, warnings=said)
    except Conflict as err:
        raise BadRequest(f"error: {err.message}\n{ADVICE}") from None
    return obj, "serverside-applied"
