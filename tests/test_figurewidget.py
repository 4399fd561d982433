"""The labs' figure widget (kitlib.widgets.figurewidget): plotly's FigureWidget without the
browser's echo of every redraw, and a Sankey that does not animate. Checked on the messages the
kernel sends and on the browser module it ships (no browser here: tests/browser draws them)."""

from __future__ import annotations

import pytest

pytest.importorskip("anywidget")

import plotly.graph_objects as go

import kitlib
from kitlib.figures.sankey import traffic_sankey, update_traffic_sankey
from kitlib.figures.service_graph import service_graph, update_service_graph
from kitlib.widgets import FirewallLab, GatewayLab, IngressLab, ReadinessLab, ServiceLab
from kitlib.widgets.figurewidget import ECHO_OFF, SANKEY_STILL, LabFigureWidget, lab_module


@pytest.fixture
def cluster():
    c = kitlib.Cluster(nodes=2, seed=0)
    c.kubectl("create deployment web --image=nginx --replicas=2 --port=80")
    c.kubectl("create deployment client --image=nginx")
    c.kubectl("expose deployment web --port=80")
    c.advance(10)
    return c


def client_traffic(cluster):
    """20 requests from the client pod to the web Service's ClusterIP."""
    return cluster.traffic(cluster.pods(selector="app=client")[0].key, cluster.get("Service", "web").spec.cluster_ip,
                           80, requests=20)


def sent_by(fig, monkeypatch) -> list[dict]:
    """Record the messages the kernel sends to the figure's browser views."""
    sent: list[dict] = []
    monkeypatch.setattr(fig, "_send", lambda msg, buffers=None: sent.append(msg))
    return sent


def test_the_installed_plotly_is_patched():
    """Both changes find what they look for in the installed plotly's widget module: the views'
    FigureView class (through the module's export clause) and the Sankey's transition time."""
    assert ECHO_OFF and SANKEY_STILL
    module = LabFigureWidget._esm
    assert module.rstrip().endswith("return remove.apply(this, args);\n  };\n}")
    assert "view._sendLayoutDelta = function () {};\n" in module and "new ResizeObserver(" in module
    assert "forceTicksPerFrame:10,duration:0" in module
    assert "duration:500" not in module.split("forceTicksPerFrame")[1][:40]


def test_a_trace_a_batch_leaves_alone_is_sent_as_undefined_and_read_back_as_such(cluster, monkeypatch):
    """A batch_update that writes x on one trace and only the text of another sends x for the
    second as plotly.py's "_undefined_" marker; the module's FigureModel applies it as undefined
    to the figure it keeps for new views (it reads the raw message), or a view drawn later would
    get x = "_undefined_" and drop the trace (tests/browser/test_lab_widths.py checks the service
    lab's traces in the browser)."""
    fig = LabFigureWidget(data=[go.Scatter(x=[0, 1], y=[0, 1], text=["a", "b"]), go.Scatter(x=[0], y=[0])])
    sent = sent_by(fig, monkeypatch)
    with fig.batch_update():
        fig.data[0].text = ["c", "d"]
        fig.data[1].x = [2]
    update = sent[0]["state"]["_py2js_update"]
    assert update["style_data"]["x"] == ["_undefined_", [2]] and update["style_traces"] == [0, 1]
    module = LabFigureWidget._esm
    assert "(v === '_undefined_' ? undefined : v)" in module.split("const model = TD.prototype")[1].split("const view = ")[0]


def test_an_unknown_module_is_left_as_it_is():
    """A plotly release whose module has neither the export clause nor the Sankey constants gets
    its own module back: the figures then echo and animate as plotly's do, but still work."""
    assert lab_module("export default {};") == ("export default {};", False, False)


def test_a_redraw_is_one_update_message_and_its_reset(cluster, monkeypatch):
    """A batch_update sends one _py2js_update (and plotly's reset of it to None); the edit ids,
    which only labelled the echo, stay in the kernel."""
    fig = service_graph(cluster, figure_class=LabFigureWidget)
    sent = sent_by(fig, monkeypatch)
    update_service_graph(fig, cluster, client_traffic(cluster))
    assert [list(m["state"]) for m in sent] == [["_py2js_update"], ["_py2js_update"]]
    assert sent[0]["state"]["_py2js_update"]["layout_data"]["title"]["subtitle"]["text"].startswith("20 requests")


def test_plotly_sends_the_edit_ids_too(cluster, monkeypatch):
    """The stock FigureWidget sends both edit ids with every update (what the test above saves)."""
    fig = service_graph(cluster, figure_class=go.FigureWidget)
    sent = sent_by(fig, monkeypatch)
    update_service_graph(fig, cluster, client_traffic(cluster))
    keys = [k for m in sent for k in m["state"]]
    assert "_last_trace_edit_id" in keys and "_last_layout_edit_id" in keys


@pytest.mark.parametrize("message", ["_js2py_relayout", "_js2py_restyle", "_js2py_pointsCallback",
                                     "_js2py_traceDeltas"])
