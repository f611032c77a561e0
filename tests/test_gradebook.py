"""The SQLite gradebook: all-or-nothing per student, resumable, raw names kept."""

from __future__ import annotations

import os
import sqlite3
from dataclasses import replace

import pytest

from grader.batch import files, plan
from grader.batch.gradebook import Gradebook, GradebookError, Graded, Stored
from grader.results import CheckResult, ExerciseResult


def _result(name: str, *scores: float) -> ExerciseResult:
    checks = tuple(
        CheckResult(f"c{i}", "f", "passed" if s == 1 else "failed", s, 1.0, "" if s == 1 else f"wrong {i}")
        for i, s in enumerate(scores)
    )
    return ExerciseResult(name=name, title=name.upper(), checks=checks, seconds=0.5)


def test_records_and_reads_back(tmp_path):
    with Gradebook(tmp_path / "g.sqlite", "9.9") as book:
        book.record("ann", [Graded(_result("a", 1, 0), "sha256:x", "fp"), Graded(_result("b", 1), "missing", "fq")])
        assert book.stored("ann") == {
            "a": Stored("sha256:x", "fp", "9.9", "graded"),
            "b": Stored("missing", "fq", "9.9", "graded"),
        }
        assert book.stored("ann")["a"].content == "sha256:x" and book.stored("ann")["b"].fingerprint == "fq"
        (a,) = book.results("ann", ["a"])
        assert a == _result("a", 1, 0)
        book.record("ann", [Graded(replace(_result("c", 1), notes=("c.ipynb was ignored",)), "v", "fp")])
        assert book.results("ann", ["c"])[0].notes == ("c.ipynb was ignored",)
        assert [r.name for r in book.results("ann", ["b", "a", "zzz"])] == ["b", "a"]
        assert book.check_rows(["ann"], ["b", "a"]) == [
            ("ann", "b", "c0", "passed", 1.0, 1.0, ""),
            ("ann", "a", "c0", "passed", 1.0, 1.0, ""),
            ("ann", "a", "c1", "failed", 0.0, 1.0, "wrong 1"),
        ]
    db = sqlite3.connect(tmp_path / "g.sqlite")
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert db.execute("SELECT grader_version, score, max_score FROM submissions WHERE exercise = 'a'").fetchone() == (
        "9.9",
        1.0,
        2.0,
    )


def test_regrading_replaces_checks(tmp_path):
    with Gradebook(tmp_path / "g.sqlite", "1") as book:
        book.record("ann", [Graded(_result("a", 0, 0, 0), "v1", "fp")])
        book.record("ann", [Graded(_result("a", 1), "v2", "fp")])
        assert book.results("ann", ["a"]) == [_result("a", 1)]
        assert book.stored("ann")["a"].content == "v2"


def test_a_student_is_recorded_all_or_nothing(tmp_path):
    def graded():
        yield Graded(_result("a", 1), "v", "fp")
        raise KeyboardInterrupt  # stopped half-way through the student

    with Gradebook(tmp_path / "g.sqlite", "1") as book:
        book.record("ann", [Graded(_result("a", 0), "old", "fp")])
        with pytest.raises(KeyboardInterrupt):
            book.record("ann", graded())
        assert book.stored("ann")["a"].content == "old"
        with pytest.raises(KeyboardInterrupt):
            book.record("bob", graded())
        assert book.stored("bob") == {}
        assert [r[0] for r in book.db.execute("SELECT name FROM students")] == ["ann"]


def test_raw_names_and_skipped_entries(tmp_path):
    latin = os.fsdecode(b"j\xf6rg")
    with Gradebook(tmp_path / "g.sqlite", "1") as book:
        book.record(latin, [Graded(_result("a", 1), "v", "fp")])
        book.skip([("notes.txt", "a file"), ("notes.txt", "a file at the top level")])
        assert book.stored(latin)["a"].content == "v"
        assert book.skipped() == [("notes.txt", "a file at the top level")]
        assert book.db.execute("SELECT name, raw FROM students").fetchall() == [("j\\xf6rg", b"j\xf6rg")]


