"""Compute expected values in processes that never run student code.

With a torch zygote, there is one such process per group of exercises that
preload the same modules (:class:`References`). Each is forked from the
zygote as soon as that one has imported torch and the group's preloaded
modules (it then shares their pages instead of importing them again, and the
zygote does no torch work, so forking stays safe: see
``grader.process.zygote``). The groups with the fewest preloads come first:
their values are computed while the zygote still imports the slow ones
(``torch._dynamo`` for the optimizers). Without a torch zygote, a single
process is forked from the grader. Each process imports the reference and
oracle modules itself, and streams one frame of plain data per exercise
(first the ones a lane waits for: see ``_Requests``). Forked from a zygote,
it learns what to compute (the plugin modules, the hidden-case keys) on its
own pipe, which the zygote never reads.
"""

from __future__ import annotations

import contextlib
import importlib
import importlib.util
import json
import os
import select
import signal
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from grader import plain
from grader.exercise import Check, Context, Exercise
from grader.plain import to_plain
from grader.policy import device_for
from grader.process.channel import Closed, FrameReader, Timeout, write_frame
from grader.process.lifecycle import LIVENESS_STEP, die_with_parent, kill_and_reap

#: Seconds a zygote-forked worker may take to be reaped by its zygote once killed.
REAP_LIMIT = 10.0


def can_fork_from_zygote() -> bool:
    """Whether a zygote's child can be killed and waited for safely here (pidfds: Linux)."""
    return hasattr(os, "pidfd_open") and hasattr(signal, "pidfd_send_signal")


class ReferenceProcess:
    """A forked worker computing the expected value of every case.

    Args:
        exercises: The exercises it may be asked for.
        cases: Their cases (hidden ones included), by exercise name.
        zygote: Fork the worker from this torch zygote (it has imported
            torch already) rather than from this process. The worker then
            loads the exercises from ``plugins`` (exercise name ->
            ``(plugin, module)``) and makes their cases from ``hidden``
            (exercise name -> hidden-case key), sent on its own pipe; it is
            forked when it is first asked for something.
    """

    def __init__(
        self,
        exercises: Sequence[Exercise],
        cases: dict,
        *,
        zygote: Any = None,
        plugins: dict | None = None,
        hidden: dict | None = None,
    ) -> None:
        self._names: list[str] = []
        self._zygote = zygote
        self._preload = list(dict.fromkeys(name for e in exercises for name in e.preload))
        self._fork: int | None = None  # the zygote's id for the fork request
        device_read, self._device_write = os.pipe()
        result_read, result_write = os.pipe()
        if zygote is not None:
            self.pid = 0  # the zygote's child: killed through the pidfd its zygote sends (see close)
            self._child_fds: list[int] = [device_read, result_write]
            names, plugins, hidden = [e.name for e in exercises], plugins or {}, hidden or {}
            init = {"plugins": {n: list(plugins[n]) for n in names}, "hidden": {n: hidden.get(n) for n in names}}
            self._tell(json.dumps(init) + "\n")  # small: the pipe holds it until the worker reads it
        else:
            self._child_fds = []
            self.pid = os.fork()
            if self.pid == 0:  # pragma: no cover - runs in the child
                try:
                    os.close(self._device_write)
                    os.close(result_read)
                    _child(exercises, cases, device_read, result_write)
                finally:
                    os._exit(0)
            os.close(device_read)
            os.close(result_write)
        # Trusted, but large: the references' frames are bounded only by the size of the answers.
        self._reader = FrameReader(result_read, max_frame=256 * 2**20, budget=None, max_items=plain.MAX_ITEMS)
        self._done: dict[str, dict] = {}
        self._arrived = threading.Condition()
        self._reading = False
        self._asked_all = False
        self._wanted: set[str] = set()

    def request(self, device: str, names: Sequence[str]) -> None:
        """Ask the worker for the expected values of ``names`` on ``device`` (it starts at once).

        May be called several times (numpy exercises before the torch
        device is known, say); :meth:`done_asking` ends the requests.
        """
        self._names += [name for name in names if name not in self._names]
        self._tell(f"{device}\t{','.join(names)}\n")
        if names and self._child_fds:
            self._fork_from_zygote()

    def _fork_from_zygote(self) -> None:
        """Have the zygote fork the worker, handing it the worker's ends of the pipes (and standard error)."""
        fds, self._child_fds = self._child_fds, []
        try:
            self._fork = self._zygote.fork_expected([*fds, 2], self._preload)
        except OSError:  # the zygote is gone: reading the worker's frames says so
            pass
        finally:
            for fd in fds:
                os.close(fd)

    def done_asking(self) -> None:
        """No more requests: the worker exits once it has answered them."""
        if not self._asked_all:
            self._asked_all = True
            self._tell("!done\n")

    def _tell(self, line: str) -> None:
        if self._device_write is None:
            return
        try:
            os.write(self._device_write, line.encode())
        except OSError:  # the worker is gone: reading its frames says so
            pass

    def start(self, device: str, names: Sequence[str]) -> None:
        """Ask for ``names`` on ``device``, and nothing else."""
        self.request(device, names)
        self.done_asking()

    def frame(self, name: str, deadline: float) -> dict:
        """The worker's frame for exercise ``name``: ``{"exercise", "results"}`` or ``{"error"}``.

        Thread-safe: one caller at a time reads from the worker, and a frame
        that another caller is waiting for reaches it as soon as it is read
        (frames come in the worker's order, not the callers').
        """
        with self._arrived:
            if name not in self._done and name not in self._wanted:
                self._wanted.add(name)
                self._tell(f"!want\t{name}\n")  # someone waits for it: the worker computes it next
            while name not in self._done:
                if self._reading:
                    self._arrived.wait(max(0.0, deadline - time.monotonic()) + 0.1)
                    continue
                self._reading = True
                self._arrived.release()
                try:
                    frame, failed = self._read(deadline), None
                except (Timeout, Closed) as exc:
                    frame, failed = None, "took too long" if isinstance(exc, Timeout) else "stopped"
                except _ZygoteGone as exc:
                    frame, failed = None, f"never came: {exc}"
                finally:
                    self._arrived.acquire()
                    self._reading = False
                    self._arrived.notify_all()
                if failed:
                    for missing in self._names:
                        self._done.setdefault(missing, {"error": f"the reference process {failed}"})
                    self.close(final=False)  # a lane's thread: another may be reading the zygote's socket
                    break
                self._done[frame["exercise"]] = frame
            return self._done.get(name, {"error": "the reference process was not asked for it"})

    def _read(self, deadline: float) -> Any:
        """The worker's next frame; a zygote that failed ends the wait (a worker it was to fork never comes)."""
        if self._zygote is None:
            return self._reader.read(deadline)
        while True:
            try:
                return self._reader.read(min(deadline, time.monotonic() + LIVENESS_STEP))
            except Timeout:
                if time.monotonic() >= deadline:
                    raise
                failure = self._zygote.failure()
                if failure is not None:
                    raise _ZygoteGone(failure) from None

    def close(self, final: bool = True) -> None:
        """Stop the worker (if still running) and reap it.

        Args:
            final: Whether the grader is done with the zygote the worker was
                forked from (if it was): its answer to the fork is then waited
                for if not read yet. Otherwise a worker whose pidfd has not
                arrived yet is left to the final call.
        """
        if self.pid:
            kill_and_reap(self.pid)
            self.pid = 0
        if self._fork is not None:
            pidfd = self._zygote.expected_pidfd(self._fork, wait=final)
            if pidfd is not None or final:
                self._fork = None
                _kill_zygote_child(pidfd)
        for fd in self._child_fds:
            os.close(fd)
        self._child_fds = []
        if self._device_write is not None:
            os.close(self._device_write)
            self._device_write = None
        try:
            os.close(self._reader.fd)
        except OSError:
            pass


