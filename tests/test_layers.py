"""The grader's layers: which package may import which, and no import cycle.

The import graph is read from the source (every ``import`` statement, at
module level or inside a function), so a lazy import counts as much as an
eager one.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1] / "grader"

FOUNDATION = (
    "grader.exercise",
    "grader.plain",
    "grader.text",
    "grader.errors",
    "grader.results",
    "grader.policy",
    "grader.device",
)

# layer (a module or a package prefix) -> what it may import inside grader
RULES = {
    # plain data in, points and messages out: never a process
    "grader.checking": ("grader", "grader.checking", *FOUNDATION),
    # starts and confines processes; hands outcomes to checking as plain data
    "grader.process": ("grader", "grader.process", "grader.checking.outcomes", "grader.cases", *FOUNDATION),
    # the vocabulary every layer shares depends on nothing above it
    **{name: FOUNDATION for name in FOUNDATION},
    # reporters only read results
    "grader.reporters": ("grader", "grader.reporters", "grader.results", "grader.text", "grader.errors"),
    # exercise declarations use the plugin-facing API only
    "grader.catalog": ("grader", "grader.catalog", "grader.exercise", "grader.probing", "grader.checking.forbidden"),
    "grader.probing": ("grader.exercise",),
    "grader.cases": ("grader.exercise", "grader.errors"),
    "grader.hookspecs": ("grader.exercise", "grader.results"),
}

# Only the expected-values process imports oracles (by name, at run time), and
# nothing in grader imports the reference solutions.
NEVER = {"grader.oracles": ("grader.oracles",), "solutions": ()}


def module_names() -> dict[str, Path]:
    names = {}
    for path in ROOT.rglob("*.py"):
        parts = path.relative_to(ROOT.parent).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        names[".".join(parts)] = path
    return names


def imports_of(name: str, path: Path) -> set[str]:
    """Every module that ``name`` imports, as written (absolute or relative)."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            found.add(module)
            found.update(f"{module}.{alias.name}" for alias in node.names)
    return found


def graph() -> dict[str, set[str]]:
    """Module -> the grader modules (and ``solutions`` modules) it imports."""
    names = module_names()
    edges = {}
    for name, path in names.items():
        targets = set()
        for module in imports_of(name, path):
            if module in names or module == "solutions" or module.startswith("solutions."):
                targets.add(module)
        targets.discard(name)
        edges[name] = targets
    return edges


def within(module: str, prefix: str) -> bool:
    return module == prefix or module.startswith(prefix + ".")


def violations(edges: dict[str, set[str]]) -> list[str]:
    found = []
    for source, targets in sorted(edges.items()):
        rule = max((layer for layer in RULES if within(source, layer)), key=len, default=None)
        for target in sorted(targets):
            if rule is not None and not any(
                target == allowed or within(target, allowed) and allowed != "grader" for allowed in RULES[rule]
            ):
                found.append(f"{source} imports {target}, outside what {rule} may import")
            for forbidden, exempt in NEVER.items():
                if within(target, forbidden) and not any(within(source, e) for e in exempt):
                    found.append(f"{source} imports {target}, which only the expected-values process may load")
    return found


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in edges.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(edges):
        if v not in index:
            visit(v)
    return found


def test_the_layers_import_only_what_they_may():
    assert violations(graph()) == []


def test_grader_has_no_import_cycle():
    assert cycles(graph()) == []


def test_every_layer_named_in_the_rules_exists():
    names = module_names()
    for layer in RULES:
        assert any(within(name, layer) for name in names), f"{layer} is in the rules but not in grader/"


@pytest.mark.parametrize(
    "edge, phrase",
    [
        (("grader.checking.scoring", "grader.process.supervisor"), "outside what grader.checking may import"),
        (("grader.process.zygote", "grader.checking.scoring"), "outside what grader.process may import"),
        (("grader.exercise", "grader.manager"), "outside what grader.exercise may import"),
        (("grader.reporters.terminal", "grader.checking.scoring"), "outside what grader.reporters may import"),
        (("grader.catalog.bow", "grader.process.sandbox"), "outside what grader.catalog may import"),
        (("grader.grading", "grader.oracles.bow"), "only the expected-values process"),
        (("grader.cache", "solutions.bow"), "only the expected-values process"),
    ],
)
def test_a_forbidden_import_is_caught(edge, phrase):
    edges = graph()
    edges.setdefault(edge[0], set()).add(edge[1])
    assert any(phrase in v and v.startswith(f"{edge[0]} imports {edge[1]}") for v in violations(edges))


def test_a_cycle_is_caught():
    edges = graph()
    edges["grader.process.expected"].add("grader.grading")
    assert any({"grader.grading", "grader.process.expected"} <= set(c) for c in cycles(edges))
