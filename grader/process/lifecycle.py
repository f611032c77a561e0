"""The life of a helper process: it dies with its parent, is killed and reaped, hides its memory.

Used by every process the grader starts (the expected-values process, the
zygotes, the student children); confinement itself is :mod:`grader.process.sandbox`.
"""

from __future__ import annotations

import ctypes
import os
import signal
import sys

#: Seconds between two checks that a process the grader waits for (a zygote) is still alive.
LIVENESS_STEP = 0.2

PR_SET_PDEATHSIG = 1
PR_SET_DUMPABLE = 4


def libc_handle():
    """The C library, for ``prctl`` and friends; ``None`` off Linux."""
    if sys.platform != "linux":
        return None
    try:
        return ctypes.CDLL(None, use_errno=True)
    except OSError:  # pragma: no cover
        return None


def die_with_parent() -> None:
    """Ask the kernel to kill this process when its parent dies (Linux only)."""
    libc = libc_handle()
    if libc is not None:
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


def process_state(pid: int) -> str | None:
    """Process ``pid``'s state letter in ``/proc`` (``T``: stopped, ``Z``: zombie, ...); ``None``: gone."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return None


def kill_quietly(pid: int) -> None:
    """SIGKILL ``pid`` (a process group if negative), if it is still there and ours to kill."""
    try:
        os.kill(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def kill_and_reap(pid: int) -> None:
    """SIGKILL a child process (if still there) and wait for it."""
    kill_quietly(pid)
    os.waitpid(pid, 0)


def shield_memory() -> None:
    """Make the grader's memory unreadable through /proc and ptrace.

    A non-dumpable process's ``/proc/PID/mem`` is off limits to processes
    without ``CAP_SYS_PTRACE``, which student processes never have: this
    matters where there is no PID namespace to hide the grader in. Forked
    processes inherit the setting; the sandbox undoes it for its own.
    """
    libc = libc_handle()
    if libc is not None:
        libc.prctl(PR_SET_DUMPABLE, 0)
