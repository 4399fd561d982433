"""The lessons in the JupyterLite site, in Debian's Chromium (Playwright): ``make lite-test``.

Fixtures
--------
``lite_site``     session  the built site (``lite/_output``): ``make lite-site`` builds it when it is
                           missing or older than its inputs, else it is reused.
``lite_server``   session  that site served on a free 127.0.0.1 port (``lite/serve.py``).
``lite_browser``  session  Chromium that cannot resolve any host but 127.0.0.1.
``lite_page``     function a fresh browser context (empty browser storage, so no kernel or edit of
                           an earlier test survives) and tab; every request it makes is logged,
                           and the test fails if one leaves the site's origin.
``lite_lesson``   param    the lessons chosen by ``LITE_LESSONS``: ``00,01`` (the default, what CI
                           runs), numbers or names separated by commas, or ``all`` (every
                           notebook the site serves, including lessons added later).

Environment
-----------
``LITE_LESSONS``      which lessons (above).
``KITLIB_LITE_SITE``  a site built elsewhere, used as it is (not rebuilt).
``KITLIB_CHROMIUM``   browser executable (default ``/usr/bin/chromium``).
``CI``                when set, a missing browser is a failure, not a skip.

The notebook runner (open, run all, wait, no errors, no broken widgets) is the JupyterLab
test's, from ``tests/browser/harness.py``; JupyterLite differs only in the URL that opens a
notebook and in having no server to ask about kernels.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from lite_helpers import NOTEBOOKS, REPO_ROOT, lab

SITE = REPO_ROOT / "lite" / "_output"
CI_LESSONS = "00,01"
# Chromium resolves no host name but the loopback: a request that tries to leave the site
# fails instead of reaching the network (and the request log below names it).
NO_NETWORK = "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"


def site_dir() -> Path:
    return Path(os.environ.get("KITLIB_LITE_SITE") or SITE).resolve()


def served_lessons(site: Path) -> list[str]:
    """The notebooks the site serves (its contents listing), or the repo's before a build."""
    listing = site / "api" / "contents" / NOTEBOOKS / "all.json"
    if listing.is_file():
        content = json.loads(listing.read_text())["content"]
        names = [c["name"] for c in content if c["name"].endswith(".ipynb")]
    else:
        names = [p.name for p in (REPO_ROOT / "notebooks").glob("*.ipynb")]
    return sorted(n for n in names if not n.startswith("."))


def chosen_lessons(names: list[str], spec: str) -> list[str]:
    """``spec``: ``all``, or lesson numbers or names separated by commas (``00,01``, ``03``)."""
    spec = spec.strip()
    if spec.lower() == "all":
        return names
    chosen = []
    for item in filter(None, (s.strip() for s in spec.split(","))):
        match = [n for n in names if n == item or n.split("-", 1)[0] == item or n.startswith(item)]
        if not match:
            raise pytest.UsageError(f"LITE_LESSONS={spec}: no lesson {item!r} in {names}")
        chosen += [m for m in match if m not in chosen]
    return chosen


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "lite_lesson" in metafunc.fixturenames:
        names = chosen_lessons(served_lessons(site_dir()), os.environ.get("LITE_LESSONS", CI_LESSONS))
        metafunc.parametrize("lite_lesson", names)


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    rep = yield
    setattr(item, f"rep_{rep.when}", rep)
    return rep


@pytest.fixture(scope="session")
def lite_site() -> Path:
    site = site_dir()
    if not os.environ.get("KITLIB_LITE_SITE"):
        # Builds only when an input changed since the last build (make's rule in the Makefile).
        done = subprocess.run(["make", "--no-print-directory", "lite-site"], cwd=REPO_ROOT,
                              check=False)
        if done.returncode:
            pytest.fail("make lite-site failed: the site could not be built")
    if not (site / "index.html").is_file():
        pytest.fail(f"no site in {site}")
    return site


@pytest.fixture(scope="session")
def lite_server(lite_site: Path) -> Iterator[str]:
    sys.path.insert(0, str(REPO_ROOT / "lite"))
    try:
        import serve
    finally:
        sys.path.pop(0)
    server, url = serve.start(lite_site)
    try:
        yield url
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="session")
def artifacts_dir() -> Path:
    path = Path(os.environ.get("KITLIB_ARTIFACTS_DIR") or REPO_ROOT / "artifacts") / "lite"
    path.mkdir(parents=True, exist_ok=True)
    return path


@pytest.fixture(scope="session")
def lite_browser():
    exe = os.environ.get("KITLIB_CHROMIUM", lab.DEFAULT_CHROMIUM)
    if not (os.path.isfile(exe) and os.access(exe, os.X_OK)):
        msg = f"{exe} not found: install Debian's chromium (scripts/ensure-chromium)"
        if lab._ci():
            pytest.fail(msg)
        pytest.skip(msg)
    from playwright.sync_api import sync_playwright

    pw = sync_playwright().start()
    try:
        browser = pw.chromium.launch(executable_path=exe, args=[*lab.CHROMIUM_ARGS, NO_NETWORK])
        try:
            yield browser
        finally:
            browser.close()
    finally:
        pw.stop()


class RequestLog:
    """Every request of a browser context (pages, workers, the service worker)."""

    def __init__(self, origin: str) -> None:
        self.origin = origin
        self.urls: list[str] = []
        self.failed: list[str] = []

    def outside(self) -> list[str]:
        local = (self.origin, "data:", "blob:")
        return [u for u in self.urls if not u.startswith(local)]


@pytest.fixture
def lite_page(request: pytest.FixtureRequest, lite_browser, lite_server: str, artifacts_dir: Path):
    context = lite_browser.new_context(base_url=lite_server, viewport={"width": 1400, "height": 1000})
    log = RequestLog(lite_server.rstrip("/"))
    context.on("request", lambda r: log.urls.append(r.url))
    context.on("requestfailed", lambda r: log.failed.append(f"{r.url} ({r.failure})"))
    page = context.new_page()
    page.set_default_timeout(30_000)
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.kit_page_errors = errors
    page.kit_requests = log
    yield page
    lab.report_failure(request, page, artifacts_dir, errors)
    context.close()
    outside = log.outside()
    assert not outside, f"requests left the site's origin {log.origin}: {outside[:20]}"
