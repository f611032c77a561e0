"""Build the repository students clone: stubs, the grader, the docs, and no answers.

The release is made from an allow-list, never by deleting from a copy:
``exercises/`` (the stubs, checked to be in sync with ``solutions/``), the
``grader`` package without its oracle modules, the documentation sources,
and files written for students (README, ``tox.ini``, ``pyproject.toml``, a CI
workflow, a small test suite). Nothing else of the instructor's repository
can reach it: not ``solutions/``, not the broken-variant tables under
``tests/``, not hidden cases (they exist only where the course secret is).

Expected values of the public cases are computed here, by the reference
process, and shipped as plain data in ``grader/_release/expected/``: the
release's grader reads them instead of running a reference, so a student
gets, offline, the same feedback on every public case as the instructor's
grader gives. Each file records a fingerprint of the cases it answers; a
grader whose cases no longer match refuses to use it.

The output is reproducible (same input, same bytes) and identifiable:
``grader/_release/manifest.json`` records the grader's version and
:func:`grading_digest` of the release's grading files, which the
instructor's grader recomputes to tell when a student's repository carries a
modified grader.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import stat
import tempfile
import time
from collections.abc import Iterable, Sequence
from pathlib import Path

from grader import plain
from grader.exercise import Exercise

RELEASE_DATA = "_release"
#: Folders of the ``grader`` package that never ship.
PRIVATE = frozenset({"oracles", RELEASE_DATA, "__pycache__"})
#: Parts of the documentation that never ship: build output and caches, and the
#: build's own extension, which runs the reference solutions to draw the figures
#: and so stays with them (students read the site the instructor publishes).
DOCS_SKIP = frozenset({"_build", "__pycache__", ".doctrees", "_ext", "_figures", "course"})
MAX_DIGEST_FILE = 1 << 20
MAX_DIGEST_TOTAL = 32 << 20


class ReleaseError(Exception):
    """The release cannot be built as asked (one line, for the command line)."""


def package_folder() -> Path:
    """The ``grader`` package folder this process runs."""
    return Path(__file__).resolve().parent


def release_folder() -> Path | None:
    """This grader's shipped release data, when it runs from a student release."""
    folder = package_folder() / RELEASE_DATA
    return folder if (folder / "manifest.json").is_file() else None


def grader_files(package: Path) -> list[Path]:
    """The grading files of a ``grader`` package folder that a release ships, sorted.

    Walks without following links and takes regular ``.py`` files only.
    """
    found = []
    for folder, subfolders, files in os.walk(package, followlinks=False):
        here = Path(folder)
        subfolders[:] = sorted(d for d in subfolders if not (here == package and d in PRIVATE) and d != "__pycache__")
        for name in sorted(files):
            path = here / name
            if name.endswith(".py") and stat.S_ISREG(os.lstat(path).st_mode):
                found.append(path)
    return sorted(found)


def grading_digest(package: Path) -> str | None:
    """A SHA-256 over the release's grading files (relative path and bytes), or ``None``.

    ``None`` when the folder holds something that cannot be read safely (a
    link where a file should be, a huge file): such a grader is not the
    release's.
    """
    digest = hashlib.sha256()
    total = 0
    try:
        for path in grader_files(package):
            info = os.lstat(path)
            if info.st_size > MAX_DIGEST_FILE:
                return None
            total += info.st_size
            if total > MAX_DIGEST_TOTAL:
                return None
            fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
            with os.fdopen(fd, "rb") as f:
                data = f.read(MAX_DIGEST_FILE + 1)
            digest.update(path.relative_to(package).as_posix().encode() + b"\0" + data + b"\0")
    except OSError:
        return None
    return digest.hexdigest()


def cases_fingerprint(cases: dict) -> str:
    """A SHA-256 of an exercise's public cases (labels and inputs), check by check."""
    digest = hashlib.sha256()
    for name in sorted(cases):
        for case in cases[name]:
            if not case.hidden:
                digest.update(plain.encode([name, case.label, dict(case.inputs)]))
    return digest.hexdigest()