class _ZygoteGone(Exception):
    """The zygote that was to fork a worker will never answer again."""


class References:
    """A run's expected values from torch-zygote-forked workers, one per preload group.

    Exercises that preload the same modules share a worker
    (:func:`preload_groups`); the zygote forks each worker once it has
    imported its group's modules, the smallest sets first, so the first
    groups' values are computed while the zygote still imports the next
    group's (and forks sandboxes meanwhile).
    The interface is :class:`ReferenceProcess`'s: each call goes to the
    workers of the exercises it names.

    Args:
        exercises: The exercises it may be asked for.
        cases, zygote, plugins, hidden: As for :class:`ReferenceProcess`.
    """

    def __init__(self, exercises: Sequence[Exercise], cases: dict, *, zygote: Any, plugins: dict, hidden: dict) -> None:
        self._workers: list[ReferenceProcess] = []
        self._of: dict[str, ReferenceProcess] = {}
        try:
            for group in preload_groups(exercises):
                worker = ReferenceProcess(group, cases, zygote=zygote, plugins=plugins, hidden=hidden)
                self._workers.append(worker)
                self._of.update((e.name, worker) for e in group)
        except BaseException:
            self.close()
            raise

    def request(self, device: str, names: Sequence[str]) -> None:
        """Ask for ``names`` on ``device``: each group's worker (forked at its first request) for its own."""
        for worker in self._workers:
            mine = [name for name in names if self._of.get(name) is worker]
            if mine:
                worker.request(device, mine)

    def done_asking(self) -> None:
        """No more requests: each worker exits once it has answered its own."""
        for worker in self._workers:
            worker.done_asking()

    def frame(self, name: str, deadline: float) -> dict:
        """The frame for exercise ``name``, from its group's worker (see :meth:`ReferenceProcess.frame`)."""
        worker = self._of.get(name)
        if worker is None:
            return {"error": "the reference process was not asked for it"}
        return worker.frame(name, deadline)

    def close(self, final: bool = True) -> None:
        """Stop every worker and reap it (see :meth:`ReferenceProcess.close`)."""
        for worker in self._workers:
            worker.close(final)


