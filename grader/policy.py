"""The grading policies, each decided here and nowhere else.

* where an exercise runs: numpy exercises on the CPU whatever ``--device``
  says, torch exercises on the resolved device;
* how much memory a student's process may use: the exercise's
  ``memory_limit_mb`` as an address-space cap (none on CUDA, whose driver maps
  huge virtual ranges) and, for the control group, that budget on top of what
  the zygote it is forked from already holds;
* how long the grader waits: a case's own ``time_limit``, the exercise's, how
  long a module may take to import and how long the expected values of an
  exercise may take to compute;
* what else a student's process may use: processes, open files, bytes
  written to a file, and how much of what it prints reaches the report.
"""

from __future__ import annotations

from grader.exercise import Exercise

IMPORT_LIMIT = 20.0
"""Seconds a student's module may take to import, within the exercise's own limit."""

EXIT_GRACE = 2.0
"""Seconds a student's process has to exit once its cases are done, before it is killed."""

OUTPUT_SHOWN = 4000
"""Characters of what a student's process printed that the report shows."""

PROCESS_CAP = 128
"""Processes and threads a sandbox may hold at once (its control group's ``pids.max``)."""

OPEN_FILES = 256
"""Files a student's process may hold open at once."""

FILE_BYTES = 1 << 20
"""Bytes a student's process may write to any one file."""


def device_for(exercise: Exercise, device: str) -> str:
    """The device ``exercise`` runs on when the run's device is ``device``."""
    return "cpu" if exercise.framework == "numpy" else device


def address_space_mb(exercise: Exercise, device: str) -> int:
    """Megabytes a student's process may map beyond its start, ``0`` for no cap.

    Args:
        exercise: The exercise.
        device: The run's resolved device.
    """
    return 0 if device_for(exercise, device) == "cuda" else exercise.memory_limit_mb


def group_memory_bytes(exercise: Exercise, resident_bytes: int) -> int:
    """The memory cap of a sandbox's control group.

    A forked child shares the zygote's pages until it writes them, and
    control groups charge them as it does, so the budget allows for the
    zygote's resident set on top of the exercise's own memory.
    """
    return (exercise.memory_limit_mb << 20) + resident_bytes


def expected_patience(exercise: Exercise) -> float:
    """Seconds to wait for an exercise's expected values once they are asked for."""
    return max(120.0, 2 * exercise.time_limit)


def notebook_timeout(exercises) -> int:
    """Seconds an nbgrader cell of these exercises may run (autograde's timeout)."""
    return int(max(120, 2 * max(e.time_limit for e in exercises) + 60))
