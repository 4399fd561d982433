"""Benchmark: the labs in a real browser, from the learner's input to the figure repainted.

JupyterLab is served locally and driven by Playwright with Debian's Chromium, as the browser
tests do (``tests/browser/harness.py``). For each lab a temporary notebook builds the cluster
and the lab at the setup of the lab's kernel-side benchmark (``bench_interaction.py``,
``bench_service_lab.py``, ...); it is run, then each of the lab's actions is done through the
DOM (a click on a button found by its text, a key on a slider's handle, an option chosen in a
``select``) ``--repeat`` times, alternating directions so that every repetition starts from a
comparable state. What the kernel benchmarks do between interactions (advance the clock, undo a
rule) is done off the clock, by code sent to the kernel.

Timed in the page (``performance.now()``):

* **repaint**: from the input event (a capture listener for ``click``, ``keydown`` or
  ``change``) to the first mutation of the lab's figures (a MutationObserver on every
  ``.js-plotly-plot``: subtree, attributes, child list), then two ``requestAnimationFrame``
  callbacks (the frame with the change is painted). Target (median): 100 ms at workshop scale,
  300 ms for the deployment lab at 100 nodes and 3,000 pods (issue 18).
* **settled**: to the last websocket frame of the kernel's channel (or kernel status change)
  before ~150 ms of quiet with the kernel idle: the kernel's reply to plotly's relayout echo is
  in. The quiet window itself is not counted.
* **still**: to the last mutation of the figures (an animation's end).
* **kernel**: the time the kernel spent handling the front end's widget messages of the action
  (``ipywidgets.Widget._handle_msg`` timed inside the kernel: the engine call, the lab's redraw
  and the serializing of its messages), so a repaint splits into the kernel's part and the
  browser's (the messages' transport, plotly.js, layout and paint).
* **KiB down / up**: websocket payload bytes kernel → browser and browser → kernel during the
  action (Playwright's ``framereceived`` / ``framesent``, kernel sockets only).

With ``--site lite`` the same notebooks run in the JupyterLite site (``lite/_output``, built by
``make lite``); its kernel runs in the browser, so there is no websocket: settled is the last
kernel status change, and no bytes are counted.

    python benchmarks/bench_browser.py                       # every lab at workshop scale + the 3,000-pod lab
    python benchmarks/bench_browser.py --lab deployment --scale large --repeat 12
    python benchmarks/bench_browser.py --lab service --lab readiness --repeat 5
    python benchmarks/bench_browser.py --json /tmp/after.json --strict
    python benchmarks/bench_browser.py --lab gateway --messages   # + where each action's time goes on the way
    python benchmarks/bench_browser.py --site lite           # the same labs in JupyterLite
    python benchmarks/bench_browser.py --markdown /tmp/after.json   # a --json file as a Markdown table

The kernel runs the ``kitlib`` of the checkout this script is in (``PYTHONPATH`` is set to it).
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import re
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from _util import machine

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "tests" / "browser")]
import harness  # noqa: E402

TARGETS = {"workshop": 100.0, "large": 300.0}  # ms, median of click -> repaint (issue 18)
QUIET = 150.0  # ms without a kernel frame (and with the kernel idle) that count as settled
NO_REDRAW = 8000.0  # ms after the input without a figure mutation: the action drew nothing
VIEWPORT = {"width": 1400, "height": 1000}
NOTEBOOK_DIR = "notebooks"

# --------------------------------------------------------------------------- the labs

_CLUSTER_DEPLOYMENT = """\
import kitlib
from kitlib.widgets import DeploymentLab

cluster = kitlib.Cluster(nodes={nodes}, seed=0)
cluster.kubectl("create deployment web --image=nginx --replicas={pods} --port=80")
cluster.settle()
lab = DeploymentLab(cluster, "web")
lab"""

_CLUSTER_SERVICE = """\
import kitlib
from kitlib.widgets import ServiceLab

cluster = kitlib.Cluster(nodes=3, seed=0)
cluster.kubectl("create deployment web --image=nginx --replicas=10 --port=80")
cluster.settle()
cluster.apply({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web", "labels": {"app": "web"}},
               "spec": {"selector": {"app": "web"}, "ports": [{"port": 80, "targetPort": 80}]}})
lab = ServiceLab(cluster, "web")
lab.source.value = next(v for _, v in lab.source.options if v.startswith("default/"))
lab.address.value = lab.address.options[0][1]
lab.requests.value = 100
lab"""

_CLUSTER_READINESS = """\
import kitlib
from kitlib.widgets import ReadinessLab

cluster = kitlib.Cluster(nodes=3, seed=0)
cluster.kubectl("create deployment web --image=kitlib/webapp:1 --replicas=10 --port=8080")
cluster.kubectl("expose deployment web --port=80 --target-port=8080")
cluster.settle()
lab = ReadinessLab(cluster, "web", "web")
lab.readiness.value = True
lab.history.run(60)
lab.refresh()  # the pod picker shows the pods the probe's rollout made
lab"""

_CLUSTER_INGRESS = """\
import kitlib
from kitlib.widgets import IngressLab

