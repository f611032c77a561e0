"""The torch zygote's work order: an exercise's sandbox never waits for another exercise's slow preloads.

The toy plugin ``tests.plugins.toy_torch`` has two torch exercises:
``toy_slow`` preloads a module that takes seconds to import (as
``torch._dynamo`` takes about one), ``toy_quick`` preloads nothing.
"""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

import pytest

from grader.cases import make_cases
from grader.exercise import Context
from grader.grading import Grader
from grader.manager import collect_exercises, get_plugin_manager
from grader.process.expected import ReferenceProcess, can_fork_from_zygote, preload_groups
from grader.process.sandbox import Plan
from grader.process.zygote import Zygote, import_path

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.skipif(not can_fork_from_zygote(), reason="needs pidfds (Linux)")


@pytest.fixture
def toys():
    pm = get_plugin_manager(["no:grader.reporters.terminal", "tests.plugins.toy_torch"])
    found = collect_exercises(pm)
    return pm, [found["toy_slow"], found["toy_quick"]]


@pytest.fixture
def messages(monkeypatch) -> list[tuple[str, list, float]]:
    """Every message the grader reads from a zygote: ``(kind, the rest, when)``."""
    seen: list[tuple[str, list, float]] = []
    route = Zygote._route

    def recording(self, message, fds):
        seen.append((message[0], message[1:], time.monotonic()))
        route(self, message, fds)

    monkeypatch.setattr(Zygote, "_route", recording)
    monkeypatch.setenv("GRADER_CACHE", "off")
    return seen


def test_exercises_are_grouped_by_what_they_preload_fewest_first(toys):
    _, (slow, quick) = toys
    assert [[e.name for e in group] for group in preload_groups([slow, quick])] == [["toy_quick"], ["toy_slow"]]


def test_an_expected_values_worker_is_forked_once_its_groups_preloads_are_imported(toys, messages, tmp_path):
    pm, exercises = toys
    submission = tmp_path / "submission"
    submission.mkdir()
    reference = (ROOT / "tests" / "plugins" / "toy_solutions" / "toy_torch.py").read_text()
    for exercise in exercises:
        (submission / f"{exercise.name}.py").write_text(reference)
    with Grader(pm, exercises, "cpu", exclude=(tmp_path,)) as grader:
        report = grader.grade(submission, report=False)
    # Right, although toy_slow's expected values came from a worker forked after a sandbox existed.
    assert report.score == report.max_score == 2

    def when(kind: str, found=lambda rest: True) -> list[float]:
        return [at for seen, rest, at in messages if seen == kind and found(rest)]

    slow_ready = when("preloaded", lambda rest: "toy_slow" in rest[0])
    assert len(slow_ready) == 1
    spawned, forked = when("spawned"), when("forked")
    assert len(spawned) == 2 and len(forked) == 2, "one sandbox per exercise, one expected-values worker per group"
    # toy_quick's expected values did not wait for toy_slow's import; toy_slow's worker was forked once it
    # was done. (That toy_quick's sandbox did not wait either is the next test's: here it depends on how
    # soon this process sends the spawn request.)
    assert forked[0] < slow_ready[0] <= forked[1]


def test_a_spawn_request_is_answered_before_the_slow_imports_an_expected_values_worker_waits_for(toys, messages):
    # The worker for toy_slow is asked for first; toy_quick's sandbox right after. The zygote answers
    # the spawn request, then imports toy_slow's preload, then forks the worker: after a sandbox exists.
    pm, (slow, quick) = toys
    plugins = {e.name: ("tests.plugins.toy_torch", "tests.plugins.toy_torch") for e in (slow, quick)}
    zygote = Zygote("torch", plugins, import_path(), label=f"test-expected-groups-{os.getpid()}")
    worker = ReferenceProcess([slow], {"toy_slow": make_cases(slow)}, zygote=zygote, plugins=plugins, hidden={})
    try:
        zygote.device()  # torch is imported: the requests below are read at once
        worker.start("cpu", ["toy_slow"])
        with tempfile.TemporaryFile() as output:
            pid, fd = zygote.spawn(
                "toy_quick", 0, "toy_quick.py", "", Context("cpu", "student"), Plan(), output.fileno()
            )
            os.close(fd)
            assert zygote.wait(pid, 60) is not None
        frame = worker.frame("toy_slow", time.monotonic() + 60)
        assert "error" not in frame and frame["results"][0][2] == "value"
    finally:
        worker.close()
        zygote.close()
    order = [kind for kind, rest, _ in messages if kind in ("spawned", "forked") or "toy_slow" in str(rest)]
    assert order == ["spawned", "preloaded", "forked"], "the sandbox waited for another exercise's preloads"
