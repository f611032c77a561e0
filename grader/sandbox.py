"""Confine a forked child before it runs student code (Linux namespaces).

The grader forks a child per exercise. That child calls :func:`enter`, which,
where the kernel allows, puts it in new user, mount, network and PID
namespaces, covers the reference solutions with empty file systems, makes
the whole file system read-only (a private ``/tmp`` excepted), and then
forks the process that runs the student's code as PID 1 of the new PID
namespace. When that process ends, the kernel kills every process left in
the namespace, including any that called ``setsid``. The student's process
then sets resource limits and drops every capability.

Each step reports whether it worked; :func:`detect` runs them once in a
throw-away child so that reports can say which protections are active. On a
system without namespaces (macOS, locked-down Linux) grading still runs in a
separate process with time and output limits, and the report says what is
missing.
"""

from __future__ import annotations

import ctypes
import os
import platform
import resource
import signal
import sys
import tempfile
from dataclasses import dataclass, replace

from grader import cgroups

CLONE_NEWNS = 0x00020000
CLONE_NEWUSER = 0x10000000
CLONE_NEWPID = 0x20000000
CLONE_NEWNET = 0x40000000
MS_RDONLY = 0x1
MS_NOSUID = 0x2
MS_NODEV = 0x4
MS_NOEXEC = 0x8
MS_REC = 0x4000
MS_PRIVATE = 1 << 18
MOUNT_ATTR_RDONLY = 0x1
MOUNT_ATTR_NOSUID = 0x2
MOUNT_ATTR_NODEV = 0x4
AT_FDCWD = -100
AT_RECURSIVE = 0x8000
PR_SET_PDEATHSIG = 1
PR_SET_DUMPABLE = 4
PR_CAPBSET_DROP = 24
PR_SET_NO_NEW_PRIVS = 38
SYS_MOUNT_SETATTR = 442  # the same number on x86_64 and aarch64

PROTECTIONS = (
    "separate process",
    "time limits",
    "output capped",
    "stdin closed",
    "memory cap",
    "processes confined",
    "no network",
    "read-only file system",
    "references hidden",
    "privileges dropped",
    "process count capped",
)


@dataclass(frozen=True)
class Plan:
    """What to confine a student's process to.

    Attributes:
        hide: Folders to cover with an empty file system (the reference
            solutions, version-control history).
        memory_limit_mb: Memory the student's process may add to what it
            inherits (address-space limit); 0 for none.
        output_limit: Bytes the student's process may write to files.
        tmp_size_mb: Size of the private ``/tmp``.
        cgroups: Control-group folders to join (see ``grader.cgroups``):
            they cap the process count and total memory of everything the
            sandbox starts.
    """

    hide: tuple[str, ...] = ()
    memory_limit_mb: int = 2048
    output_limit: int = 1 << 20
    tmp_size_mb: int = 64
    cgroups: tuple[str, ...] = ()


def _libc():
    if sys.platform != "linux":
        return None
    try:
        return ctypes.CDLL(None, use_errno=True)
    except OSError:  # pragma: no cover
        return None


def _check(result: int, what: str) -> None:
    if result != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"{what}: {os.strerror(err)}")


def _write(path: str, text: str) -> None:
    with open(path, "w") as f:
        f.write(text)


def _mount(libc, source, target, fstype, flags, data=None) -> None:
    _check(
        libc.mount(
            source.encode() if source else None,
            target.encode(),
            fstype.encode() if fstype else None,
            ctypes.c_ulong(flags),
            data.encode() if data else None,
        ),
        f"mount {target}",
    )


class _MountAttr(ctypes.Structure):
    _fields_ = [
        ("attr_set", ctypes.c_uint64),
        ("attr_clr", ctypes.c_uint64),
        ("propagation", ctypes.c_uint64),
        ("userns_fd", ctypes.c_uint64),
    ]


def _readonly_tree(libc) -> None:
    attr = _MountAttr(MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV, 0, 0, 0)
    _check(
        libc.syscall(
            ctypes.c_long(SYS_MOUNT_SETATTR),
            ctypes.c_int(AT_FDCWD),
            b"/",
            ctypes.c_uint(AT_RECURSIVE),
            ctypes.byref(attr),
            ctypes.c_size_t(ctypes.sizeof(attr)),
        ),
        "mount_setattr",
    )


def enter(plan: Plan) -> tuple[dict, bool]:
    """Confine the calling (forked, single-threaded) process.

    Must be followed by a ``fork``: the PID namespace applies to children.

    Returns:
        ``(protections, pid_namespace)``: which protections are now active,
        and whether the next child will be PID 1 of a new PID namespace.
    """
    active = dict.fromkeys(PROTECTIONS, False)
    active.update({"separate process": True, "time limits": True, "output capped": True})
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.close(devnull)
    active["stdin closed"] = True
    active["process count capped"] = cgroups.join(plan.cgroups)  # before the user namespace
    libc = _libc()
    if libc is None:
        return active, False
    libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    libc.prctl(PR_SET_DUMPABLE, 1)  # undo shield_memory (writing our own uid_map needs it)
    if os.environ.get("GRADER_SANDBOX", "").lower() in ("0", "off", "no"):
        return active, False
    uid, gid = os.getuid(), os.getgid()
    flags = CLONE_NEWNS | CLONE_NEWNET | CLONE_NEWPID
    if libc.unshare(CLONE_NEWUSER | flags) == 0:
        try:
            _write("/proc/self/setgroups", "deny")
            _write("/proc/self/uid_map", f"{uid} {uid} 1")
            _write("/proc/self/gid_map", f"{gid} {gid} 1")
        except OSError:
            return active, True
    elif libc.unshare(flags) != 0:
        return active, False
    active["no network"] = True
    active["processes confined"] = True
    try:
        _mount(libc, None, "/", None, MS_REC | MS_PRIVATE)
        for folder in plan.hide:
            if os.path.isdir(folder):
                _mount(libc, "tmpfs", folder, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "size=4k,mode=555")
        active["references hidden"] = True
        _readonly_tree(libc)
        active["read-only file system"] = True
        scratch = scratch_folder()
        _mount(libc, "tmpfs", scratch, "tmpfs", MS_NOSUID | MS_NODEV, f"size={plan.tmp_size_mb}m,mode=1777")
        os.environ["TMPDIR"] = scratch
        tempfile.tempdir = scratch
    except OSError:
        pass
    return active, True


