"""The kubelet's prober and container restarts (pkg/kubelet/prober and kuberuntime's back-off).

Each probe of a running container is a worker that runs every ``periodSeconds``, the first time
``initialDelaySeconds`` after the container started (also for the probes a startup probe holds
back: they begin at their first period after it succeeds, if the delay is over by then):

* readiness starts as failure; ``successThreshold`` successes in a row make the container ready,
  ``failureThreshold`` failures in a row make it not ready (its endpoints become ``ready: false``);
* liveness starts as success; ``failureThreshold`` failures in a row kill the container
  ("Container web failed liveness probe, will be restarted"), which the kubelet restarts;
* a startup probe holds the other two back until it succeeds (the container is then
  ``started``); ``failureThreshold`` failures kill the container.

The container's main process runs here too (:mod:`kitlib.container.process`): its script's
``sleep`` is an event on the clock, and when it exits the container ends as when it is killed.
What then follows depends on ``restartPolicy``: ``Always`` restarts it, ``OnFailure`` only after a
non-zero exit, ``Never`` not at all; a pod none of whose containers will run again ends
``Succeeded`` (all exited 0) or ``Failed``.

Every failed run records the kubelet's ``Unhealthy`` event ("Readiness probe failed: HTTP probe
failed with statuscode: 503"). A container that exits is restarted at once the first time, then
after a back-off of 10 s, 20 s, 40 s ... capped at 300 s (``CrashLoopBackOff``); the back-off
starts again from 10 s once 10 minutes pass without a restart. These are 1.37's defaults: the
``ReduceDefaultCrashLoopBackOffDecay`` gate (1 s to 60 s) is alpha and off, and
``KubeletCrashLoopBackOffMax`` only lets a node configure the cap (pkg/features/kube_features.go).

Cheap scheduling: a run that succeeds while everything already counts as success changes
nothing, so a worker in that state sleeps until the app can change (its warm-up ends, or a fault
is switched with :func:`kitlib.container.behaviour.set_fault`) instead of ticking every period. A readiness probe
that keeps failing on a not-ready container changes nothing but its event's count: those runs are
written to the event log when it is read (:func:`catch_up`, called by ``describe`` and before any
change), with the times they happened. The state seen through the API is the same as with a tick
every period, and traffic spread over time is not cut at every probe run.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ..api.pod import (
    ContainerState,
    ContainerStateRunning,
    ContainerStateTerminated,
    ContainerStateWaiting,
    Pod,
    Probe,
    container_path,
)
from ..container import behaviour as apps
from ..container import logs, process
from ..names import hex_id

if TYPE_CHECKING:
    from ..api.pod import Container, ContainerStatus
    from ..container.shell import Step
    from ..runtime import Runtime

INITIAL_BACKOFF = 10.0
MAX_BACKOFF = 300.0
"""kubelet's MaxContainerBackOff; the back-off is forgotten after twice this without a restart."""
STOP_SECONDS = 1.0
"""How long an app that handles SIGTERM takes to exit."""
MIN_GRACE = 2
"""kuberuntime's minimumGracePeriodInSeconds: a container always gets this long after SIGTERM."""


@dataclass
class Worker:
    """One probe of one container run."""

    kind: str
    probe: Probe
    anchor: float
    result: bool
    successes: int = 0
    failures: int = 0
    sleeping: bool = False
    lazy_next: float | None = None
    """While a not-ready container keeps failing the same way: the next run not yet recorded."""
    lazy_output: str = ""


@dataclass
class ContainerRun:
    """What the kubelet tracks for one container of a pod across its restarts."""

    run: int = 0
    started: bool = False
    ready: bool = False
    workers: dict[str, Worker] = field(default_factory=dict)
    backoff: float = 0.0
    backoff_update: float | None = None
    running_since: float = 0.0


def unready_message(names: list[str]) -> str:
    """The message of the Ready and ContainersReady conditions while the containers ``names`` are
    not ready, in the kubelet's words
    (``GenerateContainersReadyCondition``: a Go slice of names printed with ``%s``)."""
    return "containers with unready status: [" + " ".join(names) + "]"


