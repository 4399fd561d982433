"""``kubectl patch`` (kubectl's ``pkg/cmd/patch/patch.go``): a strategic merge (the default), JSON
merge or JSON patch sent to the API server's PATCH verb (:meth:`kitlib.apiserver.server.ApiServer.patch`),
printed as ``<type>/<name> patched``, or ``patched (no change)`` when the object came back as it
was (kubectl compares the object it read with the one the server returned)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from ..api.registry import for_object
from ..apiserver.patch import MEDIA_TYPES
from ..errors import ApiError, BadRequest
from .args import Args
from .output import request, warn

if TYPE_CHECKING:
    from ..cluster import Cluster


def patch_command(cluster: Cluster, args: Args, stdin: str) -> str:
    """``kubectl patch (TYPE NAME | TYPE/NAME) (-p PATCH | --patch-file FILE) [--type
    strategic|merge|json] [--subresource status|scale] [--dry-run=server|client]``."""
    from .commands import _outcome, _targets  # the shared verbs' helpers
    text, file = args.get("patch"), args.get("patch-file")
    if text and file:
        raise BadRequest("error: cannot specify --patch and --patch-file together")
    if not text and not file:
        raise BadRequest("error: must specify --patch or --patch-file containing the contents of the patch")
    kind = (args.get("type") or "strategic")
    if kind.lower() not in MEDIA_TYPES:
        raise BadRequest(f'error: --type must be one of [json merge strategic], not "{kind}"')
    kind = kind.lower()
    dry_run = args.get("dry-run") or "none"
    if dry_run not in ("none", "client", "server"):
        raise BadRequest(f'error: Invalid dry-run value ({dry_run}). Must be "none", "server", or "client".')
    subresource = args.get("subresource") or ""
    if subresource not in ("", "status", "scale"):
        raise BadRequest(f'error: invalid subresource value: "{subresource}". Must be one of [status scale]')
    if file:
        try:
            text = Path(file).read_text()
        except OSError as exc:
            raise BadRequest(f"error: unable to read patch file: open {file}: {(exc.strerror or str(exc)).lower()}") from None
    body = _to_json(text or "")
    if len(args.words) < 2:
        raise BadRequest("error: You must provide one or more resources by argument or filename.\n"
                         "Example resource specifications include:\n   '-f rsrc.yaml'\n   '--filename=rsrc.json'\n"
                         "   '<resource> <name>'\n   '<resource>'")
    suffix = {"client": " (dry run)", "server": " (server dry run)"}.get(dry_run, "")
    out: list[str] = []
    errors: list[ApiError] = []
    changed: list[tuple[str, str, str]] = []
    said: list[str] = []
    try:
        for res, names in _targets(args.words[1:], cluster):
            request(cluster, res.kind)
            if res.kind in cluster.api.custom and kind == "strategic":
                group, _, version = res.cls.api_version.rpartition("/")
                raise BadRequest(f"error: {MEDIA_TYPES[kind]} is not supported by {group}/{version}, Kind={res.kind}: "
                                 "the body of the request was in an unknown format - accepted media types include: "
                                 "application/json-patch+json, application/merge-patch+json, "
                                 "application/apply-patch+yaml")
            for name in names:
                try:
                    obj, did = cluster.patch(res.kind, name, args.namespace, kind, body, subresource=subresource,
                                             dry_run=dry_run != "none", warnings=said)
                except ApiError as err:
                    errors.append(err)
                    continue
                shown = f"scale.autoscaling/{obj.name}" if subresource == "scale" else \
                    f"{for_object(obj).type_name}/{obj.name}"
                out.append(f"{shown} {'patched' if did else 'patched (no change)'}{suffix}")
                if did and not suffix:
                    changed.append((obj.kind, obj.metadata.namespace or "", obj.name))
    finally:
        for warning in said:
            warn(warning)
    if not out and not errors:
        raise BadRequest("error: no objects passed to patch")
    return _outcome(out, errors, changed)


def _to_json(text: str) -> Any:
    """The patch as kubectl reads it: YAML or JSON (``yaml.ToJSON``), or its parse error."""
    try:
        return json.loads(text)
    except ValueError:
        pass
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise BadRequest(f'error: unable to parse "{text}": {str(exc).splitlines()[0]}') from None
