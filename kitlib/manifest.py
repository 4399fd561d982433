"""Manifests in and out: YAML/JSON text, dicts, lists and files to objects, and objects to YAML."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import yaml

from .api.convert import to_api
from .api.meta import KubeObject
from .api.registry import RESOURCES
from .errors import BadRequest


def load(source: str | dict | list | Path) -> list[dict[str, Any]]:
    """Every object document in ``source``, with ``List`` kinds unpacked.

    ``source`` is YAML or JSON text (several documents allowed), a path to such a file,
    one object as a dict, or a list of dicts.
    """
    if isinstance(source, Path) or (isinstance(source, str) and "\n" not in source
                                    and source.strip().endswith((".yaml", ".yml", ".json"))):
        path = Path(source)
        if not path.exists():
            raise BadRequest(f'error: the path "{source}" does not exist')
        source = path.read_text()
    if isinstance(source, str):
        try:
            docs = [d for d in yaml.safe_load_all(source) if d is not None]
        except yaml.YAMLError as exc:
            raise BadRequest(f"error: error parsing manifest: {exc}") from None
    elif isinstance(source, dict):
        docs = [source]
    elif isinstance(source, list):
        docs = list(source)
    else:
        raise BadRequest(f"error: cannot apply a {type(source).__name__}")
    out: list[dict[str, Any]] = []
    for doc in docs:
        if not isinstance(doc, dict):
            raise BadRequest("error: error validating data: the manifest is not an object")
        if doc.get("kind", "").endswith("List") and "items" in doc:
            out.extend(load(list(doc["items"] or [])))
        else:
            out.append(doc)
    return out


def decode(doc: dict[str, Any]) -> KubeObject:
    """The kitlib object for one API document; kubectl's errors for a missing or unknown kind."""
    kind = doc.get("kind")
    version = doc.get("apiVersion")
    if not kind:
        raise BadRequest("error: error validating data: kind not set")
    if not version:
        raise BadRequest("error: error validating data: apiVersion not set")
    res = RESOURCES.get(kind)
    if res is None or res.cls.api_version != version:
        raise BadRequest(f'error: resource mapping not found for name: "{doc.get("metadata", {}).get("name", "")}" '
                         f'namespace: "{doc.get("metadata", {}).get("namespace", "")}" from "": no matches for kind '
                         f'"{kind}" in version "{version}"\nensure CRDs are installed first')
    try:
        return res.cls.from_dict(doc)
    except TypeError as exc:
        raise BadRequest(f"error: {kind} in version \"{version.split('/')[-1]}\" cannot be handled as a "
                         f"{kind}: {exc}") from None


def to_plain(value: Any) -> Any:
    """A dataclass (or anything nested) as plain dicts and lists, for comparison."""
    if (dataclasses.is_dataclass(value) and not isinstance(value, type)) or isinstance(value, (list, dict)):
        return json.loads(json.dumps(to_api(value)))
    return value