def _runs(rt: Runtime) -> dict[tuple[str, str], ContainerRun]:
    return rt.prober_runs


def _key(pod: Pod, container: Container) -> tuple[str, str]:
    return (pod.metadata.uid or pod.key, container.name)


def needs_prober(rt: Runtime, pod: Pod) -> bool:
    """Whether any container has a probe, or the pod's app has a fault switched on."""
    for c in pod.spec.containers:  # any(), without a generator: every pod that starts asks
        if c.readiness_probe or c.liveness_probe or c.startup_probe:
            return True
    return bool(rt.apps.faults) and bool(apps.faults(rt, pod))  # no fault anywhere: no look-up


def container_started(rt: Runtime, pod: Pod, c: Container, cs: ContainerStatus) -> None:
    """The container is running: set ``started``/``ready`` as its probes allow and start their workers."""
    apps.started(rt, pod, c)
    runs, key = rt.prober_runs, _key(pod, c)
    run = runs.get(key)
    if run is None:
        run = runs[key] = ContainerRun()
    run.run += 1
    run.running_since = rt.now
    run.started = c.startup_probe is None
    run.ready = run.started and c.readiness_probe is None
    run.workers = {}
    cs.started = run.started
    cs.ready = run.ready
    if c.startup_probe is not None:
        _start_worker(rt, pod, c, run, "startup", c.startup_probe)
    else:
        _start_main_workers(rt, pod, c, run)
    if rt.apps.faults and "crash" in apps.faults(rt, pod):
        rt.clock.after(apps.CRASH_SECONDS, _crash, rt, pod.key, pod.metadata.uid, c.name, run.run)
    out: list[str] = []
    step = process.start(rt, pod, c, out)
    if out or step is not None:  # _follow has nothing to do for a server that printed nothing
        _follow(rt, pod, c, run, step, out)
    warmup = apps.behaviour(c).warmup
    if warmup:
        # The app starts listening: nothing in the API changes, but clients see it (traffic spread
        # over time re-reads the cluster at each event on the clock).
        rt.clock.after(warmup, _listening)


def _listening() -> None:
    """An event on the clock where an app's warm-up ends."""


def _follow(rt: Runtime, pod: Pod, c: Container, run: ContainerRun, step: Step | None, out: list[str]) -> None:
    """The main process printed ``out`` and stopped at ``step``: it exits (the container ends a
    moment later), sleeps (it goes on then) or runs until it is signalled (None or ``block``)."""
    if out:
        logs.write(rt, pod, c.name, "".join(out))
    if step is None or step.kind == "block":
        return
    if step.kind == "exit":
        rt.clock.after(0.0, _process_exited, rt, pod.key, pod.metadata.uid, c.name, run.run, step.code)
    elif step.seconds != math.inf:
        rt.clock.after(step.seconds, _process_resume, rt, pod.key, pod.metadata.uid, c.name, run.run)


def _process_resume(rt: Runtime, key: str, uid: str | None, name: str, number: int) -> None:
    found = _lookup(rt, key, uid, name, number)
    if found is None:
        return
    pod, c, run = found
    out: list[str] = []
    _follow(rt, pod, c, run, process.resume(rt, pod, c, out), out)


def _process_exited(rt: Runtime, key: str, uid: str | None, name: str, number: int, code: int) -> None:
    """The main process ended by itself: so does the container."""
    found = _lookup(rt, key, uid, name, number)
    if found is None:
        return
    catch_up(rt)
    run = found[2]
    run.workers = {}
    run.run += 1
    _exited(rt, key, uid, name, run.run, code)


def _start_main_workers(rt: Runtime, pod: Pod, c: Container, run: ContainerRun) -> None:
    if c.liveness_probe is not None:
        _start_worker(rt, pod, c, run, "liveness", c.liveness_probe)
    if c.readiness_probe is not None:
        _start_worker(rt, pod, c, run, "readiness", c.readiness_probe)


