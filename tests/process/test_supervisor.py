"""The supervisor with a real zygote: per-case limits, restarts, import failures, deadlines, output.

The exercise is the numpy toy ``tests.plugins.toy_steps``: one check, four
cases ``k = 0..3``, each with a tag drawn by the case generator, and a
per-case limit of 0.5 s. Submissions misbehave on chosen cases.
"""

from __future__ import annotations

import os
import pickle
import socket
import time
from dataclasses import replace

import pytest

from grader import policy
from grader.cases import make_cases
from grader.exercise import Context, validate
from grader.process import supervisor
from grader.process.sandbox import Plan
from grader.process.zygote import Zygote, import_path
from tests.plugins.toy_steps import TOY_STEPS
from tests.process import processes

MODULE = "tests.plugins.toy_steps"
EXERCISE = validate(TOY_STEPS, MODULE)
HIDDEN = 1234  # a hidden-case seed, as hidden_key would give
LABEL = f"test-supervisor-{os.getpid()}"

ECHO = "def echo(k, tag):\n    print(tag)\n{misbehave}    return tag\n"


def submission(misbehave: str = "", prelude: str = "") -> str:
    """``echo`` prints and returns its tag; ``misbehave`` (indented lines) runs first."""
    body = "".join(f"    {line}\n" for line in misbehave.splitlines())
    return prelude + ECHO.format(misbehave=body)


@pytest.fixture(scope="module")
def zygote():
    started = Zygote("numpy", {EXERCISE.name: (MODULE, MODULE)}, import_path(), label=LABEL)
    yield started
    started.close()


@pytest.fixture
def spawns(zygote, monkeypatch):
    """The ``(offset, hidden)`` of every process the supervisor asks the zygote for."""
    seen: list[tuple[int, int | None]] = []
    real = zygote.spawn

    def spawn(name, offset, filename, source, ctx, plan, output_fd, hidden=None):
        seen.append((offset, hidden))
        return real(name, offset, filename, source, ctx, plan, output_fd, hidden)

    monkeypatch.setattr(zygote, "spawn", spawn)
    return seen


def forked_from(zygote) -> list[int]:
    """Live processes forked from ``zygote`` (its label is this module's)."""
    return processes.forked_from(zygote, LABEL)


def run(zygote, source, exercise=EXERCISE, hidden=None, **options):
    cases = make_cases(exercise, hidden)
    outcomes, output = supervisor.run_exercise(
        exercise,
        cases,
        "toy_steps.py",
        source,
        Context("cpu", "student"),
        Plan(memory_limit_mb=512),
        zygote,
        hidden=hidden,
        **options,
    )
    assert forked_from(zygote) == []  # every sandbox and student process is gone
    return cases, outcomes, output


def tags(cases) -> list[str]:
    return [case.inputs["tag"] for case in cases["echo"]]


def test_every_case_runs_in_one_process_in_order(zygote, spawns):
    cases, outcomes, output = run(zygote, submission())
    assert {key: (o.kind, o.value) for key, o in outcomes.items()} == {
        (0, k): ("value", tag) for k, tag in enumerate(tags(cases))
    }
    assert spawns == [(0, None)]
    assert output.split() == tags(cases)


def test_a_hanging_case_times_out_and_the_next_case_resumes(zygote, spawns):
    started = time.monotonic()
    cases, outcomes, output = run(zygote, submission("while k == 1:\n    pass"))
    took = time.monotonic() - started
    assert [outcomes[0, k].kind for k in range(4)] == ["value", "timeout", "value", "value"]
    assert outcomes[0, 1].message == "it took longer than 0.5 s"
    assert [outcomes[0, k].value for k in (0, 2, 3)] == [tags(cases)[k] for k in (0, 2, 3)]
    assert spawns == [(0, None), (2, None)]  # a fresh process starts at the case after the hang
    assert output.split() == tags(cases)  # both processes write to the same captured output
    assert took < EXERCISE.time_limit  # not held until the exercise's limit


