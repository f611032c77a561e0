"""Hostile submissions: the threat model of untrusted grading, one attack per test.

Each attack is the submission for ``toy_a``; ``toy_b`` is a correct
submission graded in the same run. For every attack: toy_a scores zero,
toy_b scores full marks, no process the attack started is left, and the
references and grader files are unchanged.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from grader.process import sandbox

ROOT = Path(__file__).resolve().parent.parent
TOY_B = (ROOT / "tests/plugins/toy_solutions/toy_b.py").read_text()
GUARDED = [
    ROOT / "tests/plugins/toy_solutions/toy_a.py",
    ROOT / "grader/checking/values.py",
    ROOT / "grader/checking/scoring.py",
    ROOT / "solutions/diy_model.py",
]
PROTECTED = sandbox.detect(sandbox.Plan())
needs_namespaces = pytest.mark.needs_namespaces

pytestmark = pytest.mark.hostile


def _digest() -> dict:
    return {str(p): hashlib.sha256(p.read_bytes()).hexdigest() for p in GUARDED}


def _alive(matches) -> list[int]:
    """Live (not zombie) processes, other than this one, whose command line ``matches``."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            if matches((entry / "cmdline").read_bytes()):
                if (entry / "stat").read_text().rsplit(")", 1)[1].split()[0] != "Z":
                    found.append(int(entry.name))
        except OSError:
            pass
    return found


def _leftovers() -> list[int]:
    """Processes forked from this test process that are still alive."""
    mine = Path("/proc/self/cmdline").read_bytes()
    return _alive(lambda cmdline: cmdline == mine)


@pytest.fixture(scope="module")
def toy_pm():
    from grader.manager import get_plugin_manager

    return get_plugin_manager(["no:grader.reporters.terminal", "tests.plugins.toy"])


@pytest.fixture(params=["namespaces", "process-only"])
def attack(request, tmp_path, toy_pm, monkeypatch):
    """``attack(source) -> (toy_a result, toy_b result)``, asserting the invariants.

    Runs with the full sandbox, and again with ``GRADER_SANDBOX=off`` (what a
    platform without namespaces gets) for attacks that process isolation alone
    must withstand.
    """
    from grader.grading import grade
    from grader.manager import collect_exercises

    if request.param == "namespaces" and not PROTECTED["processes confined"]:
        pytest.skip("Linux namespaces are not available here")
    if request.param == "process-only":
        if request.node.get_closest_marker("needs_namespaces"):
            pytest.skip("needs the namespace sandbox")
        monkeypatch.setenv("GRADER_SANDBOX", "off")

    exercises = collect_exercises(toy_pm)

    def run(source: str):
        before = _digest()
        (tmp_path / "toy_a.py").write_text(textwrap.dedent(source))
        (tmp_path / "toy_b.py").write_text(TOY_B)
        report = grade(toy_pm, [exercises["toy_a"], exercises["toy_b"]], tmp_path, "cpu")
        a, b = report.exercises
        assert a.score == 0, [(c.name, c.status, c.message) for c in a.checks]
        assert b.score == b.max_score, [(c.name, c.status, c.message) for c in b.checks]
        time.sleep(0.2)
        assert _leftovers() == []
        assert _digest() == before
        return a, b

    return run


def _statuses(result) -> dict:
    return {c.name: c.status for c in result.checks}


def test_infinite_loop_at_import(attack):
    a, _ = attack("while True:\n    pass\n")
    assert _statuses(a)["add_one"] == "timeout"


def test_infinite_loop_in_function(attack):
    a, _ = attack(
        """
        def add_one(x):
            while True:
                pass
        def total(x):
            while True:
                pass
        """
    )
    assert _statuses(a) == {"add_one": "timeout", "total": "timeout", "numpy_only": "failed"}


def test_sleep_forever(attack):
    a, _ = attack("import time\ndef add_one(x):\n    time.sleep(10**6)\ntotal = add_one\n")
    assert "longer than" in a.checks[0].message


