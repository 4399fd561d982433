"""The engine of ``kubectl describe``: what every kind's describer writes its report with.

Two layouts, both through :mod:`.tabwriter`:

* kubectl's prefix writer (Services, Endpoints, EndpointSlices, Ingresses, IngressClasses,
  Secrets): the describer writes ``Label:\\tvalue`` lines, :func:`labels_lines` and
  :func:`annotation_lines` among them, and :func:`with_events` aligns them with the
  :data:`~.tabwriter.DESCRIBE` preset and adds the events;
* field groups (Pods, Nodes, Deployments): :func:`fields` aligns each group of ``Label: value``
  on its own (:data:`~.tabwriter.FIELDS`), :func:`table` draws the condition tables in
  ``get``'s layout and :func:`events` the events.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import TYPE_CHECKING

from ..api.meta import KubeObject
from ..api.pod import ContainerPort
from ..clock import EPOCH, human_duration, parse_timestamp
from ..controllers.deployment import LAST_APPLIED
from .tabwriter import DESCRIBE, FIELDS, TABLE

if TYPE_CHECKING:
    from ..cluster import Cluster

MAX_ANNOTATION_LEN = 140
"""Longer annotations go on lines of their own (``printAnnotationsMultiline``)."""
EVENT_HEADERS = [["Type", "Reason", "Age", "From", "Message"], ["----", "------", "----", "----", "-------"]]
"""The events table's headers and the rule under them."""


def format_time(ts: str | None) -> str:
    """A timestamp as describe prints it: ``Thu, 01 Jan 2026 00:00:14 +0000``, or ``<unset>``."""
    if not ts:
        return "<unset>"
    moment = EPOCH + timedelta(seconds=parse_timestamp(ts))
    return moment.strftime("%a, %d %b %Y %H:%M:%S +0000")


# ------------------------------------------------------------------------------ prefix writer


def labels_lines(title: str, labels: dict[str, str]) -> list[str]:
    """``printLabelsMultiline``: one ``key=value`` a line, continuation lines under the value."""
    if not labels:
        return [f"{title}:\t<none>"]
    return [f"{title if i == 0 else ''}{':' if i == 0 else ''}\t{k}={v}"
            for i, (k, v) in enumerate(sorted(labels.items()))]


def annotation_lines(annotations: dict[str, str]) -> list[str]:
    """``printAnnotationsMultiline``: long or multi-line values go on their own lines; the
    last-applied configuration is left out."""
    keys = sorted(k for k in annotations if k != LAST_APPLIED)
    if not keys:
        return ["Annotations:\t<none>"]
    out: list[str] = []
    for i, key in enumerate(keys):
        head = "Annotations:\t" if i == 0 else "\t"
        value = annotations[key].removesuffix("\n")
        if len(value) + len(key) + 2 > MAX_ANNOTATION_LEN or "\n" in value:
            out.append(f"{head}{key}:")
            limit = MAX_ANNOTATION_LEN - 2
            out += [f"\t  {s[:limit] + '...' if len(s) > limit else s}" for s in value.split("\n")]
        else:
            out.append(f"{head}{key}: {value}")
    return out


def with_events(cluster: Cluster, obj: KubeObject, lines: list[str]) -> str:
    """The describer's lines aligned, then ``DescribeEvents``: ``Events: <none>`` in the same
    block, or the events table, which kubectl aligns on its own after flushing the writer."""
    rows = _event_rows(cluster, obj)
    if not rows:
        return DESCRIBE.format("\n".join(lines + ["Events:\t<none>"]))
    cells = [["  " + r[0], *r[1:4], r[4].strip()] for r in [*EVENT_HEADERS, *rows]]
    return DESCRIBE.format("\n".join(lines)) + "\nEvents:\n" + "\n".join(DESCRIBE.lines(cells))


# ------------------------------------------------------------------------------- field groups


def label_values(labels: dict[str, str]) -> list[str]:
    """Labels as a field's values: ``key=value`` each, sorted, or ``<none>``."""
    return [f"{k}={v}" for k, v in sorted(labels.items())] or ["<none>"]


def annotation_values(annotations: dict[str, str]) -> list[str]:
    """Annotations as a field's values: ``key: value`` each (``printAnnotationsMultiline``),
    without the last-applied configuration."""
    return [f"{k}: {v}" for k, v in sorted(annotations.items()) if k != LAST_APPLIED] or ["<none>"]


Field = tuple[str, object]
"""``(label, value)``: a value that is a list prints one item a line; None prints the label alone."""


def fields(pairs: Sequence[Field], indent: int = 0) -> list[str]:
    """One group of ``Label:  value`` lines, the values aligned one space after the widest label."""
    pad = "  " * indent
    rows: list[list[str]] = []
    for label, value in pairs:
        if value is None:
            rows.append([f"{pad}{label}:"])
            continue
        first, *rest = [str(x) for x in value] if isinstance(value, list) else [str(value)]
        rows.append([f"{pad}{label}:", first])
        rows += [[pad, x] for x in rest]
    return FIELDS.lines(rows)


def container_ports(ports: Sequence[ContainerPort]) -> list[Field]:
    """A container's ``Port`` and ``Host Port`` lines (``describeContainerBasicInfo``): each port
    ``80/TCP``, since kubectl 1.33 followed by its name, ``80/TCP (http)``; ``Ports`` and ``Host Ports``
    when there are several, ``<none>`` when there is none."""
    def join(numbers: Sequence[int]) -> str:
        return ", ".join(f"{n}/{p.protocol or 'TCP'}" + (f" ({p.name})" if p.name else "")
                         for n, p in zip(numbers, ports, strict=True))
    shown = join([p.container_port for p in ports])
    host = join([p.host_port or 0 for p in ports])
    return [("Ports" if "," in shown else "Port", shown or "<none>"),
            ("Host Ports" if "," in host else "Host Port", host or "<none>")]


def table(headers: list[str], rows: list[list[str]]) -> list[str]:
    """A table in ``kubectl get``'s layout (the describers put a ``----`` row first themselves)."""
    return TABLE.lines([headers, *rows])


def events(cluster: Cluster, obj: KubeObject) -> str:
    """The ``Events:`` section of the field-group layout, oldest first."""
    rows = _event_rows(cluster, obj)
    if not rows:
        return "Events:            <none>"
    return "Events:\n" + "\n".join("  " + line for line in table(EVENT_HEADERS[0], [EVENT_HEADERS[1], *rows]))


def _event_rows(cluster: Cluster, obj: KubeObject) -> list[list[str]]:
    """Type, reason, age (``5s (x3 over 2m)`` when repeated), source and message of each event,
    sorted by time as kubectl sorts them (``SortableEvents``). Since kubectl 1.33 the message of an
    event about part of the object starts with that part: ``spec.containers{web}: Started container web``."""
    found = sorted(cluster.events.for_object(obj.kind, obj.metadata.uid or obj.key), key=lambda e: e.last_seen)
    rows = []
    for e in found:
        age = human_duration(cluster.now - e.last_seen)
        if e.count > 1:
            age = f"{age} (x{e.count} over {human_duration(cluster.now - e.first_seen)})"
        message = f"{e.field_path}: {e.message.strip()}" if e.field_path else e.message
        rows.append([e.type, e.reason, age, e.source, message])
    return rows
