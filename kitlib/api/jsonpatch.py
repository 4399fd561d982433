"""JSON merge patch (RFC 7386) and JSON patch (RFC 6902), as the API server and kubectl use them
(``github.com/evanphx/json-patch``; apimachinery's ``pkg/util/jsonmergepatch``).

A custom resource has no Go type, so no strategic merge: client-side ``kubectl apply`` sends it a
three-way JSON merge patch (:func:`three_way`, ``CreateThreeWayJSONMergePatch``), where every list
is replaced whole, and ``kubectl patch`` refuses ``--type strategic`` for it.

>>> merge_apply({"a": 1, "b": {"c": 2}}, {"b": {"c": None, "d": 3}})
{'a': 1, 'b': {'d': 3}}
>>> three_way({"a": 1, "l": [1]}, {"l": [2]}, {"a": 1, "l": [1], "x": 9})
{'a': None, 'l': [2]}
"""

from __future__ import annotations

import copy
from typing import Any


class JsonPatchError(ValueError):
    """A JSON patch that does not apply, in the words the API server answers with."""


def merge_apply(doc: Any, patch: Any) -> Any:
    """``patch`` merged into a copy of ``doc`` (RFC 7386: null removes a key, a non-object replaces)."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    out = copy.deepcopy(doc) if isinstance(doc, dict) else {}
    for key, value in patch.items():
        if value is None:
            out.pop(key, None)
        else:
            out[key] = merge_apply(out.get(key), value)
    return out


def merge_create(original: dict, modified: dict) -> dict:
    """``jsonpatch.CreateMergePatch``: the merge patch that turns ``original`` into ``modified``."""
    patch: dict[str, Any] = {}
    for key, value in modified.items():
        if key not in original:
            patch[key] = value
        elif isinstance(value, dict) and isinstance(original[key], dict):
            sub = merge_create(original[key], value)
            if sub:
                patch[key] = sub
        elif original[key] != value or type(original[key]) is not type(value) and not _numbers(original[key], value):
            patch[key] = value
    for key in original:
        if key not in modified:
            patch[key] = None
    return patch


def _numbers(a: Any, b: Any) -> bool:
    return all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in (a, b))


def _keep_nulls(patch: dict, keep: bool) -> dict:
    """``keepOrDeleteNullInJsonPatch``: only the nulls (deletions), or everything but them."""
    out: dict[str, Any] = {}
    for key, value in patch.items():
        if value is None:
            if keep:
                out[key] = None
        elif isinstance(value, dict):
            sub = _keep_nulls(value, keep)
            if sub or (not keep and not value):
                out[key] = sub
        elif not keep:
            out[key] = value
    return out


def three_way(original: dict | None, modified: dict, current: dict) -> dict:
    """``CreateThreeWayJSONMergePatch``: additions and changes from ``current`` to ``modified``,
    deletions from ``original`` (the last applied configuration) to ``modified``."""
    changes = _keep_nulls(merge_create(current, modified), keep=False)
    deletions = _keep_nulls(merge_create(original or {}, modified), keep=True)
    return _merge_patches(deletions, changes)


def _merge_patches(first: dict, second: dict) -> dict:
    """``jsonpatch.MergePatch(first, second)`` over two patches, nulls kept."""
    out = copy.deepcopy(first)
    for key, value in second.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge_patches(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


# ------------------------------------------------------------------ RFC 6902


def _pointer(path: str) -> list[str]:
    if path == "":
        return []
    if not path.startswith("/"):
        raise JsonPatchError(f'add operation does not apply: doc is missing path: "{path}": missing value')
    return [p.replace("~1", "/").replace("~0", "~") for p in path[1:].split("/")]


def _parent(doc: Any, parts: list[str], op: str, path: str) -> Any:
    node = doc
    for part in parts[:-1]:
        if isinstance(node, dict) and part in node:
            node = node[part]
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            raise JsonPatchError(f'{op} operation does not apply: doc is missing path: "{path}": missing value')
    return node


def _get(doc: Any, path: str, op: str) -> Any:
    parts = _pointer(path)
    if not parts:
        return doc
    node = _parent(doc, parts, op, path)
    last = parts[-1]
    if isinstance(node, dict) and last in node:
        return node[last]
    if isinstance(node, list) and last.isdigit() and int(last) < len(node):
        return node[int(last)]
    raise JsonPatchError(f'{op} operation does not apply: doc is missing path: "{path}": missing value')


def _add(doc: Any, path: str, value: Any, op: str = "add") -> Any:
    parts = _pointer(path)
    if not parts:
        return value
    node = _parent(doc, parts, op, path)
    last = parts[-1]
    if isinstance(node, dict):
        node[last] = value
    elif isinstance(node, list):
        if last == "-":
            node.append(value)
        elif last.isdigit() and int(last) <= len(node):
            node.insert(int(last), value)
        else:
            raise JsonPatchError(f'{op} operation does not apply: doc is missing path: "{path}": missing value')
    else:
        raise JsonPatchError(f'{op} operation does not apply: doc is missing path: "{path}": missing value')
    return doc


def _remove(doc: Any, path: str, op: str = "remove") -> Any:
    parts = _pointer(path)
    node = _parent(doc, parts, op, path)
    last = parts[-1] if parts else ""
    if isinstance(node, dict) and last in node:
        del node[last]
    elif isinstance(node, list) and last.isdigit() and int(last) < len(node):
        del node[int(last)]
    else:
        raise JsonPatchError(f'{op} operation does not apply: doc is missing path: "{path}": missing value')
    return doc


def json_patch(doc: Any, ops: Any) -> Any:
    """The RFC 6902 operations ``ops`` (add, remove, replace, move, copy, test) applied in order to a
    copy of ``doc``."""
    if not isinstance(ops, list):
        raise JsonPatchError("json: cannot unmarshal object into Go value of type jsonpatch.Patch")
    out = copy.deepcopy(doc)
    for op in ops:
        if not isinstance(op, dict):
            raise JsonPatchError("json: cannot unmarshal into Go value of type jsonpatch.Operation")
        kind = op.get("op")
        path = op.get("path", "")
        if kind == "add":
            out = _add(out, path, copy.deepcopy(op.get("value")))
        elif kind == "remove":
            out = _remove(out, path)
        elif kind == "replace":
            _get(out, path, "replace")
            out = _remove(out, path, "replace") if _pointer(path) else out
            out = _add(out, path, copy.deepcopy(op.get("value")), "replace")
        elif kind == "move":
            value = _get(out, op.get("from", ""), "move")
            out = _remove(out, op.get("from", ""), "move")
            out = _add(out, path, value, "move")
        elif kind == "copy":
            out = _add(out, path, copy.deepcopy(_get(out, op.get("from", ""), "copy")), "copy")
        elif kind == "test":
            if _get(out, path, "test") != op.get("value"):
                raise JsonPatchError(f'testing value {path} failed: test failed')
        else:
            raise JsonPatchError(f"Unexpected kind: {kind}")
    return out
