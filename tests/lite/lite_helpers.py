"""What the JupyterLite tests and the JupyterLite benchmark share: the JupyterLab test's notebook
runner (``tests/browser/conftest.py``, loaded as a plain module, not as a second conftest) and
opening a lesson by the site's own URL."""

from __future__ import annotations

import importlib.util
import sys
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = "notebooks"  # the folder of the lessons inside the site, as in JupyterLab


def _load_lab_runner():
    spec = importlib.util.spec_from_file_location(
        "kitlib_browser_runner", REPO_ROOT / "tests" / "browser" / "conftest.py"
    )
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


lab = _load_lab_runner()


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
    original = lab._open_notebook
    lab._open_notebook = lambda page, _lab, name: open_lesson(page, name)
    try:
        lab.make_run_notebook(None)(page, name, timeout=timeout)
    finally:
        lab._open_notebook = original
    return time.monotonic() - t0
