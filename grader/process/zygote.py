"""A fresh, pre-warmed interpreter that forks the student processes.

Student code can read every byte of its own address space, and a forked
process starts with a copy of its parent's memory. The grader's own process
reads reference files (for the cache key), receives expected values and holds
every plugin's oracles; none of that may be in an ancestor of a student
process. So student processes do not descend from the grader at all: the
grader *executes* a new interpreter, the zygote, with a clean environment,
and sends it only what student processes need: the import path, and the names of
the plugin modules that declare the graded exercises (probes and case
factories, never references or oracles). Each submission's source text comes
with its spawn request and is read only by the forked child, so a zygote can
serve a whole class without ever holding a student's code.
The zygote imports those modules, regenerates the cases from their seeds,
refuses to go on if a plugin pulled a reference or oracle module in (or, for
numpy exercises, torch), and then forks one sandbox per request; several
may run at once. A torch zygote imports torch first, before it reads what to
load, so that the grader may start it before loading its own plugins (see
``grader.process.prestart``). A torch exercise's preloaded modules (slow
lazy imports) are imported before the expected-values process that computes
its values is forked (it then shares them); otherwise just before the first
sandbox that needs them, or earlier, one exercise's at a time and the
fewest first, whenever the zygote has no request to answer.

There are two flavours: ``"torch"`` and ``"numpy"``. A numpy exercise's
zygote never imports torch, so its student processes cannot reach torch in
memory (and the sandbox hides torch on disk).

Protocol, over a datagram socket (JSON from the zygote: the grader never
unpickles what another process wrote): the zygote first sends ``("device", {...})``
(torch flavour: what CUDA/MPS it sees) or ``("error", message)``, then
``("ready", {})``. Each spawn request ``(id, name, offset, filename, ctx, plan,
hidden)`` (``hidden``: whether to run the hidden cases) comes with the output
file's descriptor and that of a file holding the hidden-case key and the
source text, which only the forked child reads; the
zygote answers ``("spawned", pid, id)`` with the read end of the result pipe
right after forking, and ``("exited", pid, status)`` when that sandbox ends,
whatever else it is doing: requests from several threads may be in flight,
and :class:`Zygote` hands each answer to the thread that waits for it. The
zygote also says ``("preloaded", [exercise, ...])`` once it holds those
exercises' preloaded modules (the grader then starts them first). The torch
zygote also takes ``("expected", id, [module, ...])`` with an
expected-values process's pipes and standard error: once it has imported
those modules (that process's exercises' preloads; meanwhile it answers
spawn requests), it forks that process (see ``grader.process.expected``),
which then shares its torch and those modules, and answers ``("forked", id,
pid)`` with a pidfd of it.
"""

from __future__ import annotations

import array
import gc
import importlib
import importlib.machinery
import itertools
import json
import os
import pickle
import select
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from pathlib import Path

from grader.exercise import Check, Context, Exercise
from grader.process.lifecycle import LIVENESS_STEP, die_with_parent, kill_quietly, process_state, shield_memory
from grader.process.sandbox import Plan, select_hidden_modules

START_LIMIT = 180.0  # importing torch on a loaded two-core machine
#: Seconds a spawn request may wait for its answer (the zygote may first finish importing preloaded modules).
SPAWN_LIMIT = 30.0
#: Seconds a zygote waits for a spawn request before its first idle import, when none came yet.
IDLE_GRACE = 0.05

#: Environment variables a zygote (and so every student process) inherits;
#: everything else (tokens, secrets, CI settings) stays with the grader.
ENVIRONMENT = (
    "PATH",
    "LANG",
    "LANGUAGE",
    "TZ",
    "TERM",
    "OMP_NUM_THREADS",
    "MKL_NUM_THREADS",
    "OPENBLAS_NUM_THREADS",
    "OPENBLAS_CORETYPE",
    "OPENBLAS_L2_SIZE",
    "CUDA_VISIBLE_DEVICES",
    "CUDA_HOME",
    "LD_LIBRARY_PATH",
    "PYTORCH_NVML_BASED_CUDA_CHECK",
    "GRADER_SANDBOX",
)
_ENVIRONMENT_PREFIXES = ("LC_", "NVIDIA_")