AGNHOST = "registry.k8s.io/e2e-test-images/agnhost:2.53"
cluster = kitlib.Cluster(nodes=3, seed=0)
cluster.enable_addon("ingress")
cluster.kubectl("create deployment web --image=nginx --replicas=10 --port=80")
cluster.kubectl("expose deployment web --port=80")
cluster.kubectl(f"create deployment api --image={AGNHOST} --replicas=10 --port=8080 -- "
                "/agnhost netexec --http-port=8080")
cluster.kubectl("expose deployment api --port=80 --target-port=8080")
cluster.settle()
cluster.kubectl("create ingress shop --rule=shop.example/*=web:80 --rule=shop.example/api*=api:80")
lab = IngressLab(cluster, "shop")
lab.deployment.value = "api"
lab"""

_CLUSTER_FIREWALL = """\
from kitlib.widgets import FirewallLab
from kitlib.widgets.firewall_lab import shop_cluster

clusters = {}
for cni in ("calico", "flannel"):
    c = shop_cluster(cni, seed=0, nodes=3)
    for i in range(12):
        c.apply({"apiVersion": "v1", "kind": "Pod",
                 "metadata": {"name": f"frontend-{i + 2}", "labels": {"app": "frontend", "tier": "web"}},
                 "spec": {"containers": [{"name": "nginx", "image": "nginx",
                                          "ports": [{"containerPort": 80, "name": "http"}]}]}})
    c.settle()
    clusters[cni] = c
lab = FirewallLab(clusters)
lab"""

_CLUSTER_GATEWAY = """\
from kitlib.widgets import GatewayLab
from kitlib.widgets.gateway_lab import shop_cluster

cluster = shop_cluster(seed=0, replicas=10)
lab = GatewayLab(cluster, "shop")
lab.rule_picker.value = 0
lab"""


@dataclass
class Action:
    """One lab action timed through the DOM.

    ``perform(page, i)`` does the input of repetition ``i`` (even and odd repetitions go opposite
    ways); ``event`` is the DOM event that starts the clock; ``before(i)`` / ``after(i)`` is
    Python run in the kernel off the clock (the state the action starts from, the undo).
    ``watch``: "figures" (the lab's plotly figures) or "lab" (anything in the lab's output but
    the clicked element, for actions whose result is a line of text or a table)."""

    name: str
    event: str
    perform: Callable[[Any, int], None]
    before: Callable[[int], str] | None = None
    after: Callable[[int], str] | None = None
    watch: str = "figures"  # or "lab": the action's visible result is not (only) in a figure


@dataclass
class LabBench:
    """A lab at one scale: the notebook cell that builds it, its actions, the target (ms)."""

    lab: str
    scale: str
    setup: str
    actions: list[Action]
    target: float
    timeout: float = 300.0  # seconds for the notebook run (building the cluster)

    @property
    def key(self) -> str:
        return f"{self.lab}/{self.scale}"


def _exact(text: str) -> re.Pattern[str]:
    return re.compile(rf"^\s*{re.escape(text)}\s*$")


def _output(page):
    return page.locator(".jp-Notebook .jp-OutputArea-output")


def click(text: str) -> Callable[[Any, int], None]:
    """Click the lab's button (Button or ToggleButton) whose text is ``text``."""

    def perform(page, _i: int) -> None:
        _output(page).locator("button.jupyter-button").filter(has_text=_exact(text)).first.click()

    return perform


def key_on_slider(label: str, keys: tuple[str, str]) -> Callable[[Any, int], None]:
    """A key on the handle of the slider labelled ``label``: ``keys[i % 2]``."""

    def perform(page, i: int) -> None:
        slider = _output(page).locator(".widget-slider").filter(
            has=page.locator(".widget-label", has_text=_exact(label))).first
        slider.locator(".noUi-handle").first.press(keys[i % 2])

    return perform


def choose(label: str, options: tuple[str, str]) -> Callable[[Any, int], None]:
    """Choose ``options[i % 2]`` (by its text) in the ``select`` of the dropdown labelled ``label``."""

    def perform(page, i: int) -> None:
        box = _output(page).locator(".widget-dropdown").filter(
            has=page.locator(".widget-label", has_text=_exact(label))).first
        box.locator("select").select_option(label=options[i % 2])

    return perform


def code(text: str) -> Callable[[int], str]:
    """Kernel code, the same for every repetition."""
    return lambda _i: text


def alternate(first: str, second: str) -> Callable[[int], str]:
    """Kernel code for even repetitions, and for odd ones."""
    return lambda i: first if i % 2 == 0 else second


SETTLE_CLUSTER = code("cluster.advance(5)\nlab.refresh()")


