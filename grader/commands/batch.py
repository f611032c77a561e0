"""``python -m grader batch``: grade a whole class into a gradebook.

``SUBMISSIONS/<student>/<exercise>.py`` for every student; the results go to
``DIR/gradebook.sqlite`` (resumable), ``DIR/grades.csv``,
``DIR/reports/<student>.json`` and ``DIR/figures/``, and a short summary of
the class is printed. See :mod:`grader.batch` for the pieces.
"""

from __future__ import annotations

import os
import signal
import sys
from pathlib import Path

from grader import hookimpl
from grader.commands._arguments import number, seconds
from grader.device import CHOICES, DeviceError
from grader.errors import UsageError
from grader.manager import choose_exercises

_jobs = number(int, lambda value: 1 <= value <= 1024, "between 1 and 1024", "a whole number")


def default_jobs() -> int:
    """The cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


@hookimpl
def grader_add_commands(subparsers, pm):
    parser = subparsers.add_parser("batch", help="grade a whole class: one folder per student")
    parser.add_argument("submissions", type=Path, metavar="SUBMISSIONS", help="folder of student folders")
    parser.add_argument("exercises", nargs="*", metavar="EXERCISE", help="exercises to grade (default: all)")
    parser.add_argument("--out", type=Path, required=True, metavar="DIR", help="where the gradebook and reports go")
    parser.add_argument(
        "--jobs",
        type=_jobs,
        default=None,
        metavar="N",
        help="students graded side by side (default: the cores available)",
    )
    parser.add_argument("--force", action="store_true", help="grade every submission again, changed or not")
    parser.add_argument("--device", choices=CHOICES, default="auto", help="torch device (default: auto)")
    parser.add_argument(
        "--time-limit",
        type=seconds,
        default=None,
        metavar="SECONDS",
        help="bound the total time each student's code may run, all exercises together",
    )
    parser.add_argument(
        "--scheduler", default=None, metavar="ADDRESS", help="grade on this Dask cluster (e.g. tcp://host:8786)"
    )
    parser.add_argument("--no-figures", action="store_true", help="skip the PNG figures")
    parser.set_defaults(command=batch)
    # `batch SUBMISSIONS --out DIR EXERCISE ...`: positionals on both sides of options
    parser.__class__ = _intermixed(type(parser))


def _intermixed(base: type) -> type:
    """``base`` parsing positionals wherever they are among the options (argparse's intermixed mode)."""

    class Intermixed(base):
        _inside = False

        def parse_known_args(self, args=None, namespace=None):
            if self._inside:  # parse_known_intermixed_args calls back in here
                return super().parse_known_args(args, namespace)
            self._inside = True
            try:
                return self.parse_known_intermixed_args(args, namespace)
            finally:
                self._inside = False

    return Intermixed


def batch(args, pm) -> int:
    import sqlite3

    from grader.batch import analytics, exports, files, plan
    from grader.batch.gradebook import Gradebook, GradebookError
    from grader.batch.progress import Progress

    chosen = choose_exercises(pm, args.exercises)
    root, out = args.submissions, args.out
    _check_folders(root, out)
    try:
        students, skipped = files.scan(root)
    except OSError as exc:
        raise UsageError(f"cannot list {str(root)!r}: {exc.strerror or exc}") from None
    try:
        book = Gradebook(out / "gradebook.sqlite", plan.grader_version())
    except GradebookError as exc:
        raise UsageError(f"cannot use the gradebook: {exc}") from None
    names = [e.name for e in chosen]
    by_name = {e.name: e for e in chosen}
    with book:
        fingerprints = {e.name: plan.fingerprint(e, args.device, args.time_limit) for e in chosen}
        book.skip((s.name, s.reason) for s in skipped)
        work = plan.plan(book, students, chosen, fingerprints, args.force)
        todo = [w for w in work if w.todo]
        for w in work:
            if not w.todo:
                book.seen(w.student.name)
        progress = Progress(len(todo))

        def done(w, results, digests, error) -> None:
            graded = plan.finish(w, by_name, fingerprints, results, digests, error)
            book.record(w.student.name, graded)
            progress.update(
                below_full=any(g.result.score < g.result.max_score for g in graded),
                error=any(g.status == "error" for g in graded),
            )
            if error is not None:
                print(f"grader: the grader failed on {files.shown(w.student.name)}: {error}", file=sys.stderr)

        previous = signal.signal(signal.SIGTERM, _interrupt)
        try:
            if args.scheduler:
                try:
                    import distributed  # noqa: F401

                    from grader.batch.remote import Config, grade_on_cluster
                except ImportError:
                    raise UsageError(
                        "--scheduler needs dask's distributed package: pip install 'torch-exercise-grader[batch]'"
                    ) from None
                plugins = [*args.plugins, *(p.strip() for p in os.environ.get("GRADER_PLUGINS", "").split(","))]
                config = Config(tuple(p for p in plugins if p), tuple(names), args.device, args.time_limit)
                grade_on_cluster(args.scheduler, config, todo, done)
            else:
                from grader.batch.local import grade_here

                grade_here(
                    pm,
                    chosen,
                    todo,
                    done,
                    root=root,
                    device=args.device,
                    time_limit=args.time_limit,
                    jobs=args.jobs or default_jobs(),
                )
        except DeviceError as exc:
            raise UsageError(str(exc)) from None
        except sqlite3.Error as exc:
            raise UsageError(f"cannot write the gradebook: {exc}") from None
        finally:
            signal.signal(signal.SIGTERM, previous)
            progress.close()
        class_names = [s.name for s in students]
        try:
            reports = exports.write_reports(book, out, class_names, names)
            exports.write_csv(out / "grades.csv", reports, names)
        except OSError as exc:
            raise UsageError(f"cannot write to {str(out)!r}: {exc.strerror or exc}") from None
        rows = book.check_rows(class_names, names)
    print(
        f"{len(todo)} of {len(students)} students graded, {len(students) - len(todo)} up to date"
        + (f", {len(skipped)} entries skipped" if skipped else "")
        + (f", {progress.errors} failed in the grader (graded again next run)" if progress.errors else "")
    )
    for s in skipped:
        print(f"  skipped {files.shown(s.name)}: {s.reason}")
    print(analytics.summary(rows))
    if not args.no_figures and rows:
        from grader.batch.figures import draw

        draw(analytics.pass_rates(rows), analytics.percents(rows), out / "figures")
    print(f"Gradebook: {out / 'gradebook.sqlite'}; grades: {out / 'grades.csv'}; reports: {out / 'reports'}")
    return 0


def _interrupt(signum, frame) -> None:
    """SIGTERM stops the batch like Ctrl-C: processes stopped, the gradebook consistent."""
    raise KeyboardInterrupt


def _check_folders(root: Path, out: Path) -> None:
    if not root.exists():
        raise UsageError(f"submissions folder {str(root)!r} does not exist")
    if not root.is_dir():
        raise UsageError(f"submissions {str(root)!r} is not a folder")
    if out.exists() and not out.is_dir():
        raise UsageError(f"--out {str(out)!r} is not a folder")
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UsageError(f"--out {str(out)!r}: cannot create the folder: {exc.strerror or exc}") from None
    if not out.is_dir():
        raise UsageError(f"--out {str(out)!r} is not a folder")
    if not os.access(out, os.W_OK | os.X_OK):
        raise UsageError(f"--out {str(out)!r} is not writable")
    real_root, real_out = os.path.realpath(root), os.path.realpath(out)
    if real_out == real_root or real_out.startswith(real_root + os.sep):
        raise UsageError(f"--out {str(out)!r} is inside the submissions folder: put it elsewhere")
