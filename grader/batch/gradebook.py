"""The class gradebook: one SQLite file, written one student at a time.

The file is in WAL mode and each student's results go in one transaction,
so a batch stopped at any moment (even by SIGKILL) leaves every student
either fully recorded or as before; the next run grades only what is
missing or changed. Only one thread (the batch's main thread) writes.

Tables (see ``docs/instructors.rst``):

* ``students(name, raw, first_seen, last_seen)``
* ``skipped(name, raw, reason, seen)``: top-level entries that are not students
* ``submissions(student, exercise, content, fingerprint, grader_version,
  graded_at, status, title, score, max_score, seconds, notes)``
* ``checks(student, exercise, position, name, function, status, score,
  max_score, message, attempted, hidden, public_cases, hidden_cases)``
"""

from __future__ import annotations

import json
import os
import sqlite3
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from grader.batch.files import stored_name
from grader.results import CheckResult, ExerciseResult

SCHEMA_VERSION = "1"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS students (
    name TEXT PRIMARY KEY,
    raw BLOB NOT NULL,
    first_seen REAL NOT NULL,
    last_seen REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS skipped (
    name TEXT PRIMARY KEY,
    raw BLOB NOT NULL,
    reason TEXT NOT NULL,
    seen REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS submissions (
    student TEXT NOT NULL REFERENCES students(name),
    exercise TEXT NOT NULL,
    content TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    grader_version TEXT NOT NULL,
    graded_at REAL NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('graded', 'error')),
    title TEXT NOT NULL DEFAULT '',
    score REAL NOT NULL,
    max_score REAL NOT NULL,
    seconds REAL NOT NULL DEFAULT 0,
    notes TEXT NOT NULL DEFAULT '[]',
    PRIMARY KEY (student, exercise)
);
CREATE TABLE IF NOT EXISTS checks (
    student TEXT NOT NULL,
    exercise TEXT NOT NULL,
    position INTEGER NOT NULL,
    name TEXT NOT NULL,
    function TEXT NOT NULL,
    status TEXT NOT NULL,
    score REAL NOT NULL,
    max_score REAL NOT NULL,
    message TEXT NOT NULL,
    attempted INTEGER NOT NULL,
    hidden INTEGER NOT NULL,
    public_cases INTEGER NOT NULL DEFAULT 0,
    hidden_cases INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (student, exercise, position),
    FOREIGN KEY (student, exercise) REFERENCES submissions(student, exercise) ON DELETE CASCADE
);
"""


class GradebookError(Exception):
    """The gradebook cannot be opened or is not one."""


@dataclass(frozen=True)
class Graded:
    """One exercise of one student, ready to record.

    Attributes:
        result: The exercise's result.
        content: The content fingerprint of the student's file.
        fingerprint: The fingerprint of the exercise's checks.
        status: ``graded``, or ``error`` when the grader itself failed
            (such a row is graded again on the next run).
    """

    result: ExerciseResult
    content: str
    fingerprint: str
    status: str = "graded"


@dataclass(frozen=True)
class Stored:
    """What the gradebook knows of one (student, exercise) pair."""

    content: str
    fingerprint: str
    grader_version: str
    status: str


class Gradebook:
    """The SQLite gradebook at ``path`` (created if needed).

    Raises:
        GradebookError: when the file cannot be opened or written, or is
            not a gradebook.
    """

    def __init__(self, path: Path, grader_version: str) -> None:
        self.path = path
        self.version = grader_version
        try:
            self.db = sqlite3.connect(path, isolation_level=None, timeout=30)
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute("PRAGMA synchronous=NORMAL")
            self.db.execute("PRAGMA foreign_keys=ON")
            with self._transaction():
                for statement in _SCHEMA.split(";"):
                    if statement.strip():
                        self.db.execute(statement)
                self.db.execute("INSERT OR IGNORE INTO meta VALUES ('schema', ?)", (SCHEMA_VERSION,))
            found = self.db.execute("SELECT value FROM meta WHERE key = 'schema'").fetchone()[0]
        except sqlite3.Error as exc:
            raise GradebookError(f"{path}: {exc}") from None
        if found != SCHEMA_VERSION:
            raise GradebookError(f"{path}: gradebook schema {found}, this grader writes {SCHEMA_VERSION}")

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> Gradebook:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def _transaction(self):
        return _Transaction(self.db)

    def stored(self, student: str) -> dict[str, Stored]:
        """Exercise name -> what is recorded for ``student``."""
        rows = self.db.execute(
            "SELECT exercise, content, fingerprint, grader_version, status FROM submissions WHERE student = ?",
            (stored_name(student),),
        )
        return {row[0]: Stored(*row[1:]) for row in rows}

    def skip(self, entries: Iterable[tuple[str, str]]) -> None:
        """Record top-level entries that are not students: ``(name, reason)`` pairs."""
        now = time.time()
        with self._transaction():
            for name, reason in entries:
                self.db.execute(
                    "INSERT INTO skipped VALUES (?, ?, ?, ?) "
                    "ON CONFLICT(name) DO UPDATE SET reason = excluded.reason, seen = excluded.seen",
                    (stored_name(name), os.fsencode(name), reason, now),
                )

    def record(self, student: str, graded: Iterable[Graded]) -> None:
        """Record a student's graded exercises, all or nothing."""
        now = time.time()
        name = stored_name(student)
        with self._transaction():
            self.db.execute(
                "INSERT INTO students VALUES (?, ?, ?, ?) "
                "ON CONFLICT(name) DO UPDATE SET last_seen = excluded.last_seen",
                (name, os.fsencode(student), now, now),
            )
            for item in graded:
                r = item.result
                self.db.execute("DELETE FROM submissions WHERE student = ? AND exercise = ?", (name, r.name))
                self.db.execute(
                    "INSERT INTO submissions VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        name,
                        r.name,
                        item.content,
                        item.fingerprint,
                        self.version,
                        now,
                        item.status,
                        r.title,
                        r.score,
                        r.max_score,
                        r.seconds,
                        json.dumps(list(r.notes)),
                    ),
                )
                self.db.executemany(
                    "INSERT INTO checks VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    [
                        (
                            name,
                            r.name,
                            i,
                            c.name,
                            c.function,
                            c.status,
                            c.score,
                            c.max_score,
                            c.message,
                            int(c.attempted),
                            int(c.hidden),
                            c.public_cases,
                            c.hidden_cases,
                        )
                        for i, c in enumerate(r.checks)
                    ],
                )

    def seen(self, student: str) -> None:
        """Note that ``student`` is in this run's class (nothing to grade)."""
        now = time.time()
        with self._transaction():
            self.db.execute(
                "INSERT INTO students VALUES (?, ?, ?, ?) "
                "ON CONFLICT(name) DO UPDATE SET last_seen = excluded.last_seen",
                (stored_name(student), os.fsencode(student), now, now),
            )

    def results(self, student: str, exercises: Iterable[str]) -> list[ExerciseResult]:
        """The recorded results of ``student`` for ``exercises`` (those recorded), in that order."""
        name = stored_name(student)
        out = []
        for exercise in exercises:
            row = self.db.execute(
                "SELECT title, seconds, notes FROM submissions WHERE student = ? AND exercise = ?", (name, exercise)
            ).fetchone()
            if row is None:
                continue
            checks = self.db.execute(
                "SELECT name, function, status, score, max_score, message, attempted, hidden, public_cases, "
                "hidden_cases FROM checks WHERE student = ? AND exercise = ? ORDER BY position",
                (name, exercise),
            )
            out.append(
                ExerciseResult(
                    name=exercise,
                    title=row[0],
                    seconds=row[1],
                    notes=tuple(json.loads(row[2])),
                    checks=tuple(
                        CheckResult(
                            name=c[0],
                            function=c[1],
                            status=c[2],
                            score=c[3],
                            max_score=c[4],
                            message=c[5],
                            attempted=bool(c[6]),
                            hidden=bool(c[7]),
                            public_cases=c[8],
                            hidden_cases=c[9],
                        )
                        for c in checks
                    ),
                )
            )
        return out

    def check_rows(self, students: Iterable[str], exercises: Iterable[str]) -> list[tuple]:
        """``(student, exercise, check, status, score, max_score, message)`` of the given class, in order."""
        wanted = {stored_name(s): i for i, s in enumerate(students)}
        rank = {name: i for i, name in enumerate(exercises)}
        rows = []
        for student in wanted:
            for row in self.db.execute(
                "SELECT student, exercise, name, status, score, max_score, message FROM checks "
                "WHERE student = ? ORDER BY exercise, position",
                (student,),
            ):
                if row[1] in rank:
                    rows.append(row)
        rows.sort(key=lambda r: (wanted[r[0]], rank[r[1]]))
        return rows

    def skipped(self) -> list[tuple[str, str]]:
        return list(self.db.execute("SELECT name, reason FROM skipped ORDER BY name"))


class _Transaction:
    """``BEGIN IMMEDIATE`` ... ``COMMIT``, or ``ROLLBACK`` on any exception (Ctrl-C included)."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self.db = db

    def __enter__(self) -> None:
        self.db.execute("BEGIN IMMEDIATE")

    def __exit__(self, kind, value, traceback) -> None:
        if kind is None:
            self.db.execute("COMMIT")
        else:
            self.db.execute("ROLLBACK")
