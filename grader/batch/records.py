"""Exercise results as plain data: what a cluster worker sends back, what the gradebook holds."""

from __future__ import annotations

from dataclasses import asdict, fields

from grader.exercise import Exercise
from grader.results import CheckResult, ExerciseResult

_CHECK_FIELDS = tuple(f.name for f in fields(CheckResult))


def to_plain(result: ExerciseResult) -> dict:
    """An exercise result as a dict of strings, numbers and lists."""
    return {
        "name": result.name,
        "title": result.title,
        "seconds": float(result.seconds),
        "output": result.output,
        "notes": list(result.notes),
        "checks": [asdict(check) for check in result.checks],
    }


def from_plain(data: dict) -> ExerciseResult:
    """The inverse of :func:`to_plain`; unknown keys are ignored."""
    return ExerciseResult(
        name=str(data["name"]),
        title=str(data.get("title", "")),
        seconds=float(data.get("seconds", 0.0)),
        output=str(data.get("output", "")),
        notes=tuple(str(n) for n in data.get("notes", ())),
        checks=tuple(CheckResult(**{k: c[k] for k in _CHECK_FIELDS if k in c}) for c in data["checks"]),
    )


def failed_grading(exercise: Exercise, why: str) -> ExerciseResult:
    """Every check of ``exercise`` in error because the grader itself failed on this submission."""
    message = f"the grader failed on this submission ({why}); it is graded again on the next run"
    return ExerciseResult(
        name=exercise.name,
        title=exercise.title,
        checks=tuple(
            CheckResult(
                name=check.name,
                function=check.function,
                status="error",
                score=0.0,
                max_score=float(check.points),
                message=message,
            )
            for check in exercise.checks
        ),
    )