def test_what_the_browser_sends_is_not_echoed_back(cluster, monkeypatch, message):
    """ipywidgets answers each state the browser sends with an echo_update of it; for the figure's
    messages from the browser that is a second copy of what the browser already has."""
    assert go.FigureWidget.class_traits()[message].metadata.get("echo_update", True) is True
    assert LabFigureWidget.class_traits()[message].metadata["echo_update"] is False
    fig = LabFigureWidget(data=[go.Scatter(x=[0, 1], y=[0, 1])])
    sent = sent_by(fig, monkeypatch)
    fig.set_state({message: None})
    assert not [m for m in sent if m["method"] == "echo_update"]


def test_a_legend_click_still_reaches_the_kernel_and_survives_the_next_redraw(cluster, monkeypatch):
    """A legend click in the browser is a restyle the kernel applies to its figure (as in plotly),
    so the lab's next redraw keeps the trace hidden."""
    fig = service_graph(cluster, figure_class=LabFigureWidget)
    sent_by(fig, monkeypatch)
    fig.set_state({"_js2py_restyle": {"style_data": {"visible": ["legendonly"]}, "style_traces": [0],
                                      "source_view_id": "view"}})
    assert fig.data[0].visible == "legendonly"
    update_service_graph(fig, cluster, None, source="external")
    assert fig.data[0].visible == "legendonly"


def test_a_zoom_still_reaches_the_kernel(cluster, monkeypatch):
    """Zoom and autoscale arrive as relayouts the kernel applies, as in plotly."""
    fig = LabFigureWidget(data=[go.Scatter(x=[0, 1], y=[0, 1])])
    sent_by(fig, monkeypatch)
    fig.set_state({"_js2py_relayout": {"relayout_data": {"xaxis.range[0]": 0.2, "xaxis.range[1]": 0.8},
                                       "source_view_id": "view"}})
    assert tuple(fig.layout.xaxis.range) == (0.2, 0.8)


def test_edits_completed_callbacks_run_at_once():
    """No delta comes back, so there is nothing to wait for."""
    fig = LabFigureWidget(data=[go.Scatter(x=[0, 1], y=[0, 1])])
    with fig.batch_update():
        fig.data[0].x = [1, 2]
    done = []
    fig.on_edits_completed(lambda: done.append(True))
    assert done == [True]


def test_the_sankey_is_one_trace_redrawn_in_one_update(cluster, monkeypatch):
    """The Sankey stays one trace; a new Traffic result is one update message."""
    fig = traffic_sankey(None, cluster, figure_class=LabFigureWidget)
    sent = sent_by(fig, monkeypatch)
    traffic = cluster.traffic("external", cluster.nodes()[0].status.addresses[0].address, 80, requests=5)
    update_traffic_sankey(fig, traffic, cluster, source="external")
    assert len(fig.data) == 1 and fig.data[0].type == "sankey"
    assert [list(m["state"]) for m in sent] == [["_py2js_update"], ["_py2js_update"]]


def test_every_lab_draws_with_the_lab_figure_widget(cluster):
    """All labs' figures are LabFigureWidgets, so none of them echoes its redraws."""
    labs = [ServiceLab(cluster, "web"), kitlib.widgets.DeploymentLab(cluster, "web")]
    figures = [labs[0].graph, labs[0].sankey, labs[1].map]
    c = kitlib.Cluster(nodes=2, seed=0)
    c.kubectl("create deployment client --image=nginx")
    c.kubectl("create deployment web --image=kitlib/webapp:1 --replicas=2 --port=8080")
    c.kubectl("expose deployment web --port=80 --target-port=8080")
    c.advance(10)
    readiness = ReadinessLab(c)
    figures += [readiness.timeline]
    assert all(isinstance(f, LabFigureWidget) for f in figures)
    for lab_class in (IngressLab, GatewayLab, FirewallLab):
        source = __import__(lab_class.__module__, fromlist=["x"]).__file__
        text = open(source, encoding="utf-8").read()
        assert "go.FigureWidget" not in text and "LabFigureWidget" in text, lab_class.__name__


def test_an_unchanged_redraw_sends_nothing(cluster, monkeypatch):
    """Drawing the same state again changes nothing, so no message goes to the browser; the
    annotations and shapes are compared with what the last redraw wrote, not validated again."""
    fig = service_graph(cluster, figure_class=LabFigureWidget)
    traffic = client_traffic(cluster)
    update_service_graph(fig, cluster, traffic)
    sent = sent_by(fig, monkeypatch)
    update_service_graph(fig, cluster, traffic)
    assert sent == []


def test_a_changed_redraw_writes_what_changed(cluster):
    """After the memo, the figure still equals a figure drawn from scratch."""
    fig = service_graph(cluster, figure_class=LabFigureWidget)
    update_service_graph(fig, cluster, client_traffic(cluster))
    cluster.scale("web", 3)
    cluster.advance(10)
    update_service_graph(fig, cluster, None)
    fresh = service_graph(cluster)
    assert fig.layout.annotations == fresh.layout.annotations and fig.layout.shapes == fresh.layout.shapes
    assert [(t.x, t.y, t.text) for t in fig.data] == [(t.x, t.y, t.text) for t in fresh.data]
