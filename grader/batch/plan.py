"""What a batch has to do: which (student, exercise) pairs to grade, and how to record them.

A pair is graded again only when what was handed in, the exercise's
fingerprint (its checks, references, the grader, the hidden cases, the time
limit) changed, or when the grader itself failed on it last time;
``--force`` grades all.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
from collections.abc import Sequence
from dataclasses import dataclass, field

from grader import cache
from grader import submission as submitted
from grader.batch import files
from grader.batch.gradebook import Gradebook, Graded
from grader.batch.records import failed_grading
from grader.cases import course_secret, hidden_key
from grader.exercise import Exercise
from grader.policy import device_for
from grader.release import release_folder
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
    the grader's own source, torch and numpy versions, device, the seed of
    the hidden cases), without importing torch; the time limit is added
    because it changes outcomes.
    """
    device = device_for(exercise, device)
    secret = "" if release_folder() is not None else course_secret()
    hidden = hidden_key(secret, exercise.name)
    key = cache.key(exercise, device, hidden)
    if key is None:  # an exercise whose reference cannot be located: its declaration and the grader's version
        parts = [exercise.name, str(exercise.seed), str(hidden), device, grader_version()]
        parts += [f"{c.name}:{c.function}:{c.points}" for c in exercise.checks]
        key = "declared:" + "\0".join(parts)
    return hashlib.sha256(f"{key}\0time_limit={time_limit}".encode()).hexdigest()


@dataclass
class Work:
    """One student's share of the batch.

    Attributes:
        student: The student's folder.
        digests: Exercise name -> :func:`grader.batch.files.digest` of what
            was handed in when the batch was planned, for every chosen exercise.
        todo: Exercises to grade (the others are up to date in the gradebook).
    """

    student: files.Student
    digests: dict[str, str]
    todo: list[str] = field(default_factory=list)

    def read(self) -> dict[str, submitted.Submission]:
        """Read the exercises to grade again, now: what is graded is what gets recorded."""
        return {name: files.read(self.student, name) for name in self.todo}


def plan(
    book: Gradebook,
    students: Sequence[files.Student],
    exercises: Sequence[Exercise],
    fingerprints: dict[str, str],
    force: bool = False,
) -> list[Work]:
    """Fingerprint every student's files and compare with the gradebook; one :class:`Work` per student.

    Texts are not kept: a class's files are never all in memory at once.
    """
    out = []
    for student in students:
        digests = {e.name: files.digest(files.read(student, e.name)) for e in exercises}
        stored = book.stored(student.name)
        todo = [
            e.name
            for e in exercises
            if force
            or e.name not in stored
            or stored[e.name].status != "graded"
            or stored[e.name].content != digests[e.name]
            or stored[e.name].fingerprint != fingerprints[e.name]
        ]
        out.append(Work(student, digests, todo))
    return out


def finish(
    work: Work,
    exercises: dict[str, Exercise],
    fingerprints: dict[str, str],
    results: dict[str, ExerciseResult] | None,
    digests: dict[str, str] | None = None,
    error: str | None = None,
) -> list[Graded]:
    """What to record for a student once graded.

    Args:
        results: Exercise name -> result (``None``: the grader failed with ``error``).
        digests: The digests of what was graded (default: the planned ones).
    """
    graded = []
    for name in work.todo:
        content = (digests or {}).get(name, work.digests[name])
        if results is not None and name in results:
            graded.append(Graded(results[name], content, fingerprints[name]))
        else:
            failure = failed_grading(exercises[name], error or "no result came back")
            graded.append(Graded(failure, content, fingerprints[name], status="error"))
    return graded
