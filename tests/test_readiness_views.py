"""The readiness views without a browser: the History recorder samples what the kubelet and
kube-proxy do, the timeline and success-rate figures are functions of a History, and every
control of the readiness lab is one engine call. The three cases a learner must be able to
produce from the widget (issue 4, Done when) are played through it."""

from __future__ import annotations

import pytest

pytest.importorskip("plotly")
pytest.importorskip("ipywidgets")

import plotly.graph_objects as go  # noqa: E402

import kitlib  # noqa: E402
from kitlib.container import behaviour  # noqa: E402
from kitlib.figures import success_rate, timeline, update_success_rate, update_timeline  # noqa: E402
from kitlib.figures.timeline import STATES, state_group, timeline_data  # noqa: E402
from kitlib.history import History  # noqa: E402
from kitlib.widgets import ReadinessLab  # noqa: E402
from kitlib.widgets.readiness_lab import BAD_IMAGE, GOOD_IMAGE  # noqa: E402


def webapp(replicas: int = 3, settle: float = 30) -> kitlib.Cluster:
    cluster = kitlib.Cluster(nodes=2, seed=0)
    cluster.kubectl(f"create deployment web --image=kitlib/webapp:1 --replicas={replicas} --port=8080")
    cluster.kubectl("expose deployment web --port=80 --target-port=8080")
    cluster.advance(settle)
    return cluster


def with_readiness(cluster: kitlib.Cluster, period: int = 2) -> None:
    doc = cluster.get("Deployment", "web").to_dict()
    doc.pop("status")
    doc["spec"]["template"]["spec"]["containers"][0]["readinessProbe"] = {
        "httpGet": {"path": "/ready", "port": 8080}, "periodSeconds": period}
    cluster.apply(doc)


# --- History -------------------------------------------------------------------------------------

def test_history_counts_every_request_and_steps_the_clock():
    """rate * step requests per step, spread over the step; the clock moves by the recorded time."""
    cluster = webapp()
    start = cluster.now
    rec = History(cluster, target="web", port=80, rate=10)
    rec.run(12, step=2)
    assert rec.times == [start + 2 * k for k in range(1, 7)]
    assert cluster.now == start + 12
    assert [s + f for s, f in zip(rec.served, rec.failed, strict=True)] == [20] * 6
    assert rec.totals() == (120, 0)
    assert rec.success_rate == [1.0] * 6


def test_history_fractional_rate_carries_over():
    """0.5 requests per second sends one request every other second; a step with none has no rate."""
    rec = History(webapp(), rate=0.5)
    rec.run(4)
    assert [s + f for s, f in zip(rec.served, rec.failed, strict=True)] == [0, 1, 0, 1]
    assert rec.success_rate[0] is None


def test_history_without_readiness_probe_records_warmup_failures():
    """Without a readiness probe a pod is Ready as soon as it runs, so requests reach it during the
    app's 10 s warm-up and are refused."""
    cluster = kitlib.Cluster(nodes=1, seed=0)
    cluster.kubectl("create deployment web --image=kitlib/webapp:1 --replicas=2 --port=8080")
    cluster.kubectl("expose deployment web --port=80 --target-port=8080")
    rec = History(cluster, rate=10)
    rec.run(20)
    served, failed = rec.totals()
    assert failed > 0 and served > 0
    assert sum(rec.failed[-5:]) == 0
    assert any(s.ready and s.state == "Running" for t in rec.tracks.values() for s in t.samples[:10])


def test_history_samples_pod_state_and_probe_results():
    """With a readiness probe, each run at initialDelaySeconds + k * periodSeconds is a tick: failed
    (the kubelet's Unhealthy event) during warm-up, passed after; Ready follows the probe."""
    cluster = webapp(replicas=1)
    with_readiness(cluster, period=2)
    rec = History(cluster, rate=0)
    rec.run(40)
    new = [t for t in rec.tracks.values() if t.samples[0].state != "Running" or not t.samples[0].ready]
    assert new, "the apply rolled out a new pod"
    pod = new[0].name
    ticks = [p for p in rec.probes if p.pod == pod and p.kind == "readiness"]
    assert ticks and not ticks[0].ok and ticks[-1].ok
    assert ticks[0].message.startswith("Readiness probe failed:")
    gaps = {round(b.time - a.time, 6) for a, b in zip(ticks, ticks[1:], strict=False)}
    assert gaps == {2.0}
    first_ok = next(p.time for p in ticks if p.ok)
    samples = new[0].samples
    assert not any(s.ready for s in samples if s.time < first_ok)
    assert samples[-1].ready and samples[-1].state == "Running" and samples[-1].restarts == 0


