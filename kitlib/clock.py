"""The simulated clock: a time in seconds and a queue of things due to happen.

Nothing moves until :meth:`kitlib.Cluster.advance` is called, which makes every run
with the same seed identical.
"""

from __future__ import annotations

import functools
import heapq
import itertools
import math
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from typing import Any

EPOCH = datetime(2026, 1, 1, tzinfo=timezone.utc)
"""Simulated time 0, so that timestamps in YAML and describe output are reproducible."""

_Entry = tuple[float, int, Callable[..., Any], tuple[Any, ...]]
"""A queued call: (time, sequence number, function, arguments), ordered by time, then sequence."""

SLOTS_PER_SECOND = 1000.0
"""The queue files calls by millisecond slot (see :class:`Clock`)."""


class Clock:
    """Seconds since :data:`EPOCH` and the event queue ordered by (time, insertion order).

    The queue is a heap of the calls due in the earliest millisecond slots, and an unsorted list
    for each later slot, with a heap of those slots: a call for later goes on its slot's list
    (no comparisons), and a slot's calls become a heap of their own when their slot comes
    (one ``heapify`` of a few dozen). A scale to 30,000 pods queues 30,000 kubelet timers within a
    second; one heap of all of them cost some 15 comparisons a call, each a cache miss on a tuple
    and its time. The order is the single heap's: every call in the heap is in its slot or an
    earlier one, every later list's slot is later than that, and a later slot is a later time
    (:meth:`_push`), so the heap's smallest (time, sequence) is the queue's."""

    def __init__(self) -> None:
        self.now = 0.0
        self._due: list[_Entry] = []
        """A heap of the calls in slot :attr:`_due_slot` or an earlier one."""
        self._due_slot: float = -math.inf
        """The last slot whose calls moved to :attr:`_due`."""
        self._later: dict[float, list[_Entry]] = {}
        """The calls of each slot after :attr:`_due_slot`, unsorted, by slot."""
        self._slots: list[float] = []
        """A heap of :attr:`_later`'s slots."""
        self._seq = itertools.count()
        self._stamp: tuple[int, str] = (0, _format_timestamp(0))
        """The last whole second :meth:`timestamp` formatted and its text (a pure function of the
        second, so it cannot go stale; a pod's steps stamp the same second several times)."""

    def at(self, when: float, fn: Callable[..., Any], *args: Any) -> None:
        """Run ``fn(*args)`` at simulated second ``when`` (now, if that is past), after whatever
        is already queued for the same instant."""
        now = self.now
        # max(when, now), without the builtin's call (a pod queues two timers): the same operand wins.
        self._push((now if now > when else when, next(self._seq), fn, args))

    def after(self, delay: float, fn: Callable[..., Any], *args: Any) -> None:
        """Run ``fn(*args)`` ``delay`` seconds from now (:meth:`at`)."""
        now = self.now
        when = now + delay
        self._push((now if now > when else when, next(self._seq), fn, args))

    def _push(self, entry: _Entry) -> None:
        # The millisecond slot: ``int`` of a correctly rounded product is monotone, so a call in an
        # earlier slot is due strictly earlier. An infinite time (or NaN, which nothing queues)
        # goes after every finite one.
        try:
            slot: float = int(entry[0] * SLOTS_PER_SECOND)
        except (OverflowError, ValueError):
            slot = math.inf
        if slot <= self._due_slot:
            heapq.heappush(self._due, entry)
            return
        later = self._later.get(slot)
        if later is None:
            self._later[slot] = [entry]
            heapq.heappush(self._slots, slot)
        else:
            later.append(entry)

    def _head(self) -> list[_Entry]:
        """The heap that holds the next call (empty if nothing is queued): :attr:`_due`, refilled
        from the next later slot when it ran dry."""
        if not self._due and self._slots:
            slot = heapq.heappop(self._slots)
            self._due = self._later.pop(slot)
            heapq.heapify(self._due)
            self._due_slot = slot
        return self._due

    def pop_due(self, until: float) -> tuple[Callable[..., Any], tuple[Any, ...]] | None:
        """The next event due no later than ``until``, moving the clock to it."""
        due = self._head()
        if due and due[0][0] <= until:
            when, _, fn, args = heapq.heappop(due)
            self.now = max(self.now, when)
            return fn, args
        return None

    def settle(self, limit: float, then: Callable[[], Any]) -> float:
        """Run the queued events in order, calling ``then()`` after each (the controllers' turn),
        until none is due within ``limit`` seconds of the start; the seconds it moved. The clock
        moves as :meth:`pop_due` and an ``advance`` to each next event's time would move it
        (:meth:`kitlib.runtime.Runtime.settle`), without a call and a tuple per event."""
        heappop = heapq.heappop
        start = self.now
        while (due := self._due or self._head()) and due[0][0] - start <= limit:
            until = self.now + (due[0][0] - self.now)  # advance(next - now), to the same float
            while (due := self._due or self._head()) and due[0][0] <= until:
                when, _, fn, args = heappop(due)
                now = self.now
                self.now = when if when > now else now  # max(now, when): the same operand wins
                fn(*args)
                then()
            self.now = until
        return self.now - start

    def cancel(self, fn: Callable[..., Any], match: Callable[[tuple[Any, ...]], bool]) -> None:
        """Drop the queued calls of ``fn`` whose arguments satisfy ``match`` (a timer that is reset)."""
        def kept(entries: list[_Entry]) -> list[_Entry]:
            return [e for e in entries if not (e[2] is fn and match(e[3]))]
        self._due = kept(self._due)
        heapq.heapify(self._due)
        self._later = {slot: rest for slot, entries in self._later.items() if (rest := kept(entries))}
        self._slots = list(self._later)
        heapq.heapify(self._slots)

    def pending(self) -> list[tuple[float, int, str]]:
        """The queued calls as (time, sequence, function name), in the order they will run."""
        entries = self._due + [e for entries in self._later.values() for e in entries]
        return [(when, seq, f"{fn.__module__}.{fn.__qualname__}") for when, seq, fn, _ in sorted(
            entries, key=lambda e: (e[0], e[1]))]

    def next_due(self) -> float | None:
        """The time of the next queued call, or None."""
        due = self._head()
        return due[0][0] if due else None

    def timestamp(self, t: float | None = None) -> str:
        """RFC 3339 time of simulated second ``t`` (default: now), as the API prints it."""
        second = int(self.now if t is None else t)
        stamp = self._stamp
        if stamp[0] != second:
            stamp = self._stamp = (second, _format_timestamp(second))
        return stamp[1]


