"""The workshop plans in course/plans/ are true to the course: every plan names notebooks and
exercise checks that exist (and that the notebook really calls), its slots fill each day to the
minute, lessons come after the lessons they build on, a whole lesson takes its guide's timing,
and course/README.md shows the plans as they are written."""

from __future__ import annotations

import ast
import json
import re
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml

from kitlib.exercises import capstone
from kitlib.exercises.progress import catalogue

ROOT = Path(__file__).resolve().parents[1]
PLANS = ROOT / "course" / "plans"
README = ROOT / "course" / "README.md"
PLAN_FILES = sorted(p for p in PLANS.glob("*.yaml") if p.name != "lessons.yaml")


@cache
def lessons() -> dict[str, dict[str, Any]]:
    return yaml.safe_load((PLANS / "lessons.yaml").read_text())["lessons"]


@cache
def plan(name: str) -> dict[str, Any]:
    return yaml.safe_load((PLANS / name).read_text())


def minutes(clock: str) -> int:
    hours, mins = clock.split(":")
    return int(hours) * 60 + int(mins)


def clock(total: int) -> str:
    return f"{total // 60:02d}:{total % 60:02d}"


def lesson_slots(p: dict[str, Any]) -> list[dict[str, Any]]:
    return [slot for day in p["days"] for slot in day["slots"] if "lesson" in slot]


def notebook_cells(path: Path) -> list[dict[str, Any]]:
    return json.loads(path.read_text(encoding="utf-8"))["cells"]


def headings(path: Path) -> set[str]:
    """The notebook's section titles (its markdown ``## `` headings)."""
    return {line[3:].strip() for cell in notebook_cells(path) if cell["cell_type"] == "markdown"
            for line in "".join(cell["source"]).splitlines() if line.startswith("## ")}


def called_checks(path: Path) -> set[str]:
    """Every ``kitlib.exercises`` function a notebook's code calls, by its full id, however the
    module was imported (``from kitlib.exercises import lesson01 as ex`` then ``ex.check_spread(...)``)."""
    aliases: dict[str, str] = {}
    calls: set[str] = set()
    for cell in notebook_cells(path):
        if cell["cell_type"] != "code" or "".join(cell["source"]).startswith("%%"):
            continue  # a cell magic's body (%%kubectl's YAML) is not Python
        source = "\n".join(line for line in "".join(cell["source"]).splitlines()
                           if not line.lstrip().startswith(("%", "!")))
        tree = ast.parse(source)
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("kitlib.exercises"):
                for name in node.names:
                    aliases[name.asname or name.name] = f"{node.module}.{name.name}"
            elif isinstance(node, ast.Import):
                for name in node.names:
                    if name.name.startswith("kitlib.exercises") and name.asname:
                        aliases[name.asname] = name.name
        for node in ast.walk(tree):
            if isinstance(node, ast.Call):
                func = node.func
                if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) and func.value.id in aliases:
                    calls.add(dispatched(f"{aliases[func.value.id]}.{func.attr}", node))
                elif isinstance(func, ast.Name) and func.id in aliases:
                    calls.add(aliases[func.id])
    return calls


def dispatched(ident: str, call: ast.Call) -> str:
    """The capstone's ``capstone.check(n, cluster)`` runs scenario n's own check: that check's id."""
    if ident == "kitlib.exercises.capstone.check" and call.args and isinstance(call.args[0], ast.Constant):
        check = capstone.scenario(call.args[0].value).check
        return f"{check.__module__}.{check.__name__}"
    return ident


def check_lesson_slot(slot: dict[str, Any], name: str) -> None:
    """One lesson slot: its notebook, exercises, minutes and parts."""
    lesson = lessons()[slot["lesson"]]
    where = f"{name}: lesson {slot['lesson']}"
    assert slot["notebook"] == lesson["notebook"], where
    notebook = ROOT / slot["notebook"]
    assert notebook.is_file(), f"{where}: {slot['notebook']} does not exist"
    assert sum(slot["parts"].values()) == slot["minutes"], f"{where}: teach + lab + exercises != minutes"
    checks = catalogue()
    known = {ident for ids in checks.values() for ident in ids}
    called = called_checks(notebook)
    for ident in slot["exercises"]:
        assert ident in known, f"{where}: {ident} is not an exercise check in kitlib.exercises"
        assert ident in called, f"{where}: {slot['notebook']} never calls {ident}"
    all_checks = [i for i in called if i in known]
    if "skip" not in slot:  # the whole lesson: the guide's timing, every exercise
        assert (slot["minutes"], slot["parts"]) == (lesson["minutes"], lesson["parts"]), where
        assert sorted(slot["exercises"]) == sorted(all_checks), f"{where}: a whole lesson poses every exercise"
    else:
        assert slot["minutes"] < lesson["minutes"], f"{where}: a shortened lesson takes less than the whole"
        missing = set(slot["skip"]) - headings(notebook)
        assert not missing, f"{where}: no such sections in the notebook: {sorted(missing)}"


