"""Conversion between kitlib's dataclasses and the API's JSON shape, and that shape as the YAML
and JSON text kubectl prints.

Dataclass attributes are snake_case (``target_port``); the API spelling (``targetPort``)
is derived, or given with :func:`api_field` where Kubernetes spells it otherwise
(``podIP``, ``podCIDR``). Fields the model does not know are kept in ``extra`` so that a
manifest round-trips unchanged: kitlib models the networking fields, not all of them.
"""

from __future__ import annotations

import copy
import dataclasses
import decimal
import functools
import json
import types
import typing
from collections.abc import Callable
from typing import Any, TypeVar, Union

import yaml

T = TypeVar("T")


def api_field(json: str | None = None, *, default: Any = None, factory: Any = None,
              keep_empty: bool = False) -> Any:
    """A dataclass field with its API name, e.g. ``pod_ip: str | None = api_field("podIP")``.

    ``keep_empty`` exports an empty list or map instead of leaving it out (``containers: []``).
    """
    meta = {"json": json, "keep_empty": keep_empty}
    if factory is not None:
        return dataclasses.field(default_factory=factory, metadata=meta)
    return dataclasses.field(default=default, metadata=meta)


def extra_field() -> Any:
    """The catch-all for API fields that kitlib does not model."""
    return dataclasses.field(default_factory=dict, repr=False, compare=True, metadata={"extra": True})


def camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(p[:1].upper() + p[1:] for p in rest)


@functools.cache
def _plan(cls: type) -> tuple[list[tuple[str, str, Any, bool]], str | None]:
    hints = typing.get_type_hints(cls)
    plan, extra = [], None
    for f in dataclasses.fields(cls):
        if f.metadata.get("extra"):
            extra = f.name
            continue
        plan.append((f.name, f.metadata.get("json") or camel(f.name), hints[f.name],
                     bool(f.metadata.get("keep_empty"))))
    return plan, extra


def to_api(obj: Any) -> Any:
    """The API dict of a kitlib object (``None`` and empty fields left out, as ``omitempty``)."""
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        plan, extra = _plan(type(obj))
        out: dict[str, Any] = {}
        for name, json_name, _, keep_empty in plan:
            value = getattr(obj, name)
            if value is None:
                continue
            if isinstance(value, (list, dict)) and not value and not keep_empty:
                continue
            out[json_name] = to_api(value)
        if extra:
            for key, value in getattr(obj, extra).items():
                out.setdefault(key, value)
        return out
    if isinstance(obj, list):
        return [to_api(v) for v in obj]
    if isinstance(obj, dict):
        return {k: to_api(v) for k, v in obj.items()}
    return obj


_ATOMIC = frozenset({str, int, float, bool, type(None)})


def clone(value: T) -> T:
    """A deep copy of a kitlib object, as ``copy.deepcopy`` makes it but several times faster:
    dataclasses, lists and dicts are copied, scalars shared, anything else goes to ``deepcopy``."""
    cls = type(value)
    if cls in _ATOMIC:
        return value
    if cls is list:
        return [v if type(v) in _ATOMIC else clone(v) for v in value]  # type: ignore[return-value, attr-defined]  # mypy does not narrow T by `type(value) is list`
    if cls is dict:
        return {k: v if type(v) in _ATOMIC else clone(v) for k, v in value.items()}  # type: ignore[attr-defined, return-value]  # as above, for dict
    plain = _PLAIN_DATACLASS.get(cls)
    if plain is None:
        plain = _PLAIN_DATACLASS[cls] = _is_plain_dataclass(cls)
    if plain:
        attrs = value.__dict__
        fields = _FIELDS.get(cls)
        if fields is None:
            fields = _FIELDS[cls] = _field_copier(cls)
        if attrs.keys() == fields[0]:
            return fields[1](value, attrs)
        new = cls.__new__(cls)
        new.__dict__.update({k: v if type(v) in _ATOMIC else clone(v) for k, v in attrs.items()})
        return new
    return copy.deepcopy(value)


_PLAIN_DATACLASS: dict[type, bool] = {}
_FIELDS: dict[type, tuple[frozenset[str], Callable[[Any, dict[str, Any]], Any]]] = {}
_FIELD_NAMES: dict[type, tuple[str, ...]] = {}