def _start_worker(rt: Runtime, pod: Pod, c: Container, run: ContainerRun, kind: str, probe: Probe) -> None:
    """A probe's worker. ``initialDelaySeconds`` counts from the container's start, also for the
    readiness and liveness probes held back by a startup probe: the kubelet's worker skips a run
    while ``time.Since(StartedAt) < InitialDelaySeconds`` and, separately, while the container is
    not ``started`` (pkg/kubelet/prober/worker.go, doProbe). Those two only begin when the
    startup probe succeeds: at their first period after that moment, or after the delay."""
    w = Worker(kind, probe, run.running_since + (probe.initial_delay_seconds or 0), result=kind == "liveness")
    run.workers[kind] = w
    first = w.anchor
    if rt.now > first:
        period = probe.period_seconds or 10
        first = w.anchor + math.ceil((rt.now - w.anchor) / period - 1e-9) * period
    rt.clock.at(first, _tick, rt, pod.key, pod.metadata.uid, c.name, run.run, kind)


def _lookup(rt: Runtime, key: str, uid: str | None, name: str, number: int):
    pod = rt.api.store.get("Pod", key)
    if not isinstance(pod, Pod) or pod.metadata.uid != uid or pod.metadata.deletion_timestamp is not None:
        return None
    if not rt.node_runtime(pod.spec.node_name or "").up:
        return None
    c = next((x for x in pod.spec.containers if x.name == name), None)
    run = _runs(rt).get((uid or key, name))
    if c is None or run is None or run.run != number:
        return None
    return pod, c, run


def _lazy(rt: Runtime) -> dict[tuple[str, str | None, str, str], Worker]:
    return rt.prober_lazy


def catch_up(rt: Runtime, until: float | None = None) -> None:
    """Record the runs of not-ready, still-failing readiness probes up to now (their events)."""
    lazy: dict | None = rt.prober_lazy
    if not lazy:
        return
    end = rt.now if until is None else until
    for (key, uid, name, kind), w in list(lazy.items()):
        found = _lookup(rt, key, uid, name, _runs(rt).get((uid or key, name), ContainerRun()).run)
        if found is None or found[2].workers.get(kind) is not w or w.lazy_next is None:
            lazy.pop((key, uid, name, kind), None)
            continue
        period = w.probe.period_seconds or 10
        while w.lazy_next <= end + 1e-9:
            rt.api.events.record("Pod", uid or key, "Warning", "Unhealthy", w.lazy_output, "kubelet", w.lazy_next,
                                 container_path(name))
            w.failures += 1
            w.lazy_next += period


def _wake(rt: Runtime, key: str, uid: str | None, name: str, number: int, kind: str) -> None:
    """The app changed by itself (its warm-up ended): a lazily failing probe runs for real again."""
    catch_up(rt)
    found = _lookup(rt, key, uid, name, number)
    if found is None:
        return
    w = found[2].workers.get(kind)
    if w is not None and w.lazy_next is not None:
        _lazy(rt).pop((key, uid, name, kind), None)
        when, w.lazy_next = w.lazy_next, None
        rt.clock.at(when, _tick, rt, key, uid, name, number, kind)


