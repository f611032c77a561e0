"""The data an exercise plugin declares: exercises, their checks and cases.

An exercise plugin is mostly data. It returns :class:`Exercise` objects from
the ``grader_exercises`` hook; each exercise lists :class:`Check` objects
(run the student's code on generated inputs and compare with an expected
value) and :class:`SourceCheck` objects (inspect the submitted source text).

The grader runs a check's ``probe`` twice on the same inputs: once with the
reference module, in a process that never runs student code, and once with
the student's module, in a sandboxed child. Both results travel as plain data
(numbers, strings, arrays) and are compared in the grader's own process.

Expected values may also come from an *oracle*: a function of the
exercise's oracle module (``Exercise.oracles``), named by the check. The
plugin module only names it: the process that runs student code imports the
plugin modules (probes and case factories) but never an oracle module or a
reference module, so a submission cannot find them there.

Some checks are *side constraints* (the inputs are left unchanged, a
function is called in batches, no forbidden API is used): on their own a
submission that does nothing would pass them. They name, in ``requires``,
the value checks that must pass for them to count.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

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
Oracle = Callable[[Mapping[str, Any], Context], Any]  # a function of an oracle module
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
        oracle: Optional name of a function ``oracle(inputs, ctx)`` of the
            exercise's oracle module (``Exercise.oracles``) that computes
            the expected value directly (typically with torch autograd or a
            torch module); when absent the expected value is
            ``probe(reference, ...)``. A name, never the function itself:
            the plugin module is loaded where student code runs, the oracle
            module only in the reference process.
        description: One sentence on what the check proves.
        hint: Advice shown to the student when the check fails.
        rtol: Relative tolerance for floating-point comparisons.
        atol: Absolute tolerance for floating-point comparisons.
        time_limit: Seconds one case may take in the student's process.
        compare: Name of the comparator (see ``grader_compare``).
        requires: Empty for a value check (its points stand on their own).
            For a side-constraint check (arguments left unchanged, calls
            batched, a function used): the names of the value checks of
            the same exercise that must all pass for this check to count,
            typically those of the functions it calls. Until they do, it
            scores 0 and reads "not yet counted".
    """

    name: str
    function: str
    points: float
    cases: CaseFactory
    probe: Probe
    oracle: str | None = None
    description: str = ""
    hint: str = ""
    rtol: float = 1e-7
    atol: float = 1e-10
    time_limit: float = 10.0
    compare: str = "values"
    requires: tuple[str, ...] = ()


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
        requires: The value checks (:class:`Check` names) that must all
            pass for this check to count, usually those of the functions
            the source rule is about: an untouched stub uses no forbidden
            API either. ``None`` (the default) requires every value check
            of the exercise.
    """

    name: str
    function: str
    points: float
    inspect: Callable[[str], list[str]]
    description: str = ""
    hint: str = ""
    requires: tuple[str, ...] | None = None


AnyCheck = Check | SourceCheck


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
        oracles: Dotted module name of the exercise's oracle module
            (``"grader.oracles.optim"``), whose functions the checks name
            in ``Check.oracle``; empty when no check has an oracle. Like
            the reference it is imported only in the reference process, so
            it may import the plugin module but the plugin module must
            never import it.
        unit: Where the exercise sits in the course, counting from 1:
            ``python -m grader list``, reports, the documentation and the
            README's table list exercises by unit. Exercises without one
            (``None``, the default, fine for a pack of its own) come after
            the numbered ones, in the order their plugins declare them;
            two exercises with the same unit keep that order too.
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
    oracles: str = ""
    unit: int | None = None
    plugin: str = field(default="", compare=False)

    @property
    def max_score(self) -> float:
        return float(sum(check.points for check in self.checks))

    def requirements(self, check: AnyCheck) -> tuple[str, ...]:
        """The value checks that must pass for ``check`` to count (empty: none)."""
        if check.requires is not None:
            return tuple(check.requires)
        return tuple(c.name for c in self.checks if _is_value_check(c))


def _is_value_check(check: Any) -> bool:
    """A behavioural check whose points stand on their own."""
    return isinstance(check, Check) and not check.requires


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
        raise ExerciseDefinitionError(f"{where} returned {type(exercise).__name__}, not grader.Exercise")
    where = f"{where}, exercise {exercise.name!r}"
    if not isinstance(exercise.name, str) or not _NAME.match(exercise.name):
        raise ExerciseDefinitionError(f"{where}: the name must be a Python module name (lowercase, digits, _)")
    if exercise.framework not in ("numpy", "torch"):
        raise ExerciseDefinitionError(f"{where}: framework must be 'numpy' or 'torch'")
    if not isinstance(exercise.reference, str) or not exercise.reference:
        raise ExerciseDefinitionError(f"{where}: reference must be a dotted module name")
    if not isinstance(exercise.oracles, str) or (exercise.oracles and not _dotted_name(exercise.oracles)):
        raise ExerciseDefinitionError(f"{where}: oracles must be a dotted module name (or empty)")
    if exercise.oracles and exercise.oracles in (plugin, exercise.reference):
        raise ExerciseDefinitionError(
            f"{where}: oracles must be a module of its own, not the plugin or the reference module"
        )
    if not exercise.checks:
        raise ExerciseDefinitionError(f"{where}: declares no checks")
    if not all(isinstance(m, str) and m for m in exercise.preload):
        raise ExerciseDefinitionError(f"{where}: preload must be a tuple of module names")
    unit = exercise.unit
    if unit is not None and (isinstance(unit, bool) or not isinstance(unit, int) or unit < 1):
        raise ExerciseDefinitionError(f"{where}: unit must be a whole number from 1 up (or None), not {unit!r}")
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
                raise ExerciseDefinitionError(f"{where}, check {check.name!r}: probe and cases must be callables")
            _validate_oracle(exercise, check, f"{where}, check {check.name!r}")
            if check.time_limit <= 0 or check.rtol < 0 or check.atol < 0:
                raise ExerciseDefinitionError(
                    f"{where}, check {check.name!r}: time limit and tolerances must be positive"
                )
        elif not callable(check.inspect):
            raise ExerciseDefinitionError(f"{where}, check {check.name!r}: inspect must be callable")
    for check in exercise.checks:
        _validate_requires(exercise, check, f"{where}, check {check.name!r}")
    from dataclasses import replace

    return replace(exercise, plugin=plugin)


def _dotted_name(name: str) -> bool:
    return all(part.isidentifier() for part in name.split("."))


def _validate_oracle(exercise: Exercise, check: Check, where: str) -> None:
    """``Check.oracle`` names a function of ``Exercise.oracles``; the module is not imported here."""
    oracle = check.oracle
    if oracle is None:
        return
    if callable(oracle):
        raise ExerciseDefinitionError(
            f"{where}: oracle must be the name of a function in the exercise's oracle module "
            "(Exercise.oracles), not the function itself: the plugin module is loaded where "
            "student code runs, so an oracle defined or imported there would be within its reach"
        )
    if not isinstance(oracle, str) or not oracle.isidentifier():
        raise ExerciseDefinitionError(f"{where}: oracle must be a function name such as 'torch_adam'")
    if not exercise.oracles:
        raise ExerciseDefinitionError(
            f"{where}: names the oracle {oracle!r} but the exercise declares no oracle module (Exercise.oracles)"
        )


def _validate_requires(exercise: Exercise, check: AnyCheck, where: str) -> None:
    """``requires`` names value checks of the same exercise; static checks require at least one."""
    requires = check.requires
    if requires is None and isinstance(check, SourceCheck):
        return
    if isinstance(requires, str) or not isinstance(requires, tuple) or not all(isinstance(r, str) for r in requires):
        raise ExerciseDefinitionError(f"{where}: requires must be a tuple of check names")
    checks = {c.name: c for c in exercise.checks}
    for name in requires:
        if name not in checks:
            raise ExerciseDefinitionError(f"{where}: requires {name!r}, which is not a check of the exercise")
        if not _is_value_check(checks[name]):
            raise ExerciseDefinitionError(
                f"{where}: requires {name!r}, which is not a value check (a Check without requires)"
            )
    if isinstance(check, SourceCheck) and not requires and any(_is_value_check(c) for c in exercise.checks):
        raise ExerciseDefinitionError(
            f"{where}: a static check must require at least one value check "
            "(an untouched stub passes it otherwise); leave requires=None for all of them"
        )
