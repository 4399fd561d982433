"""Every lesson has an instructor guide with the parts an instructor needs on the day: the key
points, the timing, the common mistakes and the questions learners ask."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
GUIDES = ROOT / "course" / "instructor"
LESSONS = sorted(ROOT.glob("notebooks/[0-9][0-9]-*.ipynb"))
# Each heading, and how many table rows (or numbered points) its section must hold at least.
REQUIRED = {"## Key points": 3, "## Timing": 3, "## Common learner mistakes": 3, "## Questions learners ask": 3}


def sections(text: str) -> dict[str, str]:
    """The guide's ``## `` sections by heading (a timing heading is keyed as ``## Timing``)."""
    parts = re.split(r"^(## .+)$", text, flags=re.M)
    return {re.sub(r" \(\d+ min\)$", "", head): body for head, body in zip(parts[1::2], parts[2::2], strict=True)}


def entries(body: str) -> int:
    """Table rows (without the header and its rule) and numbered points in a section."""
    rows = [line for line in body.splitlines() if line.startswith("| ") and not line.startswith("|---")]
    return max(len(rows) - 1, 0) + len(re.findall(r"^\d+\. ", body, flags=re.M))


@pytest.mark.parametrize("notebook", LESSONS, ids=lambda p: p.name)
def test_every_lesson_has_a_guide_with_every_part(notebook):
    guide = GUIDES / f"lesson-{notebook.name[:2]}.md"
    assert guide.is_file(), f"{notebook.name} has no instructor guide {guide.relative_to(ROOT)}"
    found = sections(guide.read_text())
    for heading, least in REQUIRED.items():
        assert heading in found, f"{guide.name} has no section {heading!r}"
        assert entries(found[heading]) >= least, f"{guide.name}: {heading!r} has fewer than {least} entries"
    assert re.search(r"^## Timing \(\d+ min\)$", guide.read_text(), flags=re.M), f"{guide.name}: '## Timing (N min)'"


def test_the_instructor_readme_links_every_guide():
    readme = (GUIDES / "README.md").read_text()
    for guide in sorted(GUIDES.glob("lesson-*.md")):
        assert f"]({guide.name})" in readme, f"course/instructor/README.md does not link {guide.name}"


def test_a_guide_without_questions_is_caught():
    """The section scan is not vacuous: a guide missing its questions fails."""
    text = "## Key points\n\n1. a\n2. b\n3. c\n\n## Timing (10 min)\n\n| M | W |\n|---|---|\n| 0–5 | a |\n"
    assert "## Questions learners ask" not in sections(text)
    assert entries(sections(text)["## Key points"]) == 3


def test_checklists_open_the_same_start_page_as_the_badge():
    """The checklists' Binder link, the README's badge and the course README open the learner's
    copy of lesson 00, and the checklists cover the three ways to run the day."""
    start = "urlpath=lab/tree/work/00-start-here.ipynb"
    checklists = (GUIDES / "checklists.md").read_text()
    for text in (checklists, (ROOT / "README.md").read_text(), (ROOT / "course" / "README.md").read_text()):
        assert start in text
    for heading in ("## Public Binder (mybinder.org)", "## A JupyterHub built from `binder/`",
                    "## The static in-browser site (JupyterLite)"):
        assert heading in checklists
    assert "](jupyterlite.md)" in checklists
