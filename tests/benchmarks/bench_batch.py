"""Benchmark: a class of 100 graded with ``python -m grader batch``, against ``nbgrader autograde``.

Generates a class in a temporary folder, every student handing in all nine
catalog exercises, mixed like a real class with a few hostile members:

* ``correct``: the reference solutions;
* ``one-bug``: the reference with its first public function replaced by one
  that returns ``None``;
* ``empty``: empty files;
* ``loop``: every file loops forever at import;
* ``crash``: every file kills its own process (``os._exit``, a segfault, or
  an exception) at import;
* ``flood``: every file prints 64 MiB, then defines the correct functions.

Measures the wall time per student and the peak memory of the whole process
tree (the sum of every process's proportional set size, sampled from
``/proc``, and the largest single process from ``getrusage``) for a first
run (cache of expected values empty), then for a second run, which has
nothing to grade. Then takes the first ``--sample`` students that are not
hostile and grades them twice more: with ``batch`` (cache warm) and, when
nbgrader is installed, as nbgrader notebooks (a solution cell with the
student's code and a test cell per exercise) with ``nbgrader autograde``.
Its test cells only check that the functions exist, so its figure is a lower
bound; hostile students are left out of that comparison because nbgrader
bounds time per cell only (a looping student costs it the cell timeout for
each of the nine cells, with no per-student bound). Finally runs
``bench_grading.py`` (one submission with ``python -m grader run`` against
``python -c "import torch"``).

Usage::

    python tests/benchmarks/bench_batch.py [--students 100] [--jobs N] [--time-limit 60] [--no-run-bench]
"""

from __future__ import annotations

import argparse
import ast
import json
import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
EXERCISES = [p.stem for p in sorted((ROOT / "solutions").glob("*.py")) if not p.stem.startswith("_")]
MIX = [("correct", 45), ("one-bug", 25), ("empty", 10), ("loop", 4), ("crash", 8), ("flood", 8)]

CRASHES = [
    "import os\nos._exit(3)\n",
    "import ctypes\nctypes.string_at(0)\n",
    "raise SystemExit('bye')\n",
    "raise RuntimeError('broken at import')\n",
]


def one_bug(source: str) -> str:
    """The source with its first public function made to return ``None``."""
    tree = ast.parse(source)
    names = [n.name for n in tree.body if isinstance(n, ast.FunctionDef) and not n.name.startswith("_")]
    return source + f"\n\ndef {names[0]}(*args, **kwargs):\n    return None\n" if names else source


def submission(kind: str, exercise: str, rng: random.Random) -> str:
    source = (ROOT / "solutions" / f"{exercise}.py").read_text()
    if kind == "correct":
        return source
    if kind == "one-bug":
        return one_bug(source)
    if kind == "empty":
        return ""
    if kind == "loop":
        return "while True:\n    pass\n"
    if kind == "crash":
        return rng.choice(CRASHES)
    if kind == "flood":
        return "import sys\nsys.stdout.write('x' * (64 << 20))\n" + source
    raise ValueError(kind)


def make_class(root: Path, students: int, seed: int = 0) -> Counter:
    """``root/<student>/<exercise>.py`` for every student; returns how many of each kind."""
    rng = random.Random(seed)
    total = sum(n for _, n in MIX)
    kinds = [kind for kind, n in MIX for _ in range(round(n * students / total))][:students]
    kinds += ["correct"] * (students - len(kinds))
    rng.shuffle(kinds)
    for i, kind in enumerate(kinds):
        folder = root / f"student{i:03d}-{kind}"
        folder.mkdir(parents=True)
        for exercise in EXERCISES:
            (folder / f"{exercise}.py").write_text(submission(kind, exercise, rng))
    return Counter(kinds)


class TreeMemory:
    """Samples the summed PSS (RSS where PSS is unreadable) of a process and its descendants."""

    def __init__(self, pid: int, every: float = 0.2) -> None:
        self.pid, self.every, self.peak = pid, every, 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, sum(_memory(pid) for pid in _tree(self.pid)))
            self._stop.wait(self.every)

    def stop(self) -> int:
        self._stop.set()
        self._thread.join()
        return self.peak


def _tree(root: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry.name))
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo.extend(children.get(pid, []))
    return found


