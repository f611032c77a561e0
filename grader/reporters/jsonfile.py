"""``--json PATH``: the report as JSON, written atomically after grading."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

from grader import hookimpl
from grader.errors import UsageError
from grader.results import Report, report_to_dict


@hookimpl
def grader_addoption(parser):
    parser.add_argument("--json", type=Path, default=None, metavar="PATH", help="write the report as JSON to PATH")


@hookimpl
def grader_configure(args):
    path = getattr(args, "json", None)
    if path is None:
        return
    if path.is_dir():
        raise UsageError(f"--json {str(path)!r} is a folder, not a file")
    if not path.parent.resolve().is_dir():
        raise UsageError(f"--json {str(path)!r}: the folder {str(path.parent)!r} does not exist")


@hookimpl
def grader_report_finish(report: Report, args) -> None:
    path = getattr(args, "json", None)
    if path is not None:
        write_atomically(path, json.dumps(report_to_dict(report), indent=2) + "\n")


def write_atomically(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` so that readers see the old file or the new one, never half."""
    folder = path.resolve().parent
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
