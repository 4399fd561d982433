"""The real-browser harness as a plain module: JupyterLab in a subprocess, Debian's Chromium
through Playwright, and the notebook runner. ``tests/browser/conftest.py`` (the fixtures),
``tests/lite`` (the JupyterLite tests) and ``benchmarks/bench_browser.py`` /
``benchmarks/bench_lite.py`` use it; it imports neither pytest nor kitlib.

Functions
---------
``start_lab_server(tmp, notebooks_dir=None) -> LabServer``  JupyterLab on a free 127.0.0.1 port,
        serving a copy of ``notebooks_dir`` (default: ``KITLIB_NOTEBOOKS_DIR`` or the repo's
        notebooks/) in a private Jupyter configuration under ``tmp``; raises ``LabServerError``.
``stop_lab_server(server)``             a clean shutdown (kernels too), then signals.
``shutdown_sessions(url)``              stop the kernels the notebooks opened.
``chromium_executable()``               the browser (``KITLIB_CHROMIUM``, default /usr/bin/chromium)
        or ``ChromiumMissing``.
``launch_chromium(playwright, extra_args=())``  that browser, launched by Playwright.
``make_run_notebook(lab, opener=None)``  ``run_notebook(page, name, *, timeout=180.0) -> NotebookRun``.
``report_failure(request, page, artifacts_dir, errors)``  screenshot and JS errors after a failed test.

Environment
-----------
``KITLIB_NOTEBOOKS_DIR``  notebooks folder to serve (default ``<repo>/notebooks``).
``KITLIB_CHROMIUM``       browser executable (default ``/usr/bin/chromium``).
``CI``                    when set (non-empty, not "0"/"false"), a missing browser is a failure.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
# The served root holds the notebooks under this folder name, so URLs match the Binder
# badge: lab/tree/notebooks/<name>.
SERVED_NOTEBOOKS = "notebooks"
# Top-level repo entries not linked into the served root.
_NOT_LINKED = {".git", ".venv", "artifacts", "notebooks", ".pytest_cache", ".hypothesis", "build"}
# JupyterLab user settings for the test server.
LAB_USER_SETTINGS = {
    # No "Would you like to receive official Jupyter news?" toast, no update check.
    "@jupyterlab/apputils-extension/notification": {"fetchNews": "false", "checkForUpdates": False},
    # Render every cell, so that off-screen widget outputs are really drawn and checked.
    "@jupyterlab/notebook-extension/tracker": {"windowingMode": "none"},
}


def _ci() -> bool:
    """True when running under CI (a missing browser is then a failure, not a skip)."""
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def notebooks_source_dir() -> Path:
    """The notebooks folder served by default."""
    return Path(os.environ.get("KITLIB_NOTEBOOKS_DIR") or REPO_ROOT / "notebooks").resolve()


def discover_notebooks() -> list[str]:
    """Names of the *.ipynb files in the notebooks folder."""
    src = notebooks_source_dir()
    if not src.is_dir():
        return []
    return sorted(p.name for p in src.glob("*.ipynb") if not p.name.startswith("."))


# --------------------------------------------------------------------------- server


class LabServerError(RuntimeError):
    """JupyterLab did not start; the message ends with the tail of its log."""


class ChromiumMissing(RuntimeError):
    """The browser executable (or Playwright) is not there."""


@dataclass
class LabServer:
    """A running JupyterLab, started by :func:`start_lab_server`."""

    url: str  # ends with "/"
    root: Path  # served root (temporary)
    notebooks: Path  # root / "notebooks": the copy the browser edits
    log: Path
    process: subprocess.Popen = field(repr=False)
    log_file: IO[bytes] | None = field(default=None, repr=False)

    def notebook_url(self, name: str) -> str:
        """The URL that opens notebooks/<name> (as the Binder badge's)."""
        return f"{self.url}lab/tree/{SERVED_NOTEBOOKS}/{name}"


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(url: str, timeout: float = 2.0) -> int:
    with urllib.request.urlopen(url, timeout=timeout) as r:  # noqa: S310 (loopback only)
        return r.status


def _tail(path: Path, n: int = 40) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-n:])
    except OSError:
        return "(no log)"


