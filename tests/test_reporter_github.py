"""GitHub Actions outputs: step summary, ``::error`` annotations, Classroom's ``result``."""

from __future__ import annotations

import base64
import json
import os
import re
import subprocess
import sys

import pytest

from grader.reporters import github
from grader.results import CheckResult, ExerciseResult, Report, Session
from tests.toy_runs import BROKEN_TOY_A, BROKEN_TOY_B, PLUGINS, ROOT, grade_toys, line_of, write_submission


@pytest.fixture(scope="module")
def workspace(tmp_path_factory):
    return tmp_path_factory.mktemp("workspace")


@pytest.fixture(scope="module")
def reports(workspace):
    return {broken: grade_toys(workspace / ("broken" if broken else "correct"), broken) for broken in (False, True)}


@pytest.fixture
def actions(monkeypatch, workspace, tmp_path):
    """A GitHub Actions step's environment; returns the summary and output files."""
    summary, output = tmp_path / "summary.md", tmp_path / "output"
    summary.write_text("earlier step\n")
    output.write_text("")
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    monkeypatch.setenv("GITHUB_WORKSPACE", str(workspace))
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    monkeypatch.setenv("GITHUB_OUTPUT", str(output))
    return summary, output


# --- reading the outputs back the way the runner and Classroom's reporter do ---


def parse_outputs(text: str) -> dict[str, str]:
    """Parse a $GITHUB_OUTPUT file: ``name=value`` lines and ``name<<DELIMITER`` blocks."""
    outputs, lines = {}, iter(text.split("\n"))
    for line in lines:
        if not line:
            continue
        if "<<" in line and ("=" not in line or line.index("<<") < line.index("=")):
            name, delimiter = line.split("<<", 1)
            body = []
            for inner in lines:
                if inner == delimiter:
                    break
                body.append(inner)
            else:
                raise AssertionError(f"unterminated output {name!r}")
            outputs[name] = "\n".join(body)
        else:
            name, value = line.split("=", 1)
            assert name not in outputs, f"output {name!r} set twice"
            outputs[name] = value
    return outputs


def decode_result(value: str) -> dict:
    """What autograding-grading-reporter does with ``<RUNNER>_RESULTS``: base64, then JSON."""
    assert re.fullmatch(r"[A-Za-z0-9+/]*={0,2}", value), "not plain base64"
    return json.loads(base64.b64decode(value).decode("utf-8"))


def unescape(text: str) -> str:
    return text.replace("%0D", "\r").replace("%0A", "\n").replace("%3A", ":").replace("%2C", ",").replace("%25", "%")


def runner_commands(log: str) -> list[tuple[str, dict, str]]:
    """The workflow commands a runner would act on in ``log``, honouring ``::stop-commands::``."""
    commands, stopped = [], None
    for raw in log.splitlines():
        line = raw.lstrip()
        if stopped is not None:
            if line == f"::{stopped}::":
                stopped = None
            continue
        match = re.match(r"::([A-Za-z-]+)( [^:]*)?::(.*)$", line)
        if not match:
            continue
        name, props, data = match.group(1), (match.group(2) or "").strip(), match.group(3)
        if name == "stop-commands":
            stopped = data
            continue
        fields = dict(item.split("=", 1) for item in props.split(",") if item)
        commands.append((name, {k: unescape(v) for k, v in fields.items()}, unescape(data)))
    return commands


def test_annotations_point_at_the_failing_definitions(reports, actions, capsys):
    github.grader_report_finish(report=reports[True])
    commands = runner_commands(capsys.readouterr().out)
    where = {c[1]["title"].split(" (")[0]: (c[1]["file"], int(c[1]["line"])) for c in commands if "line" in c[1]}
    # numpy_only is about the whole file ("not yet counted" while total fails): a file-level annotation.
    assert {c[1]["title"].split(" (")[0]: c[1]["file"] for c in commands if "line" not in c[1]} == {
        "toy_a: numpy_only": "broken/toy_a.py"
    }
    assert where == {
        "toy_a: add_one": ("broken/toy_a.py", line_of(BROKEN_TOY_A, "def add_one(x)")),
        "toy_a: total": ("broken/toy_a.py", line_of(BROKEN_TOY_A, "def total(x)")),
        "toy_b: double": ("broken/toy_b.py", line_of(BROKEN_TOY_B, "def double(x)")),
    }
    assert {c[0] for c in commands} == {"error"}
    total = next(c for c in commands if c[1]["title"].startswith("toy_a: total"))
    assert total[1]["title"] == "toy_a: total (0/1 pts)"
    assert "raised ValueError: bad | cell" in total[2]
    assert "\n::error file=forged.py" in total[2]  # the forged command is data inside ours


