"""Control groups: the sweep of groups left by graders that were killed."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from grader.process import cgroups


def _dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def test_the_sweep_removes_empty_groups_of_graders_that_are_gone(tmp_path):
    dead = _dead_pid()
    gone = tmp_path / f"grader-{dead}-toy_a-1"
    mine = tmp_path / f"grader-{os.getpid()}-toy_a-2"
    busy = tmp_path / f"grader-{dead}-toy_b-3"  # a group that still holds a process cannot be removed
    other = tmp_path / f"not-grader-{dead}"
    for folder in (gone, mine, busy, other):
        folder.mkdir()
    (busy / "cgroup.procs").write_text("1")
    assert cgroups.sweep([tmp_path, tmp_path / "missing"]) == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([mine.name, busy.name, other.name])


def test_a_process_sweeps_once_before_its_first_group(monkeypatch):
    calls = []
    monkeypatch.setattr(cgroups, "_swept", False)
    monkeypatch.setattr(cgroups, "sweep", lambda bases: calls.append(list(bases)) or 0)
    monkeypatch.setattr(cgroups, "_settings", lambda memory, pids: [])
    monkeypatch.setattr(cgroups, "ROOT", type(cgroups.ROOT)("/"))
    assert cgroups.create("toy", 1 << 20) == ()
    assert cgroups.create("toy", 1 << 20) == ()
    assert calls == [[]]


@pytest.mark.skipif(not cgroups._settings(1 << 20, 8), reason="control groups are not writable here")
def test_groups_of_a_killed_grader_are_removed_by_the_next_one():
    dead = _dead_pid()
    bases = [base for base, _ in cgroups._settings(1 << 20, 8)]
    left = [base / f"grader-{dead}-toy_a-0" for base in bases]
    for folder in left:
        folder.mkdir()
    assert cgroups.sweep(bases) >= len(left)
    assert not any(folder.exists() for folder in left)