def test_exhausts_memory(attack):
    a, _ = attack(
        """
        def add_one(x):
            hog = []
            while True:
                hog.append(bytearray(50 * 2**20))
        total = add_one
        """
    )
    assert _statuses(a)["add_one"] in {"error", "timeout"}


def test_segfault(attack):
    a, _ = attack("import ctypes\ndef add_one(x):\n    ctypes.string_at(0)\ntotal = add_one\n")
    assert "SIGSEGV" in a.checks[0].message


@pytest.mark.parametrize("exit_call", ["os._exit(0)", "sys.exit(0)", "raise SystemExit(3)", "os.abort()"])
def test_exits(attack, exit_call):
    a, _ = attack(f"import os, sys\ndef add_one(x):\n    {exit_call}\ntotal = add_one\n")
    assert _statuses(a)["add_one"] == "error"


def test_exit_at_import(attack):
    a, _ = attack("import os\nos._exit(0)\n")
    assert "imported" in a.checks[0].message


def test_reads_stdin(attack):
    a, _ = attack("def add_one(x):\n    return float(input())\ntotal = add_one\n")
    assert "EOFError" in a.checks[0].message


def test_floods_output(attack):
    a, _ = attack(
        """
        import sys
        def add_one(x):
            for _ in range(500):
                sys.stdout.write("x" * 2**20)
            return x
        total = add_one
        """
    )
    assert len(a.output) < 10_000


@needs_namespaces
def test_forks_and_escapes_with_setsid(attack):
    a, _ = attack(
        """
        import os, time
        def add_one(x):
            if os.fork() == 0:
                os.setsid()
                if os.fork() == 0:
                    time.sleep(600)
                os._exit(0)
            time.sleep(0.1)
            return x
        total = add_one
        """
    )


@needs_namespaces
def test_spawns_a_subprocess(attack):
    a, _ = attack(
        """
        import subprocess, sys
        def add_one(x):
            subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"], start_new_session=True)
            return x
        total = add_one
        """
    )


@needs_namespaces
def test_kills_everything_it_can(attack):
    attack("import os, signal\ndef add_one(x):\n    os.kill(-1, signal.SIGKILL)\ntotal = add_one\n")


def test_monkeypatches_comparisons(attack):
    attack(
        """
        import builtins, math, unittest
        import numpy as np
        np.allclose = lambda *a, **k: True
        np.isclose = lambda a, b, **k: np.ones(np.shape(a), bool)
        np.array_equal = lambda *a, **k: True
        np.testing.assert_allclose = lambda *a, **k: None
        math.isclose = lambda *a, **k: True
        unittest.TestCase.assertEqual = lambda *a, **k: None
        builtins.isinstance = lambda *a: True
        def add_one(x):
            return x
        def total(x):
            return 0.0
        """
    )


def test_returns_look_alike_objects(attack):
    a, _ = attack(
        """
        import numpy as np
        class Liar(float):
            def __eq__(self, other):
                return True
            __hash__ = float.__hash__
        class LyingArray(np.ndarray):
            def __eq__(self, other):
                return np.ones(self.shape, bool)
        class Evil:
            def __reduce__(self):
                return (print, ("unpickled!",))
        def add_one(x):
            return np.zeros_like(x).view(LyingArray)
        def total(x):
            return Liar(12345.0)
        """
    )


def test_returns_unpicklable_evil(attack):
    a, _ = attack(
        """
        import os
        class Evil:
            def __reduce__(self):
                return (os.system, ("touch /tmp/pwned-by-student",))
        def add_one(x):
            return Evil()
        total = add_one
        """
    )
    assert "object of type Evil" in a.checks[0].message
    assert not Path("/tmp/pwned-by-student").exists()


