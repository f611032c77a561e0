"""What the autograded test cells of an exported notebook run, in the notebook's kernel.

A test cell calls :func:`check`. The first call in a kernel copies the
notebook file as saved on disk (``<exercise>.ipynb`` in the kernel's working
folder, which is the notebook's folder under Jupyter and under ``nbgrader
autograde``) into a temporary folder and runs ``python -I -m grader run
<exercise> --submission TMP --json REPORT`` on it: the student's code is
graded in the grader's sandbox, in a fresh process, never in this kernel.
The report is kept for the kernel's lifetime, keyed by the notebook's
content, so each later test cell only looks its check up; saving a changed
notebook grades it again.

The kernel itself is not trusted: the student's cells ran in it before the
test cells and may have replaced anything here. The grade of record comes
from ``python -m grader run --submission`` over the submitted notebooks (see
the instructors guide, "nbgrader").
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

TIMEOUT = 600.0
_MARKS = {"failed": "FAIL", "error": "ERROR", "timeout": "TIMEOUT"}
_reports: dict[tuple[str, str], dict] = {}


def check(
    exercise: str, name: str, points: float, description: str = "", notebook: str | os.PathLike | None = None
) -> None:
    """Pass silently (printing ``ok``) when check ``name`` passed; raise otherwise.

    Args:
        exercise: The exercise, e.g. ``"pooling"``.
        name: The check's name.
        points: The points the test cell is worth in nbgrader; must be the
            check's points in the installed grader.
        description: What the check proves (shown when it fails).
        notebook: The notebook file; ``<exercise>.ipynb`` in the working
            folder by default.

    Raises:
        AssertionError: the check failed; the message is the feedback of
            the terminal report.
        RuntimeError: the grader could not grade the notebook.
    """
    path = Path(notebook if notebook is not None else f"{exercise}.ipynb").resolve()
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise RuntimeError(f"cannot read the notebook {path}: {exc.strerror}; save it under that name") from None
    key = (str(path), hashlib.sha256(data).hexdigest())
    if key not in _reports:
        _reports.clear()
        _reports[key] = _grade(exercise, data)
    report = _reports[key]
    found = [e for e in report.get("exercises", []) if e.get("name") == exercise]
    checks = [c for c in (found[0].get("checks", []) if found else []) if c.get("name") == name]
    if not checks:
        raise RuntimeError(f"the grader has no check {name!r} in exercise {exercise!r}: re-export the course")
    result = checks[0]
    if float(result["max_score"]) != float(points):
        raise RuntimeError(
            f"check {name!r} is worth {result['max_score']} points in the grader but {points} in this "
            "notebook: re-export the course"
        )
    if result["status"] == "passed":
        print(f"ok {name} ({points:g} pts)")
        return
    raise AssertionError(feedback(result, description))


def feedback(result: dict, description: str = "") -> str:
    """The terminal report's lines for one check that did not pass."""
    mark = _MARKS.get(result.get("status"), "FAIL")
    head = f"{mark} {result['name']} ({float(result['max_score']):g} pts)"
    lines = [f"{head}: {description}" if description else head]
    lines += [f"    {line}" for line in str(result.get("message", "")).split("\n")]
    return "\n".join(lines)


def _grade(exercise: str, data: bytes) -> dict:
    with tempfile.TemporaryDirectory(prefix="grader-nb-") as folder:
        submission = Path(folder, "submission")
        submission.mkdir()
        (submission / f"{exercise}.ipynb").write_bytes(data)
        report = Path(folder, "report.json")
        command = [
            sys.executable,
            "-I",
            "-m",
            "grader",
            "run",
            exercise,
            "--submission",
            str(submission),
            "--json",
            str(report),
        ]
        try:
            done = subprocess.run(command, capture_output=True, text=True, timeout=TIMEOUT, stdin=subprocess.DEVNULL)
        except subprocess.TimeoutExpired:
            raise RuntimeError(f"python -m grader did not finish in {TIMEOUT:g} s") from None
        if done.returncode != 0 or not report.is_file():
            last = (done.stderr.strip().splitlines() or ["(no message)"])[-1]
            raise RuntimeError(f"python -m grader failed (exit status {done.returncode}): {last}")
        result = json.loads(report.read_text(encoding="utf-8"))
    for entry in result.get("exercises", []):
        for note in entry.get("notes", []):
            print(f"note: {note}")
    return result
