"""A recorder for timelines: advance the cluster's clock in steps and write down, per pod and per
step, what ``kubectl get pods`` and ``describe pod`` would show, each probe run, and how many
requests of a steady stream from a client to a Service were served or failed.

Engine side: no plotly here (:mod:`kitlib.figures.timeline` draws a :class:`History`).

>>> import kitlib
>>> c = kitlib.Cluster(nodes=1, seed=0)
>>> _ = c.kubectl("create deployment web --image=kitlib/webapp:1 --replicas=2 --port=8080")
>>> _ = c.kubectl("expose deployment web --port=80 --target-port=8080")
>>> rec = History(c, target="web", port=80, rate=10)
>>> rec.run(20, step=1)
>>> len(rec.times), sum(rec.served) + sum(rec.failed)
(20, 200)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from .api.service import Service
from .controllers import prober
from .errors import NotFound
from .kubectl.pods import pod_status

if TYPE_CHECKING:
    from .api.pod import Pod
    from .cluster import Cluster

PROBE_FAILED = {"Readiness": "readiness", "Liveness": "liveness", "Startup": "startup"}


@dataclass
class PodSample:
    """One pod at one sampled time (the end of a step)."""

    time: float
    phase: str
    """``Pending``, ``Running``, ``Succeeded``, ``Failed``, or ``Terminating`` while it is being deleted."""
    state: str
    """Its (first) container's state as ``kubectl get pods`` names it: ``Running``,
    ``ContainerCreating``, ``CrashLoopBackOff``, ``Error``, ``Completed``..."""
    ready: bool
    restarts: int


@dataclass
class ProbeTick:
    """One run of a probe: when, which pod and probe (``readiness``/``liveness``/``startup``), and the result."""

    time: float
    pod: str
    kind: str
    ok: bool
    message: str = ""


@dataclass
class PodTrack:
    """Everything sampled about one pod, by name, in the order it was first seen."""

    name: str
    samples: list[PodSample] = field(default_factory=list)
    restarts_at: list[float] = field(default_factory=list)
    """Times at which the restart count was seen to go up (one entry per restart)."""


class History:
    """Advance ``cluster`` in steps and record pods, probe runs and steady traffic.

    ``client`` sends ``rate`` requests per second to ``target`` (a Service name in ``namespace``,
    dialled at its ClusterIP, or an address) on ``port``; with ``client=None`` the first node
    (``node/minikube``) sends them, and with ``rate=0`` nothing is sent. ``pods`` is the label
    selector of the pods to follow; by default the Service's selector (or every pod).

    Recorded, one entry per step: ``times`` (the end of the step), ``served`` and ``failed``
    (requests), ``steps`` (its length); per pod: ``tracks`` (name → :class:`PodTrack`); and every
    probe run: ``probes`` (:class:`ProbeTick`). Probe failures are the kubelet's ``Unhealthy``
    events; the runs in between (at ``initialDelaySeconds + k * periodSeconds`` from the
    container's start) succeeded.
    """

    def __init__(self, cluster: Cluster, client: str | None = None, target: str = "web", port: int = 80,
                 rate: float = 10.0, namespace: str = "default", pods: str | None = None) -> None:
        self.cluster = cluster
        self.client = client if client is not None else f"node/{cluster.nodes()[0].name}"
        self.target = target
        self.port = port
        self.rate = rate
        self.namespace = namespace
        self.selector = pods
        self.start = cluster.now
        self.times: list[float] = []
        self.steps: list[float] = []
        self.served: list[int] = []
        self.failed: list[int] = []
        self.reasons: dict[str, int] = {}
        self.tracks: dict[str, PodTrack] = {}
        self.probes: list[ProbeTick] = []
        self._last = cluster.now
        self._counts: dict[tuple[str, str], int] = {}
        self._due = 0.0

    def _address(self) -> str:
        try:
            svc = self.cluster.api.get("Service", self.target, self.namespace)
        except NotFound:
            return self.target
        assert isinstance(svc, Service)
        return svc.spec.cluster_ip or self.target

    def pods(self) -> list[Pod]:
        """The pods the recording follows (the Deployment's, by its selector)."""
        return self.cluster.pods(self.namespace, selector=self._selector())

    def _selector(self) -> str | None:
        selector = self.selector
        if selector is None:
            try:
                svc = self.cluster.api.get("Service", self.target, self.namespace)
                assert isinstance(svc, Service)
                selector = ",".join(f"{k}={v}" for k, v in sorted(svc.spec.selector.items())) or None
            except NotFound:
                selector = None
        return selector

    def _followed(self) -> list[Pod]:
        # The stored pods themselves, read as an informer's cache (a sample only reads them):
        # copying them for every second of a +60 s step cost a third of the step.
        from .api.pod import Pod

        return self.cluster.api.list_as(Pod, self.namespace, self._selector())

    def run(self, seconds: float, step: float = 1.0) -> None:
        """Advance ``seconds`` of simulated time in steps of ``step``, sending ``rate * step``
        requests spread over each step (``cluster.traffic(..., duration=step)``) and sampling after it.

        A rate that does not divide evenly carries its remainder to the next step, so 0.5 requests
        per second sends one request every other second.
        """
        if not step > 0:
            raise ValueError("step must be greater than 0")
        left = seconds
        while left > 1e-9:
            dt = min(step, left)
            left -= dt
            self._due += self.rate * dt
            n = int(self._due + 1e-9)
            self._due -= n
            if n > 0:
                t = self.cluster.traffic(self.client, self._address(), self.port, requests=n, duration=dt)
                served, failed = sum(t.served.values()), t.failed
                for reason, k in t.reasons.items():
                    self.reasons[reason] = self.reasons.get(reason, 0) + k
            else:
                self.cluster.advance(dt)
                served = failed = 0
            self.steps.append(dt)
            self.served.append(served)
            self.failed.append(failed)
            self.sample()

    def sample(self) -> None:
        """Record every followed pod and the probe runs since the last sample, at the cluster's time now."""
        c = self.cluster
        prober.catch_up(c.runtime)
        now, since = c.now, self._last
        self.times.append(now)
        for pod in self._followed():
            track = self.tracks.get(pod.name)
            if track is None:
                track = self.tracks[pod.name] = PodTrack(pod.name)
            restarts = sum(cs.restart_count for cs in pod.status.container_statuses)
            if track.samples and restarts > track.samples[-1].restarts:
                track.restarts_at += [now] * (restarts - track.samples[-1].restarts)
            ready = pod.status.condition("Ready")
            phase = "Terminating" if pod.metadata.deletion_timestamp is not None else (pod.status.phase or "Pending")
            track.samples.append(PodSample(now, phase, pod_status(c, pod),
                                           ready is not None and ready.status == "True", restarts))
            self._probe_runs(pod, since, now)
        self._last = now

    def _probe_runs(self, pod, since: float, now: float) -> None:
        c = self.cluster
        failed: dict[str, list[tuple[float, str]]] = {}
        for e in c.events.for_object("Pod", pod.metadata.uid or pod.key):
            if e.reason != "Unhealthy":
                continue
            seen = self._counts.get((pod.metadata.uid or pod.key, e.message), 0)
            kind = PROBE_FAILED.get(e.message.split(" ", 1)[0])
            if e.count > seen and kind is not None:
                self._counts[(pod.metadata.uid or pod.key, e.message)] = e.count
                # The event is aggregated (count, last seen): the runs it counts since the last
                # sample were one period apart, ending at its last_seen.
                probe = next((p for c in pod.spec.containers for k, p in c.probes() if k == kind), None)
                period = (probe.period_seconds if probe is not None else None) or 10
                for j in range(e.count - seen):
                    when = e.last_seen - j * period
                    if when > since - 1e-9:
                        failed.setdefault(kind, []).append((when, e.message))
        ticks = [ProbeTick(t, pod.name, kind, False, msg) for kind, runs in failed.items() for t, msg in runs]
        runs = c.runtime.prober_runs
        for container in pod.spec.containers:
            run = runs.get((pod.metadata.uid or pod.key, container.name))
            if run is None:
                continue
            for kind, w in run.workers.items():
                period = w.probe.period_seconds or 10
                fails = [t for t, _ in failed.get(kind, [])]
                k = max(0, int((since - w.anchor) // period))
                while (t := w.anchor + k * period) <= now + 1e-9:
                    if t > since + 1e-9 and not any(abs(t - f) < 1e-6 for f in fails):
                        ticks.append(ProbeTick(t, pod.name, kind, True))
                    k += 1
        self.probes.extend(sorted(ticks, key=lambda x: (x.time, x.kind)))

    @property
    def success_rate(self) -> list[float | None]:
        """Per step: served / (served + failed), or ``None`` for a step that sent nothing."""
        return [s / (s + f) if s + f else None for s, f in zip(self.served, self.failed, strict=True)]

    def totals(self) -> tuple[int, int]:
        """(served, failed) requests over the whole recording."""
        return sum(self.served), sum(self.failed)