def test_a_crash_is_charged_to_its_case_and_the_rest_resume(zygote, spawns):
    misbehave = "if k == 1:\n    os._exit(3)\nif k == 2:\n    ctypes.string_at(0)"
    cases, outcomes, _ = run(zygote, submission(misbehave, prelude="import ctypes\nimport os\n"))
    assert [outcomes[0, k].kind for k in range(4)] == ["value", "crashed", "crashed", "value"]
    assert outcomes[0, 1].message == "the process exited with status 3 (sys.exit or os._exit?)"
    assert outcomes[0, 2].message == "the process was killed by signal SIGSEGV (a crash in native code)"
    assert outcomes[0, 3].value == tags(cases)[3]
    assert spawns == [(0, None), (2, None), (3, None)]


def test_an_exception_is_a_raised_outcome_with_the_students_frames(zygote):
    _, outcomes, _ = run(zygote, submission("if k == 2:\n    raise KeyError('no such tag')"))
    assert [outcomes[0, k].kind for k in range(4)] == ["value", "value", "raised", "value"]
    error = outcomes[0, 2].error
    assert (error["type"], error["message"]) == ("KeyError", "'no such tag'")
    assert error["trace"] == ["toy_steps.py, line 4, in echo: raise KeyError('no such tag')"]


def test_an_import_error_fails_every_case_and_skips_the_hidden_phase(zygote, spawns):
    source = "raise ValueError('broken at import')\n" + submission()
    cases, outcomes, _ = run(zygote, source, hidden=HIDDEN)
    assert len(cases["echo"]) == 8 and [c.hidden for c in cases["echo"]] == [False] * 4 + [True] * 4
    for k in range(4):
        assert outcomes[0, k].kind == "raised"
        assert outcomes[0, k].error["stage"] == "import"
        assert (outcomes[0, k].error["type"], outcomes[0, k].error["message"]) == ("ValueError", "broken at import")
    for k in range(4, 8):
        assert (outcomes[0, k].kind, outcomes[0, k].message) == (
            "crashed",
            "not run: the module could not be imported",
        )
    assert spawns == [(0, None)]  # no process was started for the hidden cases


def test_an_import_that_hangs_is_cut_at_the_import_limit(zygote, spawns, monkeypatch):
    monkeypatch.setattr(policy, "IMPORT_LIMIT", 0.5)
    started = time.monotonic()
    _, outcomes, _ = run(zygote, "while True:\n    pass\n" + submission())
    assert {(o.kind, o.message) for o in outcomes.values()} == {
        ("timeout", "importing your module took longer than 0.5 s")
    }
    assert len(outcomes) == 4 and spawns == [(0, None)]
    assert time.monotonic() - started < EXERCISE.time_limit


def test_hidden_cases_run_in_their_own_process_and_their_output_is_discarded(zygote, spawns):
    cases, outcomes, output = run(zygote, submission(), hidden=HIDDEN)
    assert [(outcomes[0, k].kind, outcomes[0, k].value) for k in range(8)] == [("value", t) for t in tags(cases)]
    assert spawns == [(0, None), (0, HIDDEN)]
    public, hidden = tags(cases)[:4], tags(cases)[4:]
    assert set(public).isdisjoint(hidden)  # the hidden draw differs, so the output test below can fail
    assert output.split() == public


def test_the_zygote_is_never_sent_the_hidden_case_key(zygote, monkeypatch):
    # Only the sandbox that runs the hidden cases reads the key (from the file that carries the source): a
    # zygote that held it would leave it in memory that later sandboxes, whose output is shown, inherit.
    sent: list[bytes] = []
    send = socket.send_fds

    def recording(sock, buffers, fds, *args):
        sent.extend(buffers)
        return send(sock, buffers, fds, *args)

    monkeypatch.setattr(socket, "send_fds", recording)
    cases, outcomes, _ = run(zygote, submission(), hidden=HIDDEN)
    assert [(outcomes[0, k].kind, outcomes[0, k].value) for k in range(8)] == [("value", t) for t in tags(cases)]
    requests = [pickle.loads(data) for data in sent]
    assert len(requests) == 2 and [request[-1] for request in requests] == [False, True]
    assert not any(HIDDEN in request or str(HIDDEN).encode() in data for request, data in zip(requests, sent))


