"""``python -m grader nbgrader export COURSE_DIR [EXERCISE ...]``: an nbgrader course.

Writes ``COURSE_DIR/nbgrader_config.py`` and one assignment per exercise,
``COURSE_DIR/source/<exercise>/<exercise>.ipynb`` (see :mod:`grader.nbexport`
and the instructors guide). Neither nbgrader nor nbformat is needed to export.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

from grader import hookimpl
from grader.errors import UsageError
from grader.manager import choose_exercises


@hookimpl
def grader_add_commands(subparsers, pm):
    parser = subparsers.add_parser("nbgrader", help="nbgrader courses from the exercises")
    actions = parser.add_subparsers(title="actions", metavar="ACTION", parser_class=type(parser))
    export = actions.add_parser("export", help="write an nbgrader course: one assignment per exercise")
    export.add_argument("course", type=Path, metavar="COURSE_DIR", help="the course folder (created if missing)")
    export.add_argument("exercises", nargs="*", metavar="EXERCISE", help="exercises to export (default: all)")
    export.set_defaults(command=export_course)
    parser.set_defaults(command=_missing_action)


def _missing_action(args, pm) -> int:
    raise UsageError("nbgrader: say what to do, e.g. 'python -m grader nbgrader export COURSE_DIR'")


def export_course(args, pm) -> int:
    from grader.nbexport import ExportError, write_course

    chosen = choose_exercises(pm, args.exercises)
    if args.course.exists() and not args.course.is_dir():
        raise UsageError(f"course folder {str(args.course)!r} is a file")
    if not args.course.resolve().parent.is_dir():
        raise UsageError(f"the folder {str(args.course.parent)!r} of the course does not exist")
    solutions = {e.name: _solution_file(e) for e in chosen}
    try:
        args.course.mkdir(exist_ok=True)
        written = write_course(args.course, chosen, solutions)
    except ExportError as exc:
        raise UsageError(str(exc)) from None
    except OSError as exc:
        raise UsageError(f"cannot write the course: {exc}") from None
    for path in written:
        print(f"wrote {path}")
    total = sum(e.max_score for e in chosen)
    print(
        f"{len(chosen)} assignment{'s' * (len(chosen) != 1)}, {total:g} points; next: cd {args.course} && "
        f"nbgrader generate_assignment {chosen[0].name}"
    )
    return 0


def _solution_file(exercise) -> Path:
    try:
        spec = importlib.util.find_spec(exercise.reference)
    except (ImportError, ValueError):
        spec = None
    if spec is None or not spec.origin or not spec.origin.endswith(".py"):
        raise UsageError(f"exercise {exercise.name!r}: its reference {exercise.reference!r} is not a .py file")
    return Path(spec.origin)
