"""``python -m grader batch``: a whole class into a gradebook, resumable, hostile input included."""

from __future__ import annotations

import csv
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from grader.batch import files
from grader.cli import main
from tests.batch_class import (
    GOOD_A,
    GOOD_B,
    LOOPER_A,
    ROOT,
    WRONG_B,
    alive_with,
    gradebook,
    graded_at,
    outcomes,
    student,
)

TOY = ["-p", "no:grader.reporters.terminal", "-p", "tests.plugins.toy"]


def batch(capsys, *args, exercises=("toy_a", "toy_b")) -> tuple[int, str, str]:
    status = main([*TOY, "batch", *args, *exercises, "--no-figures"])
    captured = capsys.readouterr()
    return status, captured.out, captured.err


@pytest.fixture
def small_class(tmp_path):
    """alice: all correct; bob: toy_b wrong; dan: no toy_b."""
    root = tmp_path / "class"
    student(root, "alice", toy_a=GOOD_A, toy_b=GOOD_B)
    student(root, "bob", toy_a=GOOD_A, toy_b=WRONG_B)
    student(root, "dan", toy_a=GOOD_A)
    return root


def test_grades_a_class_into_gradebook_csv_and_reports(capsys, small_class, tmp_path):
    out = tmp_path / "out"
    status, stdout, _ = batch(capsys, str(small_class), "--out", str(out), "--jobs", "2")
    assert status == 0
    assert "3 of 3 students graded" in stdout
    found = outcomes(out)
    assert {key: row[3] for key, row in found.items()} == {
        ("alice", "toy_a"): 4,
        ("alice", "toy_b"): 2,
        ("bob", "toy_a"): 4,
        ("bob", "toy_b"): 0,
        ("dan", "toy_a"): 4,
        ("dan", "toy_b"): 0,
    }
    assert all(row[2] == "graded" and row[4] == {"toy_a": 4, "toy_b": 2}[key[1]] for key, row in found.items())
    assert found[("bob", "toy_b")][5] == ("failed",)
    assert found[("alice", "toy_a")][5] == ("passed", "passed", "passed")
    assert found[("alice", "toy_a")][0].startswith("sha256:") and found[("dan", "toy_b")][0] == "missing"
    with open(out / "grades.csv", newline="") as f:
        table = list(csv.reader(f))
    assert table == [
        ["student", "toy_a", "toy_b", "total", "max_score", "percent"],
        ["alice", "4", "2", "6", "6", "100.0"],
        ["bob", "4", "0", "4", "6", "66.7"],
        ["dan", "4", "0", "4", "6", "66.7"],
    ]
    report = json.loads((out / "reports" / "bob.json").read_text())
    assert report["student"] == "bob" and report["score"] == 4 and report["max_score"] == 6
    assert [e["name"] for e in report["exercises"]] == ["toy_a", "toy_b"]
    check = report["exercises"][1]["checks"][0]
    assert set(check) == {"name", "status", "score", "max_score", "message", "cases"}
    assert check["cases"]["public"] == 2  # kept through the gradebook
    assert check["status"] == "failed" and "double" in check["message"]
    dan = json.loads((out / "reports" / "dan.json").read_text())
    assert "does not exist" in dan["exercises"][1]["checks"][0]["message"]
    with gradebook(out) as db:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_resumes_only_what_changed_and_force_regrades_all(capsys, small_class, tmp_path):
    out = tmp_path / "out"
    assert batch(capsys, str(small_class), "--out", str(out))[0] == 0
    first = graded_at(out)
    assert len(first) == 6

    status, stdout, _ = batch(capsys, str(small_class), "--out", str(out))
    assert status == 0 and "0 of 3 students graded, 3 up to date" in stdout
    assert graded_at(out) == first

    (small_class / "bob" / "toy_b.py").write_text(GOOD_B)
    status, stdout, _ = batch(capsys, str(small_class), "--out", str(out))
    assert "1 of 3 students graded" in stdout
    second = graded_at(out)
    assert [key for key in first if second[key] != first[key]] == [("bob", "toy_b")]
    assert outcomes(out)[("bob", "toy_b")][3] == 2
    assert "bob,4,2,6,6,100.0" in (out / "grades.csv").read_text()

    batch(capsys, str(small_class), "--out", str(out), "--time-limit", "60")  # the checks' fingerprint changed
    third = graded_at(out)
    assert all(third[key] != second[key] for key in second)

    batch(capsys, str(small_class), "--out", str(out), "--time-limit", "60", "--force")
    assert all(t != third[key] for key, t in graded_at(out).items())


