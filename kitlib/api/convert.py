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
import functools
import json
import types
import typing
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
        new = cls.__new__(cls)
        new.__dict__.update({k: v if type(v) in _ATOMIC else clone(v) for k, v in value.__dict__.items()})
        return new
    return copy.deepcopy(value)


_PLAIN_DATACLASS: dict[type, bool] = {}


def _is_plain_dataclass(cls: type) -> bool:
    """A dataclass that ``deepcopy`` copies attribute by attribute (no slots, no copy hooks)."""
    return (dataclasses.is_dataclass(cls) and not hasattr(cls, "__slots__")
            and not hasattr(cls, "__deepcopy__") and not hasattr(cls, "__setstate__")
            and cls.__reduce_ex__ is object.__reduce_ex__ and cls.__reduce__ is object.__reduce__)


def from_api(cls: type[T], data: Any, path: str = "") -> T:
    """Build ``cls`` from an API dict; unknown keys go to the ``extra`` field.

    Raises ``TypeError`` with the field path when a value has the wrong shape.
    """
    if not isinstance(data, dict):
        raise TypeError(f"{path or 'object'}: expected an object, got {type(data).__name__}")
    plain_cls: type = cls  # the cache's key (mypy does not see type[T] as Hashable)
    plan, extra = _plan(plain_cls)
    kwargs: dict[str, Any] = {}
    known = set()
    for name, json_name, hint, _ in plan:
        known.add(json_name)
        if json_name in data and data[json_name] is not None:
            kwargs[name] = _convert(hint, data[json_name], _join(path, json_name))
    if extra:
        kwargs[extra] = {k: v for k, v in data.items() if k not in known}
    return cls(**kwargs)


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _convert(hint: Any, value: Any, path: str) -> Any:
    origin = typing.get_origin(hint)
    if origin in (Union, types.UnionType):
        args = [a for a in typing.get_args(hint) if a is not type(None)]
        if len(args) == 1:
            return _convert(args[0], value, path)
        # int | str (IntOrString) and similar scalar unions: keep what came.
        return value
    if origin is list:
        if not isinstance(value, list):
            raise TypeError(f"{path}: expected a list, got {type(value).__name__}")
        (item,) = typing.get_args(hint)
        return [_convert(item, v, f"{path}[{i}]") for i, v in enumerate(value)]
    if origin is dict:
        if not isinstance(value, dict):
            raise TypeError(f"{path}: expected a map, got {type(value).__name__}")
        return {str(k): v if not isinstance(v, (int, float, bool)) else v for k, v in value.items()}
    if isinstance(hint, type) and dataclasses.is_dataclass(hint):
        return from_api(hint, value, path)
    if hint is int and isinstance(value, bool):
        raise TypeError(f"{path}: expected an integer, got a boolean")
    if hint is int and not isinstance(value, int):
        raise TypeError(f"{path}: expected an integer, got {type(value).__name__}")
    if hint is str and not isinstance(value, str):
        raise TypeError(f"{path}: expected a string, got {type(value).__name__}")
    return value


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


def dump_json(data: Any) -> str:
    """JSON as kubectl prints it: 4-space indent."""
    return json.dumps(data, indent=4, sort_keys=False)
