"""Build the course as a static JupyterLite site in ``lite/_output`` (``make lite`` runs this).

Everything comes from the package registries (npm, PyPI) and this checkout; downloads are kept in
``lite/.cache`` and reused. The steps:

1. **Pyodide**: the npm package ``pyodide`` at the version the kernel expects
   (``jupyterlite_pyodide_kernel.constants.PYODIDE_VERSION``), so the site loads no runtime from a CDN.
2. **Wheels**: ``browser-requirements.txt`` with ``pip download --no-deps``; PyYAML made pure
   from its Linux wheel (the C extension removed); kitlib built from this checkout; the kernel's own
   wheels (piplite, pyodide-kernel, the ipykernel and widgetsnbextension stubs) from the kernel package.
3. **Slimming and byte-compiling**: test suites, front-end copies and jedi's stubs of other
   projects dropped; every module (the standard library's too) compiled by Pyodide's own CPython,
   run in Node, so the browser never compiles at import (Pyodide writes no bytecode of its own).
   kitlib keeps its sources beside ``__pycache__``, for tracebacks and for reading; the rest is
   ``.pyc`` only, as Pyodide ships its own packages.
4. **The lock**: ``static/pyodide/pyodide-lock.json`` lists exactly these wheels (Pyodide's
   ``info``, one entry per wheel, ``depends`` from each wheel's metadata evaluated for emscripten),
   so an import the site cannot serve fails in the kernel instead of fetching from a CDN.
5. ``jupyter lite build`` with the config files of ``lite/``, the notebooks under ``notebooks/``,
   and the widget, anywidget and plotly front ends found in the build environment.

    python lite/build.py              # build (lite/.venv's python: make lite)
    python lite/build.py --no-compile --out /tmp/site-sources   # to measure what compiling saves
"""

from __future__ import annotations

import argparse
import base64
import csv
import email.parser
import hashlib
import io
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
import zipfile
from pathlib import Path

from packaging.markers import Marker
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

LITE = Path(__file__).resolve().parent
ROOT = LITE.parent
CACHE = LITE / ".cache"
OUT = LITE / "_output"
STAGE = CACHE / "stage"  # the lite dir handed to `jupyter lite build`, made anew each time
# Config files of lite/ copied into the staged lite dir.
CONFIG_FILES = ("jupyter_lite_config.json", "jupyter-lite.json", "overrides.json")
BUILT_STAMP = ".built"  # make's marker in the site (lite-site): the site is newer than its inputs

# Dependencies that wheels declare but the browser never imports, left out of the lock.
# jupyterlab-widgets is the front end of ipywidgets: bundled as an extension instead.
NOT_IN_BROWSER = {"jupyterlab-widgets"}
# Dependencies the browser needs that a wheel does not declare: plotly displays a go.Figure only
# when nbformat imports ("Mime type rendering requires nbformat>=4.2.0"), an optional dependency.
EXTRA_DEPENDS = {"plotly": ["nbformat"]}
# The kernel package's own wheels (its labextension's static/pypi), put into the lock too.
KERNEL_WHEELS = ("piplite", "pyodide-kernel", "ipykernel", "widgetsnbextension")
# Environment markers of Pyodide 314 (Python 3.14 on emscripten), for Requires-Dist.
EMSCRIPTEN = {
    "implementation_name": "cpython",
    "implementation_version": "3.14.2",
    "os_name": "posix",
    "platform_machine": "wasm32",
    "platform_python_implementation": "CPython",
    "platform_release": "",
    "platform_system": "Emscripten",
    "platform_version": "",
    "python_full_version": "3.14.2",
    "python_version": "3.14",
    "sys_platform": "emscripten",
    "extra": "",
}


def log(msg: str) -> None:
    print(f"[lite] {msg}", flush=True)


def run(cmd: list[str], **kw) -> None:
    subprocess.run(cmd, check=True, **kw)


def pip(*args: str) -> None:
    run([sys.executable, "-m", "pip", "--disable-pip-version-check", *args])


# --------------------------------------------------------------------------- 1. Pyodide


def pyodide_version() -> str:
    from jupyterlite_pyodide_kernel.constants import PYODIDE_VERSION

    return PYODIDE_VERSION