@pytest.mark.parametrize("path", PLAN_FILES, ids=lambda p: p.name)
def test_each_day_is_filled_to_the_minute(path):
    """The slots of each day add up to the time from its start to its end."""
    p = plan(path.name)
    assert p["days"], path.name
    for number, day in enumerate(p["days"], 1):
        length = minutes(day["end"]) - minutes(day["start"])
        assert sum(slot["minutes"] for slot in day["slots"]) == length, f"{path.name}, day {number}"
        for slot in day["slots"]:
            assert sum(k in slot for k in ("lesson", "break", "activity")) == 1, slot


@pytest.mark.parametrize("path", PLAN_FILES, ids=lambda p: p.name)
def test_plans_name_notebooks_and_checks_that_exist(path):
    """Every lesson slot names its lesson's notebook, and exercise checks that exist in
    kitlib.exercises and that the notebook calls; a whole lesson takes its guide's minutes."""
    slots = lesson_slots(plan(path.name))
    assert slots
    for slot in slots:
        check_lesson_slot(slot, path.name)


def prerequisites_hold(order: list[str], assumes: list[str]) -> list[str]:
    """The lessons taught before a lesson they need (none: the order respects the prerequisites)."""
    problems = []
    for at, number in enumerate(order):
        for need in lessons()[number]["needs"]:
            if need not in order[:at] and need not in assumes:
                problems.append(f"{number} needs {need}")
    return problems


@pytest.mark.parametrize("path", PLAN_FILES, ids=lambda p: p.name)
def test_lessons_come_after_what_they_build_on(path):
    """A lesson comes after the lessons it needs (lessons.yaml), or the plan assumes them."""
    p = plan(path.name)
    assert prerequisites_hold([s["lesson"] for s in lesson_slots(p)], p.get("assumes", [])) == []


def test_prerequisites_catch_a_wrong_order():
    """The order check is not vacuous: the Gateway API before Ingress is refused."""
    assert prerequisites_hold(["00", "01", "02", "03", "08", "06"], []) == ["08 needs 06"]
    assert prerequisites_hold(["08"], ["00", "01", "02", "03", "06"]) == []


OPTIONAL = [(path, i) for path in PLAN_FILES for i, _ in enumerate(plan(path.name).get("optional", []))]


@pytest.mark.parametrize("path,index", OPTIONAL, ids=lambda v: v.name if isinstance(v, Path) else str(v))
def test_optional_blocks_fit_once_their_notebook_exists(path, index):
    """An optional block (the capstone) replaces a slot of the same length; once its notebook
    exists, it is checked like any lesson, at the place it takes in the plan."""
    p = plan(path.name)
    block = p["optional"][index]
    slot = block["slot"]
    slots = [s for day in p["days"] for s in day["slots"]]
    replaced = next(s for s in slots if block["replaces"] in (s.get("lesson"), s.get("activity")))
    assert replaced["minutes"] == slot["minutes"], f"{path.name}: {block['name']} changes the day's length"
    if not (ROOT / slot["notebook"]).is_file():
        pytest.skip(f"{slot['notebook']} does not exist yet")
    check_lesson_slot(slot, f"{path.name} ({block['name']})")
    base = [s["lesson"] for s in lesson_slots(p)]
    if block.get("after"):  # the replaced lesson goes; the block comes after the lesson named
        order = [n for n in base if n != replaced.get("lesson")]
        order.insert(order.index(block["after"]) + 1, slot["lesson"])
    else:  # in the replaced slot's place
        at = slots.index(replaced)
        order = ([s["lesson"] for s in slots[:at] if "lesson" in s] + [slot["lesson"]]
                 + [s["lesson"] for s in slots[at + 1:] if "lesson" in s])
    assert prerequisites_hold(order, p.get("assumes", [])) == []


