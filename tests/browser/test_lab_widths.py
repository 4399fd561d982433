"""Every lab is usable on a projector: at 1024, 1366 and 1920 px wide, with JupyterLab's left
side panel (the file browser) open and closed, every control of every lab is visible and
unclipped (issue 17).

A generated notebook builds the six labs at workshop scale (one cell each, as
``benchmarks/bench_browser.py`` builds them). For each viewport and side-panel state, each
control (button, slider, select, text field, checkbox) is scrolled into view vertically, in the
notebook's own scroller only, and then must

* lie horizontally inside the visible part of its output area (and inside every ancestor that
  clips or scrolls its overflow): a control in a row that does not wrap sticks out to the right,
  and is clipped or needs a horizontal scroll to reach;
* be the element found at its own centre (``document.elementFromPoint``): nothing covers it.

Each lab's figures must not be wider than the output either.

Two more tests drive the deployment lab and the ingress lab by keyboard only: Tab to a control,
arrow keys on sliders and pickers, Enter or Space on buttons; an arrow key on a picker changes
its option and leaves JupyterLab's cell selection where it is (``kitlib/widgets/keys.py``).
"""

from __future__ import annotations

import json
import re
import time

import pytest

NOTEBOOK = "lab_widths.ipynb"

LABS = {
    "deployment": """\
import kitlib
from kitlib.widgets import DeploymentLab
c1 = kitlib.Cluster(nodes=3, seed=0)
c1.kubectl("create deployment web --image=nginx --replicas=4 --port=80")
c1.settle()
lab1 = DeploymentLab(c1, "web")
lab1.trace_button.click()  # a trace in the result area, with its addresses
lab1""",
    "service": """\
from kitlib.widgets import ServiceLab
c2 = kitlib.Cluster(nodes=3, seed=0)
c2.kubectl("create deployment web --image=nginx --replicas=4 --port=80")
c2.kubectl("expose deployment web --port=80 --type=NodePort")
c2.settle()
lab2 = ServiceLab(c2, "web", rules="minikube")
lab2.send_button.click()
lab2""",
    "readiness": """\
from kitlib.widgets import ReadinessLab
c3 = kitlib.Cluster(nodes=3, seed=0)
c3.kubectl("create deployment web --image=kitlib/webapp:1 --replicas=3 --port=8080")
c3.kubectl("expose deployment web --port=80 --target-port=8080")
c3.settle()
ReadinessLab(c3, "web", "web")""",
    "ingress": """\
from kitlib.widgets import IngressLab
c4 = kitlib.Cluster(nodes=3, seed=0)
c4.enable_addon("ingress")
c4.kubectl("create deployment web --image=nginx --replicas=2 --port=80")
c4.kubectl("expose deployment web --port=80")
c4.settle()
c4.kubectl("create ingress shop --rule=shop.example/*=web:80")
IngressLab(c4, "shop")""",
    "firewall": """\
from kitlib.widgets import FirewallLab
FirewallLab()""",
    "gateway": """\
from kitlib.widgets import GatewayLab
from kitlib.widgets.gateway_lab import shop_cluster
GatewayLab(shop_cluster(seed=0), "shop")""",
}

WIDTHS = (1024, 1366, 1920)

# The controls a learner uses, as ipywidgets 8 draws them.
_CONTROLS = ", ".join([
    "button.jupyter-button",
    ".widget-dropdown select",
    ".widget-text input", ".widget-inttext input", ".widget-bounded-inttext input",
    ".widget-textarea textarea",
    ".widget-checkbox input",
    ".widget-hslider .noUi-handle",
    ".widget-hslider .widget-readout",
])

