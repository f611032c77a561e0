"""Hostile submissions aimed at the trusted side: what the grader reads and shows.

The grader reads the submission's files and the student process's results in
its own, unconfined process, and prints reports a student may control parts
of. Each attack here is ``toy_a``'s submission next to a correct ``toy_b``:
toy_a scores zero, toy_b keeps full marks, nothing is left running, and the
attack gains nothing else (no reference text or secret in the report, no
runaway memory, no forged report line).

Attacks that would hang the grader or exhaust its memory if the defence were
missing run the grader in a separate process, with a time limit and a capped
address space.
"""

from __future__ import annotations

import os
import sys
import textwrap
import time
from pathlib import Path

import pytest

from tests.hostile_helpers import ROOT, TOY_B, grade_cli, grade_measured
from tests.test_hostile import PROTECTED, _digest, _leftovers, toy_pm  # noqa: F401  (toy_pm is a fixture)

pytestmark = pytest.mark.hostile

REFERENCE = ROOT / "tests/plugins/toy_solutions/toy_a.py"
SECRET = "instructor_secret_7f3a9c"


@pytest.fixture
def submission(tmp_path) -> Path:
    """A submission folder holding a correct toy_b.py; the test plants toy_a.py."""
    folder = tmp_path / "submission"
    folder.mkdir()
    (folder / "toy_b.py").write_text(TOY_B)
    return folder


def graded(done, report: dict | None) -> tuple[dict, dict]:
    """toy_a's and toy_b's results from a CLI run, checking the invariants."""
    assert done.returncode == 0, done.stderr[-2000:]
    assert report is not None
    a, b = report["exercises"]
    assert a["score"] == 0, a
    assert b["score"] == b["max_score"] == 2, b
    time.sleep(0.2)
    assert _leftovers() == []
    return a, b


def everything(done, report) -> str:
    """The whole report: terminal output, errors and the JSON file."""
    import json

    return done.stdout + done.stderr + json.dumps(report, ensure_ascii=False)


def messages(result: dict) -> set[str]:
    return {c["message"] for c in result["checks"]}


# --- the submission file ------------------------------------------------------


def test_link_to_the_reference_scores_nothing(submission):
    (submission / "toy_a.py").symlink_to(REFERENCE)
    done, report = grade_cli(submission)
    a, _ = graded(done, report)
    assert all("toy_a.py is a symbolic link" in m for m in messages(a))
    text = everything(done, report)
    assert "np.asarray(x, dtype=np.float64) + 1.0" not in text
    assert str(REFERENCE.parent) not in text


def test_link_to_a_secret_does_not_leak_it(submission, tmp_path):
    """Before the fix, the secret came back in a NameError message."""
    secret = tmp_path / "secret.txt"
    secret.write_text(f"{SECRET}\n")
    (submission / "toy_a.py").symlink_to(secret)
    done, report = grade_cli(submission)
    a, _ = graded(done, report)
    assert all("symbolic link" in m for m in messages(a))
    assert SECRET not in everything(done, report)
    assert str(secret) not in everything(done, report)


def test_link_to_the_environment_does_not_leak_it(submission):
    (submission / "toy_a.py").symlink_to("/proc/self/environ")
    env = dict(os.environ, GRADER_TEST_MARKER=SECRET)
    done, report = grade_cli(submission, env=env)
    a, _ = graded(done, report)
    assert all("symbolic link" in m for m in messages(a))
    assert SECRET not in everything(done, report)


def test_link_to_dev_zero_is_not_read(submission):
    (submission / "toy_a.py").symlink_to("/dev/zero")
    done, report = grade_cli(submission, timeout=120)
    a, _ = graded(done, report)
    assert all("symbolic link" in m for m in messages(a))


def test_sparse_20_gb_file_is_not_read(submission):
    with open(submission / "toy_a.py", "wb") as f:
        f.truncate(20 * 2**30)  # no disk space used
    started = time.monotonic()
    done, report = grade_cli(submission, timeout=120)
    a, _ = graded(done, report)
    assert all("larger than 1 MiB" in m for m in messages(a))
    assert time.monotonic() - started < 60