def test_only_the_named_exercises(capsys, small_class, tmp_path):
    out = tmp_path / "out"
    assert batch(capsys, str(small_class), "--out", str(out), exercises=("toy_b",))[0] == 0
    assert {e for _, e in graded_at(out)} == {"toy_b"}
    assert (out / "grades.csv").read_text().splitlines()[0] == "student,toy_b,total,max_score,percent"


def test_hostile_files_score_zero_with_their_reason(capsys, tmp_path):
    root = tmp_path / "class"
    outside = tmp_path / "secret.py"
    outside.write_text(GOOD_A)
    student(root, "good", toy_a=GOOD_A, toy_b=GOOD_B)
    student(root, "latin1")
    (root / "latin1" / "toy_a.py").write_bytes(GOOD_A.encode() + "# café\n".encode("latin-1"))
    (root / "latin1" / "toy_b.py").write_bytes(b"\x7fELF\x02\x01\x01\x00" + bytes(range(256)))
    student(root, "links")
    (root / "links" / "toy_a.py").symlink_to(outside)
    (root / "links" / "toy_b.py").symlink_to("/dev/zero")
    student(root, "fifo")
    os.mkfifo(root / "fifo" / "toy_a.py")
    (root / "fifo" / "toy_b.py").mkdir()
    student(root, "empty")
    (root / "stray.txt").write_text("not a student")
    (root / "linked-student").symlink_to(root / "good")
    out = tmp_path / "out"
    status, stdout, _ = batch(capsys, str(root), "--out", str(out))
    assert status == 0
    with gradebook(out) as db:
        messages = dict(
            ((s, e), m) for s, e, m in db.execute("SELECT student, exercise, message FROM checks WHERE position = 0")
        )
        scores = dict(((s, e), x) for s, e, x in db.execute("SELECT student, exercise, score FROM submissions"))
        skipped = dict(db.execute("SELECT name, reason FROM skipped"))
    assert scores.pop(("good", "toy_a")) == 4 and scores.pop(("good", "toy_b")) == 2
    assert set(scores.values()) == {0}
    assert len(scores) == 8
    assert "is not valid UTF-8 text (line 16)" in messages[("latin1", "toy_a")]
    assert "contains NUL bytes" in messages[("latin1", "toy_b")]
    assert "symbolic link" in messages[("links", "toy_a")] and "symbolic link" in messages[("links", "toy_b")]
    assert "named pipe" in messages[("fifo", "toy_a")]
    assert "a folder" in messages[("fifo", "toy_b")]
    assert "does not exist" in messages[("empty", "toy_a")]
    assert skipped == {
        "stray.txt": "a file at the top level, not a student folder",
        "linked-student": "a symbolic link, not a student folder (links are not followed)",
    }
    assert "skipped stray.txt" in stdout


def test_fixing_a_bad_file_regrades_it(capsys, tmp_path):
    root = tmp_path / "class"
    student(root, "eve", toy_b=GOOD_B)
    os.mkfifo(root / "eve" / "toy_a.py")
    out = tmp_path / "out"
    batch(capsys, str(root), "--out", str(out))
    assert outcomes(out)[("eve", "toy_a")][3] == 0
    os.unlink(root / "eve" / "toy_a.py")
    (root / "eve" / "toy_a.py").write_text(GOOD_A)
    _, stdout, _ = batch(capsys, str(root), "--out", str(out))
    assert "1 of 1 students graded" in stdout
    assert outcomes(out)[("eve", "toy_a")][3] == 4


