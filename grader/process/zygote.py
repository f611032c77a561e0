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
numpy exercises, torch), and then forks one sandbox per request. A torch
zygote imports torch first, before it reads what to load, so that the grader
may start it before loading its own plugins (see ``grader.process.prestart``).
The torch exercises' preloaded modules (slow lazy imports) are imported all
at once before the expected-values process is forked (it then shares them);
without one, just before the first sandbox that needs them, and the others'
while that first sandbox runs.

There are two flavours: ``"torch"`` and ``"numpy"``. A numpy exercise's
zygote never imports torch, so its student processes cannot reach torch in
memory (and the sandbox hides torch on disk).

Protocol, over a datagram socket (JSON from the zygote: the grader never
unpickles what another process wrote): the zygote first sends ``("device", {...})``
(torch flavour: what CUDA/MPS it sees) or ``("error", message)``, then
``("ready", {})``. Each spawn request ``(name, offset, filename, ctx, plan)``
comes with the output file's descriptor; the zygote answers
``("spawned", pid)`` with the read end of the result pipe, and later
``("exited", pid, status)``. The torch zygote's first request may instead be
``("expected",)`` with the expected-values process's pipes and standard
error: it forks that process (see ``grader.process.expected``), which then
shares its torch and preloaded modules, and answers ``("forked", pid)`` with
a pidfd of it.
"""

from __future__ import annotations

import gc
import importlib
import importlib.machinery
import json
import os
import pickle
import signal
import socket
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

from grader.exercise import Check, Context, Exercise
from grader.process.lifecycle import die_with_parent, shield_memory
from grader.process.sandbox import Plan, select_hidden_modules

START_LIMIT = 180.0  # importing torch on a loaded two-core machine

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
        self._forking = False  # asked to fork the expected-values process, answer not read yet
        self._expected_pidfd: int | None = None
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

    def _receive(self, timeout: float | None, fds: bool = False):
        self._socket.settimeout(timeout)
        try:
            if fds:
                data, received, _, _ = socket.recv_fds(self._socket, 1 << 16, 1)
            else:
                data, received = self._socket.recv(1 << 16), []
        except (TimeoutError, BlockingIOError):
            return None, []
        except OSError as exc:
            raise ZygoteError(f"the zygote did not answer: {exc}") from None
        if not data:
            raise ZygoteError("the zygote stopped")
        try:  # JSON, not pickle: the grader never unpickles what another process wrote
            message = json.loads(data)
        except ValueError:
            raise ZygoteError("the zygote sent a malformed message") from None
        if not isinstance(message, list) or not message or not isinstance(message[0], str):
            raise ZygoteError("the zygote sent a malformed message")
        if message[0] == "error":
            raise ZygoteError(message[1])
        return message, received

    def device(self) -> dict:
        """What the torch zygote found: ``{"cuda": bool, "mps": bool}``."""
        if self.device_info is None:
            message, _ = self._receive(START_LIMIT)
            if message is None or message[0] != "device" or not isinstance(message[1], dict):
                raise ZygoteError(f"the {self.flavour} zygote did not start")
            self.device_info = {key: message[1].get(key) is True for key in ("cuda", "mps")}
        return self.device_info

    def _wait_ready(self) -> None:
        if self._ready:
            return
        if self.flavour == "torch":
            self.device()
        message, _ = self._receive(START_LIMIT)
        if message is None or message[0] != "ready":
            raise ZygoteError(f"the {self.flavour} zygote did not start")
        self._ready = True
        if self._forking:
            self._read_forked()

    def fork_expected(self, fds: Sequence[int]) -> None:
        """Ask the zygote to fork the expected-values process before any sandbox (it does not wait).

        The request goes before the first spawn request: the zygote forks as
        soon as it is ready, with torch imported and nothing else of the
        students' loaded yet. ``fds`` are the child's ends of its pipes
        (requests in, frames out) and its standard error; the zygote only
        passes them on. The child is killed with :meth:`expected_pidfd`.
        """
        socket.send_fds(self._socket, [pickle.dumps(("expected",))], list(fds))
        self._forking = True

    def _read_forked(self) -> None:
        self._forking = False
        message, fds = self._receive(START_LIMIT, fds=True)
        if message is None or message[0] != "forked" or len(fds) != 1:
            for fd in fds:
                os.close(fd)
            raise ZygoteError("the zygote could not fork the expected-values process")
        self._expected_pidfd = fds[0]

    def expected_pidfd(self, wait: bool = True) -> int | None:
        """A pidfd of the expected-values process this zygote forked (the caller closes it); ``None``: none.

        With ``wait``, reads the zygote's answer if not read yet (it comes
        once the zygote is ready): only when no other thread uses this zygote.
        """
        try:
            if self._forking and wait:
                self._wait_ready() if not self._ready else self._read_forked()
        except ZygoteError:
            return None
        pidfd, self._expected_pidfd = self._expected_pidfd, None
        return pidfd

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
        student's code never finds another's in its inherited memory.

        Args:
            hidden: The exercise's hidden-case seed: the child runs the
                hidden cases only (and only it ever generates them); ``None``
                runs the public cases. A process that holds hidden inputs is
                never one whose output, errors or values are shown.

        Returns:
            ``(pid, fd)``: the sandbox's pid and the read end of its result pipe.
        """
        self._wait_ready()
        request = pickle.dumps((name, offset, filename, ctx, plan, hidden))
        with tempfile.TemporaryFile() as text:
            text.write(source.encode("utf-8", "surrogatepass"))
            text.flush()
            socket.send_fds(self._socket, [request], [output_fd, text.fileno()])
        message, fds = self._receive(30.0, fds=True)
        if message is None or message[0] != "spawned" or len(fds) != 1 or type(message[1]) is not int:
            for fd in fds:
                os.close(fd)
            raise ZygoteError("the zygote could not fork")
        return message[1], fds[0]

    def wait(self, pid: int, timeout: float | None) -> int | None:
        """The wait status of sandbox ``pid`` once it has exited, or ``None`` after ``timeout`` seconds."""
        message, _ = self._receive(timeout)
        if message is None:
            return None
        if len(message) != 3 or message[0] != "exited" or message[1] != pid or type(message[2]) is not int:
            raise ZygoteError("the zygote answered out of turn")
        return message[2]

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
        if self._expected_pidfd is not None:
            os.close(self._expected_pidfd)
            self._expected_pidfd = None
        if self.pid:
            self._process.kill()
            self._process.wait()
            self.pid = 0
        self._socket.close()


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
#: Exercises the zygote has forked a sandbox for.
_SPAWNED: list[str] = []


