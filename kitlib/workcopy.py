"""The learner's copies of the lessons: ``work/`` beside ``notebooks/``, never tracked by git.

``make lab`` and Binder open ``work/00-start-here.ipynb``, so a learner's edits, outputs and saves
land in ``work/`` and the course's own lessons in ``notebooks/`` stay as committed. A copy is made
once and then left alone (it holds the learner's work); :func:`reset_lesson` puts one lesson back
as it was.

The JupyterLab server that ``make lab`` and Binder start uses :func:`pre_save_hook` (from
``binder/jupyter_server_config.json``), which keeps saved notebooks small and reopenable, and
keeps saves out of ``notebooks/``.

``work/`` sits beside ``notebooks/`` at the same depth, so the lessons' relative paths
(``../examples/...``) resolve the same from either.
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path
from typing import Any

LESSONS = "notebooks"
WORK = "work"
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
# What a saved lab output says when the notebook is reopened: the widget's model lives in the
# kernel that drew it, so a reopened notebook can't show it (JupyterLab says "Error displaying
# widget: model not found"); a sentence is more use than that.
RERUN = "A live lab was here: run this cell again to show it."
# Set to let a course author save the lessons themselves from JupyterLab.
EDIT_LESSONS = "KITLIB_EDIT_LESSONS"


def course_root() -> Path:
    """The checkout the course runs from: the folder that holds ``notebooks/`` and ``kitlib/``."""
    return Path(__file__).resolve().parents[1]


def work_copies(root: Path | None = None) -> list[Path]:
    """Copy every lesson in ``notebooks/`` that ``work/`` does not have yet; the copies made.

    A copy that exists is the learner's and is never overwritten.
    """
    root = root or course_root()
    lessons, work = root / LESSONS, root / WORK
    if not lessons.is_dir():
        raise FileNotFoundError(f"no lessons in {lessons}: run this from a checkout of the course")
    work.mkdir(exist_ok=True)
    made = []
    for lesson in sorted(lessons.glob("*.ipynb")):
        copy = work / lesson.name
        if not copy.exists():
            shutil.copyfile(lesson, copy)
            made.append(copy)
    return made


def reset_lesson(lesson: str | int, root: Path | None = None) -> Path:
    """Put the learner's copy of one lesson back as the course ships it; the copy's path.

    ``lesson`` is its number (``1``, ``"01"``) or its file name. In JupyterLab, reload the open
    notebook afterwards (File > Reload Notebook from Disk).
    """
    root = root or course_root()
    name = str(lesson)
    matches = ([root / LESSONS / name] if name.endswith(".ipynb") else
               sorted((root / LESSONS).glob(f"{int(name):02d}-*.ipynb")) if name.isdigit() else [])
    matches = [m for m in matches if m.is_file()]
    if len(matches) != 1:
        known = ", ".join(p.name for p in sorted((root / LESSONS).glob("*.ipynb")))
        raise ValueError(f"no lesson {lesson!r}: the lessons are {known}")
    (root / WORK).mkdir(exist_ok=True)
    copy = root / WORK / matches[0].name
    shutil.copyfile(matches[0], copy)
    return copy


def strip_widget_views(notebook: dict[str, Any]) -> int:
    """Replace each live widget's output with a sentence saying to re-run the cell; how many.

    Only the widget view goes: text, images and static figures stay as they are.
    """
    replaced = 0
    for cell in notebook.get("cells", []):
        for output in cell.get("outputs", []) if cell.get("cell_type") == "code" else []:
            data = output.get("data")
            if isinstance(data, dict) and WIDGET_VIEW in data:
                output["data"] = {"text/plain": RERUN}
                replaced += 1
    notebook.get("metadata", {}).pop("widgets", None)
    return replaced


def pre_save_hook(model: dict[str, Any], path: str, contents_manager: Any = None, **_: Any) -> None:
    """jupyter_server's pre-save hook: refuse saves into ``notebooks/`` (the learner's copy is in
    ``work/``) unless ``KITLIB_EDIT_LESSONS`` is set, and save notebooks without dead widget views."""
    parts = Path(path.lstrip("/")).parts
    if parts[:1] == (LESSONS,) and path.endswith(".ipynb") and not os.environ.get(EDIT_LESSONS):
        from tornado.web import HTTPError  # the server's own: it shows the reason to the learner

        raise HTTPError(403, f"{path} is the course's own lesson: work on {WORK}/{parts[-1]} "
                             f"(make lab opens it); to edit the lesson itself, set {EDIT_LESSONS}=1")
    if model.get("type") == "notebook" and isinstance(model.get("content"), dict):
        strip_widget_views(model["content"])


def main(argv: list[str]) -> int:
    """``python -m kitlib.workcopy`` makes the missing copies; ``... reset 01`` resets one lesson."""
    if argv[:1] == ["reset"] and len(argv) == 2:
        try:
            print(f"reset {reset_lesson(argv[1]).relative_to(course_root())}")
        except ValueError as err:
            print(err, file=sys.stderr)
            return 1
        return 0
    if argv:
        print("usage: python -m kitlib.workcopy [reset LESSON]", file=sys.stderr)
        return 2
    for copy in work_copies():
        print(f"copied {copy.relative_to(course_root())}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
