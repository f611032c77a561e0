"""The terminal report: progress while grading, then what to fix."""

from __future__ import annotations

import os
import sys

from grader import hookimpl
from grader.results import ExerciseResult, Report, Session
from grader.text import REPORT_LIMIT, bound

_MARKS = {"passed": "ok", "failed": "FAIL", "error": "ERROR", "timeout": "TIMEOUT"}


class _Style:
    def __init__(self, stream) -> None:
        self.on = hasattr(stream, "isatty") and stream.isatty() and "NO_COLOR" not in os.environ

    def __call__(self, text: str, code: str) -> str:
        return f"\033[{code}m{text}\033[0m" if self.on else text


def _out(text: str = "") -> None:
    try:
        print(text, file=sys.stdout, flush=True)
    except UnicodeEncodeError:  # a terminal that cannot show some character
        encoding = getattr(sys.stdout, "encoding", None) or "ascii"
        print(text.encode(encoding, "backslashreplace").decode(encoding), file=sys.stdout, flush=True)


def _lines(text: str) -> list[str]:
    """Student text as lines for the terminal: bounded, with no character that drives it."""
    return bound(text, REPORT_LIMIT, newlines=True).split("\n")


@hookimpl
def grader_report_start(session: Session) -> None:
    style = _Style(sys.stdout)
    count = len(session.exercises)
    folder = bound(session.submission)  # a folder name may come from a student
    _out(style(f"Grading {count} exercise{'s' * (count != 1)} in {folder}/ on {session.device}", "1"))
    missing = [name for name, active in session.protections.items() if not active]
    if not missing:
        _out(f"Sandbox: all {len(session.protections)} protections active")
    else:
        active = [name for name, on in session.protections.items() if on]
        _out(style(f"Sandbox: NOT active: {', '.join(missing)}", "33"))
        _out(f"         active: {', '.join(active) or 'none'}")
        if session.note:
            _out(f"         ({session.note})")
    if session.provenance:
        _out(style(f"Note: {session.provenance}", "33"))
    _out()


@hookimpl
def grader_report_exercise(result: ExerciseResult) -> None:
    style = _Style(sys.stdout)
    score = f"{result.score:g}/{result.max_score:g}"
    if not result.attempted:
        state = style("not attempted", "2")
    elif result.score == result.max_score:
        state = style("all passed", "32")
    else:
        failed = sum(c.status != "passed" and c.attempted for c in result.checks)
        state = style(f"{failed} check{'s' * (failed != 1)} to fix", "31")
    _out(f"  {result.name:<16} {score:>7}   {state:<24} {result.seconds:5.1f} s")


@hookimpl
def grader_report_finish(report: Report) -> None:
    style = _Style(sys.stdout)
    for exercise in report.exercises:
        if exercise.notes:
            _out()
            _out(style(f"{exercise.name}: notes on your submission", "1"))
            for note in exercise.notes:
                _out(f"  - {bound(note, REPORT_LIMIT)}")
        if not exercise.attempted or exercise.score == exercise.max_score:
            continue
        _out()
        _out(style(f"{exercise.name}: {exercise.score:g}/{exercise.max_score:g}  {exercise.title}", "1"))
        skipped = []
        for check in exercise.checks:
            if check.status == "passed":
                continue
            if not check.attempted:
                skipped.append(check.name)
                continue
            mark = style(_MARKS[check.status], "31")
            _out(f"  {mark} {check.name} ({check.max_score:g} pts): {check.description}")
            for line in _lines(check.message):
                _out(f"      {line}")
        if skipped:
            _out(style(f"  not attempted yet: {', '.join(skipped)}", "2"))
        if exercise.output.strip():
            _out("  your code printed:")
            for line in _lines(exercise.output.strip())[:20]:
                _out(f"      | {line}")
    if report.exercises and not any(e.attempted for e in report.exercises):
        _out()
        first = report.exercises[0].name
        _out(f"Nothing attempted yet: open {bound(report.session.submission)}/{first}.py, replace a")
        _out(f"'raise NotImplementedError' with your code, then run 'tox -e grade -- {first}'.")
    _out()
    if report.session.scope:
        _out(f"Public checks {report.score:g}/{report.max_score:g}; {report.session.scope}.")
    total = f"Score: {report.score:g}/{report.max_score:g} ({report.percent:.1f}%)"
    _out(style(total, "1") + f"   in {report.seconds:.1f} s")
