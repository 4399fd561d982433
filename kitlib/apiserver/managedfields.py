"""Field ownership (``metadata.managedFields``) and server-side apply, as the API server's field
manager keeps them (apimachinery ``pkg/util/managedfields``, structured-merge-diff).

Each manager owns a set of fields, one entry per (manager, operation[, apiVersion]): ``Apply``
entries from server-side apply (``kubectl apply --server-side``, manager ``kubectl`` by default),
``Update`` entries from other writes. kitlib records them for the writes that matter to apply:
client-side ``kubectl apply`` (manager ``kubectl-client-side-apply``, ``Update``), server-side
apply, and the :class:`~kitlib.Cluster` verbs kubectl's commands use: ``create`` (``kubectl-create``),
``patch`` (``kubectl-patch``), ``label`` (``kubectl-label``) and ``scale`` (``kubectl``, the
User-Agent's name, as kubectl scale sets no field manager, on subresource ``scale``). The
controllers' and the kubelet's writes are not recorded. They are
kept by the API server beside the objects (:attr:`ApiServer.managed`, by UID), so ``kubectl get -o
yaml`` shows none, as kubectl hides them by default; :func:`entries` renders them as the API does
(``fieldsType: FieldsV1``, ``fieldsV1``).

A field path is a tuple of steps: a field name, or for a list item ``("k", keys)`` (a ``map``
list, by its ``list-map-keys``), ``("v", value)`` (a ``set``); an atomic list or map is one leaf.
An apply conflicts with another manager that owns a field it sets to a different value; with
``--force-conflicts`` the field changes owner. Fields the applier owned before and no longer
applies are removed, unless another manager owns them too.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from ..api.strategicpatch import Schema

Path = tuple[Any, ...]
"""A field's path: field names and list-item steps."""
UNTRACKED = {("apiVersion",), ("kind",), ("metadata", "name"), ("metadata", "namespace"), ("metadata", "uid"),
             ("metadata", "resourceVersion"), ("metadata", "generation"), ("metadata", "creationTimestamp"),
             ("metadata", "managedFields"), ("metadata", "deletionTimestamp"),
             ("metadata", "deletionGracePeriodSeconds"), ("metadata", "selfLink")}
"""Fields no manager owns (the field manager strips them before it compares)."""


@dataclass
class Entry:
    """One ``managedFields`` entry."""

    manager: str
    operation: str
    api_version: str
    time: str
    fields: set[Path] = field(default_factory=set)
    subresource: str = ""

    def identifier(self) -> str:
        """How a conflict names the manager (``printManager`` over ``BuildManagerIdentifier``:
        an Update's apiVersion, no time)."""
        name = json.dumps(self.manager)
        if self.subresource:
            name += f" with subresource {json.dumps(self.subresource)}"
        return f"{name} using {self.api_version}" if self.operation == "Update" else name


def field_set(doc: dict[str, Any], schema: Schema, *, status: bool = False) -> set[Path]:
    """Every leaf field ``doc`` sets (``status`` left out unless asked for), as paths."""
    out: set[Path] = set()
    _walk(doc, schema, (), out)
    return {p for p in out if p[:2] not in UNTRACKED and p[:1] not in UNTRACKED
            and (status or p[:1] != ("status",))}


def _walk(value: Any, schema: Schema, path: Path, out: set[Path]) -> None:
    if not isinstance(value, dict) or not value:
        out.add(path)
        return
    for key, item in value.items():
        here = (*path, key)
        sub, _, _ = schema.field(key)
        if isinstance(item, list):
            list_type, keys = schema.list_type(key)
            if list_type == "map" and keys and all(isinstance(i, dict) for i in item):
                for element in item:
                    ident = json.dumps({k: element.get(k) for k in keys if k in element}, sort_keys=True,
                                       separators=(",", ":"))
                    _walk(element, sub, (*here, ("k", ident)), out)
            elif list_type == "set":
                for element in item:
                    out.add((*here, ("v", json.dumps(element, separators=(",", ":")))))
            else:
                out.add(here)
        elif isinstance(item, dict) and item and schema.map_type(key) != "atomic" and \
                (sub.definition is not None or schema.definition is None or _is_map(schema, key)):
            _walk(item, sub, here, out)
        else:
            out.add(here)


def _is_map(schema: Schema, key: str) -> bool:
    """A map of strings (labels, selector's matchLabels): each key a field of its own."""
    return schema.map_type(key) != "atomic"


def value_at(doc: Any, path: Path) -> Any:
    """The value ``path`` names in ``doc`` (``_MISSING`` when absent)."""
    node = doc
    for step in path:
        if isinstance(step, tuple):
            if not isinstance(node, list):
                return _MISSING
            node = _find(node, step)
            if node is _MISSING:
                return _MISSING
        elif isinstance(node, dict) and step in node:
            node = node[step]
        else:
            return _MISSING
    return node


