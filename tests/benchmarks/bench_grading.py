"""Benchmark: grading time against the floor of `import torch`, in the situations students and instructors meet.

Runs the commands alternately in the same environment, several times, and
prints the medians and their ratios to `python -c "import torch"`, and the
median CPU seconds (user and system) of each command's whole process tree:

* ``import torch``: the floor no grading run can beat;
* ``grade, cold``: ``python -m grader run --submission DIR`` in this
  checkout with the cache of expected values switched off, so the
  references are computed: an instructor's first run;
* ``grade, warm cache``: the same with a cache of its own, filled by the
  warm-up run: every later run in a checkout;
* ``grade, release``: the same command in a student release built once by
  ``python -m grader release`` (expected values shipped, no references):
  what a student's ``tox -e grade`` runs;
* ``grade, no sandbox``: cold, with ``GRADER_SANDBOX=off`` (process
  isolation only), to measure what the namespaces cost;
* ``baseline``: with ``--baseline DIR``, cold and with a warm cache, with
  the grader of another checkout (e.g. ``git worktree add /tmp/base main``),
  imported through ``PYTHONPATH`` in the same environment: before and
  after a change, measured side by side in one run.

Every variant has its own cache folder: a run without the sandbox empties
its cache (student code could have written to it), which must not turn
another variant's warm cache cold. Usage::

    python tests/benchmarks/bench_grading.py [--repeat 5] [--submission solutions]
        [--baseline DIR] [--only NAME ...] [EXERCISE ...]
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FLOOR = "import torch"
NAMES = ["cold", "warm", "release", "no-sandbox", "baseline", "baseline-warm"]


def timed(command: list[str], env: dict, cwd: Path = ROOT) -> tuple[float, float]:
    """Wall seconds, and CPU seconds (user and system) of the command and every process it reaped."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(command, cwd=cwd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def build_release(scratch: Path, env: dict) -> Path:
    """A student release of this checkout, in ``scratch``."""
    folder = scratch / "release"
    subprocess.run(
        [sys.executable, "-m", "grader", "release", str(folder)],
        cwd=ROOT,
        check=True,
        stdout=subprocess.DEVNULL,
        env=env,
    )
    return folder


def variants(args, scratch: Path, submission: str) -> dict[str, tuple[list[str], dict, Path]]:
    """Name -> (command, environment, working folder) of every variant asked for."""
    base = {key: value for key, value in os.environ.items() if not key.startswith("GRADER_CACHE")}
    cold = dict(base, GRADER_CACHE="off")
    grade = [sys.executable, "-m", "grader", "run", *args.exercises, "--submission", submission]
    found: dict = {FLOOR: ([sys.executable, "-c", "import torch"], base, ROOT)}
    wanted = set(args.only or NAMES)
    if "cold" in wanted:
        found["grade, cold"] = (grade, cold, ROOT)
    if "warm" in wanted:
        found["grade, warm cache"] = (grade, dict(base, GRADER_CACHE_DIR=str(scratch / "cache-warm")), ROOT)
    if "release" in wanted:
        release = build_release(scratch, cold)
        found["grade, release"] = (grade, dict(base, GRADER_CACHE_DIR=str(scratch / "cache-release")), release)
    if "no-sandbox" in wanted:
        found["grade, no sandbox"] = (grade, dict(cold, GRADER_SANDBOX="off"), ROOT)
    if args.baseline:  # run from its folder: ``python -m`` puts the working folder first
        baseline = args.baseline.resolve()
        if "baseline" in wanted:
            found["baseline, cold"] = (grade, dict(cold, PYTHONPATH=str(baseline)), baseline)
        if "baseline-warm" in wanted:
            warm = dict(base, PYTHONPATH=str(baseline), GRADER_CACHE_DIR=str(scratch / "cache-baseline"))
            found["baseline, warm cache"] = (grade, warm, baseline)
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("exercises", nargs="*")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--submission", default="solutions")
    parser.add_argument("--baseline", type=Path, metavar="DIR", help="also time the grader of this checkout (cold)")
    parser.add_argument(
        "--only",
        nargs="+",
        choices=NAMES,
        metavar="NAME",
        help=f"time only these variants ({', '.join(NAMES)}) besides import torch",
    )
    args = parser.parse_args()
    scratch = Path(tempfile.mkdtemp(prefix="grader-bench-"))
    try:
        # A copy outside every checkout: the grader refuses a submission that holds the working folder.
        submission = scratch / "submission"
        shutil.copytree((ROOT / args.submission).resolve(), submission, ignore=shutil.ignore_patterns("__pycache__"))
        chosen = variants(args, scratch, str(submission))
        for command, env, cwd in chosen.values():  # warm the file cache, and fill the warm variant's cache
            timed(command, env, cwd)
        times: dict[str, list[float]] = {name: [] for name in chosen}
        cpu: dict[str, list[float]] = {name: [] for name in chosen}
        for _ in range(args.repeat):
            for name, (command, env, cwd) in chosen.items():
                wall, used = timed(command, env, cwd)
                times[name].append(wall)
                cpu[name].append(used)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    floor = statistics.median(times[FLOOR])
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(
        f"submission: {args.submission}  exercises: {' '.join(args.exercises) or 'all'}  "
        f"repeats: {args.repeat}  load average at the end: {load:.1f}"
    )
    for name, runs in times.items():
        median = statistics.median(runs)
        print(
            f"{name:<22} median {median:6.2f} s  ratio to import torch {median / floor:5.2f}  "
            f"CPU {statistics.median(cpu[name]):5.2f} s   (runs: {', '.join(f'{x:.2f}' for x in runs)})"
        )
    medians = {name: statistics.median(runs) for name, runs in times.items()}
    if "grade, cold" in medians and "grade, no sandbox" in medians:
        print(f"sandbox cost: {medians['grade, cold'] / medians['grade, no sandbox']:.2f}x the time without it")
    if "grade, cold" in medians and "baseline, cold" in medians:
        print(f"against the baseline: {medians['grade, cold'] / medians['baseline, cold']:.2f}x its time")
    if "grade, warm cache" in medians and "baseline, warm cache" in medians:
        ratio = medians["grade, warm cache"] / medians["baseline, warm cache"]
        print(f"against the baseline, warm caches: {ratio:.2f}x its time")


if __name__ == "__main__":
    main()
