"""``kubectl get``, as kubectl 1.37's ``pkg/cmd/get/get.go`` prints it.

* **Tables** (no ``-o``, or ``-o wide``): one per resource type, in the order asked, each row
  named ``type/name`` when several types were asked (``get all``, ``get deploy,svc``), a blank
  line between tables; ``--no-headers`` drops the header lines and the blank lines;
  ``--show-labels``, ``-L KEY``; ``-A`` adds NAMESPACE; ``--show-kind`` names the type always.
* **``-o`` printers** (:mod:`.printers`): ``yaml``, ``json``, ``name``, ``jsonpath=``,
  ``jsonpath-as-json=``, ``jsonpath-file=``, ``custom-columns=``, ``custom-columns-file=``. One
  object asked by name (``get pod web``, ``get pod/web``) prints bare; anything else as a
  ``List`` (``printGeneric``). Objects are what kubectl reads (unstructured): JSON keys sorted.
* **``-f FILE|DIR|-``**: the objects the manifests name (:func:`_from_files`).
* **``all``**: the resource types of kubectl's ``all`` category that kitlib serves, in discovery
  order: pods, services, daemonsets, deployments, replicasets.
* **``--sort-by=PATH``** (a JSONPath, relaxed: ``.metadata.name`` or ``{.metadata.name}``): each
  table's rows are sorted (``TableSorter``), or the list's items (``SortingPrinter``); numbers as
  numbers, strings that are quantities (``100m``, ``1Gi``) as quantities, other strings
  byte-wise, objects without the field first. A path no object of a list has is kubectl's
  ``couldn't find any field with path``; for a table kubectl drops that error (its ``Run`` ignores
  what the printer returns) and prints nothing, then ``No resources found``; with several tables
  it sorts the Table objects themselves, and fails (:func:`_sort_tables_check`). Go's
  ``sort.Sort`` is not stable; kitlib's sort is, so ties keep the server's order.
* **``--field-selector``**: the fields each kind's API server accepts (``metadata.name`` and
  ``metadata.namespace`` for every kind; Pods' ``spec.nodeName``, ``status.phase``,
  ``status.podIP``, ...; Events' ``type``, ``reason``, ``involvedObject.*``, ...), with ``=``,
  ``==`` and ``!=``; any other field is the server's ``field label not supported``.
* **``-w``** (``--watch``): kubectl prints the table, then a row for each change the watch
  delivers until it is interrupted. kitlib cannot wait for Ctrl-C: it prints the table, then
  advances the simulated clock (at most ``--request-timeout``, 60 s by default, and until 5 s
  pass without a change once changes came) and prints a row per write or deletion of a watched
  object, in the widths the table already had (the tab writer remembers them). The clock stays
  where the watch stopped. Events are not stored objects in kitlib: their watch polls the event
  log each simulated second (a new event, or a repeated one whose count went up, is a change).

Events are read from the API server's event log (:mod:`.events`).
"""

from __future__ import annotations

import csv
import re
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from ..api.meta import KubeObject
from ..api.registry import Resource, lookup
from ..errors import ApiError, BadRequest, NotFound, PartialFailure, ServerBadRequest
from . import events
from .args import Args, KubectlError, resource_type
from .customresources import view_for
from .jsonpath import JSONPath, JSONPathError
from .kinds import BY_KIND
from .output import request
from .printers import (
    GET_FORMATS,
    Printer,
    format_labels,
    print_bodies,
    printer_for,
    relaxed_jsonpath,
)
from .tabwriter import TABLE
from .view import View

if TYPE_CHECKING:
    from ..cluster import Cluster

ALL = ("Pod", "Service", "DaemonSet", "Deployment", "ReplicaSet")
"""The kinds of kubectl's ``all`` category that kitlib serves, in discovery order (core/v1 pods and
services, then apps/v1)."""
WATCH_LIMIT = 60.0
"""How long ``get -w`` advances the clock at most, without ``--request-timeout``."""
WATCH_QUIET = 5.0
"""Once changes came, ``get -w`` stops after this many seconds without one."""

Target = tuple[Resource, list[str]]


