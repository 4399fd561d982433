"""The lessons in the static JupyterLite site, as a learner's browser runs them.

    make lite-test                      # lessons 00 and 01 (what CI runs)
    make lite-test LITE_LESSONS=all     # every lesson the site serves
    make lite-test LITE_LESSONS=03,06

Each lesson opens from the site's own URL in a fresh browser context, runs top to bottom in the
Pyodide kernel, and must show no error, no broken widget, and, in every cell that nbval checks
(tag ``nbval-check-output`` or ``# NBVAL_CHECK_OUTPUT``), the outputs stored in the notebook. No
request may leave the site's origin (the browser cannot resolve any other host, and every request
is logged). Lesson 01's replicas slider is moved and the cluster map must redraw.
Screenshots go to artifacts/lite/ (gitignored).
"""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

import pytest
from lite_helpers import NOTEBOOKS, open_lesson, run_lesson
from playwright.sync_api import TimeoutError as PlaywrightTimeout

pytestmark = pytest.mark.browser

LESSON_1 = "01-pod-network.ipynb"
START_PAGE = "00-start-here.ipynb"
POD_POINTS = ".scatterlayer .trace .points .point"  # a pod is a marker of the cluster map

# JS: the outputs of every code cell of the open notebook, as the front end holds them.
_JS_OUTPUTS = """
() => window.__kitPanel.content.widgets
  .filter(c => c.model.type === 'code')
  .map(c => c.model.outputs.toJSON())
"""


def _stored_notebook(site: Path, name: str) -> dict:
    return json.loads((site / "files" / NOTEBOOKS / name).read_text())


def _checked(cell: dict) -> bool:
    tags = cell.get("metadata", {}).get("tags", [])
    return "nbval-check-output" in tags or "# NBVAL_CHECK_OUTPUT" in "".join(cell["source"])


def comparable(outputs: list[dict]) -> list[tuple[str, str]]:
    """What nbval compares, in a form both sides share: stream text by stream (consecutive
    pieces joined, ``\\r\\n`` as ``\\n``: the front end turns one into the other), the text/plain
    of results and displays, and errors by name."""
    out: list[tuple[str, str]] = []
    for o in outputs:
        kind = o["output_type"]
        if kind == "stream":
            text = "".join(o["text"]) if isinstance(o["text"], list) else o["text"]
            text = text.replace("\r\n", "\n")
            if out and out[-1][0] == f"stream:{o['name']}":
                out[-1] = (out[-1][0], out[-1][1] + text)
            else:
                out.append((f"stream:{o['name']}", text))
        elif kind in ("execute_result", "display_data"):
            plain = o.get("data", {}).get("text/plain")
            if plain is not None:
                out.append((kind, "".join(plain) if isinstance(plain, list) else plain))
        elif kind == "error":
            out.append(("error", o["ename"]))
    return out


def check_stored_outputs(page, site: Path, name: str) -> int:
    """Every checked cell's outputs equal the stored ones; returns how many cells were checked."""
    stored = [c for c in _stored_notebook(site, name)["cells"] if c["cell_type"] == "code"]
    shown = page.evaluate(_JS_OUTPUTS)
    assert len(stored) == len(shown), f"{name}: {len(shown)} code cells shown, {len(stored)} stored"
    checked = 0
    for i, (cell, outputs) in enumerate(zip(stored, shown, strict=True)):
        if not _checked(cell):
            continue
        checked += 1
        want, got = comparable(cell["outputs"]), comparable(outputs)
        assert got == want, (
            f"{name}, code cell {i} ({''.join(cell['source'])[:60]!r}): outputs differ from the stored "
            f"ones\n--- stored\n{want}\n--- in JupyterLite\n{got}"
        )
    return checked


def slider_redraws_the_cluster_map(page, artifacts_dir: Path) -> None:
    """Lesson 01's deployment lab: replicas up by three with the keyboard, more pods drawn."""
    slider = page.locator(".widget-slider").filter(
        has=page.locator(".widget-label", has_text="replicas")
    ).first
    box = (page.locator(".widget-vbox, .widget-box").filter(has=slider)
           .filter(has=page.locator(".js-plotly-plot")).last)
    plot = box.locator(".js-plotly-plot").first
    plot.scroll_into_view_if_needed()

    def points() -> int:
        return plot.locator(POD_POINTS).count()

    def wait_for(predicate, timeout: float = 30.0) -> int:
        deadline = time.monotonic() + timeout
        while not predicate(n := points()) and time.monotonic() < deadline:
            page.wait_for_timeout(200)
        return n

    before = wait_for(lambda n: n > 0)
    assert before > 0, "the cluster map draws no pod"
    readout = slider.locator(".widget-readout")
    value_before = readout.inner_text().strip()
    handle = slider.locator(".noUi-handle").first
    handle.click()
    for _ in range(3):
        handle.press("ArrowRight")
        page.wait_for_timeout(100)
    after = wait_for(lambda n: n > before)
    plot.scroll_into_view_if_needed()
    page.screenshot(path=str(artifacts_dir / "lesson-01-slider.png"))
    assert readout.inner_text().strip() != value_before, "the slider's readout did not move"
    assert after > before, f"pods drawn: {before} before moving the slider, {after} after"


