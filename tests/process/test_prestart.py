"""The torch zygote that ``run`` starts before loading its plugins: taken when it fits, stopped otherwise."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from grader import cli
from grader.process import prestart, zygote
from grader.process.zygote import Zygote, ZygoteError, import_path

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def started(monkeypatch):
    """Every zygote constructed during the test, in order, as ``(flavour, zygote, plugins loaded yet)``."""
    import grader.manager

    seen: list[list] = []
    loaded: list[bool] = []
    real_init, real_manager = Zygote.__init__, grader.manager.get_plugin_manager

    def init(self, flavour, *args, **kwargs):
        real_init(self, flavour, *args, **kwargs)
        seen.append([flavour, self, bool(loaded)])

    def manager(*args, **kwargs):
        loaded.append(True)
        return real_manager(*args, **kwargs)

    monkeypatch.setattr(Zygote, "__init__", init)
    monkeypatch.setattr(grader.manager, "get_plugin_manager", manager)
    yield seen
    prestart.discard()


@pytest.fixture
def submission(tmp_path):
    folder = tmp_path / "submission"
    shutil.copytree(ROOT / "solutions", folder, ignore=shutil.ignore_patterns("__pycache__"))
    return folder


def gone(started_zygote: Zygote) -> bool:
    return started_zygote.pid == 0 and started_zygote._process.poll() is not None


def test_run_grades_torch_exercises_with_the_zygote_it_started_before_loading_plugins(started, submission, capsys):
    assert cli.main(["run", "rnn", "--submission", str(submission)]) == 0
    assert "11/11" in capsys.readouterr().out
    torch = [entry for entry in started if entry[0] == "torch"]
    assert len(torch) == 1, "the grader started a second torch zygote instead of taking the one started ahead"
    assert torch[0][2] is False, "the torch zygote was started only after the plugins were loaded"
    assert gone(torch[0][1])


def test_a_numpy_only_run_stops_the_torch_zygote_it_started(started, submission, capsys):
    assert cli.main(["run", "polyfit", "--submission", str(submission)]) == 0
    assert "12/12" in capsys.readouterr().out
    torch = [entry[1] for entry in started if entry[0] == "torch"]
    assert len(torch) == 1 and gone(torch[0]), "the torch zygote started ahead was left running"
    assert not prestart._waiting


def test_a_usage_error_stops_the_torch_zygote_it_started(started, capsys):
    assert cli.main(["run", "no_such_exercise"]) == 2
    assert "unknown exercise" in capsys.readouterr().err
    torch = [entry[1] for entry in started if entry[0] == "torch"]
    assert len(torch) == 1 and gone(torch[0])


def test_other_commands_start_nothing_ahead(started, capsys):
    assert cli.main(["list"]) == 0
    assert started == []


def test_the_zygote_started_ahead_is_taken_only_for_its_flavour_and_label():
    prestart.start("one submission")
    try:
        assert prestart.take("numpy", "one submission") is None
        assert prestart.take("torch", "another submission") is None
        taken = prestart.take("torch", "one submission")
        assert taken is not None and taken.label == "one submission"
        assert prestart.take("torch", "one submission") is None, "taken twice"
        taken.close()
    finally:
        prestart.discard()


def test_a_zygote_whose_torch_differs_from_the_one_the_graders_path_finds_refuses_to_start(tmp_path):
    # The zygote imports torch before it learns the grader's path: a path that finds another torch
    # first must not be served by the torch already imported.
    decoy = tmp_path / "torch"
    decoy.mkdir()
    (decoy / "__init__.py").write_text("raise SystemExit('the decoy torch was imported')\n")
    started = Zygote("torch", {"rnn": ("grader.catalog.rnn", "grader.catalog.rnn")}, [str(tmp_path), *import_path()])
    try:
        with pytest.raises(ZygoteError, match="torch was imported from .* but the grader's import path finds it at"):
            started.device()
    finally:
        started.close()


def test_a_zygote_is_booted_once(tmp_path):
    started = Zygote("numpy", {"polyfit": ("grader.catalog.polyfit", "grader.catalog.polyfit")}, import_path())
    try:
        with pytest.raises(ZygoteError, match="told what to load already"):
            started.boot({}, import_path())
    finally:
        started.close()
    assert zygote.label_for([]) == "grader"
