"""What a batch has to do: which (student, exercise) pairs to grade, and how to record them.

A pair is graded again only when the file's content, the exercise's
fingerprint (its checks, references, the grader, the time limit) changed,
or when the grader itself failed on it last time; ``--force`` grades all.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
from dataclasses import dataclass, field
from typing import Sequence

from grader import cache, scoring
from grader.batch import files
from grader.batch.gradebook import Gradebook, Graded
from grader.batch.records import failed_grading
from grader.model import Exercise
from grader.results import ExerciseResult


def grader_version() -> str:
    """The installed grader's version (``unknown`` when it is not installed)."""
    try:
        return importlib.metadata.version("torch-exercise-grader")
    except importlib.metadata.PackageNotFoundError:
        return "unknown"


def fingerprint(exercise: Exercise, device: str, time_limit: float | None) -> str:
    """Everything an exercise's results depend on apart from the student's file.

    Built on :func:`grader.cache.key` (plugin, reference and oracle sources,
    the grader's own source, torch and numpy versions, device), without
    importing torch; the time limit is added because it changes outcomes.
    """
    device = "cpu" if exercise.framework == "numpy" else device
    key = cache.key(exercise, device)
    if key is None:  # an exercise whose reference cannot be located: its declaration and the grader's version
        parts = [exercise.name, str(exercise.seed), device, grader_version()]
        parts += [f"{c.name}:{c.function}:{c.points}" for c in exercise.checks]
        key = "declared:" + "\0".join(parts)
    return hashlib.sha256(f"{key}\0time_limit={time_limit}".encode()).hexdigest()


@dataclass
class Work:
    """One student's share of the batch.

    Attributes:
        student: The student's folder.
        handed: Exercise name -> what was handed in, for every chosen exercise.
        todo: Exercises to grade (others are up to date in the gradebook).
    """

    student: files.Student
    handed: dict[str, files.Handed]
    todo: list[str] = field(default_factory=list)

    @property
    def gradable(self) -> list[str]:
        """Exercises to grade by running code: the file is there and readable, or missing."""
        return [name for name in self.todo if self.handed[name].problem is None]

    def sources(self) -> dict[str, str | None]:
        """Exercise name -> the text to grade (``None``: no file), for :attr:`gradable`."""
        return {
            name: files.source(self.student.path / f"{name}.py", self.handed[name]) for name in self.gradable
        }


def plan(
    book: Gradebook,
    students: Sequence[files.Student],
    exercises: Sequence[Exercise],
    fingerprints: dict[str, str],
    force: bool = False,
) -> list[Work]:
    """Inspect every student's files and compare with the gradebook; one :class:`Work` per student."""
    out = []
    for student in students:
        handed = {e.name: files.inspect(student.path / f"{e.name}.py") for e in exercises}
        stored = book.stored(student.name)
        todo = [
            e.name
            for e in exercises
            if force
            or e.name not in stored
            or stored[e.name].status != "graded"
            or stored[e.name].content != handed[e.name].digest
            or stored[e.name].fingerprint != fingerprints[e.name]
        ]
        out.append(Work(student, handed, todo))
    return out


def finish(
    work: Work,
    exercises: dict[str, Exercise],
    fingerprints: dict[str, str],
    results: dict[str, ExerciseResult] | None,
    error: str | None = None,
) -> list[Graded]:
    """What to record for a student once graded (``results`` ``None``: the grader failed with ``error``)."""
    graded = []
    for name in work.todo:
        handed = work.handed[name]
        exercise = exercises[name]
        status = "graded"
        if handed.problem is not None:
            result = scoring.not_attempted(exercise, handed.problem)
        elif results is not None and name in results:
            result = results[name]
        else:
            result = failed_grading(exercise, error or "no result came back")
            status = "error"
        graded.append(Graded(result, handed.digest, fingerprints[name], status))
    return graded
