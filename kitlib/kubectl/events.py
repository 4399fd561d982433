"""kubectl for Events and ServiceAccounts.

Events: kitlib's API server keeps its events in an :class:`~kitlib.events.EventLog`;
:func:`objects` reads them as the core/v1 Event objects a real API server stores, as the event
recorder writes them (``k8s.io/client-go/tools/record``, ``makeEvent``):

* named ``<object name>.<first time, in Unix nanoseconds, hex>`` (``%v.%x``), in the object's namespace
  (``default`` for a Node's);
* ``count``, ``firstTimestamp`` and ``lastTimestamp`` from the recorder's aggregation;
* kept one hour after they were last seen (kube-apiserver's ``--event-ttl=1h``);
* listed in the order the API server lists them: by namespace, then name (etcd's key order).

kitlib does not store them as objects, so their UIDs are not drawn from any random stream: each
is derived from the event's name, and the cluster's random draws stay as they were.

The ``get events`` columns are ``printEvent``'s (``pkg/printers/internalversion/printers.go``):
LAST SEEN, TYPE, REASON, OBJECT (``kind/name`` in lower case), MESSAGE; ``-o wide`` adds
SUBOBJECT, SOURCE, FIRST SEEN, COUNT and NAME, in that order among them. Since kubectl 1.30 the
list is not sorted by time (``printEventList`` no longer sorts): ``--sort-by=.lastTimestamp`` does.

ServiceAccounts: NAME, SECRETS (the ``secrets`` list, empty since 1.24), AGE (``printServiceAccount``).
"""

from __future__ import annotations

import hashlib
import uuid
from typing import TYPE_CHECKING

from ..api.event import Event, EventSource, ObjectReference, ServiceAccount
from ..api.meta import ObjectMeta
from ..api.registry import RESOURCES
from ..clock import EPOCH, human_duration, parse_timestamp
from ..controllers.prober import catch_up
from .describe import annotation_lines, labels_lines
from .printers import age
from .tabwriter import DESCRIBE
from .view import View

if TYPE_CHECKING:
    from ..cluster import Cluster
    from ..events import Event as LoggedEvent

EVENT_TTL = 3600.0
"""kube-apiserver's ``--event-ttl`` (1h): how long an event is kept after it was last seen."""
_HOSTED = ("kubelet", "kube-proxy")
"""The components that report from a node: their events name it as ``source.host``."""


def objects(cluster: Cluster, namespace: str | None) -> list[Event]:
    """The Events of ``namespace`` (None: all), as the API server lists them."""
    catch_up(cluster.runtime)  # probe runs not yet written to the event log, as describe pod does
    now = cluster.now
    log = cluster.api.events
    out = []
    for sequence, e in enumerate(log.all()):
        if e.last_seen < now - EVENT_TTL:
            continue
        event = _event(cluster, e, log.refs.get((e.kind, e.key)), sequence)
        if namespace is None or event.namespace == namespace:
            out.append(event)
    # Events a client created itself (kubectl apply of an Event) are stored as any object.
    out += [e for e in cluster.api.store.items("Event", namespace) if isinstance(e, Event)]
    return sorted(out, key=lambda ev: (ev.namespace, ev.name))


