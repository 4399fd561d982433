"""Manifests in and out: YAML/JSON text, dicts, lists and files to objects, and objects to YAML."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from .api import fields, schema
from .api.convert import GoTypeError, to_api
from .api.crd import CustomKind
from .api.meta import KubeObject
from .api.registry import CUSTOM, RESOURCES, Resource
from .errors import BadRequest, ServerBadRequest

MAX_BYTES = 3 * 1024 * 1024
"""The API server's request body limit (``Request entity too large: limit is 3145728``)."""
MAX_DEPTH = 100
"""How deep a manifest may nest. go-yaml stops at 10,000; Python's recursion limit needs a lower
bound, and no Kubernetes object nests more than a few dozen levels."""


def named_file(source: object) -> Path | None:
    """The file ``source`` names (a Path, or one line of text ending in .yaml, .yml or .json), or
    None when ``source`` is not a file name; a named file that does not exist is kubectl's error."""
    if not (isinstance(source, Path) or (isinstance(source, str) and "\n" not in source
                                         and source.strip().endswith((".yaml", ".yml", ".json")))):
        return None
    path = Path(source)
    if not path.exists():
        raise BadRequest(f'error: the path "{source}" does not exist')
    return path


def load(source: str | dict | list | Path) -> list[dict[str, Any]]:
    """Every object document in ``source``, with ``List`` kinds unpacked.

    ``source`` is YAML or JSON text (several documents allowed), a path to such a file,
    one object as a dict, or a list of dicts. What kubectl cannot read is a :class:`BadRequest`
    in its words: broken or binary YAML, an alias bomb, nesting too deep, a document that is not an
    object, or ``kind``/``apiVersion``/``items`` of the wrong type.
    """
    path = named_file(source)
    if path is not None:
        try:
            source = path.read_bytes().decode("utf-8")
        except UnicodeDecodeError:
            raise _unparseable("invalid leading UTF-8 octet") from None
    if isinstance(source, str):
        if len(source) > MAX_BYTES or len(source.encode("utf-8", "surrogatepass")) > MAX_BYTES:
            raise BadRequest(f"Request entity too large: limit is {MAX_BYTES}")
        docs = _load_json(source)
        if docs is None:
            docs = _load_yaml(source)
    elif isinstance(source, dict):
        docs = [source]
    elif isinstance(source, list):
        docs = list(source)
    else:
        raise BadRequest(f"error: cannot apply a {type(source).__name__}")
    out: list[dict[str, Any]] = []
    for doc in docs:
        if isinstance(doc, dict):
            _check_depth(doc)
        _check_structure(doc)
        if "metadata" in doc and not isinstance(doc["metadata"], dict):
            if doc["metadata"] is not None:
                decode(doc)  # the server's (or kubectl's) error for it, before anything reads the name
            doc = {k: v for k, v in doc.items() if k != "metadata"}  # null is no metadata, as in Go
        if (doc.get("kind") or "").endswith("List") and "items" in doc:
            items = doc["items"]
            if items is not None and not isinstance(items, list):
                raise BadRequest(_validating("invalid object to validate"))
            out.extend(load(list(items or [])))
        else:
            out.append(doc)
    return out


