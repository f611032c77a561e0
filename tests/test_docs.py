"""The documentation keeps up with the code: commands, options, hooks, exercises, translations.

Most tests read the reStructuredText sources and the grader's real objects
(its argparse parser, its hook specifications, its exercise registry); they
run in the plain test environment. The catalog test compares the message
templates of the last docs build with the committed translations; it runs in
``tox -e docs``, after the build, which sets ``GRADER_DOCS_BUILD``.
"""

from __future__ import annotations

import argparse
import importlib.util
import inspect
import os
import re
import sys
from pathlib import Path

import pytest

from grader import hookspecs
from grader.cli import build_parser
from grader.manager import BUILTIN_PLUGINS, collect_exercises, get_plugin_manager

DOCS = Path(__file__).resolve().parent.parent / "docs"
PAGES = sorted(DOCS.glob("*.rst"))
LOCALE = DOCS / "locale" / "zh_CN" / "LC_MESSAGES"

#: Catalogs whose translation is not finished yet: untranslated entries are
#: tolerated there (fuzzy and stale ones are not). Remove a page from this set
#: once it is translated; the test fails when a listed page is complete.
PENDING_TRANSLATION: set[str] = set()


def _read(name: str) -> str:
    return (DOCS / name).read_text(encoding="utf-8")


def _section_titles(text: str) -> set[str]:
    """Titles of reStructuredText sections: a line followed by an underline as long."""
    lines = text.splitlines()
    titles = set()
    for title, underline in zip(lines, lines[1:]):
        rule = underline.strip()
        if (
            title.strip()
            and rule
            and len(set(rule)) == 1
            and rule[0] in "=-~^\"'`#*+"
            and len(rule) >= len(title.strip())
        ):
            titles.add(title.strip())
    return titles


def _directive_targets(text: str, directive: str) -> list[str]:
    return re.findall(rf"^\s*\.\. {directive}:: *(\S+)", text, flags=re.MULTILINE)


# --- hooks ------------------------------------------------------------------------

HOOKS = sorted(name for name, obj in inspect.getmembers(hookspecs, inspect.isfunction) if name.startswith("grader_"))


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


# --- the command line ------------------------------------------------------------------


def _documented_options() -> dict[str, set[str]]:
    """``{program: {option names}}`` from the ``program`` and ``option`` directives of docs/cli.rst."""
    documented: dict[str, set[str]] = {}
    program = None
    for line in _read("cli.rst").splitlines():
        if match := re.match(r"^\.\. program:: *(.+?)\s*$", line):
            program = match.group(1)
            documented.setdefault(program, set())
        elif match := re.match(r"^\s*\.\. option:: *(.+?)\s*$", line):
            assert program is not None, f"docs/cli.rst: '{line.strip()}' comes before any '.. program::'"
            for alternative in match.group(1).split(", "):
                documented[program].add(alternative.split()[0].split("=")[0])
    return documented


def _real_options(parser: argparse.ArgumentParser, program: str, found: dict) -> None:
    """Walk the parser the grader really builds, plugins' commands and options included."""
    names = found.setdefault(program, {})
    for action in parser._actions:
        if isinstance(action, argparse._HelpAction):
            continue
        if isinstance(action, argparse._SubParsersAction):
            for command, subparser in action.choices.items():
                _real_options(subparser, f"{program} {command}", found)
            continue
        if action.option_strings:
            names[action.option_strings[0]] = action
        else:
            names[action.metavar or action.dest.upper()] = action


def _suggestion(program: str, name: str, action) -> str:
    shown = name
    if action.option_strings and action.nargs != 0:
        shown = f"{name} {action.metavar or action.dest.upper()}"
    return f".. program:: {program}\n\n.. option:: {shown}\n\n   {action.help or 'WHAT IT DOES'}"


@pytest.fixture(scope="module")
def real_cli():
    os.environ.pop("GRADER_PLUGINS", None)
    found: dict[str, dict] = {}
    _real_options(build_parser(get_plugin_manager()), "grader", found)
    return found


def test_every_command_is_documented(real_cli):
    documented = _documented_options()
    missing = [program for program in real_cli if program not in documented]
    assert missing == [], "docs/cli.rst does not describe these commands; add a section with " + "; ".join(
        f"'.. program:: {program}'" for program in missing
    )


