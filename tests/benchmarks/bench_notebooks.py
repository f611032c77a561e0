"""Benchmark: seconds per notebook submission, ``nbgrader autograde`` against this grader.

Exports a course (``python -m grader nbgrader export``), releases it with
``nbgrader generate_assignment``, submits the answered notebooks for
``--students`` students, then on the same machine in the same run times:

* ``nbgrader autograde EXERCISE`` for all students at once (nbgrader's batch,
  a fresh kernel per notebook; its test cells call this grader once per
  notebook, see ``grader/nbtest.py``);
* ``python -m grader run EXERCISE --submission submitted/<student>/EXERCISE``,
  one process per submission (the grade of record).

Both use one warm cache of expected values. Needs nbgrader (``tox -e nbgrader``
installs it)::

    .tox/nbgrader/bin/python tests/benchmarks/bench_notebooks.py [--students 3] [EXERCISE ...]
"""

from __future__ import annotations

import argparse
import os
import shutil
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
    parser.add_argument("--students", type=int, default=3)
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
            batch = run([python, "-m", "nbgrader", "autograde", name], course, env) / len(students)
            ours = sum(
                run([python, "-m", "grader", "run", name, "--submission", str(course / "submitted" / s / name)], ROOT, env)
                for s in students
            ) / len(students)
            totals[0] += batch
            totals[1] += ours
            print(f"{name:<12} {batch:>18.1f} s {ours:>16.1f} s {batch / ours:>6.1f}x")
        print(f"{'mean':<12} {totals[0] / len(args.exercises):>18.1f} s {totals[1] / len(args.exercises):>16.1f} s "
              f"{totals[0] / totals[1]:>6.1f}x   (seconds per submission, {len(students)} students, {os.cpu_count()} cores)")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
