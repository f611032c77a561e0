"""``--junit PATH``: the report as JUnit XML, for CI systems that show test results.

One ``<testsuite>`` per exercise and one ``<testcase>`` per check
(``classname`` the exercise, ``name`` the check). Points are ``<properties>``
(``score``, ``max_score``); a failed check has a ``<failure>``, a check that
raised or ran out of time an ``<error>``, each carrying the feedback; what the
student's code printed is the suite's ``<system-out>``. Text from a
submission is made XML-safe: characters XML 1.0 cannot hold are written as
visible ``\\xNN`` escapes, so the file always parses.
"""

from __future__ import annotations

import re
from pathlib import Path

from grader import hookimpl
from grader.reporters._files import check_output_path, write_atomically
from grader.results import CheckResult, ExerciseResult, Report

OUTPUT_LIMIT = 16_000  # characters of printed output kept per exercise
MESSAGE_LIMIT = 16_000  # characters of feedback kept per check

# Everything outside XML 1.0's Char production (tab, newline and carriage return are allowed).
_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def xml_text(text: str, limit: int) -> str:
    """``text`` bounded to ``limit`` characters, with XML-illegal characters escaped visibly."""
    if len(text) > limit:
        text = text[:limit] + "\n[... truncated]"
    return _ILLEGAL.sub(
        lambda m: f"\\x{ord(m.group()):02x}" if ord(m.group()) < 0x100 else f"\\u{ord(m.group()):04x}", text
    )


@hookimpl
def grader_addoption(parser):
    parser.add_argument(
        "--junit", type=Path, default=None, metavar="PATH", help="write the report as JUnit XML to PATH"
    )


@hookimpl
def grader_configure(args):
    path = getattr(args, "junit", None)
    if path is not None:
        check_output_path("--junit", path)


@hookimpl
def grader_report_finish(report: Report, args) -> None:
    path = getattr(args, "junit", None)
    if path is not None:
        write_atomically(path, to_junit_xml(report))


def _num(x: float) -> str:
    return f"{float(x):g}"


def _properties(parent, **values) -> None:
    import xml.etree.ElementTree as ET

    props = ET.SubElement(parent, "properties")
    for name, value in values.items():
        ET.SubElement(props, "property", name=name, value=value)


def _testcase(suite, exercise: ExerciseResult, check: CheckResult) -> None:
    import xml.etree.ElementTree as ET

    case = ET.SubElement(suite, "testcase", classname=exercise.name, name=check.name, time="0")
    values = {"score": _num(check.score), "max_score": _num(check.max_score), "function": check.function}
    if check.hidden:
        values["hidden"] = "true"
    _properties(case, **values)
    if check.status == "passed":
        return
    message = xml_text(check.message or check.status, MESSAGE_LIMIT)
    first = message.split("\n", 1)[0]
    if check.status == "failed":
        kind = "failure"
        type_ = "failed" if check.attempted else "not attempted"
    else:
        kind, type_ = "error", check.status
    element = ET.SubElement(case, kind, message=first, type=type_)
    element.text = message


def _suite(parent, exercise: ExerciseResult):
    import xml.etree.ElementTree as ET

    failures = sum(c.status == "failed" for c in exercise.checks)
    errors = sum(c.status in ("error", "timeout") for c in exercise.checks)
    suite = ET.SubElement(
        parent,
        "testsuite",
        name=exercise.name,
        tests=str(len(exercise.checks)),
        failures=str(failures),
        errors=str(errors),
        skipped="0",
        time=f"{exercise.seconds:.3f}",
    )
    _properties(
        suite, score=_num(exercise.score), max_score=_num(exercise.max_score), title=xml_text(exercise.title, 500)
    )
    for check in exercise.checks:
        _testcase(suite, exercise, check)
    if exercise.output:
        ET.SubElement(suite, "system-out").text = xml_text(exercise.output, OUTPUT_LIMIT)
    return failures, errors


def to_junit_xml(report: Report) -> bytes:
    """The report as a JUnit XML document (UTF-8 bytes, with an XML declaration)."""
    import xml.etree.ElementTree as ET

    root = ET.Element("testsuites", name="grader")
    failures = errors = 0
    for exercise in report.exercises:
        f, e = _suite(root, exercise)
        failures, errors = failures + f, errors + e
    root.set("tests", str(sum(len(e.checks) for e in report.exercises)))
    root.set("failures", str(failures))
    root.set("errors", str(errors))
    root.set("time", f"{report.seconds:.3f}")
    ET.indent(root)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True) + b"\n"
