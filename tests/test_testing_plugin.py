"""grader.testing: the pytest plugin that turns a pack's declared suite into tests.

An exercise pack is built outside this repository, in a temporary folder: its
own package (an exercise plugin, a reference, no stub file: the plugin makes
it), registered in the ``grader`` entry-point group by a ``.dist-info``
folder on ``PYTHONPATH``, and its own tests folder declaring the suite. pytest
runs on it in a subprocess, with the plugin loaded from its ``pytest11``
entry point as any user gets it.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from grader.testing import Alternative, Broken, Suite

PLUGIN = '''
"""Exercise kit_scale: scale and shift an array (numpy)."""

import numpy as np

from grader import Case, Check, Exercise, hookimpl


def _cases(rng):
    return [
        Case("x = [1, 2, 3] and factor 2", {"x": np.array([1.0, 2.0, 3.0]), "by": 2.0}),
        Case("x of shape (2, 3) and factor -0.5", {"x": rng.normal(size=(2, 3)), "by": -0.5}),
    ]


EXERCISE = Exercise(
    name="kit_scale",
    title="Scale and shift (numpy)",
    reference="kitpack.solutions.kit_scale",
    framework="numpy",
    time_limit=20.0,
    memory_limit_mb=512,
    checks=(
        Check("scale_values", "scale", 1, _cases, lambda m, i, c: m.scale(i["x"], i["by"]),
              description="scale multiplies.", hint="Multiply every element by factor."),
        Check("shift_values", "shift", 1, _cases, lambda m, i, c: m.shift(i["x"], i["by"]),
              description="shift adds.", hint="Add offset to every element."),
    ),
)


@hookimpl
def grader_exercises():
    return [EXERCISE]
'''

REFERENCE = '''
"""Scale and shift an array."""

import numpy as np


def scale(x, factor):
    """x times factor, as a new float64 array."""
    ### BEGIN SOLUTION
    return np.asarray(x, dtype=np.float64) * factor
    ### END SOLUTION


def shift(x, offset):
    """x plus offset, as a new float64 array."""
    ### BEGIN SOLUTION
    return np.asarray(x, dtype=np.float64) + offset
    ### END SOLUTION
'''

GOOD_SUITE = """
from grader.testing import Alternative, Broken, Suite

SUITE = Suite(
    "kit_scale",
    max_score=2,
    broken=[
        Broken(
            "scale-adds",
            "np.asarray(x, dtype=np.float64) * factor",
            "np.asarray(x, dtype=np.float64) + factor",
            fails={"scale_values"},
            says="x = [1, 2, 3] and factor 2",
        ),
    ],
    alternatives=[
        Alternative("multiply", "np.asarray(x, dtype=np.float64) * factor", "np.multiply(x, factor, dtype=np.float64)"),
    ],
)
"""

# Each entry declares something the grader does not do.
WRONG_SUITE = """
from grader.testing import Broken, Suite

ADDS = ("np.asarray(x, dtype=np.float64) * factor", "np.asarray(x, dtype=np.float64) + factor")