def test_history_records_restarts():
    """A liveness probe failing failureThreshold times restarts the container: restartCount goes up."""
    cluster = webapp(replicas=1)
    doc = cluster.get("Deployment", "web").to_dict()
    doc.pop("status")
    doc["spec"]["template"]["spec"]["containers"][0]["livenessProbe"] = {
        "httpGet": {"path": "/live", "port": 8080}, "initialDelaySeconds": 15, "periodSeconds": 2}
    cluster.apply(doc)
    cluster.advance(40)
    pod = cluster.pods(selector="app=web")[0].name
    rec = History(cluster, rate=0)
    cluster.set_fault(pod, "hang")
    rec.run(20)
    assert len(rec.tracks[pod].restarts_at) == 1
    assert rec.tracks[pod].samples[-1].restarts == 1
    assert [p.ok for p in rec.probes if p.pod == pod and p.kind == "liveness"][:3] == [False] * 3


# --- Figures -------------------------------------------------------------------------------------

def test_state_groups():
    """kubectl's STATUS values fall into the timeline's bars."""
    assert state_group("Running", "Running") == "Running"
    assert state_group("Pending", "ContainerCreating") == "Pending"
    assert state_group("Running", "CrashLoopBackOff") == "CrashLoopBackOff"
    assert state_group("Running", "Error") == "Exited"
    assert state_group("Terminating", "Running") == "Terminating"


def test_timeline_is_a_function_of_history():
    """Same history → same figure; update_timeline on a figure of an earlier history gives the same
    traces as drawing from scratch; the set of traces is fixed."""
    cluster = webapp()
    with_readiness(cluster)
    rec = History(cluster, rate=10)
    rec.run(5)
    fig = timeline(rec)
    n = len(fig.data)
    assert n == len(STATES) + 7
    rec.run(30)
    update_timeline(fig, rec)
    fresh = timeline(rec)
    assert len(fig.data) == n
    assert fig.to_dict() == fresh.to_dict()
    data = timeline_data(rec)
    assert set(data.rows) == set(rec.tracks)
    assert sum(data.served) == pytest.approx(sum(rec.served))
    assert len(data.failed[0]) == sum(1 for p in rec.probes if not p.ok)


def test_success_rate_figure():
    """Per step, served / sent in per cent; the title gives the total."""
    rec = History(webapp(), rate=10)
    rec.run(3)
    fig = success_rate(rec)
    assert list(fig.data[0].y) == [100.0, 100.0, 100.0]
    assert "100.0 % of 30 requests" in fig.layout.title.text
    rec.run(1)
    update_success_rate(fig, rec)
    assert fig.to_dict() == success_rate(rec).to_dict()


def test_timeline_updates_figure_widget_in_place():
    rec = History(webapp(), rate=5)
    rec.run(2)
    fig = timeline(rec, figure_class=go.FigureWidget)
    traces = list(fig.data)
    rec.run(2)
    update_timeline(fig, rec)
    assert list(fig.data) == traces and len(fig.data[-1].x) == 4


# --- The lab: one engine call per control -------------------------------------------------------

def test_probe_switch_applies_the_deployment_once(monkeypatch):
    """The readiness switch and each timing field make one apply of the Deployment."""
    cluster = webapp()
    lab = ReadinessLab(cluster)
    calls = []
    real = cluster.apply
    monkeypatch.setattr(cluster, "apply", lambda doc: calls.append(doc) or real(doc))
    lab.readiness.value = True
    lab.period.value = 5
    lab.failure_threshold.value = 2
    lab.initial_delay.value = 3
    assert len(calls) == 4
    probe = cluster.get("Deployment", "web").spec.template.spec.containers[0].readiness_probe
    assert (probe.http_get.path, probe.period_seconds, probe.failure_threshold, probe.initial_delay_seconds) \
        == ("/ready", 5, 2, 3)
    lab.readiness.value = False
    assert cluster.get("Deployment", "web").spec.template.spec.containers[0].readiness_probe is None


