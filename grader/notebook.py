"""Turn a submitted Jupyter notebook into the student's module text.

This module is on the grading path: it uses the standard library only (no
``nbformat``, whose import alone costs more than a second) and never trusts
the file. Outputs are ignored entirely: a notebook full of base64 images
costs one ``json.loads``, nothing is decoded.

The module text is the notebook's code cells joined in order, each preceded
by a ``# %% cell N`` line (N counts every cell from 1, as the notebook shows
them top to bottom). IPython syntax that is not Python — line magics
(``%time f()``), cell magics (``%%bash``: the whole cell), shell lines
(``!pip install ...``), help lines (``x?``) and ``get_ipython()`` calls — is
replaced by a comment (``pass`` plus a comment when indented), so that the
line numbers of the module are those of the notebook's cells and tracebacks
stay meaningful. Each drop is reported as a note for the student.
nbgrader's autograder test cells (``grade`` without ``solution`` in the
cell's ``nbgrader`` metadata) grade the module and are left out of it.
"""

from __future__ import annotations

import json
import re

MAX_NOTEBOOK_BYTES = 16 << 20
"""Notebooks may be larger than ``.py`` files: their outputs hold base64 images."""

MAX_CODE_BYTES = 1 << 20
"""The code extracted from a notebook has the cap of a ``.py`` file."""

MAX_CONTAINERS = 1_000_000
"""JSON objects and arrays in one notebook; bounds the memory ``json.loads`` may use."""

MAX_VALUES = 500_000
"""JSON values in one notebook, counted by their separators (an upper bound).

Strings and numbers are not containers, yet ``json.loads`` builds each one:
16 MiB of two-letter strings would cost over 200 MiB. Half a million values
cost at most a few times the file cap; a real notebook holds far fewer (a
base64 image is one value), and one that holds more is told to clear its
outputs.
"""

MAX_NOTES = 20
_NOTE_TEXT = 60


class NotebookError(ValueError):
    """A file that cannot be graded as a notebook; the message is one line for the student."""


def to_source(data: bytes) -> tuple[str, tuple[str, ...]]:
    """Return the module text of a notebook and notes on what was dropped.

    Args:
        data: The ``.ipynb`` file's bytes (the caller enforces the size cap
            before reading).

    Returns:
        ``(text, notes)``: the code cells joined in order, with IPython-only
        lines replaced by comments; one note per replaced line or cell
        (bounded, control characters escaped).

    Raises:
        NotebookError: for text that is not JSON, JSON that is not a
            notebook of format 4 or later, a notebook for another language,
            no code cells, absurd nesting, or code over the ``.py`` cap.
    """
    if len(data) > MAX_NOTEBOOK_BYTES:
        raise NotebookError(f"the notebook is larger than {MAX_NOTEBOOK_BYTES >> 20} MiB")
    if data.count(b"{") + data.count(b"[") > MAX_CONTAINERS:  # a bound, not an exact count
        raise NotebookError("the notebook holds too many JSON objects to be a real notebook")
    if data.count(b",") + data.count(b":") > MAX_VALUES:  # every value after a container's first follows one
        raise NotebookError(
            "the notebook holds too many values to be read safely: clear its outputs "
            "(Edit > Clear Outputs of All Cells), save it and hand it in again"
        )
    try:
        notebook = json.loads(data)
    except RecursionError:
        raise NotebookError("the notebook's JSON is nested too deeply") from None
    except UnicodeDecodeError:
        raise NotebookError("not a notebook: the file is not UTF-8 text") from None
    except ValueError as exc:
        raise NotebookError(f"not a notebook: the file is not valid JSON ({_first_line(exc)})") from None
    if not isinstance(notebook, dict):
        raise NotebookError("not a notebook: the JSON is not an object")
    version = notebook.get("nbformat")
    if not isinstance(version, int) or isinstance(version, bool):
        raise NotebookError("not a notebook: it has no 'nbformat' version")
    if version < 4:
        raise NotebookError(f"the notebook is in the old format {version}: open it in Jupyter and save it again")
    cells = notebook.get("cells")
    if not isinstance(cells, list):
        raise NotebookError("not a notebook: it has no list of cells")
    language = _language(notebook.get("metadata"))
    if language not in ("", "python"):
        raise NotebookError(f"the notebook is written in {_excerpt(language)}, not Python")

    parts: list[str] = []
    notes = _Notes()
    code_cells = size = 0
    for number, cell in enumerate(cells, start=1):
        if not isinstance(cell, dict):
            raise NotebookError(f"not a notebook: cell {number} is not an object")
        if cell.get("cell_type") != "code":
            continue
        code_cells += 1
        if _is_nbgrader_test(cell):
            parts.append(f"# %% cell {number}: an nbgrader test cell, not part of the module\n")
            continue
        source = _cell_text(cell, number)
        size += len(source)  # characters: a lower bound of the bytes, so this can only stop early
        if size > MAX_CODE_BYTES:
            raise NotebookError(f"the notebook's code is larger than {MAX_CODE_BYTES >> 20} MiB")
        parts.append(f"# %% cell {number}\n")
        parts.append(_convert_cell(source, number, notes))
    if not code_cells:
        raise NotebookError("the notebook has no code cells")
    text = "".join(parts)
    if len(text.encode("utf-8", "surrogatepass")) > MAX_CODE_BYTES:
        raise NotebookError(f"the notebook's code is larger than {MAX_CODE_BYTES >> 20} MiB")
    return text, notes.done()


