"""One grading run: cases, references, sandboxed student runs, scores.

The processes, and what each may hold:

* this process (the grader) makes the cases, reads the submission, receives
  expected values and scores; it never imports torch and never runs student
  code;
* the reference process, forked from the torch zygote once that one has
  imported torch and the preloaded modules (from this process when there is
  no torch zygote), imports
  the reference modules and the oracle modules, and computes expected values;
  it never runs student code;
* one zygote per framework (``torch``, ``numpy``), a freshly *executed*
  interpreter with a clean environment (see ``grader.process.zygote``): it holds only
  the plugins' probes and case factories, the cases and the submission, and
  forks the sandbox that runs each exercise's student code. Nothing from this
  process's memory (expected values, reference text read for the cache key,
  oracles) can reach a student process.

Each case's value is compared as soon as it arrives and then dropped, so the
grader holds one case's worth of student data at a time.
"""

from __future__ import annotations

import os
import queue
import re
import sys
import threading
import time
import types
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

import pluggy

from grader import cache
from grader import submission as submitted
from grader.cases import course_secret, hidden_key, make_cases, preload  # noqa: F401  (make_cases, preload: public here)
from grader.checking import scoring
from grader.checking.outcomes import Outcome
from grader.device import choose, resolve
from grader.errors import PluginError
from grader.exercise import Check, Context, Exercise
from grader.manager import collect_exercises
from grader.policy import address_space_mb, device_for, expected_patience
from grader.process import lifecycle, prestart, sandbox, supervisor, view
from grader.process.expected import (
    ReferenceProcess,
    References,
    can_fork_from_zygote,
    expected_values,
    reference_spec,
)
from grader.process.zygote import Zygote, ZygoteError, import_path, label_for
from grader.release import provenance, release_folder, shipped_expected
from grader.results import ExerciseResult, Report, Session, without_paths

RELEASE_SCOPE = "hidden checks are graded by your instructor"
NO_HIDDEN_SCOPE = "public cases only: hidden cases need the namespace sandbox (processes confined)"


def hidden_paths(exercises: Sequence[Exercise]) -> tuple[str, ...]:
    """Folders student code must not see: references, oracle modules, repository history.

    The sandbox's view of the file system is an allow-list; these are covered
    even where they lie inside an allowed folder (the oracles inside the
    ``grader`` package, a pack's references inside site-packages).
    """
    before = set(sys.modules)
    hidden: set[str] = set()
    for exercise in exercises:
        for name in (exercise.reference, exercise.oracles):
            spec = reference_spec(name)
            if spec is None or not spec.origin:
                continue
            folder = Path(spec.origin).resolve().parent
            hidden.add(str(folder))
            for parent in folder.parents:
                if (parent / ".git").exists():
                    hidden.add(str(parent / ".git"))
                    break
    for name in set(sys.modules) - before:  # find_spec imported parent packages
        del sys.modules[name]
    own = Path(__file__).resolve().parent / "oracles"  # the catalog's, whatever is graded
    if own.is_dir():
        hidden.add(str(own))
    return tuple(sorted(hidden))


def grade(
    pm: pluggy.PluginManager,
    exercises: Sequence[Exercise],
    submission: Path,
    device: str = "auto",
    time_limit: float | None = None,
    secret: str | None = None,
) -> Report:
    """Grade ``submission`` on ``exercises`` and return the report.

    Calls the ``grader_report_start`` and ``grader_report_exercise`` hooks
    as it goes. Every student process is gone when this returns.

    Args:
        time_limit: Seconds the whole submission may take in student
            processes (``None``: only each exercise's own limit).
        secret: The course secret for hidden cases (default:
            ``GRADER_SECRET``).

    Raises:
        grader.device.DeviceError: when the requested device is missing.
        PluginError: when an exercise plugin is broken, or cannot be loaded
            into a student process without its answers.
    """
    files = {e.name: submitted.read(submission, e.name) for e in exercises}
    needed = [name for name, file in files.items() if file.text is not None]
    with Grader(
        pm, exercises, device, time_limit=time_limit, compute=needed, exclude=(submission,), secret=secret
    ) as grader:
        return grader.grade(submission, sources=files)