def test_fault_switches_call_set_fault(monkeypatch):
    cluster = webapp()
    lab = ReadinessLab(cluster)
    calls = []
    real = cluster.set_fault
    monkeypatch.setattr(cluster, "set_fault", lambda *a: calls.append(a) or real(*a))
    pod = lab.pod_picker.value
    lab.fault_buttons["dependency-down"].value = True
    lab.fault_buttons["hang"].value = True
    lab.fault_buttons["slow"].value = True
    lab.fault_buttons["hang"].value = False
    assert calls == [(pod, "dependency-down", True, "default"), (pod, "hang", True, "default"),
                     (pod, "slow", True, "default"), (pod, "hang", False, "default")]
    assert behaviour.faults(cluster.runtime, cluster.get("Pod", pod)) == {"dependency-down", "slow"}


def test_step_runs_history_and_rollout_sets_image():
    cluster = webapp()
    lab = ReadinessLab(cluster, rate=4)
    start = cluster.now
    lab.step_buttons[1].click()
    assert cluster.now == start + 10 and len(lab.history.times) == 10
    assert lab.history.totals() == (40, 0)
    lab.rate.value = 0
    lab.step(1)
    assert lab.history.served[-1] + lab.history.failed[-1] == 0
    lab.rollout_good.click()
    assert cluster.get("Deployment", "web").spec.template.spec.containers[0].image == GOOD_IMAGE
    lab.rollout_bad.click()
    assert cluster.get("Deployment", "web").spec.template.spec.containers[0].image == BAD_IMAGE
    assert len(lab.timeline.data) == len(STATES) + 7


def test_errors_go_to_the_status_line():
    """A bad change is the API server's error in the status line, and changes nothing."""
    cluster = webapp()
    lab = ReadinessLab(cluster)
    cluster.delete("Deployment", "web")
    lab.rollout_good.click()
    assert 'deployments.apps "web" not found' in lab.status.value


# --- The three learner scenarios ----------------------------------------------------------------

def test_scenario_failed_requests_without_probe():
    """No readiness probe: a rollout puts warming-up pods behind the Service and requests fail;
    with the probe the same rollout fails none."""
    lab = ReadinessLab(webapp())
    lab.step(5)
    lab.rollout_good.click()
    lab.step(60)
    assert lab.history.totals()[1] > 0

    lab = ReadinessLab(webapp())
    lab.readiness.value = True
    lab.step(60)
    lab.rollout_good.click()
    lab.step(90)
    assert lab.history.totals()[1] == 0
    assert "successfully rolled out" in lab.cluster.kubectl("rollout status deployment/web")


def test_scenario_stalled_bad_rollout():
    """With a readiness probe, a broken version never becomes ready: the rollout stalls with one
    new pod 0/1 while the old pods keep serving every request."""
    lab = ReadinessLab(webapp())
    lab.readiness.value = True
    lab.step(60)
    lab.rollout_bad.click()
    lab.step(120)
    assert lab.history.totals()[1] == 0
    broken = [p for p in lab.cluster.pods(selector="app=web")
              if p.spec.containers[0].image == BAD_IMAGE]
    assert broken and not any(p.status.condition("Ready").status == "True" for p in broken)
    with pytest.raises(kitlib.ApiError, match="timed out waiting for the condition"):
        lab.cluster.kubectl("rollout status deployment/web --timeout=1s")


def hung_lab(**options) -> tuple[ReadinessLab, str]:
    """A readiness lab whose liveness probe (after a 15 s delay) is on, and a pod of it hung for 20 s."""
    lab = ReadinessLab(webapp(), **options)
    lab.liveness_initial_delay.value = 15
    lab.liveness.value = True
    lab.step(60)
    pod = lab.pod_picker.value
    lab.fault_buttons["hang"].value = True
    lab.step(20)
    return lab, pod


def test_scenario_liveness_restart():
    """A liveness probe restarts a hung app: its restart count goes up and it shows on the timeline."""
    lab, pod = hung_lab()
    assert lab.history.tracks[pod].samples[-1].restarts >= 1
    assert pod in timeline_data(lab.history).rows
    assert len(timeline_data(lab.history).restarts[0]) >= 1