def targets(words: list[str], cluster: Cluster) -> tuple[list[Target], bool]:
    """``TYPE NAME...``, ``TYPE1,TYPE2``, ``all`` or ``TYPE/NAME ...`` as kubectl accepts them, of the
    types the cluster serves; and whether one object was asked by name (``singleItemImplied``)."""
    served = cluster.api.custom
    if not words:
        raise BadRequest("error: You must specify the type of resource to get. Use \"kubectl api-resources\" "
                         "for a complete list of supported resources.")
    if "/" in words[0]:
        out: list[Target] = []
        for w in words:
            if "/" not in w:
                raise BadRequest("error: there is no need to specify a resource type as a separate argument "
                                 "when passing arguments in resource/name form (e.g. 'kubectl get resource/<resource_name>' "
                                 "instead of 'kubectl get resource resource/<resource_name>'")
            t, n = w.split("/", 1)
            out.append((resource_type(t, served), [n]))
        return out, len(out) == 1
    found: list[Target] = []
    for t in words[0].split(","):
        if t == "all":
            found += [(_resource(kind), words[1:]) for kind in ALL]
        else:
            found.append((resource_type(t, served), words[1:]))
    return found, len(found) == 1 and len(words) == 2


def _from_files(cluster: Cluster, args: Args, listed: list[tuple[Resource, list[KubeObject]]],
                missing: list[ApiError], stdin: str = "") -> tuple[list[Target], bool]:
    """``get -f FILE|DIR|-``: the objects the manifests name, each read from the server in the
    order given (consecutive objects of one kind share a table); a missing one is reported after
    the others. One object from one file (not stdin, not a directory) prints bare, as kubectl's
    builder implies a single item for a single path (``singleItemImplied``)."""
    from pathlib import Path

    from ..manifest import load, mapping
    from .commands import _sources
    files = args.all("filename")
    sources = _sources(files, stdin)
    found: list[Target] = []
    for src in sources:
        for doc in load(src):
            res = mapping(doc, cluster.api.custom, "STDIN" if isinstance(src, str) else str(src))
            raw = doc.get("metadata")
            meta: dict[str, Any] = raw if isinstance(raw, dict) else {}
            name = str(meta.get("name") or "")
            namespace = str(meta.get("namespace") or args.namespace)
            request(cluster, res.kind)
            found.append((res, [name]))
            try:
                obj = cluster.api.get(res.kind, name, namespace)
            except NotFound as err:
                missing.append(err)
                continue
            if listed and listed[-1][0].kind == res.kind:
                listed[-1][1].append(obj)
            else:
                listed.append((res, [obj]))
    # One regular file implies a single item, whatever it holds: the -o printers then print its one
    # object bare, or, when one of its objects is missing, only that error (printGeneric).
    single = len(files) == 1 and files[0] != "-" and not Path(files[0]).is_dir()
    if single and missing and not args.on("ignore-not-found") and printer_for(args, GET_FORMATS) is not None:
        raise missing[0]
    return found, single


def _resource(kind: str) -> Resource:
    res = lookup(kind)
    assert res is not None  # the kinds of ALL are always served
    return res


# ---------------------------------------------------------------------------- field selectors

_COMMON_FIELDS = ("metadata.name", "metadata.namespace")
FIELDS: dict[str, dict[str, Callable[[Any], Any]]] = {
    "Pod": {"spec.nodeName": lambda p: p.spec.node_name, "spec.restartPolicy": lambda p: p.spec.restart_policy,
            "spec.schedulerName": lambda p: p.spec.scheduler_name,
            "spec.serviceAccountName": lambda p: p.spec.service_account_name,
            "spec.hostNetwork": lambda p: "true" if p.spec.host_network else "false",
            "status.phase": lambda p: p.status.phase, "status.podIP": lambda p: p.status.pod_ip,
            "status.nominatedNodeName": lambda p: p.status.nominated_node_name},
    "Event": {"involvedObject.kind": lambda e: e.involved_object.kind,
              "involvedObject.namespace": lambda e: e.involved_object.namespace,
              "involvedObject.name": lambda e: e.involved_object.name,
              "involvedObject.uid": lambda e: e.involved_object.uid,
              "involvedObject.apiVersion": lambda e: e.involved_object.api_version,
              "involvedObject.resourceVersion": lambda e: e.involved_object.resource_version,
              "involvedObject.fieldPath": lambda e: e.involved_object.field_path,
              "reason": lambda e: e.reason, "reportingComponent": lambda e: e.reporting_component,
              "source": lambda e: e.source.component, "type": lambda e: e.type},
    "Node": {"spec.unschedulable": lambda n: "true" if n.spec.unschedulable else "false"},
    "Namespace": {"status.phase": lambda n: n.status.phase},
    "Secret": {"type": lambda s: s.type},
    "Service": {"spec.clusterIP": lambda s: s.spec.cluster_ip, "spec.type": lambda s: s.spec.type},
    "ReplicaSet": {"status.replicas": lambda r: str(r.status.replicas or 0)},
}
"""The fields each kind's API server selects on besides ``metadata.name`` and ``metadata.namespace``
(each kind's ``GetAttrs``/``ToSelectableFields``: ``pkg/registry/*/strategy.go``)."""

