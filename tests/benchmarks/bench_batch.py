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
nothing to grade. Then takes a sample of ``--sample`` students that are
not hostile (one of each of ``correct``, ``one-bug`` and ``empty`` in turn)
and grades them, side by side in the same run:

* with ``batch`` (cache of expected values warm);
* ``--nbgrader export``: with ``nbgrader autograde`` of the course that
  ``python -m grader nbgrader export`` writes (all nine exercises, one
  assignment each). Each student's code goes into the answer cells of the
  released notebooks, definition by definition, the way a student fills
  them in; the test cells grade the notebook through ``python -m grader``
  (``grader/nbtest.py``), so nbgrader grades the same checks. The run stops
  unless nbgrader's scores equal ``batch``'s for every sampled student and
  exercise, the correct students have full marks and a one-bug student has
  fewer: a comparison with notebooks that graded nothing cannot pass;
* ``--nbgrader existence``: with ``nbgrader autograde`` of one notebook per
  student whose test cells only check that the functions exist (a solution
  cell with the student's code and a test cell per exercise): a lower bound
  of nbgrader's cost that grades nothing.

Hostile students are left out of that comparison because nbgrader bounds
time per cell only (a looping student costs it the cell timeout for each
cell, with no per-student bound). Each nbgrader notebook costs a kernel
start, so the sample is small. Finally runs ``bench_grading.py`` (one
submission with ``python -m grader run`` against ``python -c "import
torch"``). nbgrader is imported from the Python that runs this script
(``tox -e nbgrader`` installs it), which also runs ``batch``.

Usage::

    python tests/benchmarks/bench_batch.py [--students 100] [--sample 3] [--nbgrader export|existence|both]
        [--jobs N] [--time-limit 60] [--no-run-bench]
"""

from __future__ import annotations

import argparse
import ast
import copy
import csv
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


def existence_course(course: Path, classroom: Path) -> list[str]:
    """An nbgrader course whose ``submitted/`` holds the class as existence-only notebooks; returns the ids."""
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


def have_nbgrader() -> bool:
    try:
        import nbgrader  # noqa: F401
    except ImportError:
        return False
    return True


def _nbgrader_env(env: dict) -> dict:
    # nbgrader runs `alembic`, and the kernels it starts must find this Python's packages.
    return dict(env, PATH=os.path.dirname(sys.executable) + os.pathsep + env.get("PATH", ""))


def _quiet(command: list[str], cwd: Path, env: dict) -> None:
    done = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed ({done.returncode}):\n{done.stderr[-3000:]}")


def run_existence(course: Path, env: dict) -> dict:
    nb = [sys.executable, "-m", "nbgrader"]
    env = _nbgrader_env(env)
    _quiet(nb + ["generate_assignment", "batch", "--force"], course, env)
    return measure(nb + ["autograde", "batch", "--force"], env, cwd=course)


def _defines(source: str) -> list[str]:
    """The names of the top-level functions and classes of a cell (none when it does not parse)."""
    try:
        body = ast.parse(source).body
    except SyntaxError:
        return []
    return [n.name for n in body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))]


def answered(released: dict, student: str) -> dict:
    """The released notebook with a student's ``.py`` code written into its answer cells.

    Every top-level definition of the student's module goes into the answer
    cell that defines that name, all of them in their order (a module that
    defines a function twice keeps both, so the last one wins, as in the
    ``.py`` file); an answer cell the student defines nothing of keeps the
    released stub. The rest of the module (imports, constants, helpers with
    no answer cell) goes after the last answer cell's code, unless it is the
    text of a read-only cell already (nbgrader would restore that cell
    anyway). A module that does not parse goes whole into the first answer
    cell.
    """
    notebook = copy.deepcopy(released)
    cells = [c for c in notebook["cells"] if c["cell_type"] == "code"]
    answers = [c for c in cells if c["metadata"].get("nbgrader", {}).get("solution")]
    fixed = {"".join(c["source"]).strip() for c in cells if c not in answers}
    lines = student.splitlines(keepends=True)
    try:
        body = ast.parse(student).body
    except SyntaxError:
        answers[0]["source"] = student
        return notebook
    owner = {name: cell for cell in answers for name in _defines("".join(cell["source"]))}
    written: dict[int, list[str]] = {}
    rest = []
    for node in body:
        first = min([node.lineno] + [d.lineno for d in getattr(node, "decorator_list", [])]) - 1
        code = "".join(lines[first : node.end_lineno]).rstrip() + "\n"
        cell = owner.get(getattr(node, "name", None))
        if cell is not None:
            written.setdefault(id(cell), []).append(code)
        elif code.strip() not in fixed and not isinstance(node, ast.Expr):  # docstrings and bare values
            rest.append(code)
    for cell in answers:
        if id(cell) in written:
            cell["source"] = "\n\n".join(written[id(cell)])
    if rest:
        last = answers[-1]
        last["source"] = "".join(last["source"]).rstrip() + "\n\n\n" + "\n".join(rest)
    return notebook


def export_course(course: Path, classroom: Path, env: dict) -> list[str]:
    """The real export of all exercises, released, with ``classroom``'s students submitted; returns the ids."""
    env = _nbgrader_env(env)
    _quiet([sys.executable, "-m", "grader", "nbgrader", "export", str(course), *EXERCISES], ROOT, env)
    students = [p.name for p in sorted(classroom.iterdir())]
    for exercise in EXERCISES:
        _quiet([sys.executable, "-m", "nbgrader", "generate_assignment", exercise], course, env)
        released = json.loads((course / "release" / exercise / f"{exercise}.ipynb").read_text())
        for student in students:
            folder = course / "submitted" / student / exercise
            folder.mkdir(parents=True)
            filled = answered(released, (classroom / student / f"{exercise}.py").read_text())
            (folder / f"{exercise}.ipynb").write_text(json.dumps(filled, indent=1))
    return students


def run_export(course: Path, env: dict) -> dict:
    """``nbgrader autograde EXERCISE`` for every exercise (all students at once): the summed measurements."""
    env = _nbgrader_env(env)
    runs = [measure([sys.executable, "-m", "nbgrader", "autograde", e, "--force"], env, cwd=course) for e in EXERCISES]
    largest = [m["largest"] for m in runs if m["largest"]]
    return {
        "seconds": sum(m["seconds"] for m in runs),
        "tree_peak": max(m["tree_peak"] for m in runs),
        "largest": max(largest) if largest else None,
    }


def nbgrader_scores(course: Path, env: dict) -> dict[tuple[str, str], tuple[float, float]]:
    """(student, assignment) -> (score, max_score) from nbgrader's gradebook (``nbgrader export``)."""
    _quiet([sys.executable, "-m", "nbgrader", "export"], course, _nbgrader_env(env))
    with open(course / "grades.csv", newline="") as f:
        return {
            (row["student_id"], row["assignment"]): (float(row["score"]), float(row["max_score"]))
            for row in csv.DictReader(f)
        }


def batch_scores(out: Path) -> dict[tuple[str, str], tuple[float, float]]:
    """(student, exercise) -> (score, max_score) from ``batch``'s reports."""
    scores = {}
    for report in (out / "reports").glob("*.json"):
        for entry in json.loads(report.read_text())["exercises"]:
            scores[report.stem, entry["name"]] = (float(entry["score"]), float(entry["max_score"]))
    return scores


def verify(nb: dict, ours: dict, students: list[str]) -> str:
    """Stop unless nbgrader graded like ``batch``; returns a line saying what was checked."""
    problems = []
    for student in students:
        for exercise in EXERCISES:
            a, b = nb.get((student, exercise)), ours.get((student, exercise))
            if a is None or b is None or abs(a[0] - b[0]) > 1e-6 or abs(a[1] - b[1]) > 1e-6:
                problems.append(f"{student} {exercise}: nbgrader {a}, batch {b}")
    totals = {s: sum(nb.get((s, e), (0, 0))[0] for e in EXERCISES) for s in students}
    full = sum(ours.get((students[0], e), (0, 0))[1] for e in EXERCISES)
    kinds = {s: s.split("-", 1)[1] for s in students}
    correct = [s for s in students if kinds[s] == "correct"]
    buggy = [s for s in students if kinds[s] == "one-bug"]
    if not correct or not buggy:
        problems.append("the sample needs a correct and a one-bug student (--sample 2 or more)")
    problems += [f"{s}: {totals[s]:g} of {full:g} in nbgrader, not full marks" for s in correct if totals[s] != full]
    problems += [f"{s}: full marks in nbgrader despite its bug" for s in buggy if totals[s] >= full]
    if problems:
        raise SystemExit("nbgrader did not grade like batch:\n  " + "\n  ".join(problems))
    return f"checked: nbgrader's {len(students) * len(EXERCISES)} scores equal batch's; totals " + ", ".join(
        f"{s} {totals[s]:g}/{full:g}" for s in students
    )


# --- main -------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=100)
    parser.add_argument("--jobs", type=int, default=None)
    parser.add_argument("--time-limit", type=float, default=60.0, help="--time-limit passed to batch (per student)")
    parser.add_argument("--sample", type=int, default=3, help="non-hostile students graded by batch and nbgrader")
    parser.add_argument(
        "--nbgrader",
        choices=["export", "existence", "both", "none"],
        default="both",
        help="the sample's nbgrader runs: the real export (the same checks), existence-only notebooks, both, none",
    )
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
        for folder in pick_sample(classroom, args.sample):
            shutil.copytree(folder, sample / folder.name)
        size = len(list(sample.iterdir()))
        print(
            f"\nsample of {size} students that are not hostile: "
            + ", ".join(f"{k} {v}" for k, v in Counter(p.name.split("-", 1)[1] for p in sample.iterdir()).items())
            + f"; load average {os.getloadavg()[0]:.1f}"
        )
        sample_out = work / "sample-out"
        ours = measure(command[:4] + [str(sample), "--out", str(sample_out)] + command[7:], env)
        _row("batch (cache warm)", ours, size)
        if args.nbgrader != "none" and not have_nbgrader():
            print("nbgrader: skipped (not installed here; tox -e nbgrader --notest, then run this with its Python)")
            args.nbgrader = "none"
        if args.nbgrader in ("export", "both"):
            course = work / "course-export"
            students = export_course(course, sample, env)
            real = run_export(course, env)
            _row("nbgrader, real export", real, size)
            print("  " + verify(nbgrader_scores(course, env), batch_scores(sample_out), students))
            print(
                f"  nbgrader autograde of the exported course takes {real['seconds'] / ours['seconds']:.1f}x "
                "the time of batch on this sample (the same checks)"
            )
        if args.nbgrader in ("existence", "both"):
            course = work / "course-existence"
            existence_course(course, sample)
            bound = run_existence(course, env)
            _row("nbgrader, existence", bound, size)
            print(
                f"  nbgrader autograde of notebooks that only check that the functions exist takes "
                f"{bound['seconds'] / ours['seconds']:.1f}x the time of batch (a lower bound: it grades nothing)"
            )
        print(f"load average after: {os.getloadavg()[0]:.1f}")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    if not args.no_run_bench:
        print("\none submission, `python -m grader run` against `python -c 'import torch'` (bench_grading.py):")
        sys.stdout.flush()
        subprocess.run([sys.executable, str(ROOT / "tests/benchmarks/bench_grading.py"), "--repeat", "3"], check=True)


def pick_sample(classroom: Path, size: int) -> list[Path]:
    """Up to ``size`` students that are not hostile: a correct, a one-bug and an empty one in turn."""
    kinds = ("correct", "one-bug", "empty")
    queues = {k: [p for p in sorted(classroom.iterdir()) if p.name.split("-", 1)[1] == k] for k in kinds}
    picked: list[Path] = []
    while len(picked) < size and any(queues.values()):
        for kind in kinds:
            if queues[kind] and len(picked) < size:
                picked.append(queues[kind].pop(0))
    return picked


def _row(name: str, m: dict, students: int) -> None:
    largest = f", largest process {m['largest'] / 2**20:.0f} MiB" if m["largest"] else ""
    print(
        f"{name:<22} {m['seconds']:7.1f} s  {m['seconds'] / students:6.2f} s/student  "
        f"peak memory (all processes) {m['tree_peak'] / 2**20:.0f} MiB{largest}"
    )


if __name__ == "__main__":
    main()