def deployment(scale: str) -> LabBench:
    """The deployment lab (lesson 01) at ``scale``."""
    nodes, pods = {"workshop": (3, 10), "large": (100, 3000)}[scale]
    # As bench_interaction.py: Kill pod, +10 s right after it, then the slider down and up, with
    # the cluster advanced 5 s off the clock before each (so each starts from a settled cluster).
    actions = [
        Action("Kill pod", "click", click("Kill pod"), before=SETTLE_CLUSTER),
        Action("+10 s", "click", click("+10 s")),
        Action("replicas slider -1", "keydown", key_on_slider("replicas", ("ArrowLeft", "ArrowLeft")),
               before=SETTLE_CLUSTER),
        Action("replicas slider +1", "keydown", key_on_slider("replicas", ("ArrowRight", "ArrowRight")),
               before=SETTLE_CLUSTER),
    ]
    return LabBench("deployment", scale, _CLUSTER_DEPLOYMENT.format(nodes=nodes, pods=pods), actions,
                    TARGETS[scale], timeout=900.0 if scale == "large" else 300.0)


def service() -> LabBench:
    """The service lab (lessons 02-04) at workshop scale."""
    actions = [
        Action("type -> NodePort / ClusterIP", "change", choose("type", ("NodePort", "ClusterIP"))),
        Action("Send 100 requests", "click", click("Send")),
        Action("replicas slider -1 / +1", "keydown", key_on_slider("replicas", ("ArrowLeft", "ArrowRight")),
               before=SETTLE_CLUSTER),
        Action("Kill pod", "click", click("Kill pod"), before=SETTLE_CLUSTER),
        Action("+10 s", "click", click("+10 s")),
    ]
    return LabBench("service", "workshop", _CLUSTER_SERVICE, actions, TARGETS["workshop"])


def readiness() -> LabBench:
    """The readiness lab (lesson 05), its history recorded for a minute with the probe on."""
    settle = code("lab.step(30)")
    actions = [
        # The fault shows only as time passes: often nothing but the toggle itself changes, so the
        # whole lab output is watched (the toggle excluded).
        Action("break readiness on / off", "click", click("break readiness"), watch="lab"),
        Action("+1 s", "click", click("+1 s")),
        Action("+10 s", "click", click("+10 s")),
        Action("Roll out broken / 2 (lab output)", "click",
               lambda page, i: click("Roll out broken" if i % 2 == 0 else "Roll out 2")(page, i), after=settle,
               watch="lab"),
    ]
    return LabBench("readiness", "workshop", _CLUSTER_READINESS, actions, TARGETS["workshop"])


def ingress() -> LabBench:
    """The ingress lab (lesson 06) at workshop scale."""
    rule = ('lab.host.value, lab.path.value, lab.path_type.value = "shop.example", "/api/cart", "Exact"\n'
            'lab.service.value, lab.port.value = "web", 80')
    undo = "lab.remove_picker.value = (0, 2)\nlab.remove_button.click()"
    actions = [
        Action("Send", "click", click("Send"),
               before=alternate('lab.url.value = "http://shop.example/api/cart"',
                                'lab.url.value = "http://shop.example/"')),
        Action("add rule", "click", click("add rule"), before=code(rule), after=code(undo)),
        Action("+10 s", "click", click("+10 s")),
    ]
    return LabBench("ingress", "workshop", _CLUSTER_INGRESS, actions, TARGETS["workshop"])


def firewall() -> LabBench:
    """The firewall lab (lesson 07): two clusters of 16 pods each."""
    actions = [
        Action("Apply default deny ingress", "click", click("Apply"),
               before=code('lab.ready_made.value = "default deny ingress"')),
        Action("Delete it", "click", click("Delete"),
               before=code('lab.delete_picker.value = "default/default-deny-ingress"')),
    ]
    return LabBench("firewall", "workshop", _CLUSTER_FIREWALL, actions, TARGETS["workshop"])


def gateway() -> LabBench:
    """The gateway lab (lesson 08) at workshop scale."""
    actions = [
        Action("Send", "click", click("Send"),
               before=alternate('lab.path.value, lab.headers.value = "/api/cart", ""',
                                'lab.path.value, lab.headers.value = "/", "x-canary: true"')),
        Action("weight slider 0 -> 5 %", "keydown", key_on_slider("2nd backend %", ("ArrowRight", "ArrowRight")),
               before=code("lab.rule_picker.value = 0")),
        Action("weight slider 5 -> 0 %", "keydown", key_on_slider("2nd backend %", ("ArrowLeft", "ArrowLeft"))),
        # The split is a table under the tree; the tree itself does not change.
        Action("Measure 1,000 (lab output)", "click", click("Measure 1,000"),
               before=code('lab.weight.value = 25\nlab.path.value, lab.headers.value = "/", ""'),
               after=code("lab.weight.value = 0"), watch="lab"),
    ]
    return LabBench("gateway", "workshop", _CLUSTER_GATEWAY, actions, TARGETS["workshop"])


LABS = ["deployment", "service", "readiness", "ingress", "firewall", "gateway"]


