"""Turn outcomes into check results: points and messages. Never prints."""

from __future__ import annotations

from typing import Any

from grader.checking.outcomes import Outcome
from grader.exercise import Check, Exercise, SourceCheck
from grader.results import CheckResult, ExerciseResult

NOT_ATTEMPTED = "NotImplementedError"


def score_check(
    exercise: Exercise,
    index: int,
    cases: list,
    expected: dict,
    outcomes: dict,
    compare,
) -> CheckResult:
    """Score a behavioural check: all of its cases must pass.

    Args:
        exercise: The exercise.
        index: The check's index in ``exercise.checks``.
        cases: The check's cases.
        expected: ``(check, case) -> ("value", v) | ("error", message)``
            from the reference process, or ``{"error": message}``.
        outcomes: ``(check, case) -> Outcome`` from the student's process.
        compare: ``compare(check, case, expected, got) -> True | message``.
    """
    check = exercise.checks[index]
    failures: list[tuple[str, str, bool]] = []  # (status, message, attempted)
    for j, case in enumerate(cases):
        outcome: Outcome = outcomes.get((index, j), Outcome("crashed", message="it was not run"))
        want = None
        if outcome.kind == "value":  # expected values are needed only to compare values
            ref = ("error", expected["error"]) if "error" in expected else expected.get((index, j))
            if ref is None or ref[0] == "error":
                detail = ref[1] if ref else "no expected value"
                return _result(
                    check,
                    "error",
                    f"the reference failed on {case.label} ({detail}). This is a problem with the "
                    "exercise, not with your code: please tell your instructor.",
                )
            want = ref[1]
        failure = _judge(check, case, want, outcome, compare)
        if failure:
            failures.append(failure)
    if not failures:
        return _result(check, "passed", "")
    status, message, attempted = failures[0]
    if not attempted:
        return _result(check, "failed", message, attempted=False)
    if len(cases) > 1:
        first, *rest = message.split("\n")
        message = "\n".join([f"{first} [{len(failures)} of {len(cases)} cases failed]", *rest])
    if check.hint:
        message += f"\nHint: {check.hint}"
    return _result(check, status, message)


def _judge(check: Check, case, expected: Any, outcome: Outcome, compare) -> tuple[str, str, bool] | None:
    where = f"{check.function}, on {case.label}"
    if outcome.kind == "value":
        verdict = compare(check, case, expected, outcome.value)
        if verdict is True:
            return None
        return ("failed", f"{where}: {verdict}", True)
    if outcome.kind == "raised":
        error = outcome.error
        if error["type"] == NOT_ATTEMPTED:
            what = "the module" if error.get("stage") == "import" else check.function
            return ("failed", f"not attempted: {what} raises NotImplementedError", False)
        text = f"{error['type']}: {error['message']}".strip().rstrip(":")
        if error.get("stage") == "import":
            where = "importing your module"
        trace = "".join(f"\n    {line}" for line in error.get("trace", []))
        return ("error", f"{where}: raised {text}{trace}", True)
    if outcome.kind == "timeout":
        return ("timeout", f"{where}: did not finish: {outcome.message}", True)
    return ("error", f"{where}: crashed: {outcome.message}", True)


def score_source_check(check: SourceCheck, source: str | None) -> CheckResult:
    """Score a static check on the submitted source (``None``: no file)."""
    if source is None:
        return _result(check, "failed", "not attempted: the file is missing", attempted=False)
    try:
        problems = list(check.inspect(source))
    except Exception as exc:  # an inspector bug must not crash the run
        return _result(check, "error", f"the check itself failed ({type(exc).__name__}: {exc}); tell your instructor")
    if not problems:
        return _result(check, "passed", "")
    message = f"{check.function}: " + "; ".join(problems[:5])
    if len(problems) > 5:
        message += f" (and {len(problems) - 5} more)"
    if check.hint:
        message += f"\nHint: {check.hint}"
    return _result(check, "failed", message)


def _result(check, status: str, message: str, attempted: bool = True) -> CheckResult:
    return CheckResult(
        name=check.name,
        function=check.function,
        status=status,  # type: ignore[arg-type]
        score=float(check.points) if status == "passed" else 0.0,
        max_score=float(check.points),
        message=message,
        attempted=attempted,
        description=check.description,
    )


def not_attempted(exercise: Exercise, why: str) -> ExerciseResult:
    """Zero for every check of an exercise whose file is missing."""
    return ExerciseResult(
        name=exercise.name,
        title=exercise.title,
        checks=tuple(_result(c, "failed", f"not attempted: {why}", attempted=False) for c in exercise.checks),
    )


def refused(exercise: Exercise, why: str) -> ExerciseResult:
    """Zero for every check of an exercise whose file the grader refused to read.

    Unlike a missing file this counts as attempted, so reports show ``why``.
    """
    return ExerciseResult(
        name=exercise.name,
        title=exercise.title,
        checks=tuple(_result(c, "error", why) for c in exercise.checks),
    )


def apply_requirements(exercise: Exercise, checks: list) -> list:
    """Side constraints count only once the value checks they require pass.

    A check that ``requires`` others (see ``Exercise.requirements``)
    scores nothing until every one of them passed: "the inputs are left
    unchanged" or "no forbidden API" says nothing about code that does not
    work yet. It then reads "not yet counted", is ``failed`` (or keeps its
    own failing status) and counts as not attempted when a requirement was
    not attempted. Its own failure, if any, follows the message; a check
    that was not attempted itself is left as it is.

    Args:
        exercise: The exercise.
        checks: One ``CheckResult`` per check of ``exercise``, in order.
    """
    by_name = {result.name: result for result in checks}
    out = []
    for spec, result in zip(exercise.checks, checks):
        missing = [name for name in exercise.requirements(spec) if by_name[name].status != "passed"]
        if not missing or not result.attempted:  # counted, or already zero and "not attempted"
            out.append(result)
            continue
        attempted = all(by_name[name].attempted for name in missing)
        message = f"not yet counted: needs {_names(missing)} to pass first"
        if not attempted:
            message = f"not attempted: counts once {_names(missing)} {'passes' if len(missing) == 1 else 'pass'}"
        if result.status != "passed" and result.attempted:
            message += f"\nOn its own it fails too: {result.message}"
        status = result.status if result.status != "passed" else "failed"
        out.append(_result(spec, status, message, attempted=attempted))
    return out


def _names(names: list[str]) -> str:
    quoted = [f"'{name}'" for name in names]
    return quoted[0] if len(quoted) == 1 else ", ".join(quoted[:-1]) + " and " + quoted[-1]