def test_every_option_is_documented(real_cli):
    documented = _documented_options()
    missing = [
        _suggestion(program, name, action)
        for program, options in real_cli.items()
        for name, action in options.items()
        if name not in documented.get(program, set())
    ]
    assert missing == [], "docs/cli.rst does not describe these options; add, under each program:\n\n" + "\n\n".join(
        missing
    )


def test_cli_page_documents_only_real_options(real_cli):
    documented = _documented_options()
    unknown = [
        f"{program} {name}"
        for program, names in documented.items()
        for name in names
        if name not in real_cli.get(program, {})
    ]
    assert unknown == [], f"docs/cli.rst documents options the grader does not have: {unknown}"


# --- exercises ---------------------------------------------------------------------


def _figures():
    sys.path.insert(0, str(DOCS / "_ext"))
    try:
        from grader_docs import figures, pages
    finally:
        sys.path.remove(str(DOCS / "_ext"))
    return figures, pages


@pytest.fixture(scope="module")
def catalog():
    os.environ.pop("GRADER_PLUGINS", None)
    exercises = collect_exercises(get_plugin_manager())
    return {name: e for name, e in exercises.items() if e.plugin.startswith("grader.catalog.")}


def test_every_exercise_has_its_lesson(catalog):
    """Prose with a worked example, and a figure: a page from metadata alone is for packs."""
    assert catalog
    figures, _ = _figures()
    for name in catalog:
        prose = DOCS / "exercises" / f"{name}.rst"
        assert prose.is_file(), f"docs/exercises/{name}.rst is missing (the idea, the shapes, a worked example)"
        text = prose.read_text(encoding="utf-8")
        assert f".. doctest:: {name}" in text, f"docs/exercises/{name}.rst has no '.. doctest:: {name}' example"
        assert figures.figures_of(name), f"no FIGURES in docs/_ext/grader_docs/figures/{name}.py"
    orphans = sorted(set(figures.modules()) - set(catalog))
    assert orphans == [], f"figure modules of no exercise (drawn by nothing): {orphans}"


def test_exercise_pages_document_stubs_and_checks(catalog):
    _, pages = _figures()
    for name, exercise in catalog.items():
        text = pages.render(exercise, DOCS)
        assert f".. automodule:: exercises.{name}" in text
        assert f".. grader-checks:: {name}" in text
        assert f".. include:: ../exercises/{name}.rst" in text
        assert "solutions" not in "".join(_directive_targets(text, "automodule"))


def test_a_pack_without_prose_still_gets_a_page(catalog):
    """An installed pack's exercise: title, checks, no include of prose that does not exist."""
    from dataclasses import replace

    _, pages = _figures()
    stranger = replace(next(iter(catalog.values())), name="softplus_pack_example", title="Softplus")
    text = pages.render(stranger, DOCS)
    assert "``softplus_pack_example``: Softplus" in text
    assert ".. grader-checks:: softplus_pack_example" in text
    assert ".. include::" not in text and ".. automodule::" not in text


def _solution_mentions(text: str) -> list[str]:
    """Lines that name the reference solutions outside hidden ``testsetup`` blocks."""
    found, hidden = [], False
    for line in text.splitlines():
        if re.match(r"^\.\. testsetup::", line):
            hidden = True
            continue
        if hidden and line.strip() and not line.startswith(" "):
            hidden = False
        if not hidden and re.search(r"\bsolutions[./]", line):
            found.append(line.strip())
    return found


def test_no_page_shows_the_reference_solutions():
    for page in PAGES + sorted((DOCS / "exercises").glob("*.rst")):
        text = page.read_text(encoding="utf-8")
        for directive in ("automodule", "autofunction", "autoclass", "automethod", "literalinclude", "include"):
            for target in _directive_targets(text, directive):
                assert "solutions" not in re.split(r"[./]", target), f"{page.name} shows reference code: {target}"
    for page in sorted((DOCS / "exercises").glob("*.rst")):
        assert _solution_mentions(page.read_text(encoding="utf-8")) == [], page.name