class _Composer(yaml.SafeLoader):
    """PyYAML's safe loader with go-yaml's limits, checked while the node graph is built:
    an anchor used inside itself, and nesting past :data:`MAX_DEPTH`."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self.open_anchors: set[str] = set()
        self.depth = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        event = self.peek_event()
        if isinstance(event, yaml.AliasEvent) and event.anchor in self.open_anchors:
            raise _unparseable(f"anchor '{event.anchor}' value contains itself")
        if isinstance(event, (yaml.SequenceStartEvent, yaml.MappingStartEvent)):
            if self.depth >= MAX_DEPTH:
                line = event.start_mark.line + 1 if event.start_mark else 0
                raise _unparseable(f"line {line}: exceeded max depth of {MAX_DEPTH}")
        anchor = getattr(event, "anchor", None) if not isinstance(event, yaml.AliasEvent) else None
        if anchor:
            self.open_anchors.add(anchor)
        self.depth += 1
        try:
            return super().compose_node(parent, index)
        finally:
            self.depth -= 1
            if anchor:
                self.open_anchors.discard(anchor)


def _load_json(text: str) -> list[Any] | None:
    """The one object of JSON text, its repeated keys remembered (kubectl sends JSON as it is
    written, so the API server sees them); ``None`` for text that is not one JSON object,
    which is read as YAML."""
    if not text.lstrip().startswith("{"):
        return None
    try:
        return [json.loads(text, object_pairs_hook=fields.json_object)]
    except (ValueError, RecursionError):
        return None


def _load_yaml(text: str) -> list[Any]:
    """The documents of ``text``; go-yaml's errors for what it refuses."""
    try:
        loader = _Composer(text)
    except yaml.reader.ReaderError:
        raise _unparseable("control characters are not allowed") from None
    docs = []
    try:
        while loader.check_node():
            node = loader.get_node()
            if node is None:
                continue
            _check_aliasing(node)
            doc = loader.construct_document(node)
            if doc is not None:
                docs.append(doc)
    except yaml.reader.ReaderError:
        raise _unparseable("control characters are not allowed") from None
    except yaml.YAMLError as exc:
        raise BadRequest(f"error: error parsing manifest: {exc}") from None
    finally:
        loader.dispose()
    return docs


def _check_aliasing(root: yaml.Node) -> None:
    """go-yaml's guard against alias bombs (``allowedAliasRatio`` in its decode.go): decoding counts
    every node as it would be expanded, and fails once more than 100 of them came through aliases
    and they exceed the allowed share (99% up to 400,000 nodes, falling to 10% at 4,000,000)."""
    seen: set[int] = set()
    decoded = aliased = 0
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, in_alias = stack.pop()
        if not in_alias and id(node) in seen:
            in_alias = True  # a second visit is an alias: go-yaml decodes its whole value again
        if not in_alias:
            seen.add(id(node))
        decoded += 1
        aliased += in_alias
        if aliased > 100 and decoded > 1000 and aliased / decoded > _allowed_alias_ratio(decoded):
            raise _unparseable("document contains excessive aliasing")
        if isinstance(node, yaml.SequenceNode):
            stack.extend((child, in_alias) for child in reversed(node.value))
        elif isinstance(node, yaml.MappingNode):
            for key, value in reversed(node.value):
                stack.append((value, in_alias))
                stack.append((key, in_alias))


def _allowed_alias_ratio(decoded: int) -> float:
    low, high = 400_000, 4_000_000
    if decoded <= low:
        return 0.99
    if decoded >= high:
        return 0.10
    return 0.99 - 0.89 * (decoded - low) / (high - low)


def _check_depth(doc: dict[str, Any]) -> None:
    """A dict or list given from Python: no deeper than :data:`MAX_DEPTH`, which also refuses a
    structure that contains itself, and no bigger as JSON than the request limit (every value takes
    at least two bytes), which refuses lists shared so often that they would expand without end."""
    level: list[Any] = [doc]
    values = 0
    for _ in range(MAX_DEPTH):
        below: list[Any] = []
        for value in level:
            values += len(value)
            for v in value.values() if type(value) is dict else value:
                if isinstance(v, (dict, list)):
                    below.append(v)
        if values > MAX_BYTES // 2:
            raise BadRequest(f"Request entity too large: limit is {MAX_BYTES}")
        if not below:
            return
        level = below
    raise _unparseable(f"exceeded max depth of {MAX_DEPTH}")


def _unparseable(detail: str) -> BadRequest:
    return BadRequest(f"error: error parsing manifest: error converting YAML to JSON: yaml: {detail}")


def _validating(detail: str) -> str:
    # kubectl's client-side check, before anything reaches the server.
    return f"error: error validating data: {detail}"


def _check_structure(doc: Any) -> None:
    """kubectl's own checks of a document's shape (``ValidateSchema``): an object, with string
    ``apiVersion`` and ``kind``."""
    if not isinstance(doc, dict):
        raise BadRequest(_validating("invalid object to validate"))
    for key in ("apiVersion", "kind"):
        if key in doc and doc[key] is not None and not isinstance(doc[key], str):
            raise BadRequest(_validating(f"{key} isn't string type"))


