"""Planning the new root: what is bound, which links are recreated, what is cut out, where it is built."""

from __future__ import annotations

import os

import pytest

from grader.process import rootfs


def test_nested_and_missing_paths_are_bound_once(tmp_path):
    (tmp_path / "a/b").mkdir(parents=True)
    binds, links, cuts = rootfs.plan_mounts(
        [str(tmp_path / "a/b"), str(tmp_path / "a"), str(tmp_path / "gone"), "/"], []
    )
    assert binds == [str(tmp_path / "a")]
    assert links == {} and cuts == []


def test_symbolic_links_are_recreated_and_their_targets_bound(tmp_path):
    (tmp_path / "real/lib").mkdir(parents=True)
    (tmp_path / "lib").symlink_to("real/lib")
    binds, links, _ = rootfs.plan_mounts([str(tmp_path / "lib")], [])
    assert binds == [str(tmp_path / "real/lib")]
    assert links == {str(tmp_path / "lib"): "real/lib"}


def test_links_inside_a_bound_tree_are_left_to_the_bind(tmp_path):
    (tmp_path / "env/lib").mkdir(parents=True)
    (tmp_path / "env/lib64").symlink_to("lib")
    binds, links, _ = rootfs.plan_mounts([str(tmp_path / "env"), str(tmp_path / "env/lib64")], [])
    assert binds == [str(tmp_path / "env")] and links == {}


def test_hidden_folders_are_cut_out_or_not_bound(tmp_path):
    (tmp_path / "pkg/solutions").mkdir(parents=True)
    (tmp_path / "other").mkdir()
    hide = [str(tmp_path / "pkg/solutions"), str(tmp_path / "other"), str(tmp_path / "elsewhere")]
    binds, _, cuts = rootfs.plan_mounts([str(tmp_path / "pkg"), str(tmp_path / "other")], hide)
    assert binds == [str(tmp_path / "pkg")]
    assert cuts == [str(tmp_path / "pkg/solutions")]


def test_resolve_follows_relative_and_absolute_links(tmp_path):
    (tmp_path / "x/y").mkdir(parents=True)
    (tmp_path / "rel").symlink_to("x")
    (tmp_path / "abs").symlink_to(tmp_path / "rel")
    links: dict = {}
    assert rootfs.resolve(str(tmp_path / "abs/y"), links) == os.path.realpath(tmp_path / "x/y")
    assert set(links) >= {str(tmp_path / "abs"), str(tmp_path / "rel")}


def test_a_link_loop_is_an_error(tmp_path):
    (tmp_path / "loop").symlink_to("loop")
    with pytest.raises(OSError):
        rootfs.resolve(str(tmp_path / "loop"), {})


def test_the_base_is_unrelated_to_every_bound_path(monkeypatch):
    assert rootfs.pick_base(["/usr", "/mnt/x"]) != "/mnt"
    base = rootfs.pick_base(["/usr"])
    assert base in rootfs.BASES
    monkeypatch.setattr(rootfs, "BASES", ("/usr",))
    with pytest.raises(OSError):
        rootfs.pick_base(["/usr/lib"])
