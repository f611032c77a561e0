"""One zygote, several sandboxes at once: answers reach their callers, exits are reported as they happen.

The zygote serves the numpy toy ``tests.plugins.toy_steps`` (one check, four
cases, 0.5 s per case); the last test grades two torch exercises of the
catalog in one lane.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import threading
import time
from dataclasses import replace
from pathlib import Path

import pytest

from grader import grading, policy
from grader.cases import make_cases
from grader.exercise import Context, validate
from grader.process import supervisor
from grader.process.channel import Closed, FrameReader
from grader.process.lifecycle import process_state
from grader.process.sandbox import Plan
from grader.process.zygote import Zygote, import_path
from tests.plugins.toy_steps import TOY_STEPS
from tests.process import processes

MODULE = "tests.plugins.toy_steps"
EXERCISE = validate(TOY_STEPS, MODULE)
LABEL = f"test-zygote-concurrency-{os.getpid()}"
ROOT = Path(__file__).resolve().parents[2]

ECHO = "def echo(k, tag):\n{misbehave}    return tag\n"
HANG = "    while True:\n        pass\n"


def source(misbehave: str = "", prelude: str = "") -> str:
    return prelude + ECHO.format(misbehave=misbehave)


@pytest.fixture(scope="module")
def zygote():
    started = Zygote("numpy", {EXERCISE.name: (MODULE, MODULE)}, import_path(), label=LABEL)
    yield started
    started.close()


def forked_from(zygote) -> list[int]:
    """Live processes forked from ``zygote`` (its label is this module's)."""
    return processes.forked_from(zygote, LABEL)


def running(pid: int) -> bool:
    """Whether ``pid`` exists and is not a zombie (exited, not reaped yet)."""
    return process_state(pid) not in (None, "Z")


def start(zygote, text: str, output) -> supervisor._Child:
    """Have the zygote fork a sandbox for ``text``; return once it has said hello."""
    pid, fd = zygote.spawn(
        EXERCISE.name, 0, "toy_steps.py", text, Context("cpu", "student"), Plan(memory_limit_mb=512), output.fileno()
    )
    child = supervisor._Child(pid, FrameReader(fd))
    hello = child.reader.read(time.monotonic() + 30)
    assert isinstance(hello, dict) and hello.get("kind") == "sandbox"
    child.inner = hello["pid"]
    return child


def test_two_sandboxes_of_one_zygote_are_alive_at_once(zygote):
    with tempfile.TemporaryFile() as output:
        first = start(zygote, source(HANG), output)
        try:
            # The zygote answers this request while the first sandbox runs (one at a time: never).
            second = start(zygote, source(HANG), output)
            try:
                assert first.pid != second.pid
                assert running(first.pid) and running(second.pid)
                assert {first.pid, second.pid} <= set(forked_from(zygote))
            finally:
                supervisor._kill(second, zygote)
        finally:
            supervisor._kill(first, zygote)
    assert first.exit_code is not None and second.exit_code is not None
    assert forked_from(zygote) == []


def test_an_exit_is_reported_while_another_sandbox_runs(zygote):
    with tempfile.TemporaryFile() as output:
        hanging = start(zygote, source(HANG), output)
        try:
            quick = start(zygote, source(prelude="import os\nos._exit(3)\n"), output)
            with pytest.raises(Closed):
                while True:
                    quick.reader.read(time.monotonic() + 30)
            status = zygote.wait(quick.pid, 10.0)  # its exit, reported before the other one's
            assert status is not None and os.waitstatus_to_exitcode(status) == 3
            assert running(hanging.pid) and not hanging.reader.eof
            os.close(quick.reader.fd)
        finally:
            supervisor._kill(hanging, zygote)
    assert forked_from(zygote) == []


def test_a_hanging_exercise_does_not_delay_another_exercises_result(zygote):
    check = replace(EXERCISE.checks[0], time_limit=30.0)  # only the exercise's limit stops the hang
    slow = replace(EXERCISE, time_limit=6.0, checks=(check,))
    finished: dict[str, float] = {}
    results: dict[str, dict] = {}

    def run(name, exercise, text):
        outcomes, _ = supervisor.run_exercise(
            exercise,
            make_cases(exercise),
            "toy_steps.py",
            text,
            Context("cpu", "student"),
            Plan(memory_limit_mb=512),
            zygote,
        )
        results[name] = outcomes
        finished[name] = time.monotonic()

    hanging = threading.Thread(target=run, args=("hanging", slow, source("    while k == 1:\n        pass\n")))
    hanging.start()
    try:
        give_up = time.monotonic() + 30
        while not forked_from(zygote) and time.monotonic() < give_up:
            time.sleep(0.01)
        started = time.monotonic()
        run("quick", EXERCISE, source())
        assert finished["quick"] - started < 3.0  # not after the hanging exercise's 6 s
        assert hanging.is_alive()
    finally:
        hanging.join()
    assert [(o.kind, o.value) for o in results["quick"].values()] == [
        ("value", case.inputs["tag"]) for case in make_cases(EXERCISE)["echo"]
    ]
    assert [o.kind for o in results["hanging"].values()] == ["value", "timeout", "timeout", "timeout"]
    assert results["hanging"][0, 1].message == "the exercise ran out of its 6 s time limit"
    assert forked_from(zygote) == []


def test_a_lane_runs_as_many_torch_exercises_at_once_as_it_has_cores(monkeypatch):
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0, 1, 2, 3, 4}, raising=False)
    assert grading.workers_per_lane(1) == 5
    assert grading.workers_per_lane(2) == 2
    assert grading.workers_per_lane(6) == 1


def test_a_hanging_torch_exercise_does_not_delay_the_next_ones_result(pm, exercises, tmp_path, monkeypatch):
    """rnn's import hangs; shift_reduce, declared after it, is graded meanwhile and reported after it."""
    monkeypatch.setattr(policy, "IMPORT_LIMIT", 4.0)
    monkeypatch.setattr(grading, "workers_per_lane", lambda lanes: 2)
    (tmp_path / "rnn.py").write_text("while True:\n    pass\n")
    shutil.copy(ROOT / "solutions" / "shift_reduce.py", tmp_path / "shift_reduce.py")
    finished: dict[str, float] = {}
    real = grading.Grader._grade_exercise

    def timed(self, lane, exercise, *args):
        try:
            return real(self, lane, exercise, *args)
        finally:
            finished[exercise.name] = time.monotonic()

    monkeypatch.setattr(grading.Grader, "_grade_exercise", timed)
    report = grading.grade(pm, [exercises["rnn"], exercises["shift_reduce"]], tmp_path, "cpu")
    assert [result.name for result in report.exercises] == ["rnn", "shift_reduce"]  # declaration order
    rnn, shift_reduce = report.exercises
    assert all(check.status == "timeout" for check in rnn.checks if check.hidden_cases or check.public_cases)
    assert all(check.status == "passed" for check in shift_reduce.checks)
    assert finished["shift_reduce"] < finished["rnn"] - 2.0  # graded while rnn's import hung
