"""Shared fixtures: grade a source text as a submission, make broken variants."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# The real nbgrader round trip needs nbgrader (tox -e nbgrader sets this).
collect_ignore = [] if os.environ.get("GRADER_TEST_NBGRADER") == "1" else ["nbgrader"]

# The grader forks; a process that ran parallel torch work must not fork.
# Keep this test process's torch single-threaded before anything runs.
try:
    import torch

    torch.set_num_threads(1)
except ImportError:  # pragma: no cover
    pass


@pytest.fixture(scope="session", autouse=True)
def private_cache(tmp_path_factory):
    """Expected values are cached per test session, never in the user's cache."""
    folder = tmp_path_factory.mktemp("grader-cache")
    patch = pytest.MonkeyPatch()
    patch.setenv("GRADER_CACHE_DIR", str(folder))
    yield folder
    patch.undo()


@pytest.fixture(scope="session")
def pm():
    from grader.manager import get_plugin_manager

    return get_plugin_manager(["no:grader.reporters.terminal"])


@pytest.fixture(scope="session")
def exercises(pm):
    from grader.manager import collect_exercises

    return collect_exercises(pm)


def solution_source(name: str) -> str:
    return (ROOT / "solutions" / f"{name}.py").read_text(encoding="utf-8")


@pytest.fixture
def broken_solution():
    """``broken_solution(name, old, new)``: the reference with one edit."""

    def make(name: str, old: str, new: str) -> str:
        source = solution_source(name)
        count = source.count(old)
        assert count == 1, f"{old!r} occurs {count} times in solutions/{name}.py"
        return source.replace(old, new)

    return make


@pytest.fixture
def grade_source(tmp_path, pm, exercises):
    """``grade_source(name, source) -> ExerciseResult``: grade source text as a submission."""
    from grader.grading import grade

    def run(name: str, source: str, device: str = "cpu"):
        folder = tmp_path / f"submission_{name}"
        folder.mkdir(exist_ok=True)
        (folder / f"{name}.py").write_text(source, encoding="utf-8")
        report = grade(pm, [exercises[name]], folder, device)
        return report.exercises[0]

    return run


def failing(result) -> set[str]:
    """Names of the checks of an ExerciseResult that did not pass."""
    return {c.name for c in result.checks if c.status != "passed"}
