"""Scoring: outcomes and source problems become points, statuses and messages for the student.

Every test pairs the input that scores with one that must not, so each
assertion can fail.
"""

from __future__ import annotations

import pytest

from grader.checking.outcomes import Outcome
from grader.checking.scoring import (
    apply_requirements,
    not_attempted,
    refused,
    score_check,
    score_source_check,
)
from grader.exercise import Case, Check, Exercise, SourceCheck
from grader.results import CheckResult

CASES = [Case("x = 1", {"x": 1}), Case("x = 2", {"x": 2}), Case("x = 3", {"x": 3})]
EXPECTED = {(0, 0): ("value", 10), (0, 1): ("value", 20), (0, 2): ("value", 30)}


def value_check(name="times_ten", points=2.0, hint="", requires=()):
    return Check(name, "times_ten", points, lambda rng: CASES, lambda m, i, c: None, hint=hint, requires=requires)


def exercise(*checks) -> Exercise:
    return Exercise(name="ex", title="Ex", reference="solutions.ex", checks=tuple(checks) or (value_check(),))


def compare(check, case, expected, got):
    """A comparator as ``grader_compare`` gives one: True or a message."""
    return True if got == expected else f"expected {expected}, got {got}"


def values(*got) -> dict:
    return {(0, j): Outcome("value", value=v) for j, v in enumerate(got)}


def score(outcomes, expected=EXPECTED, check=None, cases=CASES) -> CheckResult:
    return score_check(exercise(check or value_check()), 0, cases, expected, outcomes, compare)


def raised(kind="ValueError", message="bad x", trace=(), stage=None) -> Outcome:
    error = {"type": kind, "message": message, "trace": list(trace)}
    if stage:
        error["stage"] = stage
    return Outcome("raised", error=error)


# --- score_check ----------------------------------------------------------------


def test_every_case_right_scores_the_points_and_one_wrong_case_scores_none():
    right = score(values(10, 20, 30))
    assert (right.status, right.score, right.max_score, right.message, right.attempted) == (
        "passed",
        2.0,
        2.0,
        "",
        True,
    )
    wrong = score(values(10, 21, 30))
    assert (wrong.status, wrong.score, wrong.max_score, wrong.attempted) == ("failed", 0.0, 2.0, True)
    assert wrong.message == "times_ten, on x = 2: expected 20, got 21 [1 of 3 cases failed]"


def test_the_first_failing_case_is_shown_with_the_count_and_the_hint():
    result = score(values(10, 0, 0), check=value_check(hint="multiply, do not add"))
    assert result.message == "times_ten, on x = 2: expected 20, got 0 [2 of 3 cases failed]\nHint: multiply, do not add"
    assert score(values(10, 20, 30), check=value_check(hint="multiply")).message == ""  # no hint on a pass


def test_a_single_case_check_has_no_case_count():
    result = score({(0, 0): Outcome("value", value=11)}, cases=CASES[:1])
    assert result.message == "times_ten, on x = 1: expected 10, got 11"
    assert score({(0, 0): Outcome("value", value=10)}, cases=CASES[:1]).status == "passed"
    two = score(values(11, 20), cases=CASES[:2])
    assert two.message == "times_ten, on x = 1: expected 10, got 11 [1 of 2 cases failed]"


def test_the_case_count_goes_on_the_first_line_of_a_long_message():
    def long_compare(check, case, expected, got):
        return True if got == expected else "values differ\nat index 3"

    result = score_check(exercise(), 0, CASES, EXPECTED, values(10, 20, 31), long_compare)
    assert result.message == "times_ten, on x = 3: values differ [1 of 3 cases failed]\nat index 3"


def test_not_implemented_is_not_attempted_and_gets_no_hint():
    result = score({(0, j): raised("NotImplementedError", "") for j in range(3)}, check=value_check(hint="use a loop"))
    assert (result.status, result.score, result.attempted) == ("failed", 0.0, False)
    assert result.message == "not attempted: times_ten raises NotImplementedError"
    other = score({(0, j): raised("NotImplementedErrorX", "") for j in range(3)})  # a look-alike is an error
    assert (other.status, other.attempted) == ("error", True)


def test_not_implemented_at_import_names_the_module():
    result = score({(0, j): raised("NotImplementedError", "", stage="import") for j in range(3)})
    assert (result.message, result.attempted) == ("not attempted: the module raises NotImplementedError", False)


def test_an_exception_is_an_error_with_its_type_message_and_trace():
    outcomes = values(10, 20, 30)
    outcomes[0, 1] = raised("ValueError", "bad x", trace=["ex.py, line 3, in times_ten: raise ValueError('bad x')"])
    result = score(outcomes)
    assert (result.status, result.score, result.attempted) == ("error", 0.0, True)
    assert result.message == (
        "times_ten, on x = 2: raised ValueError: bad x [1 of 3 cases failed]\n"
        "    ex.py, line 3, in times_ten: raise ValueError('bad x')"
    )


