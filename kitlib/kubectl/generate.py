"""What ``kubectl create <type>`` and ``kubectl expose`` do with the object they generate: print it
(``--dry-run=client``), check it on the server without keeping it (``--dry-run=server``), or
create it; and say so in kubectl's words."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..api.registry import for_object
from ..errors import ApiError, Invalid
from .args import Args, KubectlError, resource_type
from .printers import print_bodies, printer_for

if TYPE_CHECKING:
    from ..cluster import Cluster

COMMON_FLAGS = {"dry-run", "output", "namespace", "save-config", "validate", "field-manager", "template",
                "show-managed-fields", "allow-missing-template-keys", "kubeconfig", "context", "cluster", "user",
                "request-timeout", "v"}
"""The flags every generator accepts besides its own (a generator that checks its flags allows these)."""


def emit(cluster: Cluster, args: Args, obj: dict[str, Any], verb: str, failed: str | None = None) -> str:
    """Print, dry-run on the server or create ``obj``, and say so: ``service/web exposed``.

    ``failed``: kubectl's own words before the server's refusal (``failed to create ingress``),
    where it wraps it.
    """
    dry = args.get("dry-run")
    if dry not in (None, "none", "client", "server"):
        raise KubectlError(f'error: Invalid dry-run value ({dry}). Must be "none", "server", or "client".')
    printer = printer_for(args)
    if dry == "client":
        if printer is not None:
            return print_bodies([obj], printer, single=True, typed=True)
        name = f"{resource_type(obj['kind']).type_name}/{obj['metadata']['name']}"
        return f"{name} {verb} (dry run)"
    try:
        created = cluster.create(obj, dry_run=dry == "server")
    except ApiError as err:
        if failed is None:
            raise
        raise _printed_as(err, f"error: {failed}: {err.message}") from None
    if printer is not None:
        return print_bodies([created.to_dict()], printer, single=True, typed=True)
    suffix = " (server dry run)" if dry == "server" else ""
    return f"{for_object(created).type_name}/{created.name} {verb}{suffix}"


def _printed_as(err: ApiError, text: str) -> ApiError:
    """The same kind of error, printed by kubectl as ``text`` (kubectl wraps some server errors)."""
    out = type(err)(text, causes=err.causes, printed=True)
    if isinstance(err, Invalid) and isinstance(out, Invalid):  # out is type(err)
        out.kind, out.name = err.kind, err.name
    return out