def _prepare_root(tmp: Path, notebooks_dir: Path | None = None) -> tuple[Path, Path]:
    """A served root: a copy of the notebooks plus links to the rest of the repo."""
    src = Path(notebooks_dir).resolve() if notebooks_dir else notebooks_source_dir()
    root = tmp / "root"
    root.mkdir()
    dst = root / SERVED_NOTEBOOKS
    if src.is_dir():
        shutil.copytree(
            src, dst, ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__")
        )
    else:
        dst.mkdir()
    # Relative paths such as ../kitlib or ../examples keep working from the copy.
    for entry in REPO_ROOT.iterdir():
        if entry.name not in _NOT_LINKED and not (root / entry.name).exists():
            (root / entry.name).symlink_to(entry)
    return root, dst


def _prepare_config(tmp: Path) -> dict[str, str]:
    """Private Jupyter dirs, so the user's settings/workspaces/kernels never leak in."""
    config = tmp / "config"
    settings = config / "lab" / "user-settings"
    for plugin, values in LAB_USER_SETTINGS.items():
        f = settings / f"{plugin}.jupyterlab-settings"
        f.parent.mkdir(parents=True, exist_ok=True)
        f.write_text(json.dumps(values, indent=2))
    (config / "jupyter_server_config.json").write_text(
        json.dumps(
            {
                "LabApp": {
                    "news_url": None,
                    "check_for_updates_class": (
                        "jupyterlab.handlers.announcements.NeverCheckForUpdate"
                    ),
                }
            }
        )
    )
    (config / "lab" / "workspaces").mkdir(parents=True, exist_ok=True)
    for d in ("data", "runtime"):
        (tmp / d).mkdir()
    return {
        "JUPYTER_CONFIG_DIR": str(config),
        "JUPYTERLAB_SETTINGS_DIR": str(settings),
        "JUPYTERLAB_WORKSPACES_DIR": str(config / "lab" / "workspaces"),
        "JUPYTER_DATA_DIR": str(tmp / "data"),
        "JUPYTER_RUNTIME_DIR": str(tmp / "runtime"),
    }


def _stop(proc: subprocess.Popen, url: str) -> None:
    """Stop a server: ``api/shutdown`` (which stops the kernels too), then SIGTERM, SIGKILL."""
    if proc.poll() is not None:
        return
    try:  # Clean shutdown: also stops the kernels.
        req = urllib.request.Request(f"{url}api/shutdown", method="POST")
        urllib.request.urlopen(req, timeout=5).close()  # noqa: S310 (loopback only)
    except (urllib.error.URLError, OSError):
        pass
    try:
        proc.wait(timeout=15)
        return
    except subprocess.TimeoutExpired:
        pass
    for sig, wait in ((signal.SIGTERM, 10), (signal.SIGKILL, 5)):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            return
        try:
            proc.wait(timeout=wait)
            return
        except subprocess.TimeoutExpired:
            continue


def shutdown_sessions(url: str) -> None:
    """Stop the kernels a test started, so lessons don't pile up kernels."""
    try:
        with urllib.request.urlopen(f"{url}api/sessions", timeout=5) as r:  # noqa: S310
            sessions = json.load(r)
        for s in sessions:
            req = urllib.request.Request(f"{url}api/sessions/{s['id']}", method="DELETE")
            urllib.request.urlopen(req, timeout=10).close()  # noqa: S310
    except (urllib.error.URLError, OSError, ValueError):
        pass


