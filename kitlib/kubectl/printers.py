"""``kubectl get``'s printers: the table of each kind's columns, and the ``-o`` printers (``yaml``, ``json``,
``name``, ``jsonpath``, ``jsonpath-as-json``, ``jsonpath-file``, ``custom-columns``, ``custom-columns-file``,
``go-template``, ``go-template-file``, ``template``, ``templatefile``: cli-runtime's ``pkg/printers`` and
``pkg/genericclioptions/template_flags.go``, and kubectl's ``pkg/cmd/get/customcolumn.go``)."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..api.convert import dump_json, dump_yaml
from ..api.meta import KubeObject
from ..api.registry import CUSTOM, RESOURCES
from ..clock import human_duration, parse_timestamp
from ..errors import go_quote
from .args import Args, KubectlError
from .gotemplate import TemplateError
from .gotemplate import execute as execute_template
from .gotemplate import parse as parse_template
from .jsonpath import JSONPath, JSONPathError, go_json, go_repr, go_sprint
from .tabwriter import TABLE

if TYPE_CHECKING:
    from ..cluster import Cluster


def age(cluster: Cluster, obj: KubeObject) -> str:
    """The AGE column: ``5s``, ``3m20s``, ``4d``."""
    ts = obj.metadata.creation_timestamp
    return human_duration(cluster.now - parse_timestamp(ts)) if ts else "<unknown>"


def format_labels(labels: dict[str, str]) -> str:
    """``labels.FormatLabels``: ``a=b,c=d`` sorted by key, ``<none>`` when empty."""
    return ",".join(f"{k}={v}" for k, v in sorted(labels.items())) or "<none>"


def _body(obj: KubeObject) -> dict[str, Any]:
    """The object as the server sends it: a custom resource is unstructured JSON, whose keys Go
    writes sorted (a built-in kind's in its struct's order)."""
    body = obj.to_dict()
    return json.loads(json.dumps(body, sort_keys=True)) if obj.kind in CUSTOM else body


def _as_list(items: list[dict[str, Any]]) -> dict[str, Any]:
    """The ``List`` kubectl prints several objects as (``printGeneric`` in ``get.go``)."""
    return {"apiVersion": "v1", "items": items, "kind": "List", "metadata": {"resourceVersion": ""}}


GET_FORMATS = ("custom-columns", "custom-columns-file", "go-template", "go-template-file", "json", "jsonpath",
               "jsonpath-as-json", "jsonpath-file", "kyaml", "name", "template", "templatefile", "wide", "yaml")
"""``kubectl get``'s output formats, as its ``PrintFlags.AllowedFormats`` lists them (sorted)."""
PRINT_FORMATS = ("go-template", "go-template-file", "json", "jsonpath", "jsonpath-as-json", "jsonpath-file",
                 "kyaml", "name", "template", "templatefile", "yaml")
"""The formats of the commands that print the objects they change (``create``, ``expose``, ...)."""
_JSONPATH = ("jsonpath", "jsonpath-as-json", "jsonpath-file")
_COLUMNS = ("custom-columns", "custom-columns-file")
_TEMPLATE = ("go-template", "go-template-file", "template", "templatefile")
_UNSIMULATED = ("kyaml",)


@dataclass(frozen=True)
class Printer:
    """An ``-o`` printer: its format (``yaml``, ``json``, ``name``, ``jsonpath``, ``jsonpath-as-json``,
    ``custom-columns``, ``go-template``) and its template or column spec."""

    format: str
    template: str = ""
    allow_missing_keys: bool = True
    columns: tuple[tuple[str, str], ...] = ()