def shipped_expected(exercise: str, cases: dict) -> dict | None:
    """A release's shipped expected values for ``exercise``, as a reference frame; ``None`` outside a release.

    Returns ``{"error": ...}`` when the file is missing, unreadable or does
    not answer these cases.
    """
    folder = release_folder()
    if folder is None:
        return None
    path = folder / "expected" / f"{exercise}.json"
    try:
        frame = plain.decode(path.read_bytes())
    except (OSError, plain.PlainDataError):
        return {"error": f"the release has no readable expected values for {exercise!r}"}
    if not isinstance(frame, dict) or frame.get("fingerprint") != cases_fingerprint(cases):
        return {
            "error": f"the expected values shipped for {exercise!r} do not match its cases (was the grader changed?)"
        }
    return {"exercise": exercise, "results": frame.get("results", [])}


def provenance(submission: Path) -> str:
    """What grader a submission's own repository carries, when it is a student release.

    The instructor's grader never trusts a student's own report; this says
    whether the grader that produced the student's local feedback is the
    release's (same :func:`grading_digest` as this grader's) or a modified one.
    Empty when the submission is not inside a release, or when this grader is
    itself a release.
    """
    if release_folder() is not None:
        return ""
    package = Path(os.path.realpath(submission)).parent / "grader"
    manifest = package / RELEASE_DATA / "manifest.json"
    try:
        if not stat.S_ISREG(os.lstat(manifest).st_mode):
            return ""
    except OSError:
        return ""
    theirs = grading_digest(package)
    if theirs is not None and theirs == grading_digest(package_folder()):
        return "the submission's repository carries this grader, unmodified"
    return (
        "the submission's repository carries a grader that differs from this one (edited, or from another "
        "release): feedback it gave locally may differ; these results come from this grader"
    )


# --- building ------------------------------------------------------------------


def build(root: Path, out: Path, exercises: Sequence[Exercise], *, force: bool = False) -> list[Path]:
    """Write the student release of the instructor's repository ``root`` into ``out``.

    Built in a temporary folder beside ``out`` and moved into place at the
    end: on any error nothing is left half-written.

    Returns:
        The files written, relative to ``out``.

    Raises:
        ReleaseError: a bad ``out``, stale stubs, a missing reference, a
            check whose public results cannot be precomputed.
    """
    _check_target(out, force)
    _check_sources(root, exercises)
    work = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    try:
        frames = _expected(exercises)
        written = _copy_tree(root, work, exercises)
        for exercise in exercises:
            written.append(
                _write(work / "grader" / RELEASE_DATA / "expected" / f"{exercise.name}.json", frames[exercise.name])
            )
        from grader import release_files

        for relative, text in release_files.render(exercises).items():
            written.append(_write(work / relative, text.encode()))
        manifest = {
            "grader_version": _version(),
            "grading_files_sha256": grading_digest(work / "grader"),
            "exercises": {
                e.name: {"max_score": e.max_score, "expected_sha256": hashlib.sha256(frames[e.name]).hexdigest()}
                for e in exercises
            },
        }
        text = json.dumps(manifest, indent=2, sort_keys=True) + "\n"
        written.append(_write(work / "grader" / RELEASE_DATA / "manifest.json", text.encode()))
        _normalise(work)
        _swap_in(work, out)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    return sorted(path.relative_to(work) for path in written)


def _check_target(out: Path, force: bool) -> None:
    parent = out.resolve().parent
    if not parent.is_dir():
        raise ReleaseError(f"{str(out.parent)!r} does not exist")
    if not os.access(parent, os.W_OK):
        raise ReleaseError(f"{str(parent)!r} is not writable")
    if out.is_symlink() or (out.exists() and not out.is_dir()):
        raise ReleaseError(f"{str(out)!r} exists and is not a folder")
    if out.is_dir() and any(out.iterdir()) and not force:
        raise ReleaseError(f"{str(out)!r} is not empty (use --force to replace it)")


