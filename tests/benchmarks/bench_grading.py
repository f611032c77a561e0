"""Benchmark: grading the reference solutions against the floor of `import torch`.

Runs both commands alternately in the same environment, several times, and
prints the medians and their ratio. Usage::

    python tests/benchmarks/bench_grading.py [--repeat 5] [--submission solutions] [EXERCISE ...]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def timed(command: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(command, cwd=ROOT, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("exercises", nargs="*")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--submission", default="solutions")
    args = parser.parse_args()
    floor_cmd = [sys.executable, "-c", "import torch"]
    grade_cmd = [sys.executable, "-m", "grader", "run", *args.exercises, "--submission", args.submission]
    timed(floor_cmd)  # warm the file cache
    floor, grade = [], []
    for _ in range(args.repeat):
        floor.append(timed(floor_cmd))
        grade.append(timed(grade_cmd))
    f, g = statistics.median(floor), statistics.median(grade)
    print(f"import torch            median {f:6.2f} s  (runs: {', '.join(f'{x:.2f}' for x in floor)})")
    print(f"grader run {args.submission:<12} median {g:6.2f} s  (runs: {', '.join(f'{x:.2f}' for x in grade)})")
    print(f"ratio grade / import torch: {g / f:.2f}")


if __name__ == "__main__":
    main()
