"""A disk cache of expected values, so repeated gradings skip the references.

An entry is keyed by everything expected values depend on: the exercise's
name and seed, the source of the plugin module(s), of the reference module
and of the oracle module, the grader's own source, the torch and numpy versions and the
device. Entries are plain data (see ``grader.plain``), decoded strictly.

The cache is used only when the sandbox makes the file system read-only for
student code (otherwise a submission could poison it) and it is hidden from
student processes. ``GRADER_CACHE=off`` disables it; ``GRADER_CACHE_DIR``
moves it (default: ``$XDG_CACHE_HOME/torch-exercise-grader``).
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import importlib.util
import os
import sys
import tempfile
from pathlib import Path

from grader import plain
from grader.exercise import Check, Exercise


def folder() -> Path | None:
    """The cache folder, or ``None`` when caching is switched off."""
    if os.environ.get("GRADER_CACHE", "").lower() in ("0", "off", "no"):
        return None
    if os.environ.get("GRADER_CACHE_DIR"):
        return Path(os.environ["GRADER_CACHE_DIR"])
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "torch-exercise-grader"


def _grader_digest() -> str:
    digest = hashlib.sha256()
    package = Path(__file__).resolve().parent
    for path in sorted(package.rglob("*.py")):  # the catalog's shared helpers included
        digest.update(str(path.relative_to(package)).encode() + path.read_bytes())
    return digest.hexdigest()


def key(exercise: Exercise, device: str, hidden: int | None = None) -> str | None:
    """The cache key of an exercise's expected values, or ``None`` if unknown.

    ``hidden`` is the seed of the exercise's hidden cases (``None``: none).
    """
    files = set()
    for check in exercise.checks:
        if isinstance(check, Check):
            for fn in (check.probe, check.oracle, check.cases):
                module = sys.modules.get(getattr(fn, "__module__", None) or "")
                if callable(fn) and getattr(module, "__file__", None):
                    files.add(module.__file__)
    from grader.process.expected import reference_spec

    for name in (exercise.reference, getattr(exercise, "oracles", "")):
        if not name:
            continue
        spec = reference_spec(name)
        if spec is None or not spec.origin:
            return None
        files.add(spec.origin)
    try:
        versions = [importlib.metadata.version(name) for name in ("torch", "numpy")]
    except importlib.metadata.PackageNotFoundError:
        return None
    digest = hashlib.sha256()
    header = [exercise.name, str(exercise.seed), str(hidden), device, *versions, _grader_digest()]
    digest.update("\0".join(header).encode())
    for path in sorted(files):
        try:
            digest.update(path.encode() + Path(path).read_bytes())
        except OSError:
            return None
    return digest.hexdigest()


def load(directory: Path, entry: str) -> dict | None:
    """A cached frame ``{"exercise", "results"}``, or ``None``."""
    try:
        data = (directory / f"{entry}.json").read_bytes()
        frame = plain.decode(data)
    except (OSError, plain.PlainDataError):
        return None
    if not isinstance(frame, dict) or not isinstance(frame.get("results"), list):
        return None
    return frame


def store(directory: Path, entry: str, frame: dict) -> None:
    """Write a frame atomically; failures are ignored (a cache is optional)."""
    try:
        directory.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=directory, suffix=".tmp")
        with os.fdopen(fd, "wb") as f:
            f.write(plain.encode(frame))
        os.replace(tmp, directory / f"{entry}.json")
    except OSError:
        pass


def wipe(directory: Path | None) -> None:
    """Delete every entry (and stray temporary file) of the cache folder; failures are ignored.

    Called before and after a run whose student code could write files: an
    entry it planted must never be trusted by a later, sandboxed run.
    """
    if directory is None:
        return
    try:
        entries = list(os.scandir(directory))
    except OSError:
        return
    for entry in entries:
        if entry.name.endswith((".json", ".tmp")):
            try:
                os.unlink(entry.path)
            except OSError:
                pass
