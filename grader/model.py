"""The data an exercise plugin declares: exercises, their checks and cases.

An exercise plugin is mostly data. It returns :class:`Exercise` objects from
the ``grader_exercises`` hook; each exercise lists :class:`Check` objects
(run the student's code on generated inputs and compare with an expected
value) and :class:`SourceCheck` objects (inspect the submitted source text).

The grader runs a check's ``probe`` twice on the same inputs: once with the
reference module, in a process that never runs student code, and once with
the student's module, in a sandboxed child. Both results travel as plain data
(numbers, strings, arrays) and are compared in the grader's own process.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Callable, Literal, Mapping, Union

Framework = Literal["numpy", "torch"]

_NAME = re.compile(r"^[a-z_][a-z0-9_]*$")


@dataclass(frozen=True)
class Case:
    """One input to a check.

    Attributes:
        label: What the input is, in words a student understands
            (``"x of shape (3, 4) with |x| up to 1e4"``). Shown when the case
            fails.
        inputs: Plain data only (``numpy.ndarray``, numbers, strings, lists,
            tuples, dicts): it is sent to the reference process and to the
            sandboxed student process.
        hidden: Whether the case is hidden (drawn with the course secret,
            graded only by the instructor): feedback on it never shows the
            submission's output, return value or exception text.
    """

    label: str
    inputs: Mapping[str, Any]
    hidden: bool = False


@dataclass(frozen=True)
class Context:
    """What a probe knows about where it runs.

    Attributes:
        device: The torch device for tensors, e.g. ``"cpu"`` or ``"cuda"``.
        role: ``"reference"`` or ``"student"``. Probes must not branch on it;
            it exists for error messages.
    """

    device: str = "cpu"
    role: str = "student"


Probe = Callable[[Any, Mapping[str, Any], Context], Any]
Oracle = Callable[[Mapping[str, Any], Context], Any]
CaseFactory = Callable[[Any], "list[Case]"]  # called with a numpy.random.Generator


@dataclass(frozen=True)
class Check:
    """A behavioural check: call the student's code and compare.

    Attributes:
        name: Short identifier, unique within the exercise
            (``"sigmoid_values"``).
        function: The public name(s) of the student's code under test, for
            feedback (``"diy_sigmoid"``).
        points: Points awarded when every case passes.
        cases: Seeded factory returning the cases: called with a
            ``numpy.random.Generator``; must be deterministic given it.
        probe: ``probe(module, inputs, ctx)`` runs the code under test and
            returns plain data, or raises. ``module`` is the student's module
            or the reference module.
        oracle: Optional ``oracle(inputs, ctx)`` that computes the expected
            value directly (typically with torch autograd or a torch module);
            when absent the expected value is ``probe(reference, ...)``.
        description: One sentence on what the check proves.
        hint: Advice shown to the student when the check fails.
        rtol: Relative tolerance for floating-point comparisons.
        atol: Absolute tolerance for floating-point comparisons.
        time_limit: Seconds one case may take in the student's process.
        compare: Name of the comparator (see ``grader_compare``).
    """

    name: str
    function: str
    points: float
    cases: CaseFactory
    probe: Probe
    oracle: Oracle | None = None
    description: str = ""
    hint: str = ""
    rtol: float = 1e-7
    atol: float = 1e-10
    time_limit: float = 10.0
    compare: str = "values"


@dataclass(frozen=True)
class SourceCheck:
    """A static check on the submitted source text (never runs it).

    Attributes:
        name: Identifier, unique within the exercise.
        function: What the check is about, for feedback.
        points: Points awarded when ``inspect`` finds nothing wrong.
        inspect: ``inspect(source) -> list[str]``: the problems found, as
            messages for the student; empty when the source is fine.
        description: One sentence on what the check proves.
        hint: Advice shown when the check fails.
    """

    name: str
    function: str
    points: float
    inspect: Callable[[str], "list[str]"]
    description: str = ""
    hint: str = ""


AnyCheck = Union[Check, SourceCheck]


@dataclass(frozen=True)
class Exercise:
    """One exercise: a student module, its reference and its checks.

    Attributes:
        name: The exercise's name; also the student's file name
            (``<submission>/<name>.py``).
        title: A one-line title for reports.
        reference: Dotted module name of the reference solution
            (``"solutions.diy_model"``). It is imported only in the
            reference process and hidden from student code.
        checks: The checks, in the order they are reported.
        framework: ``"numpy"`` or ``"torch"``: numpy exercises run on the
            CPU; torch exercises on the grading device.
        seed: Seed of the case factories.
        time_limit: Seconds the whole exercise may take in the student's
            process.
        memory_limit_mb: Extra memory the student's process may allocate.
        preload: Modules the grader imports once before forking the
            student's processes, so that each does not pay for them: torch
            imports some lazily and slowly (see ``grader.probing.AUTOGRAD``
            and ``grader.probing.OPTIM``). Imports only: no computation.
        plugin: Name of the plugin that declared the exercise (filled in by
            the grader).
    """

    name: str
    title: str
    reference: str
    checks: tuple[AnyCheck, ...]
    framework: Framework = "torch"
    seed: int = 0
    time_limit: float = 60.0
    memory_limit_mb: int = 2048
    preload: tuple[str, ...] = ()
    plugin: str = field(default="", compare=False)

    @property
    def max_score(self) -> float:
        return float(sum(check.points for check in self.checks))


class ExerciseDefinitionError(ValueError):
    """An exercise plugin declared something malformed."""


def validate(exercise: Any, plugin: str) -> Exercise:
    """Check one declared exercise and return it, tagged with its plugin.

    Raises:
        ExerciseDefinitionError: with a message naming the plugin and the
            field at fault.
    """
    where = f"plugin {plugin!r}"
    if not isinstance(exercise, Exercise):
        raise ExerciseDefinitionError(
            f"{where} returned {type(exercise).__name__}, not grader.Exercise"
        )
    where = f"{where}, exercise {exercise.name!r}"
    if not isinstance(exercise.name, str) or not _NAME.match(exercise.name):
        raise ExerciseDefinitionError(
            f"{where}: the name must be a Python module name (lowercase, digits, _)"
        )
    if exercise.framework not in ("numpy", "torch"):
        raise ExerciseDefinitionError(f"{where}: framework must be 'numpy' or 'torch'")
    if not isinstance(exercise.reference, str) or not exercise.reference:
        raise ExerciseDefinitionError(f"{where}: reference must be a dotted module name")
    if not exercise.checks:
        raise ExerciseDefinitionError(f"{where}: declares no checks")
    if not all(isinstance(m, str) and m for m in exercise.preload):
        raise ExerciseDefinitionError(f"{where}: preload must be a tuple of module names")
    if exercise.time_limit <= 0 or exercise.memory_limit_mb <= 0:
        raise ExerciseDefinitionError(f"{where}: limits must be positive")
    seen: set[str] = set()
    for check in exercise.checks:
        if not isinstance(check, (Check, SourceCheck)):
            raise ExerciseDefinitionError(
                f"{where}: {type(check).__name__} is not a grader.Check or grader.SourceCheck"
            )
        if not _NAME.match(check.name or ""):
            raise ExerciseDefinitionError(f"{where}: bad check name {check.name!r}")
        if check.name in seen:
            raise ExerciseDefinitionError(f"{where}: two checks are named {check.name!r}")
        seen.add(check.name)
        if not check.points > 0:
            raise ExerciseDefinitionError(f"{where}, check {check.name!r}: points must be > 0")
        if isinstance(check, Check):
            if not callable(check.probe) or not callable(check.cases):
                raise ExerciseDefinitionError(
                    f"{where}, check {check.name!r}: probe and cases must be callables"
                )
            if check.oracle is not None and not callable(check.oracle):
                raise ExerciseDefinitionError(f"{where}, check {check.name!r}: oracle must be callable")
            if check.time_limit <= 0 or check.rtol < 0 or check.atol < 0:
                raise ExerciseDefinitionError(
                    f"{where}, check {check.name!r}: time limit and tolerances must be positive"
                )
        elif not callable(check.inspect):
            raise ExerciseDefinitionError(f"{where}, check {check.name!r}: inspect must be callable")
    from dataclasses import replace

    return replace(exercise, plugin=plugin)
