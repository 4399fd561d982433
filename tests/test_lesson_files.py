"""The committed lessons stay small and clean: what a learner opens is the lesson, not a saved run.

Under 150 KB each, no saved widget state or widget views (they would show "Error displaying
widget: model not found"), no inlined plotly.js, a kernelspec (else JupyterLab asks which kernel),
stored outputs only where nbval compares them, and their prompts numbered 1, 2, 3 ... in order.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LESSONS = sorted((ROOT / "notebooks").glob("[0-9]*.ipynb"))
CHECKED = "nbval-check-output"


@pytest.mark.parametrize("path", LESSONS, ids=[p.name for p in LESSONS])
def test_a_lesson_is_small_and_holds_no_saved_run(path: Path):
    assert path.stat().st_size < 150 * 1024, f"{path.name}: {path.stat().st_size // 1024} KB"
    nb = json.loads(path.read_text())
    assert "widgets" not in nb["metadata"]
    assert nb["metadata"]["kernelspec"]["name"] == "python3"
    text = path.read_text()
    assert "application/vnd.jupyter.widget-view+json" not in text


@pytest.mark.parametrize("path", LESSONS, ids=[p.name for p in LESSONS])
def test_stored_outputs_are_the_checked_ones_numbered_in_order(path: Path):
    cells = [c for c in json.loads(path.read_text())["cells"] if c["cell_type"] == "code"]
    for cell in cells:
        if CHECKED not in cell["metadata"].get("tags", []):
            assert cell["outputs"] == [] and cell["execution_count"] is None, cell["source"]
        # Text only: a figure's output would carry plotly.js or its JSON, a widget's a dead view.
        assert all(o["output_type"] == "stream" for o in cell["outputs"]), cell["source"]
    counts = [c["execution_count"] for c in cells if c["execution_count"] is not None]
    assert counts == list(range(1, len(counts) + 1)), f"{path.name}: prompts {counts}"
