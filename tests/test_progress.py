"""Learners' progress: each exercise check's result lands in a small local JSON file, only inside a
Jupyter kernel, and ``kitlib.progress()`` reads it back as lessons × exercises passed."""

from __future__ import annotations

import json
import re
import sys
import types
from pathlib import Path

import pytest

import kitlib
from kitlib.exercises import lesson01, progress
from kitlib.exercises.progress import ENV, FILE, catalogue, exercise, progress_path, record


@pytest.fixture
def fake_kernel(monkeypatch):
    """An IPython with a running kernel, as ipykernel's shell has (``shell.kernel``)."""
    shell = types.SimpleNamespace(kernel=object())
    fake = types.ModuleType("IPython")
    fake.get_ipython = lambda: shell  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "IPython", fake)
    return shell


@pytest.fixture
def progress_file(tmp_path, monkeypatch):
    path = tmp_path / "p.json"
    monkeypatch.setenv(ENV, str(path))
    return path


def test_a_check_in_a_kernel_records_its_result(fake_kernel, progress_file):
    """A check answered in a kernel writes (exercise id, passed, time) into the progress file."""
    cluster = kitlib.Cluster(nodes=3, seed=0)
    feedback = lesson01.check_spread(cluster)
    assert not feedback.passed
    data = json.loads(progress_file.read_text())
    entry = data["exercises"]["kitlib.exercises.lesson01.check_spread"]
    assert entry["passed"] is False and entry["last_passed"] is False and entry["attempts"] == 1
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", entry["last_time"])


def test_a_pass_is_kept_when_a_later_run_fails(tmp_path):
    """Restart Kernel and Run All runs the checks before the exercise is redone: a pass stays."""
    path = tmp_path / "p.json"
    record("kitlib.exercises.lesson01.check_spread", True, path, now="2026-12-05T10:00:00Z")
    record("kitlib.exercises.lesson01.check_spread", False, path, now="2026-12-05T11:00:00Z")
    entry = json.loads(path.read_text())["exercises"]["kitlib.exercises.lesson01.check_spread"]
    assert entry == {"attempts": 2, "first_passed": "2026-12-05T10:00:00Z", "last_passed": False,
                     "last_time": "2026-12-05T11:00:00Z", "passed": True}


def test_progress_reads_lessons_by_exercises(tmp_path):
    """kitlib.progress() lists every lesson's exercises in order, with passed / tried / not tried."""
    path = tmp_path / "p.json"
    record("kitlib.exercises.lesson01.check_spread", True, path)
    record("kitlib.exercises.lesson01.check_new_ip", False, path)
    summary = kitlib.progress(path)
    lesson = next(x for x in summary.lessons if x.lesson == "lesson01")
    assert [(e.number, e.name, e.mark) for e in lesson.exercises] == [
        (1, "spread", "✔"), (2, "cross_node", "·"), (3, "new_ip", "✘"), (4, "node_failure", "·")]
    assert summary.passed == 1 and summary.total == sum(len(ids) for ids in catalogue().values())
    text = str(summary)
    assert text.startswith(f"Exercises passed: 1 of {summary.total} (kept in {path}, on this computer only;")
    assert "lesson01  1/4  ✔ 1 spread  · 2 cross_node  ✘ 3 new_ip  · 4 node_failure" in text
    assert "<th scope='row'>lesson01</th><td>1/4</td><td title='passed'>✔ 1 spread</td>" in summary._repr_html_()


def test_exercise_numbers_follow_the_lessons(tmp_path):
    """Each lesson check's number in the summary is the 'Exercise N' its docstring poses."""
    for module, ids in catalogue().items():
        if not re.fullmatch(r"kitlib\.exercises\.lesson\d\d", module):
            continue  # the capstone numbers its scenarios its own way
        for number, ident in enumerate(ids, 1):
            check = getattr(sys.modules[module], ident.rsplit(".", 1)[1])
            assert (check.__doc__ or "").startswith(f"Exercise {number}:"), ident


def test_a_check_inside_a_check_records_only_the_outer_one(fake_kernel, progress_file):
    """A check that re-checks another exercise (a capstone reusing a lesson's check) records only
    the exercise the learner ran."""
    outer = exercise(lambda cluster: lesson01.check_spread(cluster))
    outer(kitlib.Cluster(nodes=3, seed=0))
    assert list(json.loads(progress_file.read_text())["exercises"]) == [f"{__name__}.<lambda>"]
    assert all(module.startswith("kitlib.exercises.") for module in catalogue())