def test_fifo_does_not_hang_the_grader(submission):
    os.mkfifo(submission / "toy_a.py")
    done, report = grade_cli(submission, timeout=60)
    a, _ = graded(done, report)
    assert all("named pipe" in m for m in messages(a))


@pytest.fixture
def read_attack(submission, toy_pm):  # noqa: F811
    """``read_attack(plant) -> toy_a result``: plant toy_a.py, grade in this process."""
    from grader.grading import grade
    from grader.manager import collect_exercises

    exercises = collect_exercises(toy_pm)

    def run(plant):
        before = _digest()
        plant(submission / "toy_a.py")
        report = grade(toy_pm, [exercises["toy_a"], exercises["toy_b"]], submission, "cpu")
        a, b = report.exercises
        assert a.score == 0 and a.attempted, [(c.name, c.status, c.message) for c in a.checks]
        assert b.score == b.max_score
        time.sleep(0.2)
        assert _leftovers() == []
        assert _digest() == before
        return a

    return run


def test_a_folder_named_like_the_file(read_attack):
    a = read_attack(lambda path: path.mkdir())
    assert {c.status for c in a.checks} == {"error"}
    assert all(c.message == "toy_a.py is a folder, not a regular file" for c in a.checks)


def test_non_utf8_source(read_attack):
    a = read_attack(lambda path: path.write_bytes(b"def add_one(x):\n    return x + 1  # \xff\xfe\n"))
    assert all("not valid UTF-8 text (line 2)" in c.message for c in a.checks)


def test_nul_bytes_in_source(read_attack):
    a = read_attack(lambda path: path.write_bytes(b"def add_one(x):\n    return x + 1\0\n"))
    assert all("NUL bytes" in c.message for c in a.checks)


# --- result frames ------------------------------------------------------------

BOMB = """
import os, stat, struct

def _result_pipe():
    for fd in range(3, 256):
        try:
            if stat.S_ISFIFO(os.fstat(fd).st_mode):
                return fd
        except OSError:
            pass

def _send(head, unit, count, tail):
    fd = _result_pipe()
    os.write(fd, struct.pack(">I", len(head) + len(unit) * count + len(tail)) + head)
    block = unit * max(1, (1 << 20) // len(unit))
    per_block = len(block) // len(unit)
    while count > 0:
        n = min(count, per_block)
        view = memoryview(block)[: n * len(unit)]
        while view:
            view = view[os.write(fd, view):]
        count -= n
    os.write(fd, tail)

_send({head!r}, {unit!r}, {count}, {tail!r})
"""


@pytest.fixture(scope="module")
def baseline_peak(tmp_path_factory) -> float:
    """The grading process's peak memory (MiB) on a harmless submission."""
    folder = tmp_path_factory.mktemp("baseline")
    (folder / "toy_b.py").write_text(TOY_B)
    (folder / "toy_a.py").write_text("def add_one(x):\n    return x\ntotal = add_one\n")
    return grade_measured(folder)["peak_mib"]


def bomb(submission: Path, head: bytes, unit: bytes, count: int, tail: bytes) -> tuple[float, list]:
    (submission / "toy_a.py").write_text(BOMB.format(head=head, unit=unit, count=count, tail=tail))
    measured = grade_measured(submission)
    (a_score, _, a_messages), (b_score, b_max, _) = measured["results"]
    assert a_score == 0 and b_score == b_max == 2
    time.sleep(0.2)
    assert _leftovers() == []
    return measured["peak_mib"], a_messages


def test_frame_with_millions_of_tiny_items(submission, baseline_peak):
    """15 MiB of ``["n"],``: 2.6 million lists, about 300 MB once decoded."""
    peak, a_messages = bomb(submission, b'["l",[', b'["n"],', 2_600_000, b'["n"]]]')
    assert any("too many items" in m for m in a_messages), a_messages
    assert peak - baseline_peak < 100, (peak, baseline_peak)


