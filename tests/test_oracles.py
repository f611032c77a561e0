"""Oracles are never loaded where student code runs.

The process that runs student code imports the catalog modules (probes and
case factories) and nothing that computes an expected value: no oracle
module (``grader.oracles.*``) and no reference module (``solutions.*``).
Checks name their oracles; only ``grader.process.expected.compute`` imports them.
"""

from __future__ import annotations

import ast
import dataclasses
import importlib
import inspect
import json
import subprocess
import sys
import types
from pathlib import Path

import pytest

from grader.exercise import Check
from grader.manager import _catalog_modules

ROOT = Path(__file__).resolve().parent.parent
CATALOG = _catalog_modules()
FORBIDDEN_PREFIXES = ("grader.oracles", "solutions")

# Runs in a fresh interpreter: import every catalog module, run every case
# factory, and list what got imported.
IMPORT_CATALOG = """
import importlib, json, sys
import numpy as np
names = json.loads(sys.argv[1])
for name in names:
    module = importlib.import_module(name)
    for exercise in module.grader_exercises():
        for check in exercise.checks:
            if hasattr(check, "cases"):
                check.cases(np.random.default_rng(0))
print(json.dumps(sorted(sys.modules)))
"""


def _forbidden(name: str) -> bool:
    return any(name == prefix or name.startswith(prefix + ".") for prefix in FORBIDDEN_PREFIXES)


def test_importing_the_catalog_loads_no_oracle_and_no_reference():
    command = [sys.executable, "-I", "-c", IMPORT_CATALOG, json.dumps(CATALOG)]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    loaded = json.loads(done.stdout)
    assert set(CATALOG) <= set(loaded)
    assert [name for name in loaded if _forbidden(name)] == []


@pytest.mark.parametrize("name", CATALOG)
def test_catalog_source_never_imports_an_oracle_or_a_reference(name):
    """Not even lazily, inside a function: the subprocess test cannot run the probes."""
    path = Path(importlib.import_module(name).__file__)
    tree = ast.parse(path.read_text(encoding="utf-8"))
    # Exercise(oracles="...", reference="...") are the only places allowed to name those modules.
    declared = {
        id(keyword.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        for keyword in node.keywords
        if keyword.arg in ("oracles", "reference")
    }
    imported = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            imported += [node.module] + [f"{node.module}.{alias.name}" for alias in node.names]
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in declared:
            imported.append(node.value)  # importlib.import_module("grader.oracles.x") and the like
    assert [m for m in imported if _forbidden(m)] == []


def _oracle_functions() -> dict[int, str]:
    """Every function the oracle modules define or hold, by id."""
    found = {}
    for name in CATALOG:
        exercise = importlib.import_module(name).EXERCISE
        if not exercise.oracles:
            continue
        module = importlib.import_module(exercise.oracles)
        for attribute, value in vars(module).items():
            if inspect.isfunction(value) or inspect.isclass(value):
                if getattr(value, "__module__", "").startswith("grader.oracles"):
                    found[id(value)] = f"{exercise.oracles}.{attribute}"
    return found


def _reachable(root, limit: int = 6):
    """Objects reachable from ``root`` through containers, dataclass fields, closures and defaults."""
    seen, todo = set(), [(root, 0)]
    while todo:
        value, depth = todo.pop()
        if id(value) in seen or depth > limit:
            continue
        seen.add(id(value))
        yield value
        children = []
        if isinstance(value, dict):
            children = list(value.values())
        elif isinstance(value, (list, tuple, set, frozenset)):
            children = list(value)
        elif dataclasses.is_dataclass(value) and not isinstance(value, type):
            children = [getattr(value, f.name) for f in dataclasses.fields(value)]
        elif isinstance(value, types.FunctionType):
            children = [cell.cell_contents for cell in value.__closure__ or () if _filled(cell)]
            children += list(value.__defaults__ or ()) + list((value.__kwdefaults__ or {}).values())
            children += [getattr(value, "__wrapped__", None)]
        elif isinstance(value, (staticmethod, classmethod)):
            children = [value.__func__]
        elif isinstance(value, types.SimpleNamespace):
            children = list(vars(value).values())
        todo += [(child, depth + 1) for child in children if child is not None]


def _filled(cell) -> bool:
    try:
        cell.cell_contents
    except ValueError:
        return False
    return True


@pytest.mark.parametrize("name", CATALOG)
def test_no_catalog_object_refers_to_an_oracle_function(name):
    oracles = _oracle_functions()
    assert oracles, "no oracle function found: the search itself is broken"
    module = importlib.import_module(name)
    found = [oracles[id(v)] for v in _reachable(dict(vars(module))) if id(v) in oracles]
    assert found == [], f"{name} holds oracle functions"


@pytest.mark.parametrize("name", CATALOG)
def test_every_oracle_name_resolves_in_the_oracle_module(name):
    exercise = importlib.import_module(name).EXERCISE
    named = [check for check in exercise.checks if isinstance(check, Check) and check.oracle is not None]
    for check in named:
        assert isinstance(check.oracle, str), check.name
        assert callable(getattr(importlib.import_module(exercise.oracles), check.oracle)), check.name


def test_the_search_finds_an_oracle_held_by_a_module():
    """The reachability walk sees an oracle function hidden in a check and in a closure."""
    oracles = _oracle_functions()
    oracle = importlib.import_module("grader.oracles.optim").torch_adam
    assert id(oracle) in oracles

    def probe(module, inputs, ctx):
        return oracle(inputs, ctx)

    holder = {"checks": (Check("x", "f", 1, list, probe),)}
    assert any(id(v) in oracles for v in _reachable(holder))


SCAN = """
import sys

import numpy as np

PREFIXES = ("grader.oracles", "solutions.", "tests.plugins.toy_oracles", "tests.plugins.toy_solutions.")


def _scan():
    found = sorted(m for m in sys.modules if m.startswith(PREFIXES))
    if found:
        raise RuntimeError(f"found {found}")
"""


def test_a_submission_finds_no_oracle_or_reference_module(tmp_path):
    """Black box, through the command line (a test process may hold oracles itself).

    Student code looks for oracle and reference modules in its own process
    while exercises with oracles are graded. (The reference's parent package,
    ``solutions``, may be there: ``cache.key`` imports it through
    ``find_spec``; it holds no answers.)
    """
    (tmp_path / "toy_b.py").write_text(SCAN + "\n\ndef double(x):\n    _scan()\n    return np.asarray(x) * 2.0\n")
    (tmp_path / "diy_model.py").write_text(
        SCAN
        + "\n\ndef diy_sigmoid(x):\n    _scan()\n    return 0.5 * (1.0 + np.tanh(0.5 * np.asarray(x, dtype=float)))\n"
    )
    report = tmp_path / "report.json"
    command = [sys.executable, "-m", "grader", "-p", "tests.plugins.toy", "run", "toy_b", "diy_model"]
    command += ["--submission", str(tmp_path), "--json", str(report), "--device", "cpu"]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr
    checks = {
        (exercise["name"], check["name"]): check
        for exercise in json.loads(report.read_text())["exercises"]
        for check in exercise["checks"]
    }
    for key in (("toy_b", "double"), ("diy_model", "sigmoid_values")):
        assert checks[key]["status"] == "passed", checks[key]["message"]
