"""Build an nbgrader course from the exercises: one assignment per exercise.

The course is generated from the same source as the stubs: each notebook's
code is its reference solution (``solutions/<name>.py``) cut into cells at
its top-level definitions, with nbgrader's ``### BEGIN SOLUTION`` /
``### END SOLUTION`` regions left in place for ``nbgrader
generate_assignment`` to clear. Each check of the exercise becomes one
read-only autograded test cell worth the check's points; the test cells
grade the notebook through ``python -m grader`` (see :mod:`grader.nbtest`),
so nbgrader's total for an exercise is the grader's ``max_score``.

Notebooks are written as JSON with the standard library (format 4.5, as
``nbformat`` writes them); nothing here imports ``nbformat`` or nbgrader.

Cell metadata is exactly what nbgrader 0.9.6's "Create Assignment" toolbar
writes (schema version 3, ``nbgrader/nbgraderformat/v3.json`` and the
labextension's ``newNbgraderData``): ``grade``, ``grade_id``, ``locked``,
``schema_version``, ``solution``, ``task``, plus ``points`` on grade cells.
"""

from __future__ import annotations

import ast
import json
import re
from dataclasses import dataclass
from pathlib import Path

from grader.exercise import Check, Exercise
from grader.policy import notebook_timeout
from grader.stubs import BEGIN, END

SCHEMA_VERSION = 3
CODE_STUB = "# YOUR CODE HERE\nraise NotImplementedError"  # the stubs' own replacement (grader.stubs)
CONFIG_HEADER = "# Written by `python -m grader nbgrader export`"
KERNELSPEC = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}


class ExportError(ValueError):
    """An exercise that cannot be exported (one line, for the instructor)."""


@dataclass(frozen=True)
class Chunk:
    """A run of top-level statements of a solution module.

    Attributes:
        source: The code, verbatim.
        name: The function or class it defines (``""`` for other code).
        doc: The first line of that definition's docstring.
    """

    source: str
    name: str = ""
    doc: str = ""

    @property
    def solution(self) -> bool:
        return BEGIN in self.source


def split_solution(text: str, filename: str) -> tuple[str, list[Chunk]]:
    """Cut a solution module into its docstring and code chunks.

    Every top-level ``def`` or ``class`` (with its decorators and the comment
    lines right above it) is one chunk; the statements between definitions
    (imports, constants) form chunks of their own. Joining the chunks gives
    the module back without its docstring.

    Raises:
        ExportError: for a module that does not parse or a solution region
            that spans two definitions.
    """
    try:
        tree = ast.parse(text, filename)
    except SyntaxError as exc:
        raise ExportError(f"{filename}:{exc.lineno}: does not parse: {exc.msg}") from None
    lines = text.splitlines(keepends=True)
    body = list(tree.body)
    docstring = ast.get_docstring(tree, clean=True) or ""
    start = 0
    if body and isinstance(body[0], ast.Expr) and isinstance(getattr(body[0], "value", None), ast.Constant):
        if isinstance(body[0].value.value, str):
            start = body[0].end_lineno
            body = body[1:]
    # Where each chunk starts: every definition, and the first statement after one.
    starts: list[tuple[int, ast.stmt]] = []
    previous_was_def = True
    for node in body:
        is_def = isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
        if is_def or previous_was_def:
            first = min([node.lineno] + [d.lineno for d in getattr(node, "decorator_list", [])]) - 1
            while first > start and lines[first - 1].lstrip().startswith("#"):
                first -= 1  # comments right above belong to the definition
            starts.append((first, node))
        previous_was_def = is_def
    chunks = []
    for i, (first, node) in enumerate(starts):
        end = starts[i + 1][0] if i + 1 < len(starts) else len(lines)
        if i == 0:
            first = start
        code = "".join(lines[first:end]).strip("\n") + "\n"
        if not code.strip():
            continue
        if code.count(BEGIN) != code.count(END):
            raise ExportError(f"{filename}:{first + 1}: a solution region must stay inside one definition")
        name, doc = "", ""
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            name = node.name
            doc = (ast.get_docstring(node) or "").strip().split("\n", 1)[0]
        chunks.append(Chunk(code, name, doc))
    return docstring, chunks


