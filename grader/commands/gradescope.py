"""``python -m grader gradescope OUT.zip``: the Gradescope autograder package."""

from __future__ import annotations

import os
from pathlib import Path

from grader import hookimpl
from grader.errors import UsageError
from grader.manager import choose_exercises

VISIBILITIES = ("visible", "after_due_date", "after_published", "hidden")


@hookimpl
def grader_add_commands(subparsers, pm):
    parser = subparsers.add_parser("gradescope", help="build the Gradescope autograder package (a zip)")
    parser.add_argument("out", type=Path, metavar="OUT.zip", help="the zip to write")
    parser.add_argument("exercises", nargs="*", metavar="EXERCISE", help="exercises it grades (default: all)")
    parser.add_argument("--force", action="store_true", help="replace OUT.zip if it exists")
    parser.add_argument(
        "--visibility",
        choices=VISIBILITIES,
        default="visible",
        help="when students see the tests on Gradescope (default: visible)",
    )
    parser.add_argument(
        "--hidden-visibility",
        choices=VISIBILITIES,
        default="after_published",
        help="when students see hidden checks (default: after_published)",
    )
    parser.add_argument("--torch-index", default=None, metavar="URL", help="package index setup.sh installs torch from")
    parser.set_defaults(command=package)


def _check_out(out: Path, force: bool) -> None:
    if out.is_dir():
        raise UsageError(f"{str(out)!r} is a folder, not a file")
    folder = out.parent.resolve()
    if not folder.is_dir():
        raise UsageError(f"the folder {str(out.parent)!r} of {str(out)!r} does not exist")
    if os.path.lexists(out) and not force:
        raise UsageError(f"{str(out)!r} exists (use --force to replace it)")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise UsageError(f"the folder {str(out.parent)!r} is not writable")


def package(args, pm) -> int:
    from grader import autograder
    from grader.reporters._files import write_atomically

    _check_out(args.out, args.force)
    chosen = choose_exercises(pm, args.exercises)
    try:
        data, names = autograder.build(
            pm,
            chosen,
            visibility=args.visibility,
            hidden_visibility=args.hidden_visibility,
            torch_index=args.torch_index or autograder.TORCH_INDEX,
        )
    except autograder.PackageError as exc:
        raise UsageError(str(exc)) from None
    try:
        write_atomically(args.out, data, replace=args.force)
    except FileExistsError:
        raise UsageError(f"{str(args.out)!r} exists (use --force to replace it)") from None
    except OSError as exc:
        raise UsageError(f"cannot write {str(args.out)!r}: {exc.strerror or exc}") from None
    print(f"wrote {args.out}: {len(chosen)} exercises, {len(names)} files, {len(data)} bytes")
    return 0