def _language(metadata) -> str:
    if not isinstance(metadata, dict):
        return ""
    for key, field in (("language_info", "name"), ("kernelspec", "language")):
        value = metadata.get(key)
        if isinstance(value, dict) and isinstance(value.get(field), str):
            return value[field].strip().lower()
    return ""


def _is_nbgrader_test(cell: dict) -> bool:
    """An nbgrader "autograder tests" cell: it grades the module and is not part of it."""
    metadata = cell.get("metadata")
    meta = metadata.get("nbgrader") if isinstance(metadata, dict) else None
    return isinstance(meta, dict) and meta.get("grade") is True and meta.get("solution") is not True


def _cell_text(cell: dict, number: int) -> str:
    source = cell.get("source", "")
    if isinstance(source, list) and all(isinstance(line, str) for line in source):
        source = "".join(source)
    if not isinstance(source, str):
        raise NotebookError(f"not a notebook: the source of cell {number} is not text")
    # Python counts \r\n, \r and \n as line ends, and nothing else.
    return source.replace("\r\n", "\n").replace("\r", "\n")


# --- IPython syntax -----------------------------------------------------------

_ASSIGN_FROM = re.compile(r"[A-Za-z_][\w.]*(\s*,\s*[A-Za-z_][\w.]*)*\s*=\s*[%!]")
_HELP = re.compile(r"(\?\??[\w.]*|[\w.]+\?\??)\s*(#.*)?$")
_GET_IPYTHON = re.compile(r"\bget_ipython\s*\(")


class _Notes:
    """At most ``MAX_NOTES`` notes, then a count of the rest."""

    def __init__(self) -> None:
        self.kept: list[str] = []
        self.more = 0

    def append(self, note: str) -> None:
        if len(self.kept) < MAX_NOTES:
            self.kept.append(note)
        else:
            self.more += 1

    def done(self) -> tuple[str, ...]:
        return tuple(self.kept) + ((f"... and {self.more} more lines dropped",) if self.more else ())


