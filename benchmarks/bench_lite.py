"""Benchmark: the course in JupyterLite (``lite/_output``), in Debian's Chromium, against JupyterLab.

Needs the site (``make lite``), Playwright and ``/usr/bin/chromium`` (``make install-test``,
``scripts/ensure-chromium``). The site is served on 127.0.0.1 and the browser cannot resolve any
other host, as in the test. What is measured:

* **kernel ready**: a first visit (fresh browser profile: empty cache and storage) to the start
  page's URL, until ``import kitlib`` has run in its kernel; with the phases: the app shown, the
  notebook open (the kernel starts then), the kernel idle, ``import kitlib`` done. Target 10 s
  (median). For comparison, ``loadPyodide()`` alone in an empty page of the same site: the floor
  that the machine's speed sets, whatever the site does.
* **download**: the bytes the server sent for that first visit (every request is to the site),
  and the site's size on disk.
* **interaction**: lesson 01 run to the end, then its deployment lab's replicas slider moved with
  the keyboard (one step right, one step left, ``--repeat`` times each): from the key press to the
  cluster map redrawn (the first change in the map's SVG, then two animation frames), in
  JupyterLite and, with ``--lab``, in JupyterLab on the same machine. For information, no target.

    python benchmarks/bench_lite.py                 # kernel ready x5, download, interaction (lite)
    python benchmarks/bench_lite.py --lab           # ... and the interaction in JupyterLab too
    python benchmarks/bench_lite.py --repeat 3 --site /tmp/other-site
"""

from __future__ import annotations

import argparse
import functools
import gzip
import http.server
import os
import shutil
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

from _util import Result, machine, report

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "lite"), str(ROOT / "tests" / "lite")]
import serve  # noqa: E402
from lite_helpers import lab, run_lesson  # noqa: E402

START = "notebooks/00-start-here.ipynb"
LESSON_1 = "01-pod-network.ipynb"
TARGET = 10.0
NO_NETWORK = "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"

_JS_KERNEL = "() => { const s = window.__kitPanel.sessionContext.session; return s && s.kernel; }"
_JS_IMPORT_KITLIB = """async () => {
  const k = window.__kitPanel.sessionContext.session.kernel;
  const f = k.requestExecute({code: 'import kitlib'});
  let err = null;
  f.onIOPub = m => { if (m.header.msg_type === 'error') err = m.content.ename + ': ' + m.content.evalue; };
  await f.done;
  return err;
}"""
_JS_PYODIDE_ALONE = """async (base) => {
  const t0 = performance.now();
  const { loadPyodide } = await import(base + 'pyodide.mjs');
  await loadPyodide({ indexURL: base });
  return (performance.now() - t0) / 1000;
}"""
# JS: arm a watch on the cluster map: the time of the next key press on the slider, and of the
# first change in the map's SVG after it, two animation frames later (drawn on the screen).
_JS_ARM = """([plot, handle]) => {
  window.__kitT = {};
  handle.addEventListener('keydown', () => { window.__kitT.key = performance.now(); }, {once: true, capture: true});
  const obs = new MutationObserver(() => {
    if (window.__kitT.key === undefined || window.__kitT.seen) return;
    window.__kitT.seen = true;
    obs.disconnect();
    requestAnimationFrame(() => requestAnimationFrame(() => { window.__kitT.painted = performance.now(); }));
  });
  obs.observe(plot, {subtree: true, childList: true, attributes: true, characterData: true});
}"""


class CountingHandler(serve.QuietHandler):
    """The site's handler, noting the path and body size of every response it sends."""

    sent: list[tuple[str, int]] = []

    def send_header(self, keyword: str, value: str) -> None:
        if keyword.lower() == "content-length":
            CountingHandler.sent.append((self.path.split("?")[0], int(value)))
        super().send_header(keyword, value)


def compressed_size(site: Path, sent: list[tuple[str, int]]) -> int:
    """What a host that gzips its text and WebAssembly would send for the same requests (zips
    and wheels, already compressed, as they are)."""
    total = 0
    for path, size in sent:
        f = site / path.lstrip("/")
        if f.suffix in (".whl", ".zip", ".png", ".ico", ".woff2", ".woff") or not f.is_file():
            total += size
        else:
            total += len(gzip.compress(f.read_bytes(), compresslevel=6))
    return total


def serve_counting(site: Path) -> tuple[http.server.ThreadingHTTPServer, str]:
    handler = functools.partial(CountingHandler, directory=str(site))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}/"


def browser(pw):
    return pw.chromium.launch(executable_path=os.environ.get("KITLIB_CHROMIUM", lab.DEFAULT_CHROMIUM),
                              args=[*lab.CHROMIUM_ARGS, NO_NETWORK])