def _memory(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return 0


def measure(command: list[str], env: dict, cwd: Path = ROOT) -> dict:
    """Wall seconds, peak tree memory and largest single process of ``command``."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    start = time.perf_counter()
    process = subprocess.Popen(command, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    sampler = TreeMemory(process.pid)
    out, err = process.communicate()
    seconds = time.perf_counter() - start
    peak = sampler.stop()
    largest = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024
    if process.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed ({process.returncode}):\n{err[-3000:]}")
    return {"seconds": seconds, "tree_peak": peak, "largest": largest if largest > before * 1024 else None, "out": out}


# --- nbgrader -----------------------------------------------------------------


def _cell(kind: str, source: str, grade_id: str, points: float = 0) -> dict:
    meta = {"grade_id": grade_id, "schema_version": 3, "locked": kind == "test", "task": False}
    meta.update(solution=kind == "solution", grade=kind == "test")
    if kind == "test":
        meta["points"] = points
    return {
        "cell_type": "code",
        "execution_count": None,
        "id": grade_id,
        "metadata": {"nbgrader": meta},
        "outputs": [],
        "source": source,
    }


def notebook(sources: dict[str, str]) -> dict:
    """One notebook: per exercise a solution cell (the student's code) and a test cell."""
    cells = []
    for exercise, source in sources.items():
        cells.append(_cell("solution", source, f"{exercise}-solution"))
        names = [
            n.name
            for n in ast.parse((ROOT / "solutions" / f"{exercise}.py").read_text()).body
            if isinstance(n, ast.FunctionDef) and not n.name.startswith("_")
        ]
        test = "\n".join(f"assert callable({name})" for name in names) or "pass"
        cells.append(_cell("test", test, f"{exercise}-test", points=1))
    return {
        "cells": cells,
        "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}},
        "nbformat": 4,
        "nbformat_minor": 5,
    }


def nbgrader_class(course: Path, classroom: Path) -> list[str]:
    """An nbgrader course whose ``submitted/`` holds the class as notebooks; returns the student ids."""
    reference = {e: (ROOT / "solutions" / f"{e}.py").read_text() for e in EXERCISES}
    (course / "source" / "batch").mkdir(parents=True)
    (course / "source" / "batch" / "batch.ipynb").write_text(json.dumps(notebook(reference)))
    (course / "nbgrader_config.py").write_text(
        "c = get_config()\nc.CourseDirectory.course_id = 'bench'\nc.ExecutePreprocessor.timeout = 30\n"
    )
    students = []
    for folder in sorted(classroom.iterdir()):
        target = course / "submitted" / folder.name / "batch"
        target.mkdir(parents=True)
        sources = {e: (folder / f"{e}.py").read_text() for e in EXERCISES}
        (target / "batch.ipynb").write_text(json.dumps(notebook(sources)))
        students.append(folder.name)
    return students


def run_nbgrader(course: Path, env: dict) -> dict | None:
    try:
        import nbgrader  # noqa: F401
    except ImportError:
        print("nbgrader: skipped (not installed here; pip install nbgrader==0.9.6 to compare)")
        return None
    nb = [sys.executable, "-m", "nbgrader"]
    env = dict(env, PATH=os.path.dirname(sys.executable) + os.pathsep + env.get("PATH", ""))  # nbgrader runs alembic
    subprocess.run(
        nb + ["generate_assignment", "batch", "--force"], cwd=course, env=env, check=True, capture_output=True
    )
    return measure(nb + ["autograde", "batch", "--create", "--force"], env, cwd=course)


# --- main -------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=100)
    parser.add_argument("--jobs", type=int, default=None)
    parser.add_argument("--time-limit", type=float, default=60.0, help="--time-limit passed to batch (per student)")
    parser.add_argument("--sample", type=int, default=20, help="non-hostile students graded by both batch and nbgrader")
    parser.add_argument("--no-run-bench", action="store_true", help="skip bench_grading.py")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="grader-bench-batch-"))
    try:
        classroom = work / "class"
        counts = make_class(classroom, args.students)
        env = dict(os.environ, GRADER_CACHE_DIR=str(work / "cache"))
        command = [
            sys.executable,
            "-m",
            "grader",
            "batch",
            str(classroom),
            "--out",
            str(work / "out"),
            "--time-limit",
            f"{args.time_limit:g}",
        ]
        if args.jobs:
            command += ["--jobs", str(args.jobs)]
        cores = len(os.sched_getaffinity(0))
        print(
            f"class: {args.students} students x {len(EXERCISES)} exercises; "
            + ", ".join(f"{k} {v}" for k, v in counts.items())
            + f"; {cores} cores, jobs {args.jobs or cores}, "
            f"--time-limit {args.time_limit:g} s; load average before: {os.getloadavg()[0]:.1f}"
        )
        first = measure(command, env)
        second = measure(command, env)
        _row("batch, first run", first, args.students)
        _row("batch, nothing to do", second, args.students)
        print("  " + "\n  ".join(first["out"].strip().splitlines()[:3]))
        sample = work / "sample"
        sample.mkdir()
        calm = [p for p in sorted(classroom.iterdir()) if p.name.split("-", 1)[1] in ("correct", "one-bug", "empty")]
        for folder in calm[: args.sample]:
            shutil.copytree(folder, sample / folder.name)
        size = len(list(sample.iterdir()))
        print(
            f"\nsample of {size} students that are not hostile: "
            + ", ".join(f"{k} {v}" for k, v in Counter(p.name.split("-", 1)[1] for p in sample.iterdir()).items())
        )
        ours = measure(command[:4] + [str(sample), "--out", str(work / "sample-out")] + command[7:], env)
        _row("batch (cache warm)", ours, size)
        course = work / "course"
        nbgrader_class(course, sample)
        nb = run_nbgrader(course, env)
        if nb is not None:
            _row("nbgrader autograde", nb, size)
            print(f"nbgrader takes {nb['seconds'] / ours['seconds']:.1f}x the time of batch on this sample")
        print(f"load average after: {os.getloadavg()[0]:.1f}")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    if not args.no_run_bench:
        print("\none submission, `python -m grader run` against `python -c 'import torch'` (bench_grading.py):")
        sys.stdout.flush()
        subprocess.run([sys.executable, str(ROOT / "tests/benchmarks/bench_grading.py"), "--repeat", "3"], check=True)


def _row(name: str, m: dict, students: int) -> None:
    largest = f", largest process {m['largest'] / 2**20:.0f} MiB" if m["largest"] else ""
    print(
        f"{name:<22} {m['seconds']:7.1f} s  {m['seconds'] / students:6.2f} s/student  "
        f"peak memory (all processes) {m['tree_peak'] / 2**20:.0f} MiB{largest}"
    )


if __name__ == "__main__":
    main()
