"""Run one exercise's cases in sandboxed children, with deadlines.

The zygote forks a child per exercise (cheap: torch is already imported).
Every case has its own time limit and the exercise has one more. When a
case hangs or the process dies, that case is charged, the process and
everything it started are killed, and a fresh child resumes with the next
case, so one bad function never costs the others their points. A submission
that cannot even be imported fails all its cases at once.
"""

from __future__ import annotations

import contextlib
import os
import signal
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from grader import policy
from grader.checking.outcomes import Outcome
from grader.exercise import Context, Exercise
from grader.policy import group_memory_bytes
from grader.process import cgroups, lifecycle, sandbox
from grader.process.channel import Budget, Closed, FrameReader, Timeout
from grader.process.zygote import Zygote, ZygoteError, work_items
from grader.text import utf8


@dataclass
class _Child:
    pid: int
    reader: FrameReader
    inner: int = 0
    exit_code: int | None = None


def run_exercise(
    exercise: Exercise,
    cases: dict,
    filename: str,
    source: str,
    ctx: Context,
    plan: sandbox.Plan,
    zygote: Zygote,
    *,
    deadline: float | None = None,
    judge: Callable[[tuple[int, int], Any], Any] | None = None,
    hidden: int | None = None,
    public_done: Callable[[], None] | None = None,
) -> tuple[dict, str]:
    """Run every case of ``exercise``'s behavioural checks on the submission.

    ``source`` is the submission's text; ``filename`` names it in tracebacks.

    Args:
        deadline: ``time.monotonic()`` value past which no student code of
            this submission may run (``--time-limit``).
        judge: ``judge((check, case), value) -> verdict``, called as each
            value arrives; the outcome keeps the verdict, not the value.
        hidden: The exercise's hidden-case seed, when ``cases`` holds hidden
            cases: they run after the public ones, in processes of their own
            that alone receive the seed, and whatever those print is
            discarded. The processes that run public cases (whose output and
            errors are shown) never hold a hidden input.
        public_done: Called once the public cases are done, before any
            hidden case runs.

    Returns:
        ``(outcomes, output)``: an :class:`Outcome` per ``(check index,
        case index)``, and the start of what the student's code printed.
    """
    items = work_items(exercise, cases)
    outcomes: dict = {}
    stop_at = time.monotonic() + exercise.time_limit
    out_of_time = f"the exercise ran out of its {exercise.time_limit:g} s time limit"
    if deadline is not None and deadline < stop_at:
        stop_at = deadline
        out_of_time = "the submission ran out of its total time limit (--time-limit)"
    if time.monotonic() >= stop_at:
        _fail_all(list(items), outcomes, "timeout", out_of_time)
        return outcomes, ""
    budget = group_memory_bytes(exercise, zygote.resident_bytes())
    plan = replace(plan, cgroups=cgroups.create(exercise.name, budget))
    budget_bytes = Budget()  # one for the exercise: a restarted process does not get a fresh one
    secret = [(i, j) for i, j in items if cases[exercise.checks[i].name][j].hidden]
    public = [key for key in items if key not in set(secret)]
    with tempfile.TemporaryFile() as output, tempfile.TemporaryFile() as discarded, _removing(plan.cgroups):
        phases = [(public, None, output), (secret, hidden, discarded)] if secret else [(public, None, output)]
        broken = None  # why the module cannot be imported: then the hidden cases are not tried again
        for phase, seed, printed in phases:
            if seed is not None and public_done is not None:
                public_done()
            pending = list(phase)
            if broken is not None or time.monotonic() >= stop_at:
                _fail_all(pending, outcomes, "crashed" if broken else "timeout", broken or out_of_time)
            while pending:
                pid, fd = zygote.spawn(
                    exercise.name, len(phase) - len(pending), filename, source, ctx, plan, printed.fileno(), seed
                )
                child = _Child(pid, FrameReader(fd, budget=budget_bytes))
                try:
                    if _collect(exercise, child, pending, outcomes, stop_at, out_of_time, zygote, judge) == "import":
                        broken = "not run: the module could not be imported"
                finally:
                    _kill(child, zygote)
                if time.monotonic() >= stop_at:
                    _fail_all(pending, outcomes, "timeout", out_of_time)
        output.seek(0)
        text = output.read(policy.OUTPUT_SHOWN + 1).decode("utf-8", "replace")
    if len(text) > policy.OUTPUT_SHOWN:
        text = text[: policy.OUTPUT_SHOWN] + "\n[... output truncated]"
    return outcomes, text


@contextlib.contextmanager
def _removing(groups: tuple[str, ...]):
    try:
        yield
    finally:
        cgroups.remove(groups)


