"""One grading run: cases, references, sandboxed student runs, scores.

The processes, and what each may hold:

* this process (the grader) makes the cases, reads the submission, receives
  expected values and scores; it never imports torch and never runs student
  code;
* the reference process, forked from this one before anything else, imports
  torch, the reference modules and the oracle modules, and computes expected
  values; it never runs student code;
* one zygote per framework (``torch``, ``numpy``), a freshly *executed*
  interpreter with a clean environment (see ``grader.zygote``): it holds only
  the plugins' probes and case factories, the cases and the submission, and
  forks the sandbox that runs each exercise's student code. Nothing from this
  process's memory (expected values, reference text read for the cache key,
  oracles) can reach a student process.

Each case's value is compared as soon as it arrives and then dropped, so the
grader holds one case's worth of student data at a time.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
import time
import types
from dataclasses import replace
from pathlib import Path
from typing import Sequence

import pluggy

from grader import cache, sandbox, scoring, supervisor
from grader.cases import make_cases, preload  # noqa: F401  (public here since the first release)
from grader.device import choose, resolve
from grader.errors import PluginError
from grader.model import Check, Context, Exercise
from grader.reference import ReferenceProcess, expected_values
from grader.results import ExerciseResult, Report, Session
from grader.zygote import Zygote, ZygoteError, import_path

MAX_SOURCE_BYTES = 1 << 20


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


def grade(
    pm: pluggy.PluginManager,
    exercises: Sequence[Exercise],
    submission: Path,
    device: str = "auto",
    time_limit: float | None = None,
) -> Report:
    """Grade ``submission`` on ``exercises`` and return the report.

    Calls the ``grader_report_start`` and ``grader_report_exercise`` hooks
    as it goes. Every student process is gone when this returns.

    Args:
        time_limit: Seconds the whole submission may take in student
            processes (``None``: only each exercise's own limit).

    Raises:
        grader.device.DeviceError: when the requested device is missing.
        PluginError: when an exercise plugin is broken, or cannot be loaded
            into a student process without its answers.
    """
    started = time.monotonic()
    deadline = started + time_limit if time_limit else None
    sandbox.shield_memory()
    cases = {e.name: make_cases(e) for e in exercises}
    sources = {e.name: read_source(submission / f"{e.name}.py") for e in exercises}
    graded = [e for e in exercises if sources[e.name] is not None]
    references = ReferenceProcess(graded, cases)  # forked first: it imports torch meanwhile
    zygotes: dict[str, Zygote] = {}
    try:
        path = import_path(submission)
        for flavour in ("numpy", "torch"):
            members = [e for e in graded if e.framework == flavour]
            if members:
                plugins = {e.name: (e.plugin, _module_name(pm, e)) for e in members}
                zygotes[flavour] = Zygote(
                    flavour, plugins, {e.name: sources[e.name] for e in members}, path, label=str(submission)
                )
        store = cache.folder()
        plan = sandbox.Plan(hide=hidden_paths(exercises) + _existing(store))
        protections = sandbox.detect(plan)
        if not protections["read-only file system"]:
            store = None  # student code could write to the cache: do not trust it
        resolved = _device(device, zygotes.get("torch"))
        expected = _Expected(references, store, graded, cases, resolved)
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
            result = _grade_one(
                pm, exercise, cases[exercise.name], sources[exercise.name], submission, resolved, plan,
                expected, zygotes.get(exercise.framework), deadline,
            )
            pm.hook.grader_report_exercise(result=result)
            results.append(result)
    finally:
        references.close()
        for zygote in zygotes.values():
            zygote.close()
    return Report(session=session, exercises=tuple(results), seconds=time.monotonic() - started)


def _module_name(pm: pluggy.PluginManager, exercise: Exercise) -> str:
    """The module that declared ``exercise``: the zygote imports it (and nothing of the grader's)."""
    plugin = pm.get_plugin(exercise.plugin)
    if not isinstance(plugin, types.ModuleType):
        raise PluginError(
            f"plugin {exercise.plugin!r} declares exercises but is not a module; "
            "student processes can only load exercise plugins that are modules"
        )
    return plugin.__name__


def _device(request: str, zygote: Zygote | None) -> str:
    """Resolve ``--device`` with what the torch zygote sees (this process never imports torch)."""
    if zygote is None:  # numpy exercises only: they run on the CPU whatever is asked
        return "cpu" if request in ("auto", "cpu") else resolve(request)
    try:
        found = zygote.device()
    except ZygoteError as exc:
        raise PluginError(f"student processes cannot be prepared: {exc}") from None
    return choose(request, found["cuda"], found["mps"])


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

    Student processes descend from the zygotes, never from this process, so
    holding expected values here exposes nothing to them.
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


def _grade_one(pm, exercise, cases, source, submission, device, plan, expectations, zygote, deadline) -> ExerciseResult:
    started = time.monotonic()
    path = submission / f"{exercise.name}.py"
    if source is None:
        return scoring.not_attempted(exercise, f"{path} does not exist")
    ctx = Context(device="cpu" if exercise.framework == "numpy" else device, role="student")
    # An address-space cap breaks CUDA, which maps huge virtual ranges.
    memory = 0 if ctx.device == "cuda" else exercise.memory_limit_mb
    expected: dict = {}

    def judge(key: tuple[int, int], got) -> object:
        """Compare one case's value as it arrives (the value is dropped afterwards)."""
        if not expected:
            expected.update(expectations.get(exercise.name, time.monotonic() + max(120.0, 2 * exercise.time_limit)))
        check = exercise.checks[key[0]]
        ref = ("error", expected["error"]) if "error" in expected else expected.get(key)
        if ref is None or ref[0] == "error":
            return None  # scoring reports the reference's failure
        try:
            verdict = pm.hook.grader_compare(check=check, case=cases[check.name][key[1]], expected=ref[1], got=got)
        except Exception as exc:
            return f"the comparator failed ({type(exc).__name__}: {exc}); tell your instructor"
        return f"no comparator is named {check.compare!r}" if verdict is None else verdict

    try:
        outcomes, output = supervisor.run_exercise(
            exercise, cases, str(path), ctx, replace(plan, memory_limit_mb=memory), zygote,
            deadline=deadline, judge=judge,
        )
    except ZygoteError as exc:
        raise PluginError(f"exercise {exercise.name!r}: student processes cannot be prepared: {exc}") from None
    checks = [
        scoring.score_check(exercise, i, cases[check.name], expected, outcomes, _verdict)
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


def _verdict(check, case, want, got):
    """Values were compared on arrival: an outcome's value is already the verdict."""
    return got
