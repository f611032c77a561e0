"""What the allow-list view holds: the installation, system folders, plugin packages; never the project."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from grader.process import view

ROOT = Path(__file__).resolve().parents[2]


def test_the_view_holds_the_installation_and_the_plugin_packages():
    paths = view.view_paths(["grader", "grader.catalog.bow", "tests.plugins.toy"])
    assert sys.prefix in paths and sys.base_prefix in paths
    assert str(ROOT / "grader") in paths and str(ROOT / "tests") in paths
    assert "/dev/null" in paths and "/usr" in paths


def test_the_view_never_holds_the_project_root_or_outside_import_paths(monkeypatch):
    outside = str(ROOT)  # an import-path entry outside the installation (pytest adds such)
    monkeypatch.setattr(sys, "path", [outside, *sys.path])
    paths = view.view_paths(["grader", "tests.plugins.toy"])
    assert outside not in paths
    assert not any(p in (str(ROOT / "solutions"), str(ROOT / ".git"), "/", "/tmp", "/run", "/home") for p in paths)


def test_a_lone_module_is_allowed_alone(tmp_path, monkeypatch):
    (tmp_path / "lone_plugin_for_view.py").write_text("X = 1\n")
    (tmp_path / "neighbour.py").write_text("SECRET = 1\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    assert view.module_folder("lone_plugin_for_view") == str(tmp_path / "lone_plugin_for_view.py")
    assert "lone_plugin_for_view" not in sys.modules  # found, not imported


def test_unknown_or_odd_module_names_add_nothing():
    assert view.module_folder("no_such_module_anywhere") is None
    assert view.module_folder("") is None
    assert view.module_folder("not-a-module") is None
    assert view.module_folder("sys") is None  # built in: nothing on disk


def test_torch_paths_are_torch_folders_only():
    pytest.importorskip("torch")
    paths = view.torch_paths()
    names = {os.path.basename(p) for p in paths}
    assert "torch" in names
    parents = {os.path.realpath(os.path.dirname(p)) for p in paths}
    assert len(parents) == 1 and not parents & {os.path.realpath(p) for p in paths}  # never site-packages itself
    assert all(n.startswith(("torch", "functorch")) for n in names), names
