"""Every registered exercise: registered, with its standard suite declared and its checks documented.

The suites (the reference scores full marks, the stub zero, each broken
variant loses exactly its checks) run from tests/catalog/ through the
grader.testing pytest plugin.
"""

import importlib

import pytest

from grader.manager import collect_exercises, get_plugin_manager
from grader.testing import Suite

NAMES = list(collect_exercises(get_plugin_manager()))


def test_the_whole_catalog_is_registered():
    assert NAMES[:2] == ["diy_model", "optim"]
    assert len(NAMES) == len(set(NAMES))


@pytest.mark.parametrize("name", NAMES)
def test_every_exercise_declares_its_standard_suite(name):
    """tests/catalog/test_<name>.py declares the suite (reference, stub, broken variants) grader.testing runs."""
    module = importlib.import_module(f"tests.catalog.test_{name}")
    suites = [value for value in vars(module).values() if isinstance(value, Suite)]
    assert [suite.exercise for suite in suites] == [name]
    assert suites[0].broken, f"{name} declares no broken variant"


@pytest.mark.parametrize("name", NAMES)
def test_every_check_is_documented_for_students(exercises, name):
    for check in exercises[name].checks:
        assert check.description, f"{name}.{check.name} has no description"
        assert check.hint, f"{name}.{check.name} has no hint"
