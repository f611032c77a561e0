"""The course's figures, drawn at build time from the reference solutions.

The figures of exercise ``NAME`` are ``FIGURES``, a tuple of
:class:`~grader_docs.figures._common.Figure` in page order, in the module
``NAME.py`` of this package, found by its name: adding an exercise's figures
adds a file and edits none. ``_common.py`` holds what the modules share.

Each figure calls the reference solutions (``solutions.<name>``) and torch,
and only the picture reaches the page. Figures are cached in
``docs/_figures/`` and redrawn when the exercise's figure module,
``_common.py``, the exercise's solution or the figure's data file is newer
than the picture.
"""

from __future__ import annotations

import importlib
from pathlib import Path

from ._common import DOCS, Figure

__all__ = ["Figure", "draw_all", "figures_of", "module_path", "modules"]

FOLDER = Path(__file__).resolve().parent


def module_path(exercise: str) -> Path:
    """The file that holds the figures of ``exercise`` (it may not exist)."""
    return FOLDER / f"{exercise}.py"


def modules() -> list[str]:
    """The exercises that have a figure module here, sorted."""
    return sorted(path.stem for path in FOLDER.glob("*.py") if not path.stem.startswith("_"))


def figures_of(exercise: str) -> tuple[Figure, ...]:
    """The figures of ``exercise`` in page order; none for an exercise without a module (a pack's)."""
    if not exercise.isidentifier() or exercise.startswith("_") or not module_path(exercise).is_file():
        return ()
    return tuple(importlib.import_module(f"{__name__}.{exercise}").FIGURES)


def _stale(target: Path, figure: Figure, exercise: str) -> bool:
    if not target.is_file():
        return True
    sources = [FOLDER / "_common.py", module_path(exercise), DOCS.parent / "solutions" / f"{exercise}.py"]
    if figure.data is not None:
        sources.append(figure.data)
    built = target.stat().st_mtime
    return any(source.is_file() and source.stat().st_mtime > built for source in sources)


def draw_all(folder: Path, exercises) -> list[Path]:
    """Draw the figures of every installed exercise that has some; return the files drawn."""
    folder.mkdir(exist_ok=True)
    drawn = []
    for name in exercises:
        for figure in figures_of(name):
            target = folder / figure.file
            if _stale(target, figure, name):
                figure.draw(target)
                drawn.append(target)
    return drawn
