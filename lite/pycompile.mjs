// Byte-compile Python trees with Pyodide's own CPython, so the .pyc files fit the browser's
// interpreter exactly (same version, same magic number). build.py calls this:
//   node lite/pycompile.mjs PYODIDE_DIR TREES_DIR
// Each folder TREES_DIR/<n>-src gets __pycache__/<name>.cpython-314.pyc beside every module,
// unchecked-hash (the browser loads it without comparing timestamps, which unpacking does not
// keep); each TREES_DIR/<n>-bin gets <name>.pyc in the module's place (build.py then drops the
// source, as Pyodide's own packages do).
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";

const [pyodideDir, trees] = process.argv.slice(2).map((p) => resolve(p));
const { loadPyodide } = await import(pathToFileURL(join(pyodideDir, "pyodide.mjs")).href);
const py = await loadPyodide({ indexURL: pyodideDir + "/" });
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
