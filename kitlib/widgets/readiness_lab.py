"""The readiness lab: switch a Deployment's readiness (and liveness) probe on and off and tune its
timing, break pods, roll out a good or a bad version, and move time while a client sends steady
traffic to the Service; the timeline and the success rate update in place.

Each control makes exactly one engine call that a notebook cell could make too:

===========================================  ==========================================================
control                                      engine call
===========================================  ==========================================================
readiness / liveness probe switch, timing    ``cluster.apply(the Deployment with the probes)`` (a rollout)
break readiness / hang / slow (per pod)      ``cluster.set_fault(pod, "dependency-down"|"hang"|"slow", on)``
+1 s / +10 s / +60 s / play                  ``history.run(seconds)`` (traffic, then the clock)
roll out v2 / roll out broken                ``cluster.kubectl("set image deployment/web web=kitlib/webapp:2")``
roll back                                    ``cluster.kubectl("rollout undo deployment/web")``
===========================================  ==========================================================

Each probe has its own timing fields, as each probe has its own fields in the pod spec. A change
to a probe changes the pod template, so, as on a real cluster, it starts a rollout: the status
line says so.

The requests-per-second slider makes no call: it sets the rate of the next steps.
"""

from __future__ import annotations

import copy
import html
from typing import Any

import ipywidgets as widgets

from ..api.discovery import SERVICE_NAME_LABEL, EndpointSlice
from ..figures.timeline import timeline, update_timeline
from ..history import History, ProbeTick
from ..kubectl.pods import pod_status
from .figurewidget import LabFigureWidget
from .lab import (
    PICKER_WIDTH,
    TABLE_STYLE,
    controls,
    figure_text,
    fit,
    lab_box,
    pod_options,
    run_action,
    set_options,
    short_names,
)

GOOD_IMAGE = "kitlib/webapp:2"
BAD_IMAGE = "kitlib/webapp:broken"
FAULTS = (("break readiness", "dependency-down"), ("hang", "hang"), ("slow", "slow"))
"""Per-pod switches: (label, fault of :func:`kitlib.container.behaviour.set_fault`)."""
RECENT = 10.0
"""Seconds back that the text alternative counts probe runs and requests over ("in the last 10 s")."""
LISTED = 5
"""Pods named at most in one list of the text alternative (the rest are counted)."""


def _names(names: list[str], short: dict[str, str]) -> str:
    shown = ", ".join(short.get(n, n) for n in names[:LISTED])
    return shown + (f" and {len(names) - LISTED} more" if len(names) > LISTED else "")