def test_not_a_gradebook(tmp_path):
    path = tmp_path / "g.sqlite"
    path.write_bytes(b"garbage" * 1000)
    with pytest.raises(GradebookError):
        Gradebook(path, "1")
    other = tmp_path / "other.sqlite"
    with Gradebook(other, "1") as book:
        book.db.execute("UPDATE meta SET value = '999' WHERE key = 'schema'")
    with pytest.raises(GradebookError, match="schema 999"):
        Gradebook(other, "1")


def test_plan_grades_only_what_changed(tmp_path):
    from grader.manager import collect_exercises, get_plugin_manager

    toy = collect_exercises(get_plugin_manager(["no:grader.reporters.terminal", "tests.plugins.toy"]))
    exercises = [toy["toy_a"], toy["toy_b"]]
    folder = tmp_path / "ann"
    folder.mkdir()
    (folder / "toy_a.py").write_text("x = 1\n")
    ann = files.Student("ann", folder)
    fps = {"toy_a": "A", "toy_b": "B"}
    with Gradebook(tmp_path / "g.sqlite", "1") as book:
        (work,) = plan.plan(book, [ann], exercises, fps)
        assert work.todo == ["toy_a", "toy_b"]
        assert work.digests["toy_b"] == "missing" and work.digests["toy_a"].startswith("sha256:")
        handed = work.read()
        assert handed["toy_a"].text == "x = 1\n" and handed["toy_b"].missing
        book.record("ann", plan.finish(work, toy, fps, {"toy_a": _result("toy_a", 1), "toy_b": _result("toy_b", 0)}))
        assert plan.plan(book, [ann], exercises, fps)[0].todo == []
        assert plan.plan(book, [ann], exercises, fps, force=True)[0].todo == ["toy_a", "toy_b"]
        assert plan.plan(book, [ann], exercises, {"toy_a": "A", "toy_b": "B2"})[0].todo == ["toy_b"]
        (folder / "toy_a.py").write_text("x = 2\n")
        assert plan.plan(book, [ann], exercises, fps)[0].todo == ["toy_a"]
        os.unlink(folder / "toy_a.py")
        os.symlink("/etc/passwd", folder / "toy_a.py")
        (work,) = plan.plan(book, [ann], exercises, fps)
        assert work.todo == ["toy_a"] and work.digests["toy_a"].startswith("refused:")
        assert "symbolic link" in work.read()["toy_a"].problem
        (failed,) = plan.finish(work, toy, fps, None, None, "boom")
        assert failed.status == "error" and "boom" in failed.result.checks[0].message
        assert failed.content == work.digests["toy_a"]
        (graded,) = plan.finish(work, toy, fps, {"toy_a": _result("toy_a", 0)}, {"toy_a": "sha256:now"})
        assert graded.status == "graded" and graded.content == "sha256:now"  # what was graded is recorded


def test_digest_is_the_content_the_reader_accepts():
    from grader.submission import Submission

    text = files.digest(Submission("x = 1\n", filename="a.py"))
    assert text == files.digest(Submission("x = 1\n", filename="a.py"))
    assert text != files.digest(Submission("x = 2\n", filename="a.py"))
    assert text != files.digest(Submission("x = 1\n", filename="a.ipynb"))
    assert files.digest(Submission(None)) == "missing"
    refused = files.digest(Submission(None, problem="a.py is a named pipe (FIFO), not a regular file", filename="a.py"))
    assert refused.startswith("refused:") and refused != files.digest(
        Submission(None, problem="other", filename="a.py")
    )


def test_fingerprint_follows_the_time_limit_and_the_exercise():
    from grader.manager import collect_exercises, get_plugin_manager

    toy = collect_exercises(get_plugin_manager(["no:grader.reporters.terminal", "tests.plugins.toy"]))
    a = plan.fingerprint(toy["toy_a"], "auto", None)
    assert a == plan.fingerprint(toy["toy_a"], "cuda", None)  # numpy exercises run on the CPU anyway
    assert a != plan.fingerprint(toy["toy_a"], "auto", 30.0)
    assert a != plan.fingerprint(toy["toy_b"], "auto", None)
