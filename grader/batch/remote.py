"""Grade a class on a Dask distributed cluster.

The client (the ``batch`` command) reads each student's files, defensively,
and submits one task per student with the sources as data, so workers need
no shared file system. Each worker process keeps one warm
:class:`~grader.grading.Grader` per configuration (plugins, exercises,
device, time limit), with a lane per worker thread; results come back as
plain dicts and the client alone writes the gradebook. Scheduling, retries
and worker placement are Dask's.

Workers must be able to import the grader and every plugin named with
``-p`` (same versions as the client: the gradebook's fingerprints are
computed by the client).
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from grader.batch import files
from grader.batch.local import Done, _describe
from grader.batch.plan import Work
from grader.batch.records import from_plain, to_plain
from grader.errors import UsageError

IN_FLIGHT_PER_THREAD = 2


@dataclass(frozen=True)
class Config:
    """What a worker needs to build its grader; equal configurations share one."""

    plugins: tuple[str, ...]
    exercises: tuple[str, ...]
    device: str = "auto"
    time_limit: float | None = None


def grade_on_cluster(address: str, config: Config, work: Sequence[Work], done: Done) -> None:
    """Grade ``work`` on the cluster whose scheduler is at ``address``; ``done`` as in :func:`grade_here`.

    At most a few tasks per worker thread are in flight, so a large class is
    never held in memory all at once.

    Raises:
        UsageError: when the scheduler cannot be reached.
    """
    from distributed import Client, as_completed

    work = [w for w in work if w.todo]
    if not work:
        return
    try:
        client = Client(address, timeout="30s", set_as_default=False)
    except (OSError, TimeoutError, ValueError) as exc:
        raise UsageError(f"--scheduler {address!r}: cannot connect ({_describe(exc)})") from None
    pending: dict = {}
    try:
        threads = sum(client.nthreads().values()) or 1
        window = max(1, threads * IN_FLIGHT_PER_THREAD)
        queue = iter(work)

        def submit():
            w = next(queue, None)
            if w is None:
                return None
            handed = w.read()
            future = client.submit(grade_task, config, _label(w), handed, tuple(w.todo), pure=False)
            pending[future] = (w, {name: files.digest(h) for name, h in handed.items()})
            return future

        finished = as_completed(loop=client.loop)
        for _ in range(window):
            future = submit()
            if future is None:
                break
            finished.add(future)
        for future in finished:
            w, digests = pending.pop(future)
            try:
                results, error = {d["name"]: from_plain(d) for d in future.result()}, None
            except Exception as exc:
                results, error = None, _describe(exc)
            done(w, results, digests, error)
            future = submit()
            if future is not None:
                finished.add(future)
    finally:
        if pending:
            client.cancel(list(pending), force=True)
        client.close()


def _label(work: Work) -> str:
    return files.file_stem(work.student.name)


# --- on a worker -----------------------------------------------------------------

_graders: dict = {}
_lock = threading.Lock()


def grade_task(config: Config, label: str, sources: dict, only: tuple[str, ...]) -> list[dict]:
    """Run on a worker: grade one student's ``sources`` (``grader.submission.Submission``) with this
    process's warm grader."""
    grader = _warm(config, _threads())
    report = grader.grade(Path("submissions") / label, sources=dict(sources), only=list(only), report=False)
    return [to_plain(result) for result in report.exercises]


def _warm(config: Config, lanes: int):
    """This worker process's grader for ``config``, started on first use.

    It is started from a thread that lives as long as the process: the
    grader's processes are set to die with the *thread* that started them
    (``PR_SET_PDEATHSIG``), and a task thread may come and go.
    """
    with _lock:
        if config not in _graders:
            box: dict = {}
            ready = threading.Event()
            threading.Thread(target=_keep, args=(config, lanes, box, ready), name="grader-keeper", daemon=True).start()
            ready.wait()
            if "error" in box:
                raise box["error"]
            _graders[config] = box["grader"]
        return _graders[config]


def _keep(config: Config, lanes: int, box: dict, ready: threading.Event) -> None:
    try:
        from grader.grading import Grader
        from grader.manager import collect_exercises, get_plugin_manager

        pm = get_plugin_manager(config.plugins)
        declared = collect_exercises(pm)
        missing = [name for name in config.exercises if name not in declared]
        if missing:
            raise RuntimeError(f"this worker does not know the exercise {missing[0]!r} (install its plugin here)")
        box["grader"] = Grader(
            pm,
            [declared[name] for name in config.exercises],
            config.device,
            time_limit=config.time_limit,
            jobs=lanes,
        )
    except BaseException as exc:
        box["error"] = exc
    ready.set()
    if "grader" in box:
        threading.Event().wait()  # forever: this thread must outlive the grader's processes


def _threads() -> int:
    """Threads of the worker running this task: one lane each."""
    try:
        from distributed import get_worker

        return max(1, int(get_worker().state.nthreads))
    except Exception:
        return 1
