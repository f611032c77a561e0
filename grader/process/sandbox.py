"""Confine a forked child before it runs student code (Linux namespaces).

The grader forks a child per exercise. That child calls :func:`enter`, which,
where the kernel allows, puts it in new user, mount, network, PID, IPC and
UTS namespaces and assembles an allow-list view of the file system: a new
root holding only read-only bind mounts of the paths in ``Plan.view`` (the
Python installation, system libraries, the plugins' packages; see
``grader.process.view`` and ``grader.process.rootfs``) and a private ``/tmp``, with the
folders in ``Plan.hide`` cut out. It then forks the process that runs the
student's code as PID 1 of the new PID namespace; that process mounts its
``/proc`` in the new root and switches to it, so the host's files are out of
reach. When it ends, the kernel kills every process left in the namespace,
including any that called ``setsid``. The student's process then sets
resource limits and drops every capability.

A plan without a view gets the older deny-list: the hidden folders covered
with empty file systems and the whole tree made read-only.

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

from grader import policy
from grader.process import cgroups, rootfs
from grader.process.lifecycle import libc_handle

CLONE_NEWNS = 0x00020000
CLONE_NEWUTS = 0x04000000
CLONE_NEWIPC = 0x08000000
CLONE_NEWUSER = 0x10000000
CLONE_NEWPID = 0x20000000
CLONE_NEWNET = 0x40000000
PR_SET_PDEATHSIG = 1
PR_SET_DUMPABLE = 4
PR_CAPBSET_DROP = 24
PR_SET_NO_NEW_PRIVS = 38

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
    "allow-list file system view",
    "no IPC with the host",
)

#: The new root assembled by :func:`enter`, switched to by :func:`confine_student`.
_pending_root: str | None = None
#: ``(hide, number of loaded modules, names)`` found by :func:`select_hidden_modules` before the fork.
_selected: tuple[tuple[str, ...], int, list[str]] | None = None


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
        cgroups: Control-group folders to join (see ``grader.process.cgroups``):
            they cap the process count and total memory of everything the
            sandbox starts.
        view: Host paths the student's process may see (read-only, at the
            same place; see ``grader.process.view.view_paths``). Empty: the whole
            file system, read-only, minus ``hide`` (the older deny-list).
    """

    hide: tuple[str, ...] = ()
    memory_limit_mb: int = 2048
    output_limit: int = policy.FILE_BYTES
    tmp_size_mb: int = 64
    cgroups: tuple[str, ...] = ()
    view: tuple[str, ...] = ()


def _write(path: str, text: str) -> None:
    with open(path, "w") as f:
        f.write(text)


def enter(plan: Plan) -> tuple[dict, bool]:
    """Confine the calling (forked, single-threaded) process.

    Must be followed by a ``fork``, and the child must call
    :func:`confine_student`: the PID namespace applies to children, and the
    child switches to the new root.

    Returns:
        ``(protections, pid_namespace)``: which protections are now active,
        and whether the next child will be PID 1 of a new PID namespace.
    """
    global _pending_root
    _pending_root = None
    active = dict.fromkeys(PROTECTIONS, False)
    active.update({"separate process": True, "time limits": True, "output capped": True})
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.close(devnull)
    active["stdin closed"] = True
    active["process count capped"] = cgroups.join(plan.cgroups)  # before the user namespace
    libc = libc_handle()
    if libc is None:
        return active, False
    libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.environ.get("GRADER_SANDBOX", "").lower() in ("0", "off", "no"):
        return active, False  # stays non-dumpable: no other student's process may read or trace it
    libc.prctl(PR_SET_DUMPABLE, 1)  # undo shield_memory (writing our own uid_map needs it)
    uid, gid = os.getuid(), os.getgid()
    flags = CLONE_NEWNS | CLONE_NEWNET | CLONE_NEWPID | CLONE_NEWIPC | CLONE_NEWUTS
    if libc.unshare(CLONE_NEWUSER | flags) == 0:
        try:
            _write("/proc/self/setgroups", "deny")
            _write("/proc/self/uid_map", f"{uid} {uid} 1")
            _write("/proc/self/gid_map", f"{gid} {gid} 1")
        except OSError:
            return active, True
    elif libc.unshare(flags) != 0:
        libc.prctl(PR_SET_DUMPABLE, 0)  # no namespace to hide in: stay unreadable to other students
        return active, False
    active["no network"] = True
    active["processes confined"] = True
    active["no IPC with the host"] = True
    try:
        rootfs.mount(libc, None, "/", None, rootfs.MS_REC | rootfs.MS_PRIVATE)
    except OSError:
        return active, True
    if plan.view:
        try:
            _pending_root = rootfs.build(libc, plan.view, plan.hide, plan.tmp_size_mb)
            os.chdir(_pending_root)  # hold nothing of the old root once it is detached
            os.environ["TMPDIR"] = tempfile.tempdir = "/tmp"
            return active, True
        except OSError:
            _pending_root = None  # fall back to the deny-list below
    _deny_list(libc, plan, active)
    return active, True


