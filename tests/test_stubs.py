"""Stubs are generated from the solutions, and the committed ones are current."""

from pathlib import Path

import pytest

from grader.stubs import StubError, make_stub, outdated

ROOT = Path(__file__).resolve().parent.parent

SOLUTION = '''"""Module."""

import numpy as np


def f(x):
    """Docstring stays."""
    ### BEGIN SOLUTION
    y = x + 1
    return y
    ### END SOLUTION


class C:
    def g(self):
        ### BEGIN SOLUTION
        return 2
        ### END SOLUTION
'''


def test_regions_become_raise_not_implemented():
    stub = make_stub(SOLUTION)
    assert "x + 1" not in stub and "return 2" not in stub
    assert '"""Docstring stays."""' in stub
    assert "    raise NotImplementedError\n" in stub
    assert "        raise NotImplementedError\n" in stub
    namespace = {}
    exec(stub, namespace)
    with pytest.raises(NotImplementedError):
        namespace["f"](1)


@pytest.mark.parametrize(
    "source, phrase",
    [
        ("### BEGIN SOLUTION\n", "never closed"),
        ("### END SOLUTION\n", "without"),
        ("### BEGIN SOLUTION\n### BEGIN SOLUTION\n", "inside"),
        ("x = 1\n", "no ### BEGIN SOLUTION"),
    ],
)
def test_bad_markers_are_errors(source, phrase):
    with pytest.raises(StubError, match=phrase):
        make_stub(source)


def test_committed_stubs_match_the_solutions():
    stale = outdated(ROOT / "solutions", ROOT / "exercises")
    assert stale == [], "run: python -m grader stubs"


def test_stubs_contain_no_solution_code():
    for solution in (ROOT / "solutions").glob("*.py"):
        if solution.name == "__init__.py":
            continue
        lines = solution.read_text().splitlines()
        inside = False
        body = []
        for line in lines:
            if line.strip() == "### BEGIN SOLUTION":
                inside = True
            elif line.strip() == "### END SOLUTION":
                inside = False
            elif inside and len(line.strip()) > 25:
                body.append(line.strip())
        stub = (ROOT / "exercises" / solution.name).read_text()
        leaked = [line for line in body if line in stub and not line.startswith(("#", '"""'))]
        assert leaked == [], f"{solution.name}: {leaked[:3]}"