def preload_groups(exercises: Sequence[Exercise]) -> list[list[Exercise]]:
    """``exercises`` grouped by the modules they preload, the groups with the fewest modules first.

    A numpy exercise's preloads count too: its oracles may use torch (the
    optimizers' do), and they run in the expected-values process.
    """
    groups: dict[frozenset[str], list[Exercise]] = {}
    for exercise in exercises:
        groups.setdefault(frozenset(exercise.preload), []).append(exercise)
    return [groups[key] for key in sorted(groups, key=lambda key: (len(key), sorted(key)))]


def _kill_zygote_child(pidfd: int | None) -> None:
    """SIGKILL a worker forked by a zygote and wait until its zygote has reaped it."""
    if pidfd is None:  # the zygote stopped before it forked (or its answer was lost): nothing to reap
        return
    try:
        signal.pidfd_send_signal(pidfd, signal.SIGKILL)
        give_up = time.monotonic() + REAP_LIMIT
        while time.monotonic() < give_up:
            signal.pidfd_send_signal(pidfd, 0)  # succeeds until the zombie is reaped
            time.sleep(0.005)
    except ProcessLookupError:
        pass
    finally:
        os.close(pidfd)


def _child(exercises: Sequence[Exercise], cases: dict, device_fd: int, out_fd: int) -> None:
    die_with_parent()
    _close_other_descriptors(device_fd, out_fd)  # e.g. the grader's ends of the zygotes' sockets
    _serve(_Requests(device_fd, {e.name: e for e in exercises}), cases, out_fd)


def zygote_child(device_fd: int, out_fd: int, stderr_fd: int, parent: int, load: Any) -> None:  # pragma: no cover
    """The worker's body when a zygote forked it: learn what to compute from the grader, then serve.

    Runs in the zygote's child (sandboxes may exist already: the zygote
    holds nothing of theirs). The first line on ``device_fd`` says which plugin modules declare the
    exercises and their hidden-case keys; they are loaded with ``load``
    (the zygote's own loader) and the cases made when the first request arrives.
    """
    die_with_parent()
    if os.getppid() != parent:  # the zygote died before the line above
        os._exit(0)
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)  # the zygote's reaper is not ours
    if stderr_fd != 2:
        os.dup2(stderr_fd, 2)
    _close_other_descriptors(device_fd, out_fd)  # the zygote's socket, the grader's descriptors
    _serve(_Requests(device_fd, None), None, out_fd, load)


def _load(init: dict, load: Any) -> tuple[dict, dict]:  # pragma: no cover - runs in a zygote's child
    """The exercises a zygote's child is told about, and their cases (hidden ones included)."""
    from grader.cases import make_cases

    exercises = load({name: tuple(value) for name, value in init["plugins"].items()})
    return exercises, {name: make_cases(e, init["hidden"].get(name)) for name, e in exercises.items()}


def _serve(requests: _Requests, cases: dict | None, out_fd: int, load: Any = None) -> None:
    devnull = os.open(os.devnull, os.O_RDWR)
    os.dup2(devnull, 0)
    os.dup2(devnull, 1)
    sys.path.append(str(checkout_root()))  # the references live in the checkout, not in the installed package
    while requests.wait():
        import torch  # only when there is work: a warm cache needs none

        # One thread: the work is many small operations, between which a pool's threads only spin
        # (measured: over a CPU-second in one worker) on the cores the sandboxes need. The values are
        # the same (bit for bit, for every case of the catalog, hidden ones included, with one and two).
        torch.set_num_threads(1)

        from grader.cases import preload

        if cases is None:  # a zygote's child: the exercises come from the plugins, as in the zygote
            requests.by_name, cases = _load(requests.init, load)
        device, exercise = requests.next()
        preload([exercise])  # each exercise's lazy imports just before it: the first frame comes sooner
        results = compute(exercise, cases[exercise.name], device)
        write_frame(out_fd, {"exercise": exercise.name, "results": results})


def _close_other_descriptors(*keep: int) -> None:
    """Close every file descriptor above standard error except ``keep``."""
    low = 3
    for fd in sorted(set(keep)):
        if fd >= low:
            os.closerange(low, fd)
            low = fd + 1
    os.closerange(low, 1 << 16)