def rst_to_markdown(text: str) -> str:
    """The reStructuredText of the docstrings, as Jupyter's Markdown.

    Only what the solutions use: inline literals, ``:math:`` roles,
    ``.. math::`` blocks and ``::`` literal blocks.
    """
    out: list[str] = []
    lines = text.split("\n")
    i = 0
    while i < len(lines):
        line = lines[i]
        stripped = line.strip()
        if stripped.startswith(".. math::") or stripped.endswith("::"):
            is_math = stripped.startswith(".. math::")
            inline = stripped[len(".. math::") :].strip() if is_math else ""
            if not is_math:
                lead = stripped[:-2].rstrip()
                if lead:
                    out.append(_inline(line.rstrip()[:-2].rstrip() + ":"))
            block, i = _indented_block(lines, i + 1)
            if is_math:
                formula = "\n".join([inline] * bool(inline) + block).strip()
                out.extend(["", f"$${formula}$$", ""])
            else:
                out.extend(["", "```", *block, "```", ""])
            continue
        out.append(_inline(line))
        i += 1
    return re.sub(r"\n{3,}", "\n\n", "\n".join(out)).strip() + "\n"


def _indented_block(lines: list[str], i: int) -> tuple[list[str], int]:
    block: list[str] = []
    while i < len(lines) and (not lines[i].strip() or lines[i].startswith((" ", "\t"))):
        block.append(lines[i])
        i += 1
    while block and not block[-1].strip():
        block.pop()
    while block and not block[0].strip():
        block.pop(0)
    indent = min((len(b) - len(b.lstrip()) for b in block if b.strip()), default=0)
    return [b[indent:] for b in block], i


def _inline(line: str) -> str:
    line = re.sub(r":math:`([^`]*)`", r"$\1$", line)
    return re.sub(r"``([^`]+)``", r"`\1`", line)


# --- cells ----------------------------------------------------------------------


def _lines(source: str) -> list[str]:
    return source.splitlines(keepends=True)


def markdown_cell(cell_id: str, source: str) -> dict:
    return {"cell_type": "markdown", "id": cell_id, "metadata": {}, "source": _lines(source)}


def code_cell(cell_id: str, source: str, nbgrader: dict | None = None) -> dict:
    metadata = {"nbgrader": nbgrader} if nbgrader else {}
    return {
        "cell_type": "code",
        "execution_count": None,
        "id": cell_id,
        "metadata": metadata,
        "outputs": [],
        "source": _lines(source),
    }


def nbgrader_metadata(
    grade_id: str, *, solution: bool = False, points: float | None = None, locked: bool = False
) -> dict:
    """One cell's ``metadata.nbgrader`` as nbgrader 0.9.6 writes it (schema 3).

    An autograded answer: ``solution`` true, ``grade`` and ``locked`` false.
    Autograder tests: ``grade`` and ``locked`` true, with ``points``.
    A read-only cell: ``locked`` true only.
    """
    meta = {
        "grade": points is not None,
        "grade_id": grade_id,
        "locked": locked or points is not None,
        "schema_version": SCHEMA_VERSION,
        "solution": solution,
        "task": False,
    }
    if points is not None:
        meta["points"] = _number(points)
    return meta


def _number(x: float) -> float | int:
    return int(x) if float(x).is_integer() else float(x)


def test_cell_source(exercise: Exercise, check) -> str:
    """The code of the autograded test cell of one check."""
    kind = "reads" if isinstance(check, Check) else "inspects"
    return (
        f"# Autograded: check {check.name!r}, {_number(check.points)} point{'s' * (check.points != 1)}.\n"
        f"# `python -m grader` {kind} {exercise.name}.ipynb as saved on disk and grades it in its sandbox:\n"
        "# save the notebook (Ctrl-S) before running this cell.\n"
        "from grader.nbtest import check\n\n"
        f"check({exercise.name!r}, {check.name!r}, points={_number(check.points)!r},\n"
        f"      description={check.description!r})\n"
    )