def _field_copier(cls: type) -> tuple[frozenset[str], Callable[[Any, dict[str, Any]], Any]]:
    """For :func:`clone`: the field names of a plain dataclass, and a function that copies an
    instance holding exactly those, one attribute at a time in the fields' order (generated, as
    dataclasses generates ``__init__``). Set that way, the copy keeps its attributes in the
    instance itself rather than in a ``__dict__`` made for it: faster, and one object fewer for the
    garbage collector to visit (a controller stamps out a pod template thousands of times)."""
    names = [f.name for f in dataclasses.fields(cls)]
    _FIELD_NAMES[cls] = tuple(names)
    # A list or dict field is copied here as clone() would copy it, one call fewer per field.
    body = "".join(
        f"    v = attrs[{n!r}]\n    t = type(v)\n"
        f"    if t in atomic:\n        new.{n} = v\n"
        f"    elif t is list:\n        new.{n} = [w if type(w) in atomic else clone(w) for w in v]\n"
        f"    elif t is dict:\n        new.{n} = {{k: w if type(w) in atomic else clone(w) for k, w in v.items()}}\n"
        f"    else:\n        new.{n} = clone(v)\n"
        for n in names)
    namespace: dict[str, Any] = {"cls": cls, "atomic": _ATOMIC, "clone": clone}
    exec(f"def copy(value, attrs):\n    new = cls.__new__(cls)\n{body}    return new\n", namespace)
    return frozenset(names), namespace["copy"]


def stamper(value: T) -> Callable[[], T]:
    """A maker of copies of ``value`` as it is now: each call returns what :func:`clone` returns
    for it now, in a fraction of the time (a ReplicaSet stamps out thousands of pod specs from its
    template in one sync).

    The copies are made from a snapshot taken here (a clone that nobody else holds, so nothing
    can change it), by a function generated for the snapshot's shape: which fields hold scalars,
    lists of how many items, dicts with which keys holding containers, and the classes of the
    dataclasses. Knowing the shape, the function copies without asking each value's type, as
    clone does; what clone would copy, it copies, and what clone shares (scalars), it shares. A
    later change to ``value`` does not reach the copies: take a new stamper to see it.

    >>> make = stamper({"a": [1, {"b": 2}]})
    >>> first, second = make(), make()
    >>> first == second == {"a": [1, {"b": 2}]}, first["a"] is second["a"]
    (True, False)
    """
    proto = clone(value)
    shape = _shape(value)  # the snapshot's too: clone keeps every list, dict key and class
    make = _STAMPS.get(shape)
    if make is None:
        if len(_STAMPS) >= _STAMPS_KEPT:  # a bound, not a cache that can go stale: shapes never change
            _STAMPS.clear()
        make = _STAMPS[shape] = _stamp_function(shape)
    return functools.partial(make, proto)


_STAMPS: dict[Any, Callable[[Any], Any]] = {}
"""The generated stamp functions by shape (:func:`_shape`): a function is the copy of any value of
its shape, so it never goes stale; the dict is only bounded."""
_STAMPS_KEPT = 256


def _shape(value: Any) -> Any:
    """For :func:`stamper`: the structure of ``value`` as clone copies it, as a hashable key.
    ``"a"``: a scalar (shared); ``"{}"``: an empty dict; ``("l", items)``; ``("d", ((key,
    shape), ...))`` for a dict, listing only its keys whose values are not scalars; ``("o", cls,
    fields)`` for a plain dataclass holding exactly its fields (clone's generated copier);
    ``"c"``: anything else (copied by :func:`clone` at each stamp)."""
    cls = type(value)
    if cls in _ATOMIC:
        return "a"
    if cls is list:
        return ("l", tuple(_shape(v) for v in value))
    if cls is dict:
        if not value:
            return "{}"
        inner = tuple((k, _shape(v)) for k, v in value.items() if type(v) not in _ATOMIC)
        if all(type(k) is str for k, _ in inner):  # written into the function as literals
            return ("d", inner)
        return "c"
    if _PLAIN_DATACLASS.get(cls) and value.__dict__.keys() == _FIELDS[cls][0]:  # as clone decides
        return ("o", cls, tuple(_shape(getattr(value, f)) for f in _FIELD_NAMES[cls]))
    return "c"


