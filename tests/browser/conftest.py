"""Real-browser fixtures: JupyterLab (subprocess) + Chromium (Playwright, system browser).

The machinery is a plain module, ``tests/browser/harness.py`` (the browser benchmark and the
JupyterLite tests use it too); these fixtures only start and stop it around the tests.

Fixtures
--------
``lab_server``      session  JupyterLab on a free 127.0.0.1 port, serving a temporary copy of the
                             notebooks (the repo's notebooks/ is never written to).
``chromium_browser`` session Debian's /usr/bin/chromium driven by Playwright (never `playwright
                             install`). Missing browser: skip, or fail when CI is set.
``lab_page``        function A fresh browser tab whose relative URLs resolve against the server.
``run_notebook``    function ``run_notebook(page, name, *, timeout=180.0) -> NotebookRun``:
                             opens ``notebooks/<name>``, runs all cells, waits for every prompt to
                             show ``[n]`` and checks there are no errors or broken widgets.
``artifacts_dir``   session  ``<repo>/artifacts`` (gitignored): screenshots and the server log.
``notebook_names``  session  the names of all ``*.ipynb`` in the notebooks folder.
``notebook_name``   param    every ``*.ipynb`` in the notebooks folder (for parametrised tests).

Environment
-----------
``KITLIB_NOTEBOOKS_DIR``  notebooks folder to serve (default ``<repo>/notebooks``).
``KITLIB_ARTIFACTS_DIR``  where screenshots go (default ``<repo>/artifacts``).
``KITLIB_CHROMIUM``       browser executable (default ``/usr/bin/chromium``).
``CI``                    when set (non-empty, not "0"/"false"), a missing browser is a failure.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from harness import (
    REPO_ROOT,
    ChromiumMissing,
    LabServer,
    LabServerError,
    NotebookRun,
    _ci,
    chromium_executable,
    discover_notebooks,
    launch_chromium,
    make_run_notebook,
    report_failure,
    shutdown_sessions,
    start_lab_server,
    stop_lab_server,
)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "notebook_name" in metafunc.fixturenames:
        names = discover_notebooks()
        metafunc.parametrize(
            "notebook_name",
            names or [pytest.param("<none>", marks=pytest.mark.skip(reason="no notebooks found"))],
        )


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    # Make each phase's report available to fixtures (screenshot on failure).
    rep = yield
    setattr(item, f"rep_{rep.when}", rep)
    return rep


@pytest.fixture(scope="session")
def notebook_names() -> list[str]:
    """Names of the *.ipynb files in the notebooks folder."""
    return discover_notebooks()


@pytest.fixture(scope="session")
def artifacts_dir() -> Path:
    path = Path(os.environ.get("KITLIB_ARTIFACTS_DIR") or REPO_ROOT / "artifacts")
    path.mkdir(parents=True, exist_ok=True)
    return path


@pytest.fixture(scope="session")
def lab_server(
    tmp_path_factory: pytest.TempPathFactory, artifacts_dir: Path
) -> Iterator[LabServer]:
    try:
        server = start_lab_server(tmp_path_factory.mktemp("jupyterlab"))
    except LabServerError as exc:
        pytest.fail(str(exc))
    try:
        yield server
    finally:
        stop_lab_server(server)
        shutil.copy(server.log, artifacts_dir / "jupyterlab.log")


@pytest.fixture(scope="session")
def chromium_browser():
    try:
        chromium_executable()
    except ChromiumMissing as exc:
        if _ci():
            pytest.fail(str(exc))
        pytest.skip(str(exc))
    from playwright.sync_api import sync_playwright

    pw = sync_playwright().start()
    try:
        browser = launch_chromium(pw)
        try:
            yield browser
        finally:
            browser.close()
    finally:
        pw.stop()


@pytest.fixture
def lab_page(
    request: pytest.FixtureRequest, chromium_browser, lab_server: LabServer, artifacts_dir: Path
):
    context = chromium_browser.new_context(
        base_url=lab_server.url, viewport={"width": 1400, "height": 1000}
    )
    page = context.new_page()
    page.set_default_timeout(30_000)
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.kit_page_errors = errors  # JS exceptions, for failure messages
    yield page
    report_failure(request, page, artifacts_dir, errors)
    context.close()
    shutdown_sessions(lab_server.url)


@pytest.fixture
def run_notebook(lab_server: LabServer) -> Callable[..., NotebookRun]:
    """``run_notebook(page, name, *, timeout=180.0) -> NotebookRun``."""
    return make_run_notebook(lab_server)
