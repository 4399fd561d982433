"""Which exercises a learner has passed, across lessons, kept in one small local JSON file.

Every exercise check is wrapped by :func:`exercise`: when it answers inside a Jupyter kernel, its
result (exercise id, passed, time) goes into the progress file. Nothing is sent anywhere, and
outside a kernel (plain Python, pytest) nothing is written unless a path is given, as
:mod:`kitlib.notebook` installs its error display only in a kernel. ``kitlib.progress()`` reads the
file back as a :class:`Progress`: lessons × exercises, shown as a table.

Where the file is (:func:`progress_path`), first match wins:

1. ``$KITLIB_PROGRESS``, a file path (set it to ``off`` to record nothing);
2. ``work/.kitlib-progress.json`` in the course's checkout (:func:`kitlib.workcopy.course_root`,
   beside the learner's copies of the lessons, which git ignores);
3. in JupyterLite, ``/drive/.kitlib-progress.json``: the Pyodide kernel's view of the site's file
   browser, kept in the browser's storage and shared by every lesson's kernel (its home folder is
   memory that each kernel loses; ``tests/lite`` checks this in Chromium);
4. ``~/.kitlib-progress.json`` when kitlib runs without a checkout.

A pass is kept: a later failing run of the same check (Restart Kernel and Run All Cells runs the
checks before the exercise is redone) does not undo it, and the file keeps the last result too.
A file that cannot be read as progress counts as empty, with a note in the summary; the next
result recorded moves it aside (``.corrupt``) and starts afresh. Recording never makes a check fail.
"""

from __future__ import annotations

import functools
import html
import importlib
import json
import os
import pkgutil
import sys
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, TypeVar, cast

from ..workcopy import LESSONS, WORK, course_root
from .feedback import Feedback

ENV = "KITLIB_PROGRESS"
OFF = "off"
FILE = ".kitlib-progress.json"
# Where jupyterlite-pyodide-kernel mounts the file browser's contents (DriveFS) in the kernel.
DRIVE = Path("/drive")
VERSION = 1

F = TypeVar("F", bound=Callable[..., Feedback])

# Every check wrapped by `exercise`, in definition order per module: {module: [exercise ids]}.
REGISTRY: dict[str, list[str]] = {}
# How deep we are inside wrapped checks: a check that calls another records only itself.
_depth = 0


def in_kernel() -> bool:
    """True inside a running Jupyter kernel (an IPython shell with a kernel), never in plain Python
    or pytest. IPython is looked up, not imported, as in :func:`kitlib.notebook.install`."""
    ipython = sys.modules.get("IPython")
    shell = ipython.get_ipython() if ipython is not None else None
    return shell is not None and getattr(shell, "kernel", None) is not None


def progress_path() -> Path | None:
    """Where progress is kept (see the module's docstring); None when ``$KITLIB_PROGRESS=off``."""
    env = os.environ.get(ENV)
    if env:
        return None if env.strip().lower() == OFF else Path(env).expanduser()
    root = course_root()
    if (root / LESSONS).is_dir():
        return root / WORK / FILE
    if sys.platform == "emscripten" and DRIVE.is_dir():
        return DRIVE / FILE
    return Path.home() / FILE


def exercise(check: F) -> F:
    """Decorate an exercise check: its Feedback is recorded under the id
    ``<module>.<function>`` (``kitlib.exercises.lesson01.check_spread``), inside a kernel only."""
    ident = f"{check.__module__}.{check.__name__}"
    REGISTRY.setdefault(check.__module__, []).append(ident)

    @functools.wraps(check)
    def wrapper(*args: Any, **kwargs: Any) -> Feedback:
        global _depth
        _depth += 1
        try:
            result = check(*args, **kwargs)
        finally:
            _depth -= 1
        if _depth == 0 and isinstance(result, Feedback):
            record(ident, result.passed)
        return result

    return cast(F, wrapper)


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")