def _stamp_function(shape: Any) -> Callable[[Any], Any]:
    """For :func:`stamper`: a function that copies a value of ``shape`` (its argument ``v0``)
    statement by statement, each dataclass's attributes set in its fields' order, as clone's
    copier sets them."""
    lines: list[str] = []
    consts: dict[str, Any] = {"clone": clone}

    def var(expr: str) -> str:
        """A new local variable holding ``expr`` (read once, used several times)."""
        name = f"v{len(lines) + 1}"
        lines.append(f"{name} = {expr}")
        return name

    def copy_of(shape: Any, expr: str) -> str:
        """The expression of the copy of ``expr`` (after the lines it needs)."""
        if shape == "a":
            return expr
        if shape == "{}":
            return "{}"
        if shape == "c":
            return f"clone({expr})"
        if shape[0] == "l":
            if not shape[1]:
                return "[]"
            src = var(expr)
            return f"[{', '.join(copy_of(item, f'{src}[{i}]') for i, item in enumerate(shape[1]))}]"
        if shape[0] == "d":
            if not shape[1]:
                return f"{expr}.copy()"  # scalars only: the same keys, in the same order
            src = var(expr)
            out = var(f"{src}.copy()")
            for key, item in shape[1]:
                lines.append(f"{out}[{key!r}] = {copy_of(item, f'{src}[{key!r}]')}")  # the order stays
            return out
        _, cls, fields = shape
        name = f"cls{len(consts)}"
        consts[name] = cls
        src = var(expr)
        values = [copy_of(item, f"{src}.{f}") for f, item in zip(_FIELD_NAMES[cls], fields, strict=True)]
        out = var(f"{name}.__new__({name})")
        lines.extend(f"{out}.{f} = {v}" for f, v in zip(_FIELD_NAMES[cls], values, strict=True))
        return out

    result = copy_of(shape, "v0")
    body = "".join(f"    {line}\n" for line in lines)
    exec(f"def stamp(v0):\n{body}    return {result}\n", consts)
    return consts["stamp"]  # the function exec defined


def _is_plain_dataclass(cls: type) -> bool:
    """A dataclass that ``deepcopy`` copies attribute by attribute (no slots, no copy hooks)."""
    return (dataclasses.is_dataclass(cls) and not hasattr(cls, "__slots__")
            and not hasattr(cls, "__deepcopy__") and not hasattr(cls, "__setstate__")
            and cls.__reduce_ex__ is object.__reduce_ex__ and cls.__reduce__ is object.__reduce__)


class GoTypeError(TypeError):
    """A value the field's Go type cannot hold, in encoding/json's words (``UnmarshalTypeError``):
    ``json: cannot unmarshal number 2.5 into Go struct field DeploymentSpec.spec.replicas of type int32``.
    """


INT64_FIELDS = frozenset({"generation", "observedGeneration", "deletionGracePeriodSeconds",
                          "terminationGracePeriodSeconds", "tolerationSeconds", "activeDeadlineSeconds",
                          "expirationSeconds"})
"""The integer fields whose Go type is int64; every other integer the dataclasses model is an int32."""
_BOUNDS = {"int32": (-2**31, 2**31 - 1), "int64": (-2**63, 2**63 - 1)}


def from_api(cls: type[T], data: Any, path: str = "") -> T:
    """Build ``cls`` from an API dict; unknown keys go to the ``extra`` field.

    Every modelled field is checked against its Go type as the API server's JSON decoder does;
    :class:`GoTypeError` names the first mismatch in the order of the JSON kubectl sends (keys
    sorted), with the field's path.
    """
    try:
        return _from_api(cls, data, path, cls.__name__)
    except GoTypeError:
        # Slow path, for the message only: find the first mismatch in sorted-key order.
        _first_mismatch(cls, data, path, cls.__name__)
        raise


def _from_api(cls: type[T], data: Any, path: str, owner: str) -> T:
    if not isinstance(data, dict):
        raise _mismatch(data, _go_type(cls, ""), owner, path)
    plain_cls: type = cls  # the cache's key (mypy does not see type[T] as Hashable)
    plan, extra = _plan(plain_cls)
    kwargs: dict[str, Any] = {}
    known = set()
    for name, json_name, hint, _ in plan:
        known.add(json_name)
        if json_name in data and data[json_name] is not None:
            kwargs[name] = _convert(hint, data[json_name], _join(path, json_name), cls.__name__, json_name)
    if extra:
        kwargs[extra] = {k: v for k, v in data.items() if k not in known}
    return cls(**kwargs)


