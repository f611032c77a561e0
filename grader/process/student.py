"""What runs inside the sandboxed student process.

The process descends from a zygote (see ``grader.process.zygote``), a fresh
interpreter that holds the exercise's probes, its inputs and the
submission's source text, and nothing of the grader's: no reference, no
oracle, no expected value. It needs no file at all. It imports the
submission, runs the probes in order and writes one frame per case. Nothing
it sends is trusted: the grader validates and compares every value itself.
"""

from __future__ import annotations

import linecache
import os
import sys
import traceback
import types
from collections.abc import Sequence
from typing import Any

from grader.exercise import Context, Exercise
from grader.plain import PlainDataError, to_plain
from grader.process.channel import write_frame

TORCH_PACKAGES = frozenset({"torch", "torchgen", "functorch", "torchvision", "torchaudio", "triton"})


class NoTorch:
    """Import finder of numpy exercises: explains why torch cannot be imported.

    Only the message: what enforces it is that a numpy exercise's zygote never
    imports torch and that its sandbox hides torch's files (a submission that
    removes this finder still finds nothing to import).
    """

    @staticmethod
    def find_spec(name, path=None, target=None):
        if name.partition(".")[0] in TORCH_PACKAGES:
            raise ModuleNotFoundError(
                f"No module named {name!r}: torch is not available in a numpy exercise; write it with numpy",
                name=name,
            )
        return None


def load_module(name: str, source: str, filename: str) -> types.ModuleType:
    """Execute ``source`` as a fresh module called ``name``."""
    module = types.ModuleType(name)
    module.__file__ = filename
    # The file may be unreadable from the sandbox: let tracebacks find the lines.
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    sys.modules[name] = module
    exec(compile(source, filename, "exec", dont_inherit=True), module.__dict__)
    return module


def describe_error(exc: BaseException, filename: str) -> dict:
    """An exception as plain data: type, message and the student's frames."""
    try:
        message = str(exc)
    except BaseException:  # a hostile __str__
        message = "<the exception's message could not be read>"
    frames = [
        f"{frame.filename.rsplit('/', 1)[-1]}, line {frame.lineno}, in {frame.name}: {(frame.line or '').strip()}"
        for frame in traceback.extract_tb(exc.__traceback__)
        if frame.filename == filename
    ]
    return {
        "type": type(exc).__name__,
        "message": message[:2000],
        "trace": frames[-5:],
    }


def run(
    exercise: Exercise,
    cases: dict,
    items: Sequence[tuple[int, int]],
    source: str,
    filename: str,
    ctx: Context,
    fd: int,
) -> None:
    """Import the submission and run ``items`` (check index, case index)."""
    if exercise.framework == "numpy":
        sys.meta_path.insert(0, NoTorch())
    try:
        module = load_module(exercise.name, source, filename)
    except BaseException as exc:
        write_frame(fd, {"kind": "import", "error": describe_error(exc, filename)})
        return
    write_frame(fd, {"kind": "import", "error": None})
    for check_index, case_index in items:
        check = exercise.checks[check_index]
        case = cases[check.name][case_index]
        frame: dict[str, Any] = {"kind": "case", "check": check_index, "case": case_index}
        try:
            value = to_plain(check.probe(module, case.inputs, ctx))
        except BaseException as exc:
            frame["error"] = describe_error(exc, filename)
            write_frame(fd, frame)
            continue
        try:
            write_frame(fd, dict(frame, value=value))
        except (PlainDataError, RecursionError, ValueError, TypeError) as exc:  # e.g. an object-dtype array
            write_frame(fd, dict(frame, unreadable=str(exc)[:300]))
    write_frame(fd, {"kind": "done"})


def _fresh_standard_streams() -> None:
    """Point sys.stdin/stdout/stderr at fds 0-2 (stdin is /dev/null, output a capped file)."""
    sys.stdin = open(0, closefd=False)
    sys.stdout = open(1, "w", closefd=False, buffering=1, errors="replace")
    sys.stderr = open(2, "w", closefd=False, buffering=1, errors="replace")


def child_main(
    exercise: Exercise,
    cases: dict,
    items: Sequence[tuple[int, int]],
    source: str,
    filename: str,
    ctx: Context,
    fd: int,
    output_fd: int,
    plan,
) -> None:
    """Body of the forked child: confine, fork the student process, wait.

    Never returns: the process ends with ``os._exit``.
    """
    from grader.process import lifecycle, sandbox

    status = 1
    try:
        os.dup2(output_fd, 1)
        os.dup2(output_fd, 2)
        os.closerange(3, fd)
        os.closerange(fd + 1, 1 << 16)
        active, pid_namespace = sandbox.enter(plan)
        go_read, go_write = os.pipe()
        pid = os.fork()
        if pid == 0:
            try:
                lifecycle.die_with_parent()  # and take the namespace along
                os.close(go_write)
                if os.read(go_read, 1) != b"x":  # the parent died before announcing this pid
                    os._exit(1)
                os.close(go_read)
                os.setsid()
                sandbox.confine_student(plan, active, pid_namespace)
                _fresh_standard_streams()
                run(exercise, cases, items, source, filename, ctx, fd)
                sys.stdout.flush()
                sys.stderr.flush()
                os._exit(0)
            finally:
                os._exit(1)
        os.close(go_read)
        write_frame(fd, {"kind": "sandbox", "pid": pid})
        os.write(go_write, b"x")
        os.close(go_write)
        os.close(fd)
        _, wait_status = os.waitpid(pid, 0)
        code = os.waitstatus_to_exitcode(wait_status)
        status = 128 - code if code < 0 else min(code, 127)
    finally:
        os._exit(status)