def test_solution_check_catches_a_visible_import():
    assert _solution_mentions(".. testsetup:: x\n\n   from solutions.bow import f\n\nText.\n") == []
    assert _solution_mentions(".. testsetup:: x\n\n   import numpy\n\n>>> from solutions.bow import f\n") != []


def _own_files() -> dict[str, bool]:
    """The files of instructors.rst's "Adding an exercise", ``<name>`` in each: whether it is required."""
    text = _read("instructors.rst")
    section = text.split("\nAdding an exercise\n------------------\n", 1)[1].split("\n-----", 1)[0]
    entries = re.findall(r"^``([^`\s]*<name>[^`\s]*)``\n((?:    .*\n)+)", section, flags=re.MULTILINE)
    return {pattern: not body.lstrip().startswith("Optional") for pattern, body in entries}


def _tracked_files() -> list[str]:
    """Every file of the checkout that git does not ignore (committed or not)."""
    import shutil
    import subprocess

    root = DOCS.parent
    if shutil.which("git") is None or not (root / ".git").exists():
        pytest.skip("needs a git checkout")
    done = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard"], cwd=root, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    return [path for path in done.stdout.splitlines() if (root / path).is_file()]


def test_an_exercise_is_the_files_the_instructors_guide_lists(catalog):
    """Every built-in exercise has the files "Adding an exercise" lists, and no other file is named after one."""
    own = _own_files()
    assert "solutions/<name>.py" in own and "grader/catalog/<name>.py" in own and own["tests/catalog/test_<name>.py"]
    assert own["grader/oracles/<name>.py"] is False
    assert own["docs/_ext/grader_docs/figures/<name>.py"], "an exercise's figures are its own module"
    for name in catalog:
        missing = [p.replace("<name>", name) for p, required in own.items() if required]
        missing = [path for path in missing if not (DOCS.parent / path).is_file()]
        assert missing == [], f"exercise {name!r} lacks {missing} (docs/instructors.rst, Adding an exercise)"
    listed = {p.replace("<name>", name) for p in own for name in catalog}
    named = [
        path
        for path in _tracked_files()
        if any({name, f"test_{name}"} & {part.split(".")[0] for part in Path(path).parts} for name in catalog)
    ]
    unlisted = sorted(set(named) - listed)
    assert unlisted == [], f"files named after an exercise that docs/instructors.rst does not list: {unlisted}"


def _names_an_exercise(text: str, names) -> list[str]:
    """The exercises ``text`` dispatches on: as a string, or as a reference module it imports."""
    return [name for name in names if re.search(rf"""["']{name}["']|\bsolutions(\.|\s+import\s+){name}\b""", text)]


def test_names_an_exercise_finds_a_registry_and_an_import():
    assert _names_an_exercise('FIGURES = {"bow": (draw_bow,)}', ["bow", "rnn"]) == ["bow"]
    assert _names_an_exercise("from solutions import rnn as ref", ["bow", "rnn"]) == ["rnn"]
    assert _names_an_exercise("torch.optim.SGD and a rnn cell", ["optim", "rnn"]) == []


def test_adding_an_exercise_edits_no_shared_docs_file(catalog):
    """The docs extension names no exercise outside the exercise's own figure module."""
    figures, _ = _figures()
    own = {figures.module_path(name) for name in catalog}
    shared = sorted(path for path in (DOCS / "_ext").rglob("*.py") if path not in own)
    assert figures.FOLDER / "__init__.py" in shared and figures.FOLDER / "_common.py" in shared
    named = {
        str(path.relative_to(DOCS.parent)): found
        for path in shared
        if (found := _names_an_exercise(path.read_text(encoding="utf-8"), catalog))
    }
    assert named == {}, f"shared files that name exercises (to edit for every new one): {named}"


# --- pages ----------------------------------------------------------------------------


@pytest.mark.parametrize("module", BUILTIN_PLUGINS)
def test_every_builtin_plugin_is_described(module):
    text = "".join(_read(name) for name in ("design.rst", "instructors.rst", "packaging.rst", "hooks.rst"))
    assert module in text, f"no page of docs/design.rst, instructors.rst, packaging.rst, hooks.rst mentions {module}"


