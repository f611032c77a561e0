"""A zygote that dies or stays stopped: every wait for it ends at once, with a one-line reason.

A datagram socket never reads as closed when its peer dies, and nothing at
all comes from a stopped process: without a liveness check the grader
waited for its limits (three minutes per start message, 30 s per spawn,
two minutes for expected values, three minutes per expected-values process
when closing). Without a PID namespace a student process can stop or kill
its zygote; the out-of-memory killer can kill one anywhere.
"""

from __future__ import annotations

import os
import signal
import tempfile
import time

import pytest

from grader.cases import make_cases
from grader.exercise import Context, validate
from grader.manager import collect_exercises, get_plugin_manager
from grader.process import zygote
from grader.process.expected import ReferenceProcess, can_fork_from_zygote
from grader.process.sandbox import Plan
from grader.process.zygote import Zygote, ZygoteError, import_path
from tests.plugins.toy_steps import TOY_STEPS

MODULE = "tests.plugins.toy_steps"
EXERCISE = validate(TOY_STEPS, MODULE)


def gone(started: Zygote) -> bool:
    return started.pid == 0 and started._process.poll() is not None


@pytest.mark.parametrize(
    ("how", "reason"),
    [("os._exit(7)", "exit status 7"), ("os.kill(os.getpid(), signal.SIGKILL)", "killed by SIGKILL")],
)
def test_a_zygote_that_dies_while_it_starts_is_reported_at_once(tmp_path, monkeypatch, how, reason):
    monkeypatch.setattr(zygote, "START_LIMIT", 20.0)  # the old wait: this limit, then "did not start"
    (tmp_path / "dies_at_import.py").write_text(f"import os, signal\n{how}\n")
    started = Zygote("numpy", {"doomed": ("dies_at_import", "dies_at_import")}, [str(tmp_path), *import_path()])
    try:
        with pytest.raises(ZygoteError, match=f"the numpy zygote stopped \\({reason}\\)"):
            started._wait_ready()
    finally:
        started.close()
    assert gone(started)


def spawn(started: Zygote) -> None:
    with tempfile.TemporaryFile() as output:
        started.spawn(EXERCISE.name, 0, "toy_steps.py", "", Context("cpu", "student"), Plan(), output.fileno())


@pytest.mark.parametrize(
    ("sent", "reason"),
    [
        (signal.SIGKILL, "the numpy zygote stopped \\(killed by SIGKILL\\)"),
        (signal.SIGSTOP, "the numpy zygote was stopped by a signal and does not answer"),
    ],
)
def test_a_spawn_request_to_a_zygote_that_died_or_stays_stopped_fails_at_once(sent, reason):
    started = Zygote("numpy", {EXERCISE.name: (MODULE, MODULE)}, import_path())
    try:
        started._wait_ready()
        os.kill(started.pid, sent)
        begun = time.monotonic()
        with pytest.raises(ZygoteError, match=reason):  # not OSError (a traceback), not after SPAWN_LIMIT
            spawn(started)
        assert time.monotonic() - begun < zygote.SPAWN_LIMIT / 3
        with pytest.raises(ZygoteError, match=reason):  # and so for every later caller
            spawn(started)
    finally:
        started.close()
    assert gone(started)


@pytest.mark.skipif(not can_fork_from_zygote(), reason="needs pidfds (Linux)")
def test_expected_values_a_stopped_zygote_was_to_fork_are_not_waited_for():
    # toy_slow's expected-values process is forked once its slow preload is in: stopped before, it never is.
    pm = get_plugin_manager(["no:grader.reporters.terminal", "tests.plugins.toy_torch"])
    slow = collect_exercises(pm)["toy_slow"]
    plugins = {"toy_slow": ("tests.plugins.toy_torch", "tests.plugins.toy_torch")}
    started = Zygote("torch", plugins, import_path())
    worker = ReferenceProcess([slow], {"toy_slow": make_cases(slow)}, zygote=started, plugins=plugins, hidden={})
    try:
        started.device()
        worker.start("cpu", ["toy_slow"])
        os.kill(started.pid, signal.SIGSTOP)
        begun = time.monotonic()
        frame = worker.frame("toy_slow", begun + 60)
        assert time.monotonic() - begun < 10
        assert frame == {
            "error": "the reference process never came: the torch zygote was stopped by a signal and does not answer"
        }
        begun = time.monotonic()
        worker.close()  # does not wait for the answer to the fork request either
        assert time.monotonic() - begun < 10
    finally:
        worker.close()
        started.close()
    assert gone(started)
