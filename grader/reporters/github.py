"""GitHub Actions: a step summary, ``::error`` annotations and Classroom's ``result`` output.

Active only when ``GITHUB_ACTIONS`` is ``true``. After grading it

* appends a Markdown table (exercise, score, max, what to fix) to the file
  named by ``GITHUB_STEP_SUMMARY``;
* prints one ``::error`` workflow command per failing check, on the line of
  the student's file where the function under test is defined;
* appends ``result=<base64 JSON>`` to the file named by ``GITHUB_OUTPUT``,
  in the layout GitHub Classroom's runners produce and
  ``classroom-resources/autograding-grading-reporter`` reads (an env var
  ``<STEP-ID>_RESULTS`` per runner), plus ``score`` and ``max_score``.

Text from a submission (messages, printed output) is hostile here: while
grading runs, workflow commands are switched off with ``::stop-commands::``
and a random token, so nothing the terminal report echoes can be taken as a
command; the annotations escape their data and properties; the step output is
base64 only, so it cannot end early or forge another output (and its
messages keep no line that Classroom's reporter could print as a command in
its own step); and the summary
backslash-escapes every Markdown punctuation character. Where the sandbox is
not complete a submission could write to the step's command files
(``$GITHUB_OUTPUT``, ``$GITHUB_ENV``, ...) itself: their contents are kept
before grading and put back afterwards, with a warning.
"""

from __future__ import annotations

import ast
import base64
import json
import os
import re
import secrets
import stat
import sys
from pathlib import Path

from grader import hookimpl
from grader.results import CheckResult, ExerciseResult, Report, Session

SOURCE_LIMIT = 1 << 20  # bytes of a student's file read to find a definition
MESSAGE_LIMIT = 2_000  # characters of feedback per annotation or Classroom test
CELL_LIMIT = 160  # characters of feedback per check in the summary table
ANNOTATIONS = 10  # GitHub shows at most 10 error annotations per step
HIDDEN = "hidden check: its feedback is shown when grades are published"

_STATUS = {"passed": "pass", "failed": "fail", "error": "error", "timeout": "error"}
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_PUNCTUATION = re.compile(r"([!-/:-@\[-`{-~])")

# The step's command files: a submission graded without the full sandbox could write to them.
COMMAND_FILES = ("GITHUB_OUTPUT", "GITHUB_STEP_SUMMARY", "GITHUB_ENV", "GITHUB_PATH", "GITHUB_STATE")
SNAPSHOT_LIMIT = 1 << 20  # bytes of a command file kept to restore it

_stop_token: str | None = None  # set while workflow commands are switched off
_snapshots: dict[str, bytes | None] = {}  # command file -> its contents before grading


def active() -> bool:
    """Whether the grader runs as a GitHub Actions step."""
    return os.environ.get("GITHUB_ACTIONS") == "true"


# --- escaping -----------------------------------------------------------------


def escape_data(text: str) -> str:
    """Escape a workflow command's message: it cannot end the line or fake an escape."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """Escape a workflow command's property value (also ``:`` and ``,``, its separators)."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def _visible(text: str) -> str:
    """Control characters (but newlines) as ``\\xNN``: nothing drives the log's terminal."""
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", text.replace("\r\n", "\n"))


def markdown_cell(text: str, limit: int = CELL_LIMIT) -> str:
    """The first line of ``text`` as literal text in a Markdown table cell."""
    line = _visible(text.strip().split("\n", 1)[0]).strip()
    if len(line) > limit:
        line = line[: limit - 3] + "..."
    return _PUNCTUATION.sub(r"\\\1", line)


# --- the student's file -------------------------------------------------------


def _read_source(path: Path) -> str | None:
    """The text of a submitted file, or ``None`` when it is not a regular file under 1 MiB.

    Read defensively: never through a symbolic link, never from a FIFO or a
    device, never more than :data:`SOURCE_LIMIT` bytes.
    """
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError:
        return None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode) or info.st_size > SOURCE_LIMIT:
            return None
        data = os.read(fd, SOURCE_LIMIT + 1)
    except OSError:
        return None
    finally:
        os.close(fd)
    if len(data) > SOURCE_LIMIT:
        return None
    return data.decode("utf-8", "replace")