def scratch_folder() -> str:
    """Where the student's private writable tmpfs goes.

    ``/tmp``, unless the interpreter or its import path lives there (a
    virtual environment in /tmp): covering it would hide installed modules
    that torch imports lazily, so ``/dev/shm`` is used instead.
    """
    needed = [sys.prefix, sys.base_prefix, os.getcwd(), *(p for p in sys.path if p)]
    for path in needed:
        real = os.path.realpath(path)
        if real == "/tmp" or real.startswith("/tmp/"):
            return "/dev/shm"
    return "/tmp"


def die_with_parent() -> None:
    """Ask the kernel to kill this process when its parent dies (Linux only)."""
    libc = _libc()
    if libc is not None:
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


def kill_and_reap(pid: int) -> None:
    """SIGKILL a child process (if still there) and wait for it."""
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    os.waitpid(pid, 0)


def shield_memory() -> None:
    """Make the grader's memory unreadable through /proc and ptrace.

    A non-dumpable process's ``/proc/PID/mem`` is off limits to processes
    without ``CAP_SYS_PTRACE``, which student processes never have: this
    matters where there is no PID namespace to hide the grader in. Forked
    processes inherit the setting; the sandbox undoes it for its own.
    """
    libc = _libc()
    if libc is not None:
        libc.prctl(PR_SET_DUMPABLE, 0)


def confine_student(plan: Plan, active: dict, pid_namespace: bool) -> dict:
    """Last steps, in the process that will run student code.

    Mounts a ``/proc`` for the new PID namespace, sets resource limits and
    drops every privilege. Returns the updated ``active`` mapping.
    """
    active = dict(active)
    libc = _libc()
    if libc is not None and pid_namespace and active["read-only file system"]:
        try:
            _mount(libc, "proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_RDONLY)
        except OSError:
            pass
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    _limit(resource.RLIMIT_CORE, 0)
    _limit(resource.RLIMIT_FSIZE, plan.output_limit)
    _limit(resource.RLIMIT_NOFILE, 256)
    if plan.memory_limit_mb:
        active["memory cap"] = _limit(
            resource.RLIMIT_AS, _address_space() + plan.memory_limit_mb * 2**20
        )
    active["memory cap"] = active["memory cap"] or active["process count capped"]
    if libc is not None:
        active["privileges dropped"] = _drop_privileges(libc)
    return active


def _limit(which: int, value: int) -> bool:
    try:
        soft, hard = resource.getrlimit(which)
        if hard != resource.RLIM_INFINITY:
            value = min(value, hard)
        resource.setrlimit(which, (value, value))
        return True
    except (ValueError, OSError):
        return False


def _address_space() -> int:
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmSize:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


class _CapHeader(ctypes.Structure):
    _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]


class _CapData(ctypes.Structure):
    _fields_ = [
        ("effective", ctypes.c_uint32),
        ("permitted", ctypes.c_uint32),
        ("inheritable", ctypes.c_uint32),
    ]


def _drop_privileges(libc) -> bool:
    if libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
        return False
    for cap in range(64):
        libc.prctl(PR_CAPBSET_DROP, cap, 0, 0, 0)
    header = _CapHeader(0x20080522, 0)
    data = (_CapData * 2)()
    return libc.capset(ctypes.byref(header), data) == 0


def detect(plan: Plan) -> dict:
    """Which protections a student's process gets here (forks a test child)."""
    groups = cgroups.create("detect", 256 * 2**20)
    try:
        return _detect(replace(plan, cgroups=groups))
    finally:
        cgroups.remove(groups)


def _detect(plan: Plan) -> dict:
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - runs in the child
        code = 1
        try:
            os.close(read_fd)
            active, pid_ns = enter(plan)
            inner = os.fork()
            if inner == 0:
                active = confine_student(plan, active, pid_ns)
                os.write(write_fd, ",".join(k for k, v in active.items() if v).encode())
                os._exit(0)
            os.waitpid(inner, 0)
            code = 0
        finally:
            os._exit(code)
    os.close(write_fd)
    with os.fdopen(read_fd, "rb") as f:
        names = f.read().decode().split(",")
    os.waitpid(pid, 0)
    return {name: name in names for name in PROTECTIONS}


def note(protections: dict) -> str:
    """Why protections are missing, in one line for reports (empty when all are active)."""
    reasons = []
    if sys.platform != "linux":
        reasons.append(f"{platform.system()} has no Linux namespaces: submissions are isolated by process only")
    elif os.environ.get("GRADER_SANDBOX", "").lower() in ("0", "off", "no"):
        reasons.append("namespaces are switched off by GRADER_SANDBOX=off")
    elif not protections.get("processes confined"):
        reasons.append("this kernel refused new namespaces (unprivileged user namespaces disabled?)")
    elif not all(v for k, v in protections.items() if k != "process count capped"):
        reasons.append("some protections could not be set up on this system")
    if sys.platform == "linux" and not protections.get("process count capped"):
        reasons.append("no control group could be created (needs root or a delegated cgroup)")
    return "; ".join(reasons)
