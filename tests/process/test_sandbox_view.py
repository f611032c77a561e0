"""Every protection the sandbox reports as active holds against a real attempt.

For each name in ``sandbox.PROTECTIONS`` there is one attempt to break it.
Where :func:`sandbox.detect` says the protection is active here, the attempt
runs in a real sandbox (``enter``, fork, ``confine_student``, as the grader
does) and the test fails if it gets through. A protection without an attempt
fails the first test, so a new protection cannot be reported untested.
"""

from __future__ import annotations

import ctypes
import json
import os
import select
import socket
import sys
import textwrap
import time
import traceback
import uuid
from dataclasses import replace
from pathlib import Path

import pytest

from grader.process import cgroups, lifecycle, sandbox, view

ROOT = Path(__file__).resolve().parents[2]
HIDDEN = (str(ROOT / "solutions"), str(ROOT / "tests/plugins/toy_solutions"))
PLAN = sandbox.Plan(
    view=view.view_paths(["grader", "tests.plugins.toy"]),
    hide=HIDDEN + view.torch_paths(),
    memory_limit_mb=128,
)
ACTIVE = sandbox.detect(PLAN)
HOST_PID = os.getpid()
IPC_CREAT = 0o1000
IPC_RMID = 0

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="Linux only")


def in_sandbox(attempt, *args, plan: sandbox.Plan = PLAN, groups: bool = False):
    """Run ``attempt(*args)`` in a sandboxed process; return what it returned.

    The attempt returns ``None`` when the protection held, else a description
    of the breach; an exception it raises comes back as a breach too.
    """
    if groups:
        plan = replace(plan, cgroups=cgroups.create(f"view-test-{uuid.uuid4().hex[:8]}", 512 * 2**20))
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - runs in the sandbox
        try:
            os.close(read_fd)
            active, pid_namespace = sandbox.enter(plan)
            inner = os.fork()
            if inner == 0:
                try:
                    sandbox.confine_student(plan, active, pid_namespace)
                    result = attempt(*args)
                except BaseException:
                    result = "the attempt crashed: " + traceback.format_exc(limit=3)
                os.write(write_fd, json.dumps(result).encode())
                os._exit(0)
            os.close(write_fd)
            os.waitpid(inner, 0)
        finally:
            os._exit(0)
    os.close(write_fd)
    try:
        ready, _, _ = select.select([read_fd], [], [], 60)
        data = os.read(read_fd, 1 << 20) if ready else b""
        if ready:
            while chunk := os.read(read_fd, 1 << 20):
                data += chunk
    finally:
        os.close(read_fd)
        lifecycle.kill_and_reap(pid)
        cgroups.remove(plan.cgroups)
    assert data, "the sandboxed attempt sent nothing back"
    return json.loads(data)


def _libc():
    return ctypes.CDLL(None, use_errno=True)


def _raises(call) -> str | None:
    """``None`` when ``call()`` raises OSError (or ImportError), else what it returned."""
    try:
        value = call()
    except (OSError, ImportError):
        return None
    return f"{call.__doc__ or 'call'} succeeded: {value!r}"[:300]


# The attempts, one per protection. Each runs in the sandbox.


def attempt_separate_process():
    sys.modules["grader.process.sandbox"].PROTECTIONS = ()  # only this process's copy changes
    os.environ["GRADER_TEST_PWNED"] = "1"
    return None if os.getpid() != HOST_PID else "the attempt runs in the test's own process"


def attempt_output_capped(limit):
    with open("/tmp/big", "wb") as f:
        try:
            for _ in range(4):
                f.write(b"x" * limit)
                f.flush()
        except OSError:
            pass
    size = os.path.getsize("/tmp/big")
    return None if size <= limit else f"wrote {size} bytes"


def attempt_stdin_closed():
    ready, _, _ = select.select([0], [], [], 1.0)
    if not ready:
        return "reading standard input would block"
    return None if os.read(0, 10) == b"" else "standard input has data"


def attempt_memory_cap(megabytes):
    try:
        hog = bytearray(megabytes * 2**20)
    except MemoryError:
        return None
    return f"allocated {len(hog) >> 20} MiB"


def attempt_processes_confined(host_pid):
    seen = sorted(int(p) for p in os.listdir("/proc") if p.isdigit())
    if os.getpid() != 1:
        return f"the student's process is {os.getpid()}, not PID 1 of a new namespace"
    try:
        os.kill(host_pid, 0)
        return f"the test process {host_pid} is visible"
    except ProcessLookupError:
        pass
    return None if seen == [1] else f"/proc shows {seen}"