@functools.lru_cache(maxsize=4096)
def _format_timestamp(seconds: int) -> str:
    return (EPOCH + timedelta(seconds=seconds)).strftime("%Y-%m-%dT%H:%M:%SZ")


@functools.lru_cache(maxsize=4096)  # controllers parse the same few timestamps over and over
def parse_timestamp(ts: str) -> float:
    """Simulated seconds of an RFC 3339 timestamp written by :meth:`Clock.timestamp`."""
    moment = datetime.strptime(ts, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)
    return (moment - EPOCH).total_seconds()


def human_duration(seconds: float) -> str:
    """kubectl's AGE: ``apimachinery/pkg/util/duration.HumanDuration``."""
    s = int(seconds)
    if s < -1:
        return "<invalid>"
    if s < 0:
        return "0s"  # up to 2 s in the future counts as now (clock skew between machines)
    if s < 120:
        return f"{s}s"
    m = s // 60
    if m < 10:
        return f"{m}m{s % 60}s" if s % 60 else f"{m}m"
    if m < 180:
        return f"{m}m"
    h = s // 3600
    if h < 8:
        return f"{h}h{m % 60}m" if m % 60 else f"{h}h"
    if h < 48:
        return f"{h}h"
    if h < 24 * 8:
        return f"{h // 24}d{h % 24}h" if h % 24 else f"{h // 24}d"
    if h < 24 * 365 * 2:
        return f"{h // 24}d"
    if h < 24 * 365 * 8:
        d = h // 24
        return f"{d // 365}y{d % 365}d" if d % 365 else f"{d // 365}y"
    return f"{h // 24 // 365}y"