def fetch_pyodide(version: str) -> Path:
    """The npm package ``pyodide@version``, unpacked in the cache: the runtime and stdlib."""
    for tool in ("npm", "node"):
        if not shutil.which(tool):
            raise SystemExit(f"{tool} not found: the build needs Node.js 18 or newer with npm "
                             "(Debian: apt-get install nodejs npm)")
    dest = CACHE / f"pyodide-{version}"
    if (dest / "pyodide.mjs").is_file():
        return dest
    tmp = Path(tempfile.mkdtemp(dir=CACHE))
    log(f"npm pack pyodide@{version}")
    run(["npm", "pack", f"pyodide@{version}", "--silent", "--pack-destination", str(tmp)],
        stdout=subprocess.DEVNULL)
    (tgz,) = tmp.glob("pyodide-*.tgz")
    with tarfile.open(tgz) as tar:
        tar.extractall(tmp, filter="data")
    shutil.rmtree(dest, ignore_errors=True)
    (tmp / "package").rename(dest)
    shutil.rmtree(tmp)
    return dest


# Files of the npm package the site does not need: the console pages, types, the classic
# (non-module) loader and source maps. The kernel's worker imports pyodide.mjs.
PYODIDE_SKIP = re.compile(r"(console.*\.html|.*\.d\.ts|.*\.map|pyodide\.js|README\.md|package\.json)$")


# --------------------------------------------------------------------------- 2. wheels


def pinned(requirements: Path) -> list[Requirement]:
    reqs = []
    for line in requirements.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            req = Requirement(line)
            if not str(req.specifier).startswith("=="):
                raise SystemExit(f"{requirements.name}: pin every package with ==: {line}")
            reqs.append(req)
    return reqs


def download_wheels(reqs: list[Requirement], dest: Path) -> list[Path]:
    """Pure wheels of the pinned packages (PyYAML: its Linux wheel, made pure below)."""
    dest.mkdir(parents=True, exist_ok=True)
    wanted = {canonicalize_name(r.name): r for r in reqs}
    have = {wheel_name(w): w for w in dest.glob("*.whl")}
    missing = [r for n, r in wanted.items()
               if n != "pyyaml" and (n not in have or wheel_version(have[n]) != _pin(r))]
    if missing:
        log(f"pip download {len(missing)} wheels")
        with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as f:
            f.write("\n".join(str(r) for r in missing))
        try:
            pip("download", "--quiet", "--no-deps", "--only-binary=:all:", "--platform", "any",
                "--python-version", "3.14", "--implementation", "py", "--abi", "none",
                "--dest", str(dest), "-r", f.name)
        finally:
            os.unlink(f.name)
    if "pyyaml" in wanted:
        pure_pyyaml(_pin(wanted["pyyaml"]), dest)
    have = {wheel_name(w): w for w in dest.glob("*.whl")}
    wheels = []
    for name, req in wanted.items():
        stale = [w for w in dest.glob("*.whl") if wheel_name(w) == name and wheel_version(w) != _pin(req)]
        for w in stale:
            w.unlink()
        wheels.append(next(w for w in dest.glob("*.whl")
                           if wheel_name(w) == name and wheel_version(w) == _pin(req)))
    return wheels


def _pin(req: Requirement) -> str:
    return str(req.specifier).removeprefix("==")


def wheel_name(wheel: Path) -> str:
    return canonicalize_name(wheel.name.split("-")[0])


def wheel_version(wheel: Path) -> str:
    return wheel.name.split("-")[1]