def attempt_no_network(port, abstract):
    breaches = []
    for address in (("127.0.0.1", port), ("::1", port)):
        try:
            socket.create_connection(address, timeout=1).close()
            breaches.append(f"connected to {address}")
        except OSError:
            pass
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        try:
            s.connect(abstract)
            breaches.append("connected to a host abstract unix socket")
        except OSError:
            pass
    return "; ".join(breaches) or None


def attempt_read_only(targets):
    breaches = []
    for target in targets:
        try:
            with open(target, "a") as f:
                f.write("pwned\n")
            breaches.append(f"wrote {target}")
        except OSError:
            pass
    for folder in ("/", "/usr", os.path.dirname(sandbox.__file__)):
        try:
            os.mkdir(os.path.join(folder, "pwned-dir"))
            breaches.append(f"made a folder in {folder}")
        except OSError:
            pass
    with open("/tmp/scratch", "w") as f:  # the scratch folder stays writable
        f.write("fine")
    return "; ".join(breaches) or None


def attempt_references_hidden(
    paths, modules=("solutions.diy_model", "tests.plugins.toy_solutions.toy_a", "to" + "rch")
):
    import importlib

    breaches = [_raises(lambda p=p: open(p).read(50)) for p in paths]
    for name in modules:
        breaches.append(_raises(lambda n=name: importlib.import_module(n).__file__))
    return "; ".join(b for b in breaches if b) or None


def attempt_privileges():
    libc = _libc()
    status = dict(line.split(":", 1) for line in open("/proc/self/status").read().splitlines() if ":" in line)
    breaches = []
    for field in ("CapEff", "CapPrm", "CapBnd"):
        if int(status[field], 16):
            breaches.append(f"{field} is {status[field].strip()}")
    if status["NoNewPrivs"].strip() != "1":
        breaches.append("no_new_privs is not set")
    if libc.mount(b"none", b"/tmp", b"tmpfs", 0, None) == 0:
        breaches.append("mounted a file system")
    return "; ".join(breaches) or None


def attempt_process_count():
    started = 0
    try:
        for _ in range(1000):
            if os.fork() == 0:
                time.sleep(60)
                os._exit(0)
            started += 1
    except OSError:
        pass
    return None if started < 200 else f"forked {started} processes"


def attempt_view(paths, sockets, allowed):
    breaches = [_raises(lambda p=p: open(p).read(20)) for p in paths]
    for path in sockets:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
            try:
                s.connect(path)
                breaches.append(f"connected to {path}")
            except OSError:
                pass
    top = set(os.listdir("/"))
    if top - set(allowed):
        breaches.append(f"unexpected entries at the top: {sorted(top - set(allowed))}")
    for gone in ("/run", "/var/run", "/sys", "/dev/shm"):
        if os.path.exists(gone):
            breaches.append(f"{gone} is visible")
    os.chdir("/")
    for _ in range(5):
        os.chdir("..")
    if os.listdir(".") != os.listdir("/") or os.getcwd() != "/":
        breaches.append("climbed above the root")
    # What must work: /dev/null, /dev/zero, /dev/urandom, /proc/self.
    with open("/dev/null", "w") as f:
        f.write("honest debugging output")
    if open("/dev/zero", "rb").read(4) != b"\0\0\0\0" or len(open("/dev/urandom", "rb").read(8)) != 8:
        breaches.append("the harmless devices do not work")
    if not os.path.exists(os.readlink("/proc/self/exe")):
        breaches.append("/proc/self does not work")
    return "; ".join(b for b in breaches if b) or None


def attempt_ipc(host_key, own_key):
    libc = _libc()
    breaches = []
    if libc.shmget(host_key, 0, 0) != -1:
        breaches.append("sees the host's shared memory segment")
    if libc.msgget(host_key, 0) != -1:
        breaches.append("sees the host's message queue")
    if libc.shmget(own_key, 4096, IPC_CREAT | 0o600) == -1:  # left behind on purpose
        breaches.append(f"could not even create a segment (errno {ctypes.get_errno()})")
    if libc.msgget(own_key, IPC_CREAT | 0o600) == -1:
        breaches.append("could not create a message queue")
    return "; ".join(breaches) or None


def test_every_protection_has_an_attempt():
    assert set(ATTEMPTS) == set(sandbox.PROTECTIONS)


def _skip_unless_active(name):
    if not ACTIVE[name]:
        pytest.skip(f"{name!r} is not active here")


def test_separate_process():
    _skip_unless_active("separate process")
    assert in_sandbox(attempt_separate_process) is None
    assert sandbox.PROTECTIONS and "GRADER_TEST_PWNED" not in os.environ


def test_output_capped():
    _skip_unless_active("output capped")
    assert in_sandbox(attempt_output_capped, PLAN.output_limit) is None


