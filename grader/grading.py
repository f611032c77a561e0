"""One grading run: cases, references, sandboxed student runs, scores.

The order matters for speed and safety. Cases are generated first, with
numpy only; the reference process is forked before this process imports
torch, so both import it at the same time on different cores; every
exercise then runs in a child forked from this process, which never does
torch work itself (forking after torch has run parallel work deadlocks).
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.util
import sys
import time
from dataclasses import replace
from pathlib import Path
from typing import Sequence

import numpy as np
import pluggy

from grader import cache, sandbox, scoring, supervisor, view
from grader.device import resolve
from grader.errors import PluginError
from grader.model import Case, Check, Context, Exercise
from grader.reference import ReferenceProcess, expected_values
from grader.results import ExerciseResult, Report, Session
from grader.zygote import Zygote

MAX_SOURCE_BYTES = 1 << 20


def make_cases(exercise: Exercise) -> dict[str, list[Case]]:
    """Run every check's seeded case factory.

    Raises:
        PluginError: when a factory fails or returns something malformed.
    """
    cases: dict[str, list[Case]] = {}
    for check in exercise.checks:
        if not isinstance(check, Check):
            continue
        digest = int.from_bytes(hashlib.sha256(check.name.encode()).digest()[:4], "big")
        rng = np.random.default_rng([exercise.seed, digest])
        where = f"plugin {exercise.plugin!r}, exercise {exercise.name!r}, check {check.name!r}"
        try:
            made = list(check.cases(rng))
        except Exception as exc:
            raise PluginError(f"{where}: the case factory failed: {type(exc).__name__}: {exc}") from None
        if not made or not all(isinstance(c, Case) and isinstance(c.inputs, dict) for c in made):
            raise PluginError(f"{where}: the case factory must return a non-empty list of grader.Case")
        cases[check.name] = made
    return cases


def hidden_paths(exercises: Sequence[Exercise]) -> tuple[str, ...]:
    """Folders student code must not see: each reference's folder and the repository history."""
    before = set(sys.modules)
    hidden: set[str] = set()
    for exercise in exercises:
        try:
            spec = importlib.util.find_spec(exercise.reference)
        except (ImportError, ValueError):
            spec = None
        if spec is None or not spec.origin:
            continue
        folder = Path(spec.origin).resolve().parent
        hidden.add(str(folder))
        for parent in folder.parents:
            if (parent / ".git").is_dir():
                hidden.add(str(parent / ".git"))
                break
    for name in set(sys.modules) - before:  # find_spec imported parent packages
        del sys.modules[name]
    return tuple(sorted(hidden))


def read_source(path: Path) -> str | None:
    """The submission's text, or ``None`` when the file does not exist."""
    try:
        data = path.read_bytes()[: MAX_SOURCE_BYTES + 1]
    except FileNotFoundError:
        return None
    except OSError as exc:
        return f"raise ImportError({f'could not read the file: {exc}'!r})\n"
    if len(data) > MAX_SOURCE_BYTES:
        return "raise ImportError('the file is larger than 1 MiB')\n"
    return data.decode("utf-8", "replace")


def preload(exercises: Sequence[Exercise]) -> None:
    """Import the exercises' slow lazy modules once, before forking (imports only)."""
    for name in dict.fromkeys(m for e in exercises for m in e.preload):
        try:
            importlib.import_module(name)
        except Exception:  # an optimisation only: the student's process will try again
            pass


def grade(
    pm: pluggy.PluginManager,
    exercises: Sequence[Exercise],
    submission: Path,
    device: str = "auto",
) -> Report:
    """Grade ``submission`` on ``exercises`` and return the report.

    Calls the ``grader_report_start`` and ``grader_report_exercise`` hooks
    as it goes. Every student process is gone when this returns.

    Raises:
        grader.device.DeviceError: when the requested device is missing.
        PluginError: when an exercise plugin's case factory is broken.
    """
    started = time.monotonic()
    sandbox.shield_memory()
    cases = {e.name: make_cases(e) for e in exercises}
    sources = {e.name: read_source(submission / f"{e.name}.py") for e in exercises}
    graded = [e for e in exercises if sources[e.name] is not None]
    references = ReferenceProcess(graded, cases)
    zygote = None
    try:
        resolved = resolve(device)
        store = cache.folder()
        plan = sandbox.Plan(hide=hidden_paths(exercises) + _existing(store))
        protections = sandbox.detect(_plan_for(exercises, plan))
        if not protections["read-only file system"]:
            store = None  # student code could write to the cache: do not trust it
        expected = _Expected(references, store, graded, cases, resolved)
        preload([e for e in graded if e.framework == "torch"])  # numpy students never touch torch
        # Fork the zygote before any expected value enters this process.
        zygote = Zygote(graded, cases, sources)
        if resolved == "cuda" and any(e.framework == "torch" for e in exercises):
            # The address-space cap breaks CUDA: only a memory cgroup caps torch exercises there.
            protections["memory cap"] = protections["process count capped"]
        session = Session(
            exercises=tuple(e.name for e in exercises),
            submission=str(submission),
            device=resolved,
            protections=protections,
            note=sandbox.note(protections),
        )
        pm.hook.grader_report_start(session=session)
        results = []
        for exercise in exercises:
            result = _grade_one(pm, exercise, cases[exercise.name], sources[exercise.name], submission, resolved, plan, expected, zygote)
            pm.hook.grader_report_exercise(result=result)
            results.append(result)
    finally:
        references.close()
        if zygote is not None:
            zygote.close()
    return Report(session=session, exercises=tuple(results), seconds=time.monotonic() - started)