_REQUIREMENT = re.compile(r"^([^=!]*?)\s*(!=|==|=)\s*(.*)$")


def field_selector(text: str, res: Resource, label_selector: str) -> Callable[[KubeObject], bool]:
    """A ``--field-selector`` as the API server applies it to ``res``'s objects, or its refusal."""
    requirements: list[tuple[str, str, str]] = []
    for part in text.split(","):
        part = part.strip()
        if not part:
            continue
        m = _REQUIREMENT.match(part)
        if m is None:
            raise KubectlError(f"error: invalid selector: '{text}'; can't understand '{part}'")
        requirements.append((m.group(1).strip(), m.group(2), m.group(3).strip()))
    fields = FIELDS.get(res.kind, {})
    group = f"{res.group}/" if res.group else "/"
    for name, _, _ in requirements:
        if name not in _COMMON_FIELDS and name not in fields:
            raise ServerBadRequest(f'Unable to find "{group}{res.cls.api_version.split("/")[-1]}, Resource='
                                   f'{res.plural}" that match label selector "{label_selector}", field selector '
                                   f'"{text}": field label not supported: {name}')

    def value(obj: KubeObject, name: str) -> str:
        if name == "metadata.name":
            return obj.name
        if name == "metadata.namespace":
            return obj.namespace
        return str(fields[name](obj) or "")

    def matches(obj: KubeObject) -> bool:
        return all((value(obj, n) == v) == (op != "!=") for n, op, v in requirements)
    return matches


# ---------------------------------------------------------------------------- sorting