def printer_for(args: Args, allowed: tuple[str, ...] = PRINT_FORMATS) -> Printer | None:
    """The printer ``-o`` (and ``--template``) ask for, checked as kubectl's ``PrintFlags.ToPrinter``
    checks them; None for kubectl's tables (no ``-o``, or ``-o wide``)."""
    fmt = args.get("output") or ""
    template = args.get("template") or ""
    if (not fmt and not template) or (fmt == "wide" and "wide" in allowed):
        return None
    name, value = fmt, template
    if not template:
        for known in (*_JSONPATH, *_COLUMNS, *_TEMPLATE):
            if fmt.startswith(known + "="):
                name, value = known, fmt[len(known) + 1:]
                break
    if not name:
        name = "template"  # --template without -o is a Go template (KubeTemplatePrintFlags)
    if name not in allowed:
        raise KubectlError(f"error: unable to match a printer suitable for the output format {go_quote(fmt)}, "
                           f"allowed formats are: {','.join(allowed)}")
    if name in _UNSIMULATED:
        raise KubectlError(f"error: kitlib does not simulate the {name} output format")
    if name in ("yaml", "json", "name"):
        return Printer(name)
    if name in _COLUMNS:
        return _columns_printer(name, value)
    if not value:
        raise KubectlError("error: template format specified but no template given")
    if name in ("jsonpath-file", "go-template-file", "templatefile"):
        try:
            value = Path(value).read_text()
        except OSError:
            raise KubectlError(f"error: error reading --template {value}, open {value}: no such file or directory") from None
    allow = args.get("allow-missing-template-keys") != "false"
    if name in _TEMPLATE:
        # GoTemplatePrintFlags.ToPrinter: "error parsing template %s, %v\n" (the \n kubectl's
        # error printer would add anyway).
        try:
            parse_template(value)
        except TemplateError as exc:
            raise KubectlError(f"error: error parsing template {value}, {exc}") from None
        return Printer("go-template", value, allow)
    try:
        JSONPath("out", value)
    except JSONPathError as exc:
        raise KubectlError(f"error: error parsing jsonpath {value}, {exc}") from None
    return Printer("jsonpath-as-json" if name == "jsonpath-as-json" else "jsonpath", value, allow)


_RELAXED = re.compile(r"^\{\.?([^{}]+)\}$|^\.?([^{}]+)$")


def relaxed_jsonpath(expression: str) -> str:
    """kubectl's ``RelaxedJSONPathExpression``: ``.a.b``, ``a.b``, ``{a.b}`` and ``{.a.b}`` all mean ``{.a.b}``.

    >>> relaxed_jsonpath(".metadata.name"), relaxed_jsonpath("{status.podIP}")
    ('{.metadata.name}', '{.status.podIP}')
    """
    if not expression:
        return expression
    m = _RELAXED.match(expression)
    if m is None:
        raise KubectlError("error: unexpected path string, expected a 'name1.name2' or '.name1.name2' or "
                           "'{name1.name2}' or '{.name1.name2}'")
    return "{." + (m.group(1) or m.group(2)) + "}"


def _columns_printer(name: str, value: str) -> Printer:
    """``-o custom-columns=HEADER:PATH,...`` or ``-o custom-columns-file=FILE`` (a line of headers,
    a line of paths), as ``NewCustomColumnsPrinterFromSpec``/``FromTemplate`` read them."""
    if not value:
        raise KubectlError("error: custom-columns format specified but no custom columns given")
    columns: list[tuple[str, str]] = []
    if name == "custom-columns-file":
        try:
            lines = Path(value).read_text().splitlines()
        except OSError:
            raise KubectlError(f"error: error reading template {value}, open {value}: no such file or directory\n") from None
        if not lines:
            raise KubectlError("error: invalid template, missing header line. Expected format is one line of space "
                               "separated headers, one line of space separated column specs.")
        if len(lines) < 2:
            raise KubectlError("error: invalid template, missing spec line. Expected format is one line of space "
                               "separated headers, one line of space separated column specs.")
        headers, specs = lines[0].split(), lines[1].split()
        if len(headers) != len(specs):
            raise KubectlError(f"error: number of headers ({len(headers)}) and field specifications ({len(specs)}) "
                               "don't match")
        columns = [(h, relaxed_jsonpath(s)) for h, s in zip(headers, specs, strict=True)]
    else:
        for part in value.split(","):
            header, colon, spec = part.partition(":")
            if not colon:
                raise KubectlError(f"error: unexpected custom-columns spec: {part}, expected <header>:<json-path-expr>")
            columns.append((header, relaxed_jsonpath(spec)))
    for i, (_, spec) in enumerate(columns):
        try:
            JSONPath(f"column{i}", spec)
        except JSONPathError as exc:
            raise KubectlError(f"error: {exc}") from None
    return Printer("custom-columns", columns=tuple(columns))


def type_name(body: dict[str, Any]) -> str:
    """``deployment.apps/web``: ``-o name`` of an object's body."""
    res = RESOURCES.get(str(body.get("kind")))
    kind = res.type_name if res else str(body.get("kind", "")).lower()
    return f"{kind}/{body.get('metadata', {}).get('name', '')}"