def test_stdin_closed():
    _skip_unless_active("stdin closed")
    assert in_sandbox(attempt_stdin_closed) is None


def test_memory_cap():
    _skip_unless_active("memory cap")
    assert in_sandbox(attempt_memory_cap, PLAN.memory_limit_mb * 4, groups=True) is None


def test_processes_confined():
    _skip_unless_active("processes confined")
    assert in_sandbox(attempt_processes_confined, HOST_PID) is None


def test_no_network():
    _skip_unless_active("no network")
    abstract = f"\0grader-view-test-{uuid.uuid4().hex}"
    with socket.create_server(("127.0.0.1", 0)) as tcp, socket.socket(socket.AF_UNIX) as unix:
        unix.bind(abstract)
        unix.listen()
        assert in_sandbox(attempt_no_network, tcp.getsockname()[1], abstract) is None
        for server in (tcp, unix):
            assert select.select([server], [], [], 0)[0] == [], "a connection reached the host"


def test_read_only_file_system():
    _skip_unless_active("read-only file system")
    mark = uuid.uuid4().hex[:8]
    existing = ROOT / f"grader/view-test-{mark}.txt"  # a file in the view that the test owns
    existing.write_text("unchanged\n")
    targets = [str(existing), os.path.join(sys.prefix, f"pwned-{mark}.txt"), f"/usr/pwned-{mark}.txt"]
    try:
        assert in_sandbox(attempt_read_only, targets) is None
        assert existing.read_text() == "unchanged\n"
        assert not any(Path(t).exists() for t in targets[1:])
        assert not Path("/usr/pwned-dir").exists() and not (ROOT / "grader/pwned-dir").exists()
    finally:
        for target in targets:
            Path(target).unlink(missing_ok=True)


def test_references_hidden():
    _skip_unless_active("references hidden")
    paths = [str(ROOT / "solutions/diy_model.py"), str(ROOT / "tests/plugins/toy_solutions/toy_a.py")]
    assert all(Path(p).is_file() for p in paths)  # visible to the test itself
    assert in_sandbox(attempt_references_hidden, paths) is None


def test_privileges_dropped():
    _skip_unless_active("privileges dropped")
    assert in_sandbox(attempt_privileges) is None


def test_process_count_capped():
    _skip_unless_active("process count capped")
    assert in_sandbox(attempt_process_count, groups=True) is None


@pytest.fixture
def host_socket(tmp_path):
    """``(paths, servers)``: listening unix sockets in a temp folder and, if writable, /run."""
    paths, servers = [], []
    for folder in (tmp_path, Path("/run")):
        server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        path = folder / f"grader-view-{uuid.uuid4().hex[:8]}.sock"
        try:
            server.bind(str(path))
        except OSError:
            server.close()
            continue
        server.listen()
        paths.append(str(path))
        servers.append(server)
    yield paths, servers
    for server, path in zip(servers, paths):
        server.close()
        os.unlink(path)


def test_allow_list_view(tmp_path, host_socket):
    _skip_unless_active("allow-list file system view")
    secret = tmp_path / "answers.py"
    secret.write_text("ANSWER = 42\n")
    copy = ROOT / f"build-view-test-{uuid.uuid4().hex[:8]}" / "lib/solutions/diy_model.py"
    copy.parent.mkdir(parents=True)
    try:
        copy.write_text((ROOT / "solutions/diy_model.py").read_text())
        paths = [str(secret), str(copy), str(ROOT / "README.md"), str(ROOT / "pyproject.toml"), "/etc/hostname"]
        paths = [p for p in paths if Path(p).is_file()]
        assert str(secret) in paths and str(copy) in paths
        allowed = {"dev", "proc", "tmp", "etc"} | {p.strip("/").split("/")[0] for p in PLAN.view if os.path.lexists(p)}
        assert in_sandbox(attempt_view, paths, host_socket[0], sorted(allowed)) is None
    finally:
        copy.unlink()
        for folder in (copy.parent, copy.parent.parent, copy.parent.parent.parent):
            folder.rmdir()
    for server in host_socket[1]:
        assert select.select([server], [], [], 0)[0] == [], "a connection reached a host socket"


def attempt_under_tmp(module, secret):
    breaches = []
    if "VISIBLE" not in open(module).read():
        breaches.append("the bound module is not readable")
    breaches.append(_raises(lambda: open(secret).read()))
    breaches.append(_raises(lambda: open(module, "a")))
    breaches.append(_raises(lambda: open(os.path.join(os.path.dirname(module), "new.py"), "w")))
    with open("/tmp/grader-view-scratch-file", "w") as f:
        f.write("the private /tmp stays writable")
    return "; ".join(b for b in breaches if b) or None


