"""``kubectl get``'s printers: the table of each kind's columns, and ``-o yaml|json|name``."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from ..api.convert import dump_json, dump_yaml
from ..api.meta import KubeObject
from ..api.registry import CUSTOM, Resource, for_object
from ..clock import human_duration, parse_timestamp
from .tabwriter import TABLE
from .view import View

if TYPE_CHECKING:
    from ..cluster import Cluster


def age(cluster: Cluster, obj: KubeObject) -> str:
    """The AGE column: ``5s``, ``3m20s``, ``4d``."""
    ts = obj.metadata.creation_timestamp
    return human_duration(cluster.now - parse_timestamp(ts)) if ts else "<unknown>"


def format_labels(labels: dict[str, str]) -> str:
    """``labels.FormatLabels``: ``a=b,c=d`` sorted by key, ``<none>`` when empty."""
    return ",".join(f"{k}={v}" for k, v in sorted(labels.items())) or "<none>"


def table(cluster: Cluster, view: View, res: Resource, objs: list[KubeObject], *, wide: bool,
          all_namespaces: bool, show_kind: bool = False, show_labels: bool = False,
          label_columns: list[str] | None = None) -> str:
    """The objects of one kind as ``kubectl get`` prints them; ``label_columns`` (``-L``) adds a
    column per label key, headed by the key's last ``/``-part in capitals (``-L
    topology.kubernetes.io/zone`` prints ``ZONE``), before ``--show-labels``' ``LABELS``."""
    columns = label_columns or []
    heads = list(view.headers) + (list(view.wide) if wide else [])
    rows = []
    for obj in objs:
        r = view.row(cluster, obj, wide)
        if show_kind:
            r[0] = f"{res.type_name}/{r[0]}"
        r += [obj.metadata.labels.get(key, "") for key in columns]
        if show_labels:
            r.append(format_labels(obj.metadata.labels))
        if all_namespaces and res.cls.namespaced:
            r.insert(0, obj.namespace)
        rows.append(r)
    heads += [key.split("/")[-1].upper() for key in columns]
    if show_labels:
        heads.append("LABELS")
    if all_namespaces and res.cls.namespaced:
        heads.insert(0, "NAMESPACE")
    return "\n".join(TABLE.lines([heads, *rows]))


def _body(obj: KubeObject) -> dict[str, Any]:
    """The object as the server sends it: a custom resource is unstructured JSON, whose keys Go
    writes sorted (a built-in kind's in its struct's order)."""
    body = obj.to_dict()
    return json.loads(json.dumps(body, sort_keys=True)) if obj.kind in CUSTOM else body


def _as_list(objs: list[KubeObject]) -> dict[str, Any]:
    return {"apiVersion": "v1", "items": [_body(o) for o in objs], "kind": "List",
            "metadata": {"resourceVersion": ""}}


def output(objs: list[KubeObject], fmt: str, single: bool) -> str:
    """-o yaml | json | name for a list of objects (one object prints bare when asked by name)."""
    if fmt == "name":
        return "\n".join(f"{for_object(o).type_name}/{o.name}" for o in objs)
    data = _body(objs[0]) if single else _as_list(objs)
    return dump_yaml(data).rstrip("\n") if fmt == "yaml" else dump_json(data)