def benches(labs: list[str], scale: str) -> list[LabBench]:
    """The chosen labs; ``scale``: workshop, large (only the deployment lab has it) or all."""
    out = []
    for lab in labs:
        if lab == "deployment":
            out += [deployment(s) for s in ("workshop", "large") if scale in (s, "all")]
        elif scale in ("workshop", "all"):
            out.append({"service": service, "readiness": readiness, "ingress": ingress, "firewall": firewall,
                        "gateway": gateway}[lab]())
    return out


# --------------------------------------------------------------------------- in the page

# Before any page script: note the time of every frame on a kernel's websocket.
_JS_INIT = """(() => {
  const Orig = window.WebSocket;
  if (!Orig || Orig.__kit) return;
  window.__kitAct = {last: 0};
  const mark = () => { window.__kitAct.last = performance.now(); };
  // The first frame sent after an action's input, and the first received after that (the
  // kernel's first answer): where an action's time goes on the way (--messages).
  const received = () => {
    const t = window.__kitT, now = performance.now();
    mark();
    if (t && t.sent !== undefined && t.reply === undefined) t.reply = now;
  };
  class KitWebSocket extends Orig {
    constructor(url, protocols) {
      super(url, protocols);
      this.__kitKernel = String(url).includes('/api/kernels/');
      if (this.__kitKernel) this.addEventListener('message', received);
    }
    send(data) {
      if (this.__kitKernel) {
        mark();
        const t = window.__kitT;
        if (t && t.input !== undefined && t.sent === undefined) t.sent = performance.now();
      }
      return super.send(data);
    }
  }
  KitWebSocket.__kit = true;
  window.WebSocket = KitWebSocket;
})();"""

# After the run: kernel status changes count as activity too (JupyterLite has no websocket), and
# any change in the notebook's outputs is noted (for waiting until the page is still).
_JS_WATCH = """() => {
  window.__kitAct = window.__kitAct || {last: 0};
  const act = window.__kitAct;
  const k = window.__kitPanel.sessionContext.session.kernel;
  k.statusChanged.connect(() => { act.last = performance.now(); });
  act.mut = 0;
  const obs = new MutationObserver(() => { act.mut = performance.now(); });
  obs.observe(window.__kitPanel.content.node, {subtree: true, childList: true, attributes: true, characterData: true});
  return true;
}"""

_JS_KERNEL = "window.__kitPanel.sessionContext.session.kernel"

# Arm the clocks for one action: the input event, the first and last mutation of what is watched:
# the lab's figures, or (watch "lab") anything in the lab's output but the input's own element
# (a toggle button restyles itself at once, without the kernel).
_JS_ARM = """([event, watch]) => {
  const t = window.__kitT = {};
  document.addEventListener(event, (e) => { t.input = performance.now(); t.target = e.target; },
                            {capture: true, once: true});
  if (window.__kitObs) window.__kitObs.disconnect();
  const obs = window.__kitObs = new MutationObserver((records) => {
    if (t.input === undefined) return;
    if (watch === 'lab' && records.every(r => t.target && t.target.contains(r.target))) return;
    const now = performance.now();
    t.last = now;
    if (t.first === undefined) {
      t.first = now;
      requestAnimationFrame(() => requestAnimationFrame(() => { t.painted = performance.now(); }));
    }
  });
  const root = window.__kitPanel.content.node;
  const els = watch === 'lab' ? root.querySelectorAll('.jp-OutputArea-output')
                              : root.querySelectorAll('.jp-OutputArea-output .js-plotly-plot');
  for (const el of els) obs.observe(el, {subtree: true, childList: true, attributes: true, characterData: true});
  return els.length;
}"""

# Done: painted (or nothing drawn for NO_REDRAW ms), kernel idle, and QUIET ms with no frame, no
# kernel status change and no figure mutation.
_JS_DONE = """([quiet, noRedraw]) => {
  const t = window.__kitT, act = window.__kitAct, now = performance.now();
  if (t.input === undefined) return false;
  const k = KERNEL;
  if (k.status !== 'idle') return false;
  if (t.painted === undefined && now - t.input < noRedraw) return false;
  return now - Math.max(t.input, act.last, t.painted || 0, t.last || 0) >= quiet;
}""".replace("KERNEL", _JS_KERNEL)

_JS_RESULT = """() => {
  const t = window.__kitT, act = window.__kitAct;
  if (window.__kitObs) window.__kitObs.disconnect();
  return {input: t.input ?? null, first: t.first ?? null, painted: t.painted ?? null, last: t.last ?? null,
          sent: t.sent ?? null, reply: t.reply ?? null,
          activity: act.last};
}"""

# Still: the kernel idle and nothing on the socket or in the outputs for `quiet` ms.
_JS_STILL = """(quiet) => {
  const act = window.__kitAct, k = KERNEL;
  return k.status === 'idle' && performance.now() - Math.max(act.last, act.mut || 0) >= quiet;
}""".replace("KERNEL", _JS_KERNEL)

