"""Random sequences of valid and invalid calls of kitlib's public surface (seeded, no hypothesis).

Two properties over at least ``MIN_OPERATIONS`` operations:

* a call that raises :class:`kitlib.ApiError` leaves the whole cluster as it was
  (:meth:`kitlib.Cluster.state` says what "the whole cluster" is), and no call lets a plain Python
  exception out of the internals;
* the same seed and the same operations give the same outputs and the same final state.

An operation is a *shape* (what is called: ``kubectl create deployment``, ``cluster.scale``, ...)
with arguments drawn from small pools (all in ``tests/fuzzing.py``), so that names already in use
are hit often and about half the calls are invalid. Pods are picked by index among the live pods when the call runs, so the
same sequence replays on a second cluster.
"""

from __future__ import annotations

import time
from collections import Counter

from fuzzing import MIN_OPERATIONS, OPS_PER_SEED, fuzz_ops, run_all


def _seeds() -> range:
    """Enough seeds of ``OPS_PER_SEED`` operations for ``KITLIB_FUZZ_OPS`` (10,000 in CI)."""
    total = max(fuzz_ops(MIN_OPERATIONS), MIN_OPERATIONS)
    return range(-(-total // OPS_PER_SEED))


def test_random_operations_fail_atomically_and_replay_deterministically():
    """Over 10,000 random calls (about half invalid; ``KITLIB_FUZZ_OPS`` asks for more): every
    failure is an ApiError that changes nothing, and two clusters with the same seed given the same
    calls print and end the same."""
    start = time.perf_counter()
    executed, failed, problems = run_all(_seeds())
    elapsed = time.perf_counter() - start
    print(f"{executed} operations, {failed} of them failed, in {elapsed:.1f}s")
    assert executed >= MIN_OPERATIONS
    assert 0.3 < failed / executed < 0.7  # both halves of the mix are really exercised
    by_shape = Counter(p.op.shape for p in problems)
    assert not problems, f"{len(problems)} violations {dict(by_shape)}, the first ones:\n" + "\n".join(
        str(p) for p in problems[:15])


def test_the_snapshot_sees_a_change_made_through_a_verb(cluster):
    """The atomicity check is not vacuous: a scale, a label, time passing and a new Service each
    show up in the snapshot."""
    cluster.kubectl("create deployment web --image=nginx --replicas=2 --port=80")
    before = cluster.state()
    assert cluster.state() == before
    cluster.scale("web", 3)
    after_scale = cluster.state()
    assert after_scale != before
    cluster.label("Deployment", "web", {"tier": "front"})
    assert cluster.state() != after_scale
    moved = cluster.state()
    cluster.advance(1)
    assert cluster.state() != moved
    quiet = cluster.state()
    cluster.kubectl("expose deployment web --port=80 --type=NodePort")
    assert cluster.state() != quiet
    settled = cluster.state()
    cluster.set_proxy_mode("ipvs")
    assert cluster.state() != settled