def start_lab_server(tmp: Path, notebooks_dir: Path | None = None) -> LabServer:
    """JupyterLab on a free 127.0.0.1 port, serving a copy of ``notebooks_dir`` as notebooks/
    (the original is never written to) beside links to the rest of the repo, with private Jupyter
    settings under ``tmp`` (an empty directory). The kernel runs this interpreter's environment,
    so it imports ``kitlib`` as the caller does (``PYTHONPATH`` is passed on). Stop it with
    :func:`stop_lab_server`."""
    tmp = Path(tmp)
    root, notebooks = _prepare_root(tmp, notebooks_dir)
    env = dict(os.environ)
    env.update(_prepare_config(tmp))
    # The kernel must come from the same environment as the server and the tests.
    env["PATH"] = os.path.dirname(sys.executable) + os.pathsep + env.get("PATH", "")
    env.pop("JUPYTER_PATH", None)
    env["PYTHONUNBUFFERED"] = "1"
    log = tmp / "jupyterlab.log"

    last_error = ""
    for _attempt in range(3):  # a free port can be taken between probing and binding
        port = _free_port()
        url = f"http://127.0.0.1:{port}/"
        cmd = [
            sys.executable, "-m", "jupyter", "lab",
            "--no-browser",
            "--ServerApp.ip=127.0.0.1",
            f"--ServerApp.port={port}",
            "--ServerApp.port_retries=0",
            "--IdentityProvider.token=",
            "--ServerApp.password=",
            "--ServerApp.disable_check_xsrf=True",
            f"--ServerApp.root_dir={root}",
            "--ServerApp.preferred_dir=" + str(notebooks),
            "--LabApp.expose_app_in_browser=True",
        ]  # fmt: skip
        if hasattr(os, "geteuid") and os.geteuid() == 0:
            cmd.append("--allow-root")
        logf = open(log, "ab")  # noqa: SIM115 (closed by stop_lab_server)
        proc = subprocess.Popen(
            cmd, cwd=root, env=env, stdout=logf, stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL, start_new_session=True,
        )  # fmt: skip
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                if _get(f"{url}api/status") == 200:
                    return LabServer(url=url, root=root, notebooks=notebooks, log=log, process=proc,
                                     log_file=logf)
            except (urllib.error.URLError, OSError):
                pass
            time.sleep(0.25)
        last_error = _tail(log)
        _stop(proc, url)
        logf.close()
    raise LabServerError(f"JupyterLab did not start (see {log}):\n{last_error}")


def stop_lab_server(server: LabServer) -> None:
    """Stop a server started by :func:`start_lab_server` (its kernels too) and close its log."""
    _stop(server.process, server.url)
    if server.log_file is not None:
        server.log_file.close()


# --------------------------------------------------------------------------- browser


def chromium_executable() -> str:
    """The browser to drive: ``KITLIB_CHROMIUM`` or Debian's /usr/bin/chromium (never a
    ``playwright install`` download). Raises :class:`ChromiumMissing` when it is not there."""
    exe = os.environ.get("KITLIB_CHROMIUM", DEFAULT_CHROMIUM)
    if not (os.path.isfile(exe) and os.access(exe, os.X_OK)):
        raise ChromiumMissing(
            f"{exe} not found: install Debian's chromium (scripts/ensure-chromium) "
            "to run the real-browser tests"
        )
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError as exc:  # pragma: no cover
        raise ChromiumMissing("playwright is not installed (pip install -e '.[test]')") from exc
    return exe


def launch_chromium(playwright: Any, extra_args: Sequence[str] = ()) -> Any:
    """Chromium launched by a started Playwright (``sync_playwright().start()``), headless, with
    the harness's flags and ``extra_args``."""
    return playwright.chromium.launch(
        executable_path=chromium_executable(), args=[*CHROMIUM_ARGS, *extra_args]
    )


def report_failure(request: Any, page, artifacts_dir: Path, errors: list[str]) -> None:
    """After a failed test: a screenshot in ``artifacts_dir`` and the page's last JavaScript errors
    (the JupyterLite tests use it too)."""
    rep = getattr(request.node, "rep_call", None)
    if rep is None or not rep.failed:
        return
    name = re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.name)
    try:
        page.screenshot(path=str(artifacts_dir / f"FAILED-{name}.png"))
    except Exception:  # noqa: BLE001 (best effort)
        pass
    if errors:
        print("JavaScript errors in the page:\n" + "\n".join(errors[-20:]))


# --------------------------------------------------------------------------- notebook runner


@dataclass
class NotebookRun:
    name: str
    seconds: float
    code_cells: int


# JS: find the NotebookPanel for `path` in the main area and remember it as window.__kitPanel.
_JS_FIND_PANEL = """
(path) => {
  const app = window.jupyterapp;
  if (!app || !app.shell) return false;
  for (const w of Array.from(app.shell.widgets('main'))) {
    if (w.context && w.context.path === path && w.content && w.content.widgets) {
      window.__kitPanel = w;
      return true;
    }
  }
  return false;
}
"""

