"""The pytest plugin: collect each :class:`~grader.testing.Suite` as tests, grade with the grader.

Registered in the ``pytest11`` entry-point group under the name ``grader``
(``pytest -p no:grader`` switches it off). A module-level
:class:`~grader.testing.Suite` of a test module becomes a collector named
after its exercise, holding ``reference``, ``stub``, ``broken[<id>]`` and
``alternative[<id>]`` tests.

Every test grades its source text with a warm :class:`grader.grading.Grader`
on the CPU (one per exercise, kept while that exercise's tests run, so the
expected values are computed once), exactly as ``python -m grader run``
would grade a submission. The grader's own modules are imported when the
first such test runs, never when pytest loads the plugin.

Options (``[tool.pytest.ini_options]``):

``grader_stubs``
    The folder of the student stubs, relative to the configuration file
    (``exercises``). Without it the stub is made from the reference with
    :func:`grader.stubs.make_stub`, as ``python -m grader stubs`` does.
"""

from __future__ import annotations

import re
import shutil
import tempfile
from pathlib import Path

import pytest

from grader.testing.declaration import Alternative, Broken, Suite

_BENCH = pytest.StashKey["_Bench"]()


def pytest_addoption(parser: pytest.Parser) -> None:
    """Declare the ``grader_stubs`` ini option."""
    parser.addini(
        "grader_stubs",
        "folder of the student stubs (<exercise>.py), relative to the configuration file; "
        "default: each stub made from its reference",
        default="",
    )


def pytest_configure(config: pytest.Config) -> None:
    """Keep one bench of warm graders for the session."""
    config.stash[_BENCH] = _Bench(config)


def pytest_unconfigure(config: pytest.Config) -> None:
    """Stop every process the session's graders started."""
    bench = config.stash.get(_BENCH, None)
    if bench is not None:
        bench.close()


@pytest.hookimpl(tryfirst=True)
def pytest_pycollect_makeitem(collector: pytest.Collector, name: str, obj: object):
    """A :class:`~grader.testing.Suite` at the top level of a test module becomes its tests."""
    if isinstance(obj, Suite) and isinstance(collector, pytest.Module):
        return SuiteCollector.from_parent(collector, name=obj.exercise, suite=obj)
    return None


class SuiteCollector(pytest.Collector):
    """The tests of one exercise's suite, named ``<exercise>::<test>``."""

    def __init__(self, *, suite: Suite, **kwargs) -> None:
        super().__init__(**kwargs)
        self.suite = suite

    def collect(self):
        yield SuiteItem.from_parent(self, name="reference", variant=None)
        yield SuiteItem.from_parent(self, name="stub", variant=None)
        for broken in self.suite.broken:
            yield SuiteItem.from_parent(self, name=f"broken[{broken.id}]", variant=broken)
        for alternative in self.suite.alternatives:
            yield SuiteItem.from_parent(self, name=f"alternative[{alternative.id}]", variant=alternative)


class SuiteFailure(Exception):
    """A generated test failed: the message says what the grader made of the source, and why that is wrong."""


class SuiteItem(pytest.Item):
    """One generated test: grade a source text and compare with the declaration."""

    def __init__(self, *, variant: Broken | Alternative | None, **kwargs) -> None:
        super().__init__(**kwargs)
        self.variant = variant
        self.suite: Suite = self.parent.suite

    def runtest(self) -> None:
        bench: _Bench = self.config.stash[_BENCH]
        exercise = bench.exercise(self.suite.exercise)
        reference = bench.reference(exercise)
        if self.name == "stub":
            _stub(bench.grade(exercise, bench.stub(exercise, reference)))
            return
        source = reference if self.variant is None else _variant_source(self.variant, reference)
        result = bench.grade(exercise, source)
        if isinstance(self.variant, Broken):
            _broken(exercise, self.variant, result)
        else:
            _full_marks(result, self.suite.max_score if self.variant is None else None)

    def repr_failure(self, excinfo, style=None):
        if isinstance(excinfo.value, SuiteFailure):
            return f"{self.suite.exercise}::{self.name}: {excinfo.value}"
        return super().repr_failure(excinfo, style=style)

    def reportinfo(self):
        return self.path, None, f"{self.suite.exercise}::{self.name}"


def _variant_source(variant: Broken | Alternative, reference: str) -> str:
    try:
        return variant.apply(reference)
    except ValueError as exc:
        raise SuiteFailure(str(exc)) from None


def _failing(result) -> dict:
    return {c.name: c for c in result.checks if c.status != "passed"}


def _listing(checks) -> str:
    return "".join(f"\n  {c.name} ({c.status}): {_indent(c.message)}" for c in checks)


def _indent(message: str) -> str:
    return message.replace("\n", "\n    ")


def _full_marks(result, max_score: float | None) -> None:
    """The reference, or a correct alternative: every check passes."""
    failing = _failing(result)
    if failing:
        raise SuiteFailure(
            f"scores {result.score:g} of {result.max_score:g}; these checks should pass:{_listing(failing.values())}"
        )
    if max_score is not None and result.max_score != max_score:
        raise SuiteFailure(f"the exercise is worth {result.max_score:g} points, the suite says max_score={max_score:g}")
    if not result.max_score > 0:
        raise SuiteFailure("the exercise is worth no points")