def as_typed(value: Any) -> Any:
    """A typed object's JSON decoded into ``interface{}``: every number a float64 (what jsonpath
    sees of an object kubectl built itself, ``create ... --dry-run=client``)."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return float(value)
    if isinstance(value, dict):
        return {k: as_typed(v) for k, v in value.items()}
    if isinstance(value, list):
        return [as_typed(v) for v in value]
    return value


def print_bodies(bodies: list[dict[str, Any]], printer: Printer, *, single: bool, typed: bool = False,
                 no_headers: bool = False) -> str:
    """What ``printer`` prints of these objects (their API bodies): one bare object when ``single``
    (``get TYPE NAME`` of one object), else kubectl's ``List`` of them. ``typed``: objects kubectl
    built itself (struct field order, numbers float64 for jsonpath); otherwise objects as ``get``
    reads them (unstructured: JSON keys sorted, integers int64).

    As kitlib's other outputs, the text has no final newline (``print`` adds it): a template's
    output loses one trailing newline, if it has one."""
    data: dict[str, Any] = bodies[0] if single else _as_list(bodies)
    fmt = printer.format
    if fmt == "name":
        items = data["items"] if data.get("kind") == "List" else [data]
        return "\n".join(type_name(item) for item in items)
    if fmt == "yaml":
        return dump_yaml(data).rstrip("\n")
    if fmt == "json":
        return dump_json(data) if typed else go_json(data, "    ")
    if fmt == "custom-columns":
        return _custom_columns(data, printer, no_headers)
    if fmt == "go-template":
        return _go_template(data, printer, typed)
    query = as_typed(data) if typed else data
    path = JSONPath("out", printer.template, allow_missing_keys=printer.allow_missing_keys,
                    output_json=fmt == "jsonpath-as-json")
    try:
        text = path.execute(query)
    except JSONPathError as exc:
        raise KubectlError(f"error: error executing jsonpath {go_quote(printer.template)}: Error executing template: "
                           f"{exc}. Printing more information for debugging the template:\n\ttemplate was:\n"
                           f"\t\t{printer.template}\n\tobject given to jsonpath engine was:\n\t\t{go_repr(query)}"
                           "\n\n") from None
    return text.removesuffix("\n")


def _go_template(data: dict[str, Any], printer: Printer, typed: bool) -> str:
    """``GoTemplatePrinter.PrintObj``: the template over the object's JSON decoded into
    ``map[string]interface{}`` (apimachinery's json: integers int64, ``printf "%T"`` says so in
    kubectl 1.37). On an execution error kubectl writes what the template wrote so far and a dump
    for debugging to stdout, then the error."""
    raw = data if typed else json.loads(json.dumps(data, sort_keys=True))  # unstructured: keys sorted
    decoded = raw
    try:
        text = execute_template(printer.template, decoded, allow_missing_keys=printer.allow_missing_keys)
    except TemplateError as exc:
        marshalled = re.sub("[<>&\u2028\u2029]", lambda m: f"\\u{ord(m.group()):04x}",
                            json.dumps(raw, separators=(",", ":"), ensure_ascii=False))
        raise KubectlError(f"{exc.partial}Error executing template: {exc}. Printing more information for debugging "
                           f"the template:\n\ttemplate was:\n\t\t{printer.template}\n\traw data was:\n\t\t{marshalled}"
                           f"\n\tobject given to template engine was:\n\t\t{go_sprint(decoded)}\n\n"
                           f"error: error executing template {go_quote(printer.template)}: {exc}") from None
    return text.removesuffix("\n")


def _custom_columns(data: dict[str, Any], printer: Printer, no_headers: bool) -> str:
    """``CustomColumnsPrinter``: a header line, then a row per object; each cell the path's values
    joined by commas (Go's ``fmt.Sprint`` of each), ``<none>`` when there are none."""
    items = data["items"] if data.get("kind") == "List" else [data]
    rows = [] if no_headers else [[h for h, _ in printer.columns]]
    for item in items:
        row = []
        for i, (_, spec) in enumerate(printer.columns):
            try:
                found = JSONPath(f"column{i}", spec, allow_missing_keys=True).find_results(item)
            except JSONPathError as exc:
                raise KubectlError(f"error: {exc}") from None
            values = [go_sprint(v) for results in found for v in results]
            row.append(",".join(values) if found and found[0] else ",".join(["<none>", *values]))
        rows.append(row)
    return "\n".join(TABLE.lines(rows))


def output(objs: list[KubeObject], fmt: str, single: bool) -> str:
    """-o yaml | json | name for a list of objects (one object prints bare when asked by name)."""
    bodies = [_body(o) for o in objs]
    return print_bodies(bodies, Printer(fmt), single=single, typed=True)
