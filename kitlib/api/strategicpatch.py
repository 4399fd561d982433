"""Strategic merge patch, as apimachinery's ``pkg/util/strategicpatch/patch.go`` computes and applies
it: the patch type of ``kubectl patch`` (its default) and of client-side ``kubectl apply`` for the
kinds Kubernetes defines.

A field's patch strategy comes from the Go types' tags, which the OpenAPI schema carries as
``x-kubernetes-patch-strategy`` and ``x-kubernetes-patch-merge-key`` (:mod:`kitlib.api.fields_generate`
writes them to ``patch-v1.37.json``): a list with strategy ``merge`` is merged element by element,
matched by its merge key (containers by ``name``, container ports by ``containerPort``, Service
ports by ``port``); any other list is replaced whole; ``retainKeys`` (a Deployment's
``spec.strategy``, a volume's source) clears the keys the patch does not name.

:func:`three_way` is ``CreateThreeWayMergePatch``: the changes and additions from the live object
to the new manifest (deletions ignored, so fields the manifest never set, such as a scaled
``replicas``, survive), plus the deletions from the last applied manifest to the new one. An empty
patch (``{}``) is kubectl's "unchanged". :func:`apply` is ``StrategicMergeMapPatch`` with its
directives (``$patch: delete|replace``, ``$retainKeys``, ``$setElementOrder/<list>``,
``$deleteFromPrimitiveList/<list>``).

>>> live = {"spec": {"replicas": 5, "template": {"spec": {"containers": [{"name": "web", "image": "nginx:1.27"}]}}}}
>>> manifest = {"spec": {"template": {"spec": {"containers": [{"name": "web", "image": "nginx:1.28"}]}}}}
>>> patch = three_way(manifest, manifest, live, Schema.of("apps/v1", "Deployment"))
>>> patch["spec"]["template"]["spec"]["containers"]
[{'image': 'nginx:1.28', 'name': 'web'}]
>>> apply(live, patch, Schema.of("apps/v1", "Deployment"))["spec"]["replicas"]
5
"""

from __future__ import annotations

import copy
import functools
import json
from dataclasses import dataclass
from importlib import resources
from typing import Any

from . import fields

DIRECTIVE = "$patch"
RETAIN_KEYS = "$retainKeys"
SET_ORDER = "$setElementOrder"
DELETE_PRIMITIVE = "$deleteFromPrimitiveList"


class PatchError(ValueError):
    """A patch that cannot be applied (a list without its merge key, a bad directive), in
    apimachinery's words."""


@functools.cache
def _meta() -> dict[str, Any]:
    return json.loads(resources.files(__package__).joinpath(fields.PATCH_FILE).read_text())["definitions"]


@functools.cache
def _tree() -> dict[str, Any]:
    return json.loads(resources.files(__package__).joinpath(fields.TREE_FILE).read_text())


