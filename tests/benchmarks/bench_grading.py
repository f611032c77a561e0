"""Benchmark: grading time against the floor of `import torch`, with and without the sandbox.

Runs the commands alternately in the same environment, several times, and
prints the medians and their ratios to `python -c "import torch"`:

* ``import torch``: the floor no grading run can beat;
* ``grade``: ``python -m grader run --submission DIR`` as a student runs it;
* ``grade, no sandbox``: the same with ``GRADER_SANDBOX=off`` (process
  isolation only), to measure what the namespaces cost.

* ``baseline``: with ``--baseline DIR``, the same grading with the grader of
  another checkout (e.g. ``git worktree add /tmp/base main``), imported
  through ``PYTHONPATH`` in the same environment: before and after a change,
  measured side by side in one run.

The cache of expected values is switched off unless ``--cache`` is given, so
every run computes the references. Usage::

    python tests/benchmarks/bench_grading.py [--repeat 5] [--submission solutions] [--cache]
        [--baseline DIR] [EXERCISE ...]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def timed(command: list[str], env: dict, cwd: Path = ROOT) -> float:
    start = time.perf_counter()
    subprocess.run(command, cwd=cwd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("exercises", nargs="*")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--submission", default="solutions")
    parser.add_argument("--cache", action="store_true", help="use a (warm) cache of expected values")
    parser.add_argument("--baseline", type=Path, metavar="DIR", help="also time the grader of this checkout")
    args = parser.parse_args()
    base = dict(os.environ)
    cache_dir = tempfile.mkdtemp(prefix="grader-bench-cache-")
    if args.cache:
        base["GRADER_CACHE_DIR"] = cache_dir
    else:
        base["GRADER_CACHE"] = "off"
    submission = str((ROOT / args.submission).resolve())
    grade = [sys.executable, "-m", "grader", "run", *args.exercises, "--submission", submission]
    variants = {
        "import torch": ([sys.executable, "-c", "import torch"], base, ROOT),
        "grade": (grade, base, ROOT),
        "grade, no sandbox": (grade, dict(base, GRADER_SANDBOX="off"), ROOT),
    }
    if args.baseline:  # run from the baseline's folder: ``python -m`` puts the working folder first
        baseline = args.baseline.resolve()
        variants["baseline"] = (grade, dict(base, PYTHONPATH=str(baseline)), baseline)
        variants["baseline, no sandbox"] = (grade, dict(base, PYTHONPATH=str(baseline), GRADER_SANDBOX="off"), baseline)
    for command, env, cwd in variants.values():  # warm the file cache (and the grader's cache)
        timed(command, env, cwd)
    times: dict[str, list[float]] = {name: [] for name in variants}
    for _ in range(args.repeat):
        for name, (command, env, cwd) in variants.items():
            times[name].append(timed(command, env, cwd))
    floor = statistics.median(times["import torch"])
    print(
        f"submission: {args.submission}  exercises: {' '.join(args.exercises) or 'all'}  "
        f"cache: {'warm' if args.cache else 'off'}  repeats: {args.repeat}"
    )
    for name, runs in times.items():
        median = statistics.median(runs)
        print(
            f"{name:<20} median {median:6.2f} s  ratio to import torch {median / floor:5.2f}   "
            f"(runs: {', '.join(f'{x:.2f}' for x in runs)})"
        )
    sandboxed, bare = statistics.median(times["grade"]), statistics.median(times["grade, no sandbox"])
    print(f"sandbox cost: {sandboxed / bare:.2f}x the time without it")
    if args.baseline:
        print(f"against the baseline: {sandboxed / statistics.median(times['baseline']):.2f}x its time")


if __name__ == "__main__":
    main()