_JS_EXECUTE = """async (code) => {
  const k = KERNEL;
  const f = k.requestExecute({code, store_history: false});
  let err = null;
  f.onIOPub = m => {
    if (m.header.msg_type === 'error') err = m.content.ename + ': ' + m.content.evalue;
  };
  await f.done;
  return err;
}""".replace("KERNEL", _JS_KERNEL)

# Run code in the kernel and return what it printed (or its error, prefixed "error: ").
_JS_PRINTED = """async (code) => {
  const k = KERNEL;
  const f = k.requestExecute({code, store_history: false});
  let out = '', err = null;
  f.onIOPub = m => {
    if (m.header.msg_type === 'stream' && m.content.name === 'stdout') out += m.content.text;
    if (m.header.msg_type === 'error') err = 'error: ' + m.content.ename + ': ' + m.content.evalue;
  };
  await f.done;
  return err ?? out;
}""".replace("KERNEL", _JS_KERNEL)


# --------------------------------------------------------------------------- measuring


@dataclass
class Row:
    """The measurements of one action of one lab (ms, KiB per repetition)."""

    lab: str
    scale: str
    action: str
    target: float
    repaint: list[float] = field(default_factory=list)
    settled: list[float] = field(default_factory=list)
    still: list[float] = field(default_factory=list)
    kernel: list[float] = field(default_factory=list)
    sent: list[float] = field(default_factory=list)  # input -> first frame to the kernel
    reply: list[float] = field(default_factory=list)  # input -> the kernel's first frame after it
    first: list[float] = field(default_factory=list)  # input -> the figure's first mutation
    kib_down: list[float] = field(default_factory=list)
    kib_up: list[float] = field(default_factory=list)
    no_redraw: int = 0

    def summary(self) -> dict[str, Any]:
        rep = self.repaint
        med = statistics.median(rep) if rep else None
        return {
            "lab": self.lab, "scale": self.scale, "action": self.action, "n": len(rep) + self.no_redraw,
            "no_redraw": self.no_redraw,
            "repaint_min": min(rep) if rep else None, "repaint_median": med, "repaint_p90": p90(rep),
            "settled_median": _median(self.settled), "still_median": _median(self.still),
            "kernel_median": _median(self.kernel),
            "sent_median": _median(self.sent), "reply_median": _median(self.reply),
            "first_median": _median(self.first),
            "kib_down_median": _median(self.kib_down), "kib_up_median": _median(self.kib_up),
            "target": self.target, "passed": None if med is None else med <= self.target,
        }


def _median(xs: list[float]) -> float | None:
    return statistics.median(xs) if xs else None


def p90(xs: list[float]) -> float | None:
    """The 90th percentile (linear between the closest ranks), None for no data."""
    if not xs:
        return None
    if len(xs) == 1:
        return xs[0]
    return statistics.quantiles(xs, n=10, method="inclusive")[-1]


class SocketBytes:
    """Payload bytes on the kernel's websockets, each way, since the last :meth:`reset`."""

    def __init__(self, page) -> None:
        self.down = 0
        self.up = 0
        self.seen = False
        page.on("websocket", self._on_socket)

    def _on_socket(self, ws) -> None:
        if "/api/kernels/" not in ws.url:
            return
        self.seen = True
        ws.on("framereceived", lambda payload: self._add("down", payload))
        ws.on("framesent", lambda payload: self._add("up", payload))

    def _add(self, way: str, payload: str | bytes) -> None:
        n = len(payload.encode()) if isinstance(payload, str) else len(payload)
        setattr(self, way, getattr(self, way) + n)

    def reset(self) -> None:
        self.down = self.up = 0


# Before the lab is built (a comm binds its widget's ``_handle_msg`` when the widget opens): every
# message from the front end is timed, and the times kept in ``_kit_kernel_ms``.
KERNEL_TIMER = """\
import time as _kit_time
import ipywidgets as _kit_ipw
_kit_kernel_ms = []
def _kit_timed(self, msg, _handle=_kit_ipw.Widget._handle_msg):
    t = _kit_time.perf_counter()
    try:
        return _handle(self, msg)
    finally:
        _kit_kernel_ms.append((_kit_time.perf_counter() - t) * 1000)
_kit_ipw.Widget._handle_msg = _kit_timed
"""


def notebook(setup: str, kernel: str) -> dict[str, Any]:
    """A notebook whose one cell builds the lab (its widgets' messages timed: :data:`KERNEL_TIMER`)."""
    return {
        "cells": [{"cell_type": "code", "execution_count": None, "id": "bench-lab", "metadata": {},
                   "outputs": [], "source": KERNEL_TIMER + setup}],
        "metadata": {"kernelspec": {"display_name": "Python 3 (ipykernel)", "language": "python", "name": kernel},
                     "language_info": {"name": "python"}},
        "nbformat": 4, "nbformat_minor": 5,
    }


def execute(page, source: str) -> None:
    """Run ``source`` in the lab's kernel, off the clock, and wait until the page is still."""
    error = page.evaluate(_JS_EXECUTE, source)
    if error:
        raise RuntimeError(f"kernel code failed: {error}\n{source}")
    wait_still(page)


