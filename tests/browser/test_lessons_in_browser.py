"""Lessons in a real browser: JupyterLab + Debian's Chromium, driven by Playwright.

Run only these:  .venv/bin/python -m pytest -m browser tests/browser
Another folder:  KITLIB_NOTEBOOKS_DIR=/path/to/notebooks .venv/bin/python -m pytest -m browser tests/browser
Screenshots go to artifacts/ (gitignored).
"""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.browser

LESSON_1 = "01-pod-network.ipynb"
LESSON_3 = "03-outside-access.ipynb"
LESSON_4 = "04-kube-proxy.ipynb"
LESSON_6 = "06-ingress.ipynb"
LESSON_7 = "07-network-policies.ipynb"
LESSON_8 = "08-gateway-api.ipynb"
# A pod is a point of a marker trace; text-only traces (node labels) draw no `.point`.
POD_POINTS = ".scatterlayer .trace .points .point"


def _shot(page, path: Path) -> None:
    page.screenshot(path=str(path))


def test_notebook_runs_to_the_end_without_widget_errors(
    lab_page, run_notebook, notebook_name, artifacts_dir
):
    run = run_notebook(lab_page, notebook_name)
    assert run.code_cells > 0
    _shot(lab_page, artifacts_dir / f"run-{Path(notebook_name).stem}.png")


def _points(plot) -> int:
    return plot.locator(POD_POINTS).count()


def _wait_for_points(plot, predicate, timeout: float = 20.0) -> int:
    deadline = time.monotonic() + timeout
    n = _points(plot)
    while not predicate(n) and time.monotonic() < deadline:
        plot.page.wait_for_timeout(200)
        n = _points(plot)
    return n


def test_lesson_1_replicas_slider_redraws_the_cluster_map(
    notebook_names, lab_page, run_notebook, artifacts_dir
):
    assert LESSON_1 in notebook_names, f"{LESSON_1} is missing"
    page = lab_page
    run_notebook(page, LESSON_1)

    slider = page.locator(".widget-slider").filter(
        has=page.locator(".widget-label", has_text="replicas")
    )
    assert slider.count() >= 1, "no IntSlider labelled 'replicas'"
    slider = slider.first
    # The deployment lab: the innermost box holding both the slider and the cluster map.
    lab = (
        page.locator(".widget-vbox, .widget-box")
        .filter(has=slider)
        .filter(has=page.locator(".js-plotly-plot"))
        .last
    )
    plot = lab.locator(".js-plotly-plot").first
    plot.scroll_into_view_if_needed()
    assert plot.is_visible(), "cluster map (.js-plotly-plot) is not visible"

    before = _wait_for_points(plot, lambda n: n > 0)
    assert before > 0, "the cluster map draws no pod points"
    readout = slider.locator(".widget-readout")
    value_before = readout.inner_text().strip()

    # Move the slider as a person would: grab the handle, then arrow keys.
    # With continuous_update=False the value is sent on the slider's 'change' event,
    # which noUiSlider fires for each key press.
    handle = slider.locator(".noUi-handle").first
    handle.click()
    for _ in range(3):
        handle.press("ArrowRight")
        page.wait_for_timeout(100)

    after = _wait_for_points(plot, lambda n: n > before)
    plot.scroll_into_view_if_needed()
    _shot(page, artifacts_dir / "lesson-01.png")
    value_after = readout.inner_text().strip()
    assert value_after != value_before, f"slider readout stayed at {value_before}"
    assert after > before, (
        f"pod points did not increase after moving replicas {value_before} -> {value_after}: "
        f"{before} -> {after}"
    )


# Text of every SVG <text> in a plotly plot (titles, annotations, trace labels, Sankey labels).
_JS_PLOT_TEXT = "p => Array.from(p.querySelectorAll('text')).map(t => t.textContent).join(' | ')"


def _graph_shows(lab, graph):
    """What the service lab's routing graph shows: its title (HTML above the figure, which the
    lab draws bare) and the figure's own text."""
    title = lab.locator(".widget-html-content").filter(has_text=re.compile(r"^\s*Service \S+ · "))
    return lambda: title.inner_text() + " | " + graph.evaluate(_JS_PLOT_TEXT)


