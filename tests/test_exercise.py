"""Exercise validation: oracles by name, requirements of side checks; expected values from oracles."""

from __future__ import annotations

import sys
from dataclasses import replace

import numpy as np
import pytest

from grader import Case, Check, Exercise, SourceCheck
from grader.exercise import ExerciseDefinitionError, validate
from grader.process.expected import compute


def _cases(rng):
    return [Case("x (3,)", {"x": np.arange(3.0)})]


def _probe(module, inputs, ctx):
    return module.double(inputs["x"])


def _oracle(inputs, ctx):
    return 2 * inputs["x"]


VALUE = Check("value", "double", 2, _cases, _probe)
SIDE = Check("side", "double", 1, _cases, _probe, requires=("value",))
STATIC = SourceCheck("static", "toy.py", 1, lambda source: [])


def _exercise(*checks, **fields) -> Exercise:
    return Exercise(name="toy", title="Toy", reference="tests.plugins.toy_solutions.toy_b", checks=checks, **fields)


def _rejected(exercise: Exercise) -> str:
    with pytest.raises(ExerciseDefinitionError) as info:
        validate(exercise, "plug")
    return str(info.value)


def test_a_well_formed_exercise_is_tagged_with_its_plugin():
    exercise = _exercise(replace(VALUE, oracle="double"), SIDE, STATIC, oracles="tests.plugins.toy_oracles")
    assert validate(exercise, "plug").plugin == "plug"


def test_a_callable_oracle_is_rejected_and_the_message_says_why():
    message = _rejected(_exercise(replace(VALUE, oracle=_oracle), oracles="tests.plugins.toy_oracles"))
    assert "check 'value'" in message
    assert "name of a function in the exercise's oracle module" in message
    assert "where student code runs" in message


def test_an_oracle_name_needs_an_oracle_module():
    message = _rejected(_exercise(replace(VALUE, oracle="double")))
    assert "declares no oracle module (Exercise.oracles)" in message


def test_an_oracle_name_is_an_identifier():
    assert "function name" in _rejected(_exercise(replace(VALUE, oracle="a.b"), oracles="m"))


def test_validation_does_not_import_the_oracle_module():
    validate(_exercise(replace(VALUE, oracle="whatever"), oracles="no_such_package.oracles"), "plug")
    assert "no_such_package" not in sys.modules


@pytest.mark.parametrize("oracles", ["not a module", "plug", "tests.plugins.toy_solutions.toy_b"])
def test_the_oracle_module_is_a_module_of_its_own(oracles):
    assert "oracles must be" in _rejected(_exercise(VALUE, oracles=oracles))


@pytest.mark.parametrize(
    "checks, phrase",
    [
        ((VALUE, replace(SIDE, requires=("nope",))), "requires 'nope', which is not a check of the exercise"),
        ((VALUE, SIDE, replace(SIDE, name="side2", requires=("side",))), "requires 'side', which is not a value check"),
        ((VALUE, replace(SIDE, requires=("side",))), "which is not a value check"),  # itself
        ((VALUE, STATIC, replace(SIDE, requires=("static",))), "requires 'static', which is not a value check"),
        ((VALUE, replace(SIDE, requires="value")), "requires must be a tuple of check names"),
        ((VALUE, replace(STATIC, requires=())), "a static check must require at least one value check"),
    ],
)
def test_requires_names_value_checks(checks, phrase):
    assert phrase in _rejected(_exercise(*checks))


def test_a_static_check_requires_every_value_check_by_default():
    exercise = validate(_exercise(VALUE, replace(VALUE, name="value2"), SIDE, STATIC), "plug")
    assert exercise.requirements(exercise.checks[3]) == ("value", "value2")
    assert exercise.requirements(exercise.checks[2]) == ("value",)
    assert exercise.requirements(exercise.checks[0]) == ()


def test_an_exercise_of_static_checks_only_needs_no_requirement():
    validate(_exercise(STATIC), "plug")