def _convert_cell(text: str, number: int, notes: _Notes) -> str:
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    first = next((line.strip() for line in lines if line.strip()), "")
    if first.startswith("%%"):
        notes.append(f"cell {number}: dropped the whole cell (cell magic `{_excerpt(first)}`)")
        return "".join(f"# dropped (cell magic): {_excerpt(line)}\n" if line.strip() else "\n" for line in lines)
    out: list[str] = []
    scanner = _Scanner()
    dropping = False  # inside a dropped multi-line statement
    for index, line in enumerate(lines, start=1):
        indent = line[: len(line) - len(line.lstrip())]
        if dropping:
            scanner.feed(line)
            dropping = not scanner.at_statement_start()
            out.append(f"# dropped: {_excerpt(line.strip())}\n")  # a comment's indentation is free
            continue
        kind = _ipython_kind(line.strip()) if scanner.at_statement_start() else None
        if kind is None:
            scanner.feed(line)
            out.append(line + "\n")
            continue
        notes.append(f"cell {number}, line {index}: dropped the {kind} `{_excerpt(line.strip())}`")
        out.append(_replacement(indent, line))
        if kind == "get_ipython() call":
            scanner.feed(line)  # its brackets may continue on the next lines
        else:
            scanner.feed_continuation(line)
        dropping = not scanner.at_statement_start()
    return "".join(out)


def _ipython_kind(stripped: str) -> str | None:
    if not stripped or stripped.startswith("#"):
        return None
    if stripped.startswith("%"):
        return "magic"
    if stripped.startswith("!"):
        return "shell line"
    if _ASSIGN_FROM.match(stripped):
        return "magic" if stripped.split("=", 1)[1].lstrip().startswith("%") else "shell line"
    if _GET_IPYTHON.search(stripped):
        return "get_ipython() call"
    if _HELP.match(stripped) and "?" in stripped:
        return "help line"
    return None


def _replacement(indent: str, line: str) -> str:
    comment = f"# dropped: {_excerpt(line.strip())}"
    return f"{indent}pass  {comment}\n" if indent else f"{comment}\n"


class _Scanner:
    """Just enough of Python's tokenizer to know where a statement starts.

    Tracks open brackets, strings (triple-quoted ones span lines) and
    backslash continuations; comments are skipped. A ``%`` at the start of
    a continuation line is the modulo operator, not a magic.
    """

    def __init__(self) -> None:
        self.depth = 0
        self.quote = ""  # the open string's delimiter, "" when none
        self.backslash = False

    def at_statement_start(self) -> bool:
        return self.depth == 0 and not self.quote and not self.backslash

    def feed_continuation(self, line: str) -> None:
        """A dropped IPython line: only a trailing backslash continues it."""
        self.backslash = line.rstrip().endswith("\\")

    def feed(self, line: str) -> None:
        self.backslash = False
        i, n = 0, len(line)
        while i < n:
            char = line[i]
            if self.quote:
                if char == "\\":
                    i += 2
                    continue
                if line.startswith(self.quote, i):
                    i += len(self.quote)
                    self.quote = ""
                    continue
                i += 1
                continue
            if char == "#":
                break
            if char in "\"'":
                triple = line[i : i + 3]
                self.quote = triple if triple in ('"""', "'''") else char
                i += len(self.quote)
                continue
            if char in "([{":
                self.depth += 1
            elif char in ")]}":
                self.depth = max(0, self.depth - 1)
            elif char == "\\" and i == n - 1:
                self.backslash = True
            i += 1
        if self.quote in ("'", '"'):  # an unterminated one-line string ends with its line
            self.quote = ""


_CONTROL = {i: f"\\x{i:02x}" for i in [*range(0, 32), *range(127, 160)]}
_CONTROL[ord("`")] = "'"


def _excerpt(text: str) -> str:
    """Bounded and escaped: safe to print in a terminal and in one line of JSON."""
    text = text.translate(_CONTROL)
    return text if len(text) <= _NOTE_TEXT else text[: _NOTE_TEXT - 3] + "..."


def _first_line(exc: BaseException) -> str:
    return str(exc).splitlines()[0] if str(exc) else type(exc).__name__