def _tick(rt: Runtime, key: str, uid: str | None, name: str, number: int, kind: str) -> None:
    found = _lookup(rt, key, uid, name, number)
    if found is None:
        pod = rt.api.store.get("Pod", key)
        if isinstance(pod, Pod) and pod.metadata.uid == uid and pod.spec.node_name \
                and not rt.node_runtime(pod.spec.node_name).up:
            # The node does not answer: its kubelet probes nothing until it is back.
            run = _runs(rt).get((uid or key, name))
            w = run.workers.get(kind) if run is not None and run.run == number else None
            if w is not None:
                rt.clock.after(w.probe.period_seconds or 10, _tick, rt, key, uid, name, number, kind)
        return
    pod, c, run = found
    w = run.workers.get(kind)
    if w is None:
        return
    w.sleeping = False
    outcome, output = apps.run_probe(rt, pod, c, w.probe)
    label = kind.capitalize()
    ok = outcome == "success"
    if outcome == "error":
        rt.api.record_event(pod, "Unhealthy", f"{label} probe errored and resulted in unknown state: {output}",
                            "kubelet", "Warning", field_path=container_path(c.name))
    elif not ok:
        rt.api.record_event(pod, "Unhealthy", f"{label} probe failed: {output}", "kubelet", "Warning",
                            field_path=container_path(c.name))
    w.lazy_output = "" if ok else (f"{label} probe errored and resulted in unknown state: {output}"
                                   if outcome == "error" else f"{label} probe failed: {output}")
    if ok:
        w.successes, w.failures = w.successes + 1, 0
    else:
        w.successes, w.failures = 0, w.failures + 1
    threshold_ok = w.successes >= (w.probe.success_threshold or 1)
    threshold_fail = w.failures >= (w.probe.failure_threshold or 3)
    if threshold_ok:
        w.result = True
    elif threshold_fail:
        w.result = False
    if kind == "startup" and w.result:
        run.workers.pop("startup", None)
        run.started = True
        run.ready = c.readiness_probe is None
        _start_main_workers(rt, pod, c, run)
        publish(rt, pod)
        return
    if kind in ("startup", "liveness") and threshold_fail:
        catch_up(rt)
        rt.api.record_event(pod, "Killing", f"Container {c.name} failed {kind} probe, will be restarted", "kubelet",
                            field_path=container_path(c.name))
        run.workers = {}
        run.run += 1  # the running container's probes stop now
        grace = w.probe.termination_grace_period_seconds or pod.spec.termination_grace_period_seconds
        grace = 30 if grace is None else grace
        code = process.exit_on_sigterm(rt, pod, c)
        if code is None:  # it ignores SIGTERM: SIGKILL when the grace period is over, unless it ends first
            natural = process.exits_in(rt, pod, c)
            if natural is not None and natural[0] < max(grace, MIN_GRACE):
                rt.clock.after(natural[0], _exited, rt, key, uid, c.name, run.run, natural[1])
            else:
                rt.clock.after(max(grace, MIN_GRACE), _exited, rt, key, uid, c.name, run.run, process.SIGKILL_EXIT)
        else:
            rt.clock.after(min(STOP_SECONDS, grace), _exited, rt, key, uid, c.name, run.run, code)
        return
    if kind == "readiness" and run.ready != w.result:
        run.ready = w.result
        publish(rt, pod)
    _next(rt, pod, c, run, w, number)


def _next(rt: Runtime, pod: Pod, c: Container, run: ContainerRun, w: Worker, number: int) -> None:
    period = w.probe.period_seconds or 10
    nxt = w.anchor + (math.floor((rt.now - w.anchor) / period + 1e-9) + 1) * period
    stable = w.result and w.failures == 0
    if w.kind == "readiness" and not w.result and w.failures >= (w.probe.failure_threshold or 3):
        # Not ready and failing: each further run only adds to the Unhealthy event's count until
        # the app changes. Those runs are recorded when someone looks (catch_up), off the clock.
        w.lazy_next, w.sleeping = nxt, True
        _lazy(rt)[(pod.key, pod.metadata.uid, c.name, w.kind)] = w
        change = apps.changes_at(rt, pod, c)
        if change is not None:
            rt.clock.at(change, _wake, rt, pod.key, pod.metadata.uid, c.name, number, w.kind)
        return
    if stable:
        change = apps.changes_at(rt, pod, c)
        if change is None:
            w.sleeping = True  # nothing can change until a fault is switched (fault_changed wakes it)
            return
        nxt = max(nxt, w.anchor + math.ceil((change - w.anchor) / period - 1e-9) * period)
    rt.clock.at(nxt, _tick, rt, pod.key, pod.metadata.uid, c.name, number, w.kind)


def fault_changed(rt: Runtime, pod: Pod) -> None:
    """A fault was switched: wake the sleeping probes; a ``crash`` switched on kills the running app."""
    wake(rt, pod, crash=True)