def test_a_correct_submission_gets_no_annotation(reports, actions, capsys):
    github.grader_report_finish(report=reports[False])
    assert runner_commands(capsys.readouterr().out) == []


@pytest.mark.parametrize("broken", [False, True])
def test_classroom_result_decodes_to_the_points(reports, actions, broken):
    report = reports[broken]
    github.grader_report_finish(report=report)
    outputs = parse_outputs(actions[1].read_text())
    assert set(outputs) == {"result", "score", "max_score"}
    assert float(outputs["score"]) == report.score and float(outputs["max_score"]) == report.max_score
    result = decode_result(outputs["result"])
    assert result["version"] == 1 and result["max_score"] == report.max_score
    assert result["status"] == ("fail" if broken else "pass")
    checks = {f"{e.name}: {c.name}": c for e in report.exercises for c in e.checks}
    assert [t["name"] for t in result["tests"]] == list(checks)
    for test in result["tests"]:
        check = checks[test["name"]]
        assert (test["score"], test["max_score"]) == (check.score, check.max_score)
        assert test["status"] == {"passed": "pass", "failed": "fail"}.get(check.status, "error")
        assert isinstance(test["line_no"], int)  # the reporter prints "line <line_no>" unless it is 0
    # what the reporter sends to Classroom: the sum of the tests' scores out of max_score
    assert sum(t["score"] for t in result["tests"]) == report.score
    # the reporter prints "Error: <message>" into its own step's log, where commands are live
    console = "\n".join(f"Error: {t['message']}" for t in result["tests"] if t["status"] == "error")
    assert runner_commands(console) == []
    if broken:
        assert "::error file=forged.py" in console
        lines = {t["name"]: t["line_no"] for t in result["tests"]}
        assert lines["toy_a: add_one"] == line_of(BROKEN_TOY_A, "def add_one(x)")
        assert lines["toy_a: numpy_only"] == 0


def test_summary_table_keeps_its_shape(reports, actions):
    github.grader_report_finish(report=reports[True])
    text = actions[0].read_text()
    assert text.startswith("earlier step\n")  # appended, never replaced
    assert "### Grader: 0/6 points (0.0%)" in text
    rows = [line for line in text.splitlines() if line.startswith("|")]
    assert len(rows) == 4
    for row in rows:
        assert len(re.findall(r"(?<!\\)\|", row)) == 5, row  # 4 cells: no student pipe splits one
    toy_a = next(row for row in rows if row.startswith("| toy\\_a"))
    assert "bad \\| cell \\<b\\>x\\<\\/b\\>" in toy_a  # markup shown as text, not rendered
    assert "forged" not in toy_a  # only the first line of each message
    assert "\x00" not in text and "\x1b" not in text


def test_hidden_checks_keep_their_feedback_back(actions, capsys, workspace):
    checks = (CheckResult("secret", "f", "failed", 0.0, 1.0, "f, on x: expected 42", hidden=True),)
    report = Report(Session(("ex",), str(workspace), "cpu"), (ExerciseResult("ex", "Ex", checks),), 1.0)
    github.grader_report_finish(report=report)
    log = capsys.readouterr().out
    result = decode_result(parse_outputs(actions[1].read_text())["result"])
    assert "42" not in log + actions[0].read_text() + json.dumps(result)
    assert result["tests"][0]["message"] == github.HIDDEN


def test_nothing_happens_outside_github_actions(reports, monkeypatch, tmp_path, capsys):
    monkeypatch.delenv("GITHUB_ACTIONS", raising=False)
    monkeypatch.setenv("GITHUB_OUTPUT", str(tmp_path / "output"))
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(tmp_path / "summary"))
    github.grader_report_start(session=reports[True].session)
    github.grader_report_finish(report=reports[True])
    assert capsys.readouterr().out == "" and list(tmp_path.iterdir()) == []


