"""What the catalog's exercises share, so that each declaration reads like its rubric.

The name starts with an underscore: the plugin manager registers every other
module of ``grader.catalog`` as an exercise. Like the exercise modules it is
imported where student code runs, so it imports neither an oracle nor a
reference module, nor torch.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

import grader.checking.forbidden as forbidden
from grader.exercise import CaseFactory, Check, Exercise, Probe, SourceCheck

#: The description of most "inputs unchanged" checks.
NO_FUNCTION_MODIFIES = "No function modifies its arguments in place."


def exercise(name: str, *, checks: tuple, **fields: Any) -> Exercise:
    """The catalog's exercise ``name``: an :class:`~grader.exercise.Exercise`.

    Args:
        name: The exercise's name, also its file's (``name.py``).
        checks: Its checks. A static check declared without a file
            (:func:`source_check`, :func:`numpy_only`) is about ``name.py``.
        **fields: The exercise's other fields (title, reference, ...).
    """
    checks = tuple(
        replace(check, function=f"{name}.py") if isinstance(check, SourceCheck) and not check.function else check
        for check in checks
    )
    return Exercise(name=name, checks=checks, **fields)


def source_check(
    name: str,
    inspect: Callable[[str], list[str]],
    *,
    requires: tuple[str, ...],
    description: str,
    hint: str,
    points: float = 1,
) -> SourceCheck:
    """A static check of the whole submitted file (its name filled in by :func:`exercise`)."""
    return SourceCheck(
        name=name,
        function="",
        points=points,
        inspect=inspect,
        requires=requires,
        description=description,
        hint=hint,
    )


def numpy_only(hint: str, *, requires: tuple[str, ...]) -> SourceCheck:
    """The static check of a numpy exercise: its file does not import torch."""
    return forbidden.numpy_only("", hint=hint, requires=requires)


def inputs_unchanged(
    function: str,
    *,
    cases: CaseFactory,
    probe: Probe,
    requires: tuple[str, ...],
    hint: str,
    oracle: str | None = None,
    description: str = NO_FUNCTION_MODIFIES,
    points: float = 1,
) -> Check:
    """The check that ``function`` (names, comma-separated) leave their arguments as they were.

    A side constraint, compared exactly: ``probe`` returns the arguments
    after the calls (see :func:`grader.probing.on_copies`), ``oracle`` (or
    the reference) the arguments as they should be. It counts once every
    value check in ``requires`` passes.
    """
    return Check(
        name="inputs_unchanged",
        function=function,
        points=points,
        cases=cases,
        probe=probe,
        oracle=oracle,
        requires=requires,
        rtol=0.0,
        atol=0.0,
        description=description,
        hint=hint,
    )
