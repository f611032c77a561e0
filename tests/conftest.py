"""Shared fixtures: a private cache, the plugin manager, grade a source text as a submission.

The catalog's standard suites (reference, stub, broken variants) are declared
in tests/catalog/ and run by the grader.testing pytest plugin.
"""

from __future__ import annotations

import os

import pytest

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