def pure_pyyaml(version: str, dest: Path) -> Path:
    """PyYAML without its C extension: PyPI has no browser wheel, and the pure-Python code is
    complete without ``_yaml`` (``yaml.__with_libyaml__`` is then False; kitlib uses the safe loader)."""
    out = dest / f"pyyaml-{version}-py3-none-any.whl"
    if out.is_file():
        return out
    with tempfile.TemporaryDirectory() as tmp:
        log(f"PyYAML {version}: a pure wheel from the Linux one")
        pip("download", "--quiet", "--no-deps", "--only-binary=:all:",
            "--platform", "manylinux_2_17_x86_64", "--python-version", "3.12",
            "--dest", tmp, f"pyyaml=={version}")
        (linux,) = Path(tmp).glob("*.whl")
        files = {}
        with zipfile.ZipFile(linux) as z:
            for info in z.infolist():
                if info.filename.endswith(".so") or info.filename.endswith("/RECORD"):
                    continue
                data = z.read(info)
                if info.filename.endswith(".dist-info/WHEEL"):
                    text = re.sub(r"(?m)^Tag: .*\n", "", data.decode())
                    text = re.sub(r"(?m)^Root-Is-Purelib: .*$", "Root-Is-Purelib: true", text)
                    data = (text.rstrip("\n") + "\nTag: py3-none-any\n").encode()
                files[info.filename] = data
        write_wheel(out, files)
    return out


def kitlib_wheel(dest: Path) -> Path:
    """kitlib's wheel, built from a copy of this checkout (the work tree stays clean)."""
    for old in dest.glob("kitlib-*.whl"):
        old.unlink()
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "src"
        src.mkdir()
        shutil.copy(ROOT / "pyproject.toml", src)
        shutil.copytree(ROOT / "kitlib", src / "kitlib",
                        ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        pip("wheel", "--quiet", "--no-deps", "--no-build-isolation", "--wheel-dir", str(dest), str(src))
    (wheel,) = dest.glob("kitlib-*.whl")
    return wheel


def kernel_wheels() -> list[Path]:
    """piplite, pyodide-kernel and the ipykernel/widgetsnbextension stubs the kernel ships
    (the newest widgetsnbextension stub: ipywidgets 8)."""
    import jupyterlite_pyodide_kernel

    ext = Path(sys.prefix) / "share/jupyter/labextensions/@jupyterlite/pyodide-kernel-extension"
    pypi = ext / "static" / "pypi"
    if not pypi.is_dir():  # pragma: no cover
        raise SystemExit(f"no kernel wheels in {pypi} (jupyterlite-pyodide-kernel "
                         f"{jupyterlite_pyodide_kernel.__version__})")
    wheels = []
    for name in KERNEL_WHEELS:
        found = sorted((w for w in pypi.glob("*.whl") if wheel_name(w) == name),
                       key=lambda w: [int(p) for p in wheel_version(w).split(".")])
        wheels.append(found[-1])
    return wheels


def write_wheel(path: Path, files: dict[str, bytes]) -> None:
    """A wheel of ``files`` (name -> bytes) with its RECORD written anew."""
    dist_info = next(n.split("/")[0] for n in files if n.split("/")[0].endswith(".dist-info"))
    record = f"{dist_info}/RECORD"
    rows = []
    for name, data in files.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
        rows.append([name, f"sha256={digest}", str(len(data))])
    rows.append([record, "", ""])
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows(rows)
    tmp = path.with_suffix(".tmp")
    with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in files.items():
            z.writestr(zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0)), data,
                       compress_type=zipfile.ZIP_DEFLATED)
        z.writestr(zipfile.ZipInfo(record, date_time=(2020, 1, 1, 0, 0, 0)), buf.getvalue(),
                   compress_type=zipfile.ZIP_DEFLATED)
    tmp.replace(path)


# --------------------------------------------------------------------------- 3. byte-compiling


# What the browser never needs from a wheel: front-end files shipped inside Python packages (the
# site bundles those extensions itself), test suites (as Pyodide leaves them out of its own),
# jedi's type stubs of other projects' packages (4,800 of its 5,500 files: unpacking them took
# 2 s of every kernel start; completion needs only the standard library's stubs), and plotly.js
# for HTML export (plotly.min.js, 1.4 MB of every first visit: figures display through the
# front-end extension, PLOTLY_RENDERER=plotly_mimetype; FigureWidget brings its own bundle).
SLIM = re.compile(r"^([^/]+\.data/data/share/jupyter/|plotly/labextension/|(?!kitlib/)[^/]+/(.+/)?tests/"
                  r"|jedi/third_party/(typeshed/stubs|django-stubs)/|plotly/package_data/plotly\.min\.js$)")
