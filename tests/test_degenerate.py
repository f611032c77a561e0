"""Submissions that do no real work score exactly zero, on every registered exercise.

Each degenerate submission is built from the exercise's stub
(``exercises/<name>.py``): every public function and every method of a
public class gets a body that does nothing useful: return ``None``, raise
``ValueError``, hand back its first argument, or return ``0`` / ``0.0``.
Such code must not collect points from side-constraint checks (arguments
left unchanged, calls batched, no forbidden API) nor from invalid-input
checks (a function that rejects everything). The grading goes through the
real grader, one run per kind of degenerate code covering every exercise.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from grader.manager import collect_exercises, get_plugin_manager

ROOT = Path(__file__).resolve().parent.parent
NAMES = list(collect_exercises(get_plugin_manager()))

#: Parameters that are not "the first argument" of a method.
NOT_ARGUMENTS = ("self", "cls", "ctx")
KINDS = ("return_none", "raise_value_error", "return_first_argument", "return_zero", "return_zero_float")


def _first_argument(function: ast.FunctionDef) -> str | None:
    names = [a.arg for a in function.args.posonlyargs + function.args.args]
    names = [n for n in names if n not in NOT_ARGUMENTS]
    return names[0] if names else None


def _body(kind: str, function: ast.FunctionDef) -> list[ast.stmt]:
    """What a degenerate ``function`` does instead of its work."""
    if kind == "raise_value_error":
        code = 'raise ValueError("x")'
    elif function.name == "__init__":
        code = "super().__init__()"  # nn.Module subclasses need it to exist at all
    elif kind == "return_none":
        code = "return None"
    elif kind == "return_first_argument":
        code = f"return {_first_argument(function) or 'None'}"
    elif kind == "return_zero":
        code = "return 0"
    else:
        code = "return 0.0"
    return ast.parse(code).body


def degenerate(stub: str, kind: str) -> str:
    """The stub with every public function and public class method replaced by ``kind``."""
    tree = ast.parse(stub)
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and not node.name.startswith("_"):
            node.body = _body(kind, node)
        elif isinstance(node, ast.ClassDef) and not node.name.startswith("_"):
            for method in node.body:
                if isinstance(method, ast.FunctionDef):
                    method.body = _body(kind, method)
    return ast.unparse(tree) + "\n"


@pytest.fixture(scope="module")
def degenerate_reports(tmp_path_factory, pm, exercises):
    """``report(kind)``: the report of one grading run of every exercise's degenerate submission."""
    from grader.grading import grade

    reports = {}

    def report(kind: str):
        if kind not in reports:
            folder = tmp_path_factory.mktemp(f"degenerate_{kind}")
            for name in exercises:
                stub = ROOT / "exercises" / f"{name}.py"
                assert stub.is_file(), f"exercise {name!r} has no stub in exercises/"
                (folder / f"{name}.py").write_text(degenerate(stub.read_text(encoding="utf-8"), kind))
            reports[kind] = grade(pm, list(exercises.values()), folder, "cpu")
        return reports[kind]

    return report


def test_degenerate_bodies_replace_every_public_function():
    stub = (ROOT / "exercises" / "optim.py").read_text(encoding="utf-8")
    made = degenerate(stub, "return_first_argument")
    assert "raise NotImplementedError" not in made
    assert "return grad" in made  # DiyAdam.step(self, grad, weight)
    assert "super().__init__()" in made
    compile(made, "optim.py", "exec")


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("kind", KINDS)
def test_degenerate_submission_scores_zero(degenerate_reports, kind, name):
    report = degenerate_reports(kind)
    results = {result.name: result for result in report.exercises}
    assert set(results) == set(NAMES)
    result = results[name]
    earned = [(c.name, c.score, c.message) for c in result.checks if c.score != 0]
    assert earned == [], f"{kind} code earns points in {name}"
    assert result.score == 0 < result.max_score
