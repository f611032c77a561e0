"""Toy classes for the batch tests: folders of students, each a folder of toy submissions."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TOY = ROOT / "tests" / "plugins" / "toy_solutions"
GOOD_A = (TOY / "toy_a.py").read_text()
GOOD_B = (TOY / "toy_b.py").read_text()
WRONG_B = "import numpy as np\n\n\ndef double(x):\n    return np.asarray(x, dtype=np.float64) * 3.0\n"
LOOPER_A = "import os\nif os.fork() == 0:\n    os.setsid()\nwhile True:\n    pass\n"


def student(root: Path, name: str, **files: str) -> Path:
    """``root/name/<exercise>.py`` for each ``exercise=source``."""
    folder = root / name
    folder.mkdir(parents=True)
    for exercise, source in files.items():
        (folder / f"{exercise}.py").write_text(source)
    return folder


def gradebook(out: Path) -> sqlite3.Connection:
    return sqlite3.connect(out / "gradebook.sqlite")


def outcomes(out: Path) -> dict:
    """(student, exercise) -> (content, fingerprint, status, score, max_score, check statuses)."""
    with gradebook(out) as db:
        found = {}
        for student, exercise, content, fingerprint, status, score, max_score in db.execute(
            "SELECT student, exercise, content, fingerprint, status, score, max_score FROM submissions"
        ):
            checks = tuple(
                row[0]
                for row in db.execute(
                    "SELECT status FROM checks WHERE student = ? AND exercise = ? ORDER BY position",
                    (student, exercise),
                )
            )
            found[(student, exercise)] = (content, fingerprint, status, score, max_score, checks)
    return found


def graded_at(out: Path) -> dict:
    with gradebook(out) as db:
        return {(s, e): t for s, e, t in db.execute("SELECT student, exercise, graded_at FROM submissions")}


def alive_with(marker: bytes) -> list[int]:
    """Live (not zombie) processes other than this one whose command line holds ``marker``."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            if marker in (entry / "cmdline").read_bytes():
                if (entry / "stat").read_text().rsplit(")", 1)[1].split()[0] != "Z":
                    found.append(int(entry.name))
        except OSError:
            pass
    return found