@needs_namespaces
def test_imports_the_reference(attack):
    a, _ = attack(
        """
        def add_one(x):
            from tests.plugins.toy_solutions.toy_a import add_one as ref
            return ref(x)
        def total(x):
            import importlib
            return importlib.import_module("tests.plugins.toy_solutions.toy_a").total(x)
        """
    )
    assert "ModuleNotFoundError" in a.checks[0].message or "ImportError" in a.checks[0].message


@needs_namespaces
def test_reads_the_reference_from_disk(attack):
    path = ROOT / "tests/plugins/toy_solutions/toy_a.py"
    a, _ = attack(
        f"""
        def add_one(x):
            namespace = {{}}
            exec(open({str(path)!r}).read(), namespace)
            return namespace["add_one"](x)
        total = add_one
        """
    )
    assert "FileNotFoundError" in a.checks[0].message


@needs_namespaces
def test_rewrites_references_and_grader(attack):
    targets = [str(p) for p in GUARDED]
    a, _ = attack(
        f"""
        def add_one(x):
            for path in {targets!r}:
                try:
                    open(path, "w").write("def add_one(x):\\n    return x\\n")
                except OSError:
                    pass
            return x
        total = add_one
        """
    )


@needs_namespaces
def test_no_network(attack):
    a, _ = attack(
        """
        import socket
        def add_one(x):
            socket.create_connection(("127.0.0.1", 9), timeout=1)
            return x + 1
        total = add_one
        """
    )
    assert "Network is unreachable" in a.checks[0].message


def test_raises_weird_exceptions(attack):
    a, _ = attack(
        """
        class Weird(Exception):
            def __str__(self):
                raise RuntimeError("no message for you")
        def add_one(x):
            raise Weird()
        def total(x):
            raise KeyboardInterrupt
        """
    )
    assert "Weird" in a.checks[0].message


def test_writes_garbage_to_the_result_pipe(attack):
    attack(
        """
        import os
        def add_one(x):
            for fd in range(3, 20):
                try:
                    os.write(fd, b"\\xff" * 100 + b'["d",[["kind",["s","case"]]]]')
                except OSError:
                    pass
            return x
        total = add_one
        """
    )


@pytest.mark.skipif(not PROTECTED["processes confined"], reason="needs Linux namespaces")
def test_report_cannot_be_rewritten_afterwards(tmp_path):
    """A background process started by the submission cannot alter the JSON report."""
    report = tmp_path / "report.json"
    submission = tmp_path / "sub"
    submission.mkdir()
    (submission / "toy_b.py").write_text(TOY_B)
    (submission / "toy_a.py").write_text(
        textwrap.dedent(
            f"""
            import os, time
            def add_one(x):
                if os.fork() == 0:
                    os.setsid()
                    for _ in range(100):
                        time.sleep(0.05)
                        try:
                            open({str(report)!r}, "w").write('{{"score": 1000}}')
                        except OSError:
                            pass
                    os._exit(0)
                return x
            total = add_one
            """
        )
    )
    command = [sys.executable, "-m", "grader", "-p", "tests.plugins.toy", "run", "toy_a", "toy_b"]
    command += ["--submission", str(submission), "--json", str(report), "--device", "cpu"]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    first = report.read_text()
    time.sleep(1.0)
    assert report.read_text() == first
    data = json.loads(first)
    assert [e["score"] for e in data["exercises"]] == [0, 2]


STEAL = """
import gc

def _steal(x, check):
    for obj in gc.get_objects():
        if isinstance(obj, list) and obj and all(type(c).__name__ == "Case" for c in obj):
            for j, case in enumerate(obj):
                if case.inputs.get("x") is x:
                    for frame in gc.get_objects():
                        if isinstance(frame, dict) and frame.get("exercise") == "toy_a":
                            for i, jj, kind, value in frame.get("results", []):
                                if (i, jj) == (check, j):
                                    return value
    return None

def add_one(x):
    found = _steal(x, 0)
    return found if found is not None else x

def total(x):
    found = _steal(x, 1)
    return found if found is not None else -1.0
"""