# JS: every control of output area ``index`` (a lab) that is not visible or is clipped: scrolled
# into view with the notebook's own scroller (vertically only, so a horizontal scrollbar does not
# bring a control into reach), then checked against the visible part of the output area and of
# every clipping ancestor, and at its centre with elementFromPoint.
_JS_CHECK = """([index, selector]) => {
  const panel = window.__kitPanel;
  const outputs = Array.from(panel.content.node.querySelectorAll('.jp-OutputArea-output'))
    .filter(o => o.querySelector('.widget-box, .jupyter-widgets'));
  const area = outputs[index];
  if (!area) return {count: 0, bad: ['no lab output ' + index]};
  const scroller = (el) => {
    for (let p = el.parentElement; p; p = p.parentElement) {
      const s = getComputedStyle(p);
      if ((s.overflowY === 'auto' || s.overflowY === 'scroll') && p.scrollHeight > p.clientHeight) return p;
    }
    return null;
  };
  const controls = Array.from(area.querySelectorAll(SELECTOR))
    .filter(el => el.getClientRects().length && getComputedStyle(el).visibility !== 'hidden');
  const bad = [];
  for (const el of controls) {
    const sc = scroller(area);
    if (sc) {
      const r0 = el.getBoundingClientRect(), s0 = sc.getBoundingClientRect();
      sc.scrollTop += (r0.top + r0.height / 2) - (s0.top + s0.height / 2);
    }
    const r = el.getBoundingClientRect();
    const name = (el.textContent || el.value || el.className || el.tagName).toString().trim().slice(0, 40);
    const where = `${el.tagName.toLowerCase()} "${name}" [${Math.round(r.left)}..${Math.round(r.right)}]`;
    let left = Math.max(0, area.getBoundingClientRect().left);
    let right = Math.min(window.innerWidth, area.getBoundingClientRect().right);
    for (let p = el.parentElement; p && p !== document.body; p = p.parentElement) {
      const s = getComputedStyle(p);
      if (s.overflowX !== 'visible') {
        const pr = p.getBoundingClientRect();
        left = Math.max(left, pr.left);
        right = Math.min(right, pr.right);
      }
    }
    if (r.width === 0 || r.height === 0) { bad.push(where + ': zero size'); continue; }
    if (r.left < left - 1 || r.right > right + 1) {
      bad.push(where + `: outside the visible output [${Math.round(left)}..${Math.round(right)}]`);
      continue;
    }
    const hit = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
    if (!hit || !(hit === el || el.contains(hit))) {
      bad.push(where + ': covered by ' + (hit ? hit.tagName.toLowerCase() + '.' + hit.className : 'nothing'));
    }
  }
  // The figures: as wide as the output, never wider (plotly.js's fixed 700 px is clipped).
  const ar = area.getBoundingClientRect();
  for (const plot of area.querySelectorAll('.js-plotly-plot')) {
    if (!plot.getClientRects().length) continue;
    const svg = plot.querySelector('svg.main-svg');  // what plotly drew, not the div around it
    const r = (svg || plot).getBoundingClientRect();
    if (r.right > Math.min(window.innerWidth, ar.right) + 1) {
      bad.push(`figure [${Math.round(r.left)}..${Math.round(r.right)}] wider than the output [..${Math.round(ar.right)}]`);
    }
  }
  return {count: controls.length, bad};
}""".replace("SELECTOR", json.dumps(_CONTROLS))

# JS: every word of a lab's preformatted text (traces, hop lists, kubectl's tables, kube-proxy's
# rules), and every IPv4 address (with its port) in its other text, that the browser drew on more
# than one line in output area ``index``.
_JS_BROKEN_ADDRESSES = """(index) => {
  const outputs = Array.from(window.__kitPanel.content.node.querySelectorAll('.jp-OutputArea-output'))
    .filter(o => o.querySelector('.widget-box, .jupyter-widgets'));
  const area = outputs[index];
  const walker = document.createTreeWalker(area, NodeFilter.SHOW_TEXT);
  const re = /\\d{1,3}(?:\\.\\d{1,3}){3}(?::\\d+)?/g;
  const broken = [];
  let node, count = 0;
  while ((node = walker.nextNode())) {
    if (node.parentElement.closest('svg')) continue;  // plotly's figures lay out their own text
    const words = node.parentElement.closest('pre') ? /\\S+/g : re;
    for (const m of node.data.matchAll(words)) {
      count++;
      const range = document.createRange();
      range.setStart(node, m.index);
      range.setEnd(node, m.index + m[0].length);
      const tops = new Set(Array.from(range.getClientRects()).map(r => Math.round(r.top)));
      if (tops.size > 1) broken.push(m[0]);
    }
  }
  return {count, broken};
}"""


