"""The files a student release adds to the shipped code: README, tox, packaging, CI, tests.

Each is rendered from the exercise registry, so a new exercise shows up in
the student's README without anyone editing it.
"""

from __future__ import annotations

from collections.abc import Sequence

from grader.exercise import Exercise

TORCH = "torch==2.13.0"


def render(exercises: Sequence[Exercise]) -> dict[str, str]:
    """Relative path -> text of every generated file."""
    return {
        "README.md": _readme(exercises),
        "tox.ini": _TOX,
        "pyproject.toml": _PYPROJECT,
        ".gitignore": _GITIGNORE,
        ".github/workflows/grade.yml": _WORKFLOW,
        "tests/test_release.py": _TESTS,
    }


def exercise_table(exercises: Sequence[Exercise]) -> str:
    """The Markdown table of the exercises, a row each, in the order given.

    The release's README and the repository's (``docs/readme_table.py``)
    both show it, so a new exercise appears in them from its declaration.
    """
    rows = [f"| `{e.name}` | {_cell(e.title)} | {e.max_score:g} | {e.framework} |" for e in exercises]
    return "\n".join(["| exercise | what you build | points | with |", "| --- | --- | --- | --- |", *rows])


def _cell(text: str) -> str:
    """Text for a Markdown table cell: a ``|`` would end the cell."""
    return text.replace("|", r"\|")


def _readme(exercises: Sequence[Exercise]) -> str:
    table = exercise_table(exercises)
    total = sum(e.max_score for e in exercises)
    return f"""# PyTorch exercises

Write the fundamentals of deep learning and NLP yourself, in numpy and PyTorch, and get precise feedback on
every function: which input broke it, what was expected, what came back, and a hint.

## Set-up and the two commands

You need Python 3.10+ and [tox](https://tox.wiki) (`pip install tox`). From this folder:

```bash
tox -e grade    # grade your exercises in exercises/ (the first run installs {TORCH})
tox             # run this repository's own tests
```

Grade one exercise, or several: `tox -e grade -- bow pooling`. On a Linux machine without a GPU, installing the
CPU build of torch saves several gigabytes: set `PIP_EXTRA_INDEX_URL` to PyTorch's CPU wheel index first.

## The exercises ({total:g} points)

{table}

Open `exercises/<name>.py`: each function's docstring gives the math, the shapes and the dtypes, and its body
raises `NotImplementedError` until you replace it. The documentation sources in `docs/` explain each idea.

## Public and hidden checks

Your local grader runs the **public** cases of every check, with expected values shipped in
`grader/_release/expected/` (it needs no network and no reference solution). Your instructor's grader also runs
**hidden** cases, drawn from the same checks with inputs you never see; code that computes the right thing passes
both, while code that only reproduces the public answers does not. Feedback on a hidden case says pass or fail
and gives the check's hint, never more.

The grade of record comes from your instructor's grader, not from this repository's CI or your own runs, which
are feedback: editing the grader here changes nothing but your own feedback, and your instructor's grader
notices a modified grader in your repository.
"""


_TOX = f"""[tox]
env_list = py
min_version = 4.0

[testenv]
description = check that this release's grader works (stubs score zero, shipped values match)
package = editable
deps =
    {TORCH}
    pytest>=7
commands =
    pytest {{posargs}}

[testenv:grade]
description = grade the exercises in exercises/ (pass options after --, e.g. tox -e grade -- bow)
package = editable
pass_env = GRADER_*, GITHUB_*
set_env =
    PYTHONSAFEPATH = 1
deps =
    {TORCH}
commands =
    python -m grader run {{posargs}}
"""

_PYPROJECT = """[build-system]
requires = ["setuptools>=68"]
build-backend = "setuptools.build_meta"

[project]
name = "torch-exercises"
version = "0.1.0"
description = "Hands-on PyTorch exercises with their grader (student release)"
requires-python = ">=3.10"
dependencies = ["numpy>=1.24", "pluggy>=1.3", "torch>=2.1"]

[project.scripts]
grader = "grader.cli:run_and_exit"

[tool.setuptools.packages.find]
include = ["grader*", "exercises"]

[tool.setuptools.package-data]
grader = ["_release/*.json", "_release/expected/*.json"]

[tool.pytest.ini_options]
testpaths = ["tests"]
"""

_GITIGNORE = """__pycache__/
*.pyc
.tox/
*.egg-info/
build/
dist/
docs/_build/
.pytest_cache/
"""

_WORKFLOW = """# Feedback on every push: the public checks, with annotations on the lines to fix.
# This is feedback, not the grade of record: your instructor grades with their own grader.
name: grade
on: [push, pull_request]
permissions:
  contents: read
jobs:
  grade:
    runs-on: ubuntu-latest
    env:
      PIP_EXTRA_INDEX_URL: https://download.pytorch.org/whl/cpu
    steps:
      - uses: actions/checkout@v4
      - uses: actions/setup-python@v5
        with:
          python-version: "3.11"
      - run: python -m pip install tox
      - id: grade
        run: tox -e grade
"""

_TESTS = '''"""This release's own tests: its grader runs, the stubs score zero, the shipped values match."""

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_the_stubs_score_zero_on_the_public_checks(tmp_path):
    report = tmp_path / "report.json"
    command = [sys.executable, "-m", "grader", "run", "--submission", str(ROOT / "exercises"),
               "--json", str(report), "--device", "cpu"]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    data = json.loads(report.read_text())
    assert data["score"] == 0 and data["max_score"] > 0
    statuses = {c["status"] for e in data["exercises"] for c in e["checks"]}
    assert statuses == {"failed"}, statuses  # not attempted, never an error from the grader itself


def test_the_shipped_expected_values_match_the_checks():
    from grader.cases import make_cases
    from grader.manager import collect_exercises, get_plugin_manager
    from grader.release import shipped_expected

    for name, exercise in collect_exercises(get_plugin_manager()).items():
        frame = shipped_expected(name, make_cases(exercise))
        assert frame is not None and "error" not in frame, (name, frame)
'''
