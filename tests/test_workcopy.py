"""The learner's copies: ``make lab`` and Binder open ``work/``, so saving never dirties the lessons.

A learner who saves lesson 01 in JupyterLab must not change ``notebooks/01-pod-network.ipynb``
(it grew from 30 to 206 KB that way, and reopened with "Error displaying widget: model not found").
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from tornado.web import HTTPError

from kitlib import workcopy

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def course(tmp_path: Path) -> Path:
    """A course checkout with two lessons."""
    (tmp_path / "notebooks").mkdir()
    for name in ("00-start-here.ipynb", "01-pod-network.ipynb"):
        shutil.copyfile(ROOT / "notebooks" / name, tmp_path / "notebooks" / name)
    return tmp_path


def test_work_copies_are_made_once_and_never_overwritten(course: Path):
    """The first run copies every lesson; a later run leaves the learner's edits alone."""
    made = workcopy.work_copies(course)
    assert [p.name for p in made] == ["00-start-here.ipynb", "01-pod-network.ipynb"]
    (course / "work" / "01-pod-network.ipynb").write_text("my notes")
    assert workcopy.work_copies(course) == []
    assert (course / "work" / "01-pod-network.ipynb").read_text() == "my notes"


def test_reset_puts_one_lesson_back(course: Path):
    """``reset_lesson(1)`` (or ``make reset LESSON=01``) restores the lesson as shipped, and only it."""
    workcopy.work_copies(course)
    for name in ("00-start-here.ipynb", "01-pod-network.ipynb"):
        (course / "work" / name).write_text("edited")
    assert workcopy.reset_lesson("01", course) == course / "work" / "01-pod-network.ipynb"
    assert (course / "work" / "01-pod-network.ipynb").read_bytes() == (course / "notebooks" / "01-pod-network.ipynb").read_bytes()
    assert (course / "work" / "00-start-here.ipynb").read_text() == "edited"
    assert workcopy.reset_lesson("00-start-here.ipynb", course).read_bytes() == (
        course / "notebooks" / "00-start-here.ipynb").read_bytes()


def test_reset_of_an_unknown_lesson_names_the_lessons(course: Path):
    with pytest.raises(ValueError, match="no lesson '7': the lessons are 00-start-here.ipynb, 01-pod-network.ipynb"):
        workcopy.reset_lesson("7", course)
    with pytest.raises(ValueError, match="no lesson 'web'"):
        workcopy.reset_lesson("web", course)


def _saved_lab_notebook() -> dict:
    return {"cells": [{"cell_type": "code", "source": "lab", "metadata": {}, "execution_count": 3, "outputs": [
        {"output_type": "stream", "name": "stdout", "text": "NAME READY\n"},
        {"output_type": "display_data", "metadata": {}, "data": {
            "text/plain": "VBox(children=(HBox(...)))",
            "application/vnd.jupyter.widget-view+json": {"model_id": "abc", "version_major": 2, "version_minor": 0}}},
    ]}], "metadata": {"widgets": {"application/vnd.jupyter.widget-state+json": {"state": {}}}}, "nbformat": 4,
        "nbformat_minor": 5}


def test_a_saved_lab_says_to_run_the_cell_again_and_keeps_the_text():
    """A widget's model lives in the kernel that drew it: the saved output becomes a sentence."""
    nb = _saved_lab_notebook()
    assert workcopy.strip_widget_views(nb) == 1
    outputs = nb["cells"][0]["outputs"]
    assert outputs[0]["text"] == "NAME READY\n"
    assert outputs[1]["data"] == {"text/plain": "A live lab was here: run this cell again to show it."}
    assert "widgets" not in nb["metadata"]


def test_the_server_refuses_saves_into_the_lessons_and_strips_saves_in_work(monkeypatch):
    """The pre-save hook answers a save into notebooks/ with the reason, shown by JupyterLab."""
    monkeypatch.delenv(workcopy.EDIT_LESSONS, raising=False)
    model = {"type": "notebook", "content": _saved_lab_notebook()}
    with pytest.raises(HTTPError) as err:
        workcopy.pre_save_hook(model=model, path="notebooks/01-pod-network.ipynb", contents_manager=None)
    assert err.value.status_code == 403
    assert "work on work/01-pod-network.ipynb" in err.value.log_message
    workcopy.pre_save_hook(model=model, path="work/01-pod-network.ipynb", contents_manager=None)
    assert "application/vnd.jupyter.widget-view+json" not in json.dumps(model)
    monkeypatch.setenv(workcopy.EDIT_LESSONS, "1")
    workcopy.pre_save_hook(model={"type": "notebook", "content": _saved_lab_notebook()},
                           path="notebooks/01-pod-network.ipynb", contents_manager=None)


def test_make_lab_and_binder_open_the_work_copy_with_the_course_settings():
    """Both start JupyterLab at the checkout's root (course/ reachable), on work/00-start-here,
    with the server configuration that names the hook, and no news pop-up."""
    from traitlets.utils.importstring import import_item

    makefile = (ROOT / "Makefile").read_text()
    assert re.search(r"^START_NOTEBOOK \?= work/00-start-here\.ipynb$", makefile, re.M)
    assert "--ServerApp.root_dir=$(CURDIR)" in makefile and "python -m kitlib.workcopy" in makefile
    post_build = (ROOT / "binder" / "postBuild").read_text()
    assert "python -m kitlib.workcopy" in post_build and "jupyter_server_config.json ~/.jupyter/" in post_build
    config = json.loads((ROOT / "binder" / "jupyter_server_config.json").read_text())
    assert import_item(config["ContentsManager"]["pre_save_hook"]) is workcopy.pre_save_hook
    overrides = json.loads((ROOT / "binder" / "overrides.json").read_text())
    assert overrides["@jupyterlab/apputils-extension:notification"]["fetchNews"] == "false"
    for doc in ("README.md", "course/README.md"):
        links = re.findall(r"urlpath=lab/tree/(\S+?\.ipynb)", (ROOT / doc).read_text())
        assert links and all(link == "work/00-start-here.ipynb" for link in links), (doc, links)
    assert "/work/" in (ROOT / ".gitignore").read_text().splitlines()