def wake(rt: Runtime, pod: Pod, crash: bool = False) -> None:
    """The app or its files changed from outside (a fault switched, ``kubectl exec`` wrote a
    file): the sleeping probes run again at their next period."""
    catch_up(rt)
    for c, cs in zip(pod.spec.containers, pod.status.container_statuses, strict=False):
        run = _runs(rt).get(_key(pod, c))
        if run is None or cs.state.running is None:
            continue
        for w in run.workers.values():
            if w.sleeping:
                w.sleeping = False
                if w.lazy_next is not None:
                    _lazy(rt).pop((pod.key, pod.metadata.uid, c.name, w.kind), None)
                    w.lazy_next = None
                period = w.probe.period_seconds or 10
                nxt = w.anchor + (math.floor((rt.now - w.anchor) / period + 1e-9) + 1) * period
                rt.clock.at(nxt, _tick, rt, pod.key, pod.metadata.uid, c.name, run.run, w.kind)
        if crash and "crash" in apps.faults(rt, pod):
            rt.clock.after(0.0, _crash, rt, pod.key, pod.metadata.uid, c.name, run.run)


def _crash(rt: Runtime, key: str, uid: str | None, name: str, number: int) -> None:
    found = _lookup(rt, key, uid, name, number)
    if found is None or "crash" not in apps.faults(rt, found[0]):
        return
    catch_up(rt)
    run = found[2]
    run.workers = {}
    run.run += 1
    _exited(rt, key, uid, name, run.run, 1)


def _exited(rt: Runtime, key: str, uid: str | None, name: str, number: int, exit_code: int) -> None:
    """The container's process ended: record it as the last state and restart it (with back-off)."""
    found = _lookup(rt, key, uid, name, number)
    if found is None:
        return
    pod, c, run = found
    cs = next(x for x in pod.status.container_statuses if x.name == name)
    ts = rt.clock.timestamp()
    started_at = cs.state.running.started_at if cs.state.running else None
    cs.state = ContainerState(terminated=ContainerStateTerminated(
        exit_code, "Completed" if exit_code == 0 else "Error", cs.container_id, started_at, ts))
    cs.ready = False
    cs.started = False
    run.ready = run.started = False
    policy = pod.spec.restart_policy or "Always"
    if policy == "Never" or (policy == "OnFailure" and exit_code == 0):
        # The kubelet does not start it again (kuberuntime's computePodActions, ShouldContainerBeRestarted).
        if not _finish(rt, pod):
            publish(rt, pod)
        return
    publish(rt, pod)
    now = rt.now
    in_backoff = (run.backoff_update is not None and now - run.backoff_update <= 2 * MAX_BACKOFF
                  and run.backoff > 0)
    if in_backoff:
        cs.last_state = ContainerState(terminated=cs.state.terminated)
        message = (f"back-off {_go_duration(run.backoff)} restarting failed container={name} "
                   f"pod={pod.name}_{pod.namespace}({pod.metadata.uid})")
        cs.state = ContainerState(waiting=ContainerStateWaiting("CrashLoopBackOff", message))
        rt.api.record_event(pod, "BackOff", f"Back-off restarting failed container {name} in pod "
                            f"{pod.name}_{pod.namespace}({pod.metadata.uid})", "kubelet", "Warning",
                            field_path=container_path(name))
        rt.api.update_status(pod)
        rt.clock.after(run.backoff, _restart, rt, key, uid, name, number, now)
    else:
        _restart(rt, key, uid, name, number, now)


def _finish(rt: Runtime, pod: Pod) -> bool:
    """If no container of ``pod`` runs or will run again, the pod is done: phase ``Succeeded``
    when every container exited 0, else ``Failed`` (the kubelet's getPhase), its conditions as
    GeneratePodReadyCondition writes them (reason ``PodCompleted`` for a pod that succeeded), and
    its sandbox stopped (``PodReadyToStartContainers`` False)."""
    from .kubelet import set_condition

    statuses = pod.status.container_statuses
    if any(cs.state.terminated is None for cs in statuses):
        return False
    succeeded = all(cs.state.terminated is not None and cs.state.terminated.exit_code == 0 for cs in statuses)
    pod.status.phase = "Succeeded" if succeeded else "Failed"
    for t in ("ContainersReady", "Ready"):
        set_condition(rt, pod, t, "False")
        cond = pod.status.condition(t)
        if cond is not None:
            cond.reason = "PodCompleted" if succeeded else "ContainersNotReady"
            cond.message = None if succeeded else unready_message([c.name for c in pod.spec.containers])
    set_condition(rt, pod, "PodReadyToStartContainers", "False")
    if succeeded:
        cond = pod.status.condition("Initialized")
        if cond is not None:
            cond.reason = "PodCompleted"
    rt.api.update_status(pod)
    return True