def _first_mismatch(cls: type, data: Any, path: str, owner: str) -> None:
    """Raise the mismatch Go's decoder meets first: object keys in sorted order (kubectl marshals
    maps so), list items in order."""
    if not isinstance(data, dict):
        raise _mismatch(data, _go_type(cls, ""), owner, path)
    plan, _ = _plan(cls)
    by_json = {json_name: hint for _, json_name, hint, _ in plan}
    for key in sorted(data, key=str):
        hint = by_json.get(key)
        if hint is None or data[key] is None:
            continue
        _check_first(hint, data[key], _join(path, key), cls.__name__, key)


def _check_first(hint: Any, value: Any, path: str, owner: str, json_name: str) -> None:
    hint = _unoptional(hint)
    origin = typing.get_origin(hint)
    if origin is list and isinstance(value, list):
        (item,) = typing.get_args(hint)
        for v in value:
            if v is not None:
                _check_first(item, v, path, owner, json_name)
    elif origin is dict and isinstance(value, dict):
        item = typing.get_args(hint)[1]
        for k in sorted(value, key=str):
            if value[k] is not None:
                _check_first(item, value[k], path, owner, json_name)
    elif isinstance(hint, type) and dataclasses.is_dataclass(hint) and isinstance(value, dict):
        _first_mismatch(hint, value, path, owner)
    else:
        _convert(hint, value, path, owner, json_name)


def _unoptional(hint: Any) -> Any:
    if typing.get_origin(hint) in (Union, types.UnionType):
        args = [a for a in typing.get_args(hint) if a is not type(None)]
        if len(args) == 1:
            return args[0]
    return hint


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _convert(hint: Any, value: Any, path: str, owner: str, json_name: str) -> Any:
    if hint is str:
        if type(value) is not str:
            raise _mismatch(value, "string", owner, path)
        return value
    if hint is int:
        if type(value) is int and -2147483648 <= value <= 2147483647:
            return value  # the common case, valid for int32 and int64 alike
        if type(value) is not int:
            value = _integral(value, json_name, owner, path)
        return _in_range(value, json_name, owner, path)
    origin = typing.get_origin(hint)
    if origin in (Union, types.UnionType):
        args = [a for a in typing.get_args(hint) if a is not type(None)]
        if len(args) == 1:
            return _convert(args[0], value, path, owner, json_name)
        if type(value) is str or (type(value) is int and -2147483648 <= value <= 2147483647):
            return value
        # IntOrString: anything but a string is unmarshalled into its int32.
        if type(value) is not int:
            value = _integral(value, "", owner, path)
        return _in_range(value, "", owner, path)
    if origin is list:
        if not isinstance(value, list):
            raise _mismatch(value, _go_type(hint, json_name), owner, path)
        (item,) = typing.get_args(hint)
        return [_zero(item, json_name) if v is None else _convert(item, v, path, owner, json_name) for v in value]
    if origin is dict:
        if not isinstance(value, dict):
            raise _mismatch(value, _go_type(hint, json_name), owner, path)
        item = typing.get_args(hint)[1]
        if item is str:
            for v in value.values():
                if type(v) is not str and v is not None:
                    raise _mismatch(v, "string", owner, path)
            return {str(k): "" if v is None else v for k, v in value.items()}
        return {str(k): v for k, v in value.items()}
    if isinstance(hint, type) and dataclasses.is_dataclass(hint):
        if not isinstance(value, dict):
            raise _mismatch(value, _go_type(hint, json_name), owner, path)
        return _from_api(hint, value, path, hint.__name__)
    if hint is bool and type(value) is not bool:
        raise _mismatch(value, "bool", owner, path)
    return value


def _integral(value: Any, json_name: str, owner: str, path: str) -> int:
    """An integer from a float that Go's JSON would print as one (``2.0`` is ``2``), else the error."""
    go_type = _int_type(json_name)
    if type(value) is float and value.is_integer() and _go_float(value).lstrip("-").isdigit():
        return int(value)
    raise _mismatch(value, go_type, owner, path)


def _in_range(value: int, json_name: str, owner: str, path: str) -> int:
    go_type = _int_type(json_name)
    low, high = _BOUNDS[go_type]
    if not low <= value <= high:
        raise _mismatch(value, go_type, owner, path)
    return value


def _int_type(json_name: str) -> str:
    return "int64" if json_name in INT64_FIELDS else "int32"


