"""The real nbgrader round trip (``tox -e nbgrader``; about 2 minutes on 2 busy cores).

export -> ``nbgrader generate_assignment`` -> three students' notebooks in
``submitted/`` -> ``nbgrader autograde`` -> ``nbgrader export`` (CSV), then
the grade of record: ``python -m grader run --submission`` on the same
submitted notebooks, and on the ``.py`` files they came from.

* alice submits the source notebooks (answers in): full marks;
* bob submits the released notebooks untouched: zero;
* carol submits the answers with one function broken per exercise, plus
  IPython magics and shell lines: partial marks, the same in all three.
"""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

pytest.importorskip("nbgrader", reason="the round trip needs nbgrader: run it with tox -e nbgrader")

ROOT = Path(__file__).resolve().parents[2]
EXERCISES = ("diy_model", "pooling")
# One edit per exercise that costs carol some checks, not all.
BREAKS = {
    "diy_model": ("return weight - lr * grad", "return weight + lr * grad"),
    "pooling": ("return x.max(dim=1).values", "return x.mean(dim=1)"),
}
# IPython-only lines carol adds to her first answer cell; nbgrader's kernel runs them.
IPYTHON_LINES = ["%time _ = 1 + 1\n", "!echo carol was here\n"]


def _env() -> dict:
    env = dict(os.environ)
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"  # nbgrader runs `alembic`
    return env


