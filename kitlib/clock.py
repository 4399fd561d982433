"""The simulated clock: a time in seconds and a queue of things due to happen.

Nothing moves until :meth:`kitlib.Cluster.advance` is called, which makes every run
with the same seed identical.
"""

from __future__ import annotations

import functools
import heapq
import itertools
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from typing import Any

EPOCH = datetime(2026, 1, 1, tzinfo=timezone.utc)
"""Simulated time 0, so that timestamps in YAML and describe output are reproducible."""


class Clock:
    """Seconds since :data:`EPOCH` and the event queue ordered by (time, insertion order)."""

    def __init__(self) -> None:
        self.now = 0.0
        self._queue: list[tuple[float, int, Callable[..., Any], tuple[Any, ...]]] = []
        self._seq = itertools.count()

    def at(self, when: float, fn: Callable[..., Any], *args: Any) -> None:
        heapq.heappush(self._queue, (max(when, self.now), next(self._seq), fn, args))

    def after(self, delay: float, fn: Callable[..., Any], *args: Any) -> None:
        self.at(self.now + delay, fn, *args)

    def pop_due(self, until: float) -> tuple[Callable[..., Any], tuple[Any, ...]] | None:
        """The next event due no later than ``until``, moving the clock to it."""
        if self._queue and self._queue[0][0] <= until:
            when, _, fn, args = heapq.heappop(self._queue)
            self.now = max(self.now, when)
            return fn, args
        return None

    def cancel(self, fn: Callable[..., Any], match: Callable[[tuple[Any, ...]], bool]) -> None:
        """Drop the queued calls of ``fn`` whose arguments satisfy ``match`` (a timer that is reset)."""
        self._queue[:] = [e for e in self._queue if not (e[2] is fn and match(e[3]))]
        heapq.heapify(self._queue)

    def pending(self) -> list[tuple[float, int, str]]:
        """The queued calls as (time, sequence, function name), in the order they will run."""
        return [(when, seq, f"{fn.__module__}.{fn.__qualname__}") for when, seq, fn, _ in sorted(
            self._queue, key=lambda e: (e[0], e[1]))]

    def next_due(self) -> float | None:
        return self._queue[0][0] if self._queue else None

    def timestamp(self, t: float | None = None) -> str:
        """RFC 3339 time of simulated second ``t`` (default: now), as the API prints it."""
        return _format_timestamp(int(self.now if t is None else t))


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