def test_student_names_are_kept_raw_and_made_safe(capsys, tmp_path):
    root = tmp_path / "class"
    weird = "=cmd|' -C calc'!A0 \x1b[2J"
    latin = os.fsdecode(b"caf\xe9")  # a name that is not UTF-8
    student(root, weird, toy_a=GOOD_A, toy_b=GOOD_B)
    student(root, latin, toy_a=GOOD_A, toy_b=GOOD_B)
    out = tmp_path / "out"
    status, stdout, _ = batch(capsys, str(root), "--out", str(out))
    assert status == 0
    with gradebook(out) as db:
        assert sorted(db.execute("SELECT name, raw FROM students")) == [
            (weird, weird.encode()),
            ("caf\\xe9", b"caf\xe9"),
        ]
    assert json.loads((out / "reports" / f"{files.file_stem(latin)}.json").read_text())["score"] == 6
    (out / "reports" / f"{files.file_stem(latin)}.json").unlink()
    (report,) = (out / "reports").iterdir()
    assert report.name == files.file_stem(weird) + ".json" and "/" not in report.name and "\x1b" not in report.name
    assert json.loads(report.read_text())["student"] == weird
    rows = list(csv.reader(open(out / "grades.csv", newline="")))
    assert [row[0] for row in rows[1:]] == ["'" + weird, "caf\\xe9"]  # a spreadsheet shows it, never runs it
    assert files.shown(weird) == "=cmd|' -C calc'!A0 \\x1b[2J"


def test_grader_failure_on_one_student_is_recorded_and_the_batch_goes_on(capsys, small_class, tmp_path, monkeypatch):
    from grader.grading import Grader

    real = Grader.grade

    def flaky(self, submission, **kwargs):
        if submission.name == "bob":
            raise RuntimeError("lane exploded")
        return real(self, submission, **kwargs)

    monkeypatch.setattr(Grader, "grade", flaky)
    out = tmp_path / "out"
    status, stdout, err = batch(capsys, str(small_class), "--out", str(out))
    assert status == 0
    assert "the grader failed on bob: RuntimeError: lane exploded" in err
    found = outcomes(out)
    assert found[("bob", "toy_a")][2] == "error" and found[("bob", "toy_a")][3] == 0
    assert found[("alice", "toy_b")][3] == 2 and found[("dan", "toy_a")][3] == 4
    monkeypatch.setattr(Grader, "grade", real)
    _, stdout, _ = batch(capsys, str(small_class), "--out", str(out))
    assert "1 of 3 students graded" in stdout
    assert outcomes(out)[("bob", "toy_a")][2:4] == ("graded", 4)


@pytest.mark.parametrize(
    "make, phrase",
    [
        (lambda tmp: [str(tmp / "nope"), "--out", str(tmp / "out")], "does not exist"),
        (lambda tmp: [str(tmp / "file"), "--out", str(tmp / "out")], "is not a folder"),
        (lambda tmp: [str(tmp / "class"), "--out", str(tmp / "file" / "out")], "cannot create the folder"),
        (lambda tmp: [str(tmp / "class"), "--out", str(tmp / "file")], "is not a folder"),
        (lambda tmp: [str(tmp / "class"), "--out", str(tmp / "class" / "out")], "inside the submissions"),
        (lambda tmp: [str(tmp / "class"), "--out", "/proc/grader-out"], "cannot create the folder"),
        (lambda tmp: [str(tmp / "class"), "--out", str(tmp / "out"), "--jobs", "0"], "between 1 and 1024"),
        (lambda tmp: [str(tmp / "class"), "nope", "--out", str(tmp / "out")], "unknown exercise 'nope'"),
        (lambda tmp: [str(tmp / "class"), "--out", str(tmp / "db")], "cannot use the gradebook"),
    ],
)
def test_bad_input_exits_2_with_one_line(capsys, tmp_path, make, phrase):
    (tmp_path / "class").mkdir()
    (tmp_path / "file").write_text("x")
    (tmp_path / "db").mkdir()
    (tmp_path / "db" / "gradebook.sqlite").write_text("this is not a database, it is a text file of some length\n" * 20)
    status, stdout, err = batch(capsys, *make(tmp_path))
    assert status == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("grader: error: ") and phrase in lines[0], err
    assert "Traceback" not in err + stdout


def test_figures_and_summary(capsys, small_class, tmp_path):
    out = tmp_path / "out"
    assert main([*TOY, "batch", str(small_class), "toy_a", "toy_b", "--out", str(out)]) == 0
    stdout = capsys.readouterr().out
    assert "Class: 3 students, mean 77.8%, median 66.7%, full marks 1, zero 0" in stdout
    assert "toy_b.double" in stdout and "2/3 failed" in stdout
    for name in ("pass_rates.png", "scores.png"):
        data = (out / "figures" / name).read_bytes()
        assert data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) > 5000