def _plan_for(exercises: Sequence[Exercise], plan: sandbox.Plan) -> sandbox.Plan:
    """``plan`` for a sandbox that runs ``exercises``' probes.

    The view holds the grader and the packages of the plugin modules whose
    probes run there; numpy exercises also hide the torch distribution, so
    that their students cannot call torch.
    """
    modules = ["grader"]
    for exercise in exercises:
        modules.append(exercise.plugin)
        modules += [getattr(c.probe, "__module__", None) or "" for c in exercise.checks if isinstance(c, Check)]
    hide = plan.hide
    if exercises and all(e.framework == "numpy" for e in exercises):
        hide += view.torch_paths()
    return replace(plan, view=view.view_paths(modules), hide=hide)


def _existing(store: Path | None) -> tuple[str, ...]:
    if store is None:
        return ()
    try:
        store.mkdir(parents=True, exist_ok=True)
    except OSError:
        return ()
    return (str(store.resolve()),)


class _Expected:
    """Expected values: from the cache when valid, else from the reference process.

    Cache entries are only located here; they are read in :meth:`get`, after
    the zygote has been forked, like everything else that holds answers.
    """

    def __init__(self, references: ReferenceProcess, store: Path | None, graded, cases: dict, device: str) -> None:
        self.references = references
        self.store = store
        self.device = device
        self.cases = cases
        self.exercises = {e.name: e for e in graded}
        self.keys: dict[str, str] = {}
        if store is not None:
            for exercise in graded:
                entry = cache.key(exercise, "cpu" if exercise.framework == "numpy" else device)
                if entry:
                    self.keys[exercise.name] = entry
        self.cached = {name for name, entry in self.keys.items() if (store / f"{entry}.json").is_file()}
        references.start(device, [e.name for e in graded if e.name not in self.cached])

    def get(self, name: str, deadline: float) -> dict:
        frame = None
        if name in self.cached:
            frame = cache.load(self.store, self.keys[name])
            if frame is None or frame.get("exercise") != name:  # unreadable: compute it now
                late = ReferenceProcess([self.exercises[name]], self.cases)
                try:
                    late.start(self.device, [name])
                    frame = late.frame(name, deadline)
                finally:
                    late.close()
                self.cached.discard(name)
        else:
            frame = self.references.frame(name, deadline)
        if name not in self.cached and "error" not in frame and name in self.keys and self.store is not None:
            if not any(row[2] == "error" for row in frame["results"]):
                cache.store(self.store, self.keys[name], frame)
        return expected_values(frame)


def _grade_one(pm, exercise, cases, source, submission, device, plan, expectations, zygote) -> ExerciseResult:
    started = time.monotonic()
    path = submission / f"{exercise.name}.py"
    if source is None:
        return scoring.not_attempted(exercise, f"{path} does not exist")
    ctx = Context(device="cpu" if exercise.framework == "numpy" else device, role="student")
    # An address-space cap breaks CUDA, which maps huge virtual ranges.
    memory = 0 if ctx.device == "cuda" else exercise.memory_limit_mb
    outcomes, output = supervisor.run_exercise(
        exercise, cases, str(path), ctx, replace(_plan_for([exercise], plan), memory_limit_mb=memory), zygote
    )
    expected = {}
    if any(outcome.kind == "value" for outcome in outcomes.values()):
        expected = expectations.get(exercise.name, time.monotonic() + max(120.0, 2 * exercise.time_limit))

    def compare(check, case, want, got):
        try:
            verdict = pm.hook.grader_compare(check=check, case=case, expected=want, got=got)
        except Exception as exc:
            return f"the comparator failed ({type(exc).__name__}: {exc}); tell your instructor"
        return f"no comparator is named {check.compare!r}" if verdict is None else verdict

    checks = [
        scoring.score_check(exercise, i, cases[check.name], expected, outcomes, compare)
        if isinstance(check, Check)
        else scoring.score_source_check(check, source)
        for i, check in enumerate(exercise.checks)
    ]
    return ExerciseResult(
        name=exercise.name,
        title=exercise.title,
        checks=tuple(scoring.finish_static_checks(exercise, checks)),
        seconds=time.monotonic() - started,
        output=output,
    )