def wait_still(page, quiet: float = 300.0, timeout: float = 60_000) -> None:
    """Wait until the kernel is idle and neither its socket nor the notebook's outputs changed for
    ``quiet`` ms."""
    page.wait_for_function(_JS_STILL, arg=quiet, timeout=timeout, polling=50)


def check_status(page, where: str) -> None:
    """The lab's status line must show no error (``show_error``'s vermillion text: the engine's
    errors), off the clock; a notice such as the readiness lab's "a rollout starts" is not one."""
    text = page.evaluate(_JS_EXECUTE, "assert 'color:#D55E00' not in lab.status.value, lab.status.value")
    if text:
        raise RuntimeError(f"{where}: the lab reported an error: {text}")


def kernel_ms(page) -> float:
    """The kernel's time on the front end's widget messages since the last call (ms), read and
    reset off the clock."""
    out = page.evaluate(_JS_PRINTED, "print(sum(_kit_kernel_ms)); _kit_kernel_ms.clear()")
    if out.startswith("error: "):
        raise RuntimeError(f"reading the kernel's times failed: {out}")
    return float(out)


def measure_action(page, sockets: SocketBytes, action: Action, i: int, row: Row) -> None:
    """Repetition ``i`` of ``action``: its ``before`` code off the clock, the clocks armed, the
    input, the wait until it settled; the times and bytes go to ``row``."""
    if action.before:
        execute(page, action.before(i))
    kernel_ms(page)  # what came before is not the action's
    sockets.reset()
    watched = page.evaluate(_JS_ARM, [action.event, action.watch])
    if not watched:
        raise RuntimeError(f"{row.lab}: nothing to watch ({action.watch}) in the lab's output")
    action.perform(page, i)
    page.wait_for_function(_JS_DONE, arg=[QUIET, NO_REDRAW], timeout=120_000, polling=20)
    page.wait_for_timeout(30)  # the last frames' events reach Python
    t = page.evaluate(_JS_RESULT)
    if t["painted"] is None:
        row.no_redraw += 1
    else:
        row.repaint.append(t["painted"] - t["input"])
        row.first.append(t["first"] - t["input"])
        if t["sent"] is not None and t["reply"] is not None:  # JupyterLab: the socket's frames
            row.sent.append(t["sent"] - t["input"])
            row.reply.append(t["reply"] - t["input"])
        row.still.append(t["last"] - t["input"])
    row.settled.append(max(0.0, t["activity"] - t["input"]))
    if sockets.seen:  # JupyterLite's kernel is in the page: no socket, no bytes
        row.kib_down.append(sockets.down / 1024)
        row.kib_up.append(sockets.up / 1024)
    row.kernel.append(kernel_ms(page))  # after the bytes are read: its own request is not the action's
    check_status(page, f"{row.lab}/{row.scale}: {action.name}")
    if action.after:
        execute(page, action.after(i))


def run_lab(browser, bench: LabBench, repeat: int, site: Site) -> list[Row]:
    """Build the lab in a fresh browser context and kernel, then time each action ``repeat`` times."""
    context = browser.new_context(base_url=site.url, viewport=VIEWPORT)
    context.add_init_script(_JS_INIT)
    page = context.new_page()
    page.set_default_timeout(60_000)
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    sockets = SocketBytes(page)
    try:
        name = f"bench-{bench.lab}-{bench.scale}.ipynb"
        t0 = time.perf_counter()
        site.put_notebook(page, name, notebook(bench.setup, site.kernel))
        site.run(page, name, bench.timeout)
        wait_still(page, quiet=1000, timeout=120_000)
        page.evaluate(_JS_WATCH)
        if site.name == "lab":  # the kernel measures this checkout's kitlib, not an installed one
            execute(page, f"import kitlib, pathlib\nassert pathlib.Path(kitlib.__file__).resolve().is_relative_to("
                          f"{str(ROOT / 'kitlib')!r}), kitlib.__file__")
        # The lab's top in view, as a learner sees it after running the cell.
        page.locator(".jp-Notebook .jp-OutputArea-output .widget-vbox").first.evaluate(
            "el => el.scrollIntoView({block: 'start'})")
        wait_still(page)
        print(f"  {bench.key}: notebook run in {time.perf_counter() - t0:.0f} s; {repeat} x "
              f"{len(bench.actions)} actions", flush=True)
        rows = [Row(bench.lab, bench.scale, a.name, bench.target) for a in bench.actions]
        for i in range(repeat):
            for action, row in zip(bench.actions, rows, strict=True):
                measure_action(page, sockets, action, i, row)
        if errors:
            print(f"  {bench.key}: JavaScript errors in the page: {errors[-3:]}")
        return rows
    finally:
        context.close()
        site.after_lab()


# --------------------------------------------------------------------------- sites


