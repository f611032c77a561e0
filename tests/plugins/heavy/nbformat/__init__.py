"""A stand-in for nbformat: tests put it first on sys.path to see whether the grader imports nbformat."""

STAND_IN = True
