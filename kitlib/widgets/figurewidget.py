"""The labs' plotly figure widget: ``go.FigureWidget`` without the browser's echo of every redraw,
and with a Sankey that does not animate.

plotly's FigureWidget (an anywidget since plotly 6; its browser side is
``plotly/package_data/widgetbundle.js``, its kernel side ``plotly/basewidget.py``) answers every
edit the kernel makes with two messages back to the kernel:

* ``_sendTraceDeltas``: per trace, every property plotly.js computed that the kernel did not set
  (fonts, hover labels, error bars, calendars, ...), and every data array the last update left
  unchanged (plotly.py keeps those among the defaults after the first echo, so they come back
  each time): 2-12 KiB per figure for the labs. The kernel stores them as the traces' defaults,
  answers with an ``echo_update`` of the whole message, a reset to ``None`` and one
  ``_py2js_removeTraceProps`` per trace.
* ``_sendLayoutDelta``: the whole computed layout minus what the kernel set (each annotation's
  and shape's 20-30 default fields, the axes, the modebar, the colour scales): 5-11 KiB. Since
  plotly 6 the browser sends it as ``_js2py_widget_layoutDelta``, a name the kernel has no trait
  for, so the kernel drops it unread.

The browser computes both (a deep merge and a diff of the full data and layout) right after
``Plotly.update``, before the frame is painted, and ipywidgets sends them one after the other,
each once the kernel has answered the previous message; a click on a lab's button settled only
145-190 ms later. Nothing in kitlib reads the defaults back: the figures set what they show.

:class:`LabFigureWidget` is ``go.FigureWidget`` with that echo switched off (see :func:`lab_module`):

* its browser module is plotly's own, with ``FigureView.prototype._sendTraceDeltas`` and
  ``_sendLayoutDelta`` made no-ops (found through the bundle's ``export{... as FigureView ...}``
  clause; if a plotly release changes it, :data:`ECHO_OFF` is False and the stock module is used);
* ``_last_trace_edit_id`` / ``_last_layout_edit_id`` stay in the kernel (the browser read them
  only to label the deltas), so an update is one ``_py2js_update`` message and its reset;
* the kernel does not ``echo_update`` what the browser sends (legend clicks, zoom, hover events
  still reach the kernel and update its figure, as in plotly).
* a view follows its element's width (a ``ResizeObserver`` calling plotly's ``autosizeFigure``):
  rendered as an anywidget it gets none of the Lumino resize messages plotly listens to, so a
  figure with ``autosize`` kept its first width when the notebook narrowed and was clipped.
* the model reads plotly.py's ``"_undefined_"`` (a trace a ``batch_update`` leaves alone) as
  ``undefined`` when it applies an update to the figure it keeps for new views: it wrote the
  string, and a view drawn after that lost those traces' x (the service lab's clients, when the
  lab was displayed after a Send) and the markers' sizes (every lab's first view).

Its module also makes the Sankey's transitions instant: plotly.js moves and fades a Sankey's
nodes and links for 500 ms after every redraw (a constant, not an attribute), which taught
nothing and kept the service lab's browser busy until 630 ms after a click on Send.

What stays as in plotly: hover, legend clicks (the kernel's figure learns the trace is hidden, so
the next redraw keeps it hidden), zoom and autoscale (reported through ``_js2py_relayout``),
``batch_update`` (one ``Plotly.update`` per batch), click/hover/selection callbacks. What goes:
reading a property the kernel never set returns ``None`` instead of plotly.js's default, and
:meth:`on_edits_completed` runs its callback at once (in plotly 6-7 it never ran after the first
layout edit, because the layout delta never arrived).
"""

from __future__ import annotations

import re
from pathlib import Path

import plotly
import plotly.graph_objects as go
from plotly.serializers import custom_serializers
from traitlets import Dict, Integer

__all__ = ["ECHO_OFF", "SANKEY_STILL", "LabFigureWidget", "lab_module"]

_EXPORTS = re.compile(r"export\s*\{([^{}]*\bas\s+FigureView\b[^{}]*)\}")
# plotly.js's src/traces/sankey/constants.js: {..., forceTicksPerFrame: 10, duration: 500, ease: 'linear', ...};
# render.js runs every transition of the Sankey's links, nodes and labels for `duration` ms.
_SANKEY_DURATION = re.compile(r"(forceTicksPerFrame:\d+,duration:)\d+")

# Appended to plotly's module; FIGURE_VIEW is the bundle's local name of its FigureView class.
_PATCH = """
;{
  // kitlib (kitlib/widgets/figurewidget.py): no echo of each redraw back to the kernel.
  const view = FIGURE_VIEW.prototype;
  view._sendTraceDeltas = function () {};
  view._sendLayoutDelta = function () {};
  // Rendered as an anywidget, the view gets no Lumino "resize" message and sets up no window
  // listener: a figure with autosize would keep its first width when the notebook narrows (the
  // side panel opens, the window shrinks) and be clipped. Follow the element's width instead.
  const render = view.perform_render, remove = view.remove;
  view.perform_render = function (...args) {
    const out = render.apply(this, args);
    if (typeof ResizeObserver !== 'undefined' && !this.__kitResize) {
      let width = 0, frame = 0;
      this.__kitResize = new ResizeObserver((entries) => {
        const w = Math.round(entries[0].contentRect.width);
        if (!w || w === width) return;
        const first = width === 0;
        width = w;
        if (first) return;  // drawn at this width already
        cancelAnimationFrame(frame);
        frame = requestAnimationFrame(() => this.autosizeFigure());
      });
      this.__kitResize.observe(this.el);
    }
    return out;
  };
  view.remove = function (...args) {
    if (this.__kitResize) this.__kitResize.disconnect();
    return remove.apply(this, args);
  };
}
"""