class Grader:
    """A warm grader: grades many submissions with one set of processes.

    Cases and expected values are computed once per exercise, and the
    zygotes are started once; each :meth:`grade` then costs only the student
    processes. :meth:`grade` may be called from several threads at once:
    each call takes a *lane* (its own pair of zygotes) from a pool, so
    ``jobs`` submissions are graded side by side.

    Args:
        compute: Exercises whose expected values to compute (default: all).
        jobs: How many lanes to keep (concurrent :meth:`grade` calls).
        exclude: Folders left off the zygotes' import path (submissions).
        secret: The course secret that draws hidden cases (default:
            ``GRADER_SECRET``; empty: public cases only).
    """

    def __init__(
        self,
        pm: pluggy.PluginManager,
        exercises: Sequence[Exercise],
        device: str = "auto",
        *,
        time_limit: float | None = None,
        compute: Sequence[str] | None = None,
        jobs: int = 1,
        exclude: Sequence[Path] = (),
        secret: str | None = None,
    ) -> None:
        self.pm = pm
        self.exercises = list(exercises)
        self.time_limit = time_limit
        lifecycle.shield_memory()
        self.release = release_folder() is not None  # a student release: shipped values, public cases only
        store = cache.folder()
        # Every installed exercise's references and oracles are hidden, not only the graded ones'.
        everything = {**collect_exercises(pm), **{e.name: e for e in self.exercises}}
        self.plan = sandbox.Plan(hide=hidden_paths(list(everything.values())) + _existing(store))
        self._exclude = tuple(exclude)
        #: How many torch exercises each lane runs at once.
        self.workers = workers_per_lane(jobs)
        self._lanes: queue.SimpleQueue = queue.SimpleQueue()
        self._all: list[dict[str, Zygote]] = []
        self._references: ReferenceProcess | References | None = None
        try:
            self._plugins = {
                flavour: {e.name: (e.plugin, _module_name(pm, e)) for e in self.exercises if e.framework == flavour}
                for flavour in ("numpy", "torch")
            }
            # The zygotes first: a torch zygote's start (importing torch) is a run's critical path, and
            # they need nothing that follows (not the protections, not the cases: they make their own).
            for _ in range(max(1, jobs)):
                self._lanes.put(self._lane())
            self.protections = sandbox.detect(_plan_for(self.exercises, self.plan))
            self._wipe = None
            if not self.protections["read-only file system"]:
                # Student code could write to the cache: never trust it, and empty it before and after,
                # so that entries planted now do not reach a later, sandboxed run.
                self._wipe, store = store, None
                cache.wipe(self._wipe)
            secret = "" if self.release else course_secret() if secret is None else secret
            self.scope = RELEASE_SCOPE if self.release else ""
            if secret and not self.protections["processes confined"]:
                # Without a PID namespace a student process can read the environment of the grader's
                # parent (the shell holding the secret), and hidden inputs would be derivable.
                secret, self.scope = "", NO_HIDDEN_SCOPE
            self._hidden = {e.name: hidden_key(secret, e.name) for e in self.exercises}
            #: One exercise of a submission at a time: a process that holds hidden inputs never runs
            #: beside one of the same submission whose output is shown (they could signal each other
            #: through timing). Without hidden cases, numpy and torch exercises run side by side.
            self.one_at_a_time = any(key is not None for key in self._hidden.values())
            self.cases = {e.name: make_cases(e, self._hidden[e.name]) for e in self.exercises}
            wanted = set(compute if compute is not None else (e.name for e in self.exercises))
            computed = [e for e in self.exercises if e.name in wanted and not self.release]
            self._references = self._reference_process(computed)
            self._expected = _Expected(
                self._references, None if self.release else store, computed, self.cases, self._hidden
            )
            # At once: the exercises that run on the CPU whatever the device (the others once it is known).
            self._expected.ask("cpu", [e for e in computed if device_for(e, "cuda") == "cpu"])
            self._request, self._device = device, None
            self._device_lock = threading.Lock()
            if device == "cpu" or not any(e.framework == "torch" for e in self.exercises):
                _ = self.device  # known without asking torch: ask for everything now
        except BaseException:
            self.close()
            raise

    @property
    def device(self) -> str:
        """The device torch exercises run on; resolving it waits for the torch zygote (once)."""
        with self._device_lock:
            if self._device is None:
                torch = self._all[0].get("torch") if self._all else None
                device = _device(self._request, torch)
                self._expected.ask(device, [e for e in self.exercises if e.framework == "torch"])
                self._expected.done()
                if device == "cuda" and any(e.framework == "torch" for e in self.exercises):
                    # The address-space cap breaks CUDA: only a memory cgroup caps torch exercises there.
                    self.protections["memory cap"] = self.protections["process count capped"]
                self._device = device
            return self._device

    def _reference_process(self, computed: list[Exercise]) -> ReferenceProcess | References:
        """The expected-values processes: forked from the first torch zygote once it has imported torch.

        They then share that zygote's torch instead of importing their own (a
        run's largest cost), one per group of exercises with the same
        preloaded modules; without a torch zygote (numpy exercises only), a
        single process is forked from this one and imports torch itself.
        """
        zygote = self._all[0].get("torch") if self._all else None
        if zygote is None or not can_fork_from_zygote() or not any(e.framework == "torch" for e in computed):
            return ReferenceProcess(computed, self.cases)  # it imports torch meanwhile
        plugins = {name: pair for flavour in self._plugins.values() for name, pair in flavour.items()}
        return References(computed, self.cases, zygote=zygote, plugins=plugins, hidden=self._hidden)

    def _lane(self) -> dict[str, Zygote]:
        path = import_path(self._exclude)
        label = label_for(self._exclude)
        lane = {}
        try:
            for flavour, plugins in self._plugins.items():
                if plugins:
                    lane[flavour] = prestart.take(flavour, label) or Zygote(flavour, label=label)
                    lane[flavour].boot(plugins, path)
        except BaseException:
            for zygote in lane.values():
                zygote.close()
            raise
        finally:
            prestart.discard()  # started ahead for a torch run that turned out to have no torch exercise
        self._all.append(lane)
        return lane

    def __enter__(self) -> Grader:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def close(self) -> None:
        """Stop every process this grader started (and empty a cache student code could write)."""
        if getattr(self, "_references", None) is not None:
            self._references.close()
        for lane in getattr(self, "_all", []):
            for zygote in lane.values():
                zygote.close()
        if getattr(self, "_all", None):
            self._all.clear()
        if getattr(self, "_wipe", None) is not None:
            cache.wipe(self._wipe)

    def grade(
        self,
        submission: Path,
        *,
        sources: dict | None = None,
        only: Sequence[str] | None = None,
        report: bool = True,
    ) -> Report:
        """Grade one submission folder. Thread-safe.

        Args:
            sources: Exercise name -> a ``grader.submission.Submission``
                or its text (``None``: missing), when already read (e.g.
                shipped to a cluster worker); otherwise the files are read
                here, defensively (see ``grader.submission``).
            only: Grade just these exercises (default: all of this grader's).
            report: Call the ``grader_report_*`` hooks as grading goes.
        """
        chosen = [e for e in self.exercises if only is None or e.name in only]
        started = time.monotonic()
        deadline = started + self.time_limit if self.time_limit else None
        files = {
            e.name: _as_submission(sources[e.name]) if sources is not None else submitted.read(submission, e.name)
            for e in chosen
        }
        lane = self._lanes.get()
        abandoned = False  # interrupted (Ctrl-C): the exercises running now are not waited for
        try:
            # Grading starts before the report does: numpy exercises run while the
            # torch zygote may still be importing torch (the header needs the device).
            grading = _Lane(self, lane, chosen, files, submission, deadline)
            try:
                torch_needed = any(e.framework == "torch" for e in chosen)
                session = Session(
                    exercises=tuple(e.name for e in chosen),
                    submission=str(submission),
                    device=self.device if torch_needed or self._device else "cpu",
                    protections=dict(self.protections),
                    note=sandbox.note(self.protections),
                    scope=self.scope,
                    provenance=provenance(submission),
                )
                if report:
                    self.pm.hook.grader_report_start(session=session)
                results = []
                for result in grading.in_order():
                    if report:
                        self.pm.hook.grader_report_exercise(result=result)
                    results.append(result)
            except BaseException as exc:
                grading.stop()  # no exercise starts after this
                # KeyboardInterrupt, SystemExit: the run is over, and closing the grader stops the
                # exercises still running (their processes die with their zygote).
                abandoned = not isinstance(exc, Exception)
                raise
            finally:
                if not abandoned:
                    grading.join()
        finally:
            if not abandoned:
                self._lanes.put(lane)
        # With hidden cases, each exercise's time is its public cases' only (see _grade_one), and so is the total.
        seconds = sum(r.seconds for r in results) if self.one_at_a_time else time.monotonic() - started
        return Report(session=session, exercises=tuple(results), seconds=seconds)

    def _grade_exercise(self, lane, exercise, file, submission, deadline) -> ExerciseResult:
        path = submission / (file.filename or f"{exercise.name}.py")
        if file.problem:
            result = scoring.refused(exercise, file.problem)
        else:
            device = self.device if exercise.framework == "torch" else "cpu"
            result = _grade_one(
                self.pm,
                exercise,
                self.cases[exercise.name],
                file.text,
                path,
                device,
                self.plan,
                self._expected,
                lane.get(exercise.framework),
                deadline,
                self._hidden[exercise.name],
            )
        return replace(without_paths(result, self.plan.hide), notes=file.notes)  # hidden paths: nobody's business