def timeline_summary(cluster, history: History, service: str, namespace: str = "default") -> str:
    """The readiness timeline in a few sentences, for a screen reader and for anyone who cannot tell
    its colours apart: the pods followed now and their Ready condition (with the last failed
    probe's message, the kubelet's, for a pod that is not ready), restarts, the Service's ready
    endpoints in its EndpointSlices, the probe runs and requests of the last ``RECENT`` seconds, and
    the requests since the start. Read from the API objects and the history's records, as the
    timeline is drawn from them.

    >>> import kitlib
    >>> c = kitlib.Cluster(nodes=1, seed=0)
    >>> _ = c.kubectl("create deployment web --image=kitlib/webapp:1 --replicas=2 --port=8080")
    >>> _ = c.kubectl("expose deployment web --port=80 --target-port=8080")
    >>> rec = History(c, rate=0)
    >>> rec.run(20)
    >>> timeline_summary(c, rec, "web")
    'Readiness timeline at t = 20 s. Pods: 2, 2 Ready. Service web: 2 ready endpoints. No requests sent.'
    """
    now = cluster.now
    pods = history.pods()
    short = short_names(p.name for p in pods)
    live = [p for p in pods if p.metadata.deletion_timestamp is None]
    ready = [p for p in live if (c := p.status.condition("Ready")) is not None and c.status == "True"]
    last: dict[tuple[str, str], ProbeTick] = {}  # (pod, probe) → its last run
    recent: dict[str, list[int]] = {}  # probe → [passed, failed] in the last RECENT seconds
    for tick in history.probes:
        last[(tick.pod, tick.kind)] = tick
        if tick.time > now - RECENT + 1e-9:
            counts = recent.setdefault(tick.kind, [0, 0])
            counts[0 if tick.ok else 1] += 1
    unready: dict[str, list[str]] = {}  # why (kubectl's STATUS; the last failed probe's message) → pods
    for p in live:
        if p in ready:
            continue
        why = [t.message for (pod, _), t in last.items() if pod == p.name and not t.ok and t.message]
        unready.setdefault(pod_status(cluster, p) + (f"; {why[-1]}" if why else ""), []).append(p.name)
    text = f"Readiness timeline at t = {now:.0f} s. Pods: {len(live)}, {len(ready)} Ready"
    if unready:
        text += "; not Ready: " + "; ".join(f"{_names(names, short)} ({why})" for why, names in unready.items())
    terminating = [p.name for p in pods if p.metadata.deletion_timestamp is not None]
    if terminating:
        text += f"; terminating: {_names(terminating, short)}"
    text += "."
    restarts = [(p.name, sum(cs.restart_count for cs in p.status.container_statuses)) for p in pods]
    restarted = [f"{short[name]} {n}" for name, n in restarts if n]
    if restarted:
        text += " Restarts: " + ", ".join(restarted[:LISTED]) + (" and more" if len(restarted) > LISTED else "") + "."
    slices = cluster.api.list_as(EndpointSlice, namespace, f"{SERVICE_NAME_LABEL}={service}")
    endpoints = [e for sl in slices for e in sl.endpoints]
    ready_eps = sum(1 for e in endpoints if e.conditions.ready)
    text += (f" Service {service}: {ready_eps} ready endpoint{'s' if ready_eps != 1 else ''}"
             + (f" of {len(endpoints)}" if len(endpoints) != ready_eps else "") + ".")
    if recent:
        text += f" Probe runs in the last {RECENT:g} s: " + "; ".join(
            f"{kind} {ok} passed, {bad} failed" for kind, (ok, bad) in sorted(recent.items())) + "."
    served, failed = history.totals()
    if served + failed:
        window = [(s, f) for t, s, f in zip(history.times, history.served, history.failed, strict=True)
                  if t > now - RECENT + 1e-9]
        text += (f" Requests in the last {RECENT:g} s: {sum(s for s, _ in window)} served, "
                 f"{sum(f for _, f in window)} failed; since the start: {served} served, {failed} failed "
                 f"({100 * served / (served + failed):.1f} % served)")
        if history.reasons:
            # Each reason names its pod: the most frequent one says what failed.
            reason, n = min(history.reasons.items(), key=lambda kv: (-kv[1], kv[0]))
            text += f"; the most frequent failure ({n} of {failed}): {reason}"
        text += "."
    else:
        text += " No requests sent."
    return text


def probe_manifest(path: str, port: int | str, period: int, failure_threshold: int, initial_delay: int) -> dict:
    """An ``httpGet`` probe as a learner writes it in a Deployment."""
    return {"httpGet": {"path": path, "port": port}, "initialDelaySeconds": initial_delay,
            "periodSeconds": period, "failureThreshold": failure_threshold}


def deployment_manifest(deployment, readiness: dict | None, liveness: dict | None) -> dict[str, Any]:
    """The Deployment as ``kubectl apply`` takes it, with its first container's readiness and
    liveness probes replaced (``None`` removes one); everything else as it is."""
    doc = deployment.to_dict()
    meta = {k: v for k, v in doc["metadata"].items() if k in ("name", "namespace", "labels")}
    spec = copy.deepcopy(doc["spec"])
    container = spec["template"]["spec"]["containers"][0]
    for key, probe in (("readinessProbe", readiness), ("livenessProbe", liveness)):
        if probe is None:
            container.pop(key, None)
        else:
            container[key] = probe
    return {"apiVersion": doc["apiVersion"], "kind": "Deployment", "metadata": meta, "spec": spec}


def _timing_fields(probe) -> tuple[widgets.BoundedIntText, widgets.BoundedIntText, widgets.BoundedIntText]:
    """periodSeconds, failureThreshold and initialDelaySeconds of one probe, from its current
    values (the API server's defaults when the probe is off: 10, 3 and 0; the lab starts at 2 s so
    that a failure shows within seconds)."""
    layout, style = widgets.Layout(width="190px"), {"description_width": "initial"}
    period = widgets.BoundedIntText(value=(probe and probe.period_seconds) or 2, min=1, max=300,
                                    description="periodSeconds", layout=layout, style=style)
    threshold = widgets.BoundedIntText(value=(probe and probe.failure_threshold) or 3, min=1, max=100,
                                       description="failureThreshold", layout=layout, style=style)
    delay = widgets.BoundedIntText(value=(probe and probe.initial_delay_seconds) or 0, min=0, max=600,
                                   description="initialDelaySeconds", layout=layout, style=style)
    return period, threshold, delay