def mapping(doc: dict[str, Any], served: Mapping[str, CustomKind] | None = None, source: str = "") -> Resource:
    """The resource ``doc`` is of, as kubectl maps it before sending anything: its errors for a
    document of the wrong shape, a missing ``kind`` or ``apiVersion``, or a kind the cluster does
    not serve (``resource mapping not found``, naming the ``source``: ``STDIN`` or the file).
    ``served`` is the cluster's custom kinds: a kind of :data:`kitlib.api.registry.CUSTOM` not in
    it is not served (without it, such kinds are not checked here; the API server refuses them)."""
    _check_structure(doc)
    _check_depth(doc)  # a dict given from Python may not have come through load
    kind = doc.get("kind")
    version = doc.get("apiVersion")
    if not kind:
        raise BadRequest("error: error validating data: kind not set")
    if not version:
        raise BadRequest("error: error validating data: apiVersion not set")
    res = RESOURCES.get(kind)
    if res is None or res.cls.api_version != version or (served is not None and kind in CUSTOM
                                                         and kind not in served):
        meta = doc.get("metadata")
        meta = meta if isinstance(meta, dict) else {}
        raise BadRequest(f'error: resource mapping not found for name: "{meta.get("name") or ""}" '
                         f'namespace: "{meta.get("namespace") or ""}" from "{source}": no matches for kind '
                         f'"{kind}" in version "{version}"\nensure CRDs are installed first')
    return res


def decode(doc: dict[str, Any], validation: str = "Strict", warnings: list[str] | None = None,
           served: Mapping[str, CustomKind] | None = None) -> KubeObject:
    """The kitlib object for one API document; kubectl's errors for a missing or unknown kind, and
    the API server's decoding errors: a field of the wrong type, then, under the ``Strict``
    field ``validation`` (kubectl's default), unknown and duplicate fields. Under ``Warn`` those
    are appended to ``warnings`` and dropped, under ``Ignore`` dropped. A custom resource's fields
    are those of its definition's schema (``served``: the cluster's custom kinds), pruned as
    ``apiextensions-apiserver`` prunes them."""
    res = mapping(doc, served)
    kind, version = res.kind, res.cls.api_version
    undecodable = f'{kind} in version "{version.split("/")[-1]}" cannot be handled as a {kind}: '
    try:
        obj = res.cls.from_dict(doc)
    except GoTypeError as exc:
        raise ServerBadRequest(undecodable + str(exc)) from None
    custom = served.get(kind) if served is not None else None
    if custom is not None:
        unknown: list[str] = []
        meta = doc.get("metadata")
        found = fields.metadata_problems(meta) if isinstance(meta, dict) else []
        pruned = schema.prune(doc, custom.schema, unknown=unknown, root=True)
        found = sorted(found + [f'unknown field "{path}"' for path in unknown], key=lambda t: t.split('"')[1])
        if found:
            if validation == "Strict":
                raise ServerBadRequest(undecodable + "strict decoding error: " + ", ".join(found))
            if validation == "Warn" and warnings is not None:
                warnings.extend(found)
            if isinstance(meta, dict):
                pruned["metadata"] = fields.drop_unknown_metadata(meta)
            obj = res.cls.from_dict(pruned)
        # The schema validates what was sent, not the dataclass's rendering of it (which writes
        # an absent string field as "").
        setattr(obj, schema.SENT, pruned)
        return obj
    found = fields.problems(doc) if fields.known(version, kind) else []
    if not found:
        return obj
    if validation == "Strict":
        raise ServerBadRequest(undecodable + "strict decoding error: " + ", ".join(found))
    if validation == "Warn" and warnings is not None:
        warnings.extend(found)
    return res.cls.from_dict(fields.drop_unknown(doc))


def to_plain(value: Any) -> Any:
    """A dataclass (or anything nested) as plain dicts and lists, for comparison."""
    if (dataclasses.is_dataclass(value) and not isinstance(value, type)) or isinstance(value, (list, dict)):
        return json.loads(json.dumps(to_api(value)))
    return value
