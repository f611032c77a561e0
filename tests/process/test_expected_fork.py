"""The expected-values process forked from the torch zygote: the same values, its zygote's child, nothing left."""

from __future__ import annotations

import dataclasses
import os
import time
from pathlib import Path

import numpy as np
import pytest

from grader import grading
from grader.grading import Grader
from grader.manager import collect_exercises, get_plugin_manager
from grader.process import expected
from grader.process.expected import ReferenceProcess, can_fork_from_zygote
from grader.process.zygote import Zygote, import_path

pytestmark = pytest.mark.skipif(not can_fork_from_zygote(), reason="needs pidfds (Linux)")

SECRET = "a course secret for the expected-values process"


@pytest.fixture(scope="module")
def catalog():
    pm = get_plugin_manager(["no:grader.reporters.terminal"])
    exercises = collect_exercises(pm)
    return pm, [exercises["polyfit"], exercises["pooling"]]  # one numpy exercise, one torch exercise


@pytest.fixture
def killed(monkeypatch) -> list[int]:
    """The pids of the zygote-forked workers the grader kills (read from their pidfds; -1: exited before)."""
    pids: list[int] = []
    kill = expected._kill_zygote_child

    def recording(pidfd):
        if pidfd is not None:
            with open(f"/proc/self/fdinfo/{pidfd}") as info:
                pids.extend(int(line.split()[1]) for line in info if line.startswith("Pid:"))
        kill(pidfd)
        # Reaped by its zygote, which is still alive here: no zombie is left to be orphaned with it.
        assert not pids or not Path(f"/proc/{pids[-1]}").exists()

    monkeypatch.setattr(expected, "_kill_zygote_child", recording)
    monkeypatch.setenv("GRADER_CACHE", "off")
    return pids


def _canonical(value):
    """``value`` with arrays as their bytes and floats as their text (NaN equals NaN), for ``==``."""
    if isinstance(value, np.ndarray):
        return ("array", str(value.dtype), value.shape, value.tobytes())
    if dataclasses.is_dataclass(value):
        return (type(value).__name__, *(_canonical(getattr(value, f.name)) for f in dataclasses.fields(value)))
    if isinstance(value, dict):
        return {key: _canonical(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return (type(value).__name__, *map(_canonical, value))
    return repr(value) if isinstance(value, float) else value


def _children(pid: int) -> set[int]:
    found: set[int] = set()
    for task in Path(f"/proc/{pid}/task").iterdir():
        found |= {int(child) for child in (task / "children").read_text().split()}
    return found


def _gone(pid: int) -> bool:
    deadline = time.monotonic() + 5
    while Path(f"/proc/{pid}").exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    return not Path(f"/proc/{pid}").exists()  # a zombie would still be listed


def test_the_torch_zygote_forks_it_and_its_values_are_the_graders_own(catalog, killed, tmp_path):
    pm, exercises = catalog
    # "auto": the worker is told that nothing more comes only once the device is known (it lives until then)
    grader = Grader(pm, exercises, "auto", exclude=(tmp_path,), secret=SECRET)
    try:
        zygote = grader._all[0]["torch"]
        assert [worker._zygote for worker in grader._references._workers] == [zygote, zygote]
        deadline = time.monotonic() + 300
        values = {"polyfit": grader._expected.get("polyfit", deadline)}  # asked for at once (numpy)
        workers = _children(zygote.pid)
        assert len(workers) == 1  # no sandbox yet: the zygote's only child is the first group's worker
        assert grader.device == "cpu" or grader.device == "cuda"
        values["pooling"] = grader._expected.get("pooling", deadline)
        # pooling preloads symbolic_shapes, polyfit nothing: a second worker, forked once the device was known.
        # Either may have exited by now (each has answered everything it was asked): the pidfds below count them.
        workers |= _children(zygote.pid)
        assert not workers & _children(os.getpid())  # not the grader's
        assert not any("error" in found for found in values.values())
        # The same values as a worker forked from the grader, which gets the grader's own cases
        # (hidden ones included: the zygote-forked worker draws them from the keys it was sent).
        own = ReferenceProcess(exercises, grader.cases)
        try:
            own.start(grader.device, [e.name for e in exercises])
            for exercise in exercises:
                theirs = expected.expected_values(own.frame(exercise.name, deadline))
                assert _canonical(theirs) == _canonical(values[exercise.name])
        finally:
            own.close()
        if grader.protections["processes confined"]:
            assert any(case.hidden for cases in grader.cases["pooling"].values() for case in cases)
    finally:
        grader.close()
    # The grader got a pidfd of each of the two workers (-1: that worker had exited and been reaped before)
    assert len(killed) == 2 and set(killed) - {-1} <= workers
    assert all(_gone(pid) for pid in workers)  # gone, and reaped by their zygote: not even a zombie is left


def test_closing_before_the_zygote_has_forked_leaves_nothing(catalog, killed, tmp_path):
    pm, exercises = catalog
    grader = Grader(pm, exercises, "auto", exclude=(tmp_path,))
    zygote = grader._all[0]["torch"].pid
    grader.close()  # the zygote is still importing torch: its answer is waited for, then the worker killed
    # Only polyfit's group was asked for (at once: numpy); pooling's waits for the device, never resolved here.
    assert len(killed) == 1 and killed[0] > 0  # forked, and not done
    assert _gone(killed[0])
    assert _gone(zygote)


def test_torch_exercises_are_asked_for_on_the_runs_device_and_numpy_ones_at_once(catalog, monkeypatch, tmp_path):
    # A CUDA run computes a torch exercise's expected values on CUDA too (and caches them under that device);
    # only numpy exercises, which run on the CPU whatever the device, are asked for before it is known.
    pm, exercises = catalog
    asked: list[tuple[str, list[str]]] = []
    monkeypatch.setattr(expected.References, "request", lambda self, device, names: asked.append((device, names)))
    monkeypatch.setattr(grading, "_device", lambda request, zygote: "cuda")
    grader = Grader(pm, exercises, "auto", exclude=(tmp_path,))
    try:
        assert asked == [("cpu", ["polyfit"])]
        assert grader.device == "cuda"
        assert asked == [("cpu", ["polyfit"]), ("cuda", ["pooling"])]
    finally:
        grader.close()


@pytest.mark.skipif((os.cpu_count() or 1) < 2, reason="one core: torch uses one thread anyway")
def test_expected_values_are_computed_on_one_thread():
    # A pool's threads would spin between the small operations, on the cores the sandboxes need.
    # (The zygote, a new interpreter, has torch's default threads: one per core.)
    pm = get_plugin_manager(["no:grader.reporters.terminal", "tests.plugins.toy_torch"])
    exercise = collect_exercises(pm)["toy_threads"]
    plugins = {"toy_threads": ("tests.plugins.toy_torch", "tests.plugins.toy_torch")}
    zygote = Zygote("torch", plugins, import_path())
    worker = ReferenceProcess([exercise], {}, zygote=zygote, plugins=plugins, hidden={})
    try:
        worker.start("cpu", ["toy_threads"])
        frame = worker.frame("toy_threads", time.monotonic() + 60)
    finally:
        worker.close()
        zygote.close()
    assert expected.expected_values(frame) == {(0, 0): ("value", 1)}
