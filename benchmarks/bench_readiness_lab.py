"""Benchmark: a readiness-lab interaction at workshop scale, from the event to the timeline and
the success-rate figure updated in the kernel.

A cluster of 3 nodes is built with a Deployment ``web`` of 10 ``kitlib/webapp`` pods and a
ClusterIP Service ``web`` (not timed), and a :class:`kitlib.widgets.ReadinessLab` is opened on it
with 10 requests/s of steady traffic from a node; the readiness probe is switched on and a
minute recorded (not timed). Then, repeatedly, each control is used once (its observer or click
handler runs at once: one engine call, then both figures, the pod picker and the kubectl table
are redrawn):

* periodSeconds 2 → 3 → 2 (``cluster.apply`` of the Deployment: a rollout starts);
* break readiness on and off for one pod (``cluster.set_fault``);
* "+1 s" and "+10 s" (``History.run``: traffic spread over the time, the clock, a sample a second);
* roll out the bad and then the good version (``kubectl set image``).

Between interactions 30 s are recorded off the clock, so the timeline keeps growing as in a
session. Target: 50 ms per interaction (median).

    python benchmarks/bench_readiness_lab.py
    python benchmarks/bench_readiness_lab.py --repeat 20     # default 10 of each
    python benchmarks/bench_readiness_lab.py --strict        # exit code 1 on FAIL
"""

from __future__ import annotations

import sys

from _util import Result, lab_main, timed

import kitlib

NODES, PODS, TARGET = 3, 10, 0.050
SETTLE = 30


def build(seed: int = 0) -> kitlib.Cluster:
    cluster = kitlib.Cluster(nodes=NODES, seed=seed)
    cluster.kubectl(f"create deployment web --image=kitlib/webapp:1 --replicas={PODS} --port=8080")
    cluster.kubectl("expose deployment web --port=80 --target-port=8080")
    cluster.settle()
    return cluster


def run(repeat: int = 10) -> list[Result]:
    from kitlib.widgets import ReadinessLab

    cluster = build()
    opened, lab = timed(ReadinessLab, cluster, "web", "web")
    lab.readiness.value = True
    lab.history.run(60)
    names = ["periodSeconds field", "break readiness on/off", "+1 s button", "+10 s button",
             "roll out bad / good"]
    results = {n: Result(f"readiness lab: {n}", target=TARGET) for n in names}

    def settle() -> None:  # off the clock: let what the last interaction started play out
        lab.step(SETTLE)

    def check() -> None:
        if lab.status.value:
            raise RuntimeError(f"the lab reported an error: {lab.status.value}")

    for _ in range(repeat):
        for period in (3, 2):
            results[names[0]].times.append(timed(setattr, lab.period, "value", period)[0])
            check()
            settle()
        button = lab.fault_buttons["dependency-down"]
        for on in (True, False):
            results[names[1]].times.append(timed(setattr, button, "value", on)[0])
            check()
        results[names[2]].times.append(timed(lab.step_buttons[0].click)[0])
        results[names[3]].times.append(timed(lab.step_buttons[1].click)[0])
        check()
        for rollout in (lab.rollout_bad, lab.rollout_good):
            results[names[4]].times.append(timed(rollout.click)[0])
            check()
            settle()
    return [*results.values(), Result("readiness lab: open (both figures and the table)", [opened])]


def main(argv: list[str] | None = None) -> int:
    return lab_main(argv, __doc__, run, f"readiness lab, {NODES} nodes and {PODS} pods", TARGET)


if __name__ == "__main__":
    sys.exit(main())
