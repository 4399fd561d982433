"""A CustomResourceDefinition's structural OpenAPI v3 schema at work on custom resources:
defaulting, pruning (unknown fields), validation and the CEL ``x-kubernetes-validations`` rules,
in the API server's words.

What the API server runs, in its order (``apiextensions-apiserver``):

- decoding drops (``Warn``/``Ignore``) or refuses (``Strict``: ``strict decoding error: unknown
  field "spec.foo"``) every field the schema does not declare (``pkg/apiserver/schema/pruning``);
- defaults: every absent property whose schema has ``default`` gets a copy of it, also inside a
  default just set, and a ``null`` where the property is not nullable (``schema/defaulting``);
  run on create, update and read;
- the value validations of kube-openapi (``pkg/validation/validate``), turned into field errors
  by ``apiserver/validation/validation.go`` (``kubeOpenAPIResultToFieldErrors``):
  ``Required value``, ``Unsupported value: "x": supported values: ...``, ``Too long: may not be
  more than 253 bytes``, ``Too many: 17: must have at most 16 items``, ``Invalid value: "string":
  spec.x in body must be of type integer: "string"`` and, for the others, ``Invalid value: <v>:
  <path> in body should be greater than or equal to 1`` (``... should be at least 1 chars long``,
  ``... should match '<pattern>'``, ``... should have at least 1 items``);
- ``x-kubernetes-list-type`` ``set`` and ``map``: ``Duplicate value`` (``schema/listtype``);
- the CEL rules (``schema/cel/validation.go``): a rule that is false is ``<path>: Invalid value:
  "<schema type>": <message>`` (``failed rule: <rule>`` without one), an evaluation error
  ``<error> evaluating rule: <message>``; transition rules (``oldSelf``) only on an update with an
  old value. They are skipped when an earlier error is blocking (``Unsupported``, ``Required``,
  ``Too long``, ``Too many``, a wrong type): then the list ends with ``<nil>: Invalid value:
  "null": some validation rules were not checked because the object was invalid; correct the
  existing errors to complete validation`` (``customresource/strategy.go``, ``hasBlockingErr``).
"""

from __future__ import annotations

import copy
import json
import re
from datetime import datetime
from typing import Any

from ..errors import FieldError
from . import cel

__all__ = ["apply_defaults", "prune", "validate", "NOT_CHECKED"]

Schema = dict[str, Any]

SENT = "_sent_body"
"""The attribute under which :func:`kitlib.manifest.decode` leaves, on a custom resource it
decoded, the body as it was sent (pruned): the API server validates that."""

NOT_CHECKED = FieldError("<nil>", "Invalid value", "null",
                         "some validation rules were not checked because the object was invalid; correct the "
                         "existing errors to complete validation")
"""The note ending a list of errors that kept the CEL rules from running."""
BLOCKING = frozenset({"Unsupported value", "Required value", "Too long", "Too many", "Invalid type"})
ROOT_FIELDS = ("apiVersion", "kind", "metadata")
"""Fields of a custom resource's root that the schema does not govern (ObjectMeta is checked as
the built-in kinds' is)."""