def test_an_exception_without_a_message_has_no_dangling_colon():
    outcomes = values(10, 20, 30)
    outcomes[0, 0] = raised("StopIteration", "")
    assert score(outcomes).message == "times_ten, on x = 1: raised StopIteration [1 of 3 cases failed]"


def test_an_exception_at_import_says_so():
    result = score({(0, j): raised("SyntaxError", "invalid syntax", stage="import") for j in range(3)})
    assert result.status == "error"
    assert result.message == "importing your module: raised SyntaxError: invalid syntax [3 of 3 cases failed]"


def test_timeouts_and_crashes_have_their_own_status():
    outcomes = values(10, 20, 30)
    outcomes[0, 2] = Outcome("timeout", message="it took longer than 1 s")
    result = score(outcomes)
    assert (result.status, result.score) == ("timeout", 0.0)
    assert result.message == "times_ten, on x = 3: did not finish: it took longer than 1 s [1 of 3 cases failed]"
    outcomes[0, 2] = Outcome("crashed", message="the process was killed by signal SIGSEGV")
    result = score(outcomes)
    assert (result.status, result.score) == ("error", 0.0)
    assert result.message.startswith("times_ten, on x = 3: crashed: the process was killed by signal SIGSEGV")


def test_the_first_failing_case_decides_the_status():
    outcomes = {(0, 0): Outcome("timeout", message="slow"), (0, 1): Outcome("value", value=0), (0, 2): raised()}
    assert score(outcomes).status == "timeout"
    outcomes[0, 0] = Outcome("value", value=10)
    assert score(outcomes).status == "failed"


def test_a_case_with_no_outcome_was_not_run_and_scores_nothing():
    result = score({(0, 0): Outcome("value", value=10), (0, 2): Outcome("value", value=30)})
    assert (result.status, result.score) == ("error", 0.0)
    assert result.message.startswith("times_ten, on x = 2: crashed: it was not run")


@pytest.mark.parametrize(
    ("expected", "detail"),
    [
        ({"error": "ImportError: no module named solutions"}, "ImportError: no module named solutions"),
        ({**EXPECTED, (0, 1): ("error", "ZeroDivisionError")}, "ZeroDivisionError"),
        ({(0, 0): EXPECTED[0, 0]}, "no expected value"),
    ],
)
def test_a_reference_failure_is_the_exercises_fault_and_scores_nothing(expected, detail):
    result = score(values(10, 20, 30), expected=expected)
    assert (result.status, result.score, result.attempted) == ("error", 0.0, True)
    failing = "x = 1" if "error" in expected else "x = 2"
    assert result.message == (
        f"the reference failed on {failing} ({detail}). This is a problem with the exercise, not with your "
        "code: please tell your instructor."
    )


def test_expected_values_are_needed_only_to_compare_values():
    """An exception in the student's code is reported even when the reference failed too."""
    result = score({(0, j): raised() for j in range(3)}, expected={"error": "reference broken"})
    assert result.status == "error" and "reference" not in result.message
    assert result.message.startswith("times_ten, on x = 1: raised ValueError: bad x")


# --- score_source_check ---------------------------------------------------------


def source_check(inspect, hint="") -> SourceCheck:
    return SourceCheck("no_loops", "ex.py", 1.5, inspect, hint=hint)


def test_a_clean_source_passes_and_each_problem_fails():
    check = source_check(lambda source: [f"line {n}: a loop" for n in range(1, source.count("for") + 1)])
    passed = score_source_check(check, "x = 1\n")
    assert (passed.status, passed.score, passed.max_score, passed.message) == ("passed", 1.5, 1.5, "")
    failed = score_source_check(check, "for a in b: pass\nfor c in d: pass\n")
    assert (failed.status, failed.score, failed.attempted) == ("failed", 0.0, True)
    assert failed.message == "ex.py: line 1: a loop; line 2: a loop"


def test_more_than_five_problems_are_counted_and_the_hint_follows():
    check = source_check(lambda source: [f"p{n}" for n in range(int(source))], hint="vectorise")
    assert score_source_check(check, "7").message == "ex.py: p0; p1; p2; p3; p4 (and 2 more)\nHint: vectorise"
    assert score_source_check(check, "5").message == "ex.py: p0; p1; p2; p3; p4\nHint: vectorise"


def test_a_missing_file_is_not_attempted():
    result = score_source_check(source_check(lambda source: []), None)
    assert (result.status, result.score, result.attempted) == ("failed", 0.0, False)
    assert result.message == "not attempted: the file is missing"
    assert score_source_check(source_check(lambda source: []), "").attempted  # an empty file is attempted


def test_an_inspector_that_raises_is_an_error_not_a_crash():
    def broken(source):
        raise KeyError("oops")

    result = score_source_check(source_check(broken), "x = 1\n")
    assert (result.status, result.score, result.attempted) == ("error", 0.0, True)
    assert result.message == "the check itself failed (KeyError: 'oops'); tell your instructor"


