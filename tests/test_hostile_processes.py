"""Hostile submissions against the process layout: nothing of the grader's in reach.

Student processes descend from a freshly executed zygote, never from the
grader, so nothing the grader holds (reference text it read, expected values,
oracles, its environment) can be found in a student's memory. Numpy
exercises' processes cannot reach torch. Time is bounded per submission.
"""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
import textwrap
import time

import pytest

from tests.test_hostile import PROTECTED, ROOT, TOY_B, _leftovers, attack, toy_pm  # noqa: F401  (fixtures)

pytestmark = pytest.mark.hostile

#: Held in this (the grading) process's memory only: a student must not find it.
CANARY = "GRADER-HEAP-CANARY:" + secrets.token_hex(16)

SCAN_OWN_MEMORY = r"""
import re

def _scan():
    pattern = re.compile(rb"GRADER-HEAP-CANARY:([0-9a-f]{32})")
    found = set()
    with open("/proc/self/maps") as maps, open("/proc/self/mem", "rb", 0) as mem:
        for line in maps:
            fields = line.split()
            if "r" not in fields[1] or (len(fields) > 5 and fields[5].startswith("[v")):
                continue
            start, end = (int(x, 16) for x in fields[0].split("-"))
            if end - start > 1 << 30:
                continue
            try:
                mem.seek(start)
                found.update(pattern.findall(mem.read(end - start)))
            except (OSError, ValueError, OverflowError):
                pass
    return found

FOUND = _scan()

def add_one(x):
    if FOUND:  # whatever the grader's memory held: here, the right answer
        return x + 1.0
    return x

def total(x):
    return float(sum(FOUND)) if FOUND else -1.0
"""


def test_the_graders_memory_is_not_inherited(attack):
    """A secret in the grading process's heap is not in the student's address space."""
    held = CANARY.encode()  # noqa: F841  (kept alive in this frame while grading)
    attack(SCAN_OWN_MEMORY)


ENVIRONMENT_THIEF = """
import os

def add_one(x):
    if "GRADER_TEST_API_TOKEN" in os.environ or "API_TOKEN" in os.environ:
        return x + 1.0
    return x

def total(x):
    return -1.0
"""


def test_the_graders_environment_is_not_inherited(attack, monkeypatch):
    """Secrets in the grader's environment (CI tokens) never reach a student process."""
    monkeypatch.setenv("API_TOKEN", "s3cret")
    monkeypatch.setenv("GRADER_TEST_API_TOKEN", "s3cret")
    attack(ENVIRONMENT_THIEF)


HUNTS_ORACLES = """
import gc
import sys

def _hunt():
    found = sorted(
        name for name in sys.modules
        if name.startswith(("solutions", "grader.oracles")) or ".oracles" in name
    )
    for obj in gc.get_objects():
        module = getattr(obj, "__module__", None)
        if not isinstance(module, str):
            continue
        if callable(obj) and (module.startswith(("solutions", "grader.oracles")) or ".oracles" in module):
            found.append(getattr(obj, "__qualname__", "?"))
    frame = sys._getframe()
    while frame is not None:
        for value in list(frame.f_locals.values()):
            for check in getattr(value, "checks", ()) or ():
                oracle = getattr(check, "oracle", None)
                if callable(oracle):
                    found.append(getattr(oracle, "__qualname__", "oracle"))
        frame = frame.f_back
    return found


class DiyAdam:
    def __init__(self, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0):
        pass

    def step(self, grad, weight):
        raise RuntimeError(f"found {_hunt()}")


class DiySGD(DiyAdam):
    pass
"""


def test_no_oracle_or_reference_is_loaded_where_student_code_runs(grade_source):
    """Walking sys.modules, the heap and the call stack finds no oracle and no reference."""
    result = grade_source("optim", HUNTS_ORACLES)
    messages = [c.message for c in result.checks if "found" in c.message]
    assert messages, [c.message for c in result.checks]
    assert all("found []" in m for m in messages), messages[0]
    assert result.score == 0


TORCH_IN_NUMPY = """
import sys
import numpy as np

sys.meta_path[:] = [f for f in sys.meta_path if type(f).__name__ != "NoTorch"]
torch = __import__("to" + "rch")


def diy_sigmoid(x):
    return torch.sigmoid(torch.as_tensor(x)).numpy()
"""


@pytest.mark.needs_namespaces
@pytest.mark.skipif(not PROTECTED["processes confined"], reason="needs Linux namespaces")
def test_a_numpy_exercise_cannot_import_torch(grade_source):
    """Not by name, not by a computed name, not after removing the grader's import hook."""
    result = grade_source("diy_model", TORCH_IN_NUMPY)
    sigmoid = next(c for c in result.checks if c.name == "sigmoid_values")
    assert sigmoid.status != "passed"
    assert "No module named 'torch'" in sigmoid.message, sigmoid.message


def test_a_numpy_exercise_gets_a_clear_message_for_import_torch(grade_source):
    result = grade_source("diy_model", "import torch\n\ndef diy_sigmoid(x):\n    return x\n")
    assert result.score == 0
    assert "torch is not available in a numpy exercise" in result.checks[0].message


UNREADABLE = """
import numpy as np

def add_one(x):
    return np.array([object(), 1], dtype=object)

def total(x):
    return float(np.sum(x))
"""


