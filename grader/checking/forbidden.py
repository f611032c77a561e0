"""Static checks for APIs an exercise asks students not to use.

The source is parsed, never run. The check follows import aliases
(``import torch.nn.functional as F`` then ``F.softmax``), ``from`` imports,
tensor methods (``x.softmax(...)``) and ``getattr`` with a literal name; it
is a guard against honest shortcuts, while the behavioural checks (which
compare with references computed elsewhere) are what award points.
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Iterable

from grader.exercise import SourceCheck


def forbid(
    modules: Iterable[str] = (),
    names: Iterable[str] = (),
    reason: str = "this exercise asks you to write it yourself",
) -> Callable[[str], list[str]]:
    """Build an ``inspect(source) -> problems`` function for a SourceCheck.

    Args:
        modules: Modules that may not be imported at all (``"torch"`` also
            forbids ``torch.nn`` and so on).
        names: Dotted names that may not be used
            (``"torch.softmax"``, ``"torch.nn.functional.softmax"``). The
            last component is also forbidden as a method or ``getattr`` name
            (``x.softmax(dim=1)``).
        reason: Why, appended to each message.
    """
    modules = tuple(modules)
    names = frozenset(names)
    methods = frozenset(name.rsplit(".", 1)[-1] for name in names)

    @on_tree
    def inspect(tree: ast.Module) -> list[str]:
        problems: list[str] = []
        aliases: dict[str, str] = {}
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    _forbidden_module(alias.name, modules, node, problems, reason)
                    local = alias.asname or alias.name.split(".")[0]
                    aliases[local] = alias.name if alias.asname else alias.name.split(".")[0]
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                _forbidden_module(node.module, modules, node, problems, reason)
                for alias in node.names:
                    aliases[alias.asname or alias.name] = f"{node.module}.{alias.name}"
        for node in ast.walk(tree):
            dotted = _dotted(node, aliases)
            if dotted in names:
                problems.append(f"line {node.lineno}: uses {dotted}; {reason}")
            elif isinstance(node, ast.Attribute) and node.attr in methods and dotted is None:
                problems.append(f"line {node.lineno}: calls the method .{node.attr}(); {reason}")
            elif (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id == "getattr"
                and len(node.args) >= 2
                and isinstance(node.args[1], ast.Constant)
                and node.args[1].value in methods
            ):
                problems.append(f"line {node.lineno}: looks up {node.args[1].value!r} with getattr; {reason}")
        return sorted(set(problems), key=lambda p: int(p.split(":")[0].split()[1]))

    return inspect


def on_tree(inspect: Callable[[ast.Module], list[str]]) -> Callable[[str], list[str]]:
    """An ``inspect(source) -> problems`` function for a SourceCheck, from one that reads the parsed module.

    A source that does not parse is the one problem reported; ``inspect``
    sees only a module that does.
    """

    def inspect_source(source: str) -> list[str]:
        try:
            tree = ast.parse(source)
        except SyntaxError as exc:  # a null byte gives no line number
            where = f"line {exc.lineno}: " if exc.lineno else ""
            return [f"{where}the file does not parse: {exc.msg}"]
        except (RecursionError, MemoryError, ValueError):
            return ["the file could not be parsed"]
        return inspect(tree)

    inspect_source.__name__ = inspect_source.__qualname__ = getattr(inspect, "__name__", "inspect")
    return inspect_source


def numpy_only(filename: str, hint: str, points: float = 1, requires: tuple[str, ...] | None = None) -> SourceCheck:
    """The usual static check of a numpy exercise: the module does not import torch.

    Args:
        filename: The submission's file name, for feedback (``"polyfit.py"``).
        hint: What to tell a student who imported torch.
        points: Points for the check.
        requires: The value checks that must pass for it to count (see
            :class:`~grader.exercise.SourceCheck`); ``None``: all of them.
    """
    return SourceCheck(
        name="numpy_only",
        function=filename,
        points=points,
        inspect=forbid(modules=("torch",), reason="this exercise is numpy only"),
        description="The module does not import torch.",
        hint=hint,
        requires=requires,
    )


def _forbidden_module(name: str, modules: tuple, node: ast.AST, problems: list, reason: str) -> None:
    for module in modules:
        if name == module or name.startswith(module + "."):
            problems.append(f"line {node.lineno}: imports {name}; {reason}")


def _dotted(node: ast.AST, aliases: dict[str, str]) -> str | None:
    """Resolve ``a.b.c`` through import aliases; None if it is not a module path."""
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name) or node.id not in aliases:
        return None
    parts.append(aliases[node.id])
    return ".".join(reversed(parts))