def first_visit(b, url: str) -> dict[str, float]:
    """One first visit: seconds from navigation to each phase, and the bytes sent."""
    context = b.new_context(base_url=url, viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    CountingHandler.sent.clear()
    t0 = time.perf_counter()
    page.goto(f"lab/index.html?path={START}", wait_until="commit")
    page.wait_for_function("() => window.jupyterapp && window.jupyterapp.shell", timeout=120_000, polling=50)
    app = time.perf_counter() - t0
    page.wait_for_function(lab._JS_FIND_PANEL, arg=START, timeout=120_000, polling=50)
    page.wait_for_function(f"() => !!({_JS_KERNEL})()", timeout=120_000, polling=50)
    notebook = time.perf_counter() - t0
    page.wait_for_function(lab._JS_KERNEL_IDLE, timeout=300_000, polling=50)
    idle = time.perf_counter() - t0
    error = page.evaluate(_JS_IMPORT_KITLIB)
    ready = time.perf_counter() - t0
    if error:
        raise SystemExit(f"import kitlib failed in the browser: {error}")
    context.close()
    sent = list(CountingHandler.sent)
    return {"app": app, "notebook": notebook, "idle": idle, "ready": ready,
            "bytes": sum(n for _, n in sent), "sent": sent}


def pyodide_alone(b, url: str) -> float:
    """``loadPyodide()`` of the site's runtime in a page of the same origin that loads nothing else."""
    context = b.new_context()
    page = context.new_page()
    page.goto(url + "favicon.ico")
    seconds = page.evaluate(_JS_PYODIDE_ALONE, url + "static/pyodide/")
    context.close()
    return seconds


def slider_steps(page, repeat: int) -> list[float]:
    """Key press on lesson 01's replicas slider to the cluster map redrawn, in seconds."""
    slider = page.locator(".widget-slider").filter(has=page.locator(".widget-label", has_text="replicas")).first
    box = (page.locator(".widget-vbox, .widget-box").filter(has=slider)
           .filter(has=page.locator(".js-plotly-plot")).last)
    plot = box.locator(".js-plotly-plot").first
    plot.scroll_into_view_if_needed()
    handle = slider.locator(".noUi-handle").first
    handle.click()
    page.wait_for_timeout(1000)
    times = []
    for i in range(2 * repeat):
        page.evaluate(_JS_ARM, [plot.element_handle(), handle.element_handle()])
        handle.press("ArrowRight" if i % 2 == 0 else "ArrowLeft")
        page.wait_for_function("() => window.__kitT.painted !== undefined", timeout=60_000, polling=20)
        t = page.evaluate("() => window.__kitT")
        times.append((t["painted"] - t["key"]) / 1000)
        page.wait_for_timeout(500)  # let the kernel go idle before the next step
    return times


def interaction_lite(b, url: str, repeat: int) -> list[float]:
    context = b.new_context(base_url=url, viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    run_lesson(page, LESSON_1)
    times = slider_steps(page, repeat)
    context.close()
    return times


def interaction_lab(b, repeat: int) -> list[float]:
    """The same steps in JupyterLab, served as the JupyterLab browser test serves it."""
    tmp = Path(tempfile.mkdtemp(prefix="bench-lab-"))
    server = lab.start_lab_server(tmp)
    try:
        context = b.new_context(base_url=server.url, viewport={"width": 1400, "height": 1000})
        page = context.new_page()
        lab.make_run_notebook(server)(page, LESSON_1)
        times = slider_steps(page, repeat)
        context.close()
        return times
    finally:
        lab.stop_lab_server(server)
        shutil.rmtree(tmp, ignore_errors=True)


def site_size(site: Path) -> tuple[int, int]:
    files = [p for p in site.rglob("*") if p.is_file()]
    return len(files), sum(p.stat().st_size for p in files)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=5, help="first visits, and slider steps each way (default 5)")
    parser.add_argument("--site", type=Path, default=serve.SITE, help="the site (default lite/_output)")
    parser.add_argument("--lab", action="store_true", help="time the interaction in JupyterLab too")
    parser.add_argument("--no-interaction", action="store_true", help="only kernel ready and download")
    args = parser.parse_args(argv)
    if not (args.site / "index.html").is_file():
        raise SystemExit(f"no site in {args.site}: run make lite first")
    from playwright.sync_api import sync_playwright

    print(machine())
    print(f"load average before: {os.getloadavg()[0]:.1f} (1 min)")
    server, url = serve_counting(args.site)
    visits: list[dict[str, float]] = []
    alone: list[float] = []
    with sync_playwright() as pw:
        b = browser(pw)
        for _ in range(args.repeat):
            visits.append(first_visit(b, url))
            alone.append(pyodide_alone(b, url))
        results = [
            Result("lite: first visit, app shown", [v["app"] for v in visits]),
            Result("lite: first visit, notebook open (kernel starts)", [v["notebook"] for v in visits]),
            Result("lite: first visit, kernel idle", [v["idle"] for v in visits]),
            Result("lite: first visit, kernel ready + import kitlib", [v["ready"] for v in visits], target=TARGET),
            Result("lite: loadPyodide() alone in an empty page", alone),
        ]
        if not args.no_interaction:
            results.append(Result("lite: replicas slider step, key to map redrawn",
                                  interaction_lite(b, url, args.repeat)))
            if args.lab:
                results.append(Result("lab: replicas slider step, key to map redrawn",
                                      interaction_lab(b, args.repeat)))
        b.close()
    server.shutdown()
    n, size = site_size(args.site)
    sent = statistics.median(v["bytes"] for v in visits)
    gz = compressed_size(args.site, visits[0]["sent"])
    report(f"JupyterLite (target: kernel ready with kitlib imported in {TARGET:.0f} s, median)", results)
    print(f"  site: {n} files, {size / 1e6:.1f} MB; first visit to kernel ready downloads {sent / 1e6:.1f} MB "
          f"({len(visits[0]['sent'])} requests; {gz / 1e6:.1f} MB from a host that gzips text and wasm)")
    print(f"load average after: {os.getloadavg()[0]:.1f} (1 min)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
