"""Notebook submissions: conversion to module text, hostile files, grading next to .py files."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
import textwrap
import tracemalloc
from pathlib import Path

import pytest

from grader import submission
from grader.notebook import NotebookError, to_source

ROOT = Path(__file__).resolve().parent.parent
TOY_A = (
    "import numpy as np\n\n"
    "def add_one(x):\n    return np.asarray(x, dtype=np.float64) + 1.0\n\n"
    "def total(x):\n    return float(np.sum(x))\n"
)


def cell(source, cell_type="code", **metadata):
    made = {"cell_type": cell_type, "metadata": metadata, "source": source}
    if cell_type == "code":
        made.update(outputs=[], execution_count=None)
    return made


def notebook(*cells, **metadata) -> bytes:
    data = {"nbformat": 4, "nbformat_minor": 5, "metadata": metadata, "cells": list(cells)}
    return json.dumps(data).encode()


# --- conversion -------------------------------------------------------------------


def test_code_cells_are_joined_in_order_and_other_cells_ignored():
    text, notes = to_source(
        notebook(cell("# Title", "markdown"), cell("a = 1\n"), cell("raw", "raw"), cell(["b = a", " + 1"]))
    )
    namespace: dict = {}
    exec(compile(text, "nb", "exec"), namespace)
    assert (namespace["a"], namespace["b"]) == (1, 2)
    assert notes == ()
    assert "# %% cell 2\n" in text and "# %% cell 4\n" in text and "Title" not in text


def test_magics_shell_lines_and_get_ipython_are_dropped_with_notes_and_lines_kept():
    source = textwrap.dedent(
        """\
        %matplotlib inline
        import math
        !pip install torch
        files = !ls
        get_ipython().run_line_magic(
            'time', '1')
        math?
        def f(x):
            %time y = 1
            return (x
                    % 3)
        """
    )
    text, notes = to_source(notebook(cell(source)))
    lines = text.split("\n")
    assert lines[0] == "# %% cell 1"
    body = lines[1:]
    assert len(body) - 1 == source.count("\n")  # one line of module per line of the cell
    kept = source.split("\n")
    assert [body[i] for i in (1, 7, 9, 10)] == [kept[i] for i in (1, 7, 9, 10)]
    assert body[8].startswith("    pass  # dropped: %time")
    namespace: dict = {}
    exec(compile(text, "nb", "exec"), namespace)
    assert namespace["f"](7) == 1  # the modulo on a continuation line is code, not a magic
    assert notes == (
        "cell 1, line 1: dropped the magic `%matplotlib inline`",
        "cell 1, line 3: dropped the shell line `!pip install torch`",
        "cell 1, line 4: dropped the shell line `files = !ls`",
        "cell 1, line 5: dropped the get_ipython() call `get_ipython().run_line_magic(`",
        "cell 1, line 7: dropped the help line `math?`",
        "cell 1, line 9: dropped the magic `%time y = 1`",
    )


def test_a_cell_magic_drops_its_whole_cell():
    text, notes = to_source(notebook(cell("%%bash\necho hi\nrm -rf /\n"), cell("x = 1\n")))
    namespace: dict = {}
    exec(compile(text, "nb", "exec"), namespace)
    assert namespace["x"] == 1
    assert [line[:25] for line in text.split("\n")[1:4]] == ["# dropped (cell magic): %"] + [
        "# dropped (cell magic): e",
        "# dropped (cell magic): r",
    ]
    assert notes == ("cell 1: dropped the whole cell (cell magic `%%bash`)",)


def test_magic_like_text_inside_strings_is_kept():
    text, notes = to_source(notebook(cell('s = """\n%notamagic\n!notshell\n"""\n')))
    namespace: dict = {}
    exec(text, namespace)
    assert namespace["s"] == "\n%notamagic\n!notshell\n" and notes == ()


def test_notes_are_bounded_and_escaped():
    shells = "".join(f"!echo {i} \x1b[31m`{'x' * 200}`\n" for i in range(100))
    _, notes = to_source(notebook(cell(shells)))
    assert len(notes) == 21 and notes[-1] == "... and 80 more lines dropped"
    assert all(len(note) < 120 and "\x1b" not in note and note.count("`") == 2 for note in notes[:-1])


def test_nbgrader_test_cells_are_left_out():
    test = cell(
        "from grader.nbtest import check\ncheck('toy_a', 'total', points=1)\n",
        nbgrader={"grade": True, "solution": False},
    )
    answer = cell("y = 2\n", nbgrader={"grade": False, "solution": True})
    text, _ = to_source(notebook(answer, test))
    assert "y = 2" in text and "check(" not in text


def test_megabytes_of_base64_outputs_are_ignored():
    image = base64.b64encode(os.urandom(6 << 20)).decode()
    code = cell(TOY_A)
    code["outputs"] = [
        {"output_type": "display_data", "data": {"image/png": image, "text/plain": ["<Figure>"]}, "metadata": {}}
    ]
    data = notebook(code)
    assert len(data) > 8 << 20
    text, notes = to_source(data)
    assert text == "# %% cell 1\n" + TOY_A and notes == ()


def test_a_long_printed_output_is_read_and_a_notebook_of_tiny_values_is_refused():
    """Values are capped by their separators: a real output passes, millions of tiny strings do not."""
    from grader.notebook import MAX_VALUES

    code = cell(TOY_A)
    lines = [f"epoch {i}: loss 0.{i:06d}\n" for i in range(100_000)]  # a chatty training loop
    code["outputs"] = [{"output_type": "stream", "name": "stdout", "text": lines}]
    text, _ = to_source(notebook(code))
    assert text == "# %% cell 1\n" + TOY_A
    code["outputs"] = [{"output_type": "stream", "name": "stdout", "text": ["ab"] * (MAX_VALUES + 1)}]
    with pytest.raises(NotebookError, match="too many values to be read safely: clear its outputs"):
        to_source(notebook(code))


@pytest.mark.parametrize(
    "data, reason",
    [
        (b"def add_one(x):\n    return x + 1\n", "not a notebook: the file is not valid JSON"),
        (b"\xff\xfe\x00garbage", "not a notebook"),
        (b"[1, 2]", "not a notebook: the JSON is not an object"),
        (b'{"cells": []}', "not a notebook: it has no 'nbformat' version"),
        (b'{"nbformat": 3, "worksheets": []}', "the notebook is in the old format 3"),
        (b'{"nbformat": 4, "metadata": {}}', "not a notebook: it has no list of cells"),
        (notebook(cell("# only words", "markdown")), "the notebook has no code cells"),
        (notebook(cell({"not": "text"})), "the source of cell 1 is not text"),
        (notebook(cell("x <- 1"), language_info={"name": "R"}), "written in r, not Python"),
        (b"[" * 200_000 + b"]" * 200_000, "nested too deeply"),
        (b"[" + b"[]," * 1_100_000 + b"[]]", "too many JSON objects"),
        (notebook(cell("x = 1\n" * 200_000)), "the notebook's code is larger than 1 MiB"),
    ],
)
def test_files_that_are_not_gradable_notebooks_give_one_clear_reason(data, reason):
    with pytest.raises(NotebookError) as caught:
        to_source(data)
    message = str(caught.value)
    assert reason in message and "\n" not in message and len(message) < 200


# --- reading ----------------------------------------------------------------------


def test_a_200_mb_file_is_refused_before_anything_is_read(tmp_path):
    path = tmp_path / "toy_a.ipynb"
    with open(path, "wb") as f:
        f.truncate(200 << 20)  # sparse: no disk, no memory
    tracemalloc.start()
    try:
        read = submission.read(tmp_path, "toy_a")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 1 << 20
    assert read.text is None and read.problem == "toy_a.ipynb is larger than 16 MiB"


def test_links_and_fifos_are_refused_without_reading(tmp_path):
    target = tmp_path / "real.ipynb"
    target.write_bytes(notebook(cell("x = 1\n")))
    (tmp_path / "link.ipynb").symlink_to(target)
    os.mkfifo(tmp_path / "fifo.ipynb")  # opening it for reading would block without O_NONBLOCK
    assert submission.read(tmp_path, "link").problem == "link.ipynb is a symbolic link: submit the file itself"
    assert submission.read(tmp_path, "fifo").problem == "fifo.ipynb is a named pipe (FIFO), not a regular file"
    assert submission.read(tmp_path, "missing").missing
    assert submission.read(tmp_path, "real").text.strip().endswith("x = 1")


def test_a_python_file_wins_over_a_notebook_with_a_note(tmp_path):
    (tmp_path / "toy_a.py").write_text("y = 2\n")
    (tmp_path / "toy_a.ipynb").write_bytes(notebook(cell("x = 1\n")))
    read = submission.read(tmp_path, "toy_a")
    assert read.text == "y = 2\n" and read.filename == "toy_a.py"
    assert read.notes == ("toy_a.ipynb was ignored: toy_a.py is graded",)


# --- grading ----------------------------------------------------------------------


def _driver(*argv: str) -> subprocess.CompletedProcess:
    """Run the command line in a fresh process with a stand-in nbformat on the path; report heavy imports."""
    script = textwrap.dedent(
        f"""\
        import sys
        sys.path.insert(0, {str(ROOT / "tests" / "plugins" / "heavy")!r})
        from grader.cli import main
        status = main({list(argv)!r})
        heavy = sorted(m for m in ("nbformat", "nbgrader", "jsonschema", "nbconvert") if m in sys.modules)
        print("STATUS", status, "HEAVY", ",".join(heavy) or "-")
        """
    )
    return subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=300)


def test_the_stand_in_nbformat_is_found_first():
    heavy = str(ROOT / "tests" / "plugins" / "heavy")
    code = "import sys; sys.path.insert(0, sys.argv[1]); import nbformat; print(nbformat.STAND_IN)"
    done = subprocess.run([sys.executable, "-c", code, heavy], capture_output=True, text=True, timeout=60)
    assert done.stdout.strip() == "True"  # so an import of nbformat would show in sys.modules


def test_grading_py_files_does_not_import_nbformat():
    done = _driver("-p", "tests.plugins.toy", "run", "toy_a", "--submission", "tests/plugins/toy_solutions")
    assert "STATUS 0 HEAVY -" in done.stdout, done.stdout + done.stderr


def test_a_broken_notebook_costs_its_exercise_only(tmp_path):
    submission = tmp_path / "submission"
    submission.mkdir()
    (submission / "toy_a.py").write_text(TOY_A)
    (submission / "toy_b.ipynb").write_bytes(b'{"nbformat": 4, "cells": [')  # cut short
    report = tmp_path / "report.json"
    done = _driver("-p", "tests.plugins.toy", "run", "--submission", str(submission), "--json", str(report))
    assert "STATUS 0 HEAVY -" in done.stdout, done.stdout + done.stderr
    data = {e["name"]: e for e in json.loads(report.read_text())["exercises"]}
    assert data["toy_a"]["score"] == data["toy_a"]["max_score"] == 4 and "notes" not in data["toy_a"]
    assert data["toy_b"]["score"] == 0
    for check in data["toy_b"]["checks"]:
        assert (
            check["status"] == "error" and "toy_b.ipynb: not a notebook: the file is not valid JSON" in check["message"]
        )
    assert "toy_b.ipynb: not a notebook: the file is not valid JSON" in done.stdout  # the terminal shows why


def test_a_notebook_grades_like_its_py_file_and_notes_reach_the_report(tmp_path):
    submission = tmp_path / "submission"
    submission.mkdir()
    code = (ROOT / "tests" / "plugins" / "toy_solutions" / "toy_b.py").read_text()
    (submission / "toy_b.ipynb").write_bytes(notebook(cell("# Toy B", "markdown"), cell("!pip install numpy\n" + code)))
    (submission / "toy_a.py").write_text(TOY_A)
    (submission / "toy_a.ipynb").write_text("not even JSON")  # ignored: the .py file wins
    report = tmp_path / "report.json"
    done = _driver("-p", "tests.plugins.toy", "run", "--submission", str(submission), "--json", str(report))
    assert "STATUS 0 HEAVY -" in done.stdout, done.stdout + done.stderr
    data = {e["name"]: e for e in json.loads(report.read_text())["exercises"]}
    assert data["toy_b"]["score"] == data["toy_b"]["max_score"] == 2, data["toy_b"]
    assert data["toy_b"]["notes"] == ["cell 2, line 1: dropped the shell line `!pip install numpy`"]
    assert data["toy_a"]["score"] == 4 and data["toy_a"]["notes"] == ["toy_a.ipynb was ignored: toy_a.py is graded"]
    assert "toy_b: notes on your submission" in done.stdout
