"""What the JupyterLite tests and the JupyterLite benchmark share: the JupyterLab test's notebook
runner (the plain module ``tests/browser/harness.py``, imported as ``lab``) and opening a lesson
by the site's own URL."""

from __future__ import annotations

import sys
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = "notebooks"  # the folder of the lessons inside the site, as in JupyterLab

if str(REPO_ROOT / "tests" / "browser") not in sys.path:
    sys.path.insert(0, str(REPO_ROOT / "tests" / "browser"))
import harness as lab  # noqa: E402


def open_lesson(page, name: str) -> None:
    """Open notebooks/<name> as a learner's link does: lab/index.html?path=..."""
    path = f"{NOTEBOOKS}/{name}"
    page.goto(f"lab/index.html?path={path}", wait_until="domcontentloaded")
    page.wait_for_function("() => window.jupyterapp && window.jupyterapp.shell", timeout=60_000)
    page.evaluate("() => window.jupyterapp.restored")
    page.wait_for_function(lab._JS_FIND_PANEL, arg=path, timeout=60_000)
    page.evaluate("() => window.jupyterapp.shell.activateById(window.__kitPanel.id)")
    dialog = page.locator(".jp-Dialog")
    if dialog.count():
        raise AssertionError(f"{name}: unexpected dialog on open: {dialog.first.inner_text()!r}")


def run_lesson(page, name: str, timeout: float = 300.0) -> float:
    """Open, run all cells, wait until done; fail on errors or broken widgets. Seconds taken."""
    t0 = time.monotonic()
    # The JupyterLab runner opens lab/tree/<path>; everything after the open is the same.
    lab.make_run_notebook(None, opener=open_lesson)(page, name, timeout=timeout)
    return time.monotonic() - t0