@pytest.mark.parametrize("unit", [None, 1, 12])
def test_a_unit_is_optional_and_counts_from_one(unit):
    assert validate(_exercise(VALUE, unit=unit), "plug").unit == unit


@pytest.mark.parametrize("unit", [0, -3, 2.0, "3", True])
def test_a_unit_is_a_whole_number_from_one(unit):
    message = _rejected(_exercise(VALUE, unit=unit))
    assert "exercise 'toy': unit must be a whole number from 1 up" in message and repr(unit) in message


def test_compute_takes_expected_values_from_the_named_oracle():
    exercise = _exercise(replace(VALUE, oracle="double"), oracles="tests.plugins.toy_oracles")
    rows = compute(exercise, {"value": _cases(None)}, "cpu")
    assert len(rows) == 1 and rows[0][:3] == [0, 0, "value"]
    assert np.array_equal(rows[0][3], [0.0, 2.0, 4.0])


@pytest.mark.parametrize(
    "oracles, name, phrase",
    [
        ("tests.plugins.toy_oracles", "no_such_oracle", "tests.plugins.toy_oracles.no_such_oracle could not be loaded"),
        ("tests.plugins.no_such_module", "double", "ModuleNotFoundError"),
    ],
)
def test_compute_reports_an_oracle_it_cannot_load_on_every_case(oracles, name, phrase):
    exercise = _exercise(replace(VALUE, oracle=name), VALUE, oracles=oracles)
    rows = compute(exercise, {"value": _cases(None) * 2}, "cpu")
    errors = [row for row in rows if row[0] == 0]
    assert [row[2] for row in errors] == ["error", "error"] and phrase in errors[0][3]
    assert [row[2] for row in rows if row[0] == 1] == ["value", "value"]  # the probe-based check still works


# --- scoring: requirements ---------------------------------------------------


def _scored(exercise: Exercise, **statuses):
    """Results as the grader makes them, ``name=(status, attempted)``; then requirements applied."""
    from grader.checking.scoring import apply_requirements
    from grader.results import CheckResult

    results = []
    for check in exercise.checks:
        status, attempted = statuses.get(check.name, ("passed", True))
        score = float(check.points) if status == "passed" else 0.0
        message = "" if status == "passed" else f"{check.name} went wrong"
        results.append(CheckResult(check.name, check.function, status, score, float(check.points), message, attempted))
    return {r.name: r for r in apply_requirements(exercise, results)}


EXERCISE = _exercise(VALUE, replace(VALUE, name="value2"), SIDE, STATIC)


def test_side_checks_count_when_their_requirements_pass():
    results = _scored(EXERCISE)
    assert all(r.status == "passed" and r.score == r.max_score for r in results.values())


def test_a_failed_requirement_means_not_yet_counted():
    results = _scored(EXERCISE, value2=("failed", True))
    assert results["side"].status == "passed"  # requires only 'value'
    static = results["static"]
    assert (static.status, static.score, static.attempted) == ("failed", 0.0, True)
    assert static.message == "not yet counted: needs 'value2' to pass first"


def test_an_unattempted_requirement_means_not_attempted():
    results = _scored(EXERCISE, value=("failed", False), value2=("failed", False))
    side, static = results["side"], results["static"]
    assert (side.status, side.score, side.attempted) == ("failed", 0.0, False)
    assert side.message == "not attempted: counts once 'value' passes"
    assert static.message == "not attempted: counts once 'value' and 'value2' pass" and not static.attempted


def test_a_side_check_failing_on_its_own_keeps_its_status_and_message():
    results = _scored(EXERCISE, value=("error", True), side=("timeout", True))
    side = results["side"]
    assert (side.status, side.score) == ("timeout", 0.0)
    assert side.message.startswith("not yet counted: needs 'value' to pass first")
    assert "side went wrong" in side.message


def test_a_side_check_not_attempted_itself_is_left_as_it_is():
    results = _scored(EXERCISE, value=("failed", True), side=("failed", False))
    assert results["side"].message == "side went wrong" and not results["side"].attempted