# JS: the labels of the service lab's routing graph (output area ``index``, its first figure) that
# overlap another label or a count's box, or stick out of the figure: each SVG text's and each
# box's rectangle on the screen, compared pairwise (a pixel's tolerance). Also every trace with
# labels has as many points in the browser as labels (plotly.js drops a trace whose x it cannot
# read).
_JS_GRAPH_LABELS = """(index) => {
  const outputs = Array.from(window.__kitPanel.content.node.querySelectorAll('.jp-OutputArea-output'))
    .filter(o => o.querySelector('.widget-box, .jupyter-widgets'));
  const plot = outputs[index].querySelector('.js-plotly-plot');
  const svg = plot.querySelector('svg.main-svg').getBoundingClientRect();
  const round = (r) => `[${Math.round(r.left)},${Math.round(r.top)} ${Math.round(r.width)}x${Math.round(r.height)}]`;
  const items = [];
  for (const t of plot.querySelectorAll('svg.main-svg text')) {
    const r = t.getBoundingClientRect();
    if (!t.textContent.trim() || !r.width) continue;
    items.push({name: JSON.stringify(t.textContent.trim().slice(0, 40)), r, box: !!t.closest('.layer-above')});
  }
  for (const b of plot.querySelectorAll('.layer-above .shapelayer path')) {
    items.push({name: 'box', r: b.getBoundingClientRect(), isBox: true});
  }
  const bad = [];
  const overlap = (a, b) => Math.min(a.right, b.right) - Math.max(a.left, b.left) > 1
                         && Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top) > 1;
  const inside = (a, b) => a.left >= b.left - 1 && a.right <= b.right + 1 && a.top >= b.top - 1 && a.bottom <= b.bottom + 1;
  for (const it of items) {
    if (it.r.left < svg.left - 1 || it.r.right > svg.right + 1 || it.r.top < svg.top - 1 || it.r.bottom > svg.bottom + 1)
      bad.push(`${it.name} ${round(it.r)} cut by the figure ${round(svg)}`);
  }
  for (let i = 0; i < items.length; i++) for (let j = i + 1; j < items.length; j++) {
    const a = items[i], b = items[j];
    if (!overlap(a.r, b.r)) continue;
    if ((a.isBox && b.box && inside(b.r, a.r)) || (b.isBox && a.box && inside(a.r, b.r))) continue;  // a box's own count
    bad.push(`${a.name} ${round(a.r)} overlaps ${b.name} ${round(b.r)}`);
  }
  const lost = plot.data.filter(t => t.text && t.text.length && !(t.x && t.x.length === t.text.length)).map(t => t.name);
  return {count: items.length, bad, lost};
}"""


def _notebook() -> dict:
    cells = [{"cell_type": "code", "execution_count": None, "id": f"lab-{name}", "metadata": {},
              "outputs": [], "source": source} for name, source in LABS.items()]
    return {"cells": cells,
            "metadata": {"kernelspec": {"display_name": "Python 3 (ipykernel)", "language": "python",
                                        "name": "python3"},
                         "language_info": {"name": "python"}},
            "nbformat": 4, "nbformat_minor": 5}


def _side_panel(page, open_: bool) -> None:
    """Open JupyterLab's left area on the file browser, or collapse it."""
    if open_:
        page.evaluate("() => window.jupyterapp.commands.execute('filebrowser:activate')")
        page.wait_for_function("() => !window.jupyterapp.shell.leftCollapsed")
    else:
        page.evaluate("() => window.jupyterapp.shell.collapseLeft()")
        page.wait_for_function("() => window.jupyterapp.shell.leftCollapsed")


@pytest.fixture
def labs_page(lab_page, lab_server, run_notebook):
    """The six labs, run in one notebook."""
    (lab_server.notebooks / NOTEBOOK).write_text(json.dumps(_notebook(), indent=1))
    run_notebook(lab_page, NOTEBOOK, timeout=300.0)
    return lab_page


def test_every_lab_control_is_visible_and_unclipped_at_projector_widths(labs_page, artifacts_dir):
    """At 1024, 1366 and 1920 px, file browser open or closed, no control of any lab sticks out of
    the notebook, needs a horizontal scroll, or is covered: the rows of controls wrap; no figure is
    wider than the output. No word of
    a lab's traces, hop lists, kubectl tables and kube-proxy rules (an address, a pod's name, a
    chain) and no IP address in its other text is broken across two lines. In the service lab's
    routing graph no label overlaps another or a count's box, none is cut by the figure's edge
    (issue 17), and every trace with labels has its points in the browser."""
    page = labs_page
    failures: list[str] = []
    addresses: dict[str, int] = {}
    labels = 0
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        for panel in (False, True):
            _side_panel(page, panel)
            page.wait_for_timeout(600)  # JupyterLab's and plotly's relayout after the resize
            where = f"{width} px, side panel {'open' if panel else 'closed'}"
            for index, lab in enumerate(LABS):
                got = page.evaluate(_JS_CHECK, [index, _CONTROLS])
                assert got["count"] >= 3, f"{lab}: only {got['count']} controls found"
                failures += [f"{where}, {lab} lab: {line}" for line in got["bad"]]
                text = page.evaluate(_JS_BROKEN_ADDRESSES, index)
                failures += [f"{where}, {lab} lab: {w!r} broken across lines" for w in text["broken"][:5]]
                addresses[lab] = max(addresses.get(lab, 0), text["count"])
            graph = page.evaluate(_JS_GRAPH_LABELS, list(LABS).index("service"))
            failures += [f"{where}, service lab's routing graph: {line}" for line in graph["bad"][:8]]
            failures += [f"{where}, service lab's routing graph: trace {name!r} lost its points" for name in graph["lost"]]
            labels = max(labels, graph["count"])
            if failures and not (artifacts_dir / "lab_widths.png").exists():
                page.screenshot(path=str(artifacts_dir / "lab_widths.png"), full_page=False)
    assert not failures, "\n".join(failures)
    # The checks saw words: the deployment lab's trace and table, the service lab's rules.
    assert addresses["deployment"] > 10 and addresses["service"] > 10, addresses
    assert labels > 30, labels  # the routing graph's labels and count boxes were seen


