"""Hostile submissions that a deny-list misses: answers elsewhere on disk, host IPC, host sockets.

Same set-up as ``tests/test_hostile.py``: each attack is the submission for
``toy_a``, graded next to a correct ``toy_b``; the attack scores zero, toy_b
full marks, no process is left and no guarded file changed. Besides, nothing
the attack made (IPC objects, connections) reaches the host. An honest
variant that uses ``/dev/null`` and ``/tmp`` must score full marks.
"""

from __future__ import annotations

import ctypes
import select
import shutil
import socket
import subprocess
import textwrap
import time
import uuid
from pathlib import Path

import pytest

from tests.test_hostile import PROTECTED, TOY_B, _digest, _leftovers, needs_namespaces, toy_pm  # noqa: F401

ROOT = Path(__file__).resolve().parent.parent
ANSWER = (ROOT / "tests/plugins/toy_solutions/toy_a.py").read_text()

pytestmark = pytest.mark.hostile


def _ipc_keys() -> dict[str, set[int]]:
    keys = {}
    for kind in ("shm", "msg", "sem"):
        try:
            with open(f"/proc/sysvipc/{kind}") as f:
                keys[kind] = {int(line.split()[0]) for line in f.readlines()[1:]}
        except OSError:
            keys[kind] = set()
    return keys


@pytest.fixture(params=["namespaces", "process-only"])
def graded(request, tmp_path, toy_pm, monkeypatch):  # noqa: F811 - toy_pm is a fixture
    """``graded(source, honest=False) -> (toy_a result, toy_b result)``, asserting the invariants.

    ``honest=True``: toy_a must score full marks instead of zero.
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
    submission = tmp_path / "submission"
    submission.mkdir()

    def run(source: str, honest: bool = False):
        before = _digest()
        (submission / "toy_a.py").write_text(textwrap.dedent(source))
        (submission / "toy_b.py").write_text(TOY_B)
        report = grade(toy_pm, [exercises["toy_a"], exercises["toy_b"]], submission, "cpu")
        a, b = report.exercises
        details = [(c.name, c.status, c.message) for c in a.checks]
        assert a.score == (a.max_score if honest else 0), (details, a.output)
        assert b.score == b.max_score, [(c.name, c.status, c.message) for c in b.checks]
        time.sleep(0.2)
        assert _leftovers() == []
        assert _digest() == before
        return a, b

    return run


# Answers on disk, where a deny-list of the reference folder and .git does not look.

FINDER = """
import glob, os, zlib

def _find(paths, patterns, worktrees):
    sources = []
    for path in paths + [p for pattern in patterns for p in sorted(glob.glob(pattern))]:
        try:
            sources.append(open(path).read())
        except OSError:
            pass
    for worktree in worktrees:  # a git worktree's .git is a file naming its real store
        try:
            gitdir = open(os.path.join(worktree, ".git")).read().split("gitdir:", 1)[1].strip()
            common = os.path.normpath(os.path.join(gitdir, open(os.path.join(gitdir, "commondir")).read().strip()))
            for blob in glob.glob(os.path.join(common, "objects", "??", "*")):
                data = zlib.decompress(open(blob, "rb").read())
                if data.startswith(b"blob ") and b"def add_one" in data:
                    sources.append(data.split(b"\\0", 1)[1].decode())
        except (OSError, IndexError, zlib.error):
            pass
    for source in sources:
        namespace = {}
        try:
            exec(source, namespace)
            return namespace["add_one"], namespace["total"]
        except Exception:
            pass
    return None
"""


@pytest.fixture
def answer_copies(tmp_path):
    """``(paths, patterns, worktrees)``: copies of toy_a's reference that the deny-list leaves visible."""
    elsewhere = tmp_path / "elsewhere/solutions/toy_a.py"  # a copy under the host's /tmp
    checkout = tmp_path / "second-checkout/tests/plugins/toy_solutions/toy_a.py"  # another checkout
    build = ROOT / "build"
    made_build = not build.exists()
    built = build / f"lib/solutions-{uuid.uuid4().hex[:8]}/toy_a.py"  # a build tree in the repository
    for path in (elsewhere, checkout, built):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(ANSWER)
    worktrees = []
    if shutil.which("git"):
        repo, worktree = tmp_path / "repo", tmp_path / "worktree"
        git = ["git", "-c", "user.name=t", "-c", "user.email=t@example.org", "-c", "init.defaultBranch=main"]
        repo.mkdir()
        (repo / "toy_a.py").write_text(ANSWER)
        for args in (
            ["init", "-q"],
            ["add", "toy_a.py"],
            ["commit", "-qm", "answers"],
            ["worktree", "add", "-q", str(worktree)],
        ):
            subprocess.run(git + args, cwd=repo, check=True, capture_output=True)
        (worktree / "toy_a.py").unlink()  # only the object store holds the answer now
        worktrees.append(str(worktree))
    patterns = [
        str(ROOT.parent / "*/tests/plugins/toy_solutions/toy_a.py"),
        "/work/*/tests/plugins/toy_solutions/toy_a.py",
    ]
    try:
        yield [str(elsewhere), str(checkout), str(built)], patterns, worktrees
    finally:
        shutil.rmtree(build if made_build else built.parent)