class ReadinessLab:
    """Controls for one Deployment behind a Service, a :class:`kitlib.history.History` of it
    (``lab.history``), its timeline (``lab.timeline``) and success rate (``lab.rate_figure``).

    Attributes a lesson may set: ``readiness`` / ``liveness`` (Checkbox), the readiness probe's
    ``period``, ``failure_threshold``, ``initial_delay`` and the liveness probe's
    ``liveness_period``, ``liveness_failure_threshold``, ``liveness_initial_delay`` (IntText),
    ``pod_picker``, ``fault_buttons`` (dict fault → ToggleButton), ``rate`` (IntSlider),
    ``rollout_good`` / ``rollout_bad`` / ``rollback`` (Button); and call ``lab.step(seconds)``.

    >>> import kitlib
    >>> c = kitlib.Cluster(nodes=2, seed=0)
    >>> _ = c.kubectl("create deployment web --image=kitlib/webapp:1 --replicas=2 --port=8080")
    >>> _ = c.kubectl("expose deployment web --port=80 --target-port=8080")
    >>> lab = ReadinessLab(c)
    >>> lab.readiness.value = True      # the same as applying the Deployment with a readinessProbe
    >>> c.get("Deployment", "web").spec.template.spec.containers[0].readiness_probe.http_get.path
    '/ready'
    """

    def __init__(self, cluster, deployment: str = "web", service: str = "web", client: str | None = None,
                 namespace: str = "default", port: int = 80, rate: int = 10) -> None:
        self.cluster = cluster
        self.deployment = deployment
        self.service = service
        self.namespace = namespace
        self.history = History(cluster, client=client, target=service, port=port, rate=rate, namespace=namespace)
        self._syncing = False
        container = self._container()
        self.readiness = widgets.Checkbox(value=container.readiness_probe is not None, description="readiness probe",
                                          indent=False, layout=widgets.Layout(width="140px"))
        self.liveness = widgets.Checkbox(value=container.liveness_probe is not None, description="liveness probe",
                                         indent=False, layout=widgets.Layout(width="140px"))
        self.period, self.failure_threshold, self.initial_delay = _timing_fields(container.readiness_probe)
        self.liveness_period, self.liveness_failure_threshold, self.liveness_initial_delay = _timing_fields(
            container.liveness_probe)
        self.pod_picker = widgets.Dropdown(description="pod", layout=widgets.Layout(width=PICKER_WIDTH))
        self.fault_buttons = {fault: widgets.ToggleButton(description=label, layout=widgets.Layout(width="auto"))
                              for label, fault in FAULTS}
        self.step_buttons = [widgets.Button(description=f"+{s} s", layout=widgets.Layout(width="70px"))
                             for s in (1, 10, 60)]
        self.play = widgets.Play(value=0, min=0, max=10_000, interval=700, description="play")
        self.rate = widgets.IntSlider(value=rate, min=0, max=100, description="requests/s",
                                      continuous_update=False, style={"description_width": "initial"})
        self.rollout_good = widgets.Button(description=f"Roll out {GOOD_IMAGE.split(':')[1]}", button_style="success",
                                           tooltip=f"kubectl set image deployment/{deployment} ...={GOOD_IMAGE}")
        self.rollout_bad = widgets.Button(description=f"Roll out {BAD_IMAGE.split(':')[1]}", button_style="danger",
                                          tooltip=f"kubectl set image deployment/{deployment} ...={BAD_IMAGE}")
        self.rollback = widgets.Button(description="Roll back", icon="undo",
                                       tooltip=f"kubectl rollout undo deployment/{deployment}")
        self.status = widgets.HTML()
        self.table = widgets.HTML()
        self.timeline = timeline(self.history, figure_class=LabFigureWidget)
        self.timeline_text = widgets.HTML()  # the timeline's text alternative

        for w in (self.readiness, self.liveness, self.period, self.failure_threshold, self.initial_delay,
                  self.liveness_period, self.liveness_failure_threshold, self.liveness_initial_delay):
            w.observe(self._on_probe, names="value")
        for fault, button in self.fault_buttons.items():
            button.observe(lambda change, f=fault: self._on_fault(f, change), names="value")
        self.pod_picker.observe(lambda change: self._sync_faults(), names="value")
        for button, seconds in zip(self.step_buttons, (1, 10, 60), strict=True):
            button.on_click(lambda _b, s=seconds: self.step(s))
        self.play.observe(self._on_play, names="value")
        self.rate.observe(self._on_rate, names="value")
        self.rollout_good.on_click(lambda _b: self._on_rollout(GOOD_IMAGE))
        self.rollout_bad.on_click(lambda _b: self._on_rollout(BAD_IMAGE))
        self.rollback.on_click(self._on_rollback)
        self.widget = lab_box([
            controls(self.readiness, self.period, self.failure_threshold, self.initial_delay),
            controls(self.liveness, self.liveness_period, self.liveness_failure_threshold, self.liveness_initial_delay),
            controls(self.pod_picker, *self.fault_buttons.values()),
            controls(*self.step_buttons, self.play, self.rate, self.rollout_good, self.rollout_bad, self.rollback),
            self.status,
            fit(self.timeline),
            self.timeline_text,
            self.table,
        ])
        self.refresh()

    def _container(self):
        return self.cluster.get("Deployment", self.deployment, self.namespace).spec.template.spec.containers[0]

    # Each handler: one engine call, then a redraw. Errors go to the status line, because
    # exceptions raised in callbacks are invisible in JupyterLab.

    def _run(self, action, *args) -> None:
        run_action(self, action, *args)

    def manifest(self) -> dict[str, Any]:
        """The Deployment the probe controls describe (what the next change applies)."""
        container = self._container()
        port: int | str = container.ports[0].container_port if container.ports else self.history.port
        ready = (self.period.value, self.failure_threshold.value, self.initial_delay.value)
        live = (self.liveness_period.value, self.liveness_failure_threshold.value, self.liveness_initial_delay.value)
        return deployment_manifest(
            self.cluster.get("Deployment", self.deployment, self.namespace),
            probe_manifest("/ready", port, *ready) if self.readiness.value else None,
            probe_manifest("/live", port, *live) if self.liveness.value else None)

    def _on_probe(self, change) -> None:
        if not self._syncing and change["new"] != change["old"]:
            before = self._generation()
            if run_action(self, self.cluster.apply, self.manifest()):
                self._say_rollout(before, "the probe is part of the pod template")

    def _on_rollback(self, _button=None) -> None:
        def undo() -> None:
            self.cluster.kubectl(f"rollout undo deployment/{self.deployment} -n {self.namespace}")
        before = self._generation()
        if run_action(self, undo):
            self._say_rollout(before, "kubectl rollout undo puts the previous ReplicaSet's template back")

    def _generation(self) -> int | None:
        """The Deployment's metadata.generation (None when it is gone): it goes up with each change
        of the spec, and a change of the pod template is a rollout."""
        d = self.cluster.api.store.get("Deployment", f"{self.namespace}/{self.deployment}")
        return None if d is None else d.metadata.generation

    def _say_rollout(self, generation: int | None, why: str) -> None:
        """Say on the status line that a change started a rollout (it changed the Deployment)."""
        if self._generation() not in (None, generation):
            self.status.value = (f"deployment.apps/{self.deployment} changed ({html.escape(why)}): a rollout "
                                 "starts, new pods replace the old ones. Move time to watch it.")

    def _on_fault(self, fault: str, change) -> None:
        if not self._syncing and self.pod_picker.value:
            self._run(self.cluster.set_fault, self.pod_picker.value, fault, bool(change["new"]), self.namespace)

    def _on_play(self, change) -> None:
        if change["new"] != change["old"]:
            self.step(1)

    def _on_rate(self, change) -> None:
        self.history.rate = change["new"]

    def _on_rollout(self, image: str) -> None:
        def set_image() -> None:
            name = self._container().name
            self.cluster.kubectl(f"set image deployment/{self.deployment} {name}={image} -n {self.namespace}")
        before = self._generation()
        if run_action(self, set_image):
            self._say_rollout(before, f"its image is now {image}")

    def step(self, seconds: float) -> None:
        """Record ``seconds`` more of the timeline (the +N s buttons and the play button)."""
        self._run(self.history.run, seconds, 1.0)

    def refresh(self) -> None:
        """Redraw every view from the history and the cluster's state."""
        c = self.cluster
        self._syncing = True
        try:
            set_options(self.pod_picker, pod_options(p for p in self.history.pods()
                                                     if p.metadata.deletion_timestamp is None))
            self._sync_faults()
        finally:
            self._syncing = False
        update_timeline(self.timeline, self.history)
        self.timeline_text.value = figure_text(timeline_summary(c, self.history, self.service, self.namespace))
        self.table.value = f"<pre style='{TABLE_STYLE}'>$ kubectl get pods\n" + html.escape(
            c.kubectl(f"get pods -n {self.namespace}")) + "</pre>"

    def _sync_faults(self) -> None:
        from ..container import behaviour

        name = self.pod_picker.value
        on: set[str] = set()
        if name:
            on = behaviour.faults(self.cluster.runtime, self.cluster.get("Pod", name, self.namespace))
        syncing, self._syncing = self._syncing, True
        try:
            for fault, button in self.fault_buttons.items():
                button.value = fault in on
                button.disabled = not name
        finally:
            self._syncing = syncing

    def _ipython_display_(self) -> None:
        from IPython.display import display

        display(self.widget)
