"""``--json PATH``: the report as JSON, written atomically after grading."""

from __future__ import annotations

import json
from pathlib import Path

from grader import hookimpl
from grader.reporters._files import check_output_path, write_atomically
from grader.results import Report, report_to_dict


@hookimpl
def grader_addoption(parser):
    parser.add_argument("--json", type=Path, default=None, metavar="PATH", help="write the report as JSON to PATH")


@hookimpl
def grader_configure(args):
    path = getattr(args, "json", None)
    if path is not None:
        check_output_path("--json", path)


@hookimpl
def grader_report_finish(report: Report, args) -> None:
    path = getattr(args, "json", None)
    if path is not None:
        write_atomically(path, json.dumps(report_to_dict(report), indent=2) + "\n")
