"""A pluggy-based grader for hands-on PyTorch exercises.

Exercise packs and built-in behaviour are plugins: they implement the hooks
in :mod:`grader.hookspecs`, marked with :data:`hookimpl`.
"""


def _current_folder_last() -> None:
    """Look in the current folder for modules last, after installed packages.

    ``python -m grader`` puts the current folder first on ``sys.path``: a
    ``numpy.py`` planted there (in a submission folder, say) would be
    imported instead of numpy. This runs before anything else is imported.
    """
    import os
    import sys

    try:
        here = os.path.realpath(os.getcwd())
    except OSError:  # the current folder was removed
        here = None
    moved = [p for p in sys.path if p in ("", ".") or (here is not None and os.path.realpath(p) == here)]
    if moved:
        sys.path[:] = [p for p in sys.path if p not in moved] + moved


_current_folder_last()
del _current_folder_last

import pluggy  # noqa: E402

from grader.exercise import Case, Check, Context, Exercise, SourceCheck  # noqa: E402

hookimpl = pluggy.HookimplMarker("grader")

__all__ = ["Case", "Check", "Context", "Exercise", "SourceCheck", "hookimpl"]