def test_index_lists_every_page():
    text = _read("index.rst")
    pages = sorted(p.stem for p in PAGES if p.stem != "index")
    missing = [page for page in pages if not re.search(rf"^\s+{page}\s*$", text, flags=re.MULTILINE)]
    assert missing == [], f"docs/index.rst's toctree misses {missing}"


# --- translations ---------------------------------------------------------------------

BUILD = os.environ.get("GRADER_DOCS_BUILD")


def _messages(path: Path) -> dict[str, object]:
    """Messages by id; obsolete entries (``#~``, left by sphinx-intl) count as used by nothing."""
    from babel.messages.pofile import read_po

    with path.open("rb") as handle:
        catalog = read_po(handle)
    messages = {message.id: message for message in catalog if message.id}
    messages.update({message.id: message for message in catalog.obsolete.values() if message.id})
    return messages


def _templates() -> dict[str, Path]:
    root = Path(BUILD) / "gettext"
    if not root.is_dir():
        pytest.fail(f"{root} is missing: docs/build.py's 'pot' step writes it before the tests")
    return {str(p.relative_to(root).with_suffix("")): p for p in sorted(root.rglob("*.pot"))}


def _catalog_problems(templates: dict[str, Path]) -> dict[str, list[str]]:
    problems: dict[str, list[str]] = {}
    for page, pot in templates.items():
        wanted = _messages(pot)
        po = LOCALE / f"{page}.po"
        if not po.is_file():
            problems[page] = [f"no catalog {po.relative_to(DOCS.parent)} (run: python docs/build.py gettext)"]
            continue
        have = _messages(po)
        found = []
        for msgid in wanted:
            message = have.get(msgid)
            if message is None:
                found.append(f"missing: {msgid[:70]!r}")
            elif message.fuzzy:
                found.append(f"fuzzy: {msgid[:70]!r}")
            elif not message.string:
                found.append(f"untranslated: {msgid[:70]!r}")
        found += [f"stale (no page uses it): {msgid[:70]!r}" for msgid in have if msgid not in wanted]
        if found:
            problems[page] = found
    for po in sorted(LOCALE.rglob("*.po")):
        page = str(po.relative_to(LOCALE).with_suffix(""))
        if page not in templates:
            problems[page] = [f"{po.relative_to(DOCS.parent)} belongs to no page"]
    return problems


@pytest.mark.skipif(BUILD is None, reason="needs the message templates of a docs build: run tox -e docs")
def test_translations_are_complete_and_current():
    problems = _catalog_problems(_templates())
    failing = {
        page: found
        for page, found in problems.items()
        if page not in PENDING_TRANSLATION or any(not f.startswith(("untranslated", "missing")) for f in found)
    }
    report = "\n".join(f"{page}.po: {len(found)} problems, first: {found[0]}" for page, found in failing.items())
    assert failing == {}, "zh_CN catalogs out of date (python docs/build.py gettext, then translate):\n" + report
    finished = sorted(PENDING_TRANSLATION - set(problems))
    assert finished == [], f"translated now: remove {finished} from PENDING_TRANSLATION in tests/test_docs.py"


def test_catalog_check_finds_untranslated_fuzzy_and_stale(tmp_path, monkeypatch):
    pytest.importorskip("babel")
    (tmp_path / "gettext").mkdir()
    (tmp_path / "gettext" / "page.pot").write_text(
        'msgid ""\nmsgstr ""\n\nmsgid "One"\nmsgstr ""\n\nmsgid "Two"\nmsgstr ""\n\nmsgid "Three"\nmsgstr ""\n',
        encoding="utf-8",
    )
    locale = tmp_path / "locale"
    locale.mkdir()
    (locale / "page.po").write_text(
        'msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=UTF-8\\n"\n\n'
        'msgid "One"\nmsgstr "一"\n\n#, fuzzy\nmsgid "Two"\nmsgstr "二"\n\n'
        'msgid "Three"\nmsgstr ""\n\nmsgid "Gone"\nmsgstr "旧"\n',
        encoding="utf-8",
    )
    monkeypatch.setattr(sys.modules[__name__], "LOCALE", locale)
    monkeypatch.setattr(sys.modules[__name__], "DOCS", tmp_path)
    problems = _catalog_problems({"page": tmp_path / "gettext" / "page.pot"})
    assert [p.split(":")[0] for p in problems["page"]] == ["fuzzy", "untranslated", "stale (no page uses it)"]


