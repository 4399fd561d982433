"""The readiness timeline: one row per pod (phase and container state, ready intervals, probe
runs: passes as one line per run of passes, each failure an x; restarts), under it requests per
second served and failed, and under that the share of each step's requests that was served. It
is a function of a :class:`kitlib.history.History`, with a fixed set of traces that
:func:`update_timeline` rewrites in one ``batch_update``. (:func:`success_rate` draws the share
alone, as a figure of its own.)

Colours are the Okabe-Ito palette, and nothing is told by colour alone: a failed probe run is a
vermillion ``x``; passed runs are a blue line from the first to the last pass of a run of passes,
ended by a dot (readiness), diamond (liveness) or square (startup), its hover giving the count and
the period; a state bar has its own fill pattern (Running plain, Pending dotted,
CrashLoopBackOff crossed, Exited hatched, Terminating striped); a Ready interval is a bar of its
own under the state; failed requests are a dotted line, served ones solid. One marker per passed
run was 1,200 SVG paths and 60 KiB of hover texts per redraw after a few minutes of ten pods
(issue 18); each failure keeps its own marker and the kubelet's message.

What it costs in the browser (issue 18): each redraw is one full replot by plotly.js, whatever
changed, and a figure's replot has a floor (defaults, axes, legend, margins) of its own. The
success rate was a second figure, replotted after the timeline on every step: as the timeline's
third row, sharing its time axis, it is drawn in the same replot (the lab's +1 s went from about
49 to about 35 ms of the page's main thread in a bare page, at the benchmark's history); drawn as
a line without a dot per step it saves 5 more (the steps' values are the line's corners). A
redraw writes only the arrays that changed (:func:`kitlib.figures.redraw.unchanged`): the
failures and their hover texts, the largest arrays, rarely change between two clicks.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import plotly.graph_objects as go
from plotly.subplots import make_subplots

from .redraw import unchanged
from .service_graph import BLACK, BLUE, GREEN, GREY, ORANGE, SKY, VERMILLION

PURPLE = "#CC79A7"
STATES = (("Pending", "#DDDDDD"), ("Running", SKY), ("CrashLoopBackOff", ORANGE), ("Exited", PURPLE),
          ("Terminating", GREY))
"""The state bars, one trace each: how a sampled STATUS is grouped (see :func:`state_group`)."""
PATTERNS = {"Pending": ".", "Running": "", "CrashLoopBackOff": "x", "Exited": "/", "Terminating": "-"}
"""Each state bar's fill pattern, so that a state is told by more than its colour (Running, the
usual state, plain)."""
SYMBOLS = {"readiness": "circle", "liveness": "diamond", "startup": "square"}
SYMBOL_CODES = {"circle": 0, "square": 1, "diamond": 2, "x": 4}
"""plotly.js's numbers for those marker symbols (``src/components/drawing/symbol_defs.js``, in
order): the same markers, but plotly.py checks a number of a per-point symbol list in a
microsecond, a name through its regular expressions in 40 (50 ms per redraw at 1,200 probe runs)."""
TICK_LABELS = "allow"
"""The axes' ``ticklabeloverflow``: plotly.js's default for linear axes ("hide past div") measures
every tick label with getBoundingClientRect after each redraw (a forced layout each: 40-60 % of
the timeline's redraw in the browser), to hide labels past the figure's edge; automargin keeps
them inside anyway."""
MAX_PODS = 20
"""Rows shown: the pods seen most recently (a long lab session makes many pods)."""


def state_group(phase: str, state: str) -> str:
    """The bar a pod's sample belongs to: Pending, Running, CrashLoopBackOff, Exited or Terminating."""
    if phase == "Terminating":
        return "Terminating"
    if state in ("Running", "NotReady"):
        return "Running"
    if state == "CrashLoopBackOff":
        return "CrashLoopBackOff"
    if state in ("Error", "Completed", "OOMKilled") or state.startswith("ExitCode"):
        return "Exited"
    return "Pending"


@dataclass
class TimelineData:
    """The timeline as plain data (what the traces show), computed from a history."""

    rows: list[str] = field(default_factory=list)
    bars: dict[str, tuple[list, list, list, list]] = field(default_factory=dict)
    """state group → (start, length, row, hover) of each interval."""
    ready: tuple[list, list, list, list] = field(default_factory=lambda: ([], [], [], []))
    passed: tuple[list, list, list, list] = field(default_factory=lambda: ([], [], [], []))
    """Passed probe runs, one line segment per run of passes of a probe of a pod (each one period
    after the last, no failure between): (time, row, symbol, hover) of its first and last run, then
    ``None`` (plotly.js breaks the line there); a lone pass is one point."""
    failed: tuple[list, list, list, list] = field(default_factory=lambda: ([], [], [], []))
    """(time, row, symbol, hover) of each failed probe run (symbol: always the x)."""
    restarts: tuple[list, list, list] = field(default_factory=lambda: ([], [], []))
    rate_x: list[float] = field(default_factory=list)
    served: list[float] = field(default_factory=list)
    failed_rate: list[float] = field(default_factory=list)
    share: list[float | None] = field(default_factory=list)
    """Per step, the per cent of its requests that were served (``None``: it sent none)."""


def ms(seconds: float) -> float:
    """A time as the figures send it: to the millisecond (a float's 17 digits were a third of the
    bytes of the timeline's times, and the axis cannot show them)."""
    return round(seconds, 3)


def timeline_data(history) -> TimelineData:
    """What :func:`timeline` draws, as plain data."""
    d = TimelineData(bars={name: ([], [], [], []) for name, _ in STATES})
    tracks = list(history.tracks.values())[-MAX_PODS:]
    d.rows = [t.name for t in tracks]
    row = {name: i for i, name in enumerate(d.rows)}
    before = dict(zip(history.times, [history.start, *history.times[:-1]], strict=False))
    for t in tracks:
        i = row[t.name]
        spans: list[list] = []  # [group, start, end, status] for state; same for ready
        ready: list[list] = []
        for s in t.samples:
            start = before.get(s.time, s.time)
            group = state_group(s.phase, s.state)
            if spans and spans[-1][0] == group and spans[-1][3] == s.state and abs(spans[-1][2] - start) < 1e-9:
                spans[-1][2] = s.time
            else:
                spans.append([group, start, s.time, s.state])
            if s.ready:
                if ready and abs(ready[-1][1] - start) < 1e-9:
                    ready[-1][1] = s.time
                else:
                    ready.append([start, s.time])
        for group, a, b, status in spans:
            xs, ws, ys, hs = d.bars[group]
            xs.append(ms(a))
            ws.append(ms(b - a))
            ys.append(i)
            hs.append(f"{t.name}<br>{status} from {a:.0f} s to {b:.0f} s")
        for a, b in ready:
            d.ready[0].append(ms(a))
            d.ready[1].append(ms(b - a))
            d.ready[2].append(i + 0.33)
            d.ready[3].append(f"{t.name}<br>Ready from {a:.0f} s to {b:.0f} s")
        for when in t.restarts_at:
            d.restarts[0].append(ms(when))
            d.restarts[1].append(i)
            d.restarts[2].append(f"{t.name}<br>restarted (seen at {when:.0f} s)")
    runs: dict[tuple[str, str], list] = {}  # (pod, kind) → its open run of passes [first, last, count, step]
    done: list[tuple[str, str, list]] = []
    for p in history.probes:
        if p.pod not in row:
            continue
        key = (p.pod, p.kind)
        run = runs.get(key)
        if not p.ok:
            if run is not None:
                done.append((*key, runs.pop(key)))
            d.failed[0].append(ms(p.time))
            d.failed[1].append(row[p.pod] - 0.36)
            d.failed[2].append(SYMBOL_CODES["x"])
            # The kubelet's message names the probe ("Readiness probe failed: ...", prober.go).
            d.failed[3].append(f"{p.pod}<br>{p.time:g} s: {p.message or p.kind + ' probe failed'}")
        elif run is not None and (run[3] is None or abs(p.time - run[1] - run[3]) < 1e-6):
            run[3] = p.time - run[1]
            run[1] = p.time
            run[2] += 1
        else:
            if run is not None:
                done.append((*key, run))
            runs[key] = [p.time, p.time, 1, None]
    done += [(*key, run) for key, run in runs.items()]
    for pod, kind, (first, last, count, step) in sorted(done, key=lambda r: (r[2][0], r[0], r[1])):
        symbol = SYMBOL_CODES[SYMBOLS.get(kind, "circle")]
        text = (f"{pod}<br>{kind} probe at {first:g} s: success" if count == 1 else
                f"{pod}<br>{kind} probe: {count} successes, {first:g}-{last:g} s, every {step:g} s")
        xs, ys, symbols, hs = d.passed
        xs += [ms(first), ms(last), None] if count > 1 else [ms(first), None]
        ys += [row[pod] - 0.36] * (2 if count > 1 else 1) + [None]
        symbols += [symbol] * (3 if count > 1 else 2)
        hs += [text] * (2 if count > 1 else 1) + [None]
    for t, dt, s, f in zip(history.times, history.steps, history.served, history.failed, strict=False):
        d.rate_x.append(ms(t))
        d.served.append(s / dt)
        d.failed_rate.append(f / dt)
        d.share.append(ms(100 * s / (s + f)) if s + f else None)
    return d


ROW_PX = 34
"""Height of a pod's row of the timeline, in pixels."""
RATE_PX, SHARE_PX, GAP_PX = 110, 80, 26
"""Heights of the requests-per-second and served-% rows and of the gaps between the rows (pixels)."""
TOP_PX, BOTTOM_PX, LEGEND_PX = 40, 130, 62
"""Above the rows: the title; below them: the time axis and its title, then (``LEGEND_PX`` under
the rows) the legend."""


def _domains(pods: int) -> tuple[int, list[tuple[float, float]]]:
    """The figure's height and each row's vertical domain (pods, requests/s, served %) for
    ``pods`` rows of pods: a pod's row keeps its height, the rate rows theirs, however many pods."""
    heights = [ROW_PX * max(1, pods) + 20, RATE_PX, SHARE_PX]
    plot = sum(heights) + 2 * GAP_PX
    out, top = [], plot
    for h in heights:
        out.append((round((top - h) / plot, 4), round(top / plot, 4)))
        top -= h + GAP_PX
    return plot + TOP_PX + BOTTOM_PX, out


def timeline(history, figure_class=go.Figure) -> go.Figure:
    """The timeline of ``history`` (see the module docstring); ``figure_class=go.FigureWidget`` for widgets."""
    fig = figure_class(make_subplots(rows=3, cols=1, shared_xaxes=True, vertical_spacing=0.05))
    for name, colour in STATES:
        fig.add_trace(go.Bar(name=name, orientation="h", marker=dict(color=colour, pattern=dict(shape=PATTERNS[name])),
                             width=0.5, hovertemplate="%{hovertext}<extra></extra>", legendgroup="state"),
                      row=1, col=1)
    fig.add_trace(go.Bar(name="Ready", orientation="h", marker=dict(color=GREEN), width=0.14,
                         hovertemplate="%{hovertext}<extra></extra>"), row=1, col=1)
    fig.add_trace(go.Scatter(name="probe passed", mode="lines+markers", marker=dict(color=BLUE, size=7),
                             line=dict(color=BLUE, width=2),
                             hovertemplate="%{hovertext}<extra></extra>"), row=1, col=1)
    fig.add_trace(go.Scatter(name="probe failed", mode="markers",
                             marker=dict(color=VERMILLION, size=8, line=dict(width=2, color=VERMILLION),
                                         symbol=SYMBOL_CODES["x"]),
                             hovertemplate="%{hovertext}<extra></extra>"), row=1, col=1)
    fig.add_trace(go.Scatter(name="restart", mode="markers", marker=dict(color=BLACK, size=12, symbol="star"),
                             hovertemplate="%{hovertext}<extra></extra>"), row=1, col=1)
    fig.add_trace(go.Scatter(name="served /s", mode="lines", line=dict(color=BLUE, shape="hv", width=2)),
                  row=2, col=1)
    fig.add_trace(go.Scatter(name="failed /s", mode="lines", line=dict(color=VERMILLION, shape="hv", width=2,
                                                                       dash="dot")), row=2, col=1)
    # Its row's axis names it: no legend entry to confuse with "served /s".
    fig.add_trace(go.Scatter(name="served %", mode="lines", line=dict(color=BLUE, shape="hv"), showlegend=False,
                             hovertemplate="t = %{x:g} s: %{y:.1f} % served<extra></extra>"), row=3, col=1)
    fig.update_layout(barmode="overlay", template="simple_white", margin=dict(l=10, r=10, t=TOP_PX, b=BOTTOM_PX),
                      legend=dict(orientation="h", yanchor="top"), bargap=0)
    fig.update_yaxes(title_text="requests/s", rangemode="tozero", row=2, col=1)
    fig.update_yaxes(title_text="served %", range=[-2, 102], row=3, col=1)
    fig.update_xaxes(title_text="time (s)", row=3, col=1)
    fig.update_xaxes(ticklabeloverflow=TICK_LABELS)
    fig.update_yaxes(ticklabeloverflow=TICK_LABELS)
    update_timeline(fig, history)
    return fig


def update_timeline(fig: go.Figure, history) -> None:
    """Redraw ``fig`` (made by :func:`timeline`) in place from ``history``, in one batch; an array
    equal to what the last redraw wrote is not written again (nor sent to the browser)."""
    d = timeline_data(history)
    columns: list[dict[str, list]] = [
        dict(base=xs, x=ws, y=ys, hovertext=hs) for xs, ws, ys, hs in (d.bars[name] for name, _ in STATES)]
    columns.append(dict(base=d.ready[0], x=d.ready[1], y=d.ready[2], hovertext=d.ready[3]))
    xs, ys, symbols, hs = d.passed
    columns.append({"x": xs, "y": ys, "hovertext": hs, "marker.symbol": symbols})
    columns.append(dict(x=d.failed[0], y=d.failed[1], hovertext=d.failed[3]))
    columns.append(dict(x=d.restarts[0], y=d.restarts[1], hovertext=d.restarts[2]))
    columns += [dict(x=d.rate_x, y=d.served), dict(x=d.rate_x, y=d.failed_rate), dict(x=d.rate_x, y=d.share)]
    start = history.start
    end = history.times[-1] if history.times else start + 1
    served, failed = history.totals()
    total = served + failed
    share = f"{100 * served / total:.1f} % of {total} requests served" if total else "no requests sent"
    with fig.batch_update():
        for k, values in enumerate(columns):
            for prop, value in values.items():
                if not unchanged(fig, f"{k}.{prop}", value):
                    fig.data[k][prop] = value
        if not unchanged(fig, "rows", d.rows):
            fig.layout.yaxis.update(tickvals=list(range(len(d.rows))), ticktext=d.rows)
        fig.layout.yaxis.update(autorange="reversed", range=None, showgrid=False)
        # The rows share one time axis (the upper two match the bottom one, whose range counts).
        fig.layout.xaxis3.update(range=[start, max(end, start + 1)])
        height, domains = _domains(len(d.rows))
        if fig.layout.height != height:
            fig.layout.height = height
            for axis, domain in zip((fig.layout.yaxis, fig.layout.yaxis2, fig.layout.yaxis3), domains, strict=True):
                axis.domain = domain
            fig.layout.legend.y = -LEGEND_PX / (height - TOP_PX - BOTTOM_PX)
        fig.layout.title = dict(text=f"t = {end:.0f} s · {served} served, {failed} failed · {share}", x=0.01)


def success_rate(history, figure_class=go.Figure) -> go.Figure:
    """Per step, the share of requests that were served (0-100 %), with the totals in the title."""
    fig = figure_class()
    fig.add_trace(go.Scatter(name="served %", mode="lines+markers", line=dict(color=BLUE, shape="hv"),
                             marker=dict(size=4), hovertemplate="t = %{x:g} s: %{y:.1f} % served<extra></extra>"))
    fig.update_layout(template="simple_white", height=220, margin=dict(l=10, r=10, t=40, b=30),
                      yaxis=dict(range=[-2, 102], title="served %", ticklabeloverflow=TICK_LABELS),
                      xaxis=dict(title="time (s)", ticklabeloverflow=TICK_LABELS))
    update_success_rate(fig, history)
    return fig


def update_success_rate(fig: go.Figure, history) -> None:
    """Redraw ``fig`` (made by :func:`success_rate`) in place from ``history``, in one batch."""
    rates = [None if r is None else 100 * r for r in history.success_rate]
    served, failed = history.totals()
    total = served + failed
    with fig.batch_update():
        fig.data[0].update(x=list(history.times), y=rates)
        share = f"{100 * served / total:.1f} %" if total else "—"
        fig.layout.title = dict(text=f"success rate: {share} of {total} requests", x=0.01)
