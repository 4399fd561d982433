"""kubectl for CustomResourceDefinitions and custom resources.

``kubectl get crd`` prints the server's default table, ``NAME`` and ``CREATED AT`` (the
timestamp as RFC 3339). A custom resource's table is its definition's
``additionalPrinterColumns`` (``apiextensions-apiserver/pkg/registry/customresource/tableconvertor``):
``NAME``, then each column of priority 0 (``-o wide`` adds the others), headed by its name in
capitals. A column's JSONPath is evaluated over the object and only its first result is shown; no
result is ``<none>``; a ``string`` column prints a list or map as JSON (``["a.example.com"]``), a
``date`` column the time since (``5m``).

``kubectl describe`` of a custom resource is kubectl's generic describer (``describe.go``,
``genericDescriber`` and ``printUnstructuredContent``): Name, Namespace, Labels, Annotations,
then every other field in sorted order, its name made a label by ``smartLabelFor``
(``apiVersion`` → ``API Version``), maps indented two spaces a level, lists' items one a line,
then the events.
"""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING, Any

from ..api.crd import CustomResourceDefinition
from ..api.meta import KubeObject
from ..clock import human_duration, parse_timestamp
from .describe import annotation_lines, labels_lines, with_events
from .view import View

if TYPE_CHECKING:
    from ..cluster import Cluster

NONE = "<none>"


def crd_row(cluster: Cluster, obj: CustomResourceDefinition, wide: bool) -> list[str]:
    """A definition's row: its name and when it was created."""
    return [obj.name, obj.metadata.creation_timestamp or ""]


def view_for(cluster: Cluster, kind: str) -> View:
    """The ``kubectl get`` view of a custom kind the cluster serves, from its printer columns."""
    columns = cluster.api.custom[kind].columns
    shown = [c for c in columns if not c.get("priority")]
    extra = [c for c in columns if c.get("priority")]

    def row(cluster: Cluster, obj: KubeObject, wide: bool) -> list[str]:
        body = obj.to_dict()
        return [obj.name, *(cell(cluster, c, body) for c in (shown + extra if wide else shown))]

    return View(kind, ("NAME", *(c["name"].upper() for c in shown)), tuple(c["name"].upper() for c in extra), row,
                describe=describe)


def cell(cluster: Cluster, column: dict[str, Any], body: dict[str, Any]) -> str:
    """One printer column's cell: the first result of its JSONPath, formatted by its type."""
    found = jsonpath(column["jsonPath"], body)
    if not found or found[0] is None:
        return NONE
    value = found[0]
    kind = column.get("type", "string")
    if kind == "date":
        if not isinstance(value, str):
            return NONE
        return human_duration(cluster.now - parse_timestamp(value))
    if isinstance(value, (list, dict)):
        return json.dumps(value, separators=(",", ":"), sort_keys=True)
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


_STEP = re.compile(r"""\.([A-Za-z0-9_-]+)|\[\*\]|\[(\d+)\]|\[\?\(@\.([A-Za-z0-9_.]+)\s*==\s*["']([^"']*)["']\)\]""")


def jsonpath(path: str, body: Any) -> list[Any]:
    """The results of the simple JSONPath a printer column takes (``.a.b``, ``[*]``, ``[0]``,
    ``[?(@.type=="Ready")]``) over ``body``.

    >>> jsonpath('.status.conditions[?(@.type=="Ready")].status', {"status": {"conditions": [
    ...     {"type": "Ready", "status": "True"}]}})
    ['True']
    """
    values = [body]
    pos = 0
    while pos < len(path):
        m = _STEP.match(path, pos)
        if m is None:
            return []
        pos = m.end()
        out: list[Any] = []
        for v in values:
            if m.group(1) is not None:
                if isinstance(v, dict) and m.group(1) in v:
                    out.append(v[m.group(1)])
            elif m.group(0) == "[*]":
                out += v if isinstance(v, list) else list(v.values()) if isinstance(v, dict) else []
            elif m.group(2) is not None:
                i = int(m.group(2))
                if isinstance(v, list) and i < len(v):
                    out.append(v[i])
            elif isinstance(v, list):
                keys = m.group(3).split(".")
                for item in v:
                    target = item
                    for k in keys:
                        target = target.get(k) if isinstance(target, dict) else None
                    if target == m.group(4):
                        out.append(item)
        values = out
    return values


# ------------------------------------------------------------------------------------- describe


def smart_label(name: str) -> str:
    """``smartLabelFor``: a camelCase field name as words (``gatewayClassName`` → ``Gateway Class
    Name``, ``apiVersion`` → ``API Version``); a name with other characters stays as it is.

    >>> smart_label("lastTransitionTime"), smart_label("uid"), smart_label("x-y1")
    ('Last Transition Time', 'UID', 'x-y1')
    """
    if any(not (ch.isalpha() or ch == "-") for ch in name):
        return name
    parts = re.findall(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|-", name)  # fatih/camelcase's split
    words = [p.upper() if p.upper() in ("API", "URL", "UID", "OSB", "GUID") else p[:1].upper() + p[1:]
             for p in parts if p != "_"]
    return " ".join(words)


def _scalar(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "<nil>"
    return str(value)


def _content(content: dict[str, Any], level: int, prefix: str, out: list[str]) -> None:
    skip = {".metadata.managedFields", ".metadata.name", ".metadata.namespace", ".metadata.labels",
            ".metadata.annotations"}
    pad = "  " * level
    for key in sorted(content):
        value = content[key]
        here = f"{prefix}.{key}"
        if here in skip:
            continue
        if isinstance(value, dict):
            out.append(f"{pad}{smart_label(key)}:")
            _content(value, level + 1, here, out)
        elif isinstance(value, list):
            out.append(f"{pad}{smart_label(key)}:")
            for item in value:
                if isinstance(item, dict):
                    _content(item, level + 1, here, out)
                else:
                    out.append(f"{pad}  {_scalar(item)}")
        else:
            out.append(f"{pad}{smart_label(key)}:\t{_scalar(value)}")


def describe(cluster: Cluster, obj: KubeObject) -> str:
    """kubectl's generic describer of an object it has no describer for (a custom resource)."""
    lines = [f"Name:\t{obj.name}", f"Namespace:\t{obj.namespace}",
             *labels_lines("Labels", obj.metadata.labels), *annotation_lines(obj.metadata.annotations)]
    _content(obj.to_dict(), 0, "", lines)
    return with_events(cluster, obj, lines)


VIEWS = (View("CustomResourceDefinition", ("NAME", "CREATED AT"), (), crd_row, describe=describe),)
"""The definitions' view (the custom kinds' views are made per cluster by :func:`view_for`)."""
