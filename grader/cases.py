"""Generate an exercise's cases from its seeded factories.

Deterministic: the same exercise gives the same cases in every process, so
the grader, the reference process and the zygote each make their own copy
instead of passing arrays around.
"""

from __future__ import annotations

import hashlib
import importlib
import os

import numpy as np

from grader.errors import PluginError
from grader.exercise import Case, Check, Exercise

SECRET_ENV = "GRADER_SECRET"


def course_secret() -> str:
    """The instructor's course secret (``GRADER_SECRET``), or ``""`` where there is none.

    With a secret, every check also gets *hidden* cases: its factory drawn
    again from a generator seeded with the secret. They exist only where the
    secret does (the instructor's grader, the Gradescope package), never in
    the student's release.
    """
    return os.environ.get(SECRET_ENV, "")


def hidden_key(secret: str, exercise: str) -> int | None:
    """The seed of an exercise's hidden cases, derived from the course secret (``None``: no secret).

    Student processes get this number, never the secret itself.
    """
    if not secret:
        return None
    return int.from_bytes(hashlib.sha256(f"{secret}\0{exercise}".encode()).digest()[:8], "big")


def make_cases(exercise: Exercise, hidden: int | None = None) -> dict[str, list[Case]]:
    """Run every check's seeded case factory: the public cases, then any hidden ones.

    Args:
        hidden: The exercise's :func:`hidden_key`, or ``None`` for public
            cases only. Hidden cases come after the public ones and are
            marked ``Case.hidden``; their labels say nothing of their inputs, nor which
            one they are.

    Raises:
        PluginError: when a factory fails or returns something malformed.
    """
    cases: dict[str, list[Case]] = {}
    for check in exercise.checks:
        if not isinstance(check, Check):
            continue
        digest = int.from_bytes(hashlib.sha256(check.name.encode()).digest()[:4], "big")
        made = _draw(exercise, check, np.random.default_rng([exercise.seed, digest]))
        if hidden is not None:
            drawn = _draw(exercise, check, np.random.default_rng([exercise.seed, digest, hidden]))
            made += [Case("a hidden case", c.inputs, hidden=True) for c in drawn]
        cases[check.name] = made
    return cases


def _draw(exercise: Exercise, check: Check, rng: np.random.Generator) -> list[Case]:
    where = f"plugin {exercise.plugin!r}, exercise {exercise.name!r}, check {check.name!r}"
    try:
        made = list(check.cases(rng))
    except Exception as exc:
        raise PluginError(f"{where}: the case factory failed: {type(exc).__name__}: {exc}") from None
    if not made or not all(isinstance(c, Case) and isinstance(c.inputs, dict) for c in made):
        raise PluginError(f"{where}: the case factory must return a non-empty list of grader.Case")
    return made


def preload(exercises) -> None:
    """Import the exercises' slow lazy modules once, before forking (imports only)."""
    for name in dict.fromkeys(m for e in exercises for m in e.preload):
        import_quietly(name)


def import_quietly(name: str) -> None:
    """Import module ``name``, if it can be: a preload is an optimisation only (the student's process tries again)."""
    try:
        importlib.import_module(name)
    except Exception:
        pass
