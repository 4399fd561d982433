"""Layering: the engine never imports the view libraries; only figures and widgets may."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import kitlib

PACKAGE = Path(kitlib.__file__).parent
VIEW_LIBRARIES = {"plotly", "ipywidgets", "anywidget"}
VIEW_PACKAGES = {"figures", "widgets"}


def imported_modules(path: Path) -> set[str]:
    """Top-level names of every module imported anywhere in the file (also inside functions)."""
    tree = ast.parse(path.read_text(), filename=str(path))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


def engine_files() -> list[Path]:
    return [p for p in sorted(PACKAGE.rglob("*.py"))
            if p.relative_to(PACKAGE).parts[0] not in VIEW_PACKAGES]


def test_engine_modules_do_not_import_view_libraries():
    """No module under kitlib/ outside figures/ and widgets/ imports plotly, ipywidgets or anywidget."""
    files = engine_files()
    assert PACKAGE / "cluster.py" in files and PACKAGE / "network" / "datapath.py" in files
    offenders = {str(p.relative_to(PACKAGE)): sorted(imported_modules(p) & VIEW_LIBRARIES) for p in files}
    assert {k: v for k, v in offenders.items() if v} == {}


def test_engine_modules_do_not_import_the_view_packages():
    """The engine does not depend on kitlib.figures or kitlib.widgets (one-way layers)."""
    offenders = []
    for path in engine_files():
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom):
                module = node.module or ""
                absolute = module.startswith("kitlib.") and module.split(".")[1] in VIEW_PACKAGES
                relative = node.level > 0 and module.split(".")[0] in VIEW_PACKAGES
                if absolute or relative:
                    offenders.append(str(path.relative_to(PACKAGE)))
    assert offenders == []


def test_the_checker_sees_imports_inside_functions(tmp_path):
    """The scan finds imports at any depth, as networkx's drawing code does inside functions."""
    sample = tmp_path / "sample.py"
    sample.write_text("def draw():\n    import plotly.graph_objects as go\n    from ipywidgets import Button\n")
    assert imported_modules(sample) >= {"plotly", "ipywidgets"}


def test_importing_kitlib_loads_no_view_library():
    """`import kitlib` and running a cluster in a fresh interpreter leave plotly and ipywidgets unloaded."""
    code = ("import sys, kitlib; c = kitlib.Cluster(nodes=2); c.kubectl('create deployment web --image=nginx');"
            "c.advance(10); c.connect('node/minikube', c.pods()[0].key, 80);"
            "print(sorted(m for m in sys.modules if m.split('.')[0] in {'plotly', 'ipywidgets', 'anywidget'}))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         cwd=PACKAGE.parent)
    assert out.stdout.strip() == "[]"