_JS_HOVER_TEXT = "p => Array.from(p.querySelectorAll('.hoverlayer text')).map(t => t.textContent).join(' | ')"
# The `d` of the heatmap's drawn white paths: the verdict marks of the panel shown.
_JS_MARKS = """p => Array.from(p.querySelectorAll('.shapelayer path'))
  .filter(e => (e.style.stroke || '').replace(/ /g, '') === 'rgb(255,255,255)').map(e => e.getAttribute('d'))"""
# The page coordinates of the centre of a heatmap's cell [x category, y category].
_JS_CELL_CENTRE = """(p, [x, y]) => {
  const layout = p._fullLayout, box = p.querySelector('.nsewdrag').getBoundingClientRect();
  return [box.left + layout.xaxis.d2p(x), box.top + layout.yaxis.d2p(y)];
}"""


def _dropdown(box, label: str):
    """The <select> of the ipywidgets Dropdown in ``box`` whose description is ``label``."""
    page = box.page
    return (
        box.locator(".widget-dropdown")
        .filter(has=page.locator("label.widget-label", has_text=re.compile(rf"^{re.escape(label)}$")))
        .locator("select")
    )


def _option_values(select) -> list[str]:
    return select.evaluate("s => Array.from(s.options).map(o => o.value)")


def _wait_until(page, check, what: str, timeout: float = 20.0):
    """Poll ``check()`` until it returns something truthy; fail with ``what`` otherwise."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value or time.monotonic() > deadline:
            break
        page.wait_for_timeout(200)
    assert value, f"timed out after {timeout:.0f}s: {what}"
    return value


def test_lesson_3_service_lab_nodeport_send_and_kill(
    notebook_names, lab_page, run_notebook, artifacts_dir
):
    from playwright.sync_api import expect

    assert LESSON_3 in notebook_names, f"{LESSON_3} is missing"
    page = lab_page
    run_notebook(page, LESSON_3)

    # The service lab: the innermost box with the type dropdown (it offers LoadBalancer) and Send.
    type_select = page.locator("select").filter(has=page.locator("option", has_text="LoadBalancer"))
    send = page.locator("button.widget-button", has_text=re.compile(r"^\s*Send\s*$"))
    lab = (
        page.locator(".widget-vbox, .widget-box")
        .filter(has=type_select)
        .filter(has=send)
        .last
    )
    expect(lab).to_have_count(1)
    lab.scroll_into_view_if_needed()
    type_select = lab.locator("select").filter(has=page.locator("option", has_text="LoadBalancer"))
    send = lab.locator("button.widget-button", has_text=re.compile(r"^\s*Send\s*$"))
    kill = lab.locator("button.widget-button", has_text="Kill pod")
    step = lab.locator("button.widget-button", has_text="+10 s")
    source, address, pod = _dropdown(lab, "from"), _dropdown(lab, "to"), _dropdown(lab, "pod")
    html_views = lab.locator(".widget-html-content")
    table = html_views.filter(has_text="kubectl get svc,endpointslices")
    clock = html_views.filter(has_text=re.compile(r"^t = \d+ s$"))

    # The trafficDistribution section draws its grids (plain figures, outside the lab).
    grids = page.locator(".js-plotly-plot").filter(has_text="each node's kube-proxy uses")
    _wait_until(page, lambda: grids.count() >= 4, "the topology grids of the zone section are not drawn")
    assert "zone-b" in grids.first.evaluate(_JS_PLOT_TEXT)

    # Both figures render: the routing graph (scatter traces with labels) and the Sankey.
    plots = lab.locator(".js-plotly-plot")
    expect(plots).to_have_count(2)
    graph, sankey = plots.nth(0), plots.nth(1)
    graph_shows = _graph_shows(lab, graph)
    for plot in (graph, sankey):
        expect(plot.locator(".main-svg").first).to_be_visible()
        box = plot.bounding_box()
        assert box and box["width"] > 300 and box["height"] > 150, f"plot too small: {box}"
    expect(graph.locator(POD_POINTS).first).to_be_attached()
    graph_before = graph_shows()
    assert "ClusterIP" in graph_before and "kube-proxy" in graph_before, graph_before
    assert "No requests sent yet" in sankey.evaluate(_JS_PLOT_TEXT)
    expect(sankey.locator(".sankey .sankey-node")).to_have_count(0)
    expect(table).to_contain_text(re.compile(r"service/web\s+ClusterIP\s"))

    # Make it a NodePort Service, as a learner would: the table shows 80:3xxxx/TCP and the
    # "to" list gains one NodePort address per node.
    type_select.select_option("NodePort")
    expect(table).to_contain_text(re.compile(r"service/web\s+NodePort\s.*\s80:3\d{4}/TCP\s"))
    node_port = re.search(r"80:(3\d{4})/TCP", table.inner_text()).group(1)
    nodeport_addresses = _wait_until(
        page,
        lambda: [v for v in _option_values(address) if v.startswith("NodePort ")],
        "the 'to' dropdown offers no NodePort address",
    )
    assert all(v.endswith(f":{node_port}") for v in nodeport_addresses), nodeport_addresses
    _wait_until(page, lambda: graph_shows() != graph_before,
                "the routing graph did not change for NodePort")
    graph_nodeport = graph_shows()
    assert f":{node_port}" in graph_nodeport and "NodePort" in graph_nodeport, graph_nodeport

    # Send 100 requests from outside to the first node's NodePort.
    assert "outside" in _option_values(source), _option_values(source)
    source.select_option("outside")
    address.select_option(nodeport_addresses[0])
    send.click()
    result = html_views.filter(has_text="requests from external")
    expect(result).to_contain_text(re.compile(rf"100 requests from external to [\d.]+:{node_port}/TCP"))
    expect(result).to_contain_text(re.compile(r"100 answered, 0 failed"))
    # The Sankey now draws outside -> kube-proxy -> pods -> nodes.
    nodes = sankey.locator(".sankey .sankey-node")
    _wait_until(page, lambda: nodes.count() >= 4, "the Sankey draws no nodes after Send")
    sankey_text = sankey.evaluate(_JS_PLOT_TEXT)
    for label in ("outside (100)", "kube-proxy", "web-"):
        assert label in sankey_text, f"{label!r} not in Sankey labels: {sankey_text}"
    assert "No requests sent yet" not in sankey_text
    _wait_until(page, lambda: "100 requests from outside" in graph_shows(),
                "the routing graph does not show the requests")
    assert not lab.locator(".widget-html-content span[style*='D55E00']").count(), "status shows an error"

    # Kill a pod: it leaves the pod list, its replacement has no IP yet. The endpoint slice
    # still lists the terminating pod until the clock moves; after "+10 s" it lists the new one.
    victim = pod.input_value()
    table_before_kill = table.inner_text()
    kill.click()
    _wait_until(page, lambda: victim not in _option_values(pod), f"{victim} still offered after Kill pod")
    _wait_until(page, lambda: "no IP yet" in graph_shows(),
                "the routing graph does not show the replacement pod")
    clock_before = clock.inner_text()
    step.click()
    expect(clock).not_to_have_text(clock_before)
    _wait_until(page, lambda: table.inner_text() != table_before_kill,
                "the kubectl table did not change after Kill pod and +10 s")
    endpoints = lambda text: re.search(r"endpointslice\S*/web-\S+\s+IPv4\s+80\s+(\S+)", text).group(1)  # noqa: E731
    assert endpoints(table.inner_text()) != endpoints(table_before_kill), table.inner_text()

    # No JavaScript errors (the Sankey stays hidden until there is traffic: plotly.js cannot
    # lay out one without links).
    assert not page.kit_page_errors, f"JavaScript errors in the page: {page.kit_page_errors}"

    # The whole lab in one picture: a tall viewport, so the notebook does not clip it.
    page.set_viewport_size({"width": 1400, "height": 2400})
    page.wait_for_timeout(500)
    lab.scroll_into_view_if_needed()
    lab.screenshot(path=str(artifacts_dir / "service-lab.png"))


def test_lesson_4_service_lab_switches_kube_proxy_mode_and_shows_its_rules(
    notebook_names, lab_page, run_notebook, artifacts_dir
):
    from playwright.sync_api import expect

    assert LESSON_4 in notebook_names, f"{LESSON_4} is missing"
    page = lab_page
    run_notebook(page, LESSON_4)

    # The service lab: the innermost box with the kube-proxy menu (it offers nftables) and Send.
    mode_select = page.locator("select").filter(has=page.locator("option", has_text="nftables"))
    send = page.locator("button.widget-button", has_text=re.compile(r"^\s*Send\s*$"))
    lab = page.locator(".widget-vbox, .widget-box").filter(has=mode_select).filter(has=send).last
    expect(lab).to_have_count(1)
    lab.scroll_into_view_if_needed()
    mode = _dropdown(lab, "kube-proxy")
    rules = lab.locator(".widget-html-content").filter(has_text="on minikube, kube-proxy in")
    graph = lab.locator(".js-plotly-plot").first
    expect(graph.locator(".main-svg").first).to_be_visible()
    graph_shows = _graph_shows(lab, graph)

    # The lesson leaves kube-proxy in iptables mode: the rules are web's iptables-save lines.
    expect(rules).to_contain_text("$ iptables-save -t nat")
    expect(rules).to_contain_text("--probability 0.33333333349")
    assert "kube-proxy: iptables" in graph_shows()

    # Switch to nftables as a learner would: the rules and the graph's title follow.
    mode.select_option("nftables")
    expect(rules).to_contain_text("$ nft list table ip kube-proxy")
    expect(rules).to_contain_text("numgen random mod 3 vmap")
    _wait_until(page, lambda: "kube-proxy: nftables" in graph_shows(),
                "the graph's title does not name the nftables mode")

    # One more replica, and the vmap grows once the pod is ready.
    slider = lab.locator(".widget-slider").filter(has=page.locator(".widget-label", has_text="replicas"))
    handle = slider.locator(".noUi-handle").first
    handle.click()
    handle.press("ArrowRight")
    lab.locator("button.widget-button", has_text="+10 s").click()
    expect(rules).to_contain_text("numgen random mod 4 vmap")

    # IPVS, the deprecated mode: its virtual servers.
    mode.select_option("ipvs (deprecated)")  # the option's value is its label
    expect(rules).to_contain_text("$ ipvsadm -Ln")
    _wait_until(page, lambda: "ipvs (deprecated)" in graph_shows(),
                "the graph's title does not mark IPVS deprecated")
    assert not lab.locator(".widget-html-content span[style*='D55E00']").count(), "status shows an error"
    assert not page.kit_page_errors, f"JavaScript errors in the page: {page.kit_page_errors}"

    page.set_viewport_size({"width": 1400, "height": 2400})
    page.wait_for_timeout(500)
    mode.select_option("nftables")
    expect(rules).to_contain_text("numgen random mod 4 vmap")
    lab.scroll_into_view_if_needed()
    lab.screenshot(path=str(artifacts_dir / "service-lab-nftables.png"))


def test_lesson_6_ingress_lab_send_shows_status_and_routing_tree(
    notebook_names, lab_page, run_notebook, artifacts_dir
):
    from playwright.sync_api import expect

    assert LESSON_6 in notebook_names, f"{LESSON_6} is missing"
    page = lab_page
    run_notebook(page, LESSON_6)

    # The ingress lab: the innermost box with the URL box, Send and the routing tree.
    send = page.locator("button.widget-button", has_text=re.compile(r"^\s*Send\s*$"))
    url_box = page.locator(".widget-text").filter(
        has=page.locator("label.widget-label", has_text=re.compile(r"^URL$"))
    )
    lab = (
        page.locator(".widget-vbox, .widget-box")
        .filter(has=url_box)
        .filter(has=send)
        .filter(has=page.locator(".js-plotly-plot"))
        .last
    )
    expect(lab).to_have_count(1)
    lab.scroll_into_view_if_needed()
    send = lab.locator("button.widget-button", has_text=re.compile(r"^\s*Send\s*$"))
    url_input = lab.locator(".widget-text").filter(
        has=page.locator("label.widget-label", has_text=re.compile(r"^URL$"))
    ).locator("input")
    results = lab.locator(".widget-html-content")

    tree = lab.locator(".js-plotly-plot").first
    expect(tree.locator(".main-svg").first).to_be_visible()
    box = tree.bounding_box()
    assert box and box["width"] > 300 and box["height"] > 150, f"routing tree too small: {box}"
    assert "shop.example" in tree.evaluate(_JS_PLOT_TEXT)

    # Type a URL as a person would (the Text widget sends its value on Enter or blur), then Send.
    url_input.fill("http://shop.example/apiary")
    url_input.press("Enter")
    send.click()
    result = results.filter(has_text="http://shop.example/apiary")
    expect(result).to_contain_text("200 OK")
    expect(result).to_contain_text(re.compile(r"shop\.example/.*Prefix.*web"))

    # A host that no rule names: the controller's own 404, and the tree shows it.
    tree_before = tree.evaluate(_JS_PLOT_TEXT)
    url_input.fill("http://nobody.example/")
    url_input.press("Enter")
    send.click()
    expect(results.filter(has_text="http://nobody.example/")).to_contain_text("404 Not Found")
    _wait_until(page, lambda: tree.evaluate(_JS_PLOT_TEXT) != tree_before,
                "the routing tree did not change after the second Send")
    expect(tree).to_be_visible()
    assert not lab.locator(".widget-html-content span[style*='D55E00']").count(), "status shows an error"
    assert not page.kit_page_errors, f"JavaScript errors in the page: {page.kit_page_errors}"

    page.set_viewport_size({"width": 1400, "height": 2400})
    page.wait_for_timeout(500)
    lab.scroll_into_view_if_needed()
    lab.screenshot(path=str(artifacts_dir / "ingress-lab.png"))


def test_lesson_7_firewall_lab_apply_turns_heatmap_cells_red_and_explains(
    notebook_names, lab_page, run_notebook, artifacts_dir
):
    from playwright.sync_api import expect

    assert LESSON_7 in notebook_names, f"{LESSON_7} is missing"
    page = lab_page
    run_notebook(page, LESSON_7)

    # The firewall lab: the innermost box with the Apply button and the heatmap.
    apply = page.locator("button.widget-button", has_text=re.compile(r"^\s*Apply\s*$"))
    lab = (
        page.locator(".widget-vbox, .widget-box")
        .filter(has=apply)
        .filter(has=page.locator(".js-plotly-plot"))
        .last
    )
    expect(lab).to_have_count(1)
    lab.scroll_into_view_if_needed()
    heatmap = lab.locator(".js-plotly-plot").first
    expect(heatmap.locator(".main-svg").first).to_be_visible()
    assert "calico enforces NetworkPolicy" in heatmap.evaluate(_JS_PLOT_TEXT)

    def denied() -> int:
        """The ✗ drawn in the shown panel: strokes of one segment in its white marks path (a ✗ is
        two of them, a ✓ one stroke of two segments)."""
        paths = heatmap.evaluate(_JS_MARKS)
        return sum(1 for d in paths for stroke in d.split("M")[1:] if stroke.count("L") == 1) // 2

    assert denied() == 0, "no policy yet, but a cell is denied"

    # Pick a ready-made policy (it fills the editor), then Apply: the heatmap gets denied cells,
    # framed as changed, and the policy graph draws the new policy.
    _dropdown(lab, "policy").select_option("default deny ingress")
    editor = lab.locator(".widget-textarea textarea")
    expect(editor).to_have_value(re.compile("name: default-deny-ingress"))
    lab.locator("button.widget-button", has_text=re.compile(r"^\s*Apply\s*$")).click()
    _wait_until(page, lambda: denied() > 0,
                "no denied (✗) cell in the heatmap after applying default deny ingress")
    # The heatmap's text alternative under it says the same in words.
    note = lab.locator("div[role=note]", has_text="Reachability heatmap")
    expect(note).to_contain_text(re.compile(r"TCP 80: \d+ allowed \(✓\), \d+ denied \(✗\); denied: "))
    assert re.search(r"\d+ changed by the last edit", heatmap.evaluate(_JS_PLOT_TEXT))
    # Hover a denied cell: its reason, filled into the panel's hover template from the cell's data.
    heatmap.evaluate("p => p.scrollIntoView({block: 'center'})")
    x, y = heatmap.evaluate(_JS_CELL_CENTRE, ["api", "frontend"])
    page.mouse.move(x - 3, y - 3)
    page.mouse.move(x, y)
    _wait_until(page, lambda: "no ingress rule allows it" in heatmap.evaluate(_JS_HOVER_TEXT),
                "hovering a denied cell shows no reason")
    hover = heatmap.evaluate(_JS_HOVER_TEXT)
    assert "frontend → api" in hover and "✗ denied" in hover and "%{" not in hover, hover
    assert "isolated by default/default-deny-ingress" in hover, hover
    page.mouse.move(1, 1)
    # Another port's panel (the figure's own menu): the kernel sends its reasons when it is shown.
    heatmap.locator(".updatemenu-header-group").click()
    heatmap.locator(".updatemenu-dropdown-button", has_text="TCP 8080").click()
    page.mouse.move(x - 3, y - 3)
    page.mouse.move(x, y)
    _wait_until(page, lambda: "TCP 8080" in heatmap.evaluate(_JS_HOVER_TEXT)
                and "no ingress rule allows it" in heatmap.evaluate(_JS_HOVER_TEXT),
                "hovering a cell of the TCP 8080 panel shows no reason")
    page.mouse.move(1, 1)
    graph = lab.locator(".js-plotly-plot").nth(1)
    _wait_until(page, lambda: "default/default-deny-ingress" in graph.evaluate(_JS_PLOT_TEXT),
                "the policy graph does not show the applied policy")

    # Explain a connection: the verdict's words appear under the controls.
    lab.locator("button.widget-button", has_text=re.compile(r"^\s*Explain\s*$")).click()
    expect(lab.locator(".widget-html-content pre")).to_contain_text("isolated for ingress")

    # Switch to flannel: the same policy, nothing denied.
    lab.locator(".widget-toggle-button", has_text="flannel").click()
    _wait_until(page, lambda: "not enforced" in heatmap.evaluate(_JS_PLOT_TEXT),
                "the heatmap did not switch to the flannel cluster")
    assert denied() == 0, "flannel enforces nothing, but a cell is denied"
    assert not lab.locator(".widget-html-content span[style*='D55E00']").count(), "status shows an error"
    assert not page.kit_page_errors, f"JavaScript errors in the page: {page.kit_page_errors}"

    page.set_viewport_size({"width": 1400, "height": 2400})
    page.wait_for_timeout(500)
    lab.scroll_into_view_if_needed()
    lab.screenshot(path=str(artifacts_dir / "firewall-lab.png"))


def test_lesson_8_gateway_lab_send_weight_and_conditions(
    notebook_names, lab_page, run_notebook, artifacts_dir
):
    from playwright.sync_api import expect

    assert LESSON_8 in notebook_names, f"{LESSON_8} is missing"
    page = lab_page
    page.set_viewport_size({"width": 1024, "height": 1000})  # a small laptop: the lab must fit
    run_notebook(page, LESSON_8)

    # The gateway lab: the innermost box with the Measure button, Send and the routing tree.
    measure = page.locator("button.widget-button", has_text=re.compile(r"^\s*Measure"))
    lab = (
        page.locator(".widget-vbox, .widget-box")
        .filter(has=measure)
        .filter(has=page.locator(".js-plotly-plot"))
        .last
    )
    expect(lab).to_have_count(1)
    lab.scroll_into_view_if_needed()

    def text_input(label: str):
        return lab.locator(".widget-text").filter(
            has=page.locator("label.widget-label", has_text=re.compile(rf"^{re.escape(label)}$"))
        ).locator("input")

    send = lab.locator("button.widget-button", has_text=re.compile(r"^\s*Send\s*$"))
    measure = lab.locator("button.widget-button", has_text=re.compile(r"^\s*Measure"))
    results = lab.locator(".widget-html-content")
    tree = lab.locator(".js-plotly-plot").first
    expect(tree.locator(".main-svg").first).to_be_visible()
    box = tree.bounding_box()
    assert box and box["width"] > 300 and box["height"] > 150, f"routing tree too small: {box}"
    lab_box = lab.bounding_box()
    assert box["x"] + box["width"] <= lab_box["x"] + lab_box["width"] + 2, f"tree wider than the lab: {box} {lab_box}"
    tree_text = tree.evaluate(_JS_PLOT_TEXT)
    assert "HTTPRoute" in tree_text and "shop" in tree_text and "web-v2-" in tree_text, tree_text
    # The route's conditions, as kubectl describe shows them.
    # the conditions' table (the tree's text alternative names the route too)
    expect(results.filter(has_text="HTTPRoute default/shop").filter(has_text="ResolvedRefs")).to_have_count(1)

    # Type a path as a person would (the Text widget sends its value on Enter or blur), then Send.
    path = text_input("path").first
    path.fill("/apiary")
    path.press("Enter")
    send.click()
    result = results.filter(has_text="http://shop.example.com/apiary")
    expect(result).to_contain_text("200 OK")
    expect(result).to_contain_text("rule 0")
    _wait_until(page, lambda: "rule that took the request" in tree.evaluate(_JS_PLOT_TEXT),
                "the routing tree does not highlight the rule that took the request")

    # The weight slider: a canary share for web-v2, then the measured split of 1,000 requests.
    slider = lab.locator(".widget-slider").filter(has=page.locator(".widget-label", has_text="2nd backend"))
    handle = slider.locator(".noUi-handle").first
    handle.click()
    for _ in range(5):  # step 5: 25 %
        handle.press("ArrowRight")
        page.wait_for_timeout(100)
    expect(slider.locator(".widget-readout")).to_have_text("25")
    measure.click()
    split = results.filter(has_text="measured split of 1,000 requests")
    expect(split).to_contain_text("web-v2")
    expect(split).to_contain_text("25.0 %")
    _wait_until(page, lambda: "25" in tree.evaluate(_JS_PLOT_TEXT).split(" | "),
                "the routing tree does not write the weight 25 on the canary's edge")
    # The tree's text alternative under it says the same in words.
    expect(lab.locator("div[role=note]", has_text="Routing tree of Gateway")).to_contain_text(
        re.compile(r"default/web-v2:80 weight 25 \(\d+ ready pods?\)"))

    assert not lab.locator(".widget-html-content span[style*='D55E00']").count(), "status shows an error"
    assert not page.kit_page_errors, f"JavaScript errors in the page: {page.kit_page_errors}"

    page.set_viewport_size({"width": 1024, "height": 2400})
    page.wait_for_timeout(500)
    lab.scroll_into_view_if_needed()
    lab.screenshot(path=str(artifacts_dir / "gateway-lab.png"))
    page.set_viewport_size({"width": 1400, "height": 1000})


LESSON_9 = "09-troubleshooting.ipynb"


def test_capstone_scenario_1_from_fault_to_fix(notebook_names, lab_page, run_notebook, artifacts_dir):
    """The capstone as a learner meets it: after Run All (past the cells tagged raises-exception, whose curl
    fails), scenario 1's check says "Not yet"; typing the fix into the empty fix cell and running it and the
    check cell turns the check green."""
    from playwright.sync_api import expect

    assert LESSON_9 in notebook_names, f"{LESSON_9} is missing"
    page = lab_page
    run_notebook(page, LESSON_9)

    cells = page.locator(".jp-Notebook .jp-Cell")
    check = cells.filter(has=page.locator(".jp-InputArea", has_text="capstone.check(1, cluster1)"))
    expect(check).to_have_count(1)
    check.scroll_into_view_if_needed()
    expect(check.locator(".jp-OutputArea")).to_contain_text("✘ Not yet: curl http://web/hostname from the client pod")
    # The failing curl of scenario 1 shows kubectl's error, and "Run All" went on past it.
    curl = cells.filter(has=page.locator(".jp-InputArea", has_text="exec client -- curl -sS http://web/hostname")).first
    expect(curl.locator(".jp-OutputArea")).to_contain_text("curl: (7) Failed to connect to web port 80")
    curl.scroll_into_view_if_needed()
    curl.screenshot(path=str(artifacts_dir / "capstone-failing-curl.png"))

    # Type the fix as a learner would: into the fix cell's editor, below its comments.
    fix = cells.filter(has=page.locator(".jp-InputArea", has_text="# your fix: make Service web select the web pods"))
    expect(fix).to_have_count(1)
    editor = fix.locator(".cm-content")
    editor.click()
    page.keyboard.press("Control+End")
    page.keyboard.press("Enter")
    page.keyboard.type("%kubectl set selector service web app=web")
    page.keyboard.press("Shift+Enter")  # runs the fix cell and moves to the check cell
    expect(fix.locator(".jp-OutputArea")).to_contain_text("service/web selector updated")
    page.keyboard.press("Shift+Enter")  # runs the check cell
    expect(check.locator(".jp-OutputArea")).to_contain_text("✔ Well done: curl http://web/hostname answers",
                                                            timeout=30_000)
    assert not page.kit_page_errors, f"JavaScript errors in the page: {page.kit_page_errors}"
    check.screenshot(path=str(artifacts_dir / "capstone-scenario-1.png"))
