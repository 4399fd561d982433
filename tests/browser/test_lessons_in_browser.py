"""Lessons in a real browser: JupyterLab + Debian's Chromium, driven by Playwright.

Run only these:  .venv/bin/python -m pytest -m browser tests/browser
Another folder:  KITLIB_NOTEBOOKS_DIR=/path/to/notebooks .venv/bin/python -m pytest -m browser tests/browser
Screenshots go to artifacts/ (gitignored).
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.browser

LESSON_1 = "01-pod-network.ipynb"
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