def test_a_view_path_under_tmp_stays_visible(tmp_path):
    """A virtual environment under /tmp: bound inside the private /tmp, read-only, and alone."""
    if not ACTIVE["allow-list file system view"]:
        pytest.skip("no view here")
    package = tmp_path / "venv/pkg"
    package.mkdir(parents=True)
    (package / "mod.py").write_text("VISIBLE = True\n")
    (tmp_path / "secret.txt").write_text("not for students\n")
    plan = replace(PLAN, view=PLAN.view + (str(package),))
    assert in_sandbox(attempt_under_tmp, str(package / "mod.py"), str(tmp_path / "secret.txt"), plan=plan) is None
    assert sorted(p.name for p in package.iterdir()) == ["mod.py"]
    assert not Path("/tmp/grader-view-scratch-file").exists()


def _host_keys(kind: str) -> set[int]:
    with open(f"/proc/sysvipc/{kind}") as f:
        return {int(line.split()[0]) for line in f.readlines()[1:]}


def test_no_ipc_with_the_host():
    _skip_unless_active("no IPC with the host")
    libc = _libc()
    host_key, own_key = (int.from_bytes(os.urandom(3), "big") + 0x1000 for _ in range(2))
    shm = libc.shmget(host_key, 4096, IPC_CREAT | 0o600)
    msg = libc.msgget(host_key, IPC_CREAT | 0o600)
    assert shm != -1 and msg != -1
    try:
        assert in_sandbox(attempt_ipc, host_key, own_key) is None
        assert own_key not in _host_keys("shm") and own_key not in _host_keys("msg")
        # A second sandbox does not see what the first left behind either.
        assert in_sandbox(attempt_ipc, own_key, own_key + 1) is None
    finally:
        libc.shmctl(shm, IPC_RMID, None)
        libc.msgctl(msg, IPC_RMID, None)


def test_time_limits(tmp_path):
    """The grader's deadline stops code that never returns (through a real grading run)."""
    _skip_unless_active("time limits")
    from grader.grading import grade
    from grader.manager import collect_exercises, get_plugin_manager

    pm = get_plugin_manager(["no:grader.reporters.terminal", "tests.plugins.toy"])
    (tmp_path / "toy_a.py").write_text(
        textwrap.dedent("""
        def add_one(x):
            while True:
                pass
        total = add_one
    """)
    )
    started = time.monotonic()
    report = grade(pm, [collect_exercises(pm)["toy_a"]], tmp_path, "cpu")
    assert {c.name: c.status for c in report.exercises[0].checks}["add_one"] == "timeout"
    assert time.monotonic() - started < 60


ATTEMPTS = {
    "separate process": test_separate_process,
    "time limits": test_time_limits,
    "output capped": test_output_capped,
    "stdin closed": test_stdin_closed,
    "memory cap": test_memory_cap,
    "processes confined": test_processes_confined,
    "no network": test_no_network,
    "read-only file system": test_read_only_file_system,
    "references hidden": test_references_hidden,
    "privileges dropped": test_privileges_dropped,
    "process count capped": test_process_count_capped,
    "allow-list file system view": test_allow_list_view,
    "no IPC with the host": test_no_ipc_with_the_host,
}


def test_the_view_costs_milliseconds():
    """Assembling the view binds folders and copies nothing: one sandbox in well under a second."""
    if not ACTIVE["allow-list file system view"]:
        pytest.skip("no view here")
    started = time.perf_counter()
    for _ in range(5):
        assert in_sandbox(lambda: None) is None
    assert (time.perf_counter() - started) / 5 < 0.5


@pytest.mark.parametrize("broken", ["no folder to build on", "pivot_root fails"])
def test_a_view_that_cannot_be_set_up_falls_back_to_the_deny_list(monkeypatch, broken):
    """The report then says so, and the deny-list's protections still hold."""
    if not ACTIVE["allow-list file system view"]:
        pytest.skip("no view here")
    if broken == "no folder to build on":
        monkeypatch.setattr(sandbox.rootfs, "BASES", ())
    else:
        monkeypatch.setattr(sandbox.rootfs, "SYS_PIVOT_ROOT", {})
    active = sandbox.detect(PLAN)
    assert not active["allow-list file system view"]
    assert active["read-only file system"] and active["references hidden"] and active["processes confined"]
    paths = [str(ROOT / "solutions/diy_model.py")]
    # (The deny-list leaves hidden packages as empty namespace packages: only real modules fail.)
    assert in_sandbox(attempt_references_hidden, paths, ["solutions.diy_model"]) is None
    assert in_sandbox(attempt_processes_confined, HOST_PID) is None