def _child(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


# ------------------------------------------------------------------------------------------ defaults


def apply_defaults(value: Any, schema: Schema) -> None:
    """Set, in place, the schema's ``default`` of every absent (or null, non-nullable) property,
    recursively (``structuraldefaulting.Default``)."""
    if isinstance(value, dict):
        props = schema.get("properties")
        if props:
            for key, prop in props.items():
                if "default" in prop and (key not in value or (value[key] is None and not prop.get("nullable"))):
                    value[key] = copy.deepcopy(prop["default"])
            for key, item in value.items():
                prop = props.get(key)
                if prop is not None:
                    apply_defaults(item, prop)
        extra = schema.get("additionalProperties")
        if isinstance(extra, dict):
            for item in value.values():
                apply_defaults(item, extra)
    elif isinstance(value, list) and "items" in schema:
        for item in value:
            apply_defaults(item, schema["items"])


# ------------------------------------------------------------------------------------------ pruning


def prune(value: Any, schema: Schema, path: str = "", unknown: list[str] | None = None,
          root: bool = False) -> Any:
    """``value`` without the fields ``schema`` does not declare (a copy where something went);
    their paths are appended to ``unknown`` (``structuralpruning.PruneWithOptions``)."""
    if isinstance(value, dict):
        props = schema.get("properties")
        extra = schema.get("additionalProperties")
        if props is None and extra is None:
            return value if schema.get("x-kubernetes-preserve-unknown-fields") or schema.get("type") != "object" \
                else _drop_all(value, path, unknown)
        out: dict[str, Any] = {}
        for key in sorted(value, key=str):  # kubectl sends JSON with sorted keys
            item = value[key]
            if root and key in ROOT_FIELDS:
                out[key] = item
            elif props is not None and key in props:
                out[key] = prune(item, props[key], _child(path, key), unknown)
            elif isinstance(extra, dict):
                out[key] = prune(item, extra, _child(path, key), unknown)
            elif extra is True or schema.get("x-kubernetes-preserve-unknown-fields"):
                out[key] = item
            elif unknown is not None:
                unknown.append(_child(path, key))
        return {k: out[k] for k in value if k in out}
    if isinstance(value, list) and "items" in schema:
        return [prune(item, schema["items"], f"{path}[{i}]", unknown) for i, item in enumerate(value)]
    return value


def _drop_all(value: dict[str, Any], path: str, unknown: list[str] | None) -> dict[str, Any]:
    if unknown is not None:
        unknown += [_child(path, k) for k in sorted(value, key=str)]
    return {}


# ------------------------------------------------------------------------------------------ validation


def validate(value: Any, schema: Schema, old: Any = None, root: bool = True) -> list[FieldError]:
    """Every error of ``value`` (a custom resource as a dict, defaults applied) against its version's
    ``schema``: the value validations, the list types, then, unless one of those is blocking, the
    CEL rules (with ``old``, the stored object, for transition rules)."""
    errors: list[FieldError] = []
    _values(value, schema, "", errors, root)
    _list_types(value, schema, "", errors)
    if any(e.type in BLOCKING or " in body must be of type " in e.detail for e in errors):
        return [*errors, NOT_CHECKED]
    _rules(value, schema, old, "", errors, root)
    return errors


_JSON_TYPES = {"object": dict, "array": list, "string": str, "boolean": bool}


def _type_of(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    return "null"


def _has_type(value: Any, want: str) -> bool:
    if want == "integer":
        return isinstance(value, int) and not isinstance(value, bool) or (
            isinstance(value, float) and value.is_integer())
    if want == "number":
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    return isinstance(value, _JSON_TYPES.get(want, object))


def _go(value: Any) -> str:
    """A number as kube-openapi's messages print it (``%v`` of a float64: ``1``, ``65535``)."""
    return str(int(value)) if isinstance(value, float) and value.is_integer() else str(value)


def _values(value: Any, schema: Schema, path: str, errors: list[FieldError], root: bool = False) -> None:
    """kube-openapi's SchemaValidator over ``value``: the checks of this node, then its children."""
    shown = path or "<nil>"
    if value is None:
        if not schema.get("nullable") and schema.get("type"):
            errors.append(FieldError(shown, "Invalid value", "null",
                                     f'{path} in body must be of type {schema["type"]}: "null"'))
        return
    want = schema.get("type")
    if want and not _has_type(value, want):
        errors.append(FieldError(shown, "Invalid value", _type_of(value),
                                 f'{path} in body must be of type {want}: "{_type_of(value)}"'))
        return
    if "enum" in schema and value not in schema["enum"]:
        errors.append(FieldError(shown, "Unsupported value", value, "supported values: " + ", ".join(
            f'"{v}"' if isinstance(v, str) else json.dumps(v) for v in schema["enum"])))
    if isinstance(value, str):
        _string(value, schema, path, errors)
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        if "minimum" in schema and value < schema["minimum"]:
            errors.append(FieldError(shown, "Invalid value", value,
                                     f"{path} in body should be greater than or equal to {_go(schema['minimum'])}"))
        if "maximum" in schema and value > schema["maximum"]:
            errors.append(FieldError(shown, "Invalid value", value,
                                     f"{path} in body should be less than or equal to {_go(schema['maximum'])}"))
    elif isinstance(value, list):
        if "maxItems" in schema and len(value) > schema["maxItems"]:
            errors.append(FieldError(shown, "Too many", detail=f"{len(value)}: must have at most "
                                                               f"{schema['maxItems']} items"))
        if "minItems" in schema and len(value) < schema["minItems"]:
            errors.append(FieldError(shown, "Invalid value", len(value),
                                     f"{path} in body should have at least {schema['minItems']} items"))
        items = schema.get("items")
        if items:
            for i, item in enumerate(value):
                _values(item, items, f"{path}[{i}]", errors)
    elif isinstance(value, dict):
        for key in schema.get("required", ()):
            if key not in value:
                errors.append(FieldError(_child(path, key), "Required value"))
        if "maxProperties" in schema and len(value) > schema["maxProperties"]:
            errors.append(FieldError(shown, "Too many", detail=f"{len(value)}: must have at most "
                                                               f"{schema['maxProperties']} items"))
        props = schema.get("properties", {})
        extra = schema.get("additionalProperties")
        for key, item in value.items():
            if root and key in ROOT_FIELDS:
                continue
            sub = props.get(key, extra if isinstance(extra, dict) else None)
            if sub is not None:
                _values(item, sub, _child(path, key), errors)


def _string(value: str, schema: Schema, path: str, errors: list[FieldError]) -> None:
    if "maxLength" in schema and len(value) > schema["maxLength"]:
        errors.append(FieldError(path, "Too long", detail=f"may not be more than {schema['maxLength']} bytes",
                                 show_value=False))
    if "minLength" in schema and len(value) < schema["minLength"]:
        errors.append(FieldError(path, "Invalid value", value,
                                 f"{path} in body should be at least {schema['minLength']} chars long"))
    pattern = schema.get("pattern")
    if pattern and cel.regex(pattern).search(value) is None:
        errors.append(FieldError(path, "Invalid value", value, f"{path} in body should match '{pattern}'"))
    if schema.get("format") == "date-time" and not _date_time(value):
        errors.append(FieldError(path, "Invalid value", value, f"{path} in body must be of type date-time: "
                                                               f"{json.dumps(value)}"))


def _date_time(text: str) -> bool:
    try:
        datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return False
    return bool(re.match(r"\d{4}-\d\d-\d\d[Tt ]", text))


def _list_types(value: Any, schema: Schema, path: str, errors: list[FieldError]) -> None:
    """``x-kubernetes-list-type`` ``set`` and ``map``: each repeated item is a ``Duplicate value``
    (the map's key fields as Go prints a map: ``map[string]interface {}{"name":"http"}``)."""
    if isinstance(value, list):
        kind = schema.get("x-kubernetes-list-type")
        items = schema.get("items", {})
        if kind == "set":
            seen: list[Any] = []
            for i, item in enumerate(value):
                if item in seen:
                    errors.append(FieldError(f"{path}[{i}]", "Duplicate value", item))
                seen.append(item)
        elif kind == "map":
            keys = schema.get("x-kubernetes-list-map-keys", [])
            seen_keys: list[tuple[Any, ...]] = []
            for i, item in enumerate(value):
                if not isinstance(item, dict):
                    continue
                k = tuple(item.get(key, _default_of(items, key)) for key in keys)
                if k in seen_keys:
                    shown = ",".join(f'"{key}":{json.dumps(item[key])}' for key in keys if key in item)
                    errors.append(FieldError(f"{path}[{i}]", "Duplicate value",
                                             GoLiteral(f"map[string]interface {{}}{{{shown}}}")))
                seen_keys.append(k)
        for i, item in enumerate(value):
            _list_types(item, items, f"{path}[{i}]", errors)
    elif isinstance(value, dict):
        props = schema.get("properties", {})
        for key, item in value.items():
            if key in props:
                _list_types(item, props[key], _child(path, key), errors)


def _default_of(items: Schema, key: str) -> Any:
    return items.get("properties", {}).get(key, {}).get("default")


class GoLiteral:
    """A value printed as it is, not quoted: Go's ``%#v`` of a map in a ``Duplicate value``."""

    def __init__(self, text: str) -> None:
        self.text = text

    def __str__(self) -> str:
        return self.text

    def __eq__(self, other: object) -> bool:
        return isinstance(other, GoLiteral) and other.text == self.text

    def __hash__(self) -> int:
        return hash(self.text)


def _rules(value: Any, schema: Schema, old: Any, path: str, errors: list[FieldError], root: bool = False) -> None:
    """The CEL rules of this node, then of its children (old values correlated by property, and by
    key in ``map`` lists, as ``schema/cel/validation.go`` does)."""
    if value is None:
        return
    for rule in schema.get("x-kubernetes-validations", ()):
        compiled = cel.compile_rule(rule["rule"])
        if compiled.transition and old is None:
            continue
        message = rule.get("message", "").strip() or f"failed rule: {rule['rule'].strip()}"
        shown = path or "<nil>"
        kind = schema.get("type", "object")
        try:
            ok = compiled(value, old)
        except cel.CelError as exc:
            errors.append(FieldError(shown, "Invalid value", kind, f"{exc} evaluating rule: {message}"))
            continue
        if ok is not True:
            errors.append(FieldError(shown, "Invalid value", kind, message))
    if isinstance(value, dict):
        props = schema.get("properties", {})
        extra = schema.get("additionalProperties")
        for key, item in value.items():
            if root and key in ROOT_FIELDS:
                continue
            sub = props.get(key, extra if isinstance(extra, dict) else None)
            if sub is not None:
                _rules(item, sub, old.get(key) if isinstance(old, dict) else None, _child(path, key), errors)
    elif isinstance(value, list) and "items" in schema:
        keys = schema.get("x-kubernetes-list-map-keys") if schema.get("x-kubernetes-list-type") == "map" else None
        olds = {tuple(o.get(k) for k in keys): o for o in old if isinstance(o, dict)} \
            if keys and isinstance(old, list) else {}
        for i, item in enumerate(value):
            prior = olds.get(tuple(item.get(k) for k in keys)) if keys and isinstance(item, dict) else None
            _rules(item, schema["items"], prior, f"{path}[{i}]", errors)