@dataclass(frozen=True)
class Schema:
    """Where in a kind's field tree a map is: its definition's name (None where the tree says
    nothing: a map of strings, an open object)."""

    definition: str | None

    @staticmethod
    def of(api_version: str, kind: str) -> Schema:
        """The schema of a kind's top level (None inside for a kind the tree does not have)."""
        return Schema(_tree()["kinds"].get(f"{api_version}/{kind}"))

    def field(self, key: str) -> tuple[Schema, list[str], str]:
        """The schema of ``key``'s value (of its elements, for a list), its patch strategies and
        its merge key."""
        if self.definition is None:
            return Schema(None), [], ""
        defs = _tree()["definitions"].get(self.definition) or {}
        node = defs.get(key, 0) if isinstance(defs, dict) else 0
        if isinstance(node, list):  # ["list", inner] or ["map", inner]
            node = node[1]
        meta = (_meta().get(self.definition) or {}).get(key) or {}
        strategies = [s for s in str(meta.get("patch-strategy", "")).split(",") if s]
        return Schema(node if isinstance(node, str) else None), strategies, str(meta.get("patch-merge-key", ""))

    def list_type(self, key: str) -> tuple[str, list[str]]:
        """Server-side apply's view of list ``key``: its ``x-kubernetes-list-type`` (``atomic`` when
        the schema says nothing) and, for a ``map`` list, its ``list-map-keys``."""
        meta = (_meta().get(self.definition) or {}).get(key) or {} if self.definition else {}
        return str(meta.get("list-type", "atomic")), list(meta.get("list-map-keys") or [])

    def map_type(self, key: str) -> str:
        """``x-kubernetes-map-type`` of map ``key`` (``granular`` unless ``atomic``), from the field
        or from the struct it holds (a LabelSelector is atomic wherever it is)."""
        meta = (_meta().get(self.definition) or {}).get(key) or {} if self.definition else {}
        if "map-type" in meta:
            return str(meta["map-type"])
        inner, _, _ = self.field(key)
        own = (_meta().get(inner.definition) or {}).get(".") or {} if inner.definition else {}
        return str(own.get("map-type", "granular"))


def _split_strategies(strategies: list[str]) -> tuple[bool, str]:
    """``extractRetainKeysPatchStrategy``: whether ``retainKeys`` is among them, and the other one."""
    retain = "retainKeys" in strategies
    rest = [s for s in strategies if s != "retainKeys"]
    return retain, rest[0] if rest else ""


def _kind(value: Any) -> str:
    """The Go type a JSON value decodes to (every number is a float64)."""
    if isinstance(value, dict):
        return "map"
    if isinstance(value, list):
        return "slice"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, (int, float)):
        return "number"
    if value is None:
        return "nil"
    return "string"


