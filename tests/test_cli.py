"""The command-line contract of EXERCISES.md: commands, options, exit statuses."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from grader.cli import main

ROOT = Path(__file__).resolve().parent.parent


def run_cli(*args, cwd=ROOT):
    return subprocess.run([sys.executable, "-m", "grader", *args], cwd=cwd, capture_output=True, text=True, timeout=300)


def one_line_error(capsys_or_text) -> str:
    lines = [line for line in capsys_or_text.strip().splitlines() if line]
    assert len(lines) == 1, capsys_or_text
    assert lines[0].startswith("grader: error: ")
    return lines[0]


def test_list_shows_every_exercise_with_points(capsys, exercises):
    assert main(["list"]) == 0
    out = capsys.readouterr().out
    for name, exercise in exercises.items():
        assert name in out
        assert f"{exercise.max_score:g} pts" in out


@pytest.mark.parametrize(
    "argv, phrase",
    [
        (["run", "no_such_exercise"], "unknown exercise 'no_such_exercise'"),
        (["run", "--submission", "/no/such/folder"], "does not exist"),
        (["run", "--device", "tpu"], "invalid choice"),
        (["run", "--fail-under", "120"], "between 0 and 100"),
        (["run", "--fail-under", "abc"], "not a number"),
        (["run", "--json", "/no/such/folder/r.json"], "does not exist"),
        (["frobnicate"], "invalid choice"),
        (["-p", "no_such_plugin_module", "list"], "plugin 'no_such_plugin_module' failed to import"),
        (["stubs", "--solutions", "/no/such/folder"], "does not exist"),
    ],
)
def test_bad_input_exits_2_with_one_line(capsys, argv, phrase):
    assert main(argv) == 2
    captured = capsys.readouterr()
    assert phrase in one_line_error(captured.err)
    assert "Traceback" not in captured.err + captured.out


def test_unavailable_device_is_a_usage_error(capsys):
    import torch

    if torch.cuda.is_available():
        pytest.skip("CUDA is available here")
    assert main(["run", "diy_model", "--device", "cuda"]) == 2
    assert "CUDA is not available" in one_line_error(capsys.readouterr().err)


def test_no_command_prints_help_and_exits_2(capsys):
    assert main([]) == 2
    assert "run" in capsys.readouterr().err


def test_stubs_grade_to_zero_with_exit_0_and_json(tmp_path):
    report = tmp_path / "r.json"
    done = run_cli("run", "diy_model", "--json", str(report))
    assert done.returncode == 0, done.stderr
    data = json.loads(report.read_text())
    assert data["score"] == 0 and data["max_score"] > 0
    assert "not attempted" in done.stdout


def test_solutions_get_full_marks_and_the_json_layout(tmp_path):
    report = tmp_path / "r.json"
    done = run_cli("run", "diy_model", "optim", "--submission", "solutions", "--json", str(report))
    assert done.returncode == 0, done.stdout + done.stderr
    data = json.loads(report.read_text())
    assert set(data) == {"score", "max_score", "exercises"}
    assert data["score"] == data["max_score"] > 0
    for exercise in data["exercises"]:
        assert set(exercise) == {"name", "score", "max_score", "checks"}
        for check in exercise["checks"]:
            # The contract's keys, plus "cases" (public and hidden counts) on behavioural checks.
            assert set(check) - {"cases"} == {"name", "status", "score", "max_score", "message"}
            assert check["status"] == "passed"
            if "cases" in check:
                assert check["cases"]["public"] > 0 and check["cases"]["hidden"] == 0


def test_fail_under(tmp_path):
    assert run_cli("run", "diy_model", "--fail-under", "50").returncode == 1
    assert run_cli("run", "diy_model", "--fail-under", "0").returncode == 0
    ok = run_cli("run", "diy_model", "--submission", "solutions", "--fail-under", "100")
    assert ok.returncode == 0, ok.stdout


def test_missing_file_in_submission_scores_zero_without_crash(tmp_path):
    (tmp_path / "diy_model.py").write_text((ROOT / "solutions/diy_model.py").read_text())
    report = tmp_path / "r.json"
    done = run_cli("run", "diy_model", "optim", "--submission", str(tmp_path), "--json", str(report))
    assert done.returncode == 0, done.stderr
    scores = {e["name"]: (e["score"], e["max_score"]) for e in json.loads(report.read_text())["exercises"]}
    assert scores["diy_model"][0] == scores["diy_model"][1] > 0
    assert scores["optim"][0] == 0
    assert "optim.py does not exist" in done.stdout or "not attempted" in done.stdout


def test_report_names_device_and_sandbox():
    done = run_cli("run", "diy_model", "--device", "cpu")
    assert "on cpu" in done.stdout
    assert "Sandbox:" in done.stdout
