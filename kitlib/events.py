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


_as_event = tuple.__new__  # an Event from a plain tuple, without NamedTuple's __new__ written in Python


class EventLog:
    """The events of a cluster. They are kept as plain tuples, which the garbage collector stops
    looking at once it has seen them (a Deployment scaled to 30,000 pods records about 180,000
    events), and handed out as :class:`Event`."""

    def __init__(self) -> None:
        self._by_object: dict[tuple[str, str], list[tuple]] = {}
        # Where each event is in its object's list, by what aggregates it: a ReplicaSet scaled to
        # 30,000 pods has 30,000 distinct "Created pod" events, and looking each new one up in a
        # list was quadratic.
        self._similar: dict[tuple[str, str, str, str, str, str], int] = {}
        self.refs: dict[tuple[str, str], tuple[str, str]] = {}
        """(kind, key) -> the object's (namespace, name) when it was first reported on: an Event
        names its object (``involvedObject``), which may be gone since."""

    def record(self, kind: str, key: str, type_: str, reason: str, message: str, source: str, now: float,
               field_path: str = "", ref: tuple[str, str] | None = None) -> None:
        about = (kind, key)  # built once: a scale to 30,000 pods records about 180,000 events
        if ref is not None and about not in self.refs:
            self.refs[about] = ref
        similar = (kind, key, reason, message, type_, field_path)
        events = self._by_object.get(about)
        i = self._similar.get(similar)
        if events is not None and i is not None:
            e = events[i]
            events[i] = (*e[:7], now, e[8] + 1, e[9])
            return
        if events is None:
            events = self._by_object[about] = []
        self._similar[similar] = len(events)
        events.append((kind, key, type_, reason, message, source, now, now, 1, field_path))

    def for_object(self, kind: str, key: str) -> list[Event]:
        """The events about one object, oldest first."""
        return [_as_event(Event, e) for e in self._by_object.get((kind, key), ())]

    def all(self) -> list[Event]:
        """Every event, grouped by object in the order the objects were first reported on."""
        return [_as_event(Event, e) for events in self._by_object.values() for e in events]
