"""Grading runs: one bad function costs only its own checks; timing and resume."""

import textwrap

import pytest

from grader.grading import grade, make_cases
from grader.manager import collect_exercises, get_plugin_manager

TOTAL = "import numpy as np\ndef total(x):\n    return float(np.sum(x))\n"


@pytest.fixture(scope="module")
def toy():
    pm = get_plugin_manager(["no:grader.reporters.terminal", "tests.plugins.toy"])
    return pm, collect_exercises(pm)


def grade_toy_a(toy, tmp_path, source):
    pm, exercises = toy
    (tmp_path / "toy_a.py").write_text(textwrap.dedent(source))
    report = grade(pm, [exercises["toy_a"]], tmp_path, "cpu")
    return {c.name: c for c in report.exercises[0].checks}


@pytest.mark.parametrize(
    "bad, status",
    [
        ("def add_one(x):\n    while True:\n        pass\n", "timeout"),
        ("import os\ndef add_one(x):\n    os._exit(1)\n", "error"),
        ("def add_one(x):\n    raise ValueError('nope')\n", "error"),
        ("def add_one(x):\n    return x\n", "failed"),
    ],
)
def test_a_bad_function_costs_only_its_own_check(toy, tmp_path, bad, status):
    checks = grade_toy_a(toy, tmp_path, TOTAL + bad)
    assert checks["add_one"].status == status
    assert checks["total"].status == "passed"
    assert checks["numpy_only"].status == "passed"


def test_grading_resumes_after_a_hang_with_the_next_case(toy, tmp_path):
    source = TOTAL + "def add_one(x):\n    while x.ndim == 1:\n        pass\n    return x + 1\n"
    checks = grade_toy_a(toy, tmp_path, source)
    assert checks["add_one"].status == "timeout"
    assert "[1 of 2 cases failed]" in checks["add_one"].message


def test_static_points_need_working_code(toy, tmp_path):
    checks = grade_toy_a(
        toy,
        tmp_path,
        "def add_one(x):\n    raise NotImplementedError\n\ndef total(x):\n    raise NotImplementedError\n",
    )
    assert checks["numpy_only"].status == "failed" and not checks["numpy_only"].attempted


def test_import_errors_are_reported_for_every_check(toy, tmp_path):
    checks = grade_toy_a(toy, tmp_path, "import numpy as np\ndef add_one(x:\n")
    assert checks["add_one"].status == "error"
    assert "SyntaxError" in checks["add_one"].message
    assert "importing your module" in checks["total"].message


def test_student_frames_are_shown_not_grader_frames(toy, tmp_path):
    checks = grade_toy_a(toy, tmp_path, TOTAL + "def add_one(x):\n    y = x.nope\n")
    message = checks["add_one"].message
    assert "AttributeError" in message and "toy_a.py, line 5, in add_one: y = x.nope" in message
    assert "grader/" not in message


def test_cases_are_deterministic(toy):
    _, exercises = toy
    first = make_cases(exercises["toy_a"])["add_one"][0].inputs["x"]
    again = make_cases(exercises["toy_a"])["add_one"][0].inputs["x"]
    assert (first == again).all()