def test_grading_path_does_not_import_matplotlib_or_tqdm():
    code = (
        "import sys\nimport grader.batch.local, grader.batch.plan, grader.batch.gradebook, grader.batch.exports\n"
        "import grader.commands.batch\n"
        "bad = [m for m in ('matplotlib', 'tqdm', 'distributed', 'torch') if m in sys.modules]\n"
        "assert not bad, bad\n"
    )
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True)


# --- stopping and resuming ----------------------------------------------------


def _class_of_ten(root: Path) -> None:
    for i in range(10):
        if i == 1:
            student(root, f"s{i:02d}", toy_a=LOOPER_A, toy_b=GOOD_B)
        else:
            student(root, f"s{i:02d}", toy_a=GOOD_A, toy_b=GOOD_B if i % 3 else WRONG_B)


def _command(root: Path, out: Path) -> list[str]:
    return [
        sys.executable,
        "-m",
        "grader",
        *TOY,
        "batch",
        str(root),
        "toy_a",
        "toy_b",
        "--out",
        str(out),
        "--jobs",
        "1",
        "--no-figures",
    ]


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory):
    """The gradebook of the ten-student class graded in one go."""
    root = tmp_path_factory.mktemp("whole") / "class"
    _class_of_ten(root)
    out = root.parent / "out"
    subprocess.run(_command(root, out), cwd=ROOT, check=True, capture_output=True, timeout=600)
    return outcomes(out)


@pytest.mark.slow
@pytest.mark.parametrize("how", ["SIGINT", "SIGTERM", "SIGKILL"])
def test_stopped_batch_leaves_nothing_and_resumes_to_the_same_gradebook(tmp_path, how, uninterrupted):
    root = tmp_path / "class"
    _class_of_ten(root)
    out = tmp_path / "out"
    running = subprocess.Popen(_command(root, out), cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    marker = str(root).encode()
    deadline = time.monotonic() + 120
    recorded = 0
    while time.monotonic() < deadline and recorded == 0:
        time.sleep(0.05)
        if (out / "gradebook.sqlite").exists():
            try:
                with gradebook(out) as db:
                    recorded = db.execute("SELECT COUNT(DISTINCT student) FROM submissions").fetchone()[0]
            except sqlite3.OperationalError:  # the schema is being created
                pass
    assert recorded >= 1
    time.sleep(0.5)  # s01's looping student code is running now
    assert len(alive_with(marker)) >= 3  # the batch, its reference process, a zygote (and students)
    running.send_signal(getattr(signal, how))
    status = running.wait(timeout=60)
    err = running.stderr.read().decode()
    assert "Traceback" not in err, err
    assert status == {"SIGKILL": -9}.get(how, 130)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and alive_with(marker):
        time.sleep(0.1)
    assert alive_with(marker) == []
    partial = outcomes(out)
    with gradebook(out) as db:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    students = {s for s, _ in partial}
    assert 1 <= len(students) < 10
    assert all((s, e) in partial for s in students for e in ("toy_a", "toy_b"))  # a student is all or nothing
    assert {row[2] for row in partial.values()} == {"graded"}  # nothing in flight was recorded as a failure
    assert not list(out.glob("reports/.*.tmp")) and not list(out.glob(".*.tmp"))

    resumed = subprocess.run(_command(root, out), cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert resumed.returncode == 0, resumed.stderr
    assert f"{10 - len(students)} of 10 students graded" in resumed.stdout
    assert outcomes(out) == uninterrupted
    assert alive_with(marker) == []


# --- a Dask cluster -------------------------------------------------------------


@pytest.mark.slow
def test_dask_cluster_grades_the_same_class(tmp_path, monkeypatch):
    distributed = pytest.importorskip("distributed")
    monkeypatch.setenv("PYTHONPATH", str(ROOT))  # the workers import tests.plugins.toy
    root = tmp_path / "class"
    student(root, "alice", toy_a=GOOD_A, toy_b=GOOD_B)
    student(root, "bob", toy_a=GOOD_A, toy_b=WRONG_B)
    student(root, "carol")
    os.symlink("/dev/zero", root / "carol" / "toy_a.py")
    (root / "carol" / "toy_b.py").write_text(GOOD_B)
    local = tmp_path / "local"
    subprocess.run(_command(root, local), cwd=ROOT, check=True, capture_output=True, timeout=600)
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None, silence_logs=50
    ) as cluster:
        with distributed.Client(cluster) as client:
            workers = set(client.run(os.getpid).values())
            out = tmp_path / "dask"
            command = _command(root, out) + ["--scheduler", cluster.scheduler_address]
            done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=600)
            assert done.returncode == 0, done.stderr
            assert "3 of 3 students graded" in done.stdout
            # the graders' processes live in the workers, children of the workers
            helpers = [pid for pid in _children(workers)]
            assert helpers, "no worker started a grader"
            used = {pid for pid in workers if any(_parent(h) == pid for h in helpers)}
            assert len(used) >= 1
    assert outcomes(out) == outcomes(local)
    assert outcomes(out)[("carol", "toy_a")][3] == 0 and outcomes(out)[("carol", "toy_b")][3] == 2
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and [p for p in helpers if _is_alive(p)]:
        time.sleep(0.1)
    assert [p for p in helpers if _is_alive(p)] == []


