"""A pluggy-based grader for hands-on PyTorch exercises.

Exercise packs and built-in behaviour are plugins: they implement the hooks
in :mod:`grader.hookspecs`, marked with :data:`hookimpl`.
"""

import pluggy

from grader.model import Case, Check, Context, Exercise, SourceCheck

hookimpl = pluggy.HookimplMarker("grader")

__all__ = ["Case", "Check", "Context", "Exercise", "SourceCheck", "hookimpl"]
