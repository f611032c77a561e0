"""``python -m grader nbgrader export``: the course's files, without nbgrader installed.

The real round trip through nbgrader is in tests/nbgrader (``tox -e nbgrader``).
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

from grader.nbexport import nbgrader_metadata, rst_to_markdown, split_solution
from grader.stubs import BEGIN, END, make_stub

ROOT = Path(__file__).resolve().parent.parent


def cli(*args, cwd=ROOT):
    return subprocess.run([sys.executable, "-m", "grader", *args], cwd=cwd, capture_output=True, text=True, timeout=120)


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    root = tmp_path_factory.mktemp("course") / "course"
    done = cli("nbgrader", "export", str(root), "diy_model", "bow")
    assert done.returncode == 0, done.stderr
    return root


def cells(root: Path, name: str) -> list[dict]:
    return json.loads((root / "source" / name / f"{name}.ipynb").read_text())["cells"]


def test_one_assignment_per_exercise_and_a_config(course):
    assert sorted(p.relative_to(course).as_posix() for p in course.rglob("*") if p.is_file()) == [
        "nbgrader_config.py",
        "source/bow/bow.ipynb",
        "source/diy_model/diy_model.ipynb",
    ]
    config = (course / "nbgrader_config.py").read_text()
    assert "c.ClearSolutions.code_stub = {'python': '# YOUR CODE HERE\\nraise NotImplementedError'}" in config
    compile(config, "nbgrader_config.py", "exec")


def test_metadata_is_nbgrader_schema_3():
    assert nbgrader_metadata("a", solution=True) == {
        "grade": False,
        "grade_id": "a",
        "locked": False,
        "schema_version": 3,
        "solution": True,
        "task": False,
    }
    assert nbgrader_metadata("t", points=2.0) == {
        "grade": True,
        "grade_id": "t",
        "locked": True,
        "points": 2,
        "schema_version": 3,
        "solution": False,
        "task": False,
    }
    assert nbgrader_metadata("r", locked=True) == {
        "grade": False,
        "grade_id": "r",
        "locked": True,
        "schema_version": 3,
        "solution": False,
        "task": False,
    }


@pytest.mark.parametrize("name", ["diy_model", "bow"])
def test_test_cells_are_the_checks_and_their_points_add_up_to_max_score(course, exercises, name):
    graded = [c for c in cells(course, name) if c["metadata"].get("nbgrader", {}).get("grade")]
    exercise = exercises[name]
    assert [c["metadata"]["nbgrader"]["grade_id"] for c in graded] == [f"test_{k.name}" for k in exercise.checks]
    assert [c["metadata"]["nbgrader"]["points"] for c in graded] == [k.points for k in exercise.checks]
    assert sum(c["metadata"]["nbgrader"]["points"] for c in graded) == exercise.max_score
    for test in graded:
        text = "".join(test["source"])
        assert "SOLUTION" not in text and "HIDDEN TESTS" not in text  # nbgrader's markers would be stripped
        assert text.count("check(") == 1


@pytest.mark.parametrize("name", ["diy_model", "bow"])
def test_code_cells_are_the_solution_and_clear_to_the_stub(course, name):
    solution = (ROOT / "solutions" / f"{name}.py").read_text()
    code = [c for c in cells(course, name) if c["cell_type"] == "code" and not c["metadata"]["nbgrader"]["grade"]]
    joined = "\n".join("".join(c["source"]) for c in code)
    tree = ast.parse(solution)
    tree.body = tree.body[1:]  # the module docstring is the markdown cell
    assert ast.dump(ast.parse(joined)) == ast.dump(tree)
    grade_ids = [c["metadata"]["nbgrader"]["grade_id"] for c in code]
    assert len(set(grade_ids)) == len(grade_ids)
    for c in code:
        text, meta = "".join(c["source"]), c["metadata"]["nbgrader"]
        assert meta["solution"] == (BEGIN in text) and meta["locked"] == (BEGIN not in text)
        assert text.count(BEGIN) == text.count(END)
    # What nbgrader's ClearSolutions leaves (with the exported code_stub) is the stub's code.
    cleared = "\n".join(
        make_stub("".join(c["source"])).split("\n", 1)[1] if BEGIN in "".join(c["source"]) else "".join(c["source"])
        for c in code
    )
    stub = ast.parse((ROOT / "exercises" / f"{name}.py").read_text())
    stub.body = stub.body[1:]
    assert ast.dump(ast.parse(cleared)) == ast.dump(stub)


def test_the_source_notebook_grades_full_marks_through_the_sandbox(course, pm, exercises, tmp_path):
    from grader.grading import grade

    (tmp_path / "diy_model.ipynb").write_bytes((course / "source" / "diy_model" / "diy_model.ipynb").read_bytes())
    result = grade(pm, [exercises["diy_model"]], tmp_path, "cpu").exercises[0]
    assert result.score == result.max_score and result.notes == ()


def test_split_keeps_comments_with_their_definition_and_code_between():
    source = (
        '"""Doc."""\n\nimport numpy as np\n\nK = 2\n\n\n'
        '# helper\n@staticmethod\ndef f():\n    """F does."""\n'
        "    ### BEGIN SOLUTION\n    return 1\n    ### END SOLUTION\n\n"
        "J = 3\n"
    )
    doc, chunks = split_solution(source, "s.py")
    assert doc == "Doc."
    assert [c.source for c in chunks] == [
        "import numpy as np\n\nK = 2\n",
        '# helper\n@staticmethod\ndef f():\n    """F does."""\n'
        "    ### BEGIN SOLUTION\n    return 1\n    ### END SOLUTION\n",
        "J = 3\n",
    ]
    assert [(c.name, c.doc, c.solution) for c in chunks] == [("", "", False), ("f", "F does.", True), ("", "", False)]


def test_rst_becomes_markdown():
    text = "Use ``x``, :math:`a^2`.\n\n.. math::\n\n    y = x\n\nA tree::\n\n    ( a b )\n\nEnd."
    assert rst_to_markdown(text) == "Use `x`, $a^2$.\n\n$$y = x$$\n\nA tree:\n\n```\n( a b )\n```\n\nEnd.\n"


def test_an_instructors_config_is_kept(tmp_path):
    course = tmp_path / "course"
    course.mkdir()
    (course / "nbgrader_config.py").write_text("c = get_config()\nc.CourseDirectory.course_id = 'mine'\n")
    done = cli("nbgrader", "export", str(course), "diy_model")
    assert done.returncode == 0, done.stderr
    assert "mine" in (course / "nbgrader_config.py").read_text()
    assert (course / "source" / "diy_model" / "diy_model.ipynb").is_file()


@pytest.mark.parametrize(
    "argv, phrase",
    [
        (["nbgrader"], "say what to do"),
        (["nbgrader", "export"], "the following arguments are required: COURSE_DIR"),
        (["nbgrader", "export", "{tmp}/c", "no_such"], "unknown exercise 'no_such'"),
        (["nbgrader", "export", "{tmp}/file"], "is a file"),
        (["nbgrader", "export", "{tmp}/no/such/c"], "does not exist"),
    ],
)
def test_bad_input_exits_2_with_one_line(tmp_path, argv, phrase):
    (tmp_path / "file").write_text("")
    done = cli(*[a.format(tmp=tmp_path) for a in argv])
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and done.stderr.startswith("grader: error: ") and phrase in done.stderr
    assert not (tmp_path / "c").exists()