_QUANTITY = re.compile(r"^([+-]?[0-9.]+)(m|k|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei|[eE][+-]?[0-9]+)?$")
_SUFFIX: dict[str, Decimal | int] = {"": 1, "m": Decimal("0.001"), "k": 10**3, "M": 10**6, "G": 10**9, "T": 10**12, "P": 10**15, "E": 10**18,
           "Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40, "Pi": 2**50, "Ei": 2**60}


def _quantity(text: str) -> Decimal | None:
    """``resource.ParseQuantity`` of a string, or None when it is not a quantity."""
    m = _QUANTITY.match(text)
    if m is None:
        return None
    try:
        number = Decimal(m.group(1))
    except InvalidOperation:
        return None
    suffix = m.group(2) or ""
    if suffix[:1] in ("e", "E"):
        return number * Decimal(10) ** int(suffix[1:])
    return number * Decimal(_SUFFIX[suffix])


def _sort_key(value: Any) -> tuple[int, Any]:
    if isinstance(value, bool):
        return (1, value)
    if isinstance(value, (int, float)):
        return (1, value)
    if isinstance(value, str):
        q = _quantity(value)
        return (2, q) if q is not None else (3, value.encode())
    return (4, str(value))


def sort_bodies(bodies: list[dict[str, Any]], sort_by: str) -> list[int]:
    """The order kubectl's ``--sort-by`` puts these object bodies in (indexes), or its error when no
    object has the field."""
    try:
        field = relaxed_jsonpath(sort_by)
    except KubectlError:
        field = sort_by
    try:
        values = [JSONPath("sorting", field, allow_missing_keys=True).find_results(b) for b in bodies]
    except JSONPathError as exc:
        raise KubectlError(f"error: {exc}") from None
    firsts = [v[0][0] if v and v[0] else None for v in values]
    found = [v and v[0] for v in values]
    if bodies and not any(found):
        raise KubectlError(f'error: couldn\'t find any field with path "{field}" in the list of objects')
    with_field = sorted((i for i in range(len(bodies)) if found[i]), key=lambda i: _sort_key(firsts[i]))
    return [i for i in range(len(bodies)) if not found[i]] + with_field


# ---------------------------------------------------------------------------- get


def _view(cluster: Cluster, kind: str) -> View:
    return BY_KIND.get(kind) or view_for(cluster, kind)


def _list(cluster: Cluster, res: Resource, names: list[str], namespace: str | None, selector: str | None,
          fields: Callable[[KubeObject], bool] | None, missing: list[ApiError] | None = None) -> list[KubeObject]:
    """The objects asked for; a named object that is missing goes to ``missing`` (if given: kubectl
    prints the others, then the errors) or is raised."""
    if res.kind == "Event":
        from ..api.labels import parse_selector
        found: list[KubeObject] = list(events.objects(cluster, namespace))
        if names:
            by_name = {e.name: e for e in found}
            for n in names:
                if n not in by_name:
                    if missing is None:
                        raise NotFound(f'events "{n}" not found')
                    missing.append(NotFound(f'events "{n}" not found'))
            found = [by_name[n] for n in names if n in by_name]
        elif selector:
            sel = parse_selector(selector)
            found = [e for e in found if sel.matches(e.metadata.labels)]
    elif names:
        found = []
        for n in names:
            try:
                found.append(cluster.api.get(res.kind, n, namespace or "default"))
            except NotFound as err:
                if missing is None:
                    raise
                missing.append(err)
    else:
        found = cluster.api.list(res.kind, namespace, selector)
    return [o for o in found if fields(o)] if fields else found


def get(cluster: Cluster, args: Args, stdin: str) -> str:
    """``kubectl get TYPE[,TYPE...] [NAME...]`` with its printers, selectors, sorting and watch
    (see the module docstring)."""
    printer = printer_for(args, GET_FORMATS)
    fmt = args.get("output") or ""
    if args.on("show-labels") and fmt not in ("", "wide"):
        raise KubectlError(f"error: --show-labels option cannot be used with {fmt} printer")
    # -L is a string slice: each value is split at commas (as CSV), and repeats add up.
    label_columns = [key for value in args.all("label-columns") for key in next(csv.reader([value]), [])]
    if label_columns and fmt.startswith("custom-columns"):
        raise KubectlError(f"error: --label-columns option cannot be used with {fmt} printer")
    ns = args.namespace
    all_ns = args.on("all-namespaces")
    selector = args.get("selector")
    sort_by = args.get("sort-by") or ""
    listed: list[tuple[Resource, list[KubeObject]]] = []
    # A missing object asked by name: its error comes after what the others print (kubectl's
    # ContinueOnError); alone, or with --ignore-not-found, as it is.
    missing: list[ApiError] = []
    if args.all("filename"):
        if args.words[1:]:
            raise KubectlError("error: when paths, URLs, or stdin is provided as input, you may not specify "
                               "resource arguments as well")
        found, single = _from_files(cluster, args, listed, missing, stdin)
    else:
        found, single = targets(args.words[1:], cluster)
        if (selector or args.get("field-selector")) and any(names for _, names in found):
            raise KubectlError("error: name cannot be provided when a selector is specified")
    if args.on("watch") or args.on("watch-only"):
        return _watch(cluster, args, found, printer, label_columns)
    for res, names in [] if args.all("filename") else found:
        request(cluster, res.kind)
        fields = field_selector(args.get("field-selector") or "", res, selector or "") \
            if args.get("field-selector") else None
        listed.append((res, _list(cluster, res, names, None if all_ns else ns, selector, fields,
                                  None if single and not args.on("ignore-not-found") else missing)))
    if args.on("ignore-not-found"):
        missing = []
    if printer is not None:
        objs = [o for _, group in listed for o in group]
        bodies = [o.to_dict() for o in objs]
        if sort_by and bodies and not (single and len(bodies) == 1):  # SortingPrinter sorts a List only
            bodies = [bodies[i] for i in sort_bodies(bodies, sort_by)]
        text = print_bodies(bodies, printer, single=single and len(bodies) == 1, no_headers=args.on("no-headers"))
        if missing:
            raise PartialFailure([text] if text else [], missing, [])
        return text
    show_kind = len(found) > 1 or args.on("show-kind")
    if sort_by:
        _sort_tables_check(sort_by, found, listed)
    blocks = []
    for res, objs in listed:
        if sort_by and len(objs) > 1:  # SortingPrinter sorts a Table of more than one row
            try:
                objs = [objs[i] for i in sort_bodies([o.to_dict() for o in objs], sort_by)]
            except KubectlError:
                # kubectl's Run ignores what PrintObj returns: the table is not printed, and if
                # nothing else was, "No resources found" follows.
                continue
        if not objs:
            continue
        blocks.append(_table(cluster, _view(cluster, res.kind), res, objs, wide=fmt == "wide", all_namespaces=all_ns,
                             show_kind=show_kind, show_labels=args.on("show-labels"), label_columns=label_columns,
                             headers=not args.on("no-headers")))
    text = ("\n" if args.on("no-headers") else "\n\n").join("\n".join(b) for b in blocks)
    if missing:
        raise PartialFailure([text] if text else [], missing, [])
    if not blocks:
        if args.on("ignore-not-found") and any(names for _, names in found):
            return ""
        if all_ns or not any(r.cls.namespaced for r, _ in found):
            return "No resources found"
        return f"No resources found in {ns} namespace."
    return text


_TABLE_FIELDS = ("apiVersion", "kind", "metadata", "columnDefinitions", "rows")


def _sort_tables_check(sort_by: str, found: list[Target], listed: list[tuple[Resource, list[KubeObject]]]) -> None:
    """kubectl's ``RuntimeSorter`` on server-side tables: each response (a list, or one named
    object) is a Table, which kubectl holds as an unstructured object, not as a ``metav1.Table``.
    With more than one response it sorts those Table objects themselves by the path, and a path no
    Table has (anything below ``.metadata`` but ``resourceVersion``, say) is its ``couldn't find any
    field`` error: ``get deploy,svc --sort-by=.metadata.name`` fails on a real cluster too."""
    responses = sum(len(objs) if names else 1 for (_, names), (_, objs) in zip(found, listed, strict=True))
    if responses < 2:
        return
    tables = [{"apiVersion": "meta.k8s.io/v1", "kind": "Table", "metadata": {"resourceVersion": "1"},
               "columnDefinitions": [{}], "rows": [{}]} for _ in range(responses)]
    sort_bodies(tables, sort_by)


def _columns(view: View, res: Resource, *, wide: bool, all_namespaces: bool, show_labels: bool,
             label_columns: list[str]) -> list[str]:
    heads = list(view.wide_order or (*view.headers, *view.wide)) if wide else list(view.headers)
    heads += [key.split("/")[-1].upper() for key in label_columns]
    if show_labels:
        heads.append("LABELS")
    if all_namespaces and res.cls.namespaced:
        heads.insert(0, "NAMESPACE")
    return heads


def _row(cluster: Cluster, view: View, res: Resource, obj: KubeObject, *, wide: bool, all_namespaces: bool,
         show_kind: bool, show_labels: bool, label_columns: list[str]) -> list[str]:
    r = view.row(cluster, obj, wide)
    if show_kind:
        r[0] = f"{res.type_name}/{r[0]}"
    r += [obj.metadata.labels.get(key, "") for key in label_columns]
    if show_labels:
        r.append(format_labels(obj.metadata.labels))
    if all_namespaces and res.cls.namespaced:
        r.insert(0, obj.namespace)
    return r


def _table(cluster: Cluster, view: View, res: Resource, objs: list[KubeObject], *, wide: bool, all_namespaces: bool,
           show_kind: bool, show_labels: bool, label_columns: list[str], headers: bool = True) -> list[str]:
    """The lines of one kind's table (the row of Event names the event's object, so ``show_kind``
    prefixes the NAME column only where the first column is the name)."""
    rows = [_row(cluster, view, res, o, wide=wide, all_namespaces=all_namespaces,
                 show_kind=show_kind and res.kind != "Event", show_labels=show_labels, label_columns=label_columns)
            for o in objs]
    heads = _columns(view, res, wide=wide, all_namespaces=all_namespaces, show_labels=show_labels,
                     label_columns=label_columns)
    return TABLE.lines([heads, *rows] if headers else rows)


def _request_timeout(args: Args) -> float:
    """``--request-timeout`` (``30s``, ``1m``, ``2h``, a bare number of seconds); 0 is no limit."""
    text = args.get("request-timeout")
    if not text:
        return WATCH_LIMIT
    m = re.fullmatch(r"(\d+(?:\.\d+)?)(ms|s|m|h)?", text)
    if m is None:
        raise KubectlError("error: invalid timeout value. Timeout must be a single integer in seconds, or an "
                           "integer followed by a corresponding time unit (e.g. 1s | 2m | 3h)")
    seconds = float(m.group(1)) * {"ms": 0.001, "s": 1, "m": 60, "h": 3600, None: 1}[m.group(2)]
    return seconds or WATCH_LIMIT


def _watch(cluster: Cluster, args: Args, found: list[Target], printer: Printer | None,
           label_columns: list[str]) -> str:
    """``get -w``: the current objects, then a line per change while the clock advances (see the
    module docstring)."""
    if len({res.kind for res, _ in found}) > 1:
        raise KubectlError("error: you may only specify a single resource type")
    res, names = found[0]
    if args.get("sort-by"):
        from .output import note
        note("warning: --watch requested, --sort-by will be ignored for watch events received")
    all_ns = args.on("all-namespaces")
    ns = None if all_ns else args.namespace
    selector = args.get("selector")
    fields = field_selector(args.get("field-selector") or "", res, selector or "") \
        if args.get("field-selector") else None
    request(cluster, res.kind)
    current = _list(cluster, res, names, ns, selector, fields)
    view = _view(cluster, res.kind)
    wide = (args.get("output") or "") == "wide"
    opts: dict[str, Any] = {"wide": wide, "all_namespaces": all_ns, "show_labels": args.on("show-labels"),
                            "label_columns": label_columns}
    lines: list[str] = []
    widths: list[int] = []
    headers = not args.on("no-headers")
    if printer is None:
        rows = [] if args.on("watch-only") else [_row(cluster, view, res, o, show_kind=False, **opts) for o in current]
        table = [_columns(view, res, **opts), *rows] if headers else rows
        if table:
            lines += TABLE.lines(table)
            widths = _widths(table)
    else:
        if not args.on("watch-only"):
            lines += [print_bodies([o.to_dict()], printer, single=True) for o in current]
    sel = None
    if selector:
        from ..api.labels import parse_selector
        sel = parse_selector(selector)
    seen: dict[str, str | None] = {o.key: o.metadata.resource_version for o in current}
    changes: list[KubeObject] = []

    def watcher(obj: KubeObject, removed: bool) -> None:
        if obj.kind != res.kind or (ns is not None and res.cls.namespaced and obj.namespace != ns):
            return
        if names and obj.name not in names:
            return
        if sel is not None and not sel.matches(obj.metadata.labels):
            return
        if fields is not None and not fields(obj):
            return
        if not removed and seen.get(obj.key) == obj.metadata.resource_version:
            return  # told of without a write: a watch sends nothing
        seen[obj.key] = None if removed else obj.metadata.resource_version
        if printer is None:
            row = _row(cluster, view, res, obj, show_kind=False, **opts)
            widths[:] = _widths([row], widths)
            lines.append(_pad(row, widths))
        else:
            lines.append(print_bodies([obj.to_dict()], printer, single=True))
        changes.append(obj)

    def poll_events() -> None:
        """Events are not stored objects in kitlib: each step, the log's new or repeated events
        are the watch's ADDED and MODIFIED ones."""
        for event in _list(cluster, res, names, ns, selector, fields):
            version = _event_version(event)
            if seen.get(event.key) != version:
                event.metadata.resource_version = version
                watcher(event, False)

    if res.kind == "Event":
        seen.update({e.key: _event_version(e) for e in current})
    limit = _request_timeout(args)
    start = cluster.now
    cluster.api.watch(watcher)
    try:
        quiet_since = None
        while cluster.now - start < limit:
            before = len(changes)
            cluster.advance(min(1.0, limit - (cluster.now - start)))
            if res.kind == "Event":
                poll_events()
            if len(changes) != before:
                quiet_since = cluster.now
            elif quiet_since is not None and cluster.now - quiet_since >= WATCH_QUIET:
                break
    finally:
        cluster.api.unwatch(watcher)
    return "\n".join(lines)


def _event_version(event: KubeObject) -> str:
    """What changes when the recorder writes an event again (its count and last time)."""
    return f"{getattr(event, 'count', '')}/{getattr(event, 'last_timestamp', '')}"


def _widths(rows: list[list[str]], remembered: list[int] | None = None) -> list[int]:
    """The tab writer's column widths over ``rows``, never narrower than those it remembers
    (liggitt/tabwriter's ``RememberWidths``, as kubectl's ``GetNewTabWriter`` sets it)."""
    widths = list(remembered or [])
    for row in rows:
        for j, cell in enumerate(row[:-1]):
            w = max(TABLE.minwidth, len(cell) + TABLE.padding)
            if j < len(widths):
                widths[j] = max(widths[j], w)
            else:
                widths.append(w)
    return widths


def _pad(row: list[str], widths: list[int]) -> str:
    return "".join(c.ljust(widths[j]) if j < len(row) - 1 else c for j, c in enumerate(row))