def test_each_probe_has_its_own_timing_and_a_change_says_it_starts_a_rollout():
    """readinessProbe and livenessProbe are separate fields of the container: the lab edits each
    one's periodSeconds, failureThreshold and initialDelaySeconds apart, and says that a change to
    the pod template starts a rollout (a new ReplicaSet), as kubectl apply does on a cluster."""
    lab = ReadinessLab(webapp())
    lab.readiness.value = True
    assert "a rollout starts" in lab.status.value and "the probe is part of the pod template" in lab.status.value
    lab.liveness_initial_delay.value = 15
    lab.liveness_period.value = 7
    lab.liveness.value = True
    lab.period.value = 3
    probes = lab.cluster.get("Deployment", "web").spec.template.spec.containers[0]
    assert (probes.readiness_probe.period_seconds, probes.readiness_probe.initial_delay_seconds or 0) == (3, 0)
    assert (probes.liveness_probe.period_seconds, probes.liveness_probe.initial_delay_seconds) == (7, 15)
    assert lab.widget.children[0].children[0] is lab.readiness and lab.widget.children[1].children[0] is lab.liveness


def test_roll_back_undoes_a_broken_rollout():
    """Roll back is kubectl rollout undo: after "Roll out broken", the previous template (and
    image) comes back, as a new rollout."""
    lab = ReadinessLab(webapp())
    lab.readiness.value = True
    lab.step(30)
    lab.rollout_bad.click()
    assert "its image is now kitlib/webapp:broken" in lab.status.value
    lab.step(30)
    lab.rollback.click()
    assert "kubectl rollout undo" in lab.status.value
    image = lab.cluster.get("Deployment", "web").spec.template.spec.containers[0].image
    assert image == "kitlib/webapp:1"
    lab.step(60)
    assert all(p.spec.containers[0].image == "kitlib/webapp:1" for p in lab.cluster.pods(selector="app=web"))


def test_tick_labels_are_not_measured_for_overflow():
    """Every axis of the timeline and the success rate lets its tick labels be
    (ticklabeloverflow "allow"): plotly.js's default measures each label in the browser after
    every redraw, to hide those past the figure's edge, where automargin never puts them."""
    rec = History(webapp(), rate=5)
    rec.run(2)
    for fig in (timeline(rec), success_rate(rec)):
        axes = [fig.layout[k] for k in fig.layout if k.startswith(("xaxis", "yaxis"))]
        assert len(axes) >= 2 and all(a.ticklabeloverflow == "allow" for a in axes)


def test_probe_runs_are_drawn_with_plotly_symbol_numbers():
    """Passed probe runs are circles (readiness), failed ones x's (one symbol for the trace), given
    as plotly.js's symbol numbers (0 circle, 4 x), which draw the same markers as the names."""
    cluster = webapp(replicas=1)
    with_readiness(cluster)
    cluster.advance(40)
    rec = History(cluster, rate=0)
    rec.run(4)
    cluster.set_fault(rec.pods()[0].name, "dependency-down")
    rec.run(6)
    fig = timeline(rec)
    passed, failed = (next(t for t in fig.data if t.name == n) for n in ("probe passed", "probe failed"))
    assert set(passed.marker.symbol) == {0} and failed.marker.symbol == 4


def test_passed_probe_runs_are_drawn_as_one_segment_per_run_of_passes():
    """A probe that keeps passing is drawn as one line from its first to its last passed run, with
    its marker at both ends and the count and period on hover; a failure (kept as its own x, with
    the kubelet's message) ends the run, and the passes after it start a new one. Every run is
    still counted: the segments' counts add up to the passed runs in the history."""
    cluster = webapp(replicas=1)
    with_readiness(cluster)
    cluster.advance(40)
    rec = History(cluster, rate=0)
    rec.run(10)
    pod = rec.pods()[0].name
    cluster.set_fault(pod, "dependency-down")
    rec.run(6)
    cluster.set_fault(pod, "dependency-down", False)
    rec.run(10)
    xs, ys, symbols, hovers = timeline_data(rec).passed
    runs = [i for i, x in enumerate(xs) if x is None]
    assert len(runs) == 2, "one segment before the failures, one after"
    first = hovers[0]
    assert first.startswith(f"{pod}<br>readiness probe: ") and first.endswith(" s, every 2 s")
    counts = [int(h.split(": ")[1].split(" ")[0]) for h in (hovers[0], hovers[runs[0] + 1])]
    assert sum(counts) == sum(1 for p in rec.probes if p.ok)
    passes = [p.time for p in rec.probes if p.ok]
    assert xs[0] == pytest.approx(passes[0], abs=1e-3) and xs[runs[1] - 1] == pytest.approx(passes[-1], abs=1e-3)
    assert set(symbols) == {0} and {y for y in ys if y is not None} == {-0.36}
    failed = timeline_data(rec).failed
    assert failed[0] and all(xs[runs[0] - 1] < t < xs[runs[0] + 1] for t in failed[0])
    assert all("Readiness probe failed: HTTP probe failed with statuscode: 503" in h for h in failed[3])