def _names(check: CheckResult) -> list[str]:
    """The check's function names, the one its message starts with first."""
    names = [n.strip() for n in check.function.split(",") if n.strip() and not n.strip().endswith(".py")]
    for name in names:
        if re.match(rf"{re.escape(name)}\b", check.message):
            return [name] + [n for n in names if n != name]
    return names


def _find(tree: ast.Module, dotted: str) -> int | None:
    scope: list[ast.stmt] = tree.body
    node = None
    for part in dotted.split("."):
        node = next(
            (
                n
                for n in scope
                if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and n.name == part
            ),
            None,
        )
        if node is None:
            return None
        scope = node.body
    return node.lineno if node is not None else None


def definition_line(source: str | None, names: list[str]) -> int | None:
    """The line where the first of ``names`` found is defined in ``source``.

    Args:
        source: A module's text (``None`` when it could not be read).
        names: Function or class names, ``Class.method`` for a method.

    Returns:
        A 1-based line number, or ``None`` when no name is defined (or the
        source does not parse).
    """
    if source is None or not names:
        return None
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None
    for name in names:
        line = _find(tree, name)
        if line is not None:
            return line
    return None


def _student_file(session: Session, exercise: ExerciseResult) -> tuple[Path, str]:
    """The submitted file and the path an annotation should name (relative to the workspace)."""
    path = Path(session.submission) / f"{exercise.name}.py"
    shown = str(path)
    workspace = os.environ.get("GITHUB_WORKSPACE")
    if workspace:
        relative = os.path.relpath(os.path.abspath(path), os.path.abspath(workspace))
        if not relative.startswith(".."):
            shown = relative
    return path, shown


# --- the three outputs --------------------------------------------------------


def _feedback(check: CheckResult) -> str:
    if check.hidden:
        return HIDDEN
    text = _visible(check.message or check.status)
    return text if len(text) <= MESSAGE_LIMIT else text[:MESSAGE_LIMIT] + "\n[... truncated]"


def annotations(report: Report) -> list[str]:
    """One ``::error`` workflow command per failing check the student attempted (at most 10)."""
    lines = []
    for exercise in report.exercises:
        failing = [c for c in exercise.checks if c.status != "passed" and c.attempted]
        if not failing:
            continue
        path, shown = _student_file(report.session, exercise)
        source = _read_source(path)
        for check in failing:
            where = f"file={escape_property(shown)}"
            line = definition_line(source, [] if check.hidden else _names(check))
            if line is not None:
                where += f",line={line}"
            title = f"{exercise.name}: {check.name} ({check.score:g}/{check.max_score:g} pts)"
            lines.append(f"::error {where},title={escape_property(title)}::{escape_data(_feedback(check))}")
    return lines[:ANNOTATIONS]


def summary_markdown(report: Report) -> str:
    """The step summary: total, then one table row per exercise."""
    rows = [
        f"### Grader: {report.score:g}/{report.max_score:g} points ({report.percent:.1f}%)",
        "",
        "| Exercise | Score | Max | To fix |",
        "| --- | ---: | ---: | --- |",
    ]
    for exercise in report.exercises:
        if not exercise.attempted:
            todo = "not attempted"
        else:
            todo = "<br>".join(
                f"**{markdown_cell(c.name)}**: {markdown_cell(_feedback(c))}"
                for c in exercise.checks
                if c.status != "passed"
            )
        rows.append(f"| {markdown_cell(exercise.name)} | {exercise.score:g} | {exercise.max_score:g} | {todo} |")
    return "\n".join(rows) + "\n\n"


def _classroom_message(check: CheckResult) -> str:
    """Feedback for Classroom's reporter, which prints it in its own step's log, where workflow
    commands are live: every line after the first starts with ``|``, so none can be a command."""
    if check.status == "passed":
        return ""
    first, *rest = _feedback(check).split("\n")
    return "\n".join([first] + [f"  | {line}" for line in rest])