def _go_string(value: Any) -> str:
    """``fmt.Sprintf("%v", value)`` for the scalars a list holds (what sorts them)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if value is None:
        return "<nil>"
    return str(value)


# ------------------------------------------------------------------ diffs


@dataclass(frozen=True)
class _Diff:
    ignore_deletions: bool = False
    ignore_changes: bool = False
    set_order: bool = False
    retain_keys: bool = False


def _diff_maps(original: dict, modified: dict, schema: Schema, opts: _Diff) -> dict:
    patch: dict[str, Any] = {}
    retain: list[Any] = []
    for key, mod in modified.items():
        if opts.retain_keys and mod is not None:
            retain.append(key)
        if key not in original:
            if not opts.ignore_changes:
                patch[key] = mod
            continue
        orig = original[key]
        if key == DIRECTIVE:
            if mod != orig:
                patch[key] = mod
            continue
        if _kind(orig) != _kind(mod):
            if not opts.ignore_changes:
                patch[key] = mod
            continue
        if isinstance(orig, dict):
            sub, strategies, _ = schema.field(key)
            retain_sub, strategy = _split_strategies(strategies)
            if strategy == "replace":
                if not opts.ignore_changes:
                    patch[key] = mod
            else:
                value = _diff_maps(orig, mod, sub, _Diff(opts.ignore_deletions, opts.ignore_changes,
                                                          opts.set_order, retain_sub))
                if value:
                    patch[key] = value
        elif isinstance(orig, list):
            sub, strategies, merge_key = schema.field(key)
            retain_sub, strategy = _split_strategies(strategies)
            if strategy == "merge":
                add, deletions, order = _diff_lists(orig, mod, sub, merge_key, _Diff(
                    opts.ignore_deletions, opts.ignore_changes, opts.set_order, retain_sub))
                if add:
                    patch[key] = add
                if deletions:
                    patch[f"{DELETE_PRIMITIVE}/{key}"] = deletions
                if order:
                    patch[f"{SET_ORDER}/{key}"] = order
            elif not opts.ignore_changes and orig != mod:
                patch[key] = mod
        elif not opts.ignore_changes and orig != mod:
            patch[key] = mod
    if not opts.ignore_deletions:
        for key in original:
            if key not in modified:
                patch[key] = None
    if retain and (patch or any(v is not None and k not in modified for k, v in original.items())):
        patch[RETAIN_KEYS] = sorted(retain, key=_go_string)
    return patch


def _diff_lists(original: list, modified: list, schema: Schema, merge_key: str,
                opts: _Diff) -> tuple[list, list, list]:
    if not original:
        if not modified or opts.ignore_changes:
            return [], [], []
        return modified, [], []
    if all(isinstance(v, dict) for v in original + modified):
        patch, deletions = _diff_lists_of_maps(original, modified, schema, merge_key, opts)
        patch = _normalize_order(patch, modified, merge_key, True)
        same = len(original) == len(modified) and all(
            o.get(merge_key) == m.get(merge_key) for o, m in zip(original, modified, strict=True))
        patch += deletions
        order: list = []
        if opts.set_order and ((not opts.ignore_changes and (patch or not same))
                               or (not opts.ignore_deletions and patch)):
            order = [{merge_key: m.get(merge_key)} for m in modified]
        return patch, [], order
    add, deletions = _diff_scalars(original, modified, opts)
    add = _normalize_order(add, modified, merge_key, False)
    order = []
    if opts.set_order and ((not opts.ignore_deletions and deletions)
                           or (not opts.ignore_changes and original != modified)):
        order = list(modified)
    return add, deletions, order


def _diff_scalars(original: list, modified: list, opts: _Diff) -> tuple[list, list]:
    orig = sorted(original, key=_go_string)
    mod = sorted(modified, key=_go_string)
    i = j = 0
    add: list = []
    deletions: list = []
    while i < len(orig) or j < len(mod):
        o = _go_string(orig[i]) if i < len(orig) else None
        m = _go_string(mod[j]) if j < len(mod) else None
        if o is not None and m is not None and o == m:
            i += 1
            j += 1
        elif o is None or (m is not None and o > m):
            if not opts.ignore_changes:
                add.append(mod[j])
            j += 1
        else:
            if not opts.ignore_deletions:
                deletions.append(orig[i])
            i += 1
    unique: list = []
    for d in deletions:
        if d not in unique:
            unique.append(d)
    return add, unique


def _diff_lists_of_maps(original: list, modified: list, schema: Schema, merge_key: str,
                        opts: _Diff) -> tuple[list, list]:
    for item in original + modified:
        if merge_key not in item:
            raise PatchError(f"map: {_go_map(item)} does not contain declared merge key: {merge_key}")
    orig = sorted(original, key=lambda m: _go_string(m[merge_key]))
    mod = sorted(modified, key=lambda m: _go_string(m[merge_key]))
    i = j = 0
    patch: list = []
    deletions: list = []
    while i < len(orig) or j < len(mod):
        o = _go_string(orig[i][merge_key]) if i < len(orig) else None
        m = _go_string(mod[j][merge_key]) if j < len(mod) else None
        if o is not None and m is not None and o == m:
            value = _diff_maps(orig[i], mod[j], schema, opts)
            if value:
                value[merge_key] = mod[j][merge_key]
                patch.append(value)
            i += 1
            j += 1
        elif o is None or (m is not None and o > m):
            if not opts.ignore_changes:
                patch.append(mod[j])
            j += 1
        else:
            if not opts.ignore_deletions:
                deletions.append({merge_key: orig[i][merge_key], DIRECTIVE: "delete"})
            i += 1
    return patch, deletions


def _go_map(item: dict) -> str:
    """``%v`` of a map, as the merge-key error prints it."""
    return "map[" + " ".join(f"{k}:{_go_string(v)}" for k, v in sorted(item.items())) + "]"


def _index(order: list, value: Any, merge_key: str, maps: bool) -> int:
    want = value.get(merge_key) if maps and isinstance(value, dict) else value
    for i, item in enumerate(order):
        have = item.get(merge_key) if maps and isinstance(item, dict) else item
        if have == want:
            return i
    return -1


def _normalize_order(items: list, order: list, merge_key: str, maps: bool) -> list:
    """``normalizeSliceOrder``: the items in the order they have in ``order`` (deletions last)."""
    deletions: list = []
    if maps:
        deletions = [v for v in items if isinstance(v, dict) and v.get(DIRECTIVE) == "delete"]
        items = [v for v in items if not (isinstance(v, dict) and v.get(DIRECTIVE) == "delete")]
    known = sorted((v for v in items if _index(order, v, merge_key, maps) >= 0),
                   key=lambda v: _index(order, v, merge_key, maps))
    # Go's stable sort with "unknown first" puts the items order does not name before the rest.
    unknown = [v for v in items if _index(order, v, merge_key, maps) < 0]
    return unknown + known + deletions


def three_way(original: dict | None, modified: dict, current: dict, schema: Schema) -> dict:
    """``CreateThreeWayMergePatch(original, modified, current)`` with overwrite: what client-side
    apply sends. ``original`` is the last applied configuration (None: the annotation is missing)."""
    delta = _diff_maps(current, modified, schema, _Diff(ignore_deletions=True, set_order=True))
    deletions = _diff_maps(original or {}, modified, schema, _Diff(ignore_changes=True, set_order=True))
    return _merge_map(deletions, delta, schema, parallel=False, ignore_nulls=False)


# ------------------------------------------------------------------ applying


def apply(original: dict, patch: dict, schema: Schema) -> dict:
    """``StrategicMergeMapPatch``: ``patch`` applied to a copy of ``original``."""
    return _merge_map(copy.deepcopy(original), copy.deepcopy(patch), schema, parallel=True, ignore_nulls=True)


def _merge_map(original: dict | None, patch: dict, schema: Schema, *, parallel: bool, ignore_nulls: bool) -> dict:
    if DIRECTIVE in patch:
        directive = patch[DIRECTIVE]
        if directive == "replace":
            return {k: v for k, v in patch.items() if k != DIRECTIVE}
        if directive == "delete":
            return {}
        raise PatchError(f"Unknown patch type: {directive} in map: {_go_map(patch)}")
    if original is None:
        original = {}
    if RETAIN_KEYS in patch:
        keys = patch.pop(RETAIN_KEYS)
        if not parallel:
            if RETAIN_KEYS in original and original[RETAIN_KEYS] != keys:
                raise PatchError(f"{keys} and {original[RETAIN_KEYS]} are not deep equal: this may happen when "
                                 "calculating the 3-way diff patch")
            original[RETAIN_KEYS] = keys
        else:
            if not isinstance(keys, list):
                raise PatchError("invalid patch format of retainKeys")
            for k, v in patch.items():
                if v is None or k.startswith(DELETE_PRIMITIVE) or k.startswith(SET_ORDER):
                    continue
                if k not in keys:
                    raise PatchError("doesn't match the retainKeys list of keys")
            for k in list(original):
                if k not in keys:
                    del original[k]
    _merge_ordered(original, patch, schema, parallel, ignore_nulls)
    for key, value in list(patch.items()):
        delete_list = False
        if key.startswith(DELETE_PRIMITIVE):
            if not parallel:
                original[key] = value
                continue
            key = key.split("/", 1)[1]
            delete_list = True
        if value is None:
            original.pop(key, None)
            if ignore_nulls:
                continue
        if key not in original or _kind(original[key]) != _kind(value):
            if not delete_list:
                if ignore_nulls:
                    _discard_nulls(value)
                kept, keep = _remove_directives(value)
                if keep:
                    original[key] = kept
                else:
                    original.pop(key, None)
            continue
        current = original[key]
        if isinstance(current, dict):
            sub, strategies, _ = schema.field(key)
            _, strategy = _split_strategies(strategies)
            original[key] = value if strategy == "replace" else \
                _merge_map(current, value, sub, parallel=parallel, ignore_nulls=ignore_nulls)
        elif isinstance(current, list):
            sub, strategies, merge_key = schema.field(key)
            _, strategy = _split_strategies(strategies)
            if strategy == "merge" or delete_list:
                original[key], _ = _merge_slice(current, value, sub, merge_key, parallel, ignore_nulls, delete_list)
            else:
                original[key] = value
        else:
            kept, keep = _remove_directives(value)
            if keep:
                original[key] = kept
            else:
                original.pop(key, None)
    return original


def _merge_ordered(original: dict, patch: dict, schema: Schema, parallel: bool, ignore_nulls: bool) -> None:
    """``mergePatchIntoOriginal``: the lists a ``$setElementOrder/<list>`` directive orders."""
    for key in [k for k in patch if k.startswith(SET_ORDER)]:
        order = patch.pop(key)
        if not parallel:
            if key in original and original[key] != order:
                raise PatchError("invalid patch format of setElementOrder list")
            original[key] = order
        if not isinstance(order, list):
            raise PatchError("invalid patch format of setElementOrder list")
        name = key.split("/", 1)[1]
        has_orig, has_patch = name in original, name in patch
        orig_list = original.get(name) or []
        patch_list = patch.get(name) or []
        sub, strategies, merge_key = schema.field(name)
        _, strategy = _split_strategies(strategies)
        _check_order(patch_list, order, merge_key)
        if has_orig and not has_patch:
            merged = orig_list
        elif not has_orig and has_patch:
            kept, keep = _remove_directives(patch_list)
            if not keep:
                continue
            merged = kept
        elif has_orig and has_patch:
            if strategy == "merge":
                # Go's merge shares the original list's array: what it deletes and appends shows
                # through in the server order used below (a quirk kept for the same order).
                merged, orig_list = _merge_slice(orig_list, patch_list, sub, merge_key, parallel, ignore_nulls, False)
            else:
                merged = patch_list
        else:
            continue
        maps = bool(merge_key)
        in_order = [v for v in merged if _index(order, v, merge_key, maps) >= 0]
        server_only = [v for v in merged if _index(order, v, merge_key, maps) < 0]
        original[name] = _normalize_element_order(in_order, server_only, order, orig_list, merge_key, maps)
        patch.pop(name, None)


def _check_order(patch_list: list, order: list, merge_key: str) -> None:
    """``validatePatchWithSetOrderList``: the patch's items come in the ``$setElementOrder`` order."""
    if not order or not patch_list:
        return
    items = [v for v in patch_list if not (merge_key and isinstance(v, dict) and v.get(DIRECTIVE) == "delete")]
    i = j = 0
    while i < len(items) and j < len(order):
        if isinstance(items[i], dict) and DIRECTIVE in items[i]:
            i += 1
            continue
        a = items[i].get(merge_key) if merge_key and isinstance(items[i], dict) else items[i]
        b = order[j].get(merge_key) if merge_key and isinstance(order[j], dict) else order[j]
        if a == b:
            i += 1
        j += 1
    if i < len(items) and j >= len(order):
        raise PatchError(f"The order in patch list:\n{patch_list}\n doesn't match {SET_ORDER} list:\n{order}\n")


