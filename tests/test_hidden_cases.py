"""Hidden cases: drawn with the course secret, graded on the instructor's side, never echoed."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from grader.cases import hidden_key, make_cases
from tests.test_hostile import ROOT, TOY_B, _leftovers, toy_pm  # noqa: F401  (fixture)

SECRET = "course-secret-for-tests"


@pytest.fixture
def toy(toy_pm):  # noqa: F811
    from grader.manager import collect_exercises

    return collect_exercises(toy_pm)


def test_hidden_cases_need_the_secret_and_differ_from_the_public_ones(toy):
    exercise = toy["toy_a"]
    public = make_cases(exercise)
    both = make_cases(exercise, hidden_key(SECRET, "toy_a"))
    other = make_cases(exercise, hidden_key("another course", "toy_a"))
    for name, cases in public.items():
        assert not any(c.hidden for c in cases)
        assert [c.label for c in both[name][: len(cases)]] == [c.label for c in cases]
        hidden = [c for c in both[name] if c.hidden]
        assert hidden and all(c.label == "a hidden case" for c in hidden)  # no number: which one failed is secret
        for h in hidden:
            assert not any(
                np.array_equal(h.inputs["x"], p.inputs["x"])
                for p in cases
                if p.inputs["x"].shape == h.inputs["x"].shape
            )
        assert not np.array_equal(hidden[0].inputs["x"], [c for c in other[name] if c.hidden][0].inputs["x"])
    assert hidden_key("", "toy_a") is None


def _hard_coded(toy) -> str:
    """A toy_a that knows the answers to the public cases only."""
    table = {}
    for case in make_cases(toy["toy_a"])["add_one"]:
        x = np.asarray(case.inputs["x"], dtype=np.float64)
        table[x.tobytes().hex()] = ((x + 1.0).tolist(), x.shape)
    totals = {
        np.asarray(c.inputs["x"]).tobytes().hex(): float(np.sum(c.inputs["x"]))
        for c in make_cases(toy["toy_a"])["total"]
    }
    return textwrap.dedent(
        f"""
        import numpy as np
        ADD = {table!r}
        TOTALS = {totals!r}

        def add_one(x):
            values, shape = ADD.get(np.asarray(x, dtype=np.float64).tobytes().hex(), ([0.0], (1,)))
            return np.array(values, dtype=np.float64).reshape(shape)

        def total(x):
            return TOTALS.get(np.asarray(x).tobytes().hex(), 0.0)
        """
    )


def _grade(toy_pm, toy, tmp_path, source: str, secret: str):  # noqa: F811
    from grader.grading import grade

    (tmp_path / "toy_a.py").write_text(source)
    (tmp_path / "toy_b.py").write_text(TOY_B)
    return grade(toy_pm, [toy["toy_a"], toy["toy_b"]], tmp_path, "cpu", secret=secret)


def test_hard_coding_the_public_answers_loses_the_hidden_checks(toy_pm, toy, tmp_path):  # noqa: F811
    source = _hard_coded(toy)
    public = _grade(toy_pm, toy, tmp_path, source, secret="")
    assert {c.name: c.status for c in public.exercises[0].checks}["add_one"] == "passed"
    assert {c.name: c.status for c in public.exercises[0].checks}["total"] == "passed"
    hidden = _grade(toy_pm, toy, tmp_path, source, secret=SECRET)
    a, b = hidden.exercises
    assert {c.name: c.status for c in a.checks}["add_one"] != "passed"
    assert {c.name: c.status for c in a.checks}["total"] != "passed"
    assert b.score == b.max_score  # the honest exercise loses nothing to hidden cases
    assert _leftovers() == []


SMUGGLER = """
import os
import numpy as np

def add_one(x):
    text = repr(np.asarray(x).tolist())
    print("LEAK", text)
    raise type("Leak" + str(abs(hash(text)) % 1000), (ValueError,), {})(text)

def total(x):
    value = float(np.sum(x))
    if abs(value) > 0.5:  # returns the wrong value, whose digits carry the input
        return value * 1000 + 0.123
    os._exit(int(abs(value) * 100) % 250 + 1)