class Site:
    """Where the notebooks run: JupyterLab (a server) or JupyterLite (a static site)."""

    url = ""
    kernel = "python3"
    name = ""

    def put_notebook(self, page, name: str, nb: dict[str, Any]) -> None:
        raise NotImplementedError

    def run(self, page, name: str, timeout: float) -> None:
        raise NotImplementedError

    def after_lab(self) -> None:
        pass

    def close(self) -> None:
        pass


class LabSite(Site):
    """JupyterLab served from a temporary copy of the repo's notebooks (the harness's server)."""

    name = "lab"

    def __init__(self) -> None:
        self.tmp = Path(tempfile.mkdtemp(prefix="bench-browser-"))
        self.server = harness.start_lab_server(self.tmp)
        self.url = self.server.url

    def put_notebook(self, page, name: str, nb: dict[str, Any]) -> None:
        (self.server.notebooks / name).write_text(json.dumps(nb, indent=1))

    def run(self, page, name: str, timeout: float) -> None:
        harness.make_run_notebook(self.server)(page, name, timeout=timeout)

    def after_lab(self) -> None:
        harness.shutdown_sessions(self.url)

    def close(self) -> None:
        harness.stop_lab_server(self.server)
        shutil.rmtree(self.tmp, ignore_errors=True)


class LiteSite(Site):
    """The JupyterLite site, served on the loopback; the notebook is saved in the browser's own
    storage through the app's contents manager, then opened by its URL as a learner's link does."""

    name = "lite"
    kernel = "python"

    def __init__(self, site: Path) -> None:
        sys.path[:0] = [str(ROOT / "lite"), str(ROOT / "tests" / "lite")]
        import serve
        from lite_helpers import run_lesson

        self._run_lesson = run_lesson
        self.server, self.url = serve.start(site)

    def put_notebook(self, page, name: str, nb: dict[str, Any]) -> None:
        page.goto("lab/index.html", wait_until="domcontentloaded")
        page.wait_for_function("() => window.jupyterapp && window.jupyterapp.serviceManager", timeout=120_000)
        page.evaluate("() => window.jupyterapp.restored")
        page.evaluate("""async ([path, nb]) => {
          await window.jupyterapp.serviceManager.contents.save(path, {type: 'notebook', format: 'json', content: nb});
        }""", [f"{NOTEBOOK_DIR}/{name}", nb])

    def run(self, page, name: str, timeout: float) -> None:
        self._run_lesson(page, name, timeout=max(timeout, 600.0))

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


# --------------------------------------------------------------------------- report


def _ms(x: float | None) -> str:
    return "-" if x is None else f"{x:.0f}"


def _kib(x: float | None) -> str:
    return "-" if x is None else f"{x:.1f}"


def table(rows: list[Row]) -> str:
    """The results as the plain-text table printed at the end."""
    head = (f"{'lab':<20} {'action':<34} {'min':>5} {'median':>6} {'p90':>5} {'settled':>7} {'still':>6} "
            f"{'kernel':>6} {'KiB down':>8} {'KiB up':>7} {'target':>6}  verdict")
    lines = [head, "-" * len(head)]
    for r in rows:
        s = r.summary()
        verdict = {True: "PASS", False: "FAIL", None: "no redraw"}[s["passed"]]
        if s["no_redraw"]:
            verdict += f" ({s['no_redraw']} of {s['n']} drew nothing)"
        lines.append(
            f"{r.lab + ' ' + r.scale:<20} {r.action:<34} {_ms(s['repaint_min']):>5} {_ms(s['repaint_median']):>6} "
            f"{_ms(s['repaint_p90']):>5} {_ms(s['settled_median']):>7} {_ms(s['still_median']):>6} "
            f"{_ms(s.get('kernel_median')):>6} {_kib(s['kib_down_median']):>8} {_kib(s['kib_up_median']):>7} {r.target:>6.0f}  {verdict}")
    return "\n".join(lines)


def messages_table(rows: list[Row]) -> str:
    """Where each action's time goes on the way, medians in ms from the input event: the first
    frame sent to the kernel, the kernel's first frame after it, the kernel's own time, the
    figure's first mutation, the frame painted (JupyterLab only: JupyterLite has no socket)."""
    head = f"{'lab':<20} {'action':<34} {'sent':>5} {'reply':>6} {'kernel':>6} {'mutated':>7} {'painted':>7}"
    lines = [head, "-" * len(head)]
    for r in rows:
        s = r.summary()
        lines.append(f"{r.lab + ' ' + r.scale:<20} {r.action:<34} {_ms(s['sent_median']):>5} "
                     f"{_ms(s['reply_median']):>6} {_ms(s['kernel_median']):>6} {_ms(s['first_median']):>7} "
                     f"{_ms(s['repaint_median']):>7}")
    return "\n".join(lines)


