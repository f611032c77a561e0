"""Grade a class on this machine: one warm :class:`~grader.grading.Grader`, a thread per lane."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from pathlib import Path

import pluggy

from grader.batch import files
from grader.batch.plan import Work
from grader.exercise import Exercise
from grader.grading import Grader
from grader.results import ExerciseResult

#: ``done(work, results, digests, error)``: results and the digests of what was graded, or the error.
Done = Callable[[Work, "dict[str, ExerciseResult] | None", "dict[str, str] | None", "str | None"], None]


def grade_here(
    pm: pluggy.PluginManager,
    exercises: Sequence[Exercise],
    work: Sequence[Work],
    done: Done,
    *,
    root: Path,
    device: str = "auto",
    time_limit: float | None = None,
    jobs: int = 1,
) -> None:
    """Grade ``work``; call ``done`` (see :data:`Done`) in this thread as each student finishes.

    One student's failure (an exception in the grader) reaches ``done`` as
    ``error`` and the batch goes on. If this thread is interrupted
    (``KeyboardInterrupt``), every process the grader started is stopped
    before the exception goes on: results still in flight are dropped.
    """
    work = [w for w in work if w.todo]
    if not work:
        return
    needed = {name for w in work for name in w.todo}
    lanes = max(1, min(jobs, len(work)))
    chosen = [e for e in exercises if e.name in needed]
    grader = Grader(pm, chosen, device, time_limit=time_limit, jobs=lanes, exclude=(root,))
    pool = ThreadPoolExecutor(lanes, thread_name_prefix="grader-batch")
    try:
        pending = {pool.submit(_grade, grader, w): w for w in work}
        while pending:
            finished, _ = wait(pending, timeout=0.5, return_when=FIRST_COMPLETED)  # wakes for signals
            for future in finished:
                w = pending.pop(future)
                try:
                    (results, digests), error = future.result(), None
                except Exception as exc:
                    results, digests, error = None, None, _describe(exc)
                done(w, results, digests, error)
    finally:
        pool.shutdown(wait=False, cancel_futures=True)
        grader.close()


def _grade(grader: Grader, work: Work) -> tuple[dict[str, ExerciseResult], dict[str, str]]:
    handed = work.read()
    report = grader.grade(work.student.path, sources=handed, only=work.todo, report=False)
    return {result.name: result for result in report.exercises}, {n: files.digest(h) for n, h in handed.items()}


def _describe(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0][:300]}" if text else type(exc).__name__