def test_the_exercise_time_limit_stops_the_run(zygote):
    check = replace(EXERCISE.checks[0], time_limit=30.0)  # only the exercise's limit can stop a hang
    exercise = replace(EXERCISE, time_limit=1.5, checks=(check,))
    started = time.monotonic()
    _, outcomes, _ = run(zygote, submission("while k == 1:\n    pass"), exercise=exercise)
    took = time.monotonic() - started
    assert [outcomes[0, k].kind for k in range(4)] == ["value", "timeout", "timeout", "timeout"]
    assert {outcomes[0, k].message for k in (1, 2, 3)} == {"the exercise ran out of its 1.5 s time limit"}
    assert 1.5 <= took < check.time_limit / 3  # stopped by the exercise, not by the case, limit


def test_the_time_limit_option_is_a_deadline_for_the_submission(zygote):
    check = replace(EXERCISE.checks[0], time_limit=30.0)
    exercise = replace(EXERCISE, checks=(check,))  # the exercise's own limit is 5 s
    started = time.monotonic()
    _, outcomes, _ = run(zygote, submission("while k == 1:\n    pass"), exercise=exercise, deadline=started + 1.0)
    took = time.monotonic() - started
    assert [outcomes[0, k].kind for k in range(4)] == ["value", "timeout", "timeout", "timeout"]
    assert {outcomes[0, k].message for k in (1, 2, 3)} == {
        "the submission ran out of its total time limit (--time-limit)"
    }
    assert 1.0 <= took < exercise.time_limit


@pytest.mark.parametrize("deadline", [None, 1.0])
def test_an_import_cut_by_the_time_limit_says_which_limit(zygote, deadline):
    # The import limit (20 s) is longer than the exercise's (1.5 s) and the submission's (1 s): the
    # student must read the one that stopped the import, not "took longer than 20 s".
    exercise = replace(EXERCISE, time_limit=1.5)
    started = time.monotonic()
    options = {} if deadline is None else {"deadline": started + deadline}
    _, outcomes, _ = run(zygote, "while True:\n    pass\n" + submission(), exercise=exercise, **options)
    assert time.monotonic() - started < policy.IMPORT_LIMIT
    limit = "the exercise ran out of its 1.5 s time limit"
    if deadline is not None:
        limit = "the submission ran out of its total time limit (--time-limit)"
    assert {(o.kind, o.message) for o in outcomes.values()} == {("timeout", limit)}


def test_a_deadline_already_past_runs_nothing(zygote, spawns):
    _, outcomes, output = run(zygote, submission(), deadline=time.monotonic() - 1)
    assert {(o.kind, o.message) for o in outcomes.values()} == {
        ("timeout", "the submission ran out of its total time limit (--time-limit)")
    }
    assert len(outcomes) == 4 and spawns == [] and output == ""


@pytest.mark.parametrize("size", [policy.OUTPUT_SHOWN, policy.OUTPUT_SHOWN + 1, 200_000])
def test_the_captured_output_is_bounded(zygote, size):
    source = f"import sys\nsys.stdout.write('x' * {size - 1} + '\\n')\ndef echo(k, tag):\n    return tag\n"
    _, outcomes, output = run(zygote, source)
    assert {o.kind for o in outcomes.values()} == {"value"}
    if size <= policy.OUTPUT_SHOWN:
        assert output == "x" * (size - 1) + "\n"
    else:
        assert output == "x" * policy.OUTPUT_SHOWN + "\n[... output truncated]"


def test_the_judge_keeps_the_verdict_not_the_value(zygote):
    cases = make_cases(EXERCISE)
    want = dict(enumerate(tags(cases)))
    judged = []

    def judge(key, value):
        judged.append(key)
        return value == want[key[1]]

    _, outcomes, _ = run(zygote, submission("if k == 3:\n    return 'wrong'"), judge=judge)
    assert judged == [(0, k) for k in range(4)]
    assert [outcomes[0, k].value for k in range(4)] == [True, True, True, False]
