"""The simulated clock: calls run in the order of their time, then of their queueing, wherever in
its queue they wait; timestamps follow the clock."""

from __future__ import annotations

import heapq
import itertools
import math
import random

from kitlib.clock import Clock


def _random_run(seed: int) -> tuple[list[int], list[int]]:
    """Random calls over many milliseconds (some at the same instant, some in the past, some queued
    from inside a call, a third cancelled now and then) on a :class:`Clock` and on one heap of
    (time, sequence); the calls the clock ran and those the heap handed out, in order. Every step
    also checks ``pending``, ``next_due`` and the clock's time against the heap."""
    rng = random.Random(seed)
    clock = Clock()
    ref: list[tuple[float, int, int]] = []
    seq, ids = itertools.count(), itertools.count()
    ran: list[int] = []
    expected: list[int] = []

    def queue(when: float) -> None:
        i = next(ids)
        clock.at(when, fire, i)
        heapq.heappush(ref, (max(when, clock.now), next(seq), i))

    def fire(i: int) -> None:
        ran.append(i)
        if rng.random() < 0.3:  # often in the same millisecond, or now
            queue(clock.now + rng.choice([0.0, 0.0002, rng.uniform(0, 0.01), rng.uniform(0, 3)]))

    for step in range(40):
        for _ in range(rng.randrange(0, 60)):
            queue(clock.now + rng.choice([-1.0, 0.0, 0.0005, rng.uniform(0, 0.002), rng.uniform(0, 5)]))
        if step % 9 == 4:  # reset a third of the timers, as a progress deadline is reset
            clock.cancel(fire, lambda args: args[0] % 3 == 0)
            ref[:] = [e for e in ref if e[2] % 3]
            heapq.heapify(ref)
        assert [(t, s) for t, s, _ in clock.pending()] == [(t, s) for t, s, _ in sorted(ref)]
        assert clock.next_due() == (ref[0][0] if ref else None)
        until = clock.now + rng.uniform(0, 2)
        while (due := clock.pop_due(until)) is not None:
            when, _, i = heapq.heappop(ref)
            fn, args = due
            assert (clock.now, args) == (max(when, clock.now), (i,))
            expected.append(i)
            fn(*args)
        clock.now = until
    return ran, expected


def test_calls_run_in_time_then_queueing_order():
    """Whatever their times (the same instant, the same millisecond, the past, seconds apart) and
    whether they were queued before a run or by a call during it, calls run as one queue ordered
    by (time, insertion order) would run them; the clock ends at the last one's time."""
    clock = Clock()
    order: list[str] = []
    times = [0.5, 0.5, 0.0001, 0.0004, 2.0, 0.50001, 0.4999, 7.25, 0.5]
    for i, when in enumerate(times):
        clock.at(when, order.append, f"c{i}")
    clock.at(0.5, lambda: clock.at(0.5, order.append, "queued-during-run"))
    clock.at(0.5004, lambda: clock.after(0.0, order.append, "after-0"))
    clock.settle(10, lambda: None)
    assert order == ["c2", "c3", "c6", "c0", "c1", "c8", "queued-during-run", "c5", "after-0", "c4", "c7"]
    assert clock.now == 7.25
    assert clock.next_due() is None and clock.pending() == []


def test_bucketed_queue_matches_a_single_heap():
    """Random calls over many milliseconds, queued from inside calls and partly cancelled, run in
    exactly the order one heap of (time, sequence) gives them; ``pending`` lists the same queue."""
    for seed in range(6):
        ran, expected = _random_run(seed)
        assert ran == expected and len(ran) > 500


def test_far_and_infinite_times_wait_behind_the_rest():
    """A call at an infinite time never comes due within a finite wait, and waits behind any finite one."""
    clock = Clock()
    order: list[str] = []
    clock.at(math.inf, order.append, "never")
    clock.at(1e300, order.append, "far")
    clock.at(1.0, order.append, "soon")
    clock.settle(5, lambda: None)
    assert order == ["soon"] and clock.next_due() == 1e300
    assert [when for when, _, _ in clock.pending()] == [1e300, math.inf]
    assert clock.pop_due(1e301) is not None and order == ["soon"]  # handed out, not run
    assert clock.pop_due(1e308) is None and clock.next_due() == math.inf


def test_timestamp_follows_the_clock():
    """Timestamps are RFC 3339 seconds of the simulated time (cut to the second), whenever the
    clock moves, within a second, across one, or back to the boot's negative time."""
    clock = Clock()
    assert clock.timestamp() == "2026-01-01T00:00:00Z"
    clock.now = 0.9
    assert clock.timestamp() == "2026-01-01T00:00:00Z"
    clock.now = 61.2
    assert clock.timestamp() == "2026-01-01T00:01:01Z"
    assert clock.timestamp(3600) == "2026-01-01T01:00:00Z"
    assert clock.timestamp() == "2026-01-01T00:01:01Z"
    clock.now = -1.5
    assert clock.timestamp() == "2025-12-31T23:59:59Z"