# Wheels that keep their sources beside the .pyc files: kitlib, so that learners read it in
# tracebacks and with `??`. The others become .pyc only, as Pyodide ships its own packages:
# half the files to unpack at each kernel start.
KEEP_SOURCES = {"kitlib"}


def prepare_wheels(wheels: list[Path], pyodide: Path, dest: Path, compile: bool = True) -> list[Path]:
    """Each wheel again, slimmed (:data:`SLIM`) and, with ``compile``, byte-compiled by Pyodide's
    CPython: ``__pycache__/*.cpython-314.pyc`` beside each module of :data:`KEEP_SOURCES`, a
    ``.pyc`` in place of each module elsewhere."""
    dest = dest / ("compiled" if compile else "slim")
    dest.mkdir(parents=True, exist_ok=True)
    out: list[Path] = []
    todo: list[tuple[Path, Path]] = []
    # The cache is keyed by the source wheel's digest and the rules: a rebuilt kitlib or a
    # changed rule prepares the wheel again.
    rules = hashlib.sha256(repr((SLIM.pattern, sorted(KEEP_SOURCES))).encode()
                           + (LITE / "pycompile.mjs").read_bytes()).hexdigest()[:16]
    for wheel in wheels:
        target = dest / wheel.name
        key = dest / f"{wheel.name}.key"
        if not (target.is_file() and key.is_file() and key.read_text() == sha256(wheel) + rules):
            todo.append((wheel, target))
        out.append(target)
    if not todo:
        return out
    with tempfile.TemporaryDirectory() as tmp:
        trees = Path(tmp)
        kept: list[list[str]] = []
        dirs: list[Path] = []
        for i, (wheel, _) in enumerate(todo):
            with zipfile.ZipFile(wheel) as z:
                names = [n for n in z.namelist()
                         if not n.endswith("/") and not n.endswith(".dist-info/RECORD") and not SLIM.match(n)]
                dirs.append(trees / f"{i}-{'src' if wheel_name(wheel) in KEEP_SOURCES else 'bin'}")
                z.extractall(dirs[-1], members=names)
            kept.append(names)
        if compile:
            log(f"byte-compiling {len(todo)} wheels with Pyodide's CPython (Node)")
            t0 = time.monotonic()
            run(["node", str(LITE / "pycompile.mjs"), str(pyodide), str(trees)])
            log(f"  compiled in {time.monotonic() - t0:.1f} s")
        for i, (wheel, target) in enumerate(todo):
            tree = dirs[i]
            pycs = sorted(p.relative_to(tree).as_posix() for p in tree.rglob("*.pyc"))
            names = kept[i]
            if tree.name.endswith("-bin"):  # sourceless: a module's .pyc replaces its .py
                names = [n for n in names if not (n.endswith(".py") and f"{n}c" in pycs)]
            write_wheel(target, {n: (tree / n).read_bytes() for n in [*names, *pycs]})
            (dest / f"{wheel.name}.key").write_text(sha256(wheel) + rules)
    return out


def compile_stdlib(pyodide: Path, dest: Path) -> Path:
    """Pyodide's standard library zip with ``.pyc`` in place of every ``.py``: the npm package
    ships sources only, and Pyodide writes no bytecode, so every start compiled what it imported
    (most of ``import IPython``). About 2 MB more to download, several seconds less at each start."""
    script = LITE / "pycompile.mjs"
    key = hashlib.sha256((pyodide / "python_stdlib.zip").read_bytes() + script.read_bytes()).hexdigest()[:16]
    out = dest / f"python_stdlib-{key}.zip"
    if not out.is_file():
        dest.mkdir(parents=True, exist_ok=True)
        for old in dest.glob("python_stdlib-*.zip"):
            old.unlink()
        log("byte-compiling the standard library with Pyodide's CPython (Node)")
        tmp = dest / "python_stdlib.tmp.zip"
        run(["node", str(script), str(pyodide), "--stdlib", str(pyodide / "python_stdlib.zip"), str(tmp)])
        tmp.replace(out)
    return out


