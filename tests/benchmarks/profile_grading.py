"""Profile: where the time of one grading run goes, and the floor any design can reach.

Two measurements, printed as tables:

* ``floor``: in this one process, without any sandbox, import torch, each
  exercise's preloaded modules and the reference solutions, then run every
  check's probe on the reference module for every case (what a student
  process does for a correct submission), and compute every expected value
  (what the reference process does without a cache). Reports wall and CPU
  seconds per step: no grading design can spend less than this.
* ``run``: one ``grade`` of the submission through the API, with the grader's
  steps timed from the outside (monkeypatched in this process): the sandbox
  detection, waiting for the zygotes, each exercise's spawn request, the
  sandbox's start (until its first frame), importing the submission,
  its cases, and the time spent waiting for expected values.

Usage::

    python tests/benchmarks/profile_grading.py [--submission solutions] [--warm N] [--floor-only]
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def floor(exercises) -> None:
    """Time every case of every exercise on the references, in this process."""
    from grader.cases import make_cases
    from grader.exercise import Check, Context
    from grader.process.expected import compute, references_on_path

    rows = []

    def step(name, fn):
        wall, cpu = time.perf_counter(), time.process_time()
        fn()
        rows.append((name, time.perf_counter() - wall, time.process_time() - cpu))

    step("import torch", lambda: importlib.import_module("torch"))
    import torch

    torch.set_num_threads(int(os.environ.get("FLOOR_THREADS", torch.get_num_threads())))
    for exercise in exercises:
        for module in exercise.preload:
            step(f"preload {module}", lambda m=module: importlib.import_module(m))
    modules = {}
    with references_on_path():
        for exercise in exercises:
            step(
                f"import {exercise.reference}",
                lambda e=exercise: modules.__setitem__(e.name, importlib.import_module(e.reference)),
            )
    for exercise in exercises:
        cases = make_cases(exercise)
        ctx = Context(device="cpu", role="student")

        def run_all(e=exercise, cases=cases, ctx=ctx):
            for check in e.checks:
                if isinstance(check, Check):
                    for case in cases[check.name]:
                        check.probe(modules[e.name], case.inputs, ctx)

        step(f"cases {exercise.name}", run_all)
    for exercise in exercises:  # what the reference process computes (its references and oracles)
        cases = make_cases(exercise)
        with references_on_path():
            step(f"expected {exercise.name}", lambda e=exercise, c=cases: compute(e, c, "cpu"))
    total_wall = sum(r[1] for r in rows)
    total_cpu = sum(r[2] for r in rows)
    print(f"{'floor step':<40} {'wall (s)':>8} {'cpu (s)':>8}")
    for name, wall, cpu in rows:
        print(f"{name:<40} {wall:8.3f} {cpu:8.3f}")
    cases_wall = sum(r[1] for r in rows if r[0].startswith("cases "))
    cases_cpu = sum(r[2] for r in rows if r[0].startswith("cases "))
    print(f"{'all cases':<40} {cases_wall:8.3f} {cases_cpu:8.3f}")
    expected_wall = sum(r[1] for r in rows if r[0].startswith("expected "))
    expected_cpu = sum(r[2] for r in rows if r[0].startswith("expected "))
    print(f"{'all expected values':<40} {expected_wall:8.3f} {expected_cpu:8.3f}")
    print(f"{'total':<40} {total_wall:8.3f} {total_cpu:8.3f}")


def profile_run(pm, exercises, submission: Path, warm: int = 0) -> None:
    """One ``grade`` with its steps timed from the grader's side."""
    from grader import grading
    from grader.process import channel, sandbox, supervisor
    from grader.process.zygote import Zygote

    spans: dict[str, list[float]] = defaultdict(list)
    t0 = time.perf_counter()
    marks: list[tuple[float, str]] = []

    def timed(owner, name, label):
        original = getattr(owner, name)

        def wrapper(*args, **kwargs):
            start = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                spans[label].append(time.perf_counter() - start)

        setattr(owner, name, wrapper)

    timed(sandbox, "detect", "sandbox.detect (grader)")
    timed(Zygote, "_wait_ready", "zygote ready wait")
    timed(Zygote, "spawn", "zygote.spawn request")
    timed(Zygote, "wait", "zygote.wait (reap)")
    timed(grading._Expected, "get", "waiting for expected values")
    timed(supervisor.cgroups, "create", "cgroup create")
    timed(supervisor.cgroups, "remove", "cgroup remove")
    original_read = channel.FrameReader.read

    def read(self, deadline):
        start = time.perf_counter()
        frame = original_read(self, deadline)
        kind = frame.get("kind") if isinstance(frame, dict) else "?"
        spans[f"frame wait: {kind}"].append(time.perf_counter() - start)
        return frame

    channel.FrameReader.read = read
    original_run = supervisor.run_exercise

    def run_exercise(exercise, *args, **kwargs):
        start = time.perf_counter()
        try:
            return original_run(exercise, *args, **kwargs)
        finally:
            marks.append((start - t0, f"{exercise.name} {exercise.framework} {time.perf_counter() - start:.3f} s"))

    supervisor.run_exercise = run_exercise
    start = time.perf_counter()
    if warm:
        # One warm student of a batch: the grader and its zygotes exist, the expected values are known.
        with grading.Grader(pm, exercises, "cpu", exclude=(submission,)) as grader:
            grader.grade(submission, report=False)
            spans.clear()
            marks.clear()
            t0 = start = time.perf_counter()
            for _ in range(warm):
                report = grader.grade(submission, report=False)
            total = (time.perf_counter() - start) / warm
    else:
        report = grading.grade(pm, exercises, submission, device="cpu")
        total = time.perf_counter() - start
    what = f"one warm student (mean of {warm})" if warm else "grade()"
    print(f"\n{what}: {total:.2f} s, score {sum(c.score for e in report.exercises for c in e.checks)}")
    for at, text in sorted(marks):
        print(f"  exercise started at {at:6.2f} s: {text}")
    print(f"{'step':<34} {'count':>5} {'total (s)':>9} {'mean (ms)':>9}")
    for label, values in sorted(spans.items()):
        print(f"{label:<34} {len(values):5d} {sum(values):9.3f} {1000 * sum(values) / len(values):9.1f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--submission", default="solutions")
    parser.add_argument("--floor-only", action="store_true")
    parser.add_argument(
        "--warm",
        type=int,
        default=0,
        metavar="N",
        help="profile N warm students of a batch (one Grader) instead of one run",
    )
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    from grader.manager import collect_exercises, get_plugin_manager

    pm = get_plugin_manager()
    exercises = list(collect_exercises(pm).values())
    if not args.floor_only:
        profile_run(pm, exercises, (ROOT / args.submission).resolve(), args.warm)
    floor(exercises)


if __name__ == "__main__":
    main()
