"""The class folder: who the students are, and what each one handed in.

Student folders are hostile input. Nothing here follows a symbolic link,
opens anything but a regular file, or reads more than the grader's size cap;
the text that is graded is read by :func:`grader.grading.read_source`, the
one reader of student files, and only for files that passed these checks.
"""

from __future__ import annotations

import hashlib
import os
import re
import stat
from dataclasses import dataclass
from pathlib import Path

from grader.grading import MAX_SOURCE_BYTES, read_source


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


@dataclass(frozen=True)
class Handed:
    """What a student handed in for one exercise.

    Attributes:
        digest: A fingerprint of the content: ``sha256:`` and the hash of the
            file's bytes for a regular file, otherwise what was found (``missing``,
            ``symlink:...``, ``fifo``, ...), so that fixing the file changes it.
        problem: Why the file cannot be graded (``None``: grade it).
        missing: ``True`` when there is no file at all.
    """

    digest: str
    problem: str | None = None
    missing: bool = False


_KINDS = {
    stat.S_IFDIR: ("folder", "a folder, not a file"),
    stat.S_IFIFO: ("fifo", "a named pipe (FIFO), not a file"),
    stat.S_IFSOCK: ("socket", "a socket, not a file"),
    stat.S_IFCHR: ("device", "a device, not a file"),
    stat.S_IFBLK: ("device", "a device, not a file"),
}


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


def inspect(path: Path) -> Handed:
    """Hash the file at ``path`` and say whether it can be graded, without following links."""
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        return Handed("missing", missing=True)
    except OSError as exc:
        return Handed("unreadable", f"could not read the file: {exc.strerror}")
    if stat.S_ISLNK(info.st_mode):
        try:
            target = os.fsencode(os.readlink(path))
        except OSError:
            target = b""
        return Handed(
            "symlink:" + hashlib.sha256(target).hexdigest(),
            "a symbolic link, not a file (links are not followed)",
        )
    if not stat.S_ISREG(info.st_mode):
        kind, why = _KINDS.get(stat.S_IFMT(info.st_mode), ("special", "not a regular file"))
        return Handed(kind, why)
    if info.st_size > MAX_SOURCE_BYTES:
        return Handed(f"large:{info.st_size}", "the file is larger than 1 MiB")
    try:
        data = _read_regular(path)
    except OSError as exc:
        return Handed("unreadable", f"could not read the file: {exc.strerror or exc}")
    digest = "sha256:" + hashlib.sha256(data).hexdigest()
    if len(data) > MAX_SOURCE_BYTES:
        return Handed(digest, "the file is larger than 1 MiB")
    if b"\0" in data:
        return Handed(digest, "a binary file (it holds NUL bytes), not Python source")
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        return Handed(digest, f"not UTF-8 text (byte 0x{data[exc.start]:02x} at offset {exc.start}); save it as UTF-8")
    return Handed(digest)


def _read_regular(path: Path) -> bytes:
    """At most the size cap plus one byte of a regular file, never through a link or a pipe."""
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):  # swapped since lstat
            raise OSError(0, "not a regular file")
        chunks, left = [], MAX_SOURCE_BYTES + 1
        while left > 0:
            chunk = os.read(fd, min(left, 1 << 16))
            if not chunk:
                break
            chunks.append(chunk)
            left -= len(chunk)
        return b"".join(chunks)
    finally:
        os.close(fd)


def source(path: Path, handed: Handed) -> str | None:
    """The text to grade for a file that :func:`inspect` found gradable (``None``: missing)."""
    if handed.missing:
        return None
    if handed.problem is not None:
        raise ValueError(f"{path} cannot be graded: {handed.problem}")
    return read_source(path)


_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def stored_name(name: str) -> str:
    """The name as text for the gradebook: exact, except bytes that are not UTF-8 (``\\xNN``)."""
    return os.fsencode(name).decode("utf-8", "backslashreplace")


def file_stem(name: str) -> str:
    """A safe file name for ``name``; a short hash tells apart names that had to be changed."""
    text = stored_name(name)
    safe = _UNSAFE.sub("_", text).strip("._")[:80]
    if safe != text:
        safe = f"{safe or 'student'}-{hashlib.sha256(os.fsencode(name)).hexdigest()[:8]}"
    return safe


def shown(name: str, limit: int = 60) -> str:
    """``name`` for a terminal: control characters and other unprintables escaped, length capped."""
    text = "".join(c if c.isprintable() else repr(c)[1:-1] for c in stored_name(name))
    return text if len(text) <= limit else text[: limit - 1] + "…"