def test_frame_with_a_200_mb_dict_key(submission, baseline_peak):
    peak, a_messages = bomb(submission, b'["d",[["', b"k" * 1000, 200_000, b'",["n"]]]]')
    assert any("at most 16 MiB are accepted" in m for m in a_messages), a_messages
    assert peak - baseline_peak < 100, (peak, baseline_peak)


# --- what reports show -------------------------------------------------------


def test_folder_name_cannot_forge_report_lines(tmp_path):
    folder = tmp_path / "alice\n\x1b[2K\rScore: 6\u22156 (100.0%)\n\x1b[32m"  # no "/" in a name
    folder.mkdir()
    (folder / "toy_b.py").write_text(TOY_B)
    (folder / "toy_a.py").write_text("def add_one(x):\n    return x\ntotal = add_one\n")
    done, report = grade_cli(folder)
    graded(done, report)
    assert "\x1b" not in done.stdout and "\r" not in done.stdout
    scores = [line for line in done.stdout.splitlines() if "Score:" in line and "Grading" not in line]
    assert len(scores) == 1 and scores[0].startswith("Score: 2/6 "), done.stdout


def test_messages_cannot_drive_the_terminal(submission):
    (submission / "toy_a.py").write_text(
        textwrap.dedent(
            """
            import sys
            class Weird(Exception):
                pass
            Weird.__name__ = "Weird\\x1b[2J"
            def add_one(x):
                print("\\x1b[2J\\x1b[Hfake\\rScore: 6/6")
                raise Weird("\\x1b[31m\\ud800" + "y" * 10**6)
            total = add_one
            """
        )
    )
    done, report = grade_cli(submission)
    a, _ = graded(done, report)
    assert "\x1b" not in done.stdout and "\r" not in done.stdout
    assert len(done.stdout) < 50_000
    assert all(len(m) < 6000 and "\x1b" not in m for m in messages(a))


@pytest.mark.skipif(not PROTECTED["references hidden"], reason="needs the namespace sandbox")
def test_hidden_folders_are_not_named_in_reports(submission):
    (submission / "toy_a.py").write_text(
        textwrap.dedent(
            f"""
            def add_one(x):
                print(open("/proc/self/mountinfo").read())
                return open({str(REFERENCE)!r}).read()
            total = add_one
            """
        )
    )
    done, report = grade_cli(submission)
    graded(done, report)
    assert str(REFERENCE.parent) not in everything(done, report)
    assert "<hidden folder>" in everything(done, report)


# --- start-up ---------------------------------------------------------------


def test_grader_refuses_to_run_inside_the_submission(submission):
    done = grade_cli(submission, cwd=submission, env=dict(os.environ, PYTHONPATH=str(ROOT)))[0]
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and done.stderr.startswith("grader: error: run the grader from outside")
    deeper = submission / "deeper"
    deeper.mkdir()
    assert grade_cli(submission, cwd=deeper, env=dict(os.environ, PYTHONPATH=str(ROOT)))[0].returncode == 2


def test_modules_planted_in_the_current_folder_are_not_imported(submission, tmp_path):
    here = tmp_path / "elsewhere"
    here.mkdir()
    marker = tmp_path / "planted-numpy-ran"
    (here / "numpy.py").write_text(f"open({str(marker)!r}, 'w').close()\nraise SystemExit(99)\n")
    (submission / "toy_a.py").write_text("def add_one(x):\n    return x\ntotal = add_one\n")
    env = {k: v for k, v in os.environ.items() if k != "PYTHONSAFEPATH"}
    env["PYTHONPATH"] = str(ROOT)
    done, report = grade_cli(submission, cwd=here, env=env)
    graded(done, report)
    assert not marker.exists()


def test_the_current_folder_moves_to_the_end_of_sys_path(tmp_path):
    import subprocess

    (tmp_path / "numpy.py").write_text("raise SystemExit('planted numpy imported')\n")
    code = "import sys, grader, numpy; print(sys.path.index('') == len(sys.path) - 1)"
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONSAFEPATH", "PYTHONPATH")}
    done = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=env, capture_output=True, text=True)
    assert done.returncode == 0 and done.stdout.strip() == "True", done.stderr
