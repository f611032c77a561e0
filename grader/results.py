"""Results of a grading run, as plain frozen data for reporters to read."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import Literal

from grader.text import REPORT_LIMIT, bound, redact

Status = Literal["passed", "failed", "error", "timeout"]


@dataclass(frozen=True)
class CheckResult:
    """The outcome of one check.

    Attributes:
        name: The check's name.
        function: The student function(s) it is about.
        status: ``passed``, ``failed``, ``error`` or ``timeout``.
        score: Points earned.
        max_score: Points available.
        message: What went wrong, for the student (empty when passed).
        attempted: ``False`` when the student's code raised
            ``NotImplementedError`` or the file is missing.
        description: What the check proves.
        hidden: ``True`` for a check whose outcome students should not see
            before grades are published; reporters that show results to
            students honour it (the Gradescope report gives it the hidden
            visibility, the GitHub Actions outputs withhold its message).
            Set for checks that ran hidden cases.
        public_cases: How many public cases a behavioural check ran (0 for
            a static check).
        hidden_cases: How many hidden cases it ran (drawn with the course
            secret, on the instructor's side only).
    """

    name: str
    function: str
    status: Status
    score: float
    max_score: float
    message: str = ""
    attempted: bool = True
    description: str = ""
    hidden: bool = False
    public_cases: int = 0
    hidden_cases: int = 0


@dataclass(frozen=True)
class ExerciseResult:
    """The outcome of one exercise.

    Attributes:
        name: The exercise's name.
        title: Its one-line title.
        checks: One result per check, in declaration order.
        seconds: Wall time spent grading it.
        output: The start of what the student's code printed (truncated).
        notes: What the grader did to the submission before grading it
            (e.g. IPython lines dropped from a notebook), for the student.
    """

    name: str
    title: str
    checks: tuple[CheckResult, ...]
    seconds: float = 0.0
    output: str = ""
    notes: tuple[str, ...] = ()

    @property
    def score(self) -> float:
        return float(sum(c.score for c in self.checks))

    @property
    def max_score(self) -> float:
        return float(sum(c.max_score for c in self.checks))

    @property
    def attempted(self) -> bool:
        return any(c.attempted for c in self.checks)


@dataclass(frozen=True)
class Session:
    """What a grading run is about to do.

    Attributes:
        exercises: Names of the exercises to grade, in order.
        submission: The folder graded.
        device: The torch device torch exercises run on.
        protections: Sandbox protection name -> whether it is active.
        note: Why some protections are missing (empty when none is).
        scope: What was graded when not everything was (a student release
            grades public cases only), for reports to say.
        provenance: Whether the submission's own repository carries this
            grader or a modified one (see ``grader.release.provenance``).
    """

    exercises: tuple[str, ...]
    submission: str
    device: str
    protections: dict = field(default_factory=dict)
    note: str = ""
    scope: str = ""
    provenance: str = ""


@dataclass(frozen=True)
class Report:
    """A whole grading run."""

    session: Session
    exercises: tuple[ExerciseResult, ...]
    seconds: float = 0.0

    @property
    def score(self) -> float:
        return float(sum(e.score for e in self.exercises))

    @property
    def max_score(self) -> float:
        return float(sum(e.max_score for e in self.exercises))

    @property
    def percent(self) -> float:
        return 100.0 * self.score / self.max_score if self.max_score else 0.0


def report_to_dict(report: Report) -> dict:
    """The report in the JSON layout of the command-line contract."""
    return {
        "score": _num(report.score),
        "max_score": _num(report.max_score),
        **({"local_grader": report.session.provenance} if report.session.provenance else {}),
        "exercises": [
            {
                "name": e.name,
                "score": _num(e.score),
                "max_score": _num(e.max_score),
                "checks": [
                    {
                        "name": c.name,
                        "status": c.status,
                        "score": _num(c.score),
                        "max_score": _num(c.max_score),
                        "message": bound(c.message, REPORT_LIMIT, newlines=True),
                        **(
                            {"cases": {"public": c.public_cases, "hidden": c.hidden_cases}}
                            if c.public_cases or c.hidden_cases
                            else {}
                        ),
                    }
                    for c in e.checks
                ],
                **({"notes": list(e.notes)} if e.notes else {}),
            }
            for e in report.exercises
        ],
    }


def without_paths(result: ExerciseResult, paths: Iterable[str]) -> ExerciseResult:
    """``result`` with ``paths`` (hidden folders) replaced in every message and in the output.

    A submission can name a hidden folder in what it prints or raises (it may
    read ``/proc/self/mountinfo``); reports must not show where they are.
    """
    paths = tuple(paths)
    return replace(
        result,
        checks=tuple(replace(c, message=redact(c.message, paths)) for c in result.checks),
        output=redact(result.output, paths),
    )


def _num(x: float) -> float | int:
    return int(x) if float(x).is_integer() else round(float(x), 6)