def _event(cluster: Cluster, e: LoggedEvent, ref: tuple[str, str] | None, sequence: int) -> Event:
    """One logged event as the Event object the recorder would have written. Its name's time has
    the event's place in the log added as nanoseconds: kitlib's clock gives events of one moment
    the same time, the recorder's ``time.Now()`` never does."""
    res = RESOURCES.get(e.kind)
    namespace, name = ref if ref is not None else (e.key.rpartition("/")[0], e.key.rpartition("/")[2])
    uid = e.key if "/" not in e.key and ref is not None and e.key != name else None
    nanos = int(round((EPOCH.timestamp() + e.first_seen) * 1e9)) + sequence
    event_name = f"{name}.{nanos:x}"
    event_ns = namespace or "default"
    host = _host(cluster, e.kind, namespace, name) if e.source in _HOSTED else None
    clock = cluster.api.clock
    digest = hashlib.sha1(f"{event_ns}/{event_name}".encode()).digest()[:16]
    return Event(
        metadata=ObjectMeta(name=event_name, namespace=event_ns, uid=str(uuid.UUID(bytes=digest, version=4)),
                            creation_timestamp=clock.timestamp(e.first_seen)),
        involved_object=ObjectReference(kind=e.kind, namespace=namespace or None, name=name, uid=uid,
                                        api_version=res.cls.api_version if res else None,
                                        field_path=e.field_path or None),
        reason=e.reason, message=e.message, source=EventSource(component=e.source, host=host),
        first_timestamp=clock.timestamp(e.first_seen), last_timestamp=clock.timestamp(e.last_seen),
        count=e.count, type=e.type, reporting_component=e.source, reporting_instance=host or "",
        extra={"eventTime": None})


def _host(cluster: Cluster, kind: str, namespace: str, name: str) -> str | None:
    """The node a kubelet's or kube-proxy's event came from: the pod's node, or the Node itself."""
    if kind == "Node":
        return name
    obj = cluster.api.store.get(kind, f"{namespace}/{name}" if namespace else name)
    spec = getattr(obj, "spec", None)
    return getattr(spec, "node_name", None) or None


def _source(event: Event) -> str:
    """``formatEventSource``: ``component, host``, or the reporting controller and instance."""
    component = event.source.component or event.reporting_component or ""
    host = event.source.host or event.reporting_instance or ""
    return f"{component}, {host}" if host else component


def _since(cluster: Cluster, ts: str | None) -> str:
    return human_duration(cluster.now - parse_timestamp(ts)) if ts else "<unknown>"


def _event_row(cluster: Cluster, event: Event, wide: bool) -> list[str]:
    first = _since(cluster, event.first_timestamp)
    last = _since(cluster, event.last_timestamp) if event.last_timestamp else first
    ref = event.involved_object
    target = f"{ref.kind.lower()}/{ref.name}" if ref.name else ref.kind.lower()
    message = (event.message or "").strip()
    if wide:
        return [last, event.type or "", event.reason or "", target, ref.field_path or "", _source(event), message,
                first, str(event.count or 1), event.name]
    return [last, event.type or "", event.reason or "", target, message]


def _sa_row(cluster: Cluster, sa: ServiceAccount, wide: bool) -> list[str]:
    return [sa.name, str(len(sa.secrets)), age(cluster, sa)]


def _describe_sa(cluster: Cluster, sa: ServiceAccount) -> str:
    """``describeServiceAccount``: its image pull secrets, mountable secrets and tokens (none here)."""
    lines = [f"Name:\t{sa.name}", f"Namespace:\t{sa.namespace}", *labels_lines("Labels", sa.metadata.labels),
             *annotation_lines(sa.metadata.annotations),
             f"Image pull secrets:\t{', '.join(s.name for s in sa.image_pull_secrets) or '<none>'}",
             f"Mountable secrets:\t{', '.join(s.name for s in sa.secrets) or '<none>'}",
             "Tokens:\t<none>", "Events:\t<none>"]
    return DESCRIBE.format("\n".join(lines))


EVENT_COLUMNS = ("LAST SEEN", "TYPE", "REASON", "OBJECT", "MESSAGE")
VIEWS = (
    View("Event", EVENT_COLUMNS, ("SUBOBJECT", "SOURCE", "FIRST SEEN", "COUNT", "NAME"), _event_row,
         wide_order=("LAST SEEN", "TYPE", "REASON", "OBJECT", "SUBOBJECT", "SOURCE", "MESSAGE", "FIRST SEEN", "COUNT",
                     "NAME")),
    View("ServiceAccount", ("NAME", "SECRETS", "AGE"), (), _sa_row, _describe_sa),
)
"""The views this module gives :mod:`.kinds`."""