def sh(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    done = subprocess.run(args, cwd=cwd, env=_env(), capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, f"{' '.join(args)} failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return done


def nbgrader(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return sh(sys.executable, "-m", "nbgrader", *args, cwd=cwd)


_reports: dict = {}


def grader_json(submission: Path, *exercises: str) -> dict:
    """``python -m grader run EXERCISES --submission DIR --json``: name -> exercise entry (cached)."""
    key = (str(submission), exercises)
    if key not in _reports:
        with tempfile.TemporaryDirectory() as folder:
            report = Path(folder, "report.json")
            sh(
                sys.executable,
                "-m",
                "grader",
                "run",
                *exercises,
                "--submission",
                str(submission),
                "--json",
                str(report),
                cwd=ROOT,
            )
            _reports[key] = {e["name"]: e for e in json.loads(report.read_text())["exercises"]}
    return _reports[key]


def statuses(entry: dict) -> dict:
    return {c["name"]: (c["status"], c["score"]) for c in entry["checks"]}


def carol_notebook(source: Path, exercise: str) -> dict:
    notebook = json.loads(source.read_text())
    old, new = BREAKS[exercise]
    hits = 0
    first_answer = True
    for cell in notebook["cells"]:
        text = "".join(cell["source"])
        if old in text:
            text, hits = text.replace(old, new), hits + 1
        if cell["metadata"].get("nbgrader", {}).get("solution") and first_answer:
            text, first_answer = "".join(IPYTHON_LINES) + text, False
        cell["source"] = text
    assert hits == 1
    return notebook


@pytest.fixture(scope="module")
def course(tmp_path_factory, exercises):
    started = time.monotonic()
    base = tmp_path_factory.mktemp("nbgrader")
    root = base / "course"
    sh(sys.executable, "-m", "grader", "nbgrader", "export", str(root), *EXERCISES, cwd=ROOT)
    timings = {}
    for name in EXERCISES:
        nbgrader("generate_assignment", name, cwd=root)
    for name in EXERCISES:
        source = root / "source" / name / f"{name}.ipynb"
        released = root / "release" / name / f"{name}.ipynb"
        for student, notebook in (
            ("alice", json.loads(source.read_text())),
            ("bob", json.loads(released.read_text())),
            ("carol", carol_notebook(source, name)),
        ):
            folder = root / "submitted" / student / name
            folder.mkdir(parents=True)
            (folder / f"{name}.ipynb").write_text(json.dumps(notebook, indent=1))
    t = time.monotonic()
    for name in EXERCISES:
        nbgrader("autograde", name, cwd=root)
    timings["autograde"] = time.monotonic() - t
    nbgrader("export", cwd=root)
    with open(root / "grades.csv", newline="") as f:
        grades = {(row["student_id"], row["assignment"]): row for row in csv.DictReader(f)}
    yield root, grades, timings
    print(
        f"\nround trip: {time.monotonic() - started:.0f} s, autograde {timings['autograde']:.0f} s for "
        f"{3 * len(EXERCISES)} submissions"
    )


def test_exported_notebooks_are_valid_nbgrader_notebooks(course, exercises):
    import nbformat
    from nbgrader.nbgraderformat import MetadataValidator

    root, _, _ = course
    for name in EXERCISES:
        notebook = nbformat.read(root / "source" / name / f"{name}.ipynb", as_version=4)
        nbformat.validate(notebook)
        MetadataValidator().validate_nb(notebook)  # raises on a malformed cell
        tests = [c for c in notebook.cells if c.metadata.get("nbgrader", {}).get("grade")]
        assert [c.metadata.nbgrader.grade_id for c in tests] == [f"test_{k.name}" for k in exercises[name].checks]
        assert all(c.metadata.nbgrader.locked and not c.metadata.nbgrader.solution for c in tests)


def test_nbgrader_totals_equal_the_graders_max_score(course, exercises):
    _, grades, _ = course
    for name in EXERCISES:
        for student in ("alice", "bob", "carol"):
            assert float(grades[student, name]["max_score"]) == exercises[name].max_score


def test_answers_get_full_marks_and_the_release_zero_in_nbgrader(course, exercises):
    _, grades, _ = course
    for name in EXERCISES:
        assert float(grades["alice", name]["score"]) == exercises[name].max_score
        assert float(grades["bob", name]["score"]) == 0


def test_nbgrader_agrees_with_the_sandboxed_grade_of_record(course):
    root, grades, _ = course
    for name in EXERCISES:
        for student in ("alice", "bob", "carol"):
            entry = grader_json(root / "submitted" / student / name, name)[name]
            assert float(grades[student, name]["score"]) == entry["score"], (student, name)
    carol = grader_json(root / "submitted" / "carol" / "pooling", "pooling")["pooling"]
    assert 0 < carol["score"] < carol["max_score"]
    assert any("dropped the shell line `!echo carol was here`" in note for note in carol["notes"])
    assert any("dropped the magic `%time _ = 1 + 1`" in note for note in carol["notes"])


def test_notebooks_grade_like_the_py_files_they_came_from(course, tmp_path_factory):
    root, _, _ = course
    broken = tmp_path_factory.mktemp("carol") / "py"
    broken.mkdir()
    for name, (old, new) in BREAKS.items():
        (broken / f"{name}.py").write_text((ROOT / "solutions" / f"{name}.py").read_text().replace(old, new))
    for student, py_folder in (("alice", ROOT / "solutions"), ("bob", ROOT / "exercises"), ("carol", broken)):
        from_py = grader_json(py_folder, *EXERCISES)
        for name in EXERCISES:
            from_notebook = grader_json(root / "submitted" / student / name, name)[name]
            assert statuses(from_notebook) == statuses(from_py[name]), (student, name)


def test_autograded_feedback_is_the_terminal_reports(course):
    root, _, _ = course
    for name in EXERCISES:
        notebook = json.loads((root / "autograded" / "carol" / name / f"{name}.ipynb").read_text())
        errors = [o for c in notebook["cells"] for o in c.get("outputs", []) if o.get("output_type") == "error"]
        report = grader_json(root / "submitted" / "carol" / name, name)[name]
        failed = {c["name"]: c for c in report["checks"] if c["status"] != "passed"}
        assert failed and all(e["ename"] == "AssertionError" for e in errors)
        shown = {e["evalue"].split(" ", 2)[1]: e["evalue"] for e in errors}
        assert set(shown) == set(failed)
        for check_name, text in shown.items():
            check = failed[check_name]
            assert text.startswith(f"FAIL {check_name} ({check['max_score']:g} pts): ")
            assert check["message"].split("\n")[0] in text
