"""Which protections are active, and how the report says so."""

import sys

import pytest

from grader import sandbox
from grader.reporters import terminal
from grader.results import Session


@pytest.mark.skipif(sys.platform != "linux", reason="Linux only")
def test_everything_is_active_on_this_linux_machine():
    active = sandbox.detect(sandbox.Plan())
    assert set(active) == set(sandbox.PROTECTIONS)
    if active["processes confined"]:
        assert all(active.values()), active
        assert sandbox.note(active) == ""


def test_switching_namespaces_off_degrades_clearly(monkeypatch):
    monkeypatch.setenv("GRADER_SANDBOX", "off")
    active = sandbox.detect(sandbox.Plan())
    assert active["separate process"] and active["time limits"] and active["stdin closed"]
    assert not active["processes confined"] and not active["read-only file system"]
    assert "GRADER_SANDBOX=off" in sandbox.note(active)


def test_a_platform_without_namespaces_is_named(monkeypatch):
    monkeypatch.setattr(sandbox, "_libc", lambda: None)
    monkeypatch.setattr(sandbox.sys, "platform", "darwin")
    active = sandbox.detect(sandbox.Plan())
    assert active["separate process"] and not active["no network"]
    assert "isolated by process only" in sandbox.note(active)


def test_terminal_report_lists_missing_protections(capsys):
    protections = dict.fromkeys(sandbox.PROTECTIONS, True)
    protections["no network"] = False
    session = Session(("diy_model",), "exercises", "cpu", protections, note="because")
    terminal.grader_report_start(session=session)
    out = capsys.readouterr().out
    assert "NOT active: no network" in out and "(because)" in out