_BOOT = """\
import os, sys, pickle
if sys.argv[3] == "grader-zygote-torch":
    # torch first, before the boot message: the grader may start this zygote before it has
    # loaded its plugins (see prestart). The import path is checked against the boot's in main.
    if sys.platform == "linux":
        import ctypes
        ctypes.CDLL(None).prctl(1, 9)  # PR_SET_PDEATHSIG, SIGKILL: not a second longer than the grader
    if os.getppid() == int(sys.argv[5]):
        try:
            import torch
        except Exception:
            pass  # imported again, with the boot's path, where the error is reported
fd = int(sys.argv[1])
chunks = []
while True:
    chunk = os.read(fd, 1 << 20)
    if not chunk:
        break
    chunks.append(chunk)
os.close(fd)
boot = pickle.loads(b"".join(chunks))
del chunks
sys.path[:] = boot["path"]
from grader.process.zygote import main
main(boot, int(sys.argv[2]))
"""


def work_items(exercise: Exercise, cases: dict) -> list[tuple[int, int]]:
    """Every ``(check index, case index)`` of an exercise's behavioural checks, in order."""
    return [
        (i, j)
        for i, check in enumerate(exercise.checks)
        if isinstance(check, Check)
        for j in range(len(cases[check.name]))
    ]


class ZygoteError(RuntimeError):
    """The zygote stopped answering, or refused to start."""


def clean_environment() -> dict[str, str]:
    """The grader's environment, restricted to what student processes may see."""
    return {
        key: value for key, value in os.environ.items() if key in ENVIRONMENT or key.startswith(_ENVIRONMENT_PREFIXES)
    }


def import_path(exclude: Sequence[Path] = ()) -> list[str]:
    """The grader's ``sys.path`` made absolute, without the folders in ``exclude`` (submissions)."""
    folders = [os.path.realpath(folder) for folder in exclude]
    path = []
    for entry in sys.path:
        real = os.path.realpath(entry or os.getcwd())
        if any(real == folder or real.startswith(folder + os.sep) for folder in folders):
            continue
        if real not in path:
            path.append(real)
    return path


def label_for(submissions: Sequence[Path]) -> str:
    """What zygotes serving ``submissions`` show in ``ps``: those folders."""
    return " ".join(str(folder) for folder in submissions) or "grader"


