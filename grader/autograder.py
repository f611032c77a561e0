"""The Gradescope autograder package: the grader, its exercises and references, in one zip.

Gradescope unpacks the zip into ``/autograder/source``, runs ``setup.sh``
once to build the image, then ``run_autograder`` for every submission, which
must leave ``/autograder/results/results.json``. The package holds:

* ``setup.sh``: installs the Python version and the exact versions of torch
  (CPU build), numpy and pluggy this package was built with, in
  ``/autograder/venv``;
* ``run_autograder``: grades ``/autograder/submission`` (or its
  ``exercises/`` folder, when a whole repository was submitted) with
  ``python -m grader run ... --gradescope results/results.json``;
* ``requirements.txt``: the pins;
* the ``grader`` package itself, and for every exercise the package folder of
  its plugin module and of its reference module (so ``solutions/`` for the
  built-in catalog).

Both scripts read ``GRADER_AUTOGRADER_ROOT`` (default ``/autograder``) and
``run_autograder`` reads ``GRADER_AUTOGRADER_PYTHON`` (default
``$ROOT/venv/bin/python``), so the package can be tried against a temporary
folder standing in for ``/autograder``.

The zip is reproducible: the same files give the same bytes (sorted entries,
fixed timestamps and permissions, no caches).
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import io
import os
import shlex
import sys
import zipfile
from collections.abc import Iterable
from pathlib import Path

import grader
from grader.exercise import Exercise

TORCH_INDEX = "https://download.pytorch.org/whl/cpu"
PINNED = ("numpy", "pluggy")  # the grader's own dependencies, besides torch
EPOCH = (1980, 1, 1, 0, 0, 0)  # the earliest time a zip entry can carry
SCRIPTS = ("setup.sh", "run_autograder")
_SKIPPED_DIRS = {"__pycache__"}
_SKIPPED_SUFFIXES = (".pyc", ".pyo")


class PackageError(Exception):
    """A module the package needs cannot be located as files."""


def _version(dist: str) -> str:
    """The installed version of ``dist``, without a local label (``2.13.0+cpu`` -> ``2.13.0``)."""
    return importlib.metadata.version(dist).split("+", 1)[0]


def requirements() -> str:
    """``requirements.txt``: the grader's dependencies pinned to the installed versions."""
    return "".join(f"{name}=={_version(name)}\n" for name in PINNED)


def setup_script(python: str, torch_version: str, torch_index: str = TORCH_INDEX) -> str:
    """``setup.sh``: Python ``python`` and the pinned dependencies in ``$ROOT/venv``."""
    py = shlex.quote(f"python{python}")
    return f"""#!/usr/bin/env bash
# Gradescope runs this once, as root, when it builds the autograder image:
# Python {python} and the exact library versions the package was built with.
set -euo pipefail
ROOT="${{GRADER_AUTOGRADER_ROOT:-/autograder}}"
PY={py}
export DEBIAN_FRONTEND=noninteractive
apt-get update
if ! apt-get install -y --no-install-recommends "$PY" "$PY-venv"; then
    # not in this Ubuntu release: take it from the deadsnakes archive
    apt-get install -y --no-install-recommends software-properties-common
    add-apt-repository -y ppa:deadsnakes/ppa
    apt-get update
    apt-get install -y --no-install-recommends "$PY" "$PY-venv"
fi
"$PY" -m venv "$ROOT/venv"
"$ROOT/venv/bin/python" -m pip install --no-cache-dir --index-url {shlex.quote(torch_index)} torch=={torch_version}
"$ROOT/venv/bin/python" -m pip install --no-cache-dir -r "$ROOT/source/requirements.txt"
"$ROOT/venv/bin/python" -c "import grader, numpy, pluggy, torch; print('grader environment ready, torch', torch.__version__)"
"""


def run_script(plugins: Iterable[str], exercises: Iterable[str], visibility: str, hidden_visibility: str) -> str:
    """``run_autograder``: grade the submission into ``$ROOT/results/results.json``."""
    options = " ".join(f"-p {shlex.quote(p)}" for p in plugins)
    names = " ".join(shlex.quote(e) for e in exercises)
    grader_args = " ".join(part for part in (options, "run", names) if part)
    return f"""#!/usr/bin/env bash
# Gradescope runs this for every submission: grade it with the packaged grader
# and its exercises, and leave the results in results/results.json.
set -uo pipefail
ROOT="${{GRADER_AUTOGRADER_ROOT:-/autograder}}"
PYTHON="${{GRADER_AUTOGRADER_PYTHON:-$ROOT/venv/bin/python}}"
SUBMISSION="$ROOT/submission"
if [ -d "$SUBMISSION/exercises" ]; then
    SUBMISSION="$SUBMISSION/exercises"  # a whole repository was submitted
fi
mkdir -p "$ROOT/results"
cd "$ROOT/source" || exit 1
unset GRADER_PLUGINS
export PYTHONPATH="$ROOT/source"
exec "$PYTHON" -m grader {grader_args} \\
    --submission "$SUBMISSION" --device cpu \\
    --gradescope "$ROOT/results/results.json" \\
    --gradescope-visibility {shlex.quote(visibility)} \\
    --gradescope-hidden-visibility {shlex.quote(hidden_visibility)}
"""