def _js_map_pods(phases: list[str]) -> str:
    """JS: how many pods of namespace default the deployment lab's cluster map draws in ``phases``."""
    return """() => {
  const area = Array.from(window.__kitPanel.content.node.querySelectorAll('.jp-OutputArea-output'))
    .filter(o => o.querySelector('.widget-box, .jupyter-widgets'))[0];
  const plot = area.querySelector('.js-plotly-plot');
  return plot.data.filter(t => PHASES.includes(t.name))
    .reduce((n, t) => n + (t.hovertext || []).filter(h => String(h).startsWith('default/')).length, 0);
}""".replace("PHASES", json.dumps(phases))


_JS_MAP_PODS = _js_map_pods(["Running", "ContainerCreating", "Pending", "Terminating", "Unknown"])
_JS_MAP_TERMINATING = _js_map_pods(["Terminating"])


def _tab_to(page, matches: str, limit: int = 40) -> str:
    """Press Tab until the focused element matches the JS predicate ``matches`` (on
    ``document.activeElement``); its description."""
    seen = []
    for _ in range(limit):
        page.keyboard.press("Tab")
        seen.append(page.evaluate("() => document.activeElement.outerHTML.slice(0, 80)"))
        if page.evaluate(f"() => {{ const el = document.activeElement; return !!el && ({matches}); }}"):
            return page.evaluate("() => document.activeElement.outerHTML.slice(0, 120)")
    raise AssertionError(f"Tab never reached {matches}: " + "\n".join(seen))


def _wait_for(page, check, what: str, timeout: float = 30.0):
    deadline = time.monotonic() + timeout
    while not (value := check()):
        assert time.monotonic() < deadline, what
        page.wait_for_timeout(200)
    return value


_JS_ACTIVE_CELL = "() => window.__kitPanel.content.activeCellIndex"


def _focus_before(page, index: int) -> None:
    """The one step that is not a key: put the focus just before lab ``index``, as a click on its
    cell would, without touching any control."""
    page.evaluate("""(index) => {
      const area = Array.from(window.__kitPanel.content.node.querySelectorAll('.jp-OutputArea-output'))
        .filter(o => o.querySelector('.widget-box, .jupyter-widgets'))[index];
      area.tabIndex = -1; area.focus();
    }""", index)


def _arrow_on_picker(page, label: str, key: str = "ArrowDown") -> tuple[str, str]:
    """Tab to the picker (a Dropdown's <select>) labelled ``label``, press ``key``: the option
    changes and JupyterLab's active cell does not. (The option's label before, after.)"""
    _tab_to(page, f"el.tagName === 'SELECT' && el.closest('.widget-dropdown').textContent.trim().startsWith({label!r})")
    page.evaluate("() => { window.__kitPicker = document.activeElement; }")
    picked = "() => window.__kitPicker.selectedOptions[0].textContent"
    cell, before = page.evaluate(_JS_ACTIVE_CELL), page.evaluate(picked)
    assert page.evaluate("() => window.__kitPanel.content.mode") == "command"
    page.keyboard.press(key)
    page.wait_for_timeout(300)  # a shortcut would run now
    after = page.evaluate(picked)
    assert page.evaluate(_JS_ACTIVE_CELL) == cell, f"{key} on the {label} picker moved the notebook's active cell"
    assert after != before, f"{key} on the {label} picker did not change its option ({before})"
    assert page.evaluate("() => document.activeElement === window.__kitPicker"), "the picker lost the focus"
    assert page.evaluate("() => window.__kitPanel.content.widgets.length") == len(LABS)
    return before, after


