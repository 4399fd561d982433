"""Regenerate ``fields-<version>.json``, the field tree :mod:`kitlib.api.fields` checks manifests
against, and ``patch-<version>.json``, the patch metadata of its fields (merge keys, list types), from the Kubernetes OpenAPI schemas that the PyPI package ``kubernetes-validate`` ships
(a test dependency; kitlib never imports it at run time)::

    python -m kitlib.api.fields_generate            # writes kitlib/api/fields-v1.37.json

Only the definitions reachable from the kinds kitlib serves are kept, each as ``{field: node}``
where a node is ``0`` (a scalar, or an object the schema leaves open, such as ``fieldsV1``),
the name of another definition, ``["list", node]`` or ``["map", node]``. ``tests/test_fields.py``
checks that the committed file is what this prints.
"""

from __future__ import annotations

import json
import sys
from importlib import resources
from pathlib import Path
from typing import Any

from .fields import KUBERNETES_VERSION, PATCH_FILE, TREE_FILE

PREFIX = "#/$defs/io.k8s."


def kinds() -> list[tuple[str, str]]:
    """The (apiVersion, kind) pairs kitlib serves that Kubernetes itself defines (custom resources,
    such as the Gateway API's, are checked against their CRDs' schemas instead)."""
    from .registry import CUSTOM, RESOURCES  # the registry imports every kind: only needed here
    return sorted((res.cls.api_version, kind) for kind, res in RESOURCES.items() if kind not in CUSTOM)


def _definitions(version: str) -> dict[str, Any]:
    root = resources.files("kubernetes_validate") / "kubernetes-json-schema" / f"{version}-local-strict"
    return json.loads((root / "_definitions.json").read_text())["$defs"]


def _node(schema: dict[str, Any], wanted: list[str]) -> Any:
    ref = schema.get("$ref")
    if ref:
        name = ref.removeprefix(PREFIX)
        wanted.append(name)
        return name
    types = schema.get("type") or []
    if "array" in types:
        return ["list", _node(schema.get("items") or {}, wanted)]
    if "object" in types and isinstance(schema.get("additionalProperties"), dict):
        return ["map", _node(schema["additionalProperties"], wanted)]
    if "properties" in schema:
        raise ValueError("an inline object with properties: give it a definition")
    return 0


def generate(version: str = KUBERNETES_VERSION) -> dict[str, Any]:
    """The field tree of ``version`` (``v1.37.0``) for :func:`kinds`."""
    defs = _definitions(version)
    by_gvk = {}
    for name, schema in defs.items():
        for gvk in schema.get("x-kubernetes-group-version-kind") or []:
            api_version = f"{gvk['group']}/{gvk['version']}" if gvk["group"] else gvk["version"]
            by_gvk[(api_version, gvk["kind"])] = name.removeprefix("io.k8s.")
    tree: dict[str, Any] = {"version": version, "kinds": {}, "definitions": {}}
    wanted = []
    for api_version, kind in kinds():
        name = by_gvk[(api_version, kind)]
        tree["kinds"][f"{api_version}/{kind}"] = name
        wanted.append(name)
    while wanted:
        name = wanted.pop()
        if name in tree["definitions"]:
            continue
        props = defs["io.k8s." + name].get("properties")
        # A definition with no properties (Quantity, Time, IntOrString, FieldsV1) is a leaf:
        # the schema does not say which keys it has.
        tree["definitions"][name] = {key: _node(sub, wanted) for key, sub in sorted(props.items())} \
            if props else 0
    tree["definitions"] = dict(sorted(tree["definitions"].items()))
    tree["kinds"] = dict(sorted(tree["kinds"].items()))
    return tree


def dumps(tree: dict[str, Any]) -> str:
    """The file's text: one definition a line, so that a diff shows what changed."""
    lines = ["{", f'"version": {json.dumps(tree["version"])},', f'"kinds": {json.dumps(tree["kinds"])},',
             '"definitions": {']
    items = list(tree["definitions"].items())
    for i, (name, fields) in enumerate(items):
        comma = "," if i < len(items) - 1 else ""
        lines.append(f"{json.dumps(name)}: {json.dumps(fields, separators=(',', ':'))}{comma}")
    lines += ["}", "}", ""]
    return "\n".join(lines)


PATCH_KEYS = ("x-kubernetes-patch-strategy", "x-kubernetes-patch-merge-key", "x-kubernetes-list-type",
              "x-kubernetes-list-map-keys", "x-kubernetes-map-type")
"""The schema extensions strategic merge patch and server-side apply read (the Go types' struct tags
``patchStrategy``, ``patchMergeKey`` and the ``+listType``, ``+listMapKey``, ``+mapType`` markers)."""


def patch_meta(version: str = KUBERNETES_VERSION) -> dict[str, Any]:
    """For each definition of the field tree, its fields that carry :data:`PATCH_KEYS`, with them
    (without the ``x-kubernetes-`` prefix); ``"."`` for the definition's own ``map-type``."""
    defs = _definitions(version)
    out: dict[str, Any] = {}
    for name in generate(version)["definitions"]:
        props = defs["io.k8s." + name].get("properties") or {}
        fields: dict[str, Any] = {}
        if "x-kubernetes-map-type" in defs["io.k8s." + name]:
            # The struct itself is atomic (a LabelSelector): ``"."`` holds the definition's own type.
            fields["."] = {"map-type": defs["io.k8s." + name]["x-kubernetes-map-type"]}
        for key, sub in sorted(props.items()):
            meta = {k.removeprefix("x-kubernetes-"): sub[k] for k in PATCH_KEYS if k in sub}
            if meta:
                fields[key] = meta
        if fields:
            out[name] = fields
    return {"version": version, "definitions": out}


def dumps_patch(meta: dict[str, Any]) -> str:
    """The patch metadata file's text: one definition a line."""
    lines = ["{", f'"version": {json.dumps(meta["version"])},', '"definitions": {']
    items = list(meta["definitions"].items())
    for i, (name, fields) in enumerate(items):
        comma = "," if i < len(items) - 1 else ""
        lines.append(f"{json.dumps(name)}: {json.dumps(fields, separators=(',', ':'))}{comma}")
    lines += ["}", "}", ""]
    return "\n".join(lines)


def main() -> int:
    """Write the field tree and the patch metadata next to this module."""
    path = Path(__file__).with_name(TREE_FILE)
    path.write_text(dumps(generate()))
    print(f"wrote {path}", file=sys.stderr)
    patch = Path(__file__).with_name(PATCH_FILE)
    patch.write_text(dumps_patch(patch_meta()))
    print(f"wrote {patch}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
