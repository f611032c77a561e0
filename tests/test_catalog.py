"""Every registered exercise: the reference scores full marks, the stub zero."""

from pathlib import Path

import pytest

from grader.manager import collect_exercises, get_plugin_manager

ROOT = Path(__file__).resolve().parent.parent
NAMES = list(collect_exercises(get_plugin_manager()))


def test_the_whole_catalog_is_registered():
    assert NAMES[:2] == ["diy_model", "optim"]
    assert len(NAMES) == len(set(NAMES))


@pytest.mark.parametrize("name", NAMES)
def test_reference_scores_full_marks(grade_source, name):
    result = grade_source(name, (ROOT / "solutions" / f"{name}.py").read_text())
    problems = [(c.name, c.status, c.message) for c in result.checks if c.status != "passed"]
    assert problems == []
    assert result.score == result.max_score > 0


@pytest.mark.parametrize("name", NAMES)
def test_stub_scores_zero_and_reads_not_attempted(grade_source, name):
    result = grade_source(name, (ROOT / "exercises" / f"{name}.py").read_text())
    assert result.score == 0
    assert all(not c.attempted for c in result.checks), [(c.name, c.message) for c in result.checks]
    assert all(c.status == "failed" for c in result.checks)


@pytest.mark.parametrize("name", NAMES)
def test_every_check_is_documented_for_students(exercises, name):
    for check in exercises[name].checks:
        assert check.description, f"{name}.{check.name} has no description"
        assert check.hint, f"{name}.{check.name} has no hint"