class _Requests:
    """The grader's requests, answered in the order the grader needs them.

    Lines: ``device<TAB>name,name`` asks for exercises, ``!want<TAB>name``
    says that a lane is waiting for that one (it is computed next, before
    the others asked earlier), ``!done`` ends the requests. A lane that
    waits is on a run's critical path (the torch lane, whose first exercise
    starts only once its zygote has imported torch, usually is); the others
    have time to spare.
    """

    def __init__(self, fd: int, by_name: dict | None) -> None:
        self.fd = fd
        self.by_name = by_name  # None: known from the first line (``init``), loaded when work arrives
        self.init: dict | None = None
        self.buffer = b""
        self.finished = False
        self.pending: list[tuple[str, str]] = []  # (device, exercise name)
        self.wanted: list[str] = []

    def _read(self, timeout: float | None) -> None:
        ready, _, _ = select.select([self.fd], [], [], timeout)
        if not ready:
            return
        data = os.read(self.fd, 1 << 16)
        if not data:
            self.finished = True
            return
        self.buffer += data
        *lines, self.buffer = self.buffer.split(b"\n")
        for line in lines:
            if self.init is None and self.by_name is None:
                self.init = json.loads(line)
                continue
            head, _, rest = line.decode().partition("\t")
            known = self.by_name if self.by_name is not None else self.init["plugins"]
            if head == "!done":
                self.finished = True
            elif head == "!want":
                self.wanted.append(rest)
            elif head:
                self.pending += [(head, n) for n in rest.split(",") if n in known]

    def wait(self) -> bool:
        """Read what has arrived; with nothing pending, wait for a request. Whether one is pending."""
        self._read(0)
        while not self.finished and not self.pending:
            self._read(None)
        return bool(self.pending)

    def next(self) -> tuple[str, Exercise]:
        """The next exercise to compute (and its device): the first one waited for, else the first asked."""
        self._read(0)
        names = [name for _, name in self.pending]
        index = next((names.index(name) for name in self.wanted if name in names), 0)
        device, name = self.pending.pop(index)
        return device, self.by_name[name]


def expected_values(frame: dict) -> dict:
    """A frame as ``(check, case) -> ("value", v) | ("error", message)``, or ``{"error": message}``."""
    if "error" in frame:
        return {"error": str(frame["error"])}
    return {(i, j): (kind, value) for i, j, kind, value in frame["results"]}


def checkout_root() -> Path:
    """The folder that holds the ``grader`` package: an instructor's checkout, or a Gradescope package.

    The reference solutions (``solutions/``) live there and are not part of
    the installed distribution, so a student's install never carries them.
    """
    return Path(__file__).resolve().parents[2]


@contextlib.contextmanager
def references_on_path() -> Iterator[None]:
    """Let the reference modules of the checkout be found (the import path is restored after)."""
    root = str(checkout_root())
    added = root not in sys.path
    if added:
        sys.path.append(root)
    try:
        yield
    finally:
        if added and root in sys.path:
            sys.path.remove(root)


def reference_spec(name: str):
    """``importlib.util.find_spec(name)`` with the checkout's references in reach; ``None`` if missing."""
    with references_on_path():
        try:
            return importlib.util.find_spec(name) if name else None
        except (ImportError, ValueError):
            return None


def compute(exercise: Exercise, cases: dict, device: str) -> list:
    """Expected values for every case of ``exercise``, as ``[check, case, kind, value]`` rows.

    A check with an oracle gets its values from the function of that name
    in the exercise's oracle module, imported here and nowhere else; the
    others from their probe on the reference module.
    """
    ctx = Context(device=device_for(exercise, device), role="reference")
    rows: list[list[Any]] = []
    try:
        module = importlib.import_module(exercise.reference)
    except Exception as exc:
        module, import_error = None, f"importing {exercise.reference} failed: {type(exc).__name__}: {exc}"
    oracles: dict[str, Any] = {}
    for i, check in enumerate(exercise.checks):
        if not isinstance(check, Check):
            continue
        for j, case in enumerate(cases[check.name]):
            try:
                if check.oracle is not None:
                    value = _oracle(exercise, check.oracle, oracles)(case.inputs, ctx)
                elif module is None:
                    raise RuntimeError(import_error)
                else:
                    value = check.probe(module, case.inputs, ctx)
                rows.append([i, j, "value", to_plain(value)])
            except Exception as exc:
                rows.append([i, j, "error", f"{type(exc).__name__}: {exc}"])
    return rows


def _oracle(exercise: Exercise, name: str, found: dict):
    """The oracle function ``name`` of the exercise's oracle module (looked up once)."""
    if name not in found:
        try:
            found[name] = getattr(importlib.import_module(exercise.oracles), name)
        except Exception as exc:
            found[name] = exc
    oracle = found[name]
    if isinstance(oracle, Exception):
        raise RuntimeError(
            f"the oracle {exercise.oracles}.{name} could not be loaded: {type(oracle).__name__}: {oracle}"
        )
    return oracle