def test_a_single_passed_run_is_a_lone_marker_with_its_time():
    """A pass between two failures is drawn as one marker, its hover as before (time and success)."""
    from kitlib.history import ProbeTick

    class Recorded:
        tracks = {"web-1": type("T", (), {"name": "web-1", "samples": [], "restarts_at": []})()}
        probes = [ProbeTick(10, "web-1", "liveness", False, "Liveness probe failed: timeout"),
                  ProbeTick(12, "web-1", "liveness", True), ProbeTick(14, "web-1", "liveness", False, "")]
        times: list = []
        steps: list = []
        served: list = []
        failed: list = []
        start = 0

    xs, ys, symbols, hovers = timeline_data(Recorded()).passed
    assert (xs, ys, symbols) == ([12, None], [-0.36, None], [2, 2])
    assert hovers == ["web-1<br>liveness probe at 12 s: success", None]
    assert timeline_data(Recorded()).failed[3] == ["web-1<br>10 s: Liveness probe failed: timeout",
                                                   "web-1<br>14 s: liveness probe failed"]


def test_figures_send_times_to_the_millisecond():
    """The timeline's times are rounded to the millisecond (the axis shows whole seconds; a float's
    17 digits were a third of the bytes of the times)."""
    cluster = webapp()
    with_readiness(cluster)
    rec = History(cluster, rate=10)
    rec.run(25)
    fig = timeline(rec)
    times = [x for t in fig.data for x in (*(t.x or ()), *(getattr(t, "base", None) or ())) if x is not None]
    assert times and all(round(x, 3) == x for x in times)
    assert any(x != int(x) for x in times), "the pods' probes run at fractional times"


# --- One figure, drawn cheaply; its text alternative (issues 17 and 18) ---------------------------

def test_the_success_rate_is_the_timelines_bottom_row():
    """The share of each step's requests that was served is drawn under the requests per second,
    on the same time axis, in the same figure: the lab redraws one figure per step. The title
    gives the totals and their share."""
    lab = ReadinessLab(webapp(), rate=10)
    lab.step(3)
    figures = [w for w in lab.widget.children if isinstance(w, go.FigureWidget)]
    assert figures == [lab.timeline] and not hasattr(lab, "rate_figure")
    share = next(t for t in lab.timeline.data if t.name == "served %")
    served = next(t for t in lab.timeline.data if t.name == "served /s")
    assert (share.xaxis, share.yaxis) == ("x3", "y3") and list(share.y) == [100.0] * 3
    assert list(share.x) == list(served.x)
    layout = lab.timeline.layout
    assert layout.xaxis.matches == layout.xaxis2.matches == "x3"
    assert layout.yaxis3.title.text == "served %" and layout.xaxis3.title.text == "time (s)"
    assert "30 served, 0 failed · 100.0 % of 30 requests served" in layout.title.text
    assert layout.yaxis.domain[0] > layout.yaxis2.domain[1] > layout.yaxis2.domain[0] > layout.yaxis3.domain[1]


