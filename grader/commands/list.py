"""``python -m grader list``: every discovered exercise with its points."""

from __future__ import annotations

from grader import hookimpl
from grader.manager import collect_exercises


@hookimpl
def grader_add_commands(subparsers, pm):
    parser = subparsers.add_parser("list", help="list the exercises and their points")
    parser.set_defaults(command=list_exercises)


def list_exercises(args, pm) -> int:
    exercises = collect_exercises(pm)
    width = max((len(name) for name in exercises), default=0)
    for exercise in exercises.values():
        points = f"{exercise.max_score:g} pts"
        print(f"{exercise.name:<{width}}  {points:>7}  {exercise.title}  [{len(exercise.checks)} checks]")
    total = sum(e.max_score for e in exercises.values())
    print(f"{len(exercises)} exercises, {total:g} points")
    return 0