def test_a_corrupt_file_is_tolerated_and_started_afresh(tmp_path):
    """Reading a broken file shows no progress and a note; the next result moves it aside."""
    path = tmp_path / "p.json"
    path.write_text("{not json")
    summary = kitlib.progress(path)
    assert summary.passed == 0
    assert summary.note == ("p.json is not a progress file; the next check that answers starts it afresh "
                            "and keeps the old one as p.json.corrupt")
    assert "Note: p.json is not a progress file" in str(summary)
    assert path.read_text() == "{not json"  # reading never writes
    record("kitlib.exercises.lesson01.check_spread", True, path)
    assert (tmp_path / "p.json.corrupt").read_text() == "{not json"
    assert kitlib.progress(path).passed == 1 and kitlib.progress(path).note == ""


@pytest.mark.parametrize("content", ['{"exercises": []}', '{"exercises": {"x": {"passed": "yes"}}}', "[]"])
def test_json_of_another_shape_counts_as_corrupt(tmp_path, content):
    path = tmp_path / "p.json"
    path.write_text(content)
    assert kitlib.progress(path).note.startswith("p.json is not a progress file")


def test_nothing_is_written_outside_a_kernel(tmp_path, monkeypatch):
    """In plain Python and pytest a check records nothing by default."""
    monkeypatch.setenv(ENV, str(tmp_path / "p.json"))
    lesson01.check_spread(kitlib.Cluster(nodes=3, seed=0))
    assert record("kitlib.exercises.lesson01.check_spread", True) is None
    assert list(tmp_path.iterdir()) == []


def test_off_records_nothing_even_in_a_kernel(fake_kernel, monkeypatch, tmp_path):
    monkeypatch.setenv(ENV, "off")
    monkeypatch.chdir(tmp_path)
    assert progress_path() is None
    assert record("kitlib.exercises.lesson01.check_spread", True) is None
    assert "not kept ($KITLIB_PROGRESS=off)" in str(kitlib.progress())


def test_the_file_lives_in_the_checkouts_work_folder_or_home(monkeypatch, tmp_path):
    """In a checkout: work/.kitlib-progress.json beside the learner's copies; without one: ~."""
    monkeypatch.delenv(ENV, raising=False)
    checkout = tmp_path / "course"
    (checkout / "notebooks").mkdir(parents=True)
    monkeypatch.setattr(progress, "course_root", lambda: checkout)
    assert progress_path() == checkout / "work" / FILE
    monkeypatch.setattr(progress, "course_root", lambda: tmp_path / "site-packages")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert progress_path() == Path(tmp_path / "home" / FILE)


def test_an_unwritable_place_never_breaks_a_check(fake_kernel, monkeypatch, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("")
    monkeypatch.setenv(ENV, str(blocker / "p.json"))  # a folder that is a file
    feedback = lesson01.check_spread(kitlib.Cluster(nodes=3, seed=0))
    assert not feedback.passed


def test_in_jupyterlite_the_file_is_on_the_drive(monkeypatch, tmp_path):
    """In a Pyodide kernel without a checkout, progress goes to the file browser's drive, which
    every lesson's kernel shares, not to the kernel's home folder in memory."""
    monkeypatch.delenv(ENV, raising=False)
    monkeypatch.setattr(progress, "course_root", lambda: tmp_path / "site-packages")
    monkeypatch.setattr(progress, "DRIVE", tmp_path / "drive")
    (tmp_path / "drive").mkdir()
    monkeypatch.setattr(sys, "platform", "emscripten")
    assert progress_path() == tmp_path / "drive" / FILE


def test_the_start_page_ends_with_the_progress_cell():
    """Lesson 00's last cell shows the progress; its output is the learner's, so nbval does not
    compare it (no nbval-check-output tag, no stored output)."""
    notebook = json.loads((Path(__file__).parents[1] / "notebooks" / "00-start-here.ipynb").read_text())
    last = notebook["cells"][-1]
    assert "".join(last["source"]) == "kitlib.progress()"
    assert last["outputs"] == [] and "nbval-check-output" not in last["metadata"].get("tags", [])


def test_a_check_in_a_real_jupyter_kernel_records(tmp_path, monkeypatch):
    """The same check, run by a real ipykernel (as JupyterLab runs a lesson), writes the file."""
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    path = tmp_path / "p.json"
    monkeypatch.setenv(ENV, str(path))  # the kernel inherits it (the root conftest sets "off")
    monkeypatch.setenv("PYTHONPATH", str(Path(__file__).parents[1]))
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(
        "import kitlib\nfrom kitlib.exercises import lesson01 as ex\n"
        "ex.check_spread(kitlib.Cluster(nodes=3, seed=0))")])
    nbclient.NotebookClient(nb, timeout=120, kernel_name="python3").execute()
    entry = json.loads(path.read_text())["exercises"]["kitlib.exercises.lesson01.check_spread"]
    assert entry["attempts"] == 1 and entry["passed"] is False