def _freeze() -> None:  # pragma: no cover - runs in the zygote
    """Keep what is loaded out of the garbage collector's sight.

    It lives as long as the zygote; a collection in a child would otherwise
    walk it, and so copy, page by page, the memory the child shares with
    the zygote.
    """
    gc.freeze()


def _preload_for(exercise: Exercise) -> None:  # pragma: no cover - runs in the zygote
    """Import ``exercise``'s preloaded modules, if not yet done, before forking its sandbox."""
    from grader.cases import preload

    if exercise.framework == "torch" and exercise.name not in _PRELOADED:
        _PRELOADED.add(exercise.name)  # once, even if an import fails (the student's process tries again)
        if any(name not in sys.modules for name in exercise.preload):
            preload([exercise])
            _freeze()


def _preload_rest(exercises: dict) -> None:  # pragma: no cover - runs in the zygote
    """Import every exercise's preloaded modules, while a sandbox runs (they are imports only)."""
    for exercise in exercises.values():
        _preload_for(exercise)


def _read_source(fd: int) -> str:  # pragma: no cover - runs in the sandbox's first process
    with os.fdopen(fd, "rb") as f:
        f.seek(0)
        return f.read().decode("utf-8", "surrogatepass")


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
    from grader.process import student

    while True:
        try:
            data, fds, _, _ = socket.recv_fds(sock, 1 << 16, 3)
        except OSError:
            return
        if data and len(fds) == 3 and pickle.loads(data) == ("expected",):
            if _SPAWNED:  # never from a zygote that has forked a sandbox: the grader asks before
                for fd in fds:
                    os.close(fd)
                _send(sock, "refused", "a sandbox was forked already")
            else:
                # Every preloaded module first: the expected-values process then shares them instead of
                # importing them again (about a CPU-second). Imports only: forking stays safe.
                _preload_rest(exercises)
                _fork_expected(sock, fds)
            continue
        if not data or len(fds) != 2:
            return
        name, offset, filename, ctx, plan, hidden = pickle.loads(data)
        exercise = exercises[name]
        _SPAWNED.append(name)
        _preload_for(exercise)
        select_hidden_modules(plan.hide)  # here, not in the child: see its docstring
        read_fd, write_fd = os.pipe()
        pid = os.fork()
        if pid == 0:
            try:
                signal.signal(signal.SIGCHLD, signal.SIG_DFL)  # the zygote's reaper (_fork_expected) is not the child's
                sock.close()
                os.close(read_fd)
                source = _read_source(fds[1])
                mine = cases[name]
                if hidden is None:
                    items = work_items(exercise, mine)[offset:]
                else:  # generated here, in this child only: the zygote never holds a hidden input
                    from grader.cases import make_cases

                    mine = make_cases(exercise, hidden)
                    items = [(i, j) for i, j in work_items(exercise, mine) if mine[exercise.checks[i].name][j].hidden]
                    items = items[offset:]
                student.child_main(exercise, mine, items, source, filename, ctx, write_fd, fds[0], plan)
            finally:
                os._exit(1)
        os.close(write_fd)
        for fd in fds:
            os.close(fd)
        # The other exercises' lazy imports, while this sandbox already runs (the first sandbox would
        # otherwise wait for all of them): a child forked before an import simply does not hold it.
        # Before answering, so that the child's exit is reported as soon as it happens.
        _preload_rest(exercises)
        socket.send_fds(sock, [json.dumps(["spawned", pid]).encode()], [read_fd])
        os.close(read_fd)
        _, status = os.waitpid(pid, 0)
        _send(sock, "exited", pid, status)


def _fork_expected(sock: socket.socket, fds: list[int]) -> None:  # pragma: no cover - runs in the zygote
    """Fork the expected-values process: torch is imported, no sandbox exists yet, no torch work was done.

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

    def reap(*_) -> None:
        try:
            os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:
            pass

    signal.signal(signal.SIGCHLD, reap)
    reap()  # in case it exited before the handler was there
    for fd in fds:
        os.close(fd)
    socket.send_fds(sock, [json.dumps(["forked", pid]).encode()], [pidfd])
    os.close(pidfd)