_MISSING = object()


def _find(items: list, step: tuple[str, str]) -> Any:
    kind, ident = step
    wanted = json.loads(ident)
    for item in items:
        if kind == "k" and isinstance(item, dict) and all(item.get(k) == v for k, v in wanted.items()):
            return item
        if kind == "v" and item == wanted:
            return item
    return _MISSING


def remove(doc: dict[str, Any], path: Path) -> None:
    """Delete the field ``path`` names from ``doc`` (a list item as a whole)."""
    node: Any = doc
    for step in path[:-1]:
        node = _find(node, step) if isinstance(step, tuple) else (node.get(step, _MISSING)
                                                                   if isinstance(node, dict) else _MISSING)
        if node is _MISSING:
            return
    last = path[-1]
    if isinstance(last, tuple) and isinstance(node, list):
        item = _find(node, last)
        if item is not _MISSING:
            node.remove(item)
    elif isinstance(node, dict):
        node.pop(last, None)


def render(step: Any) -> str:
    """A path step as ``fieldpath.Path`` prints it: ``.name``, ``[name="web"]``, ``[="x"]``."""
    if isinstance(step, tuple):
        kind, ident = step
        if kind == "v":
            return f"[={ident}]"
        return "[" + ",".join(f"{k}={json.dumps(v)}" for k, v in json.loads(ident).items()) + "]"
    return f".{step}"


def path_text(path: Path) -> str:
    """``.spec.template.spec.containers[name="web"].image``."""
    return "".join(render(s) for s in path)


def fields_v1(paths: set[Path]) -> dict[str, Any]:
    """The ``fieldsV1`` tree of a set of leaf paths: ``f:<name>``, ``k:<keys>``, ``v:<value>``, and
    ``.: {}`` where an item or a map is itself owned beside its members."""
    tree: dict[str, Any] = {}
    for path in sorted(paths, key=lambda p: json.dumps(p, default=str)):
        node = tree
        for i, step in enumerate(path):
            key = f"{step[0]}:{step[1]}" if isinstance(step, tuple) else f"f:{step}"
            child = node.setdefault(key, {})
            if isinstance(step, tuple) and i < len(path) - 1:
                child.setdefault(".", {})
            node = child
    return tree


def entries(managed: list[Entry]) -> list[dict[str, Any]]:
    """The entries as ``metadata.managedFields`` lists them."""
    out = []
    for e in managed:
        item: dict[str, Any] = {"apiVersion": e.api_version, "fieldsType": "FieldsV1",
                                "fieldsV1": fields_v1(e.fields), "manager": e.manager, "operation": e.operation}
        if e.subresource:
            item["subresource"] = e.subresource
        item["time"] = e.time
        out.append(item)
    return out


def record_update(managed: list[Entry], manager: str, api_version: str, time: str, before: dict[str, Any] | None,
                  after: dict[str, Any], schema: Schema, subresource: str = "") -> None:
    """An ``Update`` by ``manager``: it owns every field it set or changed (all of them on a
    create), taken from whoever owned them; Updates never conflict."""
    now = field_set(after, schema)
    changed = now if before is None else {p for p in now if value_at(before, p) != value_at(after, p)}
    def own(e: Entry) -> bool:
        return e.manager == manager and e.operation == "Update" and e.subresource == subresource

    for e in managed:
        if not own(e):
            e.fields -= changed
    mine = next((e for e in managed if own(e)), None)
    if not changed and mine is None:
        return  # an Update that changed nothing adds no entry
    if mine is None:
        mine = Entry(manager, "Update", api_version, time, subresource=subresource)
        managed.append(mine)
    mine.fields = {p for p in mine.fields | changed if value_at(after, p) is not _MISSING}
    mine.time = time
    managed[:] = [e for e in managed if e.fields]


def conflicts(managed: list[Entry], manager: str, applied: set[Path], doc: dict[str, Any],
              live: dict[str, Any]) -> list[tuple[Entry, Path]]:
    """The fields other managers own that the apply sets to another value."""
    out = []
    for e in managed:
        if e.manager == manager and e.operation == "Apply":
            continue
        for p in sorted(e.fields & applied, key=path_text):
            if value_at(doc, p) != value_at(live, p):
                out.append((e, p))
    return out


def conflict_message(found: list[tuple[Entry, Path]]) -> str:
    """``getConflictMessage`` of apimachinery's field manager."""
    if len(found) == 1:
        e, p = found[0]
        return f"Apply failed with 1 conflict: conflict with {e.identifier()}: {path_text(p)}"
    by: dict[str, list[str]] = {}
    for e, p in found:
        by.setdefault(e.identifier(), []).append(path_text(p))
    lines = []
    for name in sorted(by):
        lines.append(f"conflicts with {name}:")
        lines += [f"- {p}" for p in by[name]]
    return f"Apply failed with {len(found)} conflicts: " + "\n".join(lines)
