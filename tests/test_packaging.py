"""Packaging: kitlib installs in JupyterLab, on Binder and inside JupyterLite from the same metadata.

JupyterLab is the ``lab`` extra, not a core dependency, so that ``pip install kitlib`` works in a
Pyodide kernel. Binder installs kitlib with ``--no-deps`` over ``binder/requirements.txt``, and the
JupyterLite site pins its own wheels in ``lite/browser-requirements.txt``: both must hold every
runtime dependency.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

tomllib = pytest.importorskip("tomllib")
from packaging.requirements import Requirement  # noqa: E402
from packaging.utils import canonicalize_name  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]


def names(requirements: list[str]) -> set[str]:
    return {canonicalize_name(Requirement(r).name) for r in requirements}


def pinned(path: Path) -> dict[str, str]:
    pins = {}
    for line in path.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            req = Requirement(line)
            pins[canonicalize_name(req.name)] = str(req.specifier)
    return pins


def test_jupyterlab_is_the_lab_extra_not_a_core_dependency():
    """A JupyterLite kernel cannot install JupyterLab: it must not be among what pip installs."""
    assert "jupyterlab" not in names(PROJECT["dependencies"])
    assert "jupyterlab" in names(PROJECT["optional-dependencies"]["lab"])


def test_binder_installs_every_dependency_and_jupyterlab():
    """postBuild installs kitlib with --no-deps: requirements.txt is all Binder gets."""
    assert re.search(r"pip install --no-deps -e \.", (ROOT / "binder" / "postBuild").read_text())
    binder = pinned(ROOT / "binder" / "requirements.txt")
    wanted = names(PROJECT["dependencies"]) | names(PROJECT["optional-dependencies"]["lab"])
    assert wanted <= set(binder), f"binder/requirements.txt lacks {sorted(wanted - set(binder))}"


def test_the_browser_gets_every_runtime_dependency_at_binders_version():
    """The JupyterLite kernel runs the versions the Binder image runs."""
    browser = pinned(ROOT / "lite" / "browser-requirements.txt")
    binder = pinned(ROOT / "binder" / "requirements.txt")
    for name in names(PROJECT["dependencies"]):
        assert name in browser, f"lite/browser-requirements.txt lacks {name}"
        assert browser[name] == binder.get(name, browser[name]), (
            f"{name}: {browser[name]} in the browser, {binder[name]} on Binder"
        )


def test_binder_pins_notebook_at_a_release_that_takes_the_pinned_jupyterlab():
    """repo2docker's base image brings ``notebook`` 7.4, which needs jupyterlab < 4.5; pinning a
    ``notebook`` release made for the pinned JupyterLab keeps ``pip check`` clean on Binder."""
    binder = pinned(ROOT / "binder" / "requirements.txt")
    assert "notebook" in binder, "binder/requirements.txt must pin notebook (the base image's clashes)"


def test_binders_pins_resolve_together(tmp_path):
    """pip's resolver takes every pin of binder/requirements.txt at once, with their own
    requirements (a ``notebook`` that wants another JupyterLab fails here). Needs the package
    index; skipped without it, unless CI is set."""
    report = tmp_path / "report.json"
    run = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--dry-run", "--ignore-installed", "--quiet",
         "--disable-pip-version-check", "--report", str(report), "-r", str(ROOT / "binder" / "requirements.txt")],
        capture_output=True, text=True, timeout=300,
    )
    if run.returncode != 0 and "ResolutionImpossible" not in run.stderr and "conflict" not in run.stderr:
        if os.environ.get("CI", "").lower() not in ("", "0", "false"):
            pytest.fail(f"pip could not reach the index: {run.stderr[-500:]}")
        pytest.skip("no package index")
    assert run.returncode == 0, run.stderr[-2000:]
    chosen = {canonicalize_name(i["metadata"]["name"]): i["metadata"]["version"]
              for i in json.loads(report.read_text())["install"]}
    for name, spec in pinned(ROOT / "binder" / "requirements.txt").items():
        assert chosen[name] == spec.lstrip("="), f"{name}: pinned {spec}, resolved {chosen[name]}"
