"""``python -m grader release OUT_DIR``: the repository students clone, without answers."""

from __future__ import annotations

from pathlib import Path

from grader import hookimpl
from grader.errors import UsageError
from grader.manager import collect_exercises


@hookimpl
def grader_add_commands(subparsers, pm):
    parser = subparsers.add_parser("release", help="write the student release (stubs, grader, docs; no answers)")
    parser.add_argument("out", type=Path, metavar="OUT_DIR", help="folder to write (must be empty, or --force)")
    parser.add_argument("--force", action="store_true", help="replace OUT_DIR if it is not empty")
    parser.add_argument(
        "--root", type=Path, default=Path("."), metavar="DIR", help="the instructor's repository (default: .)"
    )
    parser.set_defaults(command=release)


def release(args, pm) -> int:
    from grader.release import ReleaseError, build, release_folder

    if release_folder() is not None:
        raise UsageError("this grader is itself a student release: build releases from the instructor's repository")
    root = args.root.resolve()
    package = (root / "grader").resolve()
    exercises = [
        e for e in collect_exercises(pm).values() if e.plugin.startswith("grader.catalog.")
    ]  # packs installed from elsewhere ship with their own releases
    if not exercises:
        raise UsageError("no built-in exercises to release")
    try:
        written = build(root, args.out, exercises, force=args.force)
    except ReleaseError as exc:
        raise UsageError(str(exc)) from None
    except OSError as exc:
        raise UsageError(f"cannot write {str(args.out)!r}: {exc.strerror or exc}") from None
    print(f"wrote {len(written)} files to {args.out}/ ({len(exercises)} exercises, grader from {package})")
    return 0
