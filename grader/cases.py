"""Generate an exercise's cases from its seeded factories.

Deterministic: the same exercise gives the same cases in every process, so
the grader, the reference process and the zygote each make their own copy
instead of passing arrays around.
"""

from __future__ import annotations

import hashlib
import importlib

import numpy as np

from grader.errors import PluginError
from grader.model import Case, Check, Exercise


def make_cases(exercise: Exercise) -> dict[str, list[Case]]:
    """Run every check's seeded case factory.

    Raises:
        PluginError: when a factory fails or returns something malformed.
    """
    cases: dict[str, list[Case]] = {}
    for check in exercise.checks:
        if not isinstance(check, Check):
            continue
        digest = int.from_bytes(hashlib.sha256(check.name.encode()).digest()[:4], "big")
        rng = np.random.default_rng([exercise.seed, digest])
        where = f"plugin {exercise.plugin!r}, exercise {exercise.name!r}, check {check.name!r}"
        try:
            made = list(check.cases(rng))
        except Exception as exc:
            raise PluginError(f"{where}: the case factory failed: {type(exc).__name__}: {exc}") from None
        if not made or not all(isinstance(c, Case) and isinstance(c.inputs, dict) for c in made):
            raise PluginError(f"{where}: the case factory must return a non-empty list of grader.Case")
        cases[check.name] = made
    return cases


def preload(exercises) -> None:
    """Import the exercises' slow lazy modules once, before forking (imports only)."""
    for name in dict.fromkeys(m for e in exercises for m in e.preload):
        try:
            importlib.import_module(name)
        except Exception:  # an optimisation only: the student's process will try again
            pass
