"""Benchmark: seconds per notebook submission, ``nbgrader autograde`` against this grader.

Exports a course (``python -m grader nbgrader export``), releases it with
``nbgrader generate_assignment``, submits the answered notebooks for
``--students`` students, then on the same machine in the same run times,
alternately, ``--repeat`` times (medians are reported):

* ``nbgrader autograde EXERCISE`` for all students at once (nbgrader's batch,
  a fresh kernel per notebook; its test cells call this grader once per
  notebook, see ``grader/nbtest.py``);
* ``python -m grader run EXERCISE --submission submitted/<student>/EXERCISE``,
  one process per submission (the grade of record).

Both use one warm cache of expected values. Needs nbgrader (``tox -e nbgrader``
installs it)::

    .tox/nbgrader/bin/python tests/benchmarks/bench_notebooks.py [--students 2] [--repeat 3] [EXERCISE ...]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def run(command: list[str], cwd: Path, env: dict) -> float:
    start = time.perf_counter()
    done = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        sys.exit(f"failed: {' '.join(command)}\n{done.stderr[-2000:]}")
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("exercises", nargs="*", default=["diy_model", "pooling"])
    parser.add_argument("--students", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="grader-bench-nb-"))
    env = dict(os.environ, GRADER_CACHE_DIR=str(work / "cache"))
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    python = sys.executable
    course = work / "course"
    try:
        run([python, "-m", "grader", "nbgrader", "export", str(course), *args.exercises], ROOT, env)
        students = [f"student{i}" for i in range(args.students)]
        for name in args.exercises:
            run([python, "-m", "nbgrader", "generate_assignment", name], course, env)
            for student in students:
                folder = course / "submitted" / student / name
                folder.mkdir(parents=True)
                shutil.copy(course / "source" / name / f"{name}.ipynb", folder)
            # Warm the cache of expected values and the file cache.
            run([python, "-m", "grader", "run", name, "--submission", str(folder)], ROOT, env)
        print(f"{'exercise':<12} {'nbgrader autograde':>20} {'python -m grader':>18} {'ratio':>7}")
        totals = [0.0, 0.0]
        for name in args.exercises:
            batch, ours = [], []
            for _ in range(args.repeat):  # alternate the two, so that load changes hit both
                autograde = [python, "-m", "nbgrader", "autograde", name, "--force"]
                batch.append(run(autograde, course, env) / len(students))
                ours.append(
                    sum(
                        run(
                            [python, "-m", "grader", "run", name, "--submission", str(course / "submitted" / s / name)],
                            ROOT,
                            env,
                        )
                        for s in students
                    )
                    / len(students)
                )
            b, o = statistics.median(batch), statistics.median(ours)
            totals[0] += b
            totals[1] += o
            print(f"{name:<12} {b:>18.1f} s {o:>16.1f} s {b / o:>6.1f}x")
        print(
            f"{'mean':<12} {totals[0] / len(args.exercises):>18.1f} s {totals[1] / len(args.exercises):>16.1f} s "
            f"{totals[0] / totals[1]:>6.1f}x"
        )
        print(
            f"medians of {args.repeat} alternating runs; seconds per submission, {len(students)} students, "
            f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}"
        )
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