GUIDE_TIMING = re.compile(r"^## Timing \((\d+) min\)$", re.M)
TABLE_ROW = re.compile(r"^\| (\d+)–(\d+) \|", re.M)


@pytest.mark.parametrize("number", sorted(lessons()))
def test_lesson_minutes_are_the_guides(number):
    """lessons.yaml's minutes are the guide's: its "## Timing (N min)" heading, whose table of
    minutes runs from 0 to N without a gap, and the syllabus's "Timing: teach, lab, exercises"."""
    lesson = lessons()[number]
    guide = ROOT / lesson["guide"]
    if not guide.is_file() and not (ROOT / lesson["notebook"]).is_file():
        pytest.skip(f"{lesson['notebook']} does not exist yet")  # the capstone, being written
    text = guide.read_text()
    assert [int(m) for m in GUIDE_TIMING.findall(text)] == [lesson["minutes"]], lesson["guide"]
    timing = text[text.index("## Timing"):]
    timing = timing[:timing.find("\n## ", 3)]
    rows = [(int(a), int(b)) for a, b in TABLE_ROW.findall(timing)]
    assert rows and rows[0][0] == 0 and rows[-1][1] == lesson["minutes"], lesson["guide"]
    assert all(prev[1] == row[0] for prev, row in zip(rows, rows[1:], strict=False)), f"{lesson['guide']}: a gap in the minutes"
    assert sum(lesson["parts"].values()) == lesson["minutes"]
    if number != "09":
        parts = lesson["parts"]
        line = (f"Notebook: `{lesson['notebook']}`. Timing: teach {parts['teach']}, lab {parts['lab']}, "
                f"exercises {parts['exercises']}.")
        assert line in README.read_text(), f"course/README.md should say: {line}"


def exercise_numbers(slot: dict[str, Any]) -> list[int]:
    ids = catalogue()[f"kitlib.exercises.lesson{slot['lesson']}"]
    return sorted(ids.index(i) + 1 for i in slot["exercises"])


def what(slot: dict[str, Any]) -> str:
    if "lesson" not in slot:
        return slot.get("break") or slot["activity"]
    title = f"{slot['lesson']} {lessons()[slot['lesson']]['title']}"
    if "skip" not in slot:
        return title
    numbers = exercise_numbers(slot)
    said = (f"exercise {numbers[0]}" if len(numbers) == 1
            else "exercises " + ", ".join(map(str, numbers[:-1])) + f" and {numbers[-1]}")
    return f"{title}, shortened ({said})"


def schedule(day: dict[str, Any]) -> str:
    """A day of a plan as course/README.md's schedule table shows it."""
    rows, now = ["| Time | What |", "|---|---|"], minutes(day["start"])
    for slot in day["slots"]:
        rows.append(f"| {clock(now)}–{clock(now + slot['minutes'])} | {what(slot)} |")
        now += slot["minutes"]
    return "\n".join(rows)


@pytest.mark.parametrize("path", PLAN_FILES, ids=lambda p: p.name)
def test_readme_schedule_is_the_plan(path):
    """course/README.md shows each day of each plan as the manifest has it, to the minute."""
    readme = README.read_text()
    for day in plan(path.name)["days"]:
        table = schedule(day)
        assert table in readme, f"course/README.md should have this table for {path.name}:\n{table}"


def test_the_one_day_plan_is_the_syllabus_schedule():
    """The schedule right under "## Schedule" is the one-day plan."""
    readme = README.read_text()
    section = readme[readme.index("## Schedule"):]
    first_table = section[section.index("| Time | What |"):]
    first_table = first_table[:first_table.index("\n\n")]
    assert first_table == schedule(plan("one-day.yaml")["days"][0])


def test_exercise_calls_are_found_however_imported(tmp_path):
    """The notebook scan sees module aliases and direct imports, and ignores magics."""
    nb = {"cells": [{"cell_type": "code", "source": ["%load_ext kitlib\n",
                                                      "from kitlib.exercises import lesson01 as ex\n",
                                                      "from kitlib.exercises.lesson02 import check_hello_service\n"]},
                    {"cell_type": "code", "source": ["ex.check_spread(cluster)\n", "check_hello_service(cluster)"]}]}
    path = tmp_path / "n.ipynb"
    path.write_text(json.dumps(nb))
    assert called_checks(path) == {"kitlib.exercises.lesson01.check_spread",
                                   "kitlib.exercises.lesson02.check_hello_service"}