# --------------------------------------------------------------------------- 4. the lock


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def wheel_metadata(wheel: Path) -> tuple[str, str, list[str], list[str]]:
    """Name, version, the dependencies it declares for emscripten, and its top-level imports."""
    with zipfile.ZipFile(wheel) as z:
        names = z.namelist()
        meta_name = next(n for n in names if n.endswith(".dist-info/METADATA"))
        meta = email.parser.Parser().parsestr(z.read(meta_name).decode())
        top_level = next((n for n in names if n.endswith(".dist-info/top_level.txt")), None)
        declared_top = z.read(top_level).decode().split() if top_level else []
    depends = []
    for line in meta.get_all("Requires-Dist") or []:
        req = Requirement(line)
        if req.marker is None or Marker(str(req.marker)).evaluate(EMSCRIPTEN):
            depends.append(canonicalize_name(req.name))
    imports = set(declared_top)
    if not imports:
        for n in names:
            first, _, rest = n.partition("/")
            if first.endswith((".dist-info", ".data")):
                continue
            if rest and (rest == "__init__.py" or rest.endswith(".py")):
                imports.add(first)
            elif not rest and first.endswith(".py"):
                imports.add(first[:-3])
    imports = {i for i in imports if not i.startswith("_") or i in ("_yaml",)}
    return meta["Name"], meta["Version"], sorted(set(depends)), sorted(imports)


def write_lock(pyodide: Path, wheels: list[Path], dest: Path) -> dict:
    """``pyodide-lock.json`` for exactly ``wheels``, with Pyodide's own ``info``."""
    info = json.loads((pyodide / "pyodide-lock.json").read_text())["info"]
    packages: dict[str, dict] = {}
    for wheel in wheels:
        name, version, depends, imports = wheel_metadata(wheel)
        key = canonicalize_name(name)
        packages[key] = {
            "name": name,
            "version": version,
            "file_name": wheel.name,
            "install_dir": "site",
            "sha256": sha256(wheel),
            "package_type": "package",
            "imports": imports,
            "depends": sorted({*depends, *EXTRA_DEPENDS.get(key, [])}),
            "unvendored_tests": False,
        }
    problems = []
    for pkg in packages.values():
        kept = []
        for dep in pkg["depends"]:
            if dep in packages:
                kept.append(dep)
            elif dep not in NOT_IN_BROWSER:
                problems.append(f"{pkg['name']} needs {dep}, which browser-requirements.txt lacks")
        pkg["depends"] = kept
    if problems:
        raise SystemExit("\n".join(problems))
    lock = {"info": info, "packages": dict(sorted(packages.items()))}
    (dest / "pyodide-lock.json").write_text(json.dumps(lock, indent=1) + "\n")
    return lock


def check_extension_versions(reqs: list[Requirement]) -> None:
    """Each widget's kernel side and front end at the same version (extensions.txt)."""
    pins = {canonicalize_name(r.name): _pin(r) for r in reqs}
    for req in pinned(LITE / "extensions.txt"):
        name = canonicalize_name(req.name)
        if name == "jupyterlab-widgets":
            continue  # the front end of ipywidgets, whose version differs by design
        if pins.get(name) != _pin(req):
            raise SystemExit(f"extensions.txt has {name}=={_pin(req)} but browser-requirements.txt "
                             f"has {pins.get(name)}: front end and kernel side must match")
        from importlib.metadata import version

        if version(name) != _pin(req):
            raise SystemExit(f"lite/.venv has {name} {version(name)}, extensions.txt wants "
                             f"{_pin(req)}: run make lite again (it reinstalls)")


# --------------------------------------------------------------------------- 5. the site


