"""Generate student stubs from reference solutions (one source of truth).

Instructors write ``solutions/<module>.py`` once and mark every solution
region with nbgrader's markers::

    def f(x):
        \"\"\"Docstring the student sees.\"\"\"
        ### BEGIN SOLUTION
        return x + 1
        ### END SOLUTION

:func:`make_stub` replaces each region with ``raise NotImplementedError``
at the region's indentation; everything outside the regions (docstrings,
signatures, imports) is kept.
"""

from __future__ import annotations

from pathlib import Path

BEGIN = "### BEGIN SOLUTION"
END = "### END SOLUTION"
HEADER = "# Exercise stub: replace each 'raise NotImplementedError' with your code, then run 'tox -e grade'.\n"


class StubError(ValueError):
    """Solution markers that do not pair up."""


def make_stub(source: str, name: str = "<solution>") -> str:
    """Return the stub for a solution's source text.

    Raises:
        StubError: for an unclosed, unopened or nested region, or a file
            with no region at all.
    """
    out: list[str] = [HEADER]
    inside_since = 0
    regions = 0
    for number, line in enumerate(source.splitlines(keepends=True), start=1):
        text = line.strip()
        if text == BEGIN:
            if inside_since:
                raise StubError(f"{name}:{number}: {BEGIN} inside the region opened on line {inside_since}")
            inside_since = number
            regions += 1
            indent = line[: len(line) - len(line.lstrip())]
            out.append(f"{indent}# YOUR CODE HERE\n{indent}raise NotImplementedError\n")
        elif text == END:
            if not inside_since:
                raise StubError(f"{name}:{number}: {END} without {BEGIN}")
            inside_since = 0
        elif not inside_since:
            out.append(line)
    if inside_since:
        raise StubError(f"{name}:{inside_since}: {BEGIN} is never closed")
    if not regions:
        raise StubError(f"{name}: no {BEGIN} region")
    return "".join(out)


def solution_files(solutions: Path) -> list[Path]:
    """The solution modules that have solution regions."""
    return sorted(p for p in solutions.glob("*.py") if BEGIN in p.read_text(encoding="utf-8"))


def outdated(solutions: Path, exercises: Path) -> list[Path]:
    """Stub files that differ from what their solutions generate."""
    stale = []
    for solution in solution_files(solutions):
        stub = exercises / solution.name
        expected = make_stub(solution.read_text(encoding="utf-8"), str(solution))
        if not stub.exists() or stub.read_text(encoding="utf-8") != expected:
            stale.append(stub)
    return stale


def write_stubs(solutions: Path, exercises: Path) -> list[Path]:
    """(Re)write every stub; return the files that changed."""
    changed = outdated(solutions, exercises)
    for stub in changed:
        solution = solutions / stub.name
        stub.write_text(make_stub(solution.read_text(encoding="utf-8"), str(solution)), encoding="utf-8")
    return changed
