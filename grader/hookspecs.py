"""Every hook the grader calls, grouped by phase.

Plugins implement these with the :data:`grader.hookimpl` marker. Hooks are
always called with keyword arguments; an implementation may accept any
subset of them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pluggy

if TYPE_CHECKING:  # pragma: no cover
    import argparse

    from grader.exercise import Case, Check, Exercise
    from grader.results import ExerciseResult, Report, Session

hookspec = pluggy.HookspecMarker("grader")


# --- command line -------------------------------------------------------------


@hookspec
def grader_add_commands(subparsers: argparse._SubParsersAction, pm: pluggy.PluginManager) -> None:
    """Add sub-commands to ``python -m grader``.

    Args:
        subparsers: The ``argparse`` sub-parser collection. Add a parser and
            set its default ``command`` to a callable taking
            ``(args, pm)`` and returning an exit status.
        pm: The plugin manager (to call ``grader_addoption`` on a new
            sub-command's parser).
    """


@hookspec
def grader_addoption(parser: argparse.ArgumentParser) -> None:
    """Add options to ``python -m grader run``.

    Args:
        parser: The ``run`` sub-command's parser. Reporters use this to add
            their own options (``--json``).
    """


@hookspec
def grader_configure(args: argparse.Namespace) -> None:
    """Validate parsed options before any work starts.

    Args:
        args: The parsed command line.

    Raises:
        grader.errors.UsageError: to reject an option value; the message
            is shown on one line and the command exits with status 2.
    """


# --- discovery ----------------------------------------------------------------


@hookspec
def grader_exercises() -> list[Exercise]:
    """Declare exercises.

    Returns:
        A list of :class:`grader.Exercise`. Names must be unique across all
        plugins; a duplicate is a configuration error that names both
        plugins.
    """


# --- checking -----------------------------------------------------------------


@hookspec(firstresult=True)
def grader_compare(check: Check, case: Case, expected: Any, got: Any) -> str | bool | None:
    """Compare what a student's code produced with what was expected.

    Called in the grader's own process, on plain data only. The first
    implementation that returns something other than ``None`` decides.

    Args:
        check: The check; ``check.compare`` names the comparator wanted.
        case: The case that was run.
        expected: Plain value from the reference or the check's oracle.
        got: Plain value from the student's process.

    Returns:
        ``None`` when this comparator does not handle ``check.compare``;
        ``True`` when the values agree; otherwise a message for the student
        saying what differs.
    """


# --- reporting ----------------------------------------------------------------


@hookspec
def grader_report_start(session: Session) -> None:
    """Grading is about to start.

    Args:
        session: What is graded, where (device), and which sandbox
            protections are active.
    """


@hookspec
def grader_report_exercise(result: ExerciseResult) -> None:
    """One exercise has been graded (used to show progress).

    Args:
        result: The exercise's result. Must not be modified.
    """


@hookspec
def grader_report_finish(report: Report, args: argparse.Namespace) -> None:
    """Grading is over and every student process is gone.

    Args:
        report: The whole result. Must not be modified.
        args: The parsed command line (reporters read their options here).
    """