def _normalize_element_order(patch: list, server_only: list, patch_order: list, server_order: list,
                             merge_key: str, maps: bool) -> list:
    """``normalizeElementOrder``: the patch's items in the patch's order, the server's own items in
    the server's order, merged by their places in the server's order."""
    patch = _normalize_order(patch, patch_order, merge_key, maps)
    server_only = _normalize_order(server_only, server_order, merge_key, maps)
    out: list = []
    i = j = 0
    while i < len(server_only) or j < len(patch):
        if i >= len(server_only):
            out.append(patch[j])
            j += 1
        elif j >= len(patch):
            out.append(server_only[i])
            i += 1
        else:
            li = _index(server_order, server_only[i], merge_key, maps)
            ri = _index(server_order, patch[j], merge_key, maps)
            if li >= 0 and ri >= 0 and li < ri:
                out.append(server_only[i])
                i += 1
            else:
                out.append(patch[j])
                j += 1
    return out


def _merge_slice(original: list, patch: list, schema: Schema, merge_key: str, parallel: bool,
                 ignore_nulls: bool, delete_list: bool) -> tuple[list, list]:
    """``mergeSlice``: the merged list, and what the caller's original list reads afterwards (Go's
    ``append`` after ``deleteMatchingEntries`` writes into the original's array while it has room)."""
    if not original and not patch:
        return original, original
    alias = list(original)  # the caller's view of the array: its length stays len(original)
    length = len(alias)
    aliased = True
    maps = any(isinstance(v, dict) for v in original + patch)
    if not maps:
        if parallel and delete_list:
            return [v for v in original if v not in patch], alias
        merged: list = []
        for v in original + patch:
            if v not in merged:
                merged.append(v)
    else:
        if not merge_key:
            raise PatchError("cannot merge lists without merge key")
        original = list(original)
        plain: list = []
        replace = False
        for item in patch:
            if not isinstance(item, dict):
                raise PatchError("invalid patch")
            if DIRECTIVE not in item:
                plain.append(item)
            elif item[DIRECTIVE] == "delete":
                if merge_key not in item:
                    raise PatchError(f"map: {_go_map(item)} does not contain declared merge key: {merge_key}")
                while (at := next((i for i, o in enumerate(original)
                                   if isinstance(o, dict) and o.get(merge_key) == item[merge_key]), -1)) >= 0:
                    del original[at]
                    if aliased:
                        alias[at:length - 1] = alias[at + 1:length]
                        length -= 1
            elif item[DIRECTIVE] == "replace":
                replace = True
            elif item[DIRECTIVE] == "merge":
                raise PatchError("merging lists cannot yet be specified in the patch")
            else:
                raise PatchError(f"Unknown patch type: {item[DIRECTIVE]} in map: {_go_map(item)}")
        if replace:
            original, plain, aliased = plain, [], False
        patch = plain
        merged = original
        for item in patch:
            if merge_key not in item:
                raise PatchError(f"map: {_go_map(item)} does not contain declared merge key: {merge_key}")
            at = next((i for i, o in enumerate(merged) if isinstance(o, dict) and o.get(merge_key) == item[merge_key]),
                      -1)
            if at >= 0:
                merged[at] = _merge_map(merged[at], item, schema, parallel=parallel, ignore_nulls=ignore_nulls)
            else:
                merged.append(item)
                if aliased and length < len(alias):
                    alias[length] = item
                    length += 1
                else:
                    aliased = False  # Go's append allocated a new array
    key = merge_key if maps else ""
    in_patch = [v for v in merged if _index(patch, v, key, maps) >= 0]
    server_only = [v for v in merged if _index(patch, v, key, maps) < 0]
    return _normalize_element_order(in_patch, server_only, patch, original, key, maps), alias


def _remove_directives(value: Any) -> tuple[Any, bool]:
    if isinstance(value, dict):
        if DIRECTIVE in value:
            return None, False
        out = {}
        for k, v in value.items():
            kept, keep = _remove_directives(v)
            if keep:
                out[k] = kept
        return out, True
    if isinstance(value, list):
        return [kept for kept, keep in map(_remove_directives, value) if keep], True
    return value, True


def _discard_nulls(value: Any) -> None:
    if isinstance(value, dict):
        for k in [k for k, v in value.items() if v is None]:
            del value[k]
        for v in value.values():
            _discard_nulls(v)
    elif isinstance(value, list):
        for v in value:
            _discard_nulls(v)