def _deny_list(libc, plan: Plan, active: dict) -> None:
    """Cover ``plan.hide``, make every mount read-only and mount a private scratch folder."""
    try:
        for folder in plan.hide:
            if os.path.isdir(folder):
                rootfs.mount(
                    libc,
                    "tmpfs",
                    folder,
                    "tmpfs",
                    rootfs.MS_NOSUID | rootfs.MS_NODEV | rootfs.MS_NOEXEC,
                    "size=4k,mode=555",
                )
        active["references hidden"] = True
        rootfs.set_attributes(libc, "/", rootfs.MOUNT_ATTR_RDONLY | rootfs.MOUNT_ATTR_NOSUID | rootfs.MOUNT_ATTR_NODEV)
        active["read-only file system"] = True
        scratch = scratch_folder()
        rootfs.mount(
            libc, "tmpfs", scratch, "tmpfs", rootfs.MS_NOSUID | rootfs.MS_NODEV, f"size={plan.tmp_size_mb}m,mode=1777"
        )
        os.environ["TMPDIR"] = tempfile.tempdir = scratch
    except OSError:
        pass


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


def confine_student(plan: Plan, active: dict, pid_namespace: bool) -> dict:
    """Last steps, in the process that will run student code.

    Mounts a ``/proc`` for the new PID namespace, switches to the root that
    :func:`enter` assembled (if any), forgets modules loaded from hidden
    folders, sets resource limits and drops every privilege. Returns the
    updated ``active`` mapping.
    """
    active = dict(active)
    libc = libc_handle()
    if libc is not None and _pending_root is not None:
        try:
            rootfs.switch(libc, _pending_root, mount_proc=pid_namespace)
            active["allow-list file system view"] = True
            active["read-only file system"] = active["references hidden"] = True
        except OSError:  # still on the old root: protect it the older way
            libc.umount2(_pending_root.encode(), rootfs.MNT_DETACH)
            os.chdir("/")
            _deny_list(libc, plan, active)
    if (
        libc is not None
        and pid_namespace
        and active["read-only file system"]
        and not active["allow-list file system view"]
    ):
        try:
            rootfs.mount(
                libc, "proc", "/proc", "proc", rootfs.MS_NOSUID | rootfs.MS_NODEV | rootfs.MS_NOEXEC | rootfs.MS_RDONLY
            )
        except OSError:
            pass
    if active["references hidden"]:
        _forget_hidden_modules(plan.hide)
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    _limit(resource.RLIMIT_CORE, 0)
    _limit(resource.RLIMIT_FSIZE, plan.output_limit)
    _limit(resource.RLIMIT_NOFILE, policy.OPEN_FILES)
    if plan.memory_limit_mb:
        active["memory cap"] = _limit(resource.RLIMIT_AS, _address_space() + plan.memory_limit_mb * 2**20)
    active["memory cap"] = active["memory cap"] or active["process count capped"]
    if libc is not None:
        active["privileges dropped"] = _drop_privileges(libc)
    return active


def hidden_modules(hide: tuple[str, ...]) -> list[str]:
    """The names of the loaded modules whose file lies in one of the folders ``hide``."""
    prefixes = tuple(folder.rstrip("/") + "/" for folder in hide)
    if not prefixes:
        return []
    found = []
    for name, module in list(sys.modules.items()):
        filename = getattr(module, "__file__", None)
        if isinstance(filename, str) and filename.startswith(prefixes):
            found.append(name)
    return found


def select_hidden_modules(hide: tuple[str, ...]) -> None:
    """Find, before forking, the modules the next sandbox must forget (see :func:`confine_student`).

    Looking at every loaded module in the forked child writes each one's
    reference count, and so copies thousands of pages shared with the
    zygote: about 30 ms per student process once torch's lazily loaded
    modules are there. The zygote, whose pages are its own again once its
    previous child is gone, does it for next to nothing.
    """
    global _selected
    _selected = (hide, len(sys.modules), hidden_modules(hide))


def _forget_hidden_modules(hide: tuple[str, ...]) -> None:
    """Drop modules loaded from hidden folders, so that importing them reads the (empty) disk."""
    if _selected is not None and _selected[:2] == (hide, len(sys.modules)):
        names = _selected[2]  # nothing imported since the fork: the zygote's list holds
    else:
        names = hidden_modules(hide)
    for name in names:
        sys.modules.pop(name, None)


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