_JS_KERNEL_IDLE = """
() => {
  const p = window.__kitPanel;
  const k = p && p.sessionContext && p.sessionContext.session && p.sessionContext.session.kernel;
  return !!k && k.status === 'idle' && k.connectionStatus === 'connected';
}
"""

_JS_PROMPT_RE = r"/^\[\d+\]:$/"  # "[12]:"

# JS: true when the run is over: the run-all command has returned (or the menu was used), the
# kernel is idle, no cell is running or queued, and either every code cell shows "[n]:" or a
# cell failed (JupyterLab then stops the run and leaves the later cells unexecuted).
_JS_RUN_FINISHED = """
() => {
  const p = window.__kitPanel;
  if (!p) return false;
  if (window.__kitRunResult === undefined && !window.__kitRunViaMenu) return false;
  const k = p.sessionContext.session && p.sessionContext.session.kernel;
  if (!k || k.status !== 'idle') return false;
  const code = p.content.widgets.filter(c => c.model.type === 'code');
  const prompt = c => {
    const n = c.node.querySelector('.jp-InputArea-prompt');
    return n ? n.textContent.trim() : '';
  };
  if (code.some(c => c.model.executionState === 'running' || prompt(c) === '[*]:')) return false;
  const done = c => c.model.executionCount !== null && c.model.executionCount !== undefined
                    && PROMPT_RE.test(prompt(c));
  const failed = c => c.model.outputs.toJSON().some(o => o.output_type === 'error');
  return code.every(done) || code.some(failed);
}
""".replace("PROMPT_RE", _JS_PROMPT_RE)

# JS: indexes and prompts of the code cells that did not run.
_JS_NOT_EXECUTED = """
() => {
  const out = [];
  window.__kitPanel.content.widgets.forEach((c, i) => {
    if (c.model.type !== 'code') return;
    const n = c.node.querySelector('.jp-InputArea-prompt');
    const prompt = n ? n.textContent.trim() : '';
    if (c.model.executionCount === null || c.model.executionCount === undefined
        || !PROMPT_RE.test(prompt)) out.push(`cell ${i} ${prompt}`);
  });
  return out;
}
""".replace("PROMPT_RE", _JS_PROMPT_RE)

# JS: errors shown by cells not tagged "raises-exception" (nbval's tag for intended errors):
# error outputs in the cell models, and tracebacks printed anywhere in the cell's outputs
# (including Output widgets that captured a failing callback).
_JS_ERRORS = """
() => {
  const p = window.__kitPanel;
  const out = [];
  p.content.widgets.forEach((c, i) => {
    if (c.model.type !== 'code') return;
    const tags = c.model.getMetadata ? (c.model.getMetadata('tags') || []) : [];
    if (tags.includes('raises-exception')) return;
    const errs = c.model.outputs.toJSON().filter(o => o.output_type === 'error');
    if (errs.length) {
      for (const o of errs) out.push(`cell ${i}: ${o.ename}: ${o.evalue}`);
      return;
    }
    const sel = '[data-mime-type="application/vnd.jupyter.stderr"]';
    for (const n of c.node.querySelectorAll(sel)) {
      const t = n.textContent || '';
      if (t.includes('Traceback')) out.push(`cell ${i}: ${t.slice(-1500)}`);
    }
  });
  return out;
}
"""


def _open_notebook(page, lab: LabServer | None, name: str) -> None:
    """Open notebooks/<name> in JupyterLab (an empty workspace) and make it the current panel."""
    path = f"{SERVED_NOTEBOOKS}/{name}"
    url = lab.notebook_url(name) if lab else f"lab/tree/{path}"
    # ?reset: start from an empty workspace, not the tabs a previous test left open.
    page.goto(url + "?reset", wait_until="domcontentloaded")
    page.wait_for_function("() => window.jupyterapp && window.jupyterapp.shell", timeout=60_000)
    page.evaluate("() => window.jupyterapp.restored")
    page.wait_for_function(_JS_FIND_PANEL, arg=path, timeout=60_000)
    page.evaluate("() => window.jupyterapp.shell.activateById(window.__kitPanel.id)")
    page.wait_for_function("() => window.__kitPanel.isVisible", timeout=60_000)
    # A dialog here (e.g. "Select Kernel") means the notebook lacks kernelspec metadata.
    dialog = page.locator(".jp-Dialog")
    if dialog.count():
        text = dialog.first.inner_text()
        raise AssertionError(f"{name}: unexpected dialog on open: {text!r}")


