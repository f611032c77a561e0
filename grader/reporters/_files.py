"""Output files of reporters: validate the path early, write it atomically at the end."""

from __future__ import annotations

import errno
import os
import tempfile
from pathlib import Path

from grader.errors import UsageError


def check_output_path(option: str, path: Path) -> None:
    """Reject an output path that cannot be written, before any grading starts.

    Args:
        option: The option's name, for the message (``"--json"``).
        path: Its value.

    Raises:
        UsageError: when ``path`` is a folder or its folder does not exist
            or is not writable.
    """
    if path.is_dir():
        raise UsageError(f"{option} {str(path)!r} is a folder, not a file")
    folder = path.parent.resolve()
    if not folder.is_dir():
        raise UsageError(f"{option} {str(path)!r}: the folder {str(path.parent)!r} does not exist")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise UsageError(f"{option} {str(path)!r}: the folder {str(path.parent)!r} is not writable")


def write_atomically(path: Path, data: str | bytes, replace: bool = True) -> None:
    """Write ``data`` to ``path`` so that readers see the old file or the new one, never half.

    Args:
        path: The file to create or replace.
        data: Text (written as UTF-8) or bytes.
        replace: When ``False``, fail with ``FileExistsError`` rather than
            replace an existing file (checked atomically, at the last step).
    """
    payload = data.encode("utf-8") if isinstance(data, str) else data
    folder = path.resolve().parent
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(payload)
            f.flush()
            os.fsync(f.fileno())
        if replace:
            os.replace(tmp, path)
        else:
            _link_new(tmp, path)
    finally:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass


def _link_new(tmp: str, path: Path) -> None:
    """Give ``tmp`` the name ``path`` only if nothing has that name (``FileExistsError`` otherwise)."""
    try:
        os.link(tmp, path)  # atomic: no window in which an existing file could be clobbered
    except FileExistsError:
        raise
    except OSError:  # a file system without hard links: check, then rename
        if os.path.lexists(path):
            raise FileExistsError(errno.EEXIST, "File exists", str(path)) from None
        os.replace(tmp, path)