def _stub(result) -> None:
    """The stub: no point, every check failed and not attempted."""
    wrong = [c for c in result.checks if c.attempted or c.status != "failed" or c.score]
    if wrong:
        raise SuiteFailure(
            f"the stub scores {result.score:g}; every check should fail as not attempted:{_listing(wrong)}"
        )


def _broken(exercise, broken: Broken, result) -> None:
    """A broken variant: exactly its checks fail, their feedback says its phrase and names each function."""
    names = [c.name for c in exercise.checks]
    unknown = sorted(set(broken.fails) - set(names))
    if unknown:
        raise SuiteFailure(
            f"fails names {unknown[0]!r}, which is not a check of the exercise (its checks: {', '.join(names)})"
        )
    failing = _failing(result)
    extra = [failing[name] for name in names if name in failing and name not in broken.fails]
    passed = [name for name in names if name in broken.fails and name not in failing]
    if extra or passed:
        lines = [f"should fail exactly {_names(broken.fails, names)}, but fails {_names(failing, names) or 'nothing'}"]
        if extra:
            lines.append(f"failed, and not declared in fails:{_listing(extra)}")
        if passed:
            lines.append(f"declared in fails, but passed: {', '.join(passed)}")
        raise SuiteFailure("\n".join(lines))
    declared = [failing[name] for name in names if name in broken.fails]
    if not any(broken.says in c.message for c in declared):
        raise SuiteFailure(f"the feedback of its failing checks never says {broken.says!r}:{_listing(declared)}")
    specs = {c.name: c for c in exercise.checks}
    unnamed = [
        c
        for c in declared
        if not set(exercise.requirements(specs[c.name])) & set(failing)
        and not _names_function(specs[c.name], exercise.name, c.message)
    ]
    if unnamed:
        raise SuiteFailure(
            "the feedback of these failing checks does not name the student function they are about:"
            + "".join(f"\n  {c.name} (about {specs[c.name].function}): {_indent(c.message)}" for c in unnamed)
        )


def _names(chosen, order) -> str:
    return ", ".join(name for name in order if name in chosen)


def _names_function(check, exercise: str, message: str) -> bool:
    """Whether ``message`` names a function ``check.function`` lists, or the student's file.

    The file stands for the function when the module itself failed (it does
    not import), which no function of it can be blamed for.
    """
    for name in [part.strip() for part in check.function.split(",")] + [f"{exercise}.py"]:
        if name and re.search(rf"(?<![\w.]){re.escape(name)}(?!\w)", message):
            return True
    return False


class _Bench:
    """The session's exercises and one warm grader, for the exercise whose tests run now."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config
        self._pm = None
        self._exercises: dict | None = None
        self._grader = None
        self._graded: str | None = None
        self._folder: Path | None = None

    def exercise(self, name: str):
        if self._exercises is None:
            from grader.errors import PluginError
            from grader.manager import collect_exercises, get_plugin_manager

            try:
                self._pm = get_plugin_manager(["no:grader.reporters.terminal"])
                self._exercises = collect_exercises(self._pm)
            except PluginError as exc:
                raise SuiteFailure(f"the grader's plugins cannot be loaded: {exc}") from None
        if name not in self._exercises:
            raise SuiteFailure(
                f"no installed plugin declares the exercise {name!r} "
                f"(known: {', '.join(self._exercises) or 'none'}; is the pack installed?)"
            )
        return self._exercises[name]

    def reference(self, exercise) -> str:
        """The text of the exercise's reference module, found where the grader's reference process finds it."""
        from grader.process.expected import reference_spec

        spec = reference_spec(exercise.reference)
        if spec is None or not spec.origin or not Path(spec.origin).is_file():
            raise SuiteFailure(f"the reference module {exercise.reference!r} cannot be found")
        return Path(spec.origin).read_text(encoding="utf-8")

    def stub(self, exercise, reference: str) -> str:
        folder = self.config.getini("grader_stubs")
        if not folder:
            from grader.stubs import StubError, make_stub

            try:
                return make_stub(reference, exercise.reference)
            except StubError as exc:
                raise SuiteFailure(f"no stub can be made from the reference: {exc}") from None
        base = self.config.inipath.parent if self.config.inipath else self.config.rootpath
        path = base / folder / f"{exercise.name}.py"
        if not path.is_file():
            raise SuiteFailure(f"the stub {path} does not exist (grader_stubs = {folder!r})")
        return path.read_text(encoding="utf-8")

    def grade(self, exercise, source: str):
        """Grade ``source`` as the submission's ``<exercise>.py``, as ``python -m grader run`` would."""
        if self._graded != exercise.name:
            self._close_grader()
            from grader.grading import Grader

            if self._folder is None:
                self._folder = Path(tempfile.mkdtemp(prefix="grader-suite-"))
            with pytest.MonkeyPatch.context() as patch:
                patch.setenv("GRADER_CACHE", "off")  # a warm grader computes its expected values once anyway
                self._grader = Grader(self._pm, [exercise], "cpu", exclude=(self._folder,))
            self._graded = exercise.name
        report = self._grader.grade(self._folder, sources={exercise.name: source}, report=False)
        return report.exercises[0]

    def _close_grader(self) -> None:
        grader, self._grader, self._graded = self._grader, None, None
        if grader is not None:
            grader.close()

    def close(self) -> None:
        self._close_grader()
        if self._folder is not None:
            shutil.rmtree(self._folder, ignore_errors=True)
            self._folder = None