def classroom_result(report: Report) -> dict:
    """The report as a GitHub Classroom runner's ``result`` (before base64)."""
    tests = []
    for exercise in report.exercises:
        path, shown = _student_file(report.session, exercise)
        source = _read_source(path)
        for check in exercise.checks:
            line = None if check.hidden else definition_line(source, _names(check))
            tests.append(
                {
                    "name": f"{exercise.name}: {check.name}",
                    "status": _STATUS[check.status],
                    "score": _num(check.score),
                    "max_score": _num(check.max_score),
                    "message": _classroom_message(check),
                    "test_code": "",
                    "filename": shown,
                    "line_no": line or 0,
                    "duration": 0,
                }
            )
    statuses = {t["status"] for t in tests}
    status = "pass" if statuses <= {"pass"} else "fail" if "fail" in statuses else "error"
    return {"version": 1, "status": status, "max_score": _num(report.max_score), "tests": tests}


def encode_result(result: dict) -> str:
    """Base64 of the compact JSON: one line, with no character that could end an output."""
    return base64.b64encode(json.dumps(result, separators=(",", ":")).encode("utf-8")).decode("ascii")


def _num(x: float) -> float | int:
    return int(x) if float(x).is_integer() else round(float(x), 6)


def _append(variable: str, text: str) -> None:
    target = os.environ.get(variable)
    if not target:
        return
    try:
        fd = os.open(target, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o644)
        with os.fdopen(fd, "a", encoding="utf-8") as f:
            f.write(text)
    except OSError as exc:
        _print(f"::warning title=grader::{escape_data(f'cannot write ${variable}: {exc.strerror}')}")


def _print(line: str) -> None:
    print(line, file=sys.stdout, flush=True)


_LINK = b"\0a link\0"  # stands for a command file that became a symbolic link


def _read_file(target: str) -> bytes | None:
    """A command file's first bytes, ``None`` when missing, :data:`_LINK` for a link (never followed)."""
    try:
        fd = os.open(target, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    except FileNotFoundError:
        return None
    except OSError:
        return _LINK
    try:
        return os.read(fd, SNAPSHOT_LIMIT + 1)
    finally:
        os.close(fd)


def _snapshot() -> dict[str, bytes | None]:
    """The command files' contents before any student code runs (``None``: no such file)."""
    snapshots = {}
    for variable in COMMAND_FILES:
        target = os.environ.get(variable)
        if target:
            data = _read_file(target)
            if data is not _LINK and (data is None or len(data) <= SNAPSHOT_LIMIT):
                snapshots[target] = data
    return snapshots


def _restore(snapshots: dict[str, bytes | None]) -> list[str]:
    """Undo whatever was done to the command files while grading; return the files restored."""
    restored = []
    for target, before in snapshots.items():
        if _read_file(target) == before:
            continue
        restored.append(target)
        try:
            os.unlink(target)  # a link is removed, not followed
        except FileNotFoundError:
            pass
        except OSError:
            continue
        if before is not None:
            try:
                fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o644)
            except OSError:
                continue
            with os.fdopen(fd, "wb") as f:
                f.write(before)
    return restored


# --- hooks --------------------------------------------------------------------


@hookimpl(tryfirst=True)
def grader_report_start(session: Session) -> None:
    """Switch workflow commands off before anything from the submission is shown."""
    global _stop_token, _snapshots
    if active() and _stop_token is None:
        _snapshots = _snapshot()
        _stop_token = secrets.token_hex(16)
        _print(f"::stop-commands::{_stop_token}")


@hookimpl(trylast=True)
def grader_report_finish(report: Report) -> None:
    """After every other reporter: switch commands back on, then annotate and summarise."""
    global _stop_token, _snapshots
    if not active():
        return
    if _stop_token is not None:
        _print(f"::{_stop_token}::")
        _stop_token = None
    restored, _snapshots = _restore(_snapshots), {}
    for target in restored:
        message = f"{os.path.basename(target)} was changed while student code ran; the change was undone"
        _print(f"::warning title=grader::{escape_data(message)}")
    for line in annotations(report):
        _print(line)
    _append("GITHUB_STEP_SUMMARY", summary_markdown(report))
    _append(
        "GITHUB_OUTPUT",
        f"result={encode_result(classroom_result(report))}\n"
        f"score={_num(report.score)}\nmax_score={_num(report.max_score)}\n",
    )