# Appended too; FIGURE_MODEL is the bundle's local name of its FigureModel class.
_MODEL_PATCH = """
;{
  // kitlib (kitlib/widgets/figurewidget.py): a batch_update that sets a property on some traces
  // and not others sends "_undefined_" for the others (plotly/serializers.py). The views read
  // the message deserialized (undefined: left alone), but the model applies it to the figure it
  // keeps for new views from the raw message, and wrote the string: a view drawn after that
  // (the lab displayed after a click, an output drawn again) lost those traces' x, marker sizes.
  const model = FIGURE_MODEL.prototype;
  for (const [method, key, field] of [['do_update', '_py2js_update', 'style_data'],
                                      ['do_restyle', '_py2js_restyle', 'restyle_data']]) {
    const apply = model[method];
    model[method] = function (...args) {
      const data = (this.model.get(key) || {})[field];
      for (const prop of Object.keys(data || {})) {
        const values = data[prop];
        if (Array.isArray(values)) data[prop] = values.map((v) => (v === '_undefined_' ? undefined : v));
      }
      return apply.apply(this, args);
    };
  }
}
"""


def lab_module(source: str) -> tuple[str, bool, bool]:
    """plotly's widget module as the labs use it: (module, echo off, Sankey still).

    * The views' trace and layout deltas are switched off, when the module has an
      ``export{... as FigureView ...}`` clause to find the class by (the last one counts: the
      bundle's licence comments follow it); its ``FigureModel`` applies updates with plotly.py's
      ``"_undefined_"`` read as undefined.
    * The Sankey's transitions last 0 ms (d3 makes that 1 ms: the end state is drawn in the first
      frame), when plotly.js's Sankey constants are found. plotly.js has no attribute for it: the
      500 ms are a constant of ``src/traces/sankey/constants.js``, and ``layout.transition``
      applies only to ``Plotly.animate``.

    >>> module, echo_off, still = lab_module("var V=class{};export{V as FigureView,d as default};")
    >>> echo_off, still, "V.prototype" in module
    (True, False, True)
    >>> lab_module("S={forceTicksPerFrame:10,duration:500,ease:'linear'};export default {};")
    ("S={forceTicksPerFrame:10,duration:0,ease:'linear'};export default {};", False, True)
    """
    source, swaps = _SANKEY_DURATION.subn(r"\g<1>0", source)
    at = source.rfind("as FigureView")
    match = _EXPORTS.search(source, max(0, source.rfind("export", 0, at))) if at >= 0 else None
    names = {}
    for item in match.group(1).split(",") if match else ():
        local, _, exported = item.strip().partition(" as ")
        if re.fullmatch(r"[A-Za-z_$][\w$]*", local.strip()):
            names[exported.strip()] = local.strip()
    if "FigureModel" in names:
        source += _MODEL_PATCH.replace("FIGURE_MODEL", names["FigureModel"])
    if "FigureView" in names:
        return source + _PATCH.replace("FIGURE_VIEW", names["FigureView"]), True, swaps == 1
    return source, False, swaps == 1


def _plotly_module() -> str:
    return (Path(plotly.__file__).parent / "package_data" / "widgetbundle.js").read_text(encoding="utf-8")


_MODULE, ECHO_OFF, SANKEY_STILL = lab_module(_plotly_module())
"""ECHO_OFF: the views send no deltas (else the labs' figures echo as plotly's do); SANKEY_STILL:
the Sankey does not animate (else it moves for 500 ms after each redraw, as plotly's does)."""


def _message(**tags) -> Dict:
    # A JS -> Python message trait as plotly declares it, not echoed back to the browser.
    return Dict(allow_none=True).tag(sync=True, echo_update=False, **custom_serializers, **tags)


class LabFigureWidget(go.FigureWidget):
    """``go.FigureWidget`` whose browser view does not send each redraw's computed trace and layout
    defaults back to the kernel (see the module docstring); everything else as plotly does it.

    >>> fig = LabFigureWidget(data=[go.Scatter(x=[1, 2], y=[3, 4])])
    >>> fig.data[0].type, "_sendTraceDeltas = function () {}" in fig._esm
    ('scatter', True)
    """

    _esm = _MODULE
    # The edit ids number the deltas the browser no longer sends: the kernel keeps them to itself.
    _last_layout_edit_id = Integer(0)
    _last_trace_edit_id = Integer(0)
    _js2py_traceDeltas = _message()
    _js2py_layoutDelta = _message()
    _js2py_restyle = _message()
    _js2py_relayout = _message()
    _js2py_update = _message()
    _js2py_pointsCallback = _message()

    def on_edits_completed(self, fn) -> None:
        """Call ``fn`` now: with the deltas off, the browser never reports an edit as completed."""
        if ECHO_OFF:
            fn()
        else:
            super().on_edits_completed(fn)