def test_an_unreadable_result_is_reported_as_such(attack_free_grade):
    """An object-dtype array is refused by the codec: the feedback says so, not "the process exited"."""
    a = attack_free_grade(UNREADABLE)
    add_one = next(c for c in a.checks if c.name == "add_one")
    assert add_one.status == "error"
    assert "cannot read" in add_one.message and "object" in add_one.message, add_one.message
    assert "exited" not in add_one.message
    assert next(c for c in a.checks if c.name == "total").status == "passed"


@pytest.fixture
def attack_free_grade(tmp_path, toy_pm):  # noqa: F811
    """Grade toy_a (and a correct toy_b) without asserting toy_a scores zero."""
    from grader.grading import grade
    from grader.manager import collect_exercises

    exercises = collect_exercises(toy_pm)

    def run(source: str):
        (tmp_path / "toy_a.py").write_text(textwrap.dedent(source))
        (tmp_path / "toy_b.py").write_text(TOY_B)
        report = grade(toy_pm, [exercises["toy_a"], exercises["toy_b"]], tmp_path, "cpu")
        a, b = report.exercises
        assert b.score == b.max_score
        assert _leftovers() == []
        return a

    return run


@pytest.mark.slow
def test_time_limit_bounds_the_whole_submission(tmp_path):
    """A hang at import costs one limit, and --time-limit bounds the submission's total."""
    (tmp_path / "toy_a.py").write_text("while True:\n    pass\n")
    (tmp_path / "toy_b.py").write_text("import time\ntime.sleep(60)\n")
    report = tmp_path / "r.json"
    command = [sys.executable, "-m", "grader", "-p", "tests.plugins.toy", "run", "toy_a", "toy_b"]
    command += ["--submission", str(tmp_path), "--json", str(report), "--device", "cpu", "--time-limit", "3"]
    started = time.monotonic()
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=120)
    took = time.monotonic() - started
    assert done.returncode == 0, done.stderr
    data = json.loads(report.read_text())
    assert data["score"] == 0
    messages = [c["message"] for e in data["exercises"] for c in e["checks"] if c["status"] == "timeout"]
    assert any("total time limit" in m for m in messages), messages
    # 3 s of student time plus start-up and kill grace; without the limit: 4 s + 8 s of exercise limits.
    assert took < 3 + 8, took


def test_time_limit_rejects_nonsense():
    done = subprocess.run(
        [sys.executable, "-m", "grader", "run", "--time-limit", "-1"], cwd=ROOT, capture_output=True, text=True
    )
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and "time-limit" in done.stderr


def test_the_zygote_refuses_a_plugin_that_imports_its_reference(tmp_path):
    """A pack whose plugin module imports its reference would put the answers in every student process."""
    pack = tmp_path / "leaky_pack"
    pack.mkdir()
    (pack / "__init__.py").write_text("")
    (pack / "answers.py").write_text("def add_one(x):\n    return x + 1\n")
    (pack / "plugin.py").write_text(
        textwrap.dedent(
            """
            from grader import Case, Check, Exercise, hookimpl
            from leaky_pack import answers  # the mistake

            def _cases(rng):
                return [Case("x", {"x": 1.0})]

            @hookimpl
            def grader_exercises():
                return [Exercise("leaky", "Leaky", "leaky_pack.answers",
                                 (Check("add_one", "add_one", 1, _cases, lambda m, i, c: m.add_one(i["x"])),),
                                 framework="numpy")]
            """
        )
    )
    submission = tmp_path / "submission"
    submission.mkdir()
    (submission / "leaky.py").write_text("def add_one(x):\n    return x + 1\n")
    env = dict(os.environ, PYTHONPATH=f"{tmp_path}{os.pathsep}{ROOT}")
    done = subprocess.run(
        [sys.executable, "-m", "grader", "-p", "leaky_pack.plugin", "run", "leaky", "--submission", str(submission)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert done.returncode == 2, done.stdout + done.stderr
    assert "leaky_pack.answers" in done.stderr and "Traceback" not in done.stderr


def test_ctrl_c_stops_a_run_at_once_and_leaves_nothing_running(tmp_path):
    # Every file loops at import: uninterrupted, the run would take the import limit of each exercise.
    import signal

    submission = tmp_path / f"ctrl-c-{secrets.token_hex(4)}"
    submission.mkdir()
    for path in (ROOT / "exercises").glob("*.py"):
        (submission / path.name).write_text("while True:\n    pass\n")
    process = subprocess.Popen(
        [sys.executable, "-m", "grader", "run", "--submission", str(submission)],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env={**os.environ, "GRADER_CACHE": "off"},
        start_new_session=True,
    )
    time.sleep(5)  # the first sandboxes of both frameworks are looping by now
    interrupted = time.monotonic()
    process.send_signal(signal.SIGINT)
    _, err = process.communicate(timeout=60)
    took = time.monotonic() - interrupted
    assert process.returncode == 130 and "grader: interrupted" in err.decode(), err.decode()[-2000:]
    assert took < 5, f"the grader went on for {took:.1f} s after Ctrl-C"
    deadline = time.monotonic() + 5
    while _labelled(str(submission)) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert _labelled(str(submission)) == [], "processes of the interrupted run are still alive"


def _labelled(label: str) -> list[int]:
    """Live (not zombie) processes whose command line holds ``label`` (zygotes and what they forked)."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/cmdline", "rb") as f:
                command = f.read()
            with open(f"/proc/{entry}/stat") as f:
                state = f.read().rsplit(")", 1)[1].split()[0]
        except (OSError, IndexError):
            continue
        if label.encode() in command.split(b"\0") and state != "Z":
            found.append(int(entry))
    return found