def _check_sources(root: Path, exercises: Sequence[Exercise]) -> None:
    from grader.stubs import StubError, outdated

    for folder in ("solutions", "exercises", "grader"):
        if not (root / folder).is_dir():
            raise ReleaseError(f"{str(root)!r} is not an instructor's repository: it has no {folder}/")
    try:
        stale = outdated(root / "solutions", root / "exercises")
    except StubError as exc:
        raise ReleaseError(str(exc)) from None
    if stale:
        raise ReleaseError(f"{stale[0]} is out of date with solutions/ (run: python -m grader stubs)")
    for exercise in exercises:
        if not (root / "exercises" / f"{exercise.name}.py").is_file():
            raise ReleaseError(f"exercise {exercise.name!r} has no stub in exercises/")
        from grader.process.expected import reference_spec

        if reference_spec(exercise.reference) is None:
            raise ReleaseError(f"exercise {exercise.name!r}: its reference {exercise.reference} is missing")


def _expected(exercises: Sequence[Exercise]) -> dict[str, bytes]:
    """Every exercise's public expected values, computed on the CPU, as encoded frames."""
    from grader.cases import make_cases
    from grader.process.expected import ReferenceProcess

    cases = {e.name: make_cases(e) for e in exercises}
    process = ReferenceProcess(exercises, cases)
    try:
        process.start("cpu", [e.name for e in exercises])
        frames = {}
        for exercise in exercises:
            frame = process.frame(exercise.name, time.monotonic() + 300)
            if "error" in frame:
                raise ReleaseError(f"exercise {exercise.name!r}: {frame['error']}")
            for i, j, kind, value in frame["results"]:
                if kind != "value":
                    check = exercise.checks[i]
                    label = cases[exercise.name][check.name][j].label
                    raise ReleaseError(
                        f"exercise {exercise.name!r}, check {check.name!r}: the public result on {label} cannot "
                        f"be precomputed ({value})"
                    )
            frames[exercise.name] = plain.encode(
                {
                    "exercise": exercise.name,
                    "fingerprint": cases_fingerprint(cases[exercise.name]),
                    "results": frame["results"],
                }
            )
        return frames
    finally:
        process.close()


def _copy_tree(root: Path, work: Path, exercises: Sequence[Exercise]) -> list[Path]:
    written = []
    for exercise in exercises:
        written.append(_copy(root / "exercises" / f"{exercise.name}.py", work / "exercises" / f"{exercise.name}.py"))
    package = root / "grader"
    for path in grader_files(package):
        written.append(_copy(path, work / "grader" / path.relative_to(package)))
    docs = root / "docs"
    if docs.is_dir():
        for path in _walk(docs, DOCS_SKIP):
            written.append(_copy(path, work / "docs" / path.relative_to(docs)))
    return written


def _walk(folder: Path, skip: Iterable[str]) -> list[Path]:
    skip = frozenset(skip)
    found = []
    for here, subfolders, files in os.walk(folder, followlinks=False):
        subfolders[:] = sorted(d for d in subfolders if d not in skip)
        for name in sorted(files):
            path = Path(here) / name
            if stat.S_ISREG(os.lstat(path).st_mode) and not name.endswith((".pyc", ".mo")):
                found.append(path)
    return found


def _copy(source: Path, target: Path) -> Path:
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source, target, follow_symlinks=False)
    return target


def _write(target: Path, data: bytes) -> Path:
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(data)
    return target


def _normalise(work: Path) -> None:
    """Fixed permissions and timestamps: the same input gives the same bytes and metadata."""
    for here, folders, files in os.walk(work):
        for name in folders:
            os.chmod(Path(here) / name, 0o755)
        for name in files:
            path = Path(here) / name
            os.chmod(path, 0o644)
            os.utime(path, (0, 0))
    os.chmod(work, 0o755)


def _swap_in(work: Path, out: Path) -> None:
    if out.is_dir():
        old = out.with_name(f".{out.name}.old")
        shutil.rmtree(old, ignore_errors=True)
        os.rename(out, old)
        os.rename(work, out)
        shutil.rmtree(old, ignore_errors=True)
    else:
        os.rename(work, out)


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("torch-exercise-grader")
    except PackageNotFoundError:
        return "unknown"