def _restart(rt: Runtime, key: str, uid: str | None, name: str, number: int, finished: float) -> None:
    """kuberuntime's doBackOff then start: the back-off doubles (or starts at 10 s) from this exit."""
    found = _lookup(rt, key, uid, name, number)
    if found is None:
        return
    pod, c, run = found
    if run.backoff_update is None or finished - run.backoff_update > 2 * MAX_BACKOFF:
        run.backoff = INITIAL_BACKOFF
    else:
        run.backoff = min(2 * run.backoff, MAX_BACKOFF)
    run.backoff_update = finished
    cs = next(x for x in pod.status.container_statuses if x.name == name)
    if cs.state.terminated is not None:
        cs.last_state = ContainerState(terminated=cs.state.terminated)
    image = c.image or ""
    if c.image_pull_policy == "Always":
        pull = rt.rng.uniform(0.4, 1.0)
        rt.api.record_event(pod, "Pulling", f'Pulling image "{image}"', "kubelet", field_path=container_path(name))
        rt.api.record_event(pod, "Pulled", f'Successfully pulled image "{image}" in {pull * 1000:.0f}ms '
                            f'({pull * 1000:.0f}ms including waiting). Image size: 72188133 bytes.', "kubelet",
                            field_path=container_path(name))
    else:
        pull = 0.0
        rt.api.record_event(pod, "Pulled", f'Container image "{image}" already present on machine', "kubelet",
                            field_path=container_path(name))
    rt.clock.after(pull + rt.rng.uniform(0.2, 0.5), _start, rt, key, uid, name, number)


def _start(rt: Runtime, key: str, uid: str | None, name: str, number: int) -> None:
    found = _lookup(rt, key, uid, name, number)
    if found is None:
        return
    pod, c, run = found
    cs = next(x for x in pod.status.container_statuses if x.name == name)
    cs.restart_count += 1
    cs.container_id = f"docker://{hex_id(rt.rng, 64)}"
    cs.state = ContainerState(running=ContainerStateRunning(rt.clock.timestamp()))
    rt.api.record_event(pod, "Created", f"Created container {c.name}", "kubelet", field_path=container_path(c.name))
    rt.api.record_event(pod, "Started", f"Started container {c.name}", "kubelet", field_path=container_path(c.name))
    container_started(rt, pod, c, cs)
    publish(rt, pod)


def publish(rt: Runtime, pod: Pod) -> None:
    """Copy each container's started/ready into the status and set the pod's Ready conditions."""
    from .kubelet import set_condition

    unready = []
    for c, cs in zip(pod.spec.containers, pod.status.container_statuses, strict=False):
        run = _runs(rt).get(_key(pod, c))
        if run is not None:
            cs.ready = run.ready and cs.state.running is not None
            cs.started = run.started and cs.state.running is not None
        if not cs.ready:
            unready.append(c.name)
    status = "False" if unready else "True"
    for t in ("ContainersReady", "Ready"):
        set_condition(rt, pod, t, status)
        cond = pod.status.condition(t)
        if cond is not None:
            cond.reason = "ContainersNotReady" if unready else None
            cond.message = unready_message(unready) if unready else None
    rt.api.update_status(pod)


def _go_duration(seconds: float) -> str:
    """Go's time.Duration.String() for whole seconds: 10s, 1m20s, 5m0s."""
    s = int(seconds)
    return f"{s}s" if s < 60 else f"{s // 60}m{s % 60}s"