def workers_per_lane(lanes: int) -> int:
    """How many torch exercises one lane runs at once: the cores this process may use, shared by ``lanes``."""
    try:
        cores = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # not on Linux
        cores = os.cpu_count() or 1
    return max(1, cores // max(1, lanes))


class _Lane:
    """One submission's exercises on one lane, results in declaration order.

    With hidden cases, every exercise runs in one thread, one after the
    other (see ``Grader.one_at_a_time``). Otherwise the numpy exercises and
    the torch exercises each run in up to ``grader.workers`` threads at
    once (the numpy ones while the torch zygote imports torch; and one that
    waits for its expected values, such as optim's, which need
    ``torch._dynamo``, holds up no other). Each torch sandbox is forked by
    the one torch zygote: a thread takes first an exercise the zygote can
    fork at once (its preloaded modules imported, or none needed), so that
    those run while the zygote imports the others' modules.
    """

    def __init__(self, grader: Grader, lane: dict, chosen: list, files: dict, submission: Path, deadline) -> None:
        self.chosen = chosen
        self.done: dict[str, ExerciseResult | BaseException] = {}
        self.failure: BaseException | None = None  # the first exception (in_order raises it, in order)
        self.stopped = False  # set by stop(): no exercise starts after it
        stopped: set[str] = set()  # frameworks whose exercises stopped at an exception (none starts after it)
        self.ready = threading.Condition()

        def ready(exercise: Exercise, zygote: Zygote | None) -> bool:
            file = files[exercise.name]
            return zygote is None or bool(file.problem) or file.text is None or zygote.ready_for(exercise)

        def take(flavour: str, pending: list, zygote: Zygote | None) -> Exercise | None:
            with self.ready:
                if self.stopped or flavour in stopped or not pending:
                    return None
                if zygote is not None and len(pending) > 1:
                    try:
                        zygote.poll()  # what it has preloaded by now
                    except ZygoteError:
                        pass  # the spawn request says so
                exercise = next((e for e in pending if ready(e, zygote)), pending[0])
                pending.remove(exercise)
                return exercise

        def work(flavour: str, pending: list, zygote: Zygote | None) -> None:
            while (exercise := take(flavour, pending, zygote)) is not None:
                try:
                    result: ExerciseResult | BaseException = grader._grade_exercise(
                        lane, exercise, files[exercise.name], submission, deadline
                    )
                except BaseException as exc:  # raised again, in order, by in_order()
                    result = exc
                with self.ready:
                    self.done[exercise.name] = result
                    if isinstance(result, BaseException):
                        stopped.add(flavour)
                        self.failure = self.failure or result
                    self.ready.notify_all()

        self.workers = []
        if grader.one_at_a_time:  # hidden cases: one thread, in declaration order (numpy exercises first)
            self.workers.append(threading.Thread(target=work, args=("any", list(chosen), None), daemon=True))
        else:
            for flavour in ("numpy", "torch"):
                group = [e for e in chosen if e.framework == flavour]
                count = min(len(group), grader.workers)
                zygote = lane.get(flavour) if count > 1 else None
                self.workers += [
                    threading.Thread(target=work, args=(flavour, group, zygote), daemon=True) for _ in range(count)
                ]
        for worker in self.workers:
            worker.start()

    def in_order(self):
        """Each exercise's result as soon as it and every exercise before it are graded."""
        for exercise in self.chosen:
            with self.ready:
                while exercise.name not in self.done:
                    if not any(worker.is_alive() for worker in self.workers) and exercise.name not in self.done:
                        if self.failure is not None:  # it stopped the exercises not started yet
                            raise self.failure
                        raise RuntimeError(f"grading stopped before {exercise.name!r}")
                    self.ready.wait(0.5)
                result = self.done[exercise.name]
            if isinstance(result, BaseException):
                raise result
            yield result

    def stop(self) -> None:
        """Start no further exercise (those running go on until they end or their zygote is stopped)."""
        with self.ready:
            self.stopped = True

    def join(self) -> None:
        for worker in self.workers:
            worker.join()


def _as_submission(value) -> submitted.Submission:
    if isinstance(value, submitted.Submission):
        return value
    if value is None or isinstance(value, str):
        return submitted.Submission(value)
    raise TypeError(f"a submission's source must be text, None or a Submission, not {type(value).__name__}")


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
    if request == "cpu":  # always there: no need to wait until the torch zygote has imported torch
        return "cpu"
    try:
        found = zygote.device()
    except ZygoteError as exc:
        raise PluginError(f"student processes cannot be prepared: {exc}") from None
    return choose(request, found["cuda"], found["mps"])


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

    Exercises are asked for in groups (:meth:`ask`): the numpy ones at once,
    the torch ones when the device is known, so that the reference process
    starts on the first while the torch zygote is still importing torch.
    Student processes descend from the zygotes, never from this process, so
    holding expected values here exposes nothing to them.
    """

    def __init__(
        self, references: ReferenceProcess | References, store: Path | None, graded, cases: dict, hidden: dict
    ) -> None:
        self.lock = threading.Lock()  # lanes grade in threads
        self.locks: dict[str, threading.Lock] = {}
        self.values: dict[str, dict] = {}
        self.references = references
        self.store = store
        self.cases = cases
        self.hidden = hidden
        self.exercises = {e.name: e for e in graded}
        self.devices: dict[str, str] = {}
        self.keys: dict[str, str] = {}
        self.cached: set[str] = set()

    def ask(self, device: str, exercises: Sequence[Exercise]) -> None:
        """Start computing ``exercises`` (those not cached) on ``device``."""
        wanted = [e for e in exercises if e.name in self.exercises and e.name not in self.devices]
        for exercise in wanted:
            self.devices[exercise.name] = device
            entry = cache.key(exercise, device, self.hidden.get(exercise.name)) if self.store else None
            if entry:
                self.keys[exercise.name] = entry
                if (self.store / f"{entry}.json").is_file():
                    self.cached.add(exercise.name)
        names = [e.name for e in wanted if e.name not in self.cached]
        if names:
            self.references.request(device, names)

    def done(self) -> None:
        """Nothing more to ask for."""
        self.references.done_asking()

    def get(self, name: str, deadline: float) -> dict:
        """Expected values of exercise ``name``, computed (or loaded) once."""
        with self.lock:  # one lock per exercise: lanes waiting for different exercises do not queue
            mine = self.locks.setdefault(name, threading.Lock())
        with mine:
            if name not in self.values:
                self.values[name] = self._get(name, deadline)
            return self.values[name]

    def _get(self, name: str, deadline: float) -> dict:
        shipped = shipped_expected(name, self.cases[name])
        if shipped is not None:  # a student release: never a reference
            return expected_values(shipped)
        frame = None
        if name in self.cached:
            frame = cache.load(self.store, self.keys[name])
            if frame is None or frame.get("exercise") != name:  # unreadable: compute it now
                late = ReferenceProcess([self.exercises[name]], self.cases)
                try:
                    late.start(self.devices[name], [name])
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


def _grade_one(
    pm, exercise, cases, source, path, device, plan, expectations, zygote, deadline, hidden=None
) -> ExerciseResult:
    started = time.monotonic()
    if source is None:
        return scoring.not_attempted(exercise, f"{path} does not exist")
    ctx = Context(device=device_for(exercise, device), role="student")
    memory = address_space_mb(exercise, device)
    expected: dict = {}

    def judge(key: tuple[int, int], got) -> object:
        """Compare one case's value as it arrives (the value is dropped afterwards)."""
        if not expected:
            expected.update(expectations.get(exercise.name, time.monotonic() + expected_patience(exercise)))
        check = exercise.checks[key[0]]
        ref = ("error", expected["error"]) if "error" in expected else expected.get(key)
        if ref is None or ref[0] == "error":
            return None  # scoring reports the reference's failure
        try:
            verdict = pm.hook.grader_compare(check=check, case=cases[check.name][key[1]], expected=ref[1], got=got)
        except Exception as exc:
            return f"the comparator failed ({type(exc).__name__}: {exc}); tell your instructor"
        return f"no comparator is named {check.compare!r}" if verdict is None else verdict

    public_end: list[float] = []
    try:
        outcomes, output = supervisor.run_exercise(
            exercise,
            cases,
            str(path),
            source,
            ctx,
            replace(_plan_for([exercise], plan), memory_limit_mb=memory),
            zygote,
            deadline=deadline,
            judge=judge,
            hidden=hidden,
            public_done=lambda: public_end.append(time.monotonic()),
        )
    except ZygoteError as exc:
        raise PluginError(f"exercise {exercise.name!r}: student processes cannot be prepared: {exc}") from None
    secret = any(case.hidden for listed in cases.values() for case in listed)
    if secret:
        outcomes = {
            key: _masked(outcome) if cases[exercise.checks[key[0]].name][key[1]].hidden else outcome
            for key, outcome in outcomes.items()
        }
        if not expected and any(outcome.kind == "value" for outcome in outcomes.values()):
            # Scoring looks reference failures up there.
            expected.update(expectations.get(exercise.name, time.monotonic() + expected_patience(exercise)))
    checks = [
        scoring.score_check(exercise, i, cases[check.name], expected, outcomes, _verdict)
        if isinstance(check, Check)
        else scoring.score_source_check(check, source)
        for i, check in enumerate(exercise.checks)
    ]
    if secret:
        checks = [
            _hidden_counts(result, spec, i, cases, outcomes)
            for i, (result, spec) in enumerate(zip(checks, exercise.checks))
        ]
    checks = scoring.apply_requirements(exercise, checks)
    return ExerciseResult(
        name=exercise.name,
        title=exercise.title,
        checks=tuple(_counted(result, spec, cases) for result, spec in zip(checks, exercise.checks)),
        # The hidden cases' time is nobody's business: how long they took could carry their inputs out.
        seconds=(public_end[0] if secret and public_end else time.monotonic()) - started,
        output=output,
    )


HIDDEN = "details of hidden cases are not shown"
_WRONG = f"wrong on a hidden case ({HIDDEN})"


def _masked(outcome: Outcome) -> Outcome:
    """An outcome of a hidden case: passed (or the reference's failure), or one and the same failure.

    However the submission failed (a wrong value, an exception, an exit, a
    timeout, ``NotImplementedError``), the outcome reads the same, so that
    neither what it returned, raised, printed or exited with nor the way it
    failed can carry a hidden input out to be hard-coded next time.
    """
    if outcome.kind == "value" and outcome.value in (True, None):
        return outcome
    return Outcome("value", value=_WRONG)


def _hidden_counts(result, check, index: int, cases: dict, outcomes: dict):
    """A check with hidden cases: its failure counts public cases only, and names no hidden case."""
    if not isinstance(check, Check) or result.status == "passed" or not result.attempted:
        return result
    listed = cases[check.name]
    public = [j for j, case in enumerate(listed) if not case.hidden]
    failed = [
        j
        for j in public
        if not (
            outcomes.get((index, j)) and outcomes[(index, j)].value is True and outcomes[(index, j)].kind == "value"
        )
    ]
    if not failed:
        message = f"{check.function}: passes every public case but not every hidden case ({HIDDEN})"
        if check.hint:
            message += f"\nHint: {check.hint}"
        return replace(result, status="failed", message=message)
    counted = f"[{len(failed)} of {len(public)} public cases failed]" if len(public) > 1 else ""
    message = re.sub(r" ?\[\d+ of \d+ cases failed\]", f" {counted}" if counted else "", result.message, count=1)
    return replace(result, message=message)


def _counted(result, check, cases: dict):
    """A behavioural check's result with its public and hidden case counts."""
    if not isinstance(check, Check):
        return result
    hidden = sum(case.hidden for case in cases[check.name])
    return replace(result, public_cases=len(cases[check.name]) - hidden, hidden_cases=hidden, hidden=hidden > 0)


def _verdict(check, case, want, got):
    """Values were compared on arrival: an outcome's value is already the verdict."""
    return got
