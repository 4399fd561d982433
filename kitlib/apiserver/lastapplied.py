"""Client-side ``kubectl apply``: the ``kubectl.kubernetes.io/last-applied-configuration``
annotation and the three-way patch computed from it (kubectl's ``pkg/cmd/apply/apply.go``,
``applyOneObject``, and ``patcher.go``; ``pkg/util/apply.go``, ``GetModifiedConfiguration``).

On a create kubectl writes the manifest itself, as compact JSON, into the annotation. On an update
it reads the annotation back from the live object (the *original*), builds the *modified*
configuration (the manifest with its own annotation), and sends the patch
``CreateThreeWayMergePatch(original, modified, current)``: strategic merge for the kinds Kubernetes
defines, JSON merge patch for custom resources (:mod:`kitlib.api.strategicpatch`,
:mod:`kitlib.api.jsonpatch`). An empty patch, ``{}``, is not sent: the object is ``unchanged``.

So fields the manifest never set (a ``kubectl scale``d ``replicas``, labels added by ``kubectl
label``, a ClusterIP the server allocated) survive a re-apply; fields the last manifest set and
the new one dropped are removed; and a field the manifest sets is set back to the manifest's value
(``replicas: 2`` applied again after ``kubectl scale --replicas=5`` is 2 again: the change from the
live object to the manifest is part of the patch).
"""

from __future__ import annotations

import copy
import json
from typing import Any

from ..api import jsonpatch, strategicpatch
from ..api.convert import go_marshal

LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"
"""``corev1.LastAppliedConfigAnnotation``."""


def go_json(value: Any) -> str:
    """``value`` as Go's ``encoding/json`` encoder writes it: compact, map keys sorted, ``<``, ``>``
    and ``&`` escaped, and the encoder's trailing newline (the annotation's YAML is a ``|`` block)."""
    return go_marshal(value) + "\n"


def modified(doc: dict[str, Any], namespace: str | None) -> dict[str, Any]:
    """The manifest as kubectl sends it: its namespace set (``namespace`` for a namespaced kind, as
    kubectl's builder defaults it), and its ``last-applied-configuration`` annotation the compact
    JSON of the manifest itself, annotations ``{}`` included (an empty annotation map is kept)."""
    out = copy.deepcopy(doc)
    meta = out.setdefault("metadata", {})
    if namespace and not meta.get("namespace"):
        meta["namespace"] = namespace
    annotations = dict(meta.get("annotations") or {})
    annotations.pop(LAST_APPLIED, None)
    meta["annotations"] = annotations
    text = go_json(out)
    meta["annotations"] = {**annotations, LAST_APPLIED: text}
    return out


def original(live: dict[str, Any]) -> dict[str, Any] | None:
    """The last applied configuration of a live object, or None (no annotation, or not JSON)."""
    text = ((live.get("metadata") or {}).get("annotations") or {}).get(LAST_APPLIED)
    if not text:
        return None
    try:
        value = json.loads(text)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def patch_for(live: dict[str, Any], manifest: dict[str, Any], custom: bool) -> dict[str, Any]:
    """The patch client-side apply sends to change ``live`` as the annotated ``manifest`` says."""
    if custom:
        return jsonpatch.three_way(original(live), manifest, live)
    schema = strategicpatch.Schema.of(str(manifest.get("apiVersion")), str(manifest.get("kind")))
    return strategicpatch.three_way(original(live), manifest, live, schema)


def patched(live: dict[str, Any], patch: dict[str, Any], custom: bool) -> dict[str, Any]:
    """``live`` with ``patch`` applied, as the API server applies it."""
    if custom:
        return jsonpatch.merge_apply(live, patch)
    schema = strategicpatch.Schema.of(str(live.get("apiVersion")), str(live.get("kind")))
    return strategicpatch.apply(live, patch, schema)
