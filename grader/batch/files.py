"""The class folder: who the students are, and a fingerprint of what each one handed in.

Student folders are hostile input. Their files are read only through
:func:`grader.submission.read`, the grader's one defensive reader (no link
followed, regular files only, a size cap checked before reading, strict
UTF-8); the top level of the class folder is listed without following links.
"""

from __future__ import annotations

import hashlib
import os
import re
from dataclasses import dataclass
from pathlib import Path

from grader import submission as submitted


@dataclass(frozen=True)
class Student:
    """A student's folder.

    Attributes:
        name: The folder's name, exactly as the file system gives it.
        path: The folder.
    """

    name: str
    path: Path


@dataclass(frozen=True)
class Skipped:
    """An entry of the class folder that is not a student's folder."""

    name: str
    reason: str


def scan(folder: Path) -> tuple[list[Student], list[Skipped]]:
    """The student folders of ``folder`` (sorted by name) and the entries that are not."""
    students, skipped = [], []
    with os.scandir(folder) as entries:
        for entry in sorted(entries, key=lambda e: os.fsencode(e.name)):
            if entry.name.startswith("."):
                skipped.append(Skipped(entry.name, "a hidden entry"))
            elif entry.is_symlink():
                skipped.append(Skipped(entry.name, "a symbolic link, not a student folder (links are not followed)"))
            elif entry.is_dir(follow_symlinks=False):
                students.append(Student(entry.name, Path(entry.path)))
            elif entry.is_file(follow_symlinks=False):
                skipped.append(Skipped(entry.name, "a file at the top level, not a student folder"))
            else:
                skipped.append(Skipped(entry.name, "not a folder (a pipe, socket or device)"))
    return students, skipped


def read(student: Student, exercise: str) -> submitted.Submission:
    """What ``student`` handed in for ``exercise``, read by the grader's defensive reader."""
    return submitted.read(student.path, exercise)


def digest(handed: submitted.Submission) -> str:
    """A fingerprint of what was handed in: equal exactly when grading it gives the same result.

    ``sha256:`` and the hash of the file's name and text for a file that can
    be graded; ``refused:`` and the hash of the reason for one the reader
    refused (a link, a FIFO, not UTF-8, too large, ...); ``missing``.
    """
    if handed.missing:
        return "missing"
    hasher = hashlib.sha256()
    for part in (handed.filename, *handed.notes):
        hasher.update(part.encode("utf-8", "surrogatepass") + b"\0")
    if handed.text is None:
        hasher.update(str(handed.problem).encode("utf-8", "surrogatepass"))
        return "refused:" + hasher.hexdigest()
    hasher.update(handed.text.encode("utf-8", "surrogatepass"))
    return "sha256:" + hasher.hexdigest()


_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def stored_name(name: str) -> str:
    r"""The name as text for the gradebook, one text per name (no two folders share a row).

    A name that is UTF-8 without a backslash is kept exactly. Any other name
    is escaped: a backslash doubled, each byte that is not UTF-8 written
    ``\xNN``. Every escaped name holds a backslash and the escapes read back
    one way only, so a folder named ``caf\xe9`` in UTF-8 (with a backslash)
    and a folder whose name is the bytes ``caf`` and 0xE9 get different texts.
    """
    raw = os.fsencode(name)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        pass
    else:
        if "\\" not in text:
            return text
    return raw.replace(b"\\", b"\\\\").decode("utf-8", "backslashreplace")


def display_name(name: str) -> str:
    r"""The name as a person reads it: exact when it is UTF-8, else with ``\xNN`` escapes.

    Unlike :func:`stored_name` this may give two folders one text (the bytes
    ``caf`` and 0xE9, and the UTF-8 name ``caf\xe9``); it is for reports and
    the terminal, never for telling students apart.
    """
    return os.fsencode(name).decode("utf-8", "backslashreplace")


_STEM_WITH_HASH = re.compile(r"-[0-9a-f]{8}$")


def file_stem(name: str) -> str:
    """A safe file name for ``name``; a short hash tells apart names that had to be changed.

    A name that already ends like a hash gets one too: otherwise a student
    whose folder is literally called ``Jane_Doe-01332c87`` would get the file
    meant for ``Jane Doe``.
    """
    text = stored_name(name)
    safe = _UNSAFE.sub("_", text).strip("._")[:80]
    if safe != text or _STEM_WITH_HASH.search(safe):
        safe = f"{safe or 'student'}-{hashlib.sha256(os.fsencode(name)).hexdigest()[:8]}"
    return safe


def shown(name: str, limit: int = 60) -> str:
    """``name`` for a terminal: control characters and other unprintables escaped, length capped."""
    text = "".join(c if c.isprintable() else repr(c)[1:-1] for c in display_name(name))
    return text if len(text) <= limit else text[: limit - 1] + "…"
