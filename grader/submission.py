"""Read a student's file without trusting it.

The grader reads the submission in its own, unconfined process, before any
sandbox or time limit exists. The file is the student's to choose: a symbolic
link to the reference solution or to a secret, a FIFO that never delivers, a
device such as ``/dev/zero``, a sparse file of many gigabytes. So a file is
accepted only when it is a regular file sitting directly in the submission
folder, not larger than a cap checked before reading, and valid UTF-8.
Anything else is refused with a one-line reason that never quotes the file's
content or where a link points.
"""

from __future__ import annotations

import errno
import os
import stat
from dataclasses import dataclass
from pathlib import Path

MAX_BYTES = 1 << 20
#: Notebooks hold outputs (base64 images) that are never decoded: a larger cap.
MAX_NOTEBOOK_BYTES = 16 << 20
_FLAGS = (
    os.O_RDONLY
    | getattr(os, "O_NOFOLLOW", 0)
    | getattr(os, "O_NONBLOCK", 0)
    | getattr(os, "O_NOCTTY", 0)
    | getattr(os, "O_CLOEXEC", 0)
)


@dataclass(frozen=True)
class Submission:
    """One exercise's submitted file, as the grader read it.

    Attributes:
        text: The source text, or ``None`` when the file is missing or refused.
        problem: Why the file was refused (one line, never its content), or
            ``None``. ``text is None and problem is None``: the file is missing.
        notes: Remarks for the student that do not cost points (e.g. which of
            two candidate files was graded, what a notebook's conversion
            dropped).
        filename: The file graded (``<name>.py`` or ``<name>.ipynb``), for
            messages and tracebacks; empty when missing.
    """

    text: str | None
    problem: str | None = None
    notes: tuple[str, ...] = ()
    filename: str = ""

    @property
    def missing(self) -> bool:
        """Whether there is no file at all (the exercise is not attempted)."""
        return self.text is None and self.problem is None


class Refused(Exception):
    """A file that must not be read; the message says why, in one line."""


def read(folder: Path, name: str) -> Submission:
    """Read ``folder/<name>.py`` defensively, or else ``folder/<name>.ipynb``.

    A notebook's code cells become the module (see ``grader.notebook``);
    a notebook that cannot be converted is refused with the reason.

    Args:
        folder: The submission folder (trusted: given by the person running
            the grader; it may itself be a symbolic link).
        name: The exercise's name, a plain file name stem.

    Returns:
        The file's text, or why it was refused, or a missing submission.
    """
    filename, notebook = f"{name}.py", f"{name}.ipynb"
    try:
        dir_fd = open_folder(folder)
    except FileNotFoundError:
        return Submission(None)
    except Refused as exc:
        return Submission(None, problem=str(exc))
    try:
        data = read_regular(dir_fd, filename, MAX_BYTES)
        if data is not None:
            also = _exists(dir_fd, notebook)
            notes = (f"{notebook} was ignored: {filename} is graded",) if also else ()
            return Submission(decode(data, filename), notes=notes, filename=filename)
        data = read_regular(dir_fd, notebook, MAX_NOTEBOOK_BYTES)
        if data is None:
            return Submission(None)
    except Refused as exc:
        return Submission(None, problem=str(exc), filename=filename)
    finally:
        os.close(dir_fd)
    from grader.notebook import NotebookError, to_source  # standard library only, and only for notebooks
    from grader.text import utf8

    try:
        text, notes = to_source(data)
    except NotebookError as exc:
        return Submission(None, problem=utf8(f"{notebook}: {exc}"), filename=notebook)
    return Submission(text, notes=tuple(utf8(note) for note in notes), filename=notebook)


def _exists(dir_fd: int, filename: str) -> bool:
    try:
        os.stat(filename, dir_fd=dir_fd, follow_symlinks=False)
        return True
    except OSError:
        return False


def open_folder(folder: Path) -> int:
    """A descriptor of the submission folder, to open its files relative to it.

    Raises:
        FileNotFoundError: when the folder does not exist.
        Refused: when it cannot be opened as a folder.
    """
    try:
        return os.open(folder, os.O_RDONLY | os.O_DIRECTORY | getattr(os, "O_CLOEXEC", 0))
    except FileNotFoundError:
        raise
    except OSError as exc:
        raise Refused(f"the submission folder could not be opened ({_reason(exc)})") from None


def read_regular(dir_fd: int, filename: str, cap: int) -> bytes | None:
    """The bytes of the regular file ``filename`` directly in the folder ``dir_fd``.

    Opens without following a symbolic link and without blocking (a FIFO
    opens at once and is then refused), checks the type and size with
    ``fstat`` before reading, and reads at most ``cap`` bytes, so a file that
    grows while being read is refused too.

    Args:
        dir_fd: A descriptor of the folder (see :func:`open_folder`).
        filename: A file name without a folder part.
        cap: The largest size accepted, in bytes.

    Returns:
        The content, or ``None`` when no such file exists.

    Raises:
        Refused: when the file is not a regular file, is too large or cannot
            be read; the message names ``filename`` and says why.
    """
    if not filename or "/" in filename or "\0" in filename or filename in (".", ".."):
        raise ValueError(f"not a plain file name: {filename!r}")
    try:
        fd = os.open(filename, _FLAGS, dir_fd=dir_fd)
    except FileNotFoundError:
        return None
    except OSError as exc:
        if exc.errno in (errno.ELOOP, errno.EMLINK) and _is_link(dir_fd, filename):
            raise Refused(f"{filename} is a symbolic link: submit the file itself") from None
        if exc.errno == errno.EISDIR:
            raise Refused(f"{filename} is a folder, not a file") from None
        raise Refused(f"{filename} could not be opened ({_reason(exc)})") from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise Refused(f"{filename} is {_kind(info.st_mode)}, not a regular file")
        if info.st_size > cap:
            raise Refused(f"{filename} is larger than {_size(cap)}")
        chunks = []
        left = cap + 1
        while left > 0:
            try:
                chunk = os.read(fd, min(left, 1 << 16))
            except BlockingIOError:  # pragma: no cover - regular files never block
                chunk = b""
            except OSError as exc:
                raise Refused(f"{filename} could not be read ({_reason(exc)})") from None
            if not chunk:
                break
            chunks.append(chunk)
            left -= len(chunk)
        data = b"".join(chunks)
        if len(data) > cap:
            raise Refused(f"{filename} is larger than {_size(cap)}")
        return data
    finally:
        os.close(fd)


def decode(data: bytes, filename: str) -> str:
    """Source bytes as text: strict UTF-8 (a leading byte-order mark is dropped), no NUL bytes.

    Raises:
        Refused: for anything else.
    """
    if b"\0" in data:
        raise Refused(f"{filename} contains NUL bytes: is it a binary file? Save it as plain text")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise Refused(f"{filename} is not valid UTF-8 text (line {line}): save it with the UTF-8 encoding") from None


def _is_link(dir_fd: int, filename: str) -> bool:
    try:
        return stat.S_ISLNK(os.stat(filename, dir_fd=dir_fd, follow_symlinks=False).st_mode)
    except OSError:
        return False


def _kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a named pipe (FIFO)"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "a special file"


def _reason(exc: OSError) -> str:
    """The error's description without the file name it may carry."""
    return exc.strerror or type(exc).__name__


def _size(n: int) -> str:
    return f"{n >> 20} MiB" if n >= 1 << 20 and n % (1 << 20) == 0 else f"{n} bytes"
