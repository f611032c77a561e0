"""Compute expected values in a process that never runs student code.

The process is forked from the grader before torch does any work (so that
forking stays safe), imports torch and the reference modules itself, and
streams one frame of plain data per exercise, in order.
"""

from __future__ import annotations

import contextlib
import importlib
import importlib.util
import os
import sys
from pathlib import Path
from typing import Any, Iterator, Sequence

from grader.process.lifecycle import die_with_parent, kill_and_reap
from grader.process.channel import Closed, FrameReader, Timeout, write_frame
from grader.exercise import Check, Context, Exercise
from grader.policy import device_for
from grader import plain
from grader.plain import to_plain


class ReferenceProcess:
    """A forked worker computing the expected value of every case."""

    def __init__(self, exercises: Sequence[Exercise], cases: dict) -> None:
        self._names: list[str] = []
        device_read, self._device_write = os.pipe()
        result_read, result_write = os.pipe()
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

    def request(self, device: str, names: Sequence[str]) -> None:
        """Ask the worker for the expected values of ``names`` on ``device`` (it starts at once).

        May be called several times (numpy exercises before the torch
        device is known, say); :meth:`done_asking` ends the requests.
        """
        self._names += [name for name in names if name not in self._names]
        os.write(self._device_write, f"{device}\t{','.join(names)}\n".encode())

    def done_asking(self) -> None:
        """No more requests: the worker exits once it has answered them."""
        if self._device_write is not None:
            os.close(self._device_write)
            self._device_write = None

    def start(self, device: str, names: Sequence[str]) -> None:
        """Ask for ``names`` on ``device``, and nothing else."""
        self.request(device, names)
        self.done_asking()

    def frame(self, name: str, deadline: float) -> dict:
        """The worker's frame for exercise ``name``: ``{"exercise", "results"}`` or ``{"error"}``."""
        while name not in self._done:
            try:
                frame = self._reader.read(deadline)
            except (Timeout, Closed) as exc:
                why = "took too long" if isinstance(exc, Timeout) else "stopped"
                for missing in self._names:
                    self._done.setdefault(missing, {"error": f"the reference process {why}"})
                self.close()
                break
            self._done[frame["exercise"]] = frame
        return self._done.get(name, {"error": "the reference process was not asked for it"})

    def close(self) -> None:
        """Stop the worker (if still running) and reap it."""
        if self.pid:
            kill_and_reap(self.pid)
            self.pid = 0
        self.done_asking()
        try:
            os.close(self._reader.fd)
        except OSError:
            pass


def _child(exercises: Sequence[Exercise], cases: dict, device_fd: int, out_fd: int) -> None:
    die_with_parent()
    devnull = os.open(os.devnull, os.O_RDWR)
    os.dup2(devnull, 0)
    os.dup2(devnull, 1)
    by_name = {e.name: e for e in exercises}
    sys.path.append(str(checkout_root()))  # the references live in the checkout, not in the installed package
    with os.fdopen(device_fd) as requests:
        for line in requests:  # "device<TAB>name,name": one request a line, until the grader closes
            device, _, names = line.rstrip("\n").partition("\t")
            wanted = [by_name[name] for name in names.split(",") if name in by_name]
            if not device or not wanted:
                continue
            import torch  # noqa: F401  (only when there is work: a warm cache needs none)

            from grader.cases import preload

            for exercise in wanted:
                preload([exercise])  # each exercise's lazy imports just before it: the first frame comes sooner
                results = compute(exercise, cases[exercise.name], device)
                write_frame(out_fd, {"exercise": exercise.name, "results": results})


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
    return Path(__file__).resolve().parent.parent


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