def build_notebook(exercise: Exercise, solution_text: str, filename: str) -> dict:
    """The source notebook of ``exercise`` (answers included), as notebook JSON data.

    Raises:
        ExportError: when the solution has no solution region or does not
            split into cells.
    """
    docstring, chunks = split_solution(solution_text, filename)
    if not any(chunk.solution for chunk in chunks):
        raise ExportError(f"{filename}: no {BEGIN} region: nothing for students to write")
    cells = [
        markdown_cell(
            "intro",
            f"# {exercise.name}: {exercise.title}\n\n{rst_to_markdown(docstring)}\n"
            f"Write your code in the cells that say `YOUR CODE HERE`. The test cells at the end grade "
            f"this notebook, **as saved on disk**, with `python -m grader` in its sandbox "
            f"({_number(exercise.max_score)} points): save it before you run them.\n",
        )
    ]
    seen: set[str] = set()
    for index, chunk in enumerate(chunks):
        if chunk.name:
            cells.append(markdown_cell(f"about-{index}", f"## `{chunk.name}`\n\n{_inline(chunk.doc)}\n"))
        grade_id = _unique(f"{'solution' if chunk.solution else 'given'}_{chunk.name or 'setup'}", seen)
        meta = (
            nbgrader_metadata(grade_id, solution=True) if chunk.solution else nbgrader_metadata(grade_id, locked=True)
        )
        cells.append(code_cell(grade_id, chunk.source, meta))
    cells.append(markdown_cell("tests", "## Tests\n\nOne cell per check of the grader, worth that check's points.\n"))
    for check in exercise.checks:
        grade_id = _unique(f"test_{check.name}", seen)
        cells.append(
            code_cell(grade_id, test_cell_source(exercise, check), nbgrader_metadata(grade_id, points=check.points))
        )
    return {
        "cells": cells,
        "metadata": {"kernelspec": dict(KERNELSPEC), "language_info": {"name": "python"}},
        "nbformat": 4,
        "nbformat_minor": 5,
    }


def _unique(grade_id: str, seen: set[str]) -> str:
    base, n = grade_id, 2
    while grade_id in seen:
        grade_id, n = f"{base}_{n}", n + 1
    seen.add(grade_id)
    return grade_id


def dumps(notebook: dict) -> str:
    """Notebook JSON formatted as ``nbformat.write`` formats it."""
    return json.dumps(notebook, indent=1, sort_keys=True, ensure_ascii=False) + "\n"


def config_text(exercises: list[Exercise], timeout: int) -> str:
    """The course's ``nbgrader_config.py``."""
    return (
        f"{CONFIG_HEADER}; it rewrites this file unless you remove this line.\n"
        "# One nbgrader assignment per exercise: source/<exercise>/<exercise>.ipynb.\n"
        "c = get_config()  # noqa: F821 (defined by nbgrader when it loads this file)\n\n"
        "# The released code says what the stubs in exercises/ say.\n"
        f"c.ClearSolutions.code_stub = {{'python': {CODE_STUB!r}}}\n\n"
        "# The first test cell of a notebook runs `python -m grader` (importing torch, a sandbox, the\n"
        "# reference): allow it more than nbgrader's default of 30 s per cell.\n"
        f"c.Execute.timeout = {timeout}\n"
    )


def write_course(course: Path, exercises: list[Exercise], solutions: dict[str, Path]) -> list[Path]:
    """Write ``nbgrader_config.py`` and ``source/<name>/<name>.ipynb``; return the files written.

    An ``nbgrader_config.py`` not written by this command is left alone.

    Raises:
        ExportError: for an exercise whose solution cannot be exported
            (nothing is written then).
    """
    notebooks = {}
    for exercise in exercises:
        path = solutions[exercise.name]
        notebooks[exercise.name] = dumps(build_notebook(exercise, path.read_text(encoding="utf-8"), str(path)))
    written = []
    for name, text in notebooks.items():
        target = course / "source" / name / f"{name}.ipynb"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
        written.append(target)
    config = course / "nbgrader_config.py"
    if not config.exists() or config.read_text(encoding="utf-8").startswith(CONFIG_HEADER):
        timeout = notebook_timeout(exercises)
        config.write_text(config_text(exercises, timeout), encoding="utf-8")
        written.append(config)
    return written
