"""Which fields each kind has, as the Kubernetes OpenAPI schema says, and the API server's strict
field validation (``fieldValidation=Strict|Warn|Ignore``) of a manifest against them.

kubectl asks for strict validation by default (``--validate=strict``): the server decodes the
request and answers ``strict decoding error: unknown field "spec.replicaz"`` (a 400) for every
field the kind does not have, and, in a JSON body, ``duplicate field "metadata.name"`` for a key
given twice. ``Warn`` returns the same texts as warnings and drops the fields; ``Ignore`` drops
them silently. kubectl turns YAML into JSON before it sends it (``sigs.k8s.io/yaml``, which keeps
the last of duplicate keys and writes keys in sorted order), so duplicates in YAML never reach
the server, and the problems are reported in sorted key order. JSON text is sent as it is.

The field tree is generated from the real schemas (``python -m kitlib.api.fields_generate``).
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterable
from importlib import resources
from typing import Any

KUBERNETES_VERSION = "v1.37.0"
"""The Kubernetes release whose schemas the field tree comes from."""
TREE_FILE = "fields-v1.37.json"
PATCH_FILE = "patch-v1.37.json"
"""Each definition's patch metadata (:mod:`kitlib.api.patchmeta`)."""

VALIDATION = {"strict": "Strict", "true": "Strict", "warn": "Warn", "ignore": "Ignore", "false": "Ignore"}
"""kubectl's ``--validate`` values and the ``fieldValidation`` each sends (``strconv.ParseBool``
spellings of true and false included, see :func:`directive`)."""


class JsonObject(dict[str, Any]):
    """A JSON object as the API server decodes it: the last value of a repeated key wins, and
    :attr:`pairs` keeps every pair in document order when a key was repeated."""

    pairs: list[tuple[str, Any]] | None = None


def json_object(pairs: list[tuple[str, Any]]) -> JsonObject:
    """``object_pairs_hook`` for :func:`json.loads` that remembers repeated keys."""
    obj = JsonObject(pairs)
    if len(obj) != len(pairs):
        obj.pairs = pairs
    return obj


def directive(value: str | bool | None) -> str:
    """The ``fieldValidation`` for kubectl's ``--validate`` value (``GetValidationDirective``):
    ``Strict`` by default; a value kubectl refuses is a ``ValueError`` with its message."""
    if value is None or value is True:
        return "Strict"
    if value is False:
        return "Ignore"
    word = {"1": "true", "t": "true", "T": "true", "TRUE": "true", "True": "true",
            "0": "false", "f": "false", "F": "false", "FALSE": "false", "False": "false"}.get(value, value)
    if word not in VALIDATION:
        raise ValueError(f'invalid - validate option "{value}"; must be one of: strict (or true), '
                         "warn, ignore (or false)")
    return VALIDATION[word]


@functools.cache
def _tree() -> dict[str, Any]:
    return json.loads(resources.files(__package__).joinpath(TREE_FILE).read_text())


def known(api_version: str, kind: str) -> bool:
    """Whether the field tree has ``kind``."""
    return f"{api_version}/{kind}" in _tree()["kinds"]


def problems(doc: dict[str, Any]) -> list[str]:
    """Every unknown and duplicate field of ``doc`` (an object with ``apiVersion`` and ``kind``),
    in the API server's words and in the order its decoder meets them.

    >>> problems({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "a", "labelz": {}},
    ...           "dta": {"k": "v"}})
    ['unknown field "dta"', 'unknown field "metadata.labelz"']
    """
    out: list[str] = []
    _walk(doc, _tree()["kinds"][f"{doc['apiVersion']}/{doc['kind']}"], "", out, None)
    return out


def drop_unknown(doc: dict[str, Any]) -> dict[str, Any]:
    """``doc`` without its unknown fields, as the API server stores it under ``Warn`` and
    ``Ignore`` (a copy where something was dropped)."""
    result = _walk(doc, _tree()["kinds"][f"{doc['apiVersion']}/{doc['kind']}"], "", [], prune=True)
    return result if isinstance(result, dict) else doc


def _walk(value: Any, node: Any, path: str, out: list[str], prune: bool | None = False) -> Any:
    """Check ``value`` against ``node``; with ``prune``, return it without its unknown fields."""
    if node == 0 or value is None:
        return value
    if isinstance(node, str):
        fields = _tree()["definitions"][node]
        if fields == 0 or not isinstance(value, dict):
            return value  # a leaf, or a wrong type, which the typed decoding reports
        return _object(value, fields, path, out, prune)
    shape, inner = node
    if shape == "list":
        if not isinstance(value, list):
            return value
        items = [_walk(v, inner, f"{path}[{i}]", out, prune) for i, v in enumerate(value)]
        return items if prune else value
    if not isinstance(value, dict):
        return value
    if isinstance(value, JsonObject) and value.pairs and not prune:
        # A map's repeated key is named like a field (``data.k``); in the tree every map holds
        # scalars, so there is nothing below to check.
        seen: set[str] = set()
        for key, _ in value.pairs:
            if key in seen:
                out.append(f'duplicate field "{path}.{key}"')
            seen.add(key)
    return value


def _object(value: dict[str, Any], fields: dict[str, Any], path: str, out: list[str],
            prune: bool | None) -> dict[str, Any]:
    prefix = f"{path}." if path else ""
    pairs: Iterable[tuple[str, Any]]
    if isinstance(value, JsonObject):
        pairs = value.pairs or value.items()  # JSON text: the order it was written in
    else:
        pairs = sorted(value.items(), key=lambda kv: str(kv[0]))  # what kubectl's YAML-to-JSON sends
    seen: set[str] = set()
    kept: dict[str, Any] = {}
    for key, item in pairs:
        key = str(key)
        if key not in fields:
            if key not in seen and not prune:
                out.append(f'unknown field "{prefix}{key}"')
        else:
            if key in seen and not prune:
                out.append(f'duplicate field "{prefix}{key}"')
            kept[key] = _walk(item, fields[key], prefix + key, out, prune)
        seen.add(key)
    return kept if prune else value


OBJECT_META = "apimachinery.pkg.apis.meta.v1.ObjectMeta"


def metadata_problems(meta: dict[str, Any]) -> list[str]:
    """The unknown and duplicate fields of an object's ``metadata`` (a custom resource's: its
    schema leaves ObjectMeta to the API server's own type)."""
    out: list[str] = []
    _walk(meta, OBJECT_META, "metadata", out, None)
    return out


def drop_unknown_metadata(meta: dict[str, Any]) -> dict[str, Any]:
    """``meta`` without its unknown fields."""
    result = _walk(meta, OBJECT_META, "metadata", [], prune=True)
    return result if isinstance(result, dict) else meta