"""


def test_nothing_a_submission_chooses_reaches_the_feedback_on_hidden_cases(toy_pm, toy, tmp_path):  # noqa: F811
    from grader.results import report_to_dict

    report = _grade(toy_pm, toy, tmp_path, SMUGGLER, secret=SECRET)
    text = json.dumps(report_to_dict(report)) + report.exercises[0].output
    hidden = [c for cases in make_cases(toy["toy_a"], hidden_key(SECRET, "toy_a")).values() for c in cases if c.hidden]
    for case in hidden:
        x = np.asarray(case.inputs["x"])
        for number in x.ravel().tolist() + [float(np.sum(x))]:
            assert f"{number:.6f}"[:8] not in text, number
        assert repr(x.tolist())[:20] not in text
    assert "LEAK" in report.exercises[0].output  # public cases' output is shown: their process had no hidden input
    assert "public cases failed]" in text and "hidden case" not in text.replace('"hidden"', "")
    # The public cases still get full feedback: the first failure is a public case's.
    add_one = next(c for c in report.exercises[0].checks if c.name == "add_one")
    assert "Leak" in add_one.message and "x of shape" in add_one.message


def test_the_instructors_command_line_reads_the_secret(tmp_path, toy):
    (tmp_path / "toy_a.py").write_text(_hard_coded(toy))
    (tmp_path / "toy_b.py").write_text(TOY_B)
    out = tmp_path / "r.json"
    command = [sys.executable, "-m", "grader", "-p", "tests.plugins.toy", "run", "toy_a"]
    command += ["--submission", str(tmp_path), "--json", str(out), "--device", "cpu"]
    done = subprocess.run(
        command,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        env={**__import__("os").environ, "GRADER_SECRET": SECRET},
    )
    assert done.returncode == 0, done.stderr
    data = json.loads(out.read_text())
    checks = {c["name"]: c for c in data["exercises"][0]["checks"]}
    assert checks["add_one"]["status"] != "passed"
    assert checks["add_one"]["cases"]["hidden"] > 0 and checks["add_one"]["cases"]["public"] == 2
    assert SECRET not in done.stdout + done.stderr + out.read_text()


def test_with_hidden_cases_no_two_exercises_of_a_submission_run_at_once(pm, tmp_path, monkeypatch):
    # A process holding hidden inputs next to one whose output is shown could signal it through
    # timing. polyfit (numpy) takes seconds to import, so without the rule it would still run when
    # rnn (torch) starts, as soon as the torch zygote has imported torch.
    import shutil
    import threading
    import time

    from grader import grading
    from grader.manager import collect_exercises
    from grader.process import sandbox, supervisor

    if not sandbox.detect(sandbox.Plan())["processes confined"]:
        pytest.skip("hidden cases need the namespace sandbox")
    submission = tmp_path / "submission"
    submission.mkdir()
    shutil.copy(ROOT / "solutions" / "rnn.py", submission)
    polyfit = (ROOT / "solutions" / "polyfit.py").read_text()
    (submission / "polyfit.py").write_text("import time\ntime.sleep(2.5)\n" + polyfit)
    spans: list[tuple[str, float, float]] = []
    lock = threading.Lock()
    real = supervisor.run_exercise

    def run_exercise(exercise, *args, **kwargs):
        start = time.monotonic()
        try:
            return real(exercise, *args, **kwargs)
        finally:
            with lock:
                spans.append((exercise.name, start, time.monotonic()))

    monkeypatch.setattr(supervisor, "run_exercise", run_exercise)
    catalog = collect_exercises(pm)
    report = grading.grade(pm, [catalog["polyfit"], catalog["rnn"]], submission, device="cpu", secret=SECRET)
    assert [e.score for e in report.exercises] == [e.max_score for e in report.exercises]
    (first, start_a, end_a), (second, start_b, end_b) = sorted(spans, key=lambda span: span[1])
    assert (first, second) == ("polyfit", "rnn")
    assert end_a <= start_b, f"rnn started {end_a - start_b:.2f} s before polyfit's processes (hidden ones too) ended"


def test_the_time_reported_for_an_exercise_leaves_its_hidden_cases_out(toy_pm, toy, tmp_path):  # noqa: F811
    # A submission that takes longer on inputs it has not seen (the hidden ones) by an amount of its
    # choosing would otherwise read those inputs back from the report's times.
    public = {np.asarray(c.inputs["x"], dtype=np.float64).tobytes().hex() for c in make_cases(toy["toy_a"])["add_one"]}
    slow = textwrap.dedent(
        f"""
        import time
        import numpy as np
        PUBLIC = {public!r}

        def add_one(x):
            if np.asarray(x, dtype=np.float64).tobytes().hex() not in PUBLIC:
                time.sleep(0.9)
            return np.asarray(x, dtype=np.float64) + 1.0

        def total(x):
            return float(np.sum(x))
        """
    )
    quick = slow.replace("time.sleep(0.9)", "pass")
    reports = {}
    for name, source in (("slow", slow), ("quick", quick)):
        folder = tmp_path / name
        folder.mkdir()
        reports[name] = _grade(toy_pm, toy, folder, source, secret=SECRET)
    slow_a, quick_a = reports["slow"].exercises[0], reports["quick"].exercises[0]
    assert slow_a.score == quick_a.score == slow_a.max_score  # the hidden cases pass, only slower
    # Two hidden add_one cases at 0.9 s each: 1.8 s more if their time were counted.
    assert slow_a.seconds < quick_a.seconds + 0.9, (slow_a.seconds, quick_a.seconds)
    assert reports["slow"].seconds < reports["quick"].seconds + 0.9, (reports["slow"].seconds, reports["quick"].seconds)
    assert _leftovers() == []