def _read(path: Path, move_aside: bool) -> tuple[dict[str, dict[str, Any]], str]:
    """The file's exercises and a note; a missing file is empty; one that is not a progress file
    counts as empty and, with ``move_aside`` (only when about to write), is kept as ``.corrupt``."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}, ""
    except OSError as err:
        return {}, f"could not read {path} ({err.strerror}); showing no progress"
    try:
        data = json.loads(text)
        exercises = data["exercises"]
        if not isinstance(exercises, dict) or not all(
                isinstance(k, str) and isinstance(v, dict) and isinstance(v.get("passed"), bool)
                for k, v in exercises.items()):
            raise ValueError("not a progress file")
    except (ValueError, KeyError, TypeError):
        aside = path.with_name(path.name + ".corrupt")
        if not move_aside:
            return {}, (f"{path.name} is not a progress file; the next check that answers starts it "
                        f"afresh and keeps the old one as {aside.name}")
        try:
            os.replace(path, aside)
            kept = f"kept as {aside.name}"
        except OSError:
            kept = "left as it was"
        return {}, f"{path.name} was not a progress file ({kept}); progress starts afresh"
    return exercises, ""


def record(exercise_id: str, passed: bool, path: Path | str | None = None, now: str | None = None) -> Path | None:
    """Record one check's result; the file written, or None when nothing was (outside a kernel
    without ``path``, ``$KITLIB_PROGRESS=off``, or a folder that cannot be written)."""
    if path is None:
        if not in_kernel():
            return None
        path = progress_path()
        if path is None:
            return None
    path = Path(path)
    exercises, _ = _read(path, move_aside=True)
    when = now or _now()
    entry = dict(exercises.get(exercise_id, {}))
    entry["attempts"] = int(entry.get("attempts", 0)) + 1
    entry["last_passed"] = passed
    entry["last_time"] = when
    if passed and not entry.get("passed"):
        entry["first_passed"] = when
    entry["passed"] = bool(entry.get("passed")) or passed
    exercises[exercise_id] = entry
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_text(json.dumps({"version": VERSION, "exercises": exercises}, indent=1, sort_keys=True) + "\n",
                       encoding="utf-8")
        os.replace(tmp, path)  # a reader never sees half a file
    except OSError:
        return None
    return path


def catalogue() -> dict[str, list[str]]:
    """Every exercise check of the course, by module, in the order the lessons pose them: the
    modules of :mod:`kitlib.exercises` are imported so that their checks register."""
    from .. import exercises

    for info in pkgutil.iter_modules(exercises.__path__):
        if info.name not in ("feedback", "progress"):
            importlib.import_module(f"{exercises.__name__}.{info.name}")
    return {module: list(ids) for module, ids in sorted(REGISTRY.items())
            if module.startswith(f"{exercises.__name__}.")}


@dataclass(frozen=True)
class ExerciseStatus:
    """One exercise: its id, its number in the lesson, and how far the learner got."""

    exercise_id: str
    number: int
    passed: bool
    attempted: bool

    @property
    def name(self) -> str:
        """The check's name without ``check_``: ``spread``."""
        return self.exercise_id.rsplit(".", 1)[1].removeprefix("check_")

    @property
    def mark(self) -> str:
        """✔ passed, ✘ tried and not passed yet, · not tried: a sign, not only a colour."""
        return "✔" if self.passed else "✘" if self.attempted else "·"


@dataclass(frozen=True)
class LessonProgress:
    """The exercises of one lesson (``lesson`` is the module's name: ``lesson01``)."""

    lesson: str
    exercises: tuple[ExerciseStatus, ...]

    @property
    def passed(self) -> int:
        return sum(e.passed for e in self.exercises)


@dataclass(frozen=True)
class Progress:
    """Lessons × exercises passed, read from ``path``; ``note`` says when the file was unusable."""

    path: Path | None
    lessons: tuple[LessonProgress, ...]
    note: str = ""

    @property
    def passed(self) -> int:
        return sum(lesson.passed for lesson in self.lessons)

    @property
    def total(self) -> int:
        return sum(len(lesson.exercises) for lesson in self.lessons)

    def _where(self) -> str:
        if self.path is None:
            return f"not kept (${ENV}={OFF})"
        return f"kept in {self.path}, on this computer only; nothing is sent anywhere"

    def __str__(self) -> str:
        lines = [f"Exercises passed: {self.passed} of {self.total} ({self._where()})"]
        lines += [f"Note: {self.note}"] if self.note else []
        for lesson in self.lessons:
            cells = "  ".join(f"{e.mark} {e.number} {e.name}" for e in lesson.exercises)
            lines.append(f"{lesson.lesson}  {lesson.passed}/{len(lesson.exercises)}  {cells}")
        lines.append("✔ passed  ✘ tried, not passed yet  · not tried")
        return "\n".join(lines)

    def __repr__(self) -> str:
        return str(self)

    def _repr_html_(self) -> str:
        words = {"✔": "passed", "✘": "tried, not passed yet", "·": "not tried"}
        rows = []
        for lesson in self.lessons:
            cells = "".join(
                f"<td title='{html.escape(words[e.mark])}'>{e.mark} {e.number} {html.escape(e.name)}</td>"
                for e in lesson.exercises)
            rows.append(f"<tr><th scope='row'>{html.escape(lesson.lesson)}</th>"
                        f"<td>{lesson.passed}/{len(lesson.exercises)}</td>{cells}</tr>")
        note = f"<p><b>Note:</b> {html.escape(self.note)}</p>" if self.note else ""
        return (f"<div><p><b>Exercises passed: {self.passed} of {self.total}</b> "
                f"({html.escape(self._where())})</p>{note}"
                "<table><caption>lessons × exercises</caption>" + "".join(rows) + "</table>"
                "<p>✔ passed; ✘ tried, not passed yet; · not tried</p></div>")


def progress(path: Path | str | None = None) -> Progress:
    """The learner's progress: every exercise of the course, with what the file says about it.
    Reading never writes."""
    where = Path(path) if path is not None else progress_path()
    seen, note = _read(where, move_aside=False) if where is not None else ({}, "")
    lessons = []
    for module, ids in catalogue().items():
        statuses = tuple(ExerciseStatus(i, n, bool(seen.get(i, {}).get("passed")), i in seen)
                         for n, i in enumerate(ids, 1))
        lessons.append(LessonProgress(module.rsplit(".", 1)[1], statuses))
    return Progress(where, tuple(lessons), note)