def test_docs_tools_are_pinned():
    tox = (DOCS.parent / "tox.ini").read_text(encoding="utf-8")
    section = tox[tox.index("[testenv:docs]") :].split("\n[", 1)[0]
    for package in ("sphinx", "furo", "sphinx-copybutton", "sphinx-intl", "sphinx-mathjax-offline", "matplotlib"):
        assert re.search(rf"^\s+{re.escape(package)}==\S+$", section, flags=re.MULTILINE), f"pin {package} in tox.ini"
    assert importlib.util.find_spec("grader") is not None


# --- the benchmark data behind the speed-up figure ------------------------------------------

BENCH_KEYS = {"device", "batch", "loop_ms", "batched_ms", "speedup"}


def test_committed_benchmark_data_is_complete():
    import json

    data = json.loads((DOCS / "_data" / "bench_shift_reduce.json").read_text(encoding="utf-8"))
    rows = data["rows"]
    assert {row["batch"] for row in rows if row["device"] == "cpu"} >= {1, 64}, rows
    for row in rows:
        assert set(row) == BENCH_KEYS and row["loop_ms"] > 0 and row["batched_ms"] > 0
        assert abs(row["speedup"] - row["loop_ms"] / row["batched_ms"]) < 1e-6 * row["speedup"]
    assert data["torch"] and data["size"] and data["clock"] in ("wall", "cpu")


def test_benchmark_writes_the_json_the_figure_reads(tmp_path):
    import json
    import subprocess

    out = tmp_path / "bench.json"
    script = DOCS.parent / "tests" / "benchmarks" / "bench_shift_reduce.py"
    done = subprocess.run(
        [
            sys.executable,
            str(script),
            "--batch-sizes",
            "1",
            "3",
            "--size",
            "4",
            "--tokens",
            "4",
            "--repeats",
            "1",
            "--devices",
            "cpu",
            "--threads",
            "1",
            "--json",
            str(out),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr  # no batch 64 here, so no speed requirement
    data = json.loads(out.read_text(encoding="utf-8"))
    assert [(row["device"], row["batch"]) for row in data["rows"]] == [("cpu", 1), ("cpu", 3)]
    assert all(set(row) == BENCH_KEYS for row in data["rows"])
    assert data["size"] == 4 and data["threads"] == 1


# --- an installed pack gets its page --------------------------------------------------------


def test_a_pack_gets_a_page_from_its_metadata_alone(tmp_path, catalog):
    """A throw-away Sphinx project with only the extension: the toy pack's exercises get pages."""
    import subprocess

    pytest.importorskip("sphinx")
    root = DOCS.parent
    (tmp_path / "conf.py").write_text(
        "import sys\n"
        f"sys.path[:0] = [{str(root)!r}, {str(DOCS / '_ext')!r}]\n"
        "extensions = ['sphinx.ext.autodoc', 'grader_docs']\n"
        "exclude_patterns = ['_build']\n",
        encoding="utf-8",
    )
    (tmp_path / "index.rst").write_text("Pack\n====\n\n.. grader-exercise-toctree::\n", encoding="utf-8")
    blocked = ",".join(f"no:{exercise.plugin}" for exercise in catalog.values())
    env = dict(os.environ, GRADER_PLUGINS=f"tests.plugins.toy,{blocked}")
    done = subprocess.run(
        [sys.executable, "-m", "sphinx", "-W", "-q", "-b", "html", str(tmp_path), str(tmp_path / "_build")],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    html = (tmp_path / "_build" / "course" / "toy_a.html").read_text(encoding="utf-8")
    page = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", html))
    for text in ("Toy A", "add_one", "total", "numpy_only", "tox -e grade -- toy_a", "4 points in 3 checks"):
        assert text in page, text
    assert (tmp_path / "_build" / "course" / "toy_b.html").is_file()
    assert not list((tmp_path / "course").glob("diy_model.rst")), "a blocked exercise got a page"