def _zero(hint: Any, json_name: str) -> Any:
    """What Go decodes a JSON ``null`` list item into: the type's zero value."""
    if isinstance(hint, type) and dataclasses.is_dataclass(hint):
        return _from_api(hint, {}, "", hint.__name__)
    return {str: "", int: 0, bool: False}.get(hint)


def _mismatch(value: Any, go_type: str, owner: str, path: str) -> GoTypeError:
    where = f"Go struct field {owner}.{path}" if path else "Go value"
    kind = _json_kind(value, go_type in _BOUNDS)
    return GoTypeError(f"json: cannot unmarshal {kind} into {where} of type {go_type}")


def _json_kind(value: Any, into_int: bool) -> str:
    """encoding/json's ``UnmarshalTypeError.Value``: the JSON kind, and a number's text where an
    integer was expected (``literalStore``)."""
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, (int, float)) and not into_int:
        return "number"
    if isinstance(value, int):
        return f"number {value}"
    if isinstance(value, float):
        return f"number {_go_float(value)}"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


def _go_float(value: float) -> str:
    """A float as Go's encoding/json writes it: shortest digits, exponent only below 1e-6 or from 1e21."""
    if value != value or value in (float("inf"), float("-inf")):
        return str(value)
    if value != 0 and (abs(value) < 1e-6 or abs(value) >= 1e21):
        text = repr(value)
        mantissa, _, exp = text.partition("e")
        sign, digits = exp[0], exp[1:].lstrip("0") or "0"
        return f"{mantissa.removesuffix('.0')}e{sign}{digits.zfill(2) if sign == '+' else digits}"
    text = format(decimal.Decimal(repr(value)), "f")
    return text.removesuffix(".0") if "." in text and text.endswith(".0") else text


def _go_type(hint: Any, json_name: str) -> str:
    """The Go type a field's annotation stands for, as ``reflect.Type.String()`` prints it."""
    hint = _unoptional(hint)
    origin = typing.get_origin(hint)
    if origin in (Union, types.UnionType):
        return "intstr.IntOrString"
    if origin is list:
        return "[]" + _go_type(typing.get_args(hint)[0], json_name)
    if origin is dict:
        return "map[string]" + ("string" if typing.get_args(hint)[1] is str else "interface {}")
    if hint is int:
        return _int_type(json_name)
    if isinstance(hint, type) and dataclasses.is_dataclass(hint):
        return f"v1.{hint.__name__}"
    return {str: "string", bool: "bool", float: "float64"}.get(hint, "interface {}")


class _Dumper(yaml.SafeDumper):
    def choose_scalar_style(self) -> str:
        # Go's YAML encoder (and so kubectl) double-quotes only strings that would read as another
        # type (resourceVersion: "35", "true"); others that cannot be plain ('*.foo.com') stay single-quoted.
        style = super().choose_scalar_style()
        # The event is the scalar being written (the emitter asks only for scalars).
        event = self.event
        return '"' if style == "'" and isinstance(event, yaml.ScalarEvent) and not event.implicit[0] else style


def _str_presenter(dumper: yaml.SafeDumper, data: str) -> yaml.Node:
    if "\n" in data:
        return dumper.represent_scalar("tag:yaml.org,2002:str", data, style="|")
    return dumper.represent_scalar("tag:yaml.org,2002:str", data)


_Dumper.add_representer(str, _str_presenter)


def dump_yaml(data: Any) -> str:
    """YAML as kubectl prints it: keys sorted, lists not indented under their key."""
    return yaml.dump(data, Dumper=_Dumper, default_flow_style=False, sort_keys=True, width=10_000)


_GO_HTML_ESCAPES = (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"), ("\u2028", "\\u2028"),
                    ("\u2029", "\\u2029"))


def go_marshal(value: Any, sort_keys: bool = True) -> str:
    """``value`` as Go's ``json.Marshal`` writes it: compact, ``<``, ``>``, ``&``, U+2028 and U+2029
    escaped; map keys sorted (``sort_keys=False`` for a struct, whose fields keep their order).

    >>> print(go_marshal({"b": "<a>", "a": 1}))
    {"a":1,"b":"\\u003ca\\u003e"}
    """
    text = json.dumps(value, sort_keys=sort_keys, separators=(",", ":"), ensure_ascii=False)
    for char, escape in _GO_HTML_ESCAPES:
        text = text.replace(char, escape)
    return text


def dump_json(data: Any) -> str:
    """JSON as kubectl prints it: 4-space indent."""
    return json.dumps(data, indent=4, sort_keys=False)