SUITE = Suite(
    "kit_scale",
    max_score=3,
    broken=[
        Broken("claims-the-wrong-check", *ADDS, fails={"shift_values"}, says="factor 2"),
        Broken("claims-a-phrase-never-said", *ADDS, fails={"scale_values"}, says="multiply, do not add"),
        Broken("stale-old-text", "return x * factor", "return x + factor", fails={"scale_values"}, says="scale"),
        Broken("names-no-check", *ADDS, fails={"scale_value"}, says="scale"),
    ],
)
"""


def _pack(root: Path, tests: dict[str, str]) -> tuple[Path, dict]:
    """Write the pack kitpack under ``root``; return its project folder and the environment that installs it."""
    site = root / "site"
    package = site / "kitpack"
    (package / "solutions").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "plugin.py").write_text(PLUGIN)
    (package / "solutions" / "__init__.py").write_text("")
    (package / "solutions" / "kit_scale.py").write_text(REFERENCE.lstrip())
    info = site / "kitpack-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: kitpack\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text("[grader]\nkitpack = kitpack.plugin\n")
    project = root / "project"
    (project / "tests").mkdir(parents=True)
    for name, text in tests.items():
        (project / "tests" / name).write_text(textwrap.dedent(text).lstrip())
    env = {key: value for key, value in os.environ.items() if not key.startswith(("PYTEST_", "GRADER_"))}
    env["PYTHONPATH"] = str(site)
    return project, env


def _pytest(project: Path, env: dict) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-v", "-p", "no:cacheprovider", "tests"],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def _outcomes(output: str) -> dict[str, str]:
    return dict(re.findall(r"^tests/\S+?::(kit_scale::\S+) (PASSED|FAILED|ERROR)", output, flags=re.MULTILINE))


@pytest.mark.slow
def test_a_pack_outside_the_repository_gets_its_standard_suite(tmp_path):
    project, env = _pack(tmp_path, {"test_kit_scale.py": GOOD_SUITE})
    run = _pytest(project, env)
    assert run.returncode == 0, run.stdout + run.stderr
    assert _outcomes(run.stdout) == {
        "kit_scale::reference": "PASSED",
        "kit_scale::stub": "PASSED",
        "kit_scale::broken[scale-adds]": "PASSED",
        "kit_scale::alternative[multiply]": "PASSED",
    }, run.stdout


@pytest.mark.slow
def test_a_wrong_declaration_fails_its_generated_test_with_a_clear_message(tmp_path):
    project, env = _pack(tmp_path, {"test_kit_scale.py": WRONG_SUITE})
    run = _pytest(project, env)
    assert run.returncode == 1, run.stdout + run.stderr
    assert _outcomes(run.stdout) == {
        "kit_scale::reference": "FAILED",  # max_score=3, the exercise is worth 2
        "kit_scale::stub": "PASSED",
        "kit_scale::broken[claims-the-wrong-check]": "FAILED",
        "kit_scale::broken[claims-a-phrase-never-said]": "FAILED",
        "kit_scale::broken[stale-old-text]": "FAILED",
        "kit_scale::broken[names-no-check]": "FAILED",
    }, run.stdout
    for message in (
        "kit_scale::reference: the exercise is worth 2 points, the suite says max_score=3",
        "kit_scale::broken[claims-the-wrong-check]: should fail exactly shift_values, but fails scale_values",
        "failed, and not declared in fails:\n  scale_values (failed): scale, on x = [1, 2, 3] and factor 2",
        "declared in fails, but passed: shift_values",
        "kit_scale::broken[claims-a-phrase-never-said]: the feedback of its failing checks never says "
        "'multiply, do not add'",
        "kit_scale::broken[stale-old-text]: broken variant 'stale-old-text': its old text occurs 0 times "
        "in the reference, not once: 'return x * factor'",
        "kit_scale::broken[names-no-check]: fails names 'scale_value', which is not a check of the exercise "
        "(its checks: scale_values, shift_values)",
    ):
        assert message in run.stdout, run.stdout
    assert "Traceback" not in run.stdout  # a declaration's failure is a message, not the plugin's stack


def test_loading_the_plugin_imports_neither_torch_nor_numpy():
    """pytest loads it in every run of an environment with the grader installed."""
    code = "import sys, grader.testing.plugin; print(sorted({'torch', 'numpy'} & set(sys.modules)))"
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    assert run.stdout.strip() == "[]"


def test_the_plugin_is_registered_for_pytest():
    from importlib.metadata import entry_points

    found = [ep.value for ep in entry_points(group="pytest11") if ep.name == "grader"]
    assert found == ["grader.testing.plugin"], (
        "the grader.testing pytest plugin is not registered: reinstall the package (tox -e py --notest)"
    )


@pytest.mark.parametrize(
    "make, phrase",
    [
        (lambda: Broken("x", "a", "b", fails=set(), says="s"), "fails must be a non-empty set of check names"),
        (lambda: Broken("x", "a", "b", fails="scale_values", says="s"), "fails must be a non-empty set"),
        (lambda: Broken("x", "a", "b", fails={"c"}), "says must be a phrase"),
        (lambda: Broken("x", fails={"c"}, says="s"), "give old and new, or edits="),
        (lambda: Broken("x", "a", "b", edits=[("c", "d")], fails={"c"}, says="s"), "(exactly one)"),
        (lambda: Broken("x", "a", "a", fails={"c"}, says="s"), "with itself"),
        (lambda: Broken("two words", "a", "b", fails={"c"}, says="s"), "it names a test"),
        (lambda: Alternative("x", edits=[("a",)]), "every edit is a pair of strings"),
        (lambda: Suite("e", broken=[Alternative("x", "a", "b")]), "broken holds Alternative, not Broken"),
        (lambda: Suite("e", broken=[Broken("x", "a", "b", fails={"c"}, says="s")] * 2), "two broken entries"),
    ],
)
def test_a_malformed_declaration_is_refused_when_built(make, phrase):
    with pytest.raises((ValueError, TypeError), match=re.escape(phrase)):
        make()


def test_edits_apply_in_order_each_found_once():
    broken = Broken("x", edits=[("a = 1", "a = 2"), ("a = 2\nb", "a = 3\nb")], fails={"c"}, says="s")
    assert broken.apply("a = 1\nb = 1\n") == "a = 3\nb = 1\n"
    with pytest.raises(ValueError, match="edit 2's old text occurs 0 times"):
        Broken("x", edits=[("a = 1", "a = 2"), ("a = 1", "a = 0")], fails={"c"}, says="s").apply("a = 1\n")
    with pytest.raises(ValueError, match="occurs 2 times"):
        Broken("x", "a", "b", fails={"c"}, says="s").apply("a a")
    with pytest.raises(ValueError, match="must return the changed text"):
        Alternative("x", rewrite=lambda source: source).apply("a")


@pytest.mark.parametrize(
    "function, message, named",
    [
        ("scale", "scale, on x = [1, 2]: expected 2, got 3", True),
        ("LegendreP3", "LegendreP3.backward, on x (5,)", True),
        ("affine, relu", "relu: result['x'] changed", True),
        ("relu", "torch.relu is not allowed", False),  # another library's function, not the student's
        ("scale", "rescale, on x", False),
        ("scale", "importing your module: raised ImportError\n  kit.py, line 3, in <module>", True),  # the file
    ],
)
def test_feedback_names_the_function_or_the_file(function, message, named):
    from types import SimpleNamespace

    from grader.testing.plugin import _names_function

    assert _names_function(SimpleNamespace(function=function), "kit", message) is named
