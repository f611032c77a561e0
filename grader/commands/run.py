"""``python -m grader run``: grade a submission and report."""

from __future__ import annotations

import os
from pathlib import Path

from grader import hookimpl
from grader.commands._arguments import number, seconds
from grader.device import CHOICES, DeviceError
from grader.errors import UsageError
from grader.manager import choose_exercises

_percent = number(float, lambda value: 0 <= value <= 100, "between 0 and 100")


@hookimpl
def grader_add_commands(subparsers, pm):
    parser = subparsers.add_parser("run", help="grade a submission")
    parser.add_argument("exercises", nargs="*", metavar="EXERCISE", help="exercises to grade (default: all)")
    parser.add_argument(
        "--submission",
        type=Path,
        default=Path("exercises"),
        metavar="DIR",
        help="folder holding <exercise>.py files (default: exercises/)",
    )
    parser.add_argument("--device", choices=CHOICES, default="auto", help="torch device (default: auto)")
    parser.add_argument(
        "--fail-under",
        type=_percent,
        default=None,
        metavar="PERCENT",
        help="exit with status 1 when the score is below PERCENT",
    )
    parser.add_argument(
        "--time-limit",
        type=seconds,
        default=None,
        metavar="SECONDS",
        help="bound the total time the submission's code may run, all exercises together",
    )
    pm.hook.grader_addoption(parser=parser)
    parser.set_defaults(command=run)


def _outside(submission: Path) -> None:
    """Refuse to grade a folder that holds the current folder.

    Python may import modules from the current folder (lazy imports, optional
    dependencies), so a file planted in the submission could run in the
    grader's own process.
    """
    folder = os.path.realpath(submission)
    here = os.path.realpath(os.getcwd())
    if here == folder or here.startswith(folder.rstrip(os.sep) + os.sep):
        raise UsageError(
            f"run the grader from outside the submission folder {str(submission)!r}: "
            "files in the current folder could be imported by the grader itself"
        )


def run(args, pm) -> int:
    from grader.grading import grade

    chosen = choose_exercises(pm, args.exercises)
    if not args.submission.is_dir():
        raise UsageError(f"submission folder {str(args.submission)!r} does not exist")
    _outside(args.submission)
    try:
        report = grade(pm, chosen, args.submission, args.device, time_limit=args.time_limit)
    except DeviceError as exc:
        raise UsageError(str(exc)) from None
    pm.hook.grader_report_finish(report=report, args=args)
    if args.fail_under is not None and report.percent < args.fail_under:
        return 1
    return 0
