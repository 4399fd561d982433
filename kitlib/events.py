"""Events: what controllers and kubelets report about an object (``kubectl describe`` shows them)."""

from __future__ import annotations

from typing import NamedTuple


class Event(NamedTuple):
    """One event, aggregated as the event recorder does (same reason and message: count goes up).

    A tuple of plain values, so that the garbage collector stops looking at it once it has seen it
    (a Deployment scaled to 30,000 pods records about 180,000 events)."""

    kind: str
    key: str
    type: str
    reason: str
    message: str
    source: str
    first_seen: float
    last_seen: float
    count: int = 1  # type: ignore[assignment]  # the Event field shadows tuple.count, as intended


_new_event = tuple.__new__  # Event(...) without NamedTuple's __new__ written in Python


class EventLog:
    def __init__(self) -> None:
        self._by_object: dict[tuple[str, str], list[Event]] = {}
        # Where each event is in its object's list, by what aggregates it: a ReplicaSet scaled to
        # 30,000 pods has 30,000 distinct "Created pod" events, and looking each new one up in a
        # list was quadratic.
        self._similar: dict[tuple[str, str, str, str, str], int] = {}

    def record(self, kind: str, key: str, type_: str, reason: str, message: str, source: str, now: float) -> None:
        similar = (kind, key, reason, message, type_)
        events = self._by_object.get((kind, key))
        i = self._similar.get(similar)
        if events is not None and i is not None:
            e = events[i]
            events[i] = e._replace(count=e.count + 1, last_seen=now)
            return
        e = _new_event(Event, (kind, key, type_, reason, message, source, now, now, 1))
        if events is None:
            events = self._by_object[(kind, key)] = []
        self._similar[similar] = len(events)
        events.append(e)

    def for_object(self, kind: str, key: str) -> list[Event]:
        """The events about one object, oldest first."""
        return list(self._by_object.get((kind, key), []))

    def all(self) -> list[Event]:
        """Every event, grouped by object in the order the objects were first reported on."""
        return [e for events in self._by_object.values() for e in events]
