"""Which protections are active, and how the report says so."""

import os
import sys

import pytest

from grader.process import lifecycle, sandbox, view
from grader.reporters import terminal
from grader.results import Session


@pytest.mark.skipif(sys.platform != "linux", reason="Linux only")
def test_everything_is_active_on_this_linux_machine():
    active = sandbox.detect(sandbox.Plan(view=view.view_paths(["grader"])))
    assert set(active) == set(sandbox.PROTECTIONS)
    if active["processes confined"]:
        optional = {"process count capped"}  # needs permission to create control groups
        assert all(v for k, v in active.items() if k not in optional), active


@pytest.mark.skipif(sys.platform != "linux", reason="Linux only")
def test_a_plan_without_a_view_reports_the_deny_list():
    active = sandbox.detect(sandbox.Plan())
    assert not active["allow-list file system view"]
    if active["processes confined"]:
        assert active["read-only file system"] and active["references hidden"]


def test_switching_namespaces_off_degrades_clearly(monkeypatch):
    monkeypatch.setenv("GRADER_SANDBOX", "off")
    active = sandbox.detect(sandbox.Plan())
    assert active["separate process"] and active["time limits"] and active["stdin closed"]
    assert not active["processes confined"] and not active["read-only file system"]
    assert not active["allow-list file system view"] and not active["no IPC with the host"]
    assert "GRADER_SANDBOX=off" in sandbox.note(active)


def test_a_platform_without_namespaces_is_named(monkeypatch):
    monkeypatch.setattr(sandbox, "libc_handle", lambda: None)
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


def _memory_readable(shield: bool, uid: int = 65534) -> bool:
    """Can a same-user process read the memory of a (shielded) process?"""
    import os

    go_read, go_write = os.pipe()
    result_read, result_write = os.pipe()
    target = os.fork()
    if target == 0:
        os.setuid(uid)  # a switch of user makes a process non-dumpable: start as a normal one
        lifecycle.libc_handle().prctl(lifecycle.PR_SET_DUMPABLE, 1)
        if shield:
            lifecycle.shield_memory()
        os.write(result_write, b"r")
        os.read(go_read, 1)
        os._exit(0)
    os.read(result_read, 1)
    reader = os.fork()
    if reader == 0:
        os.setuid(uid)
        try:
            with open(f"/proc/{target}/mem", "rb"):
                os._exit(0)
        except OSError:
            os._exit(1)
    _, status = os.waitpid(reader, 0)
    os.write(go_write, b"x")
    os.waitpid(target, 0)
    return os.waitstatus_to_exitcode(status) == 0


@pytest.mark.skipif(sys.platform != "linux" or os.geteuid() != 0, reason="needs Linux and root to switch users")
def test_shielded_memory_is_unreadable_to_the_same_user():
    assert _memory_readable(shield=False)
    assert not _memory_readable(shield=True)