def test_a_redraw_sends_only_the_arrays_that_changed():
    """A step with no failed probe does not send the failures again (their hover texts, with the
    kubelet's messages, are the timeline's largest arrays); a step with one does."""
    from kitlib.widgets.figurewidget import LabFigureWidget

    cluster = webapp(replicas=1)
    with_readiness(cluster)
    cluster.advance(40)
    rec = History(cluster, rate=5)
    cluster.set_fault(rec.pods()[0].name, "dependency-down")
    rec.run(6)
    cluster.set_fault(rec.pods()[0].name, "dependency-down", False)
    fig = timeline(rec, figure_class=LabFigureWidget)
    failed = next(i for i, t in enumerate(fig.data) if t.name == "probe failed")
    sent: list[dict] = []
    fig._send = lambda msg, buffers=None: sent.append(msg)  # type: ignore[method-assign]
    rec.run(2)
    update_timeline(fig, rec)
    traces = sent[0]["state"]["_py2js_update"]["style_traces"]
    assert failed not in traces and traces, "the passes and the rates changed, the failures did not"
    cluster.set_fault(rec.pods()[0].name, "dependency-down")
    rec.run(4)
    update_timeline(fig, rec)
    assert failed in sent[-2]["state"]["_py2js_update"]["style_traces"]
    drawn = [{k: v for k, v in t.items() if k != "uid"} for t in fig.to_dict()["data"]]
    assert drawn == timeline(rec).to_dict()["data"], "what was skipped was equal to what is drawn"


def test_no_state_of_the_timeline_is_told_by_colour_alone():
    """Each state bar has its own fill pattern (Running, the usual one, plain); a failed probe run
    is an x and a passed one a line with a dot; failed requests are dotted, served ones solid."""
    fig = timeline(History(webapp(), rate=1))
    bars = {t.name: t.marker.pattern.shape for t in fig.data if t.name in dict(STATES)}
    assert bars["Running"] == "" and len(set(bars.values())) == len(STATES)
    traces = {t.name: t for t in fig.data}
    assert traces["probe failed"].mode == "markers" and traces["probe failed"].marker.symbol == 4
    assert traces["probe passed"].mode == "lines+markers"
    assert traces["failed /s"].line.dash == "dot" and traces["served /s"].line.dash is None


def test_the_timeline_has_a_text_alternative_that_follows_the_state():
    """Under the timeline, its text alternative says in words what the figure draws, from the API
    objects and the history: a pod whose readiness breaks is named as not Ready, with kubectl's
    STATUS and the kubelet's probe message, the Service's EndpointSlices count one ready endpoint
    fewer, and the failed probe runs are counted; once the fault is over, all are ready again."""
    from kitlib.widgets.lab import short_names

    lab = ReadinessLab(webapp(replicas=3), rate=10)
    lab.readiness.value = True
    lab.step(60)
    children = list(lab.widget.children)
    assert children[children.index(lab.timeline) + 1] is lab.timeline_text
    text = lab.timeline_text.value
    assert "role='note'" in text
    assert "Pods: 3, 3 Ready. Service web: 3 ready endpoints. Probe runs in the last 10 s: readiness 15 passed, " \
           "0 failed. Requests in the last 10 s: 100 served, 0 failed; since the start: " in text
    pod = lab.pod_picker.value
    short = short_names(p.name for p in lab.history.pods())[pod]
    lab.fault_buttons["dependency-down"].value = True
    lab.step(10)
    text = lab.timeline_text.value
    assert (f"Pods: 3, 2 Ready; not Ready: {short} (Running; Readiness probe failed: HTTP probe failed with "
            "statuscode: 503). Service web: 2 ready endpoints of 3.") in text
    assert "readiness 10 passed, 5 failed" in text and "100 served, 0 failed" in text
    lab.fault_buttons["dependency-down"].value = False
    lab.step(10)
    assert "Pods: 3, 3 Ready. Service web: 3 ready endpoints." in lab.timeline_text.value


def test_the_text_alternative_counts_restarts_and_failed_requests():
    """A hung app restarted by its liveness probe shows as a restart in the text; requests that
    failed are counted, with the most frequent reason (the data path's own words)."""
    lab, pod = hung_lab(rate=10)
    text = lab.timeline_text.value
    restarts = sum(cs.restart_count for cs in lab.cluster.get("Pod", pod).status.container_statuses)
    assert restarts >= 1 and f"-{pod.rsplit('-', 1)[1]} {restarts}" in text.split("Restarts: ")[1]
    served, failed = lab.history.totals()
    assert failed > 0 and f"since the start: {served} served, {failed} failed" in text
    assert "the most frequent failure (" in text and f"of {failed}): container webapp of pod " in text
