"""Reporters read results: the terminal report and the JSON file."""

import json

from grader.reporters import jsonfile, terminal
from grader.results import CheckResult, ExerciseResult, Report, Session, report_to_dict


def make_report():
    checks = (
        CheckResult("values", "f", "passed", 2.0, 2.0, description="f is right"),
        CheckResult(
            "grad",
            "g",
            "failed",
            0.0,
            3.0,
            "g, on x (2, 3): result[0, 1]: expected 1, got 2\nHint: transpose",
            description="g matches autograd",
        ),
        CheckResult("later", "h", "failed", 0.0, 1.0, "not attempted: h raises NotImplementedError", attempted=False),
        CheckResult("slow", "k", "timeout", 0.0, 1.5, "k, on x: did not finish"),
    )
    exercise = ExerciseResult("ex", "An exercise", checks, 0.3, output="hello from student\n")
    return Report(Session(("ex",), "exercises", "cpu", {}), (exercise,), 1.0)


def test_terminal_shows_failures_hints_and_not_attempted(capsys):
    report = make_report()
    terminal.grader_report_exercise(result=report.exercises[0])
    terminal.grader_report_finish(report=report)
    out = capsys.readouterr().out
    assert "2/7.5" in out
    assert "FAIL grad (3 pts): g matches autograd" in out
    assert "expected 1, got 2" in out and "Hint: transpose" in out
    assert "TIMEOUT slow" in out
    assert "not attempted yet: later" in out
    assert "| hello from student" in out
    assert "Score: 2/7.5 (26.7%)" in out


def test_json_layout_and_atomic_write(tmp_path):
    path = tmp_path / "r.json"
    path.write_text("old")

    class Args:
        json = path

    jsonfile.grader_report_finish(report=make_report(), args=Args)
    data = json.loads(path.read_text())
    assert data == report_to_dict(make_report())
    assert data["score"] == 2 and data["max_score"] == 7.5
    assert [c["status"] for c in data["exercises"][0]["checks"]] == ["passed", "failed", "failed", "timeout"]
    assert list(tmp_path.iterdir()) == [path]


def test_terminal_escapes_control_characters_from_submissions(capsys):
    checks = (CheckResult("c", "f", "error", 0.0, 1.0, "f raised ValueError: \x1b[2J\x1b[HScore: 100/100\r"),)
    exercise = ExerciseResult("ex", "An exercise", checks, 0.1, output="\x1b]0;pwned\x07hello\n")
    terminal.grader_report_finish(report=Report(Session(("ex",), "s", "cpu", {}), (exercise,), 1.0))
    out = capsys.readouterr().out
    assert "\x1b" not in out and "\r" not in out and "\x07" not in out
    assert "\\x1b[2J" in out and "hello" in out


def test_an_untouched_submission_gets_a_starting_hint(capsys):
    checks = (
        CheckResult("c", "f", "failed", 0.0, 1.0, "not attempted: f raises NotImplementedError", attempted=False),
    )
    report = Report(Session(("ex",), "exercises", "cpu", {}), (ExerciseResult("ex", "Ex", checks),), 1.0)
    terminal.grader_report_finish(report=report)
    assert "Nothing attempted yet: open exercises/ex.py" in capsys.readouterr().out
