"""The three patch types of the PATCH verb (``kubectl patch --type``), as the API server applies
them (apiserver ``endpoints/handlers/patch.go``): ``json`` (RFC 6902 operations), ``merge`` (RFC
7386) and ``strategic`` (:mod:`kitlib.api.strategicpatch`, only for the kinds Kubernetes defines:
a custom resource has no Go type to read merge keys from, and the server answers 415)."""

from __future__ import annotations

from typing import Any

from ..api import jsonpatch, strategicpatch
from ..api.registry import Resource
from ..errors import FieldError, Invalid, ServerBadRequest, invalid

MEDIA_TYPES = {"json": "application/json-patch+json", "merge": "application/merge-patch+json",
               "strategic": "application/strategic-merge-patch+json"}
"""Each ``--type`` and the Content-Type kubectl sends it as (``types.PatchType``)."""


def patched(live: dict[str, Any], patch_type: str, body: Any, custom: bool) -> Any:
    """``live`` with ``body`` applied; the server's 422 for a JSON patch that does not apply."""
    if patch_type == "json":
        try:
            return jsonpatch.json_patch(live, body)
        except jsonpatch.JsonPatchError as exc:
            raise Invalid(f"request is invalid: {exc}") from None
    if patch_type == "merge":
        return jsonpatch.merge_apply(live, body)
    if not isinstance(body, dict):
        raise ServerBadRequest("json: cannot unmarshal array into Go value of type map[string]interface {}")
    schema = strategicpatch.Schema(None) if custom else \
        strategicpatch.Schema.of(str(live.get("apiVersion")), str(live.get("kind")))
    try:
        return strategicpatch.apply(live, body, schema)
    except strategicpatch.PatchError as exc:
        raise ServerBadRequest(str(exc)) from None


def undecodable(res: Resource, merged: Any) -> Invalid:
    """The 422 for a patched object that no longer decodes (a non-object, replicas not a number)."""
    return invalid("", "", [FieldError("patch", "Invalid value", str(merged)[:200],
                                       f"json: cannot unmarshal into Go value of type {res.kind}")])