# --- not_attempted and refused ----------------------------------------------------


def test_not_attempted_and_refused_score_zero_for_every_check():
    ex = exercise(value_check(), source_check(lambda source: []))
    missing = not_attempted(ex, "ex.py does not exist")
    assert (missing.name, missing.title, missing.score, missing.max_score) == ("ex", "Ex", 0.0, 3.5)
    assert [(c.status, c.attempted, c.message) for c in missing.checks] == [
        ("failed", False, "not attempted: ex.py does not exist")
    ] * 2
    kept_out = refused(ex, "ex.py is a symbolic link")
    assert (kept_out.score, kept_out.max_score) == (0.0, 3.5)
    assert [(c.status, c.attempted, c.message) for c in kept_out.checks] == [
        ("error", True, "ex.py is a symbolic link")
    ] * 2
    assert [c.name for c in kept_out.checks] == ["times_ten", "no_loops"]


# --- apply_requirements -----------------------------------------------------------


def result(name, status="passed", attempted=True, message="", points=1.0) -> CheckResult:
    return CheckResult(
        name, name, status, points if status == "passed" else 0.0, points, message=message, attempted=attempted
    )


SIDE = value_check("unchanged", points=1.0, requires=("a", "b"))


def requiring(*checks) -> Exercise:
    return exercise(value_check("a", points=1.0), value_check("b", points=1.0), value_check("c", points=1.0), *checks)


def test_a_side_check_counts_once_its_requirements_pass():
    ex = requiring(SIDE)
    counted = apply_requirements(ex, [result("a"), result("b"), result("c", "failed"), result("unchanged")])
    assert (counted[3].status, counted[3].score) == ("passed", 1.0)  # "c" is not one of its requirements
    held = apply_requirements(ex, [result("a"), result("b", "failed"), result("c"), result("unchanged")])
    assert (held[3].status, held[3].score, held[3].attempted) == ("failed", 0.0, True)
    assert held[3].message == "not yet counted: needs 'b' to pass first"
    assert held[:3] == [result("a"), result("b", "failed"), result("c")]  # the value checks stand as they are


def test_the_missing_requirements_are_listed_in_words():
    ex = requiring(value_check("unchanged", points=1.0, requires=("a", "b", "c")))
    held = apply_requirements(
        ex, [result("a", "error"), result("b", "timeout"), result("c", "failed"), result("unchanged")]
    )
    assert held[3].message == "not yet counted: needs 'a', 'b' and 'c' to pass first"
    held = apply_requirements(ex, [result("a", "error"), result("b"), result("c", "failed"), result("unchanged")])
    assert held[3].message == "not yet counted: needs 'a' and 'c' to pass first"


def test_a_requirement_not_attempted_makes_the_side_check_not_attempted():
    ex = requiring(SIDE)
    one = apply_requirements(
        ex, [result("a", "failed", attempted=False), result("b"), result("c"), result("unchanged")]
    )
    assert (one[3].status, one[3].score, one[3].attempted) == ("failed", 0.0, False)
    assert one[3].message == "not attempted: counts once 'a' passes"
    both = apply_requirements(
        ex,
        [
            result("a", "failed", attempted=False),
            result("b", "failed", attempted=False),
            result("c"),
            result("unchanged"),
        ],
    )
    assert both[3].message == "not attempted: counts once 'a' and 'b' pass"
    mixed = apply_requirements(
        ex, [result("a", "failed", attempted=False), result("b", "error"), result("c"), result("unchanged")]
    )
    assert mixed[3].attempted is False  # attempted only when every missing requirement was


def test_a_failing_side_check_keeps_its_status_and_says_why_too():
    ex = requiring(SIDE)
    own = result("unchanged", "timeout", message="unchanged, on x = 1: did not finish")
    held = apply_requirements(ex, [result("a", "failed"), result("b"), result("c"), own])
    assert (held[3].status, held[3].score) == ("timeout", 0.0)
    assert held[3].message == (
        "not yet counted: needs 'a' to pass first\nOn its own it fails too: unchanged, on x = 1: did not finish"
    )


def test_a_side_check_not_attempted_itself_is_left_as_it_is():
    ex = requiring(SIDE)
    own = result("unchanged", "failed", attempted=False, message="not attempted: unchanged raises NotImplementedError")
    held = apply_requirements(ex, [result("a", "failed"), result("b"), result("c"), own])
    assert held[3] == own


def test_a_static_check_requires_every_value_check_by_default():
    static = source_check(lambda source: [])
    ex = requiring(SIDE, static)
    checks = [result("a"), result("b"), result("c"), result("unchanged", "failed"), result("no_loops", points=1.5)]
    assert apply_requirements(ex, checks)[4].score == 1.5  # a side check is no value check: not required
    checks[2] = result("c", "failed")
    held = apply_requirements(ex, checks)[4]
    assert (held.status, held.score, held.max_score) == ("failed", 0.0, 1.5)
    assert held.message == "not yet counted: needs 'c' to pass first"