def test_the_deployment_lab_works_from_the_keyboard(labs_page):
    """Keyboard only, from the start of the lab's output: Tab reaches the replicas slider and an
    arrow key adds a pod to the cluster map; Tab reaches the pod picker and ArrowDown picks the
    next pod (JupyterLab's active cell stays: the arrow is the picker's, not the notebook's
    "select cell below"); Tab reaches "Kill pod" and Enter deletes the pod picked (the map draws
    it Terminating); Tab reaches "+10 s" and Space moves the clock."""
    page = labs_page
    page.set_viewport_size({"width": 1366, "height": 900})
    _focus_before(page, 0)
    before = page.evaluate(_JS_MAP_PODS)
    assert before == 4
    _tab_to(page, "el.classList.contains('noUi-handle')")
    cell = page.evaluate(_JS_ACTIVE_CELL)
    page.keyboard.press("ArrowRight")
    _wait_for(page, lambda: page.evaluate(_JS_MAP_PODS) == 5, "the arrow key did not add a pod to the map")
    assert page.evaluate(_JS_ACTIVE_CELL) == cell
    _, picked = _arrow_on_picker(page, "pod")
    _tab_to(page, "el.tagName === 'BUTTON' && el.textContent.trim() === 'Kill pod'")
    page.keyboard.press("Enter")
    _wait_for(page, lambda: page.evaluate(_JS_MAP_TERMINATING) == 1, "Enter on Kill pod terminated no pod")
    # The pod killed is the one the arrow key picked: the kernel got the picker's new value.
    suffix = picked.split()[0].split("-")[-1]  # the label's spaces are non-breaking
    terminating = page.evaluate("""() => {
      const area = Array.from(window.__kitPanel.content.node.querySelectorAll('.jp-OutputArea-output'))
        .filter(o => o.querySelector('.widget-box, .jupyter-widgets'))[0];
      const plot = area.querySelector('.js-plotly-plot');
      return plot.data.filter(t => t.name === 'Terminating').flatMap(t => t.hovertext || []).join(' ');
    }""")
    assert f"-{suffix}" in terminating, (picked, terminating)
    lab = page.locator(".jp-OutputArea-output").filter(has=page.locator(".widget-box")).first
    clock = lab.locator(".widget-html-content").filter(has_text=re.compile(r"^t = \d+ s$")).first
    shown = clock.inner_text()
    _tab_to(page, "el.tagName === 'BUTTON' && el.textContent.trim() === '+10 s'")
    page.keyboard.press("Space")
    _wait_for(page, lambda: clock.inner_text() != shown, "Space on +10 s did not move the clock")


def test_the_ingress_lab_works_from_the_keyboard(labs_page):
    """Keyboard only, the ingress lab: Enter on Send sends the request (the tree's text
    alternative names the rule that took it); ArrowDown on the pathType picker picks Exact and
    on the Service picker web, and leaves JupyterLab's active cell alone; Enter on "add rule" applies the Ingress with the new
    rule; an arrow key on the replicas slider and Space on "+10 s" give the backend a third
    ready pod. Each step is read from the tree's text alternative, which follows every redraw."""
    page = labs_page
    page.set_viewport_size({"width": 1366, "height": 900})
    index = list(LABS).index("ingress")
    lab = page.locator(".jp-OutputArea-output").filter(has=page.locator(".widget-box")).nth(index)
    summary = lab.locator("[role=note]").first

    def says(text: str) -> bool:
        return text in summary.inner_text()

    assert says("No request drawn yet.")
    _focus_before(page, index)
    _tab_to(page, "el.tagName === 'BUTTON' && el.textContent.trim() === 'Send'")
    page.keyboard.press("Enter")
    _wait_for(page, lambda: says("Request shop.example/: rule Prefix / took it"), "Enter on Send sent nothing")
    assert _arrow_on_picker(page, "pathType") == ("Prefix", "Exact")
    assert _arrow_on_picker(page, "Service") == ("kubernetes", "web")
    _tab_to(page, "el.tagName === 'BUTTON' && el.textContent.trim() === 'add rule'")
    page.keyboard.press("Enter")
    _wait_for(page, lambda: says("Exact / → web:80"), "Enter on add rule added no Exact rule")
    _tab_to(page, "el.classList.contains('noUi-handle')")
    page.keyboard.press("ArrowRight")
    _tab_to(page, "el.tagName === 'BUTTON' && el.textContent.trim() === '+10 s'")
    page.keyboard.press("Space")
    _wait_for(page, lambda: says("Prefix / → web:80 (3 ready pods)"), "the slider and +10 s added no ready pod")
    assert not page.kit_page_errors, page.kit_page_errors
