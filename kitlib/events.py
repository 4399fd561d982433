"""Events: what controllers and kubelets report about an object (``kubectl describe`` shows them)."""

from __future__ import annotations

from typing import NamedTuple


class Event(NamedTuple):
    """One event, aggregated as the event recorder does (same reason and message: count goes up)."""

    kind: str
    key: str
    type: str
    reason: str
    message: str
    source: str
    first_seen: float
    last_seen: float
    count: int = 1  # type: ignore[assignment]  # the Event field shadows tuple.count, as intended
    field_path: str = ""
    """``involvedObject.fieldPath``: the part of the object it is about, ``spec.containers{web}``
    for a kubelet's event about one container (``GenerateContainerRef``)."""


SMALL = 16
"""How many events of one object :class:`EventLog` keeps in a tuple before it takes a list."""

_as_event = tuple.__new__  # an Event from a plain tuple, without NamedTuple's __new__ written in Python


class EventLog:
    """The events of a cluster. They are kept as plain tuples, which the garbage collector stops
    looking at once it has seen them (a Deployment scaled to 30,000 pods records about 180,000
    events), and handed out as :class:`Event`.

    An object's first :data:`SMALL` events are a tuple of them too, replaced at each new event (a
    pod has about six), and a new event is compared with those few to find the one it aggregates
    into: a list and six index entries per pod would be that many more objects for the collector
    to walk. Past :data:`SMALL`, they are a list, indexed by what aggregates them (a ReplicaSet
    scaled to 30,000 pods has 30,000 distinct "Created pod" events: a scan was quadratic)."""

    def __init__(self) -> None:
        self._by_object: dict[tuple[str, str], tuple[tuple, ...] | list[tuple]] = {}
        # Where each event is in its object's list, by what aggregates it (objects past SMALL only).
        self._similar: dict[tuple[str, str, str, str, str, str], int] = {}
        self.refs: dict[tuple[str, str], tuple[str, str]] = {}
        """(kind, key) -> the object's (namespace, name) when it was first reported on: an Event
        names its object (``involvedObject``), which may be gone since."""

    def record(self, kind: str, key: str, type_: str, reason: str, message: str, source: str, now: float,
               field_path: str = "", ref: tuple[str, str] | None = None) -> None:
        """Record an event about the object ``(kind, key)``, or count it again in the similar one
        already recorded (same reason, message, type and field path, as the event recorder's
        aggregation); ``ref``: the object's (namespace, name), kept from its first report that
        gives one."""
        about = (kind, key)  # built once: a scale to 30,000 pods records about 180,000 events
        by_object = self._by_object
        events = by_object.get(about)
        if events is None:  # the object's first event (so it has no ref yet either)
            if ref is not None:
                self.refs[about] = ref
            by_object[about] = ((kind, key, type_, reason, message, source, now, now, 1, field_path),)
            return
        if ref is not None and about not in self.refs:
            self.refs[about] = ref
        if isinstance(events, tuple):
            for i, e in enumerate(events):
                if e[3] == reason and e[4] == message and e[2] == type_ and e[9] == field_path:
                    by_object[about] = (*events[:i], (*e[:7], now, e[8] + 1, e[9]), *events[i + 1:])
                    return
            if len(events) < SMALL:
                by_object[about] = (*events, (kind, key, type_, reason, message, source, now, now, 1, field_path))
                return
            events = by_object[about] = list(events)  # from now on a list, and its index
            for i, e in enumerate(events):
                self._similar[(kind, key, e[3], e[4], e[2], e[9])] = i
        similar = (kind, key, reason, message, type_, field_path)
        at = self._similar.get(similar)
        if at is not None:
            e = events[at]
            events[at] = (*e[:7], now, e[8] + 1, e[9])
            return
        self._similar[similar] = len(events)
        events.append((kind, key, type_, reason, message, source, now, now, 1, field_path))

    def for_object(self, kind: str, key: str) -> list[Event]:
        """The events about one object, oldest first."""
        return [_as_event(Event, e) for e in self._by_object.get((kind, key), ())]

    def all(self) -> list[Event]:
        """Every event, grouped by object in the order the objects were first reported on."""
        return [_as_event(Event, e) for events in self._by_object.values() for e in events]
