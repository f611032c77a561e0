"""The documentation keeps up with the code: hooks, exercises, built-in plugins.

These tests read the reStructuredText sources; they never run Sphinx (the
docs build is its own tox environment, ``tox -e docs``).
"""

from __future__ import annotations

import inspect
import re
from pathlib import Path

import pytest

from grader import hookspecs
from grader.manager import BUILTIN_PLUGINS, collect_exercises, get_plugin_manager

DOCS = Path(__file__).resolve().parent.parent / "docs"


def _read(name: str) -> str:
    return (DOCS / name).read_text(encoding="utf-8")


def _section_titles(text: str) -> set[str]:
    """Titles of reStructuredText sections: a line followed by an underline as long."""
    lines = text.splitlines()
    titles = set()
    for title, underline in zip(lines, lines[1:]):
        rule = underline.strip()
        if title.strip() and rule and len(set(rule)) == 1 and rule[0] in "=-~^\"'`#*+" and len(rule) >= len(title.strip()):
            titles.add(title.strip())
    return titles


def _directive_targets(text: str, directive: str) -> list[str]:
    return re.findall(rf"^\.\. {directive}:: *(\S+)", text, flags=re.MULTILINE)


HOOKS = sorted(
    name for name, obj in inspect.getmembers(hookspecs, inspect.isfunction) if name.startswith("grader_")
)


def test_hookspecs_define_hooks():
    assert len(HOOKS) >= 8, HOOKS


@pytest.mark.parametrize("hook", HOOKS)
def test_every_hook_is_documented(hook):
    text = _read("hooks.rst")
    assert hook in _section_titles(text), f"docs/hooks.rst has no section titled {hook}"
    assert f"grader.hookspecs.{hook}" in _directive_targets(text, "autofunction"), (
        f"docs/hooks.rst has no '.. autofunction:: grader.hookspecs.{hook}'"
    )


def test_hooks_page_documents_only_real_hooks():
    documented = _directive_targets(_read("hooks.rst"), "autofunction")
    unknown = [target for target in documented if target.rsplit(".", 1)[-1] not in HOOKS]
    assert unknown == [], f"docs/hooks.rst documents hooks that grader/hookspecs.py does not define: {unknown}"


def _catalog_exercises() -> list[str]:
    """Exercises of this project's catalog (installed third-party packs are not its docs' business)."""
    exercises = collect_exercises(get_plugin_manager())
    return [name for name, exercise in exercises.items() if exercise.plugin.startswith("grader.catalog.")]


def test_every_exercise_is_documented(monkeypatch):
    monkeypatch.delenv("GRADER_PLUGINS", raising=False)
    catalog = _catalog_exercises()
    assert catalog
    text = _read("exercises.rst")
    modules = _directive_targets(text, "automodule")
    missing = [name for name in catalog if name not in text]
    assert missing == [], f"docs/exercises.rst does not mention {missing}"
    no_autodoc = [name for name in catalog if f"exercises.{name}" not in modules]
    assert no_autodoc == [], f"docs/exercises.rst has no '.. automodule:: exercises.<name>' for {no_autodoc}"


def test_exercise_page_documents_stubs_only():
    text = _read("exercises.rst")
    modules = _directive_targets(text, "automodule")
    assert modules and all(m.startswith("exercises.") for m in modules), modules


def test_no_page_documents_the_reference_solutions():
    for page in sorted(DOCS.glob("*.rst")):
        text = page.read_text(encoding="utf-8")
        for directive in ("automodule", "autofunction", "autoclass", "automethod", "literalinclude"):
            for target in _directive_targets(text, directive):
                assert "solutions" not in target.split("."), f"{page.name} shows reference code: {target}"
                assert not target.startswith("solutions/") and "/solutions/" not in target, (
                    f"{page.name} includes a reference file: {target}"
                )


@pytest.mark.parametrize("module", BUILTIN_PLUGINS)
def test_every_builtin_plugin_is_described(module):
    text = _read("design.rst") + _read("instructors.rst")
    assert module in text, f"neither docs/design.rst nor docs/instructors.rst mentions {module}"


def test_index_lists_every_page():
    text = _read("index.rst")
    pages = sorted(p.stem for p in DOCS.glob("*.rst") if p.stem != "index")
    missing = [page for page in pages if not re.search(rf"^\s+{page}\s*$", text, flags=re.MULTILINE)]
    assert missing == [], f"docs/index.rst's toctree misses {missing}"
