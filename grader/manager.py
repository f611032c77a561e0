"""Build the plugin manager and collect the exercises its plugins declare.

Plugins come from three places, in this order: the grader's own built-in
plugins (comparators, reporters, sub-commands), the built-in exercise
catalog (every module of :mod:`grader.catalog`), and installed
distributions that declare an entry point in the ``grader`` group. Modules
named with ``-p MODULE`` (or in ``GRADER_PLUGINS``, comma-separated) are
added last; ``-p no:NAME`` blocks a plugin by name.
"""

from __future__ import annotations

import importlib
import importlib.metadata
import os
import pkgutil
from collections.abc import Iterable

import pluggy

from grader import hookspecs
from grader.errors import PluginError, UsageError
from grader.exercise import Exercise, ExerciseDefinitionError, validate

PROJECT = "grader"

BUILTIN_PLUGINS = (
    "grader.checking.comparators",
    "grader.commands.list",
    "grader.commands.run",
    "grader.commands.stubs",
    "grader.commands.gradescope",
    "grader.commands.release",
    "grader.commands.nbgrader",
    "grader.commands.batch",
    "grader.reporters.terminal",
    "grader.reporters.jsonfile",
    "grader.reporters.junit",
    "grader.reporters.gradescope",
    "grader.reporters.github",
)


def get_plugin_manager(plugins: Iterable[str] = ()) -> pluggy.PluginManager:
    """Return a plugin manager with every plugin registered.

    Args:
        plugins: ``-p`` values: module names to register, or ``no:NAME`` to
            block the plugin called ``NAME`` (a built-in module name, a
            catalog exercise module such as ``grader.catalog.bow``, or an
            entry-point name).

    Raises:
        PluginError: naming the plugin that failed to import or that
            implements a hook the grader does not know.
    """
    requested = list(plugins) + [p for p in os.environ.get("GRADER_PLUGINS", "").split(",") if p.strip()]
    pm = pluggy.PluginManager(PROJECT)
    pm.add_hookspecs(hookspecs)
    for value in requested:
        if value.startswith("no:"):
            pm.set_blocked(value[3:])
    for name in BUILTIN_PLUGINS + tuple(_catalog_modules()):
        _register_module(pm, name)
    _load_entry_points(pm)
    for value in requested:
        if not value.startswith("no:"):
            _register_module(pm, value.strip())
    try:
        pm.check_pending()
    except pluggy.PluginValidationError as exc:
        name = pm.get_name(exc.plugin) if exc.plugin is not None else "?"
        raise PluginError(f"plugin {name!r}: {_first_line(exc)}") from None
    return pm


def _catalog_modules() -> list[str]:
    """Every public module of :mod:`grader.catalog`, by name (the course order is the exercises' ``unit``)."""
    from grader import catalog

    names = sorted(info.name for info in pkgutil.iter_modules(catalog.__path__) if not info.name.startswith("_"))
    return [f"grader.catalog.{name}" for name in names]


def _register_module(pm: pluggy.PluginManager, name: str) -> None:
    if pm.is_blocked(name) or pm.get_plugin(name) is not None:
        return
    try:
        module = importlib.import_module(name)
    except Exception as exc:
        raise PluginError(f"plugin {name!r} failed to import: {type(exc).__name__}: {_first_line(exc)}") from None
    if pm.is_registered(module):  # e.g. `-p pack.plugin` for a pack its entry point already loaded
        return
    _register(pm, module, name)


def _register(pm: pluggy.PluginManager, plugin: object, name: str) -> None:
    try:
        pm.register(plugin, name=name)
    except (pluggy.PluginValidationError, ValueError) as exc:
        raise PluginError(f"plugin {name!r}: {_first_line(exc)}") from None


def _load_entry_points(pm: pluggy.PluginManager) -> None:
    for ep in importlib.metadata.entry_points(group=PROJECT):
        if pm.is_blocked(ep.name) or pm.get_plugin(ep.name) is not None:
            continue
        dist = getattr(ep.dist, "name", "?")
        try:
            plugin = ep.load()
        except Exception as exc:
            raise PluginError(
                f"plugin {ep.name!r} (from {dist}) failed to import: {type(exc).__name__}: {_first_line(exc)}"
            ) from None
        _register(pm, plugin, ep.name)


def collect_exercises(pm: pluggy.PluginManager) -> dict[str, Exercise]:
    """Ask every plugin for its exercises; validate and index them by name.

    The index is in course order: by ``Exercise.unit``, then the exercises
    without one, each group in the order the plugins declare them.

    Raises:
        PluginError: for a malformed declaration or a duplicate name, naming
            the plugin(s).
    """
    exercises: dict[str, Exercise] = {}
    for impl in pm.hook.grader_exercises.get_hookimpls():
        name = impl.plugin_name
        try:
            declared = impl.function()
        except Exception as exc:
            raise PluginError(f"plugin {name!r} failed in grader_exercises: {type(exc).__name__}: {exc}") from None
        if not isinstance(declared, (list, tuple)):
            raise PluginError(f"plugin {name!r}: grader_exercises must return a list of grader.Exercise")
        for item in declared:
            try:
                exercise = validate(item, name)
            except ExerciseDefinitionError as exc:
                raise PluginError(str(exc)) from None
            if exercise.name in exercises:
                other = exercises[exercise.name].plugin
                raise PluginError(f"exercise {exercise.name!r} is declared by both {other!r} and {name!r}")
            exercises[exercise.name] = exercise
    ordered = sorted(exercises.values(), key=_course_position)
    return {exercise.name: exercise for exercise in ordered}


def _course_position(exercise: Exercise) -> tuple[bool, int]:
    """Sort key of the course order: numbered units first, by number (a stable sort keeps ties in order)."""
    return (exercise.unit is None, exercise.unit or 0)


def choose_exercises(pm: pluggy.PluginManager, names: Iterable[str]) -> list[Exercise]:
    """The exercises named on a command line, in that order (all of them when none is named).

    Raises:
        UsageError: for an unknown name, or when no exercise is installed.
    """
    exercises = collect_exercises(pm)
    names = list(dict.fromkeys(names))
    unknown = [name for name in names if name not in exercises]
    if unknown:
        raise UsageError(f"unknown exercise {unknown[0]!r} (known: {', '.join(exercises)})")
    chosen = [exercises[name] for name in names] or list(exercises.values())
    if not chosen:
        raise UsageError("no exercises are installed")
    return chosen


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
