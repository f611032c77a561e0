"""What the batch leaves for people: ``grades.csv`` and one JSON report per student."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from pathlib import Path

from grader.batch.files import display_name, file_stem, stored_name
from grader.batch.gradebook import Gradebook
from grader.reporters._files import write_atomically
from grader.results import Report, Session, report_to_dict

_FORMULA = ("=", "+", "-", "@", "\t", "\r")


def student_report(book: Gradebook, student: str, exercises: Sequence[str], device: str = "") -> Report:
    """A student's report, rebuilt from the gradebook (all their exercises, whenever graded)."""
    results = tuple(book.results(student, exercises))
    session = Session(exercises=tuple(r.name for r in results), submission=display_name(student), device=device)
    return Report(session=session, exercises=results, seconds=sum(r.seconds for r in results))


def write_reports(book: Gradebook, out: Path, students: Sequence[str], exercises: Sequence[str]) -> dict[str, Report]:
    """``out/reports/<student>.json`` in the command-line contract's layout, plus the student's name."""
    folder = out / "reports"
    folder.mkdir(exist_ok=True)
    reports = {}
    for student in students:
        report = student_report(book, student, exercises)
        reports[student] = report
        data = {"student": display_name(student), **report_to_dict(report)}
        write_atomically(folder / f"{file_stem(student)}.json", json.dumps(data, indent=2, ensure_ascii=False) + "\n")
    return reports


def write_csv(path: Path, reports: dict[str, Report], exercises: Sequence[str]) -> None:
    """``grades.csv``: a row per student, a column per exercise, the total (points, then percent)."""
    buffer = io.StringIO()
    # CSV's own line ending: a name holding a lone carriage return is quoted, so it cannot end a row.
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(["student", *exercises, "total", "max_score", "percent"])
    for student, report in reports.items():
        scores = {e.name: e.score for e in report.exercises}
        writer.writerow(
            [
                _cell(stored_name(student)),
                *(_number(scores[name]) if name in scores else "" for name in exercises),
                _number(report.score),
                _number(report.max_score),
                f"{report.percent:.1f}",
            ]
        )
    write_atomically(path, buffer.getvalue())


def _cell(text: str) -> str:
    """Text a spreadsheet shows as text, never runs as a formula."""
    return "'" + text if text.startswith(_FORMULA) else text


def _number(x: float) -> str:
    return f"{x:g}"