def _run_all(page) -> None:
    """Clear stored outputs (so stored "[n]" prompts can't fool the wait), then run all."""
    ok = page.evaluate(
        """async () => {
          const app = window.jupyterapp, p = window.__kitPanel;
          window.__kitRunResult = undefined;
          window.__kitRunViaMenu = false;
          app.shell.activateById(p.id);
          if (!app.commands.hasCommand('notebook:run-all-cells')) return false;
          await app.commands.execute('notebook:clear-all-cell-outputs');
          // The promise resolves once every cell ran (or the run stopped on an error).
          app.commands.execute('notebook:run-all-cells').then(
            r => { window.__kitRunResult = r; },
            e => { window.__kitRunResult = 'failed: ' + e; });
          return true;
        }"""
    )
    if not ok:  # Fallback: the menus, as a person would do it.
        menu = page.locator(".lm-MenuBar-itemLabel")
        items = page.locator(".lm-Menu-itemLabel")
        menu.filter(has_text=re.compile(r"^Edit$")).click()
        items.filter(has_text=re.compile(r"^Clear Outputs of All Cells$")).click()
        menu.filter(has_text=re.compile(r"^Run$")).click()
        items.filter(has_text=re.compile(r"^Run All Cells$")).click()
        page.evaluate("() => { window.__kitRunViaMenu = true; }")


def make_run_notebook(
    lab: LabServer | None, opener: Callable[[Any, str], None] | None = None
) -> Callable[..., NotebookRun]:
    """A notebook runner for ``lab`` (None: the page's base URL). ``opener(page, name)`` replaces
    how the notebook is opened (JupyterLite opens ``lab/index.html?path=...``)."""

    def run_notebook(page, name: str, *, timeout: float = 180.0) -> NotebookRun:
        """Open notebooks/<name>, run all cells, wait until done; fail on any error."""
        t0 = time.monotonic()
        ms = int(timeout * 1000)
        if opener is not None:
            opener(page, name)
        else:
            _open_notebook(page, lab, name)
        try:
            page.wait_for_function(_JS_KERNEL_IDLE, timeout=ms)
        except Exception as exc:
            raise AssertionError(f"{name}: kernel never became idle") from exc
        _run_all(page)
        try:
            page.wait_for_function(_JS_RUN_FINISHED, timeout=ms, polling=250)
        except Exception as exc:
            pending = page.locator(".jp-InputArea-prompt", has_text="[*]").count()
            raise AssertionError(
                f"{name}: run not finished after {timeout:.0f}s ({pending} cells show [*])"
            ) from exc
        seconds = time.monotonic() - t0

        # Widget views render asynchronously after the output arrives.
        loading = page.get_by_text("Loading widget...")
        deadline = time.monotonic() + 30
        while loading.count() and time.monotonic() < deadline:
            page.wait_for_timeout(250)
        # ipywidgets 8 draws a view that failed as an error box ("Click to show javascript
        # error."); "Error displaying widget" is the text/plain fallback's wording.
        broken = page.locator(".jupyter-widgets-error-widget")
        if broken.count():
            broken.first.click()  # reveals the JavaScript error
            page.wait_for_timeout(200)
            detail = broken.first.inner_text()[:1500]
            raise AssertionError(f"{name}: {broken.count()} widget(s) failed to display: {detail}")
        assert page.get_by_text("Error displaying widget").count() == 0, (
            f"{name}: 'Error displaying widget' shown"
        )
        assert loading.count() == 0, f"{name}: 'Loading widget...' still shown after 30 s"
        errors = page.evaluate(_JS_ERRORS)
        assert not errors, f"{name}: errors in outputs:\n" + "\n---\n".join(errors)
        not_run = page.evaluate(_JS_NOT_EXECUTED)
        assert not not_run, f"{name}: cells did not run: {not_run}"
        code_cells = page.evaluate(
            "() => window.__kitPanel.content.widgets.filter(c => c.model.type === 'code').length"
        )
        return NotebookRun(name=name, seconds=seconds, code_cells=code_cells)

    return run_notebook


