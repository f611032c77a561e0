"""The cache of expected values: hits, invalidation, and distrust of tampering."""

import json

import pytest

from grader import cache
from grader.grading import grade
from grader.manager import collect_exercises, get_plugin_manager

SOLUTION = "import numpy as np\ndef double(x):\n    return np.asarray(x, dtype=np.float64) * 2.0\n"


@pytest.fixture
def toy(tmp_path, monkeypatch):
    monkeypatch.setenv("GRADER_CACHE_DIR", str(tmp_path / "cache"))
    pm = get_plugin_manager(["no:grader.reporters.terminal", "tests.plugins.toy"])
    (tmp_path / "toy_b.py").write_text(SOLUTION)
    exercise = collect_exercises(pm)["toy_b"]
    return lambda: grade(pm, [exercise], tmp_path, "cpu").exercises[0], tmp_path / "cache", exercise


def test_second_run_reads_the_cache_and_agrees(toy):
    run, folder, exercise = toy
    first = run()
    entries = list(folder.glob("*.json"))
    assert len(entries) == 1 and entries[0].stem == cache.key(exercise, "cpu")
    again = run()
    assert again.checks == first.checks and again.score == again.max_score


def test_a_tampered_entry_changes_nothing_it_should_not(toy):
    run, folder, _ = toy
    run()
    (entry,) = folder.glob("*.json")
    entry.write_text("garbage")
    assert run().score == 2  # unreadable: recomputed
    assert json.loads(entry.read_text())  # and rewritten


def test_key_depends_on_device_and_seed(toy):
    _, _, exercise = toy
    from dataclasses import replace

    assert cache.key(exercise, "cpu") != cache.key(exercise, "cuda")
    assert cache.key(exercise, "cpu") != cache.key(replace(exercise, seed=exercise.seed + 1), "cpu")


def test_no_cache_without_a_read_only_sandbox(toy, monkeypatch):
    run, folder, _ = toy
    monkeypatch.setenv("GRADER_SANDBOX", "off")
    run()
    assert not list(folder.glob("*.json"))


def test_cache_can_be_switched_off(toy, monkeypatch):
    run, folder, _ = toy
    monkeypatch.setenv("GRADER_CACHE", "off")
    run()
    assert not folder.exists() or not list(folder.glob("*.json"))
