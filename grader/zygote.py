"""A clean, pre-warmed process that forks the student processes.

Student code can read every byte of its own address space, and a forked
process starts with a copy of its parent's memory. The grader's own process
receives expected values (and, later, scores); if student processes were
forked from it, a submission could dig the expected values of the very cases
it is graded on out of its memory. So the grader forks this zygote once,
right after importing torch and the preloaded modules and before any expected
value exists, and every student process is forked from the zygote instead.

The zygote serves one request at a time over a datagram socket: it forks the
sandbox for an exercise (from a given case onwards), hands the grader the
read end of that process's result pipe (``SCM_RIGHTS``), reaps the process
when it ends and reports its exit status.
"""

from __future__ import annotations

import os
import pickle
import socket
from typing import Sequence

from grader import student
from grader.model import Check, Context, Exercise
from grader.sandbox import Plan, die_with_parent, kill_and_reap


def work_items(exercise: Exercise, cases: dict) -> list[tuple[int, int]]:
    """Every ``(check index, case index)`` of an exercise's behavioural checks, in order."""
    return [
        (i, j)
        for i, check in enumerate(exercise.checks)
        if isinstance(check, Check)
        for j in range(len(cases[check.name]))
    ]


class ZygoteError(RuntimeError):
    """The zygote stopped answering."""


class Zygote:
    """Handle on the forked zygote process."""

    def __init__(self, exercises: Sequence[Exercise], cases: dict, sources: dict) -> None:
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.pid = os.fork()
        if self.pid == 0:  # pragma: no cover - runs in the zygote
            try:
                ours.close()
                _serve(theirs, {e.name: e for e in exercises}, cases, sources)
            finally:
                os._exit(0)
        theirs.close()
        self._socket = ours

    def spawn(self, name: str, offset: int, filename: str, ctx: Context, plan: Plan, output_fd: int) -> tuple[int, int]:
        """Fork the sandbox for exercise ``name`` from work item ``offset`` on.

        Returns:
            ``(pid, fd)``: the sandbox's pid and the read end of its result pipe.
        """
        request = pickle.dumps((name, offset, filename, ctx, plan))
        socket.send_fds(self._socket, [request], [output_fd])
        self._socket.settimeout(30.0)
        try:
            data, fds, _, _ = socket.recv_fds(self._socket, 4096, 1)
        except (OSError, socket.timeout) as exc:
            raise ZygoteError(f"the zygote did not answer: {exc}") from None
        kind, pid = pickle.loads(data)
        if kind != "spawned" or len(fds) != 1:
            raise ZygoteError("the zygote could not fork")
        return pid, fds[0]

    def wait(self, pid: int, timeout: float | None) -> int | None:
        """The wait status of sandbox ``pid`` once it has exited, or ``None`` after ``timeout`` seconds."""
        self._socket.settimeout(timeout)
        try:
            data = self._socket.recv(4096)
        except (socket.timeout, BlockingIOError):
            return None
        except OSError as exc:
            raise ZygoteError(f"the zygote did not answer: {exc}") from None
        kind, exited, status = pickle.loads(data)
        if kind != "exited" or exited != pid:
            raise ZygoteError("the zygote answered out of turn")
        return status

    def close(self) -> None:
        """Stop the zygote and reap it."""
        if self.pid:
            kill_and_reap(self.pid)
            self.pid = 0
        self._socket.close()


def _serve(sock: socket.socket, exercises: dict, cases: dict, sources: dict) -> None:  # pragma: no cover
    die_with_parent()
    while True:
        try:
            data, fds, _, _ = socket.recv_fds(sock, 4096, 1)
        except OSError:
            return
        if not data:
            return
        name, offset, filename, ctx, plan = pickle.loads(data)
        exercise = exercises[name]
        items = work_items(exercise, cases[name])[offset:]
        read_fd, write_fd = os.pipe()
        pid = os.fork()
        if pid == 0:
            try:
                sock.close()
                os.close(read_fd)
                student.child_main(
                    exercise, cases[name], items, sources[name], filename, ctx, write_fd, fds[0], plan
                )
            finally:
                os._exit(1)
        os.close(write_fd)
        os.close(fds[0])
        socket.send_fds(sock, [pickle.dumps(("spawned", pid))], [read_fd])
        os.close(read_fd)
        _, status = os.waitpid(pid, 0)
        sock.send(pickle.dumps(("exited", pid, status)))