def _tree(folder: Path, prefix: str) -> dict[str, Path]:
    """Every regular file under ``folder`` (no caches, no dot-files, no links), by archive name."""
    files = {}
    for here, dirs, names in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if d not in _SKIPPED_DIRS and not d.startswith("."))
        for name in names:
            path = Path(here) / name
            if name.startswith(".") or name.endswith(_SKIPPED_SUFFIXES) or path.is_symlink() or not path.is_file():
                continue
            files[f"{prefix}/{path.relative_to(folder).as_posix()}"] = path
    return files


def module_files(name: str) -> dict[str, Path]:
    """The files that make module ``name`` importable: its package's folder and the parents' ``__init__``.

    Raises:
        PackageError: when the module is not found as a file.
    """
    try:
        spec = importlib.util.find_spec(name)
    except (ImportError, ValueError) as exc:
        raise PackageError(f"module {name!r} cannot be found: {exc}") from None
    if spec is None or not spec.origin or not Path(spec.origin).is_file():
        raise PackageError(f"module {name!r} is not a file that can be packaged")
    origin = Path(spec.origin)
    parts = name.split(".")
    if spec.submodule_search_locations is not None:  # a package: the whole package
        return module_files_of_package(parts, origin.parent)
    if len(parts) == 1:
        return {origin.name: origin}
    return module_files_of_package(parts[:-1], origin.parent)


def module_files_of_package(parts: list[str], folder: Path) -> dict[str, Path]:
    files = _tree(folder, "/".join(parts))
    for depth in range(1, len(parts)):  # parents: their __init__.py only
        init = folder.parents[len(parts) - 1 - depth] / "__init__.py"
        if init.is_file():
            files["/".join(parts[:depth]) + "/__init__.py"] = init
    return files


def plugin_module(pm, exercise: Exercise) -> str:
    """The module that declared ``exercise`` (an entry point's name is not a module name)."""
    plugin = pm.get_plugin(exercise.plugin)
    name = getattr(plugin, "__name__", None) if plugin is not None else None
    if not isinstance(name, str):
        name = type(plugin).__module__ if plugin is not None else exercise.plugin
    return name


def build(
    pm,
    exercises: list[Exercise],
    visibility: str = "visible",
    hidden_visibility: str = "after_published",
    torch_index: str = TORCH_INDEX,
) -> tuple[bytes, list[str]]:
    """The autograder zip.

    Args:
        pm: The plugin manager the exercises came from.
        exercises: The exercises the package grades (named on ``run``'s
            command line, so that no other installed exercise is graded).
        visibility: ``--gradescope-visibility`` for the package's runs.
        hidden_visibility: ``--gradescope-hidden-visibility``.
        torch_index: The package index torch is installed from.

    Returns:
        ``(zip bytes, archive names)``.

    Raises:
        PackageError: when a plugin or reference module is not a file.
    """
    files: dict[str, Path] = _tree(Path(grader.__file__).parent, "grader")
    plugins = []
    for exercise in exercises:
        module = plugin_module(pm, exercise)
        if not module.startswith("grader."):
            plugins.append(module)
        for name in (module, exercise.reference, exercise.oracles):
            if not name:
                continue
            for arcname, path in module_files(name).items():
                files.setdefault(arcname, path)
    python = f"{sys.version_info.major}.{sys.version_info.minor}"
    contents: dict[str, bytes] = {arcname: path.read_bytes() for arcname, path in files.items()}
    contents["requirements.txt"] = requirements().encode()
    contents["setup.sh"] = setup_script(python, _version("torch"), torch_index).encode()
    contents["run_autograder"] = run_script(
        dict.fromkeys(plugins), [e.name for e in exercises], visibility, hidden_visibility
    ).encode()
    return zip_bytes(contents), sorted(contents)


def zip_bytes(contents: dict[str, bytes]) -> bytes:
    """A zip of ``contents`` that depends on nothing else: same contents, same bytes."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for arcname in sorted(contents):
            info = zipfile.ZipInfo(arcname, date_time=EPOCH)
            info.create_system = 3  # Unix, so that the permissions below are honoured
            mode = 0o755 if arcname in SCRIPTS else 0o644
            info.external_attr = (0o100000 | mode) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, contents[arcname], compresslevel=9)
    return buffer.getvalue()