def test_digs_expected_values_out_of_memory(attack):
    """Student processes are forked from a zygote that never holds expected values."""
    attack(STEAL)  # fills the cache of expected values
    attack(STEAL)  # now they would be on disk and in the grader's memory


@pytest.mark.skipif(not PROTECTED["processes confined"], reason="needs Linux namespaces")
@pytest.mark.parametrize("how", ["SIGKILL", "SIGINT"])
def test_nothing_survives_a_grader_that_is_killed(tmp_path, how):
    """Stopping the grader (kill -9, Ctrl-C) takes every process it started along."""
    import signal

    submission = tmp_path / "sub-that-loops"
    submission.mkdir()
    (submission / "toy_a.py").write_text("import os\nif os.fork() == 0:\n    os.setsid()\nwhile True:\n    pass\n")
    command = [sys.executable, "-m", "grader", "-p", "tests.plugins.toy", "run", "toy_a"]
    command += ["--submission", str(submission), "--device", "cpu"]
    grader = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    marker = str(submission).encode()
    deadline = time.monotonic() + 60
    running = 0
    while time.monotonic() < deadline and running < 5:  # grader, zygote, child, student, its fork
        running = len(_with_marker(marker))
        time.sleep(0.05)
    assert running >= 5
    grader.send_signal(getattr(signal, how))
    grader.wait(timeout=30)
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and _with_marker(marker):
        time.sleep(0.1)
    assert _with_marker(marker) == []
    # a grader killed with SIGKILL cannot remove its control groups: the next grader's sweep does
    from grader.process import cgroups

    bases = [base for base, _ in cgroups._settings(1 << 20, 8)]
    left = ["not swept yet"]
    deadline = time.monotonic() + 10  # a group is removable once its last process is reaped (here by init)
    while left and time.monotonic() < deadline:
        cgroups.sweep(bases)
        left = [g for base in bases for g in base.glob(f"grader-{grader.pid}-*")]
        time.sleep(0.1 if left else 0)
    assert not left


def _with_marker(marker: bytes) -> list[int]:
    return _alive(lambda cmdline: marker in cmdline)


def test_reads_the_graders_memory(attack):
    """Without a PID namespace the grader is visible, but its memory is not readable."""
    grader_pid = os.getpid()  # grading runs in this test process
    a, _ = attack(
        f"""
        import os
        def add_one(x):
            for pid in ({grader_pid}, os.getppid()):
                try:
                    with open(f"/proc/{{pid}}/mem", "rb") as f:
                        f.read(1)
                        print("read the memory of", pid)
                except OSError as exc:
                    print("denied", pid, type(exc).__name__)
            return x
        total = add_one
        """
    )
    assert f"read the memory of {grader_pid}" not in a.output


@pytest.mark.skipif(not PROTECTED["process count capped"], reason="cgroups are not available here")
def test_fork_bomb_is_capped(attack):
    """A sandbox cannot have more than a bounded number of processes at once."""
    a, _ = attack(
        """
        import os, time
        def add_one(x):
            started = 0
            try:
                for _ in range(2000):
                    if os.fork() == 0:
                        time.sleep(600)
                        os._exit(0)
                    started += 1
            except OSError:
                pass
            print("forks before refusal:", started)
            return x
        total = add_one
        """
    )
    counts = [int(line.split(":")[1]) for line in a.output.splitlines() if line.startswith("forks before refusal")]
    assert counts and max(counts) < 200


def test_no_control_groups_are_left_behind(attack):
    attack("def add_one(x):\n    return x\ntotal = add_one\n")
    from grader.process import cgroups

    leftovers = (
        [folder for base, _ in cgroups._settings(1, 1) for folder in base.glob(f"grader-{os.getpid()}-*")]
        if cgroups.ROOT.is_dir()
        else []
    )
    assert leftovers == []