def test_each_worker_keeps_one_grader_per_configuration(monkeypatch):
    import threading

    import grader.grading
    from grader.batch import remote

    built = []

    class FakeGrader:
        def __init__(self, pm, exercises, device, *, time_limit=None, jobs=1):
            self.thread = threading.current_thread()
            self.names = [e.name for e in exercises]
            self.jobs = jobs
            built.append(self)

    monkeypatch.setattr(grader.grading, "Grader", FakeGrader)
    monkeypatch.setattr(remote, "_graders", {})
    config = remote.Config(("tests.plugins.toy",), ("toy_b",), "cpu", None)
    first = remote._warm(config, 3)
    assert remote._warm(remote.Config(("tests.plugins.toy",), ("toy_b",), "cpu", None), 3) is first
    assert first.names == ["toy_b"] and first.jobs == 3
    assert first.thread is not threading.current_thread() and first.thread.is_alive()  # outlives task threads
    other = remote._warm(remote.Config(("tests.plugins.toy",), ("toy_a", "toy_b"), "cpu", None), 1)
    assert other is not first and len(built) == 2
    with pytest.raises(RuntimeError, match="does not know the exercise 'nope'"):
        remote._warm(remote.Config(("tests.plugins.toy",), ("nope",), "cpu", None), 1)


def _parent(pid: int) -> int:
    try:
        return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
    except (OSError, IndexError, ValueError):
        return 0


def _is_alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def _children(parents: set[int]) -> list[int]:
    return [int(p.name) for p in Path("/proc").iterdir() if p.name.isdigit() and _parent(int(p.name)) in parents]


# --- two real exercises -----------------------------------------------------------


@pytest.mark.slow
def test_real_exercises(capsys, tmp_path):
    root = tmp_path / "class"
    names = ["polyfit", "pooling"]
    student(root, "solved", **{n: (ROOT / "solutions" / f"{n}.py").read_text() for n in names})
    student(root, "stubs", **{n: (ROOT / "exercises" / f"{n}.py").read_text() for n in names})
    out = tmp_path / "out"
    status = main(["-p", "no:grader.reporters.terminal", "batch", str(root), *names, "--out", str(out), "--no-figures"])
    capsys.readouterr()
    assert status == 0
    found = outcomes(out)
    for name in names:
        solved = found[("solved", name)]
        assert solved[2] == "graded" and solved[3] == solved[4] > 0 and set(solved[5]) == {"passed"}
        assert found[("stubs", name)][3] == 0


# --- the progress bar ---------------------------------------------------------------


class _Terminal:
    def __init__(self) -> None:
        self.text = ""

    def write(self, text: str) -> int:
        self.text += text
        return len(text)

    def flush(self) -> None:
        pass

    def isatty(self) -> bool:
        return True


def test_progress_bar_counts_failures_on_a_terminal_only(monkeypatch):
    from grader.batch.progress import Progress

    terminal = _Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    progress = Progress(3)
    progress.update(below_full=True, error=False)
    progress.update(below_full=True, error=True)
    progress.update(below_full=False, error=False)
    progress.close()
    assert (progress.failed, progress.errors) == (2, 1)
    assert "3/3" in terminal.text and "failed=2" in terminal.text and "errors=1" in terminal.text

    class Pipe(_Terminal):
        def isatty(self) -> bool:
            return False

    pipe = Pipe()
    monkeypatch.setattr(sys, "stderr", pipe)
    quiet = Progress(3)
    quiet.update(below_full=True, error=False)
    quiet.close()
    assert pipe.text == "" and quiet.failed == 1