def test_lesson_runs_in_jupyterlite(lite_lesson, lite_page, lite_site, artifacts_dir):
    """A lesson runs top to bottom in the browser's own Python, as in JupyterLab: no error, no
    broken widget, the checked outputs as stored, nothing fetched from outside the site."""
    page = lite_page
    seconds = run_lesson(page, lite_lesson)
    checked = check_stored_outputs(page, lite_site, lite_lesson)
    page.screenshot(path=str(artifacts_dir / f"run-{Path(lite_lesson).stem}.png"))
    if lite_lesson == LESSON_1:
        slider_redraws_the_cluster_map(page, artifacts_dir)
    assert not page.kit_page_errors, f"JavaScript errors: {page.kit_page_errors}"
    print(f"{lite_lesson}: ran in {seconds:.0f} s, {checked} checked cells as stored")


def test_edits_persist_and_deleting_a_lesson_restores_it(lite_page, lite_site):
    """What the start page tells learners: edits are kept in the browser across reloads, and
    deleting a lesson in the file browser brings back the course's copy."""
    page = lite_page
    path = f"{NOTEBOOKS}/{START_PAGE}"
    marker = "My note: edits stay in this browser."
    open_lesson(page, START_PAGE)
    page.evaluate(
        """async ([path, marker]) => {
          const contents = window.jupyterapp.serviceManager.contents;
          const model = await contents.get(path, {content: true});
          model.content.cells[0].source = marker;
          await contents.save(path, {type: 'notebook', format: 'json', content: model.content});
        }""",
        [path, marker],
    )
    source = """async (path) => {
      const model = await window.jupyterapp.serviceManager.contents.get(path, {content: true});
      const s = model.content.cells[0].source;
      return Array.isArray(s) ? s.join('') : s;
    }"""
    page.reload(wait_until="domcontentloaded")
    page.wait_for_function("() => window.jupyterapp && window.jupyterapp.serviceManager", timeout=60_000)
    assert page.evaluate(source, path) == marker, "the edit did not survive a reload"
    # The service manager is up before every plugin has registered its commands: wait for it.
    try:
        page.wait_for_function("() => window.jupyterapp.commands.hasCommand('docmanager:download')",
                               timeout=60_000)
    except PlaywrightTimeout:
        pytest.fail("no File > Download command: the start page tells learners to use it")
    # Reset: delete the learner's copy; the course's copy comes back.
    page.evaluate("async (path) => { await window.jupyterapp.serviceManager.contents.delete(path); }", path)
    page.reload(wait_until="domcontentloaded")
    page.wait_for_function("() => window.jupyterapp && window.jupyterapp.serviceManager", timeout=60_000)
    original = "".join(_stored_notebook(lite_site, START_PAGE)["cells"][0]["source"])
    assert page.evaluate(source, path) == original, "deleting the lesson did not restore the course's copy"
    assert re.search(r"\S", original)


# JS: run code in the open notebook's kernel; its printed text (and any error's name and value).
_JS_KERNEL_RUN = """
async (code) => {
  const context = window.__kitPanel.sessionContext;
  await context.ready;
  let out = '';
  const future = context.session.kernel.requestExecute({code});
  future.onIOPub = (msg) => {
    if (msg.header.msg_type === 'stream') out += msg.content.text;
    if (msg.header.msg_type === 'error') out += `ERROR ${msg.content.ename}: ${msg.content.evalue}`;
  };
  await future.done;
  return out;
}
"""


def test_progress_is_kept_across_lessons_in_the_browser(lite_page, lite_site):
    """In the browser, a check's result goes to the file browser's drive (/drive), which every
    lesson's kernel sees and the browser keeps, so lesson 00's progress table shows what lesson
    01 recorded, also after a reload."""
    page = lite_page
    open_lesson(page, LESSON_1)
    recorded = page.evaluate(_JS_KERNEL_RUN, (
        "import kitlib\nfrom kitlib.exercises import lesson01 as ex\nfrom kitlib.exercises import progress\n"
        "ex.check_spread(kitlib.Cluster(nodes=3, seed=0))\nprint(progress.progress_path())"))
    assert recorded.strip() == "/drive/.kitlib-progress.json", recorded
    open_lesson(page, START_PAGE)  # another notebook: another kernel
    shown = page.evaluate(_JS_KERNEL_RUN, "import kitlib\nprint(kitlib.progress())")
    assert "lesson01  0/4  ✘ 1 spread  · 2 cross_node" in shown, shown
    page.reload(wait_until="domcontentloaded")  # and it is still there after a reload
    open_lesson(page, START_PAGE)
    assert "✘ 1 spread" in page.evaluate(_JS_KERNEL_RUN, "import kitlib\nprint(kitlib.progress())")