class Zygote:
    """Handle on one executed zygote process.

    Args:
        flavour: ``"torch"`` or ``"numpy"``.
        plugins: Exercise name -> ``(plugin name, module name)`` for every
            exercise this zygote serves.
        path: The import path to use (see :func:`import_path`).
        label: Shown in the zygote's command line (and so in its children's),
            for people looking at ``ps``: the submission being graded.

    With ``plugins`` left out, the process starts (a torch zygote imports
    torch) and waits for :meth:`boot` to say what to load.
    """

    def __init__(
        self, flavour: str, plugins: dict | None = None, path: list[str] | None = None, label: str = ""
    ) -> None:
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_DGRAM)
        boot_read, boot_write = os.pipe()
        self.flavour = flavour
        self.label = label
        self._boot_write: int | None = boot_write
        self.device_info: dict | None = None
        self._ready = False
        self._forks: set[int] = set()  # expected-values processes asked for whose answer was not taken
        self._starting = threading.RLock()  # the start messages are read once, by one thread
        self._mail = threading.Condition()  # guards everything below
        self._mailbox: dict[tuple, tuple[list, list[int]]] = {}  # messages read, by the key their caller waits on
        self._reading = False  # a thread is reading the socket (the others wait for it to file their message)
        self._failure: ZygoteError | None = None  # the zygote failed: every caller gets this
        self._seen_stopped = False  # the last liveness check found it stopped
        self._requests = itertools.count(1)  # spawn request ids
        self._abandoned: set[int] = set()  # spawn requests whose caller gave up waiting
        self._forgotten: set[int] = set()  # sandboxes nobody waits for (killed when their answer came late)
        #: Exercises whose preloaded modules the zygote reported imported.
        self.preloaded: set[str] = set()
        try:
            self._process = subprocess.Popen(
                [
                    sys.executable,
                    "-I",
                    "-c",
                    _BOOT,
                    str(boot_read),
                    str(theirs.fileno()),
                    f"grader-zygote-{flavour}",
                    label,
                    str(os.getpid()),
                ],
                pass_fds=(boot_read, theirs.fileno()),
                env=clean_environment(),
                cwd="/",
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        except BaseException:
            os.close(boot_write)
            ours.close()
            raise
        finally:
            os.close(boot_read)
            theirs.close()
        self.pid = self._process.pid
        self._socket = ours
        if plugins is not None:
            self.boot(plugins, path if path is not None else import_path())

    def boot(self, plugins: dict, path: list[str]) -> None:
        """Tell the zygote what to load: the plugin modules and the import path (once)."""
        if self._boot_write is None:
            raise ZygoteError("the zygote was told what to load already")
        fd, self._boot_write = self._boot_write, None
        # Where the grader's path finds torch: a zygote that imported torch before this message
        # (with its own default path) refuses to go on if that is another torch.
        spec = importlib.machinery.PathFinder.find_spec("torch", path) if self.flavour == "torch" else None
        torch_origin = spec.origin if spec is not None else None
        boot = {"flavour": self.flavour, "plugins": plugins, "path": path, "torch": torch_origin}
        try:
            with os.fdopen(fd, "wb") as pipe:
                pipe.write(pickle.dumps(boot))
        except OSError:
            pass  # it died at start: the first message says so

    def _receive(self, timeout: float | None):
        """One message from the zygote and the descriptors that came with it; ``(None, [])`` after ``timeout``."""
        try:
            if not self._wait_readable(timeout):
                return None, []
            data, received, _, _ = recv_fds(self._socket, 1, socket.MSG_DONTWAIT)
        except (TimeoutError, BlockingIOError, InterruptedError):
            return None, []
        except (OSError, ValueError) as exc:
            raise ZygoteError(f"the zygote did not answer: {exc}") from None
        if not data:
            raise ZygoteError("the zygote stopped")
        try:  # JSON, not pickle: the grader never unpickles what another process wrote
            message = json.loads(data)
        except ValueError:
            message = None
        if not isinstance(message, list) or not message or not isinstance(message[0], str):
            _close_all(received)
            raise ZygoteError("the zygote sent a malformed message")
        if message[0] == "error":
            _close_all(received)
            raise ZygoteError(str(message[1]) if len(message) > 1 else "the zygote failed")
        return message, received

    def _wait_readable(self, timeout: float | None) -> bool:
        """Wait for a message; whether one came before ``timeout``.

        A datagram socket never reads as closed when its peer dies, so the
        wait is cut into slices, and a zygote that exited with nothing left
        to read is a failure at once (not after :data:`START_LIMIT`: a
        plugin that kills the interpreter at import, or the out-of-memory
        killer, would otherwise hold the grader for minutes).
        """
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            remaining = None if deadline is None else max(0.0, deadline - time.monotonic())
            step = LIVENESS_STEP if remaining is None else min(remaining, LIVENESS_STEP)
            if select.select([self._socket], [], [], step)[0]:
                return True
            problem = self._problem()
            if problem is not None and not select.select([self._socket], [], [], 0)[0]:
                raise ZygoteError(problem)
            if remaining is not None and remaining <= step:
                return False

    def _problem(self) -> str | None:
        """Why the zygote will never answer: it exited, or it stays stopped (``SIGSTOP``); else ``None``.

        Stopped counts only when seen twice in a row (a check at least
        :data:`LIVENESS_STEP` apart): a whole job stopped and continued
        from a terminal resumes the grader and the zygote one after the
        other. Without a PID namespace, a student process can stop its
        zygote; nothing it forks would come then.
        """
        if not self.pid:
            return None
        status = self._process.poll()
        if status is not None:
            return f"the {self.flavour} zygote stopped ({_exit_reason(status)})"
        state = process_state(self.pid)
        stopped, self._seen_stopped = state == "T" and self._seen_stopped, state == "T"
        return f"the {self.flavour} zygote was stopped by a signal and does not answer" if stopped else None

    def failure(self) -> str | None:
        """Why the zygote will never answer again (it failed, exited or stays stopped), or ``None``.

        Reads no message. For callers that wait for something the zygote
        was to start (an expected-values process it has not forked yet, say).
        """
        with self._mail:
            if self._failure is None:
                problem = self._problem()
                if problem is not None:
                    self._failure = ZygoteError(problem)
            return None if self._failure is None else str(self._failure)

    def _route(self, message: list, fds: list[int]) -> None:
        """File a message under the key its caller waits for (called with ``_mail`` held)."""
        kind = message[0]
        if kind in ("device", "ready") and len(message) == 2:
            self._mailbox[(kind,)] = (message, fds)
        elif kind == "forked" and len(message) == 3 and type(message[1]) is int:
            self._mailbox[("forked", message[1])] = (message, fds)
        elif kind == "spawned" and len(message) == 3 and _ints(message[1:]):
            pid, rid = message[1], message[2]
            if rid in self._abandoned:  # its caller gave up waiting: kill it, forget its exit
                self._abandoned.discard(rid)
                self._forgotten.add(pid)
                _close_all(fds)
                _kill_quietly(pid)
            else:
                self._mailbox[("spawned", rid)] = (message, fds)
        elif kind == "exited" and len(message) == 3 and _ints(message[1:]):
            _close_all(fds)
            if message[1] in self._forgotten:
                self._forgotten.discard(message[1])
            else:
                self._mailbox[("exited", message[1])] = (message, fds[:0])
        elif kind == "preloaded" and len(message) == 2 and isinstance(message[1], list):
            _close_all(fds)
            self.preloaded.update(name for name in message[1] if isinstance(name, str))
        else:
            _close_all(fds)
            raise ZygoteError("the zygote answered out of turn")

    def _take(self, key: tuple, timeout: float | None) -> tuple[list | None, list[int]]:
        """The message filed under ``key``, reading the socket for it: ``(None, [])`` after ``timeout``.

        Thread-safe: one caller at a time reads the socket and files what
        it reads for whoever waits for it (a spawn answer by its request id,
        an exit by its pid), so several threads may use one zygote at once.
        A zero ``timeout`` reads only what has arrived already.
        """
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._mail:
            while True:
                if key in self._mailbox:
                    return self._mailbox.pop(key)
                if self._failure is not None:
                    raise self._failure
                remaining = None if deadline is None else max(0.0, deadline - time.monotonic())
                if self._reading:
                    if remaining == 0.0:
                        return None, []
                    self._mail.wait(remaining)
                    continue
                self._reading = True
                self._mail.release()
                failure = None
                try:
                    message, fds = self._receive(remaining)
                except ZygoteError as exc:
                    message, fds, failure = None, [], exc
                finally:
                    self._mail.acquire()
                    self._reading = False
                    self._mail.notify_all()
                try:
                    if message is not None:
                        self._route(message, fds)
                except ZygoteError as exc:
                    failure = exc
                if failure is not None:
                    self._failure = self._failure or failure
                    raise self._failure
                if message is None and remaining is not None and deadline - time.monotonic() <= 0:
                    if key in self._mailbox:
                        return self._mailbox.pop(key)
                    return None, []

    def poll(self) -> None:
        """Read what the zygote has sent already (e.g. which exercises' preloads it holds), without waiting."""
        self._take(("nothing",), 0)

    def device(self) -> dict:
        """What the torch zygote found: ``{"cuda": bool, "mps": bool}``."""
        with self._starting:
            if self.device_info is None:
                message, _ = self._take(("device",), START_LIMIT)
                if message is None or not isinstance(message[1], dict):
                    raise ZygoteError(f"the {self.flavour} zygote did not start")
                self.device_info = {key: message[1].get(key) is True for key in ("cuda", "mps")}
            return self.device_info

    def _wait_ready(self) -> None:
        with self._starting:
            if self._ready:
                return
            if self.flavour == "torch":
                self.device()
            message, _ = self._take(("ready",), START_LIMIT)
            if message is None:
                raise ZygoteError(f"the {self.flavour} zygote did not start")
            self._ready = True

    def fork_expected(self, fds: Sequence[int], preload: Sequence[str]) -> int:
        """Ask the zygote to fork an expected-values process (it does not wait).

        The zygote forks as soon as it is ready and has imported the modules
        ``preload`` (those of the exercises that process computes); until
        then it answers spawn requests. ``fds`` are the child's ends of its pipes
        (requests in, frames out) and its standard error; the zygote only
        passes them on. The child is killed with :meth:`expected_pidfd`.

        Returns:
            The request's id, for :meth:`expected_pidfd`.
        """
        with self._mail:
            rid = next(self._requests)
        socket.send_fds(self._socket, [pickle.dumps(("expected", rid, list(preload)))], list(fds))
        self._forks.add(rid)
        return rid

    def expected_pidfd(self, rid: int, wait: bool = True) -> int | None:
        """A pidfd of the expected-values process forked for request ``rid`` (the caller closes it).

        ``None``: none was forked (or its answer was taken already). With
        ``wait``, waits for the zygote's answer if not read yet (it comes
        once the zygote is ready and has imported that process's
        preloads); otherwise takes it only if it has arrived already.
        """
        if rid not in self._forks:
            return None
        try:
            message, fds = self._take(("forked", rid), START_LIMIT if wait else 0)
        except ZygoteError:
            return None
        if message is None and not wait:
            return None
        self._forks.discard(rid)
        if message is None or message[0] != "forked" or len(fds) != 1:
            _close_all(fds)
            return None
        return fds[0]

    def ready_for(self, exercise: Exercise) -> bool:
        """Whether a sandbox for ``exercise`` can be forked without first importing its preloaded modules."""
        return not exercise.preload or exercise.framework != "torch" or exercise.name in self.preloaded

    def spawn(
        self,
        name: str,
        offset: int,
        filename: str,
        source: str,
        ctx: Context,
        plan: Plan,
        output_fd: int,
        hidden: int | None = None,
    ) -> tuple[int, int]:
        """Fork the sandbox for exercise ``name`` from work item ``offset`` on.

        The source text travels in an unlinked file that only the forked
        child reads: the zygote itself never holds a submission, so one
        student's code never finds another's in its inherited memory. So
        does the hidden-case key (the zygote learns only whether there is
        one): a later sandbox, whose output is shown, never inherits it.
        Several threads may spawn (and wait) at once: each answer reaches its caller.

        Args:
            hidden: The exercise's hidden-case key: the child runs the
                hidden cases only (and only it ever generates them); ``None``
                runs the public cases. A process that holds hidden inputs is
                never one whose output, errors or values are shown.

        Returns:
            ``(pid, fd)``: the sandbox's pid and the read end of its result pipe.
        """
        self._wait_ready()
        with self._mail:
            rid = next(self._requests)
        request = pickle.dumps((rid, name, offset, filename, ctx, plan, hidden is not None))
        with tempfile.TemporaryFile() as text:
            text.write(f"{'' if hidden is None else int(hidden)}\n".encode())  # the key's line, then the source
            text.write(source.encode("utf-8", "surrogatepass"))
            text.flush()
            try:
                socket.send_fds(self._socket, [request], [output_fd, text.fileno()])
            except OSError as exc:  # it died since the last answer (killed, out of memory)
                raise ZygoteError(
                    self.failure() or f"the {self.flavour} zygote stopped answering ({exc.strerror})"
                ) from None
        message, fds = self._take(("spawned", rid), SPAWN_LIMIT)
        if message is None or len(fds) != 1:
            _close_all(fds)
            if message is None:
                with self._mail:
                    if ("spawned", rid) in self._mailbox:  # arrived just now
                        message, fds = self._mailbox.pop(("spawned", rid))
                        _close_all(fds)
                        _kill_quietly(message[1])
                        self._forgotten.add(message[1])
                    else:
                        self._abandoned.add(rid)
            raise ZygoteError("the zygote could not fork")
        return message[1], fds[0]

    def wait(self, pid: int, timeout: float | None) -> int | None:
        """The wait status of sandbox ``pid`` once it has exited, or ``None`` after ``timeout`` seconds."""
        message, _ = self._take(("exited", pid), timeout)
        return None if message is None else message[2]

    def resident_bytes(self) -> int:
        """The zygote's resident memory (pages its children share until written)."""
        try:
            with open(f"/proc/{self.pid}/statm") as f:
                return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
        except (OSError, ValueError, IndexError):
            return 0

    def close(self) -> None:
        """Stop the zygote and reap it."""
        if self._boot_write is not None:
            os.close(self._boot_write)
            self._boot_write = None
        with self._mail:
            for _, fds in self._mailbox.values():
                _close_all(fds)
            self._mailbox.clear()
        if self.pid:
            self._process.kill()
            self._process.wait()
            self.pid = 0
        self._socket.close()


def recv_fds(sock: socket.socket, maxfds: int, flags: int = 0) -> tuple[bytes, list[int], int, object]:
    """``socket.recv_fds`` for one message of up to 64 KiB, with ``flags`` (Python 3.11's ignores them)."""
    fds = array.array("i")
    data, ancillary, msg_flags, address = sock.recvmsg(1 << 16, socket.CMSG_LEN(maxfds * fds.itemsize), flags)
    for level, kind, payload in ancillary:
        if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
            fds.frombytes(payload[: len(payload) - len(payload) % fds.itemsize])
    return data, list(fds), msg_flags, address


def _exit_reason(status: int) -> str:
    """A ``Popen.returncode`` in words."""
    if status < 0:
        try:
            return f"killed by {signal.Signals(-status).name}"
        except ValueError:
            return f"killed by signal {-status}"
    return f"exit status {status}"


def _ints(values) -> bool:
    return all(type(value) is int for value in values)


def _close_all(fds: Sequence[int]) -> None:
    for fd in fds:
        try:
            os.close(fd)
        except OSError:
            pass


def _kill_quietly(pid: int) -> None:
    if pid > 0:  # a pid the zygote sent: never 0 or -1 (this process group, every process)
        kill_quietly(pid)


# --- inside the zygote ---------------------------------------------------------


def main(boot: dict, sock_fd: int) -> None:  # pragma: no cover - runs in the zygote
    """The zygote's body: load, check, warm up, then serve spawn requests."""
    die_with_parent()
    if os.getppid() == 1:
        os._exit(0)
    shield_memory()  # same-user processes (students without a PID namespace) cannot ptrace it
    sock = socket.socket(fileno=sock_fd)
    try:
        _same_torch(boot.get("torch"))
        exercises = load_exercises(boot["plugins"])
        _guard(exercises, boot["flavour"])
        from grader.cases import make_cases

        cases = {name: make_cases(exercise) for name, exercise in exercises.items()}  # public cases only
        if boot["flavour"] == "torch":
            from grader.device import available

            cuda, mps = available()
            _send(sock, "device", {"cuda": cuda, "mps": mps})
    except BaseException as exc:
        _send(sock, "error", f"{type(exc).__name__}: {exc}"[:2000])
        os._exit(1)
    _freeze()
    _send(sock, "ready", {})
    _serve(sock, exercises, cases)
    os._exit(0)


def _same_torch(origin: str | None) -> None:  # pragma: no cover - runs in the zygote
    """Refuse a torch imported (before the boot message) from elsewhere than the grader's path finds it."""
    torch = sys.modules.get("torch")
    if torch is not None and (origin is None or os.path.realpath(torch.__file__) != os.path.realpath(origin)):
        raise RuntimeError(
            f"torch was imported from {torch.__file__}, but the grader's import path finds it at {origin}: "
            "run the grader with the interpreter torch is installed for"
        )


#: Exercises whose preloaded modules the zygote has imported (or tried to).
_PRELOADED: set[str] = set()
#: Modules the zygote has tried to import as preloads (one that failed is not tried again).
_TRIED: set[str] = set()
#: Expected-values processes asked for whose preloaded modules are not all imported yet: (id, modules, fds).
_DEFERRED: list[tuple[int, list[str], list[int]]] = []
#: Sandboxes not reaped yet: pid -> whether the grader was told of it (its exit is reported only then).
_SANDBOXES: dict[int, bool] = {}
#: Children reaped without a word: the expected-values process.
_QUIET: set[int] = set()


def _freeze() -> None:  # pragma: no cover - runs in the zygote
    """Keep what is loaded out of the garbage collector's sight.

    It lives as long as the zygote; a collection in a child would otherwise
    walk it, and so copy, page by page, the memory the child shares with
    the zygote.
    """
    gc.freeze()


def _preload_for(exercise: Exercise) -> bool:  # pragma: no cover - runs in the zygote
    """Import ``exercise``'s preloaded modules, if not yet done, before forking its sandbox.

    Returns whether it was not done yet (the grader is then told).
    """
    if exercise.framework != "torch" or exercise.name in _PRELOADED:
        return False
    _PRELOADED.add(exercise.name)  # once, even if an import fails (the student's process tries again)
    _import_preloads(exercise.preload)
    return True


def _unloaded(exercises: dict) -> list[Exercise]:  # pragma: no cover - runs in the zygote
    return [e for e in exercises.values() if e.framework == "torch" and e.name not in _PRELOADED]


def _imported(modules) -> bool:  # pragma: no cover - runs in the zygote
    return all(name in sys.modules or name in _TRIED for name in modules)


def _import_preloads(modules) -> None:  # pragma: no cover - runs in the zygote
    """Import ``modules`` (imports only: forking stays safe), each at most once."""
    from grader.cases import import_quietly

    missing = [name for name in modules if not _imported([name])]
    for name in missing:
        _TRIED.add(name)
        import_quietly(name)
    if missing:
        _freeze()


def _catch_up(sock: socket.socket, exercises: dict) -> None:  # pragma: no cover - runs in the zygote
    """Act on the imports done so far: report the exercises they made ready, fork the processes they let go."""
    done = [e.name for e in _unloaded(exercises) if _imported(e.preload) and _preload_for(e)]
    if done:
        _send(sock, "preloaded", done)
    for entry in [entry for entry in _DEFERRED if _imported(entry[1])]:
        _DEFERRED.remove(entry)
        _fork_expected(sock, entry[2], entry[0])


def _idle_step(exercises: dict) -> None:  # pragma: no cover - runs in the zygote
    """One step of the zygote's idle work: import the smallest set of preloads still wanted.

    A set is an exercise's, or a waiting expected-values process's. One set
    at a time, so that a request waits for one set's imports at most; the
    smallest first, as those are the quickest to make something ready.
    """
    wanted = [e.preload for e in _unloaded(exercises)] + [modules for _, modules, _ in _DEFERRED]
    missing = [[name for name in modules if not _imported([name])] for modules in wanted]
    missing = [names for names in missing if names]
    if missing:
        _import_preloads(min(missing, key=len))


class _Reaper:  # pragma: no cover - runs in the zygote
    """The zygote's ``SIGCHLD`` handler: reap every child that exited, report each sandbox's exit.

    Exits are reported as they happen, even while the zygote imports or
    forks, by the handler itself (the zygote has one thread: the handler
    runs between two bytecodes of the main code, never inside a send). A
    sandbox is reported only once the grader was told it exists; the
    main code calls the reaper itself right after telling it. A call that
    comes while the reaper runs (a signal in the middle of it) makes it go
    round once more instead of running inside itself.
    """

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.busy = False
        self.again = False

    def __call__(self, *_) -> None:
        if self.busy:
            self.again = True
            return
        self.busy = True
        try:
            self.again = True
            while self.again:
                self.again = False
                self._reap()
        finally:
            self.busy = False
        if self.again:  # a signal came between the last round and the line above
            self()

    def _reap(self) -> None:
        for pid in list(_QUIET):
            if _reaped(pid) is not None:
                _QUIET.discard(pid)
        for pid, told in list(_SANDBOXES.items()):
            status = _reaped(pid) if told else None
            if status is not None:
                del _SANDBOXES[pid]
                try:
                    _send(self.sock, "exited", pid, status)
                except OSError:
                    pass  # the grader is gone; so will this zygote be


def _reaped(pid: int) -> int | None:  # pragma: no cover - runs in the zygote
    """``pid``'s wait status if it has exited (it is reaped), else ``None``."""
    try:
        done, status = os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        return 0
    return status if done else None


_REAPER: list[_Reaper] = []


def _read_request_file(fd: int) -> tuple[int | None, str]:  # pragma: no cover - runs in the sandbox
    """The hidden-case key (``None``: public cases) and the source text, from the file only the sandbox reads."""
    with os.fdopen(fd, "rb") as f:
        f.seek(0)
        key, _, source = f.read().partition(b"\n")
    return (int(key) if key else None), source.decode("utf-8", "surrogatepass")


def _send(sock: socket.socket, *message) -> None:  # pragma: no cover - runs in the zygote
    sock.send(json.dumps(message).encode())


def load_exercises(plugins: dict) -> dict[str, Exercise]:  # pragma: no cover - runs in the zygote
    """Import the plugin modules and take the graded exercises' declarations."""
    from grader.exercise import validate

    declared: dict[str, Exercise] = {}
    for plugin, module_name in dict.fromkeys(plugins.values()):
        module = importlib.import_module(module_name)
        for item in _exercises_hook(module)():
            exercise = validate(item, plugin)
            if plugins.get(exercise.name, (None,))[0] == plugin:
                declared[exercise.name] = exercise
    missing = set(plugins) - set(declared)
    if missing:
        raise RuntimeError(f"the plugins no longer declare {sorted(missing)}")
    return declared


def _exercises_hook(module):  # pragma: no cover - runs in the zygote
    for value in vars(module).values():
        marker = getattr(value, "grader_impl", None)
        if callable(value) and marker is not None:
            name = (marker.get("specname") if isinstance(marker, dict) else None) or value.__name__
            if name == "grader_exercises":
                return value
    raise RuntimeError(f"{module.__name__} has no grader_exercises hook")


def _guard(exercises: dict, flavour: str) -> None:  # pragma: no cover - runs in the zygote
    """Refuse to fork student processes from memory that holds answers."""
    for exercise in exercises.values():
        secret = [exercise.reference, getattr(exercise, "oracles", "")]
        for name in list(sys.modules):
            if any(s and (name == s or name.startswith(s + ".")) for s in secret):
                raise RuntimeError(
                    f"plugin {exercise.plugin!r} imports {name} when it is imported, so student processes "
                    "would hold it: import references and oracles only inside the oracle module"
                )
        if flavour == "numpy" and "torch" in sys.modules:
            raise RuntimeError(
                f"plugin {exercise.plugin!r} imports torch when it is imported; numpy exercises must not have "
                "torch within reach: import torch inside probes"
            )


def _serve(sock: socket.socket, exercises: dict, cases: dict) -> None:  # pragma: no cover
    """Answer requests; between them, import the preloaded modules still wanted.

    Several sandboxes may run at once: a spawn request is answered right
    after the fork, and each sandbox's exit when it happens (see
    :class:`_Reaper`). An expected-values process is forked once its
    preloaded modules are imported: at once if they are, otherwise by the
    idle imports, while spawn requests are answered (the sandboxes of
    exercises that preload less need not wait for the slowest imports).
    The idle imports start once the first request was answered (the first
    sandboxes need none, or their own), one set at a time
    (:func:`_idle_step`).
    """
    from grader.process import student

    reaper = _Reaper(sock)
    _REAPER.append(reaper)
    signal.signal(signal.SIGCHLD, reaper)
    served = idled = False
    while True:
        _catch_up(sock, exercises)
        try:
            if served and (_unloaded(exercises) or _DEFERRED):
                # Nothing to answer: the next imports. Before the first, unless a sandbox was asked for
                # already, a moment for the spawn requests that follow the grader's requests for expected
                # values (an import holds them up for its whole length); those that come during an
                # import are read right after it.
                if not select.select([sock], [], [], 0 if idled else IDLE_GRACE)[0]:
                    idled = True
                    _idle_step(exercises)
                    continue
                data, fds, _, _ = recv_fds(sock, 3, socket.MSG_DONTWAIT)
            else:
                data, fds, _, _ = socket.recv_fds(sock, 1 << 16, 3)
        except OSError:
            return
        served = True
        request = pickle.loads(data) if data else None
        if len(fds) == 3 and isinstance(request, tuple) and len(request) == 3 and request[0] == "expected":
            # Forked once its exercises' preloaded modules are imported (at the top of the loop): it then
            # shares them instead of importing them again (about a CPU-second in all).
            _, rid, modules = request
            _DEFERRED.append((rid, [name for name in modules if isinstance(name, str)], fds))
            continue
        if not data or len(fds) != 2:
            return
        rid, name, offset, filename, ctx, plan, secret = request
        idled = True  # the grader's lanes have started: no more waiting before an import
        exercise = exercises[name]
        if _preload_for(exercise):
            _send(sock, "preloaded", [name])
        select_hidden_modules(plan.hide)  # here, not in the child: see its docstring
        read_fd, write_fd = os.pipe()
        pid = os.fork()
        if pid == 0:
            try:
                signal.signal(signal.SIGCHLD, signal.SIG_DFL)  # the zygote's reaper is not the child's
                sock.close()
                os.close(read_fd)
                hidden, source = _read_request_file(fds[1])
                mine = cases[name]
                if not secret:
                    items = work_items(exercise, mine)[offset:]
                elif hidden is None:
                    raise RuntimeError("the hidden-case key is missing")
                else:  # generated here, in this child only: the zygote never holds the key or a hidden input
                    from grader.cases import make_cases

                    mine = make_cases(exercise, hidden)
                    items = [(i, j) for i, j in work_items(exercise, mine) if mine[exercise.checks[i].name][j].hidden]
                    items = items[offset:]
                student.child_main(exercise, mine, items, source, filename, ctx, write_fd, fds[0], plan)
            finally:
                os._exit(1)
        _SANDBOXES[pid] = False  # its exit is not reported before the grader knows it exists
        os.close(write_fd)
        for fd in fds:
            os.close(fd)
        socket.send_fds(sock, [json.dumps(["spawned", pid, rid]).encode()], [read_fd])
        os.close(read_fd)
        _SANDBOXES[pid] = True
        reaper()  # it may have exited already


def _fork_expected(sock: socket.socket, fds: list[int], rid: int) -> None:  # pragma: no cover - in the zygote
    """Fork an expected-values process: torch and its preloaded modules are imported.

    The zygote never does torch work (forking stays safe), and never holds
    anything of a student's (a sandbox's source goes to the sandbox only),
    so the child inherits none of that, whether sandboxes exist or not.

    The child gets the grader's pipes and learns everything else (which
    references, the hidden-case keys) from the grader on them: the zygote
    never reads them. The grader gets a pidfd to kill it with; the zygote
    reaps it as soon as it exits (on ``SIGCHLD``), so that nothing is left
    behind when the zygote is killed.
    """
    parent = os.getpid()
    pid = os.fork()
    if pid == 0:
        try:
            sock.close()
            from grader.process.expected import zygote_child

            zygote_child(fds[0], fds[1], fds[2], parent, load_exercises)
        finally:
            os._exit(0)
    pidfd = os.pidfd_open(pid)
    _QUIET.add(pid)
    _REAPER[0]()  # in case it exited before it was listed
    for fd in fds:
        os.close(fd)
    socket.send_fds(sock, [json.dumps(["forked", rid, pid]).encode()], [pidfd])
    os.close(pidfd)