def stage(pyodide: Path, wheels: list[Path], stdlib: Path | None) -> dict:
    shutil.rmtree(STAGE, ignore_errors=True)
    STAGE.mkdir(parents=True)
    for name in CONFIG_FILES:
        shutil.copy(LITE / name, STAGE / name)
    static = STAGE / "static" / "pyodide"
    static.mkdir(parents=True)
    for f in pyodide.iterdir():
        if f.is_file() and not PYODIDE_SKIP.search(f.name):
            shutil.copy(f, static / f.name)
    if stdlib:
        shutil.copy(stdlib, static / "python_stdlib.zip")
    for wheel in wheels:
        shutil.copy(wheel, static / wheel.name)
    lock = write_lock(pyodide, [static / w.name for w in wheels], static)
    contents = STAGE / "contents" / "notebooks"
    shutil.copytree(ROOT / "notebooks", contents,
                    ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__", ".*"))
    # Every package the kernel is told to load at start must be in the lock.
    config = json.loads((LITE / "jupyter-lite.json").read_text())["jupyter-config-data"]
    kernel = config["litePluginSettings"]["@jupyterlite/pyodide-kernel-extension:kernel"]
    unknown = [p for p in kernel["loadPyodideOptions"]["packages"]
               if canonicalize_name(p) not in lock["packages"]]
    if unknown:
        raise SystemExit(f"jupyter-lite.json prefetches packages the lock lacks: {unknown}")
    return lock


def jupyter_lite_build(out: Path) -> None:
    for db in STAGE.glob(".jupyterlite.doit.db*"):
        db.unlink()
    shutil.rmtree(out, ignore_errors=True)
    env = dict(os.environ, UV_PYTHON_DOWNLOADS="never")
    env.pop("JUPYTERLITE_PYODIDE_URL", None)
    run([sys.executable, "-m", "jupyter", "lite", "build",
         "--lite-dir", str(STAGE), "--output-dir", str(out),
         "--contents", str(STAGE / "contents"),
         "--no-sourcemaps", "--no-unused-shared-packages"],
        cwd=STAGE, env=env)


START_PAGE = "notebooks/00-start-here.ipynb"
# The root page loads JupyterLite's config (other pages read its jupyter-config-data) and then
# goes to the app: here, straight to the start page.
ROOT_REDIRECT = (f'<script>location.replace("./lab/index.html?path={START_PAGE}");</script>\n'
                 f'    <noscript><a href="./lab/index.html?path={START_PAGE}">Open the course</a></noscript>')


def finish(out: Path) -> None:
    """The site's root opens the start page, as ``make lab`` does."""
    index = out / "index.html"
    html = index.read_text()
    imports = re.findall(r"<script type=\"module\">\s*await import\('./config-utils.js'\);\s*</script>", html)
    if len(imports) != 1:
        raise SystemExit(f"{index}: JupyterLite's root page changed; cannot point it at {START_PAGE}")
    index.write_text(html.replace(imports[0], ROOT_REDIRECT))
    # Browsers ask for /favicon.ico whatever the page says: answer rather than log a 404.
    shutil.copy(out / "lab" / "favicon.ico", out / "favicon.ico")
    (out / BUILT_STAMP).write_text(time.strftime("%Y-%m-%dT%H:%M:%S\n"))


def summary(out: Path) -> None:
    files = [p for p in out.rglob("*") if p.is_file()]
    size = sum(p.stat().st_size for p in files)
    log(f"site: {out}, {len(files)} files, {size / 1e6:.1f} MB")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--no-compile", action="store_true",
                        help="no byte-compiling: the modules as sources (to measure what compiling saves)")
    parser.add_argument("--out", type=Path, default=OUT, help="where the site goes (default lite/_output)")
    args = parser.parse_args(argv)
    t0 = time.monotonic()
    CACHE.mkdir(exist_ok=True)
    reqs = pinned(LITE / "browser-requirements.txt")
    check_extension_versions(reqs)
    version = pyodide_version()
    pyodide = fetch_pyodide(version)
    wheels = download_wheels(reqs, CACHE / "wheels")
    wheels.append(kitlib_wheel(CACHE / "kitlib"))
    wheels += kernel_wheels()
    wheels = prepare_wheels(wheels, pyodide, CACHE, compile=not args.no_compile)
    stdlib = None if args.no_compile else compile_stdlib(pyodide, CACHE / "compiled")
    lock = stage(pyodide, wheels, stdlib)
    log(f"Pyodide {version}, {len(lock['packages'])} packages in the lock")
    jupyter_lite_build(args.out.resolve())
    finish(args.out.resolve())
    summary(args.out.resolve())
    log(f"built in {time.monotonic() - t0:.0f} s; serve it with: make lite-serve")
    return 0


if __name__ == "__main__":
    sys.exit(main())