def markdown(results: list[dict[str, Any]]) -> str:
    """The summaries as a Markdown table (for benchmarks/README.md)."""
    lines = ["| lab | action | min | median | p90 | settled | still | kernel | KiB down | KiB up | target | |",
             "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|"]
    for s in results:
        verdict = {True: "PASS", False: "**FAIL**", None: "no redraw"}[s["passed"]]
        if s["no_redraw"]:
            verdict += f" ({s['no_redraw']} of {s['n']} drew nothing)"
        lines.append(
            f"| {s['lab']} {s['scale']} | {s['action']} | {_ms(s['repaint_min'])} | {_ms(s['repaint_median'])} | "
            f"{_ms(s['repaint_p90'])} | {_ms(s['settled_median'])} | {_ms(s['still_median'])} | "
            f"{_ms(s.get('kernel_median'))} | {_kib(s['kib_down_median'])} | {_kib(s['kib_up_median'])} | {s['target']:.0f} | {verdict} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--lab", action="append", choices=LABS,
                        help="a lab to measure (repeatable; default: all)")
    parser.add_argument("--scale", choices=["workshop", "large", "all"], default="all",
                        help="workshop (3 nodes), large (100 nodes, 3,000 pods: the deployment lab) or all")
    parser.add_argument("--repeat", type=int, default=12, help="repetitions of each action (default 12)")
    parser.add_argument("--site", choices=["lab", "lite"], default="lab",
                        help="JupyterLab (default) or the JupyterLite site lite/_output")
    parser.add_argument("--lite-dir", type=Path, default=ROOT / "lite" / "_output", help=argparse.SUPPRESS)
    parser.add_argument("--json", type=Path, help="write the measurements to this file")
    parser.add_argument("--strict", action="store_true", help="exit with 1 if a target is missed")
    parser.add_argument("--messages", action="store_true",
                        help="also print where each action's time goes: first frame sent, the kernel's first reply, "
                             "its own time, the figure's first mutation, painted")
    parser.add_argument("--markdown", type=Path, metavar="JSON",
                        help="print the table of a --json file in Markdown, and measure nothing")
    args = parser.parse_args(argv)
    if args.markdown:
        data = json.loads(args.markdown.read_text())
        print(f"{data['date']}, {data['machine']}, {data['site']}, {data['repeat']} repetitions, load average "
              f"{data['load_before'][0]:.1f} before and {data['load_after'][0]:.1f} after (1 min)\n")
        print(markdown(data["results"]))
        return 0
    chosen = benches(args.lab or LABS, args.scale)
    if not chosen:
        parser.error(f"nothing to measure for --scale {args.scale} (only the deployment lab has 'large')")
    try:
        harness.chromium_executable()
    except harness.ChromiumMissing as exc:
        print(f"skipped: {exc}")
        return 0
    if args.site == "lite" and not (args.lite_dir / "index.html").is_file():
        print(f"skipped: no JupyterLite site in {args.lite_dir} (build it with `make lite`)")
        return 0
    os.environ["PYTHONPATH"] = os.pathsep.join(
        [str(ROOT), *filter(None, os.environ.get("PYTHONPATH", "").split(os.pathsep))])
    from playwright.sync_api import sync_playwright

    print(machine())
    load_before = os.getloadavg()
    print(f"load average before: {load_before[0]:.2f} (1 min), {load_before[1]:.2f} (5 min)", flush=True)
    start = time.perf_counter()
    site: Site = LiteSite(args.lite_dir) if args.site == "lite" else LabSite()
    rows: list[Row] = []
    try:
        with sync_playwright() as pw:
            browser = harness.launch_chromium(pw)
            try:
                for bench in chosen:
                    rows += run_lab(browser, bench, args.repeat, site)
            finally:
                browser.close()
    finally:
        site.close()
    load_after = os.getloadavg()
    print(f"\n{'JupyterLab' if args.site == 'lab' else 'JupyterLite'} in Chromium, {args.repeat} repetitions; "
          f"ms from the input event (repaint: figure mutated + 2 frames; settled: last kernel frame or status change; "
          f"still: last figure mutation; kernel: its widget-message handling); KiB per action; {time.perf_counter() - start:.0f} s in all")
    print(table(rows))
    if args.messages:
        print("\nOn the way (medians, ms from the input event):")
        print(messages_table(rows))
    print(f"load average after: {load_after[0]:.2f} (1 min), {load_after[1]:.2f} (5 min)")
    if args.json:
        args.json.write_text(json.dumps({
            "date": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC"),
            "machine": machine(), "site": args.site, "repeat": args.repeat,
            "load_before": load_before, "load_after": load_after,
            "results": [{**r.summary(), "repaint_ms": [round(x, 1) for x in r.repaint],
                         "settled_ms": [round(x, 1) for x in r.settled],
                         "still_ms": [round(x, 1) for x in r.still],
                         "kernel_ms": [round(x, 1) for x in r.kernel],
                         "kib_down": [round(x, 2) for x in r.kib_down],
                         "kib_up": [round(x, 2) for x in r.kib_up]} for r in rows],
        }, indent=1))
    failed = any(r.summary()["passed"] is False for r in rows)
    return 1 if args.strict and failed else 0


if __name__ == "__main__":
    sys.exit(main())
