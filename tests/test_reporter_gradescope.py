"""``--gradescope PATH``: a results.json in the layout of Gradescope's autograder specifications."""

from __future__ import annotations

import json
from types import SimpleNamespace

import pytest

from grader.cli import main
from grader.reporters import gradescope
from grader.results import CheckResult, ExerciseResult, Report, Session
from tests.gradescope_format import validate
from tests.toy_runs import PLUGINS, grade_toys


@pytest.fixture(scope="module")
def reports(tmp_path_factory):
    return {
        broken: grade_toys(tmp_path_factory.mktemp("broken" if broken else "correct"), broken)
        for broken in (False, True)
    }


def write(report, tmp_path, **options):
    path = tmp_path / "results.json"
    args = SimpleNamespace(gradescope=path, **options)
    gradescope.grader_report_finish(report=report, args=args)
    assert [p.name for p in tmp_path.iterdir()] == ["results.json"]
    data = json.loads(path.read_text(encoding="utf-8"))
    validate(data)
    return data


def by_name(data):
    return {t["name"]: t for t in data["tests"]}


def test_a_correct_submission_gets_every_point(reports, tmp_path):
    report = reports[False]
    data = write(report, tmp_path)
    assert data["score"] == report.max_score > 0
    assert len(data["tests"]) == sum(len(e.checks) for e in report.exercises)
    assert all(t["status"] == "passed" and t["score"] == t["max_score"] for t in data["tests"])
    assert sum(t["max_score"] for t in data["tests"]) == report.max_score
    assert [t["number"] for t in data["tests"]] == ["1.1", "1.2", "1.3", "2.1"]


def test_a_broken_submission_loses_exactly_its_checks(reports, tmp_path):
    report = reports[True]
    data = write(report, tmp_path)
    tests = by_name(data)
    for exercise in report.exercises:
        for check in exercise.checks:
            test = tests[f"{exercise.name}: {check.name}"]
            assert (test["score"], test["max_score"]) == (check.score, check.max_score)
            assert test["status"] == "failed"
            assert test["extra_data"]["status"] == check.status
            assert test["output"].startswith(check.message.split("\n")[0])
    assert data["score"] == sum(t["score"] for t in data["tests"]) == report.score == 0
    assert tests["toy_b: double"]["extra_data"]["status"] == "timeout"
    assert "Your code printed:\nstudent says" in tests["toy_a: add_one"]["output"]
    assert all(t["output_format"] == "text" for t in data["tests"])  # no student HTML is rendered


def test_visibility_options_and_hidden_checks(tmp_path):
    checks = (
        CheckResult("shown", "f", "passed", 1.0, 1.0),
        CheckResult("secret", "g", "failed", 0.0, 2.0, "g, on x: expected 1, got 2", hidden=True),
    )
    report = Report(Session(("ex",), "s", "cpu"), (ExerciseResult("ex", "Ex", checks, output="printed"),), 1.0)
    data = write(report, tmp_path)
    tests = by_name(data)
    assert tests["ex: shown"]["visibility"] == "visible"
    assert tests["ex: secret"]["visibility"] == "after_published"
    assert "printed" not in tests["ex: secret"]["output"]
    assert "1/3" not in data["output"] and "0/2" not in data["output"]  # totals would reveal the hidden check
    data = write(report, tmp_path, gradescope_visibility="after_due_date", gradescope_hidden_visibility="hidden")
    tests = by_name(data)
    assert data["visibility"] == tests["ex: shown"]["visibility"] == "after_due_date"
    assert tests["ex: secret"]["visibility"] == "hidden"


def test_without_hidden_checks_the_output_has_the_scores(reports, tmp_path):
    data = write(reports[True], tmp_path)
    assert data["output"].splitlines() == ["Score: 0/6", "toy_a: 0/4", "toy_b: 0/2"]


def test_long_feedback_is_bounded(tmp_path):
    check = CheckResult("c", "f", "error", 0.0, 1.0, "x" * 10**6)
    report = Report(Session(("ex",), "s", "cpu"), (ExerciseResult("ex", "Ex", (check,)),), 1.0)
    assert len(write(report, tmp_path)["tests"][0]["output"]) < gradescope.OUTPUT_LIMIT + 100


@pytest.mark.parametrize(
    "argv, phrase",
    [
        (["--gradescope", "/no/such/folder/results.json"], "does not exist"),
        (["--gradescope", "."], "is a folder"),
        (["--gradescope-visibility", "sometimes"], "invalid choice"),
        (["--gradescope-hidden-visibility", "later"], "invalid choice"),
    ],
)
def test_bad_options_are_one_line_and_exit_2(capsys, argv, phrase):
    assert main(["-p", PLUGINS[1], "run", "toy_a", *argv]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("grader: error: ") and phrase in err
