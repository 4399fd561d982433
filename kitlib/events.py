"""Events: what controllers and kubelets report about an object (``kubectl describe`` shows them)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class Event:
    """One event, aggregated as the event recorder does (same reason and message: count goes up)."""

    kind: str
    key: str
    type: str
    reason: str
    message: str
    source: str
    first_seen: float
    last_seen: float
    count: int = 1


class EventLog:
    def __init__(self) -> None:
        self._by_object: dict[tuple[str, str], list[Event]] = {}
        # The same events by what aggregates them: a ReplicaSet scaled to 30,000 pods has 30,000
        # distinct "Created pod" events, and looking each new one up in a list was quadratic.
        self._similar: dict[tuple[str, str, str, str, str], Event] = {}

    def record(self, kind: str, key: str, type_: str, reason: str, message: str, source: str, now: float) -> None:
        similar = (kind, key, reason, message, type_)
        e = self._similar.get(similar)
        if e is not None:
            e.count += 1
            e.last_seen = now
            return
        e = Event(kind, key, type_, reason, message, source, now, now)
        events = self._by_object.get((kind, key))
        if events is None:
            self._by_object[(kind, key)] = [e]
        else:
            events.append(e)
        self._similar[similar] = e

    def for_object(self, kind: str, key: str) -> list[Event]:
        """The events about one object, oldest first."""
        return list(self._by_object.get((kind, key), []))

    def all(self) -> list[Event]:
        """Every event, grouped by object in the order the objects were first reported on."""
        return [e for events in self._by_object.values() for e in events]