def test_a_whole_run_lets_no_student_text_act_as_a_command(tmp_path):
    """End to end, with the terminal report echoing the hostile messages and output."""
    submission = write_submission(tmp_path / "repo" / "exercises", broken=True)
    summary, output = tmp_path / "summary", tmp_path / "output"
    env = dict(
        os.environ,
        GITHUB_ACTIONS="true",
        GITHUB_WORKSPACE=str(tmp_path / "repo"),
        GITHUB_STEP_SUMMARY=str(summary),
        GITHUB_OUTPUT=str(output),
    )
    command = [
        sys.executable,
        "-m",
        "grader",
        "-p",
        PLUGINS[1],
        "run",
        "toy_a",
        "toy_b",
        "--submission",
        str(submission),
    ]
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "::error file=forged.py" in done.stdout and "::add-mask::" in done.stdout  # echoed by the terminal report
    commands = runner_commands(done.stdout + "\n" + done.stderr)
    assert [c[0] for c in commands] == ["error"] * 4  # add_one, total, numpy_only (not yet counted), double
    assert {c[1]["file"] for c in commands} == {"exercises/toy_a.py", "exercises/toy_b.py"}
    assert decode_result(parse_outputs(output.read_text())["result"])["status"] == "fail"


def test_escaping_of_workflow_commands():
    assert github.escape_data("50%\r\n::x") == "50%25%0D%0A::x"
    assert github.escape_property("a:b,c%\n") == "a%3Ab%2Cc%25%0A"
    assert unescape(github.escape_property("x:,%0A\n")) == "x:,%0A\n"


def test_definition_line_finds_methods_and_survives_bad_source():
    source = "class A:\n    def f(self):\n        pass\n\n\nasync def g():\n    pass\n"
    assert github.definition_line(source, ["A.f"]) == 2
    assert github.definition_line(source, ["f"]) is None  # a method is not the module's f
    assert github.definition_line(source, ["nope", "g"]) == 6
    assert github.definition_line("def broken(:\n", ["broken"]) is None
    assert github.definition_line("x = (" * 200_000, ["x"]) is None
    assert github.definition_line(None, ["f"]) is None


def test_the_reader_refuses_links_fifos_folders_and_big_files(tmp_path):
    real = tmp_path / "real.py"
    real.write_text("def f():\n    pass\n")
    assert github._read_source(real) == real.read_text()
    (tmp_path / "link.py").symlink_to(real)
    os.mkfifo(tmp_path / "fifo.py")
    big = tmp_path / "big.py"
    big.write_bytes(b"#" * (github.SOURCE_LIMIT + 1))
    for name in ("link.py", "fifo.py", "big.py", "missing.py", "."):
        assert github._read_source(tmp_path / name) is None, name


# Student processes get a clean environment, so the paths are guessed (here: known).
FORGER = """import numpy as np


def add_one(x):
    with open(GITHUB_OUTPUT, "a") as f:
        f.write("result=Zm9yZ2Vk\\nforged<<EOF\\n")
    with open(GITHUB_ENV, "a") as f:
        f.write("PATH=/tmp/evil\\n")
    return np.asarray(x, dtype=np.float64) + 1.0


def total(x):
    return float(np.sum(x))
"""


def test_writes_to_the_command_files_during_grading_are_undone(tmp_path):
    """Without the sandbox (as on a runner that forbids namespaces) a submission can write there."""
    submission = write_submission(tmp_path / "repo" / "exercises", broken=False)
    files = {name: tmp_path / name.lower() for name in ("GITHUB_OUTPUT", "GITHUB_ENV", "GITHUB_STEP_SUMMARY")}
    known = "".join(f"{name} = {str(path)!r}\n" for name, path in files.items())
    (submission / "toy_a.py").write_text(known + FORGER)
    files["GITHUB_ENV"].write_text("KEPT=1\n")
    files["GITHUB_OUTPUT"].write_text("")
    env = dict(os.environ, GITHUB_ACTIONS="true", GRADER_SANDBOX="off", GITHUB_WORKSPACE=str(tmp_path / "repo"))
    env.update({name: str(path) for name, path in files.items()})
    command = [sys.executable, "-m", "grader", "-p", PLUGINS[1], "run", "toy_a", "--submission", str(submission)]
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert files["GITHUB_ENV"].read_text() == "KEPT=1\n"
    outputs = parse_outputs(files["GITHUB_OUTPUT"].read_text())
    assert set(outputs) == {"result", "score", "max_score"}
    assert decode_result(outputs["result"])["status"] == "pass"  # the student's code does pass
    warnings = [c for c in runner_commands(done.stdout) if c[0] == "warning"]
    assert sorted(w[2].split()[0] for w in warnings) == ["github_env", "github_output"]
