// Byte-compile Python trees with Pyodide's own CPython, so the .pyc files fit the browser's
// interpreter exactly (same version, same magic number). build.py calls this:
//   node lite/pycompile.mjs PYODIDE_DIR TREES_DIR
// Each folder TREES_DIR/<n>-src gets __pycache__/<name>.cpython-314.pyc beside every module,
// unchecked-hash (the browser loads it without comparing timestamps, which unpacking does not
// keep); each TREES_DIR/<n>-bin gets <name>.pyc in the module's place (build.py then drops the
// source, as Pyodide's own packages do).
//   node lite/pycompile.mjs PYODIDE_DIR --stdlib IN_ZIP OUT_ZIP
// writes the standard library's zip with <name>.pyc in place of every <name>.py.
import { basename, dirname, join, resolve } from "node:path";
import { pathToFileURL } from "node:url";

const args = process.argv.slice(2);
const pyodideDir = resolve(args[0]);
const { loadPyodide } = await import(pathToFileURL(join(pyodideDir, "pyodide.mjs")).href);
const py = await loadPyodide({ indexURL: pyodideDir + "/" });

if (args[1] === "--stdlib") {
  const [inZip, outZip] = args.slice(2).map((p) => resolve(p));
  py.FS.mkdir("/in");
  py.FS.mount(py.FS.filesystems.NODEFS, { root: dirname(inZip) }, "/in");
  py.FS.mkdir("/out");
  py.FS.mount(py.FS.filesystems.NODEFS, { root: dirname(outZip) }, "/out");
  py.globals.set("IN_ZIP", "/in/" + basename(inZip));
  py.globals.set("OUT_ZIP", "/out/" + basename(outZip));
  py.runPython(`
import importlib.util, zipfile
from importlib._bootstrap_external import _code_to_hash_pyc
# Where Pyodide mounts the standard library: tracebacks name these paths.
ROOT = "/lib/python314.zip/"
with zipfile.ZipFile(IN_ZIP) as zin, zipfile.ZipFile(OUT_ZIP, "w", zipfile.ZIP_DEFLATED) as zout:
    for info in zin.infolist():
        data = zin.read(info)
        if info.filename.endswith(".py"):
            try:
                code = compile(data, ROOT + info.filename, "exec", dont_inherit=True)
            except SyntaxError:
                zout.writestr(info, data)
                continue
            pyc = _code_to_hash_pyc(code, importlib.util.source_hash(data), checked=False)
            pyc_info = zipfile.ZipInfo(info.filename + "c", info.date_time)
            pyc_info.compress_type = info.compress_type
            zout.writestr(pyc_info, pyc)
        else:
            zout.writestr(info, data)
`);
  process.exit(0);
}

const trees = resolve(args[1]);
py.FS.mkdir("/trees");
py.FS.mount(py.FS.filesystems.NODEFS, { root: trees }, "/trees");
const failed = py.runPython(`
import compileall, contextlib, io, os, py_compile
out = io.StringIO()
with contextlib.redirect_stdout(out):
    ok = True
for tree in sorted(os.listdir("/trees")):
    ok &= bool(compileall.compile_dir(f"/trees/{tree}", quiet=1, workers=1, legacy=tree.endswith("-bin"),
        invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH))
"" if ok else out.getvalue()
`);
if (failed) {
  // A module that does not compile fails in the browser too, when imported; say which.
  console.log("[lite] some files did not compile (they keep their source only):\n" + failed);
}