def test_the_copies_give_the_answer_without_a_sandbox(answer_copies):
    """The attack below is real: on the host, every way it looks finds the reference."""
    namespace: dict = {}
    exec(FINDER, namespace)
    paths, patterns, worktrees = answer_copies
    for found in [namespace["_find"]([p], [], []) for p in paths] + [
        namespace["_find"]([], [], [w]) for w in worktrees
    ]:
        assert found is not None and found[1]([1.0, 2.0]) == 3.0


@needs_namespaces
def test_finds_answers_in_other_copies(graded, answer_copies):
    paths, patterns, worktrees = answer_copies
    a, _ = graded(
        FINDER
        + f"""
FOUND = _find({paths!r}, {patterns!r}, {worktrees!r})
print("found the answers" if FOUND else "found nothing")

def add_one(x):
    return FOUND[0](x) if FOUND else x

def total(x):
    return FOUND[1](x) if FOUND else -1.0
"""
    )
    assert "found nothing" in a.output


@needs_namespaces
def test_imports_torch_in_a_numpy_exercise(graded):
    a, _ = graded(
        """
        def add_one(x):
            t = __import__("to" + "rch")
            return (t.as_tensor(x) + 1).numpy()
        def total(x):
            import importlib
            return float(importlib.import_module("to" + "rch").as_tensor(x).sum())
        """
    )
    assert "ModuleNotFoundError" in a.checks[0].message


# IPC objects and sockets.

SYSV = """
import ctypes
libc = ctypes.CDLL(None, use_errno=True)
KEY = {key}
if libc.shmget(KEY, 0, 0) != -1 or libc.msgget(KEY, 0) != -1 or libc.semget(KEY, 0, 0) != -1:
    print("found a segment from an earlier sandbox")
shm = libc.shmget(KEY, 1 << 16, 0o1000 | 0o666)
libc.shmat.restype = ctypes.c_void_p
address = libc.shmat(shm, None, 0)
if address not in (None, ctypes.c_void_p(-1).value):
    ctypes.memmove(address, b"answers for the next student", 28)
libc.msgget(KEY, 0o1000 | 0o666)
libc.semget(KEY, 1, 0o1000 | 0o666)

def add_one(x):
    return x

total = add_one
"""


@needs_namespaces
def test_leaves_sysv_ipc_objects_behind(graded):
    key = int.from_bytes(uuid.uuid4().bytes[:3], "big") + 0x10000
    try:
        for _ in range(2):  # the second run must not find what the first left
            a, _ = graded(SYSV.format(key=key))
            assert "found a segment" not in a.output
            assert not any(key in keys for keys in _ipc_keys().values()), "an IPC object was left on the host"
    finally:  # when the test fails, do not leave the objects behind either
        libc = ctypes.CDLL(None, use_errno=True)
        for ident, remove in ((libc.shmget(key, 0, 0), libc.shmctl), (libc.msgget(key, 0), libc.msgctl)):
            if ident != -1:
                remove(ident, 0, None)
        if (ident := libc.semget(key, 0, 0)) != -1:
            libc.semctl(ident, 0, 0)


@pytest.fixture
def host_sockets(tmp_path):
    """Listening unix sockets of the host: in a temp folder, in /run if writable, and an abstract one."""
    made = []
    for address in (
        str(tmp_path / "host.sock"),
        f"/run/grader-test-{uuid.uuid4().hex[:8]}.sock",
        f"\0grader-test-{uuid.uuid4().hex}",
    ):
        server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            server.bind(address)
        except OSError:  # /run is not writable here
            server.close()
            continue
        server.listen()
        made.append((address, server))
    yield made
    for address, server in made:
        server.close()
        if not address.startswith("\0"):
            Path(address).unlink(missing_ok=True)


@needs_namespaces
def test_connects_to_a_host_unix_socket(graded, host_sockets):
    addresses = [address for address, _ in host_sockets]
    a, _ = graded(
        f"""
        import socket
        for address in {addresses!r}:
            try:
                with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
                    s.settimeout(1)
                    s.connect(address)
                    s.sendall(b"let me in")
                    print("connected to", repr(address))
            except OSError as exc:
                print("refused", type(exc).__name__)
        def add_one(x):
            return x
        total = add_one
        """
    )
    assert "connected to" not in a.output
    for address, server in host_sockets:
        assert select.select([server], [], [], 0)[0] == [], f"a connection reached {address!r}"


def test_honest_code_may_use_dev_null_and_tmp(graded):
    graded(
        """
        import getpass, os, tempfile, time
        import numpy as np

        def add_one(x):
            with open(os.devnull, "w") as log:  # silenced debugging output
                print("debug:", x, time.strftime("%H:%M"), getpass.getuser(), file=log)
            with tempfile.TemporaryDirectory() as folder:
                path = os.path.join(folder, "x.npy")
                np.save(path, np.asarray(x, dtype=np.float64) + 1.0)
                return np.load(path)

        def total(x):
            with open("/dev/zero", "rb") as zero:
                start = float(len(zero.read(0)))
            return start + float(np.sum(x))
        """,
        honest=True,
    )
