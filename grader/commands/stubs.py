"""``python -m grader stubs``: regenerate exercises/ from solutions/."""

from __future__ import annotations

from pathlib import Path

from grader import hookimpl
from grader.errors import UsageError


@hookimpl
def grader_add_commands(subparsers, pm):
    parser = subparsers.add_parser("stubs", help="regenerate the student stubs from the solutions")
    parser.add_argument("--solutions", type=Path, default=Path("solutions"), metavar="DIR")
    parser.add_argument("--exercises", type=Path, default=Path("exercises"), metavar="DIR")
    parser.add_argument("--check", action="store_true", help="only report stale stubs; exit 1 if any")
    parser.set_defaults(command=stubs)


def stubs(args, pm) -> int:
    from grader.stubs import StubError, outdated, write_stubs

    for folder in (args.solutions, args.exercises):
        if not folder.is_dir():
            raise UsageError(f"folder {str(folder)!r} does not exist")
    try:
        if args.check:
            stale = outdated(args.solutions, args.exercises)
            for path in stale:
                print(f"out of date: {path} (run: python -m grader stubs)")
            return 1 if stale else 0
        for path in write_stubs(args.solutions, args.exercises):
            print(f"wrote {path}")
    except StubError as exc:
        raise UsageError(str(exc)) from None
    return 0
