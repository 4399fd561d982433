"""Layering: the engine never imports the view libraries; only figures and widgets may."""

from __future__ import annotations

import ast
import re
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


def _runtime_imports(path: Path) -> list[ast.ImportFrom]:
    """``from ... import`` statements that run: those outside ``if TYPE_CHECKING:`` blocks."""
    tree = ast.parse(path.read_text(), filename=str(path))
    hinted: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING":
            hinted |= {id(n) for child in node.body for n in ast.walk(child)}
    return [n for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and id(n) not in hinted]


def test_only_the_facade_imports_cluster_to_run():
    """No module but kitlib/__init__.py (which exports it) and magics.py (above the facade: the
    magics act on the notebook's current cluster) imports Cluster other than for type hints: lower
    layers are handed the Runtime or the ApiServer, never the facade."""
    offenders = []
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(PACKAGE)
        if str(rel) in ("cluster.py", "__init__.py", "magics.py"):
            continue
        for node in _runtime_imports(path):
            module = node.module or ""
            if module.split(".")[-1] == "cluster" or (module in ("kitlib", "") and node.level <= 1
                                                     and any(a.name == "Cluster" for a in node.names)):
                offenders.append(f"{rel}:{node.lineno}")
    assert offenders == []


def test_the_checker_sees_through_type_checking(tmp_path):
    """An import under `if TYPE_CHECKING:` is a hint; one elsewhere runs."""
    sample = tmp_path / "sample.py"
    sample.write_text("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from ..cluster import Cluster\n"
                      "def f():\n    from ..cluster import Cluster\n")
    assert [n.lineno for n in _runtime_imports(sample) if n.module == "cluster"] == [5]


def test_import_linter_layer_contracts_are_kept():
    """import-linter's contracts in pyproject.toml (api → store/manifest → apiserver → controllers
    and network → add-ons → kubectl → the facade → figures → widgets) all hold."""
    from importlinter.cli import lint_imports

    assert lint_imports(config_filename=str(PACKAGE.parent / "pyproject.toml"), no_cache=True) == 0


TYPE_IGNORE = re.compile(r"#\s*type:\s*ignore(?P<codes>\[[^\]]*\])?(?P<rest>.*)$")


def test_every_type_ignore_names_its_code_and_says_why():
    """A `# type: ignore` stays only with its error code and a reason on the same line:
    `# type: ignore[code]  # why`."""
    bare = []
    for path in sorted(PACKAGE.rglob("*.py")):
        for n, line in enumerate(path.read_text().splitlines(), 1):
            m = TYPE_IGNORE.search(line)
            if m and not (m.group("codes") and re.match(r"\s*#\s*\S", m.group("rest"))):
                bare.append(f"{path.relative_to(PACKAGE)}:{n}")
    assert bare == []
