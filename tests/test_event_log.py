"""The cluster's event log: what ``kubectl get events`` and ``describe`` list.

client-go's event recorder aggregates an event into an earlier one about the same object with the
same reason, message, type and (kitlib's ``involvedObject.fieldPath``) field path: the earlier
event's count goes up and its last timestamp moves, and no new event is listed. Objects with few
events and objects with thousands (a ReplicaSet's "Created pod: ..." during a large scale) must
aggregate alike.
"""

from __future__ import annotations

import random

from kitlib.events import SMALL, Event, EventLog


class NaiveLog:
    """The aggregation rule itself, by a scan of every earlier event of the object."""

    def __init__(self) -> None:
        self.events: dict[tuple[str, str], list[list]] = {}

    def record(self, kind, key, type_, reason, message, source, now, field_path=""):
        events = self.events.setdefault((kind, key), [])
        for e in events:
            if (e[3], e[4], e[2], e[9]) == (reason, message, type_, field_path):
                e[7], e[8] = now, e[8] + 1
                return
        events.append([kind, key, type_, reason, message, source, now, now, 1, field_path])

    def all(self) -> list[tuple]:
        return [tuple(e) for events in self.events.values() for e in events]


def test_events_aggregate_alike_for_objects_with_few_and_with_many_events():
    """Random events about three objects, one of which gets far more than :data:`SMALL` distinct
    ones, some repeated after that: every step lists what the rule says (order, counts, times)."""
    rng = random.Random(7)
    log, naive = EventLog(), NaiveLog()
    objects = [("Pod", "uid-a"), ("Pod", "uid-b"), ("ReplicaSet", "uid-rs")]
    for step in range(1500):
        kind, key = rng.choice(objects)
        distinct = 4 * SMALL if kind == "ReplicaSet" else 6
        args = (kind, key, rng.choice(["Normal", "Warning"]), rng.choice(["Created", "Started", "BackOff"]),
                f"message {rng.randrange(distinct)}", "kubelet", float(step), rng.choice(["", "spec.containers{web}"]))
        log.record(*args, ref=("default", key))
        naive.record(*args)
        assert log.all() == naive.all()
    assert len(log.for_object("ReplicaSet", "uid-rs")) > SMALL  # the many-event case was reached
    assert all(isinstance(e, Event) for e in log.for_object("Pod", "uid-a"))
    assert max(e.count for e in log.all()) > 1


def test_an_object_is_named_by_its_first_report_that_names_it():
    """``involvedObject``'s namespace and name come from the first report that gives them, even
    after reports that did not (the prober records without them)."""
    log = EventLog()
    log.record("Pod", "uid-a", "Warning", "Unhealthy", "Readiness probe failed", "kubelet", 1.0)
    log.record("Pod", "uid-a", "Normal", "Started", "Started container web", "kubelet", 2.0, ref=("shop", "web-1"))
    log.record("Pod", "uid-a", "Normal", "Killing", "Stopping container web", "kubelet", 3.0, ref=("shop", "web-2"))
    assert log.refs[("Pod", "uid-a")] == ("shop", "web-1")
    assert [e.count for e in log.for_object("Pod", "uid-a")] == [1, 1, 1]