def _collect(
    exercise: Exercise,
    child: _Child,
    pending: list,
    outcomes: dict,
    stop_at: float,
    out_of_time: str,
    zygote: Zygote,
    judge,
) -> str | None:
    """Read frames until the child is done, hangs or dies; update in place.

    A case still running at ``stop_at`` is charged ``out_of_time`` (the
    exercise's limit or ``--time-limit``), not its own limit.

    Returns ``"import"`` when the module itself could not be imported.
    """
    try:
        hello = child.reader.read(min(stop_at, time.monotonic() + policy.IMPORT_LIMIT))
        if not (isinstance(hello, dict) and hello.get("kind") == "sandbox" and type(hello.get("pid")) is int):
            raise Closed("the sandbox did not start")
        child.inner = hello["pid"]
        frame = child.reader.read(min(stop_at, time.monotonic() + policy.IMPORT_LIMIT))
        if not (isinstance(frame, dict) and frame.get("kind") == "import"):
            raise Closed("sent an unexpected message")
    except Timeout:  # cut by the import limit, or by the exercise's (or the submission's) time running out
        slow = f"importing your module took longer than {policy.IMPORT_LIMIT:g} s"
        _fail_all(pending, outcomes, "timeout", out_of_time if time.monotonic() >= stop_at else slow)
        return "import"
    except Closed as exc:
        _fail_all(pending, outcomes, "crashed", _death(child, zygote, "while being imported", str(exc)))
        return "import"
    if frame.get("error") is not None:
        error = _error(frame["error"])
        for key in pending:
            outcomes[key] = Outcome("raised", error=dict(error, stage="import"))
        pending.clear()
        return "import"
    while pending:
        key = pending[0]
        check = exercise.checks[key[0]]
        limit = min(stop_at, time.monotonic() + check.time_limit)
        try:
            frame = child.reader.read(limit)
        except Timeout:
            message = f"it took longer than {check.time_limit:g} s" if limit < stop_at else out_of_time
            outcomes[key] = Outcome("timeout", message=message)
            pending.pop(0)
            return
        except Closed as exc:
            outcomes[key] = Outcome("crashed", message=_death(child, zygote, "", str(exc)))
            pending.pop(0)
            return
        if not (
            isinstance(frame, dict)
            and frame.get("kind") == "case"
            and (frame.get("check"), frame.get("case")) == key
            and sum(k in frame for k in ("value", "error", "unreadable")) == 1
        ):
            outcomes[key] = Outcome("crashed", message=_death(child, zygote, "", "sent an unexpected message"))
            pending.pop(0)
            return
        if "error" in frame:
            outcomes[key] = Outcome("raised", error=_error(frame["error"]))
        elif "unreadable" in frame:
            why = utf8(frame["unreadable"]) if isinstance(frame["unreadable"], str) else ""
            outcomes[key] = Outcome(
                "crashed",
                message=f"returned a value the grader cannot read ({why[:300]}); return plain numbers, "
                "arrays or tensors",
            )
        else:
            value = frame.pop("value")
            outcomes[key] = Outcome("value", value=judge(key, value) if judge else value)
        pending.pop(0)


def _fail_all(pending: list, outcomes: dict, kind: str, message: str) -> None:
    for key in pending:
        outcomes[key] = Outcome(kind, message=message)
    pending.clear()


def _error(raw: Any) -> dict:
    """Validate an error description sent by the student's process."""
    if not isinstance(raw, dict):
        return {"type": "Exception", "message": "", "trace": []}
    kind = raw.get("type") if isinstance(raw.get("type"), str) else "Exception"
    message = raw.get("message") if isinstance(raw.get("message"), str) else ""
    trace = raw.get("trace") if isinstance(raw.get("trace"), list) else []
    trace = [utf8(line[:300]) for line in trace if isinstance(line, str)][-5:]
    # Text from the student's process is made encodable here, at the boundary: a lone surrogate
    # must not break a report, a gradebook or a terminal later.
    return {"type": utf8(kind[:100]), "message": utf8(message[:2000]), "trace": trace}


def _death(child: _Child, zygote: Zygote, when: str, why: str) -> str:
    """Describe why a child stopped talking, after making sure it is gone."""
    _kill(child, zygote)
    code = child.exit_code
    if why:
        text = f"the process {why}"
    elif code is None:
        text = "the process stopped responding"
    elif code < 0:
        name = signal.Signals(-code).name if -code in signal.Signals._value2member_map_ else str(-code)
        text = f"the process was killed by signal {name}"
        if -code == signal.SIGSEGV:
            text += " (a crash in native code)"
        elif -code == signal.SIGKILL:
            text += " (possibly out of memory)"
    else:
        text = f"the process exited with status {code} (sys.exit or os._exit?)"
    return f"{text} {when}".strip()


def _kill(child: _Child, zygote: Zygote) -> None:
    """Make sure the child and its student process are gone; learn its exit status.

    Killing the student process, PID 1 of its own PID namespace, makes the
    kernel kill everything it started.
    """
    if child.exit_code is not None:
        return
    status = None
    if child.reader.eof:  # it closed the pipe: it is probably exiting by itself
        status = zygote.wait(child.pid, policy.EXIT_GRACE)
    if status is None:
        # Without a PID namespace the student's process group is the next best net.
        for pid in (-child.inner, child.inner, child.pid):
            if pid:
                lifecycle.kill_quietly(pid)
        status = zygote.wait(child.pid, 30.0)
        if status is None:
            raise ZygoteError(f"process {child.pid} did not die")
    code = os.waitstatus_to_exitcode(status)
    # The middle process exits with 128 + N when the student process died of signal N.
    child.exit_code = -(code - 128) if code > 128 else code
    try:
        os.close(child.reader.fd)
    except OSError:
        pass
