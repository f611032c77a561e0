"""README.md's exercise table is the registry's (docs/readme_table.py), never a hand-kept list."""

from __future__ import annotations

import importlib.util
from dataclasses import replace
from pathlib import Path

import pytest

from grader.release_files import exercise_table

ROOT = Path(__file__).resolve().parent.parent


def _load():
    spec = importlib.util.spec_from_file_location("readme_table", ROOT / "docs" / "readme_table.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


readme_table = _load()


@pytest.fixture(scope="module")
def catalog():
    from grader.manager import collect_exercises, get_plugin_manager

    exercises = collect_exercises(get_plugin_manager())
    return [e for e in exercises.values() if e.plugin.startswith("grader.catalog.")]


def test_the_readme_table_is_the_registrys():
    wanted = readme_table.table()
    have = readme_table.current((ROOT / "README.md").read_text(encoding="utf-8"))
    assert have == wanted, (
        "README.md's exercise table disagrees with the exercises' declarations (names, units, titles, points).\n"
        "Run: python docs/readme_table.py --write   It should read:\n\n" + wanted
    )


def test_the_table_lists_the_catalog_in_course_order_with_titles(catalog):
    rows = readme_table.table().splitlines()[2:]
    assert [row.split("`")[1] for row in rows] == [e.name for e in catalog]
    assert [e.unit for e in catalog] == sorted(e.unit for e in catalog)
    for row, exercise in zip(rows, catalog):
        assert f"| {exercise.title} | {exercise.max_score:g} | {exercise.framework} |" in row


def test_a_new_exercise_gets_its_row_from_its_declaration(catalog):
    new = replace(catalog[0], name="softplus", title="Softplus | and its derivative", unit=2)
    table = exercise_table([catalog[0], new, *catalog[1:]])
    rows = table.splitlines()
    assert rows[3].startswith(r"| `softplus` | Softplus \| and its derivative | ")
    assert rows[3].count(" | ") == 3  # the | of the title does not open a fifth cell


def test_splice_replaces_only_what_lies_between_the_markers():
    text = f"# Title\n\nBefore.\n\n{readme_table.BEGIN}\n| old |\n{readme_table.END}\n\nAfter.\n"
    spliced = readme_table.splice(text, "| new |\n| --- |")
    assert readme_table.current(spliced) == "| new |\n| --- |"
    assert spliced.replace("| new |\n| --- |", "| old |") == text
    with pytest.raises(ValueError, match="no '<!-- exercise table"):
        readme_table.current("# A README without the markers\n")


def test_check_and_write(tmp_path, monkeypatch, capsys):
    readme = tmp_path / "README.md"
    readme.write_text(f"Intro.\n{readme_table.BEGIN}\n| stale |\n{readme_table.END}\nEnd.\n", encoding="utf-8")
    monkeypatch.setattr(readme_table, "README", readme)
    assert readme_table.main(["--check"]) == 1
    assert "out of date: run python docs/readme_table.py --write" in capsys.readouterr().err
    assert readme_table.main(["--write"]) == 0
    assert readme_table.main(["--check"]) == 0
    text = readme.read_text(encoding="utf-8")
    assert text.startswith("Intro.\n") and text.endswith("End.\n") and "| `diy_model` |" in text
    readme.write_text("No markers.\n", encoding="utf-8")
    assert readme_table.main(["--check"]) == 2
    assert len(capsys.readouterr().err.strip().splitlines()) == 1
