"""``--gradescope PATH``: the report as a Gradescope autograder ``results.json``.

The layout is Gradescope's "Autograder Specifications" (output format):
a top-level ``score`` and ``execution_time``, and one entry in ``tests`` per
check with ``name``, ``number``, ``score``, ``max_score``, ``status``
(``passed`` or ``failed``), ``output`` and ``visibility``. The checks' own
statuses (``error``, ``timeout``) and names are kept in each test's
``extra_data``. Every output is declared as plain ``text``, so nothing a
submission prints is rendered as HTML or Markdown.

``--gradescope-visibility`` sets the default visibility of the tests;
checks whose result is marked hidden get ``--gradescope-hidden-visibility``
(``after_published`` unless told otherwise).
"""

from __future__ import annotations

import json
from pathlib import Path

from grader import hookimpl
from grader.reporters._files import check_output_path, write_atomically
from grader.results import CheckResult, ExerciseResult, Report

VISIBILITIES = ("visible", "after_due_date", "after_published", "hidden")
OUTPUT_LIMIT = 8_000  # characters of feedback or printed output per test


@hookimpl
def grader_addoption(parser):
    parser.add_argument(
        "--gradescope", type=Path, default=None, metavar="PATH", help="write a Gradescope results.json to PATH"
    )
    parser.add_argument(
        "--gradescope-visibility",
        choices=VISIBILITIES,
        default="visible",
        help="when students see the tests of --gradescope (default: visible)",
    )
    parser.add_argument(
        "--gradescope-hidden-visibility",
        choices=VISIBILITIES,
        default="after_published",
        help="when students see hidden checks (default: after_published)",
    )


@hookimpl
def grader_configure(args):
    path = getattr(args, "gradescope", None)
    if path is not None:
        check_output_path("--gradescope", path)


@hookimpl
def grader_report_finish(report: Report, args) -> None:
    path = getattr(args, "gradescope", None)
    if path is None:
        return
    data = to_gradescope(
        report,
        visibility=getattr(args, "gradescope_visibility", "visible"),
        hidden_visibility=getattr(args, "gradescope_hidden_visibility", "after_published"),
    )
    write_atomically(path, json.dumps(data, indent=2, ensure_ascii=True) + "\n")


def _num(x: float) -> float | int:
    return int(x) if float(x).is_integer() else round(float(x), 6)


def _bounded(text: str) -> str:
    return text if len(text) <= OUTPUT_LIMIT else text[:OUTPUT_LIMIT] + "\n[... truncated]"


def _output(exercise: ExerciseResult, check: CheckResult) -> str:
    if check.status == "passed":
        return check.description
    lines = [check.message or check.status]
    if exercise.output.strip() and check.attempted and not check.hidden:
        lines += ["", "Your code printed:", exercise.output.rstrip()]
    return _bounded("\n".join(lines))


def _test(number: str, exercise: ExerciseResult, check: CheckResult, visibility: str, hidden: str) -> dict:
    return {
        "name": f"{exercise.name}: {check.name}",
        "number": number,
        "score": _num(check.score),
        "max_score": _num(check.max_score),
        "status": "passed" if check.status == "passed" else "failed",
        "output": _output(exercise, check),
        "output_format": "text",
        "name_format": "text",
        "visibility": hidden if check.hidden else visibility,
        "tags": [exercise.name, check.function],
        "extra_data": {
            "exercise": exercise.name,
            "check": check.name,
            "status": check.status,
            "attempted": check.attempted,
        },
    }


def to_gradescope(report: Report, visibility: str = "visible", hidden_visibility: str = "after_published") -> dict:
    """The report in Gradescope's ``results.json`` layout.

    Args:
        report: The graded run.
        visibility: Visibility of every test whose check is not hidden.
        hidden_visibility: Visibility of the tests of hidden checks.

    Returns:
        A JSON-ready dict.
    """
    tests = [
        _test(f"{i}.{j}", exercise, check, visibility, hidden_visibility)
        for i, exercise in enumerate(report.exercises, start=1)
        for j, check in enumerate(exercise.checks, start=1)
    ]
    if any(c.hidden for e in report.exercises for c in e.checks):  # totals would give hidden results away
        summary = [f"Graded {len(report.exercises)} exercise(s); scores are shown when grades are published."]
    else:
        summary = [f"Score: {report.score:g}/{report.max_score:g}"] + [
            f"{e.name}: {e.score:g}/{e.max_score:g}" + ("" if e.attempted else " (not attempted)")
            for e in report.exercises
        ]
    return {
        "score": _num(report.score),
        "execution_time": int(round(report.seconds)),
        "output": "\n".join(summary),
        "output_format": "text",
        "test_output_format": "text",
        "test_name_format": "text",
        "visibility": visibility,
        "stdout_visibility": "hidden",
        "tests": tests,
        "extra_data": {"max_score": _num(report.max_score), "device": report.session.device},
    }
