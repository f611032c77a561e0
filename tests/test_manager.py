"""Plugin discovery: built-ins, the catalog, entry points, -p; malformed plugins."""

import sys
import textwrap

import pytest

from grader.cli import main
from grader.errors import PluginError
from grader.manager import BUILTIN_PLUGINS, collect_exercises, get_plugin_manager


@pytest.fixture
def plugin_dir(tmp_path, monkeypatch):
    """A folder on sys.path for throw-away plugin modules and distributions."""
    monkeypatch.syspath_prepend(str(tmp_path))
    yield tmp_path
    for name in [n for n in sys.modules if n.startswith("tmp_plugin")]:
        del sys.modules[name]


def write_plugin(folder, name, body):
    (folder / f"{name}.py").write_text(textwrap.dedent(body))


GOOD = """
    import numpy as np
    from grader import Case, Check, Exercise, hookimpl

    def cases(rng):
        return [Case("x", {"x": np.ones(2)})]

    @hookimpl
    def grader_exercises():
        return [Exercise(name="extra_ex", title="Extra", reference="tests.plugins.toy_solutions.toy_b",
                         framework="numpy", checks=(Check("double", "double", 1, cases,
                         lambda m, i, c: m.double(i["x"]), description="d", hint="h"),))]
"""


def test_builtins_and_catalog_are_registered():
    pm = get_plugin_manager()
    for name in BUILTIN_PLUGINS:
        assert pm.get_plugin(name) is not None
    assert pm.get_plugin("grader.catalog.diy_model") is not None


def test_a_plugin_can_be_blocked_by_name():
    exercises = collect_exercises(get_plugin_manager(["no:grader.catalog.diy_model"]))
    assert "diy_model" not in exercises and "optim" in exercises


def test_p_loads_a_module(plugin_dir):
    write_plugin(plugin_dir, "tmp_plugin_good", GOOD)
    assert "extra_ex" in collect_exercises(get_plugin_manager(["tmp_plugin_good"]))


def test_env_variable_loads_a_module(plugin_dir, monkeypatch):
    write_plugin(plugin_dir, "tmp_plugin_env", GOOD)
    monkeypatch.setenv("GRADER_PLUGINS", "tmp_plugin_env")
    assert "extra_ex" in collect_exercises(get_plugin_manager())


def test_installed_distribution_entry_point_is_discovered(plugin_dir):
    write_plugin(plugin_dir, "tmp_plugin_pack", GOOD)
    info = plugin_dir / "tmp_plugin_pack-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: tmp-plugin-pack\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text("[grader]\npack = tmp_plugin_pack\n")
    pm = get_plugin_manager()
    assert pm.get_plugin("pack") is not None
    assert collect_exercises(pm)["extra_ex"].plugin == "pack"
    assert "extra_ex" not in collect_exercises(get_plugin_manager(["no:pack"]))


@pytest.mark.parametrize(
    "body, phrase",
    [
        ("raise RuntimeError('boom')", "plugin 'tmp_plugin_bad' failed to import: RuntimeError: boom"),
        (
            "from grader import hookimpl\n@hookimpl\ndef grader_no_such_hook():\n    pass\n",
            "plugin 'tmp_plugin_bad'",
        ),
        (
            "from grader import hookimpl\n@hookimpl\ndef grader_exercises():\n    return [42]\n",
            "returned int, not grader.Exercise",
        ),
        (
            "from grader import hookimpl, Exercise\n@hookimpl\ndef grader_exercises():\n"
            "    return [Exercise(name='Bad Name', title='t', reference='x', checks=())]\n",
            "the name must be a Python module name",
        ),
        (
            "from grader import hookimpl, Exercise\n@hookimpl\ndef grader_exercises():\n"
            "    return [Exercise(name='empty', title='t', reference='x', checks=())]\n",
            "declares no checks",
        ),
        (
            "from grader import hookimpl, Exercise, Check\n@hookimpl\ndef grader_exercises():\n"
            "    c = Check('a', 'f', 1, lambda r: [], lambda m, i, c: 0)\n"
            "    return [Exercise(name='dup', title='t', reference='x', checks=(c, c))]\n",
            "two checks are named 'a'",
        ),
        (
            "from grader import hookimpl, Exercise, Check\n@hookimpl\ndef grader_exercises():\n"
            "    c = Check('a', 'f', 1, lambda r: [], lambda m, i, c: 0, oracle=lambda i, c: 0)\n"
            "    return [Exercise(name='callable', title='t', reference='x', oracles='y', checks=(c,))]\n",
            "oracle must be the name of a function in the exercise's oracle module",
        ),
        (
            "from grader import hookimpl\nfrom grader.catalog.diy_model import EXERCISE\n"
            "@hookimpl\ndef grader_exercises():\n    return [EXERCISE]\n",
            "declared by both 'grader.catalog.diy_model' and 'tmp_plugin_bad'",
        ),
    ],
)
def test_malformed_plugins_give_one_line_errors_naming_the_plugin(plugin_dir, capsys, body, phrase):
    write_plugin(plugin_dir, "tmp_plugin_bad", body)
    assert main(["-p", "tmp_plugin_bad", "list"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and phrase in err, err


def test_broken_case_factory_is_a_configuration_error(plugin_dir, capsys):
    write_plugin(
        plugin_dir,
        "tmp_plugin_factory",
        """
        from grader import Check, Exercise, hookimpl

        def cases(rng):
            raise ValueError("no inputs")

        @hookimpl
        def grader_exercises():
            return [Exercise(name="broken_factory", title="t", reference="x",
                             checks=(Check("a", "f", 1, cases, lambda m, i, c: 0),))]
        """,
    )
    assert main(["-p", "tmp_plugin_factory", "run", "broken_factory"]) == 2
    err = capsys.readouterr().err.strip()
    assert "the case factory failed: ValueError: no inputs" in err and len(err.splitlines()) == 1


def test_plugin_error_type():
    with pytest.raises(PluginError):
        get_plugin_manager(["tmp_plugin_does_not_exist"])


# --- course order: each exercise's own unit, no list anywhere ------------------------------------

UNITS = """
    import numpy as np
    from grader import Case, Check, Exercise, hookimpl

    def cases(rng):
        return [Case("x", {"x": np.ones(2)})]

    def exercise(name, unit):
        check = Check("double", "double", 1, cases, lambda m, i, c: m.double(i["x"]))
        return Exercise(name=name, title=name, reference="tests.plugins.toy_solutions.toy_b",
                        framework="numpy", unit=unit, checks=(check,))

    @hookimpl
    def grader_exercises():
        return [exercise("late", None), exercise("early", 1), exercise("later", None), exercise("tied", 3)]
"""


def test_the_course_order_is_each_exercises_unit(plugin_dir, capsys):
    """Numbered units first, by number; ties and unnumbered exercises keep the order they were declared in."""
    write_plugin(plugin_dir, "tmp_plugin_units", UNITS)
    exercises = collect_exercises(get_plugin_manager(["tmp_plugin_units"]))
    catalog = [e for e in exercises.values() if e.plugin.startswith("grader.catalog.")]
    units = [e.unit for e in catalog]
    assert None not in units and len(set(units)) == len(units), "every built-in exercise has a unit of its own"
    first = next(e.name for e in catalog if e.unit == 1)
    third = next(e.name for e in catalog if e.unit == 3)
    names = list(exercises)
    assert names[names.index(first) + 1] == "early"  # the catalog registers before -p plugins
    assert names[names.index(third) + 1] == "tied"
    assert names[-2:] == ["late", "later"]
    assert [e.name for e in catalog] == [e.name for e in sorted(catalog, key=lambda e: e.unit)]
    assert main(["-p", "tmp_plugin_units", "list"]) == 0
    listed = [line.split()[0] for line in capsys.readouterr().out.splitlines()[:-1]]
    assert listed == names


def test_the_catalog_is_registered_by_module_name_not_by_a_list():
    """grader/catalog/__init__.py names no exercise: a new one is a module there and nothing else."""
    import ast
    from pathlib import Path

    from grader import catalog
    from grader.manager import _catalog_modules

    modules = _catalog_modules()
    assert modules == sorted(modules) and "grader.catalog.diy_model" in modules
    init = Path(catalog.__file__).read_text(encoding="utf-8")
    named = [m for m in modules if m.rsplit(".", 1)[1] in init]
    assert named == [], f"grader/catalog/__init__.py names {named}: the course order is Exercise.unit"
    body = ast.parse(init).body
    assert all(isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant) for node in body), (
        "grader/catalog/__init__.py holds a docstring and nothing else"
    )


def test_a_module_dropped_into_the_catalog_is_an_exercise_in_its_place(plugin_dir, monkeypatch):
    """Adding a file to grader/catalog/ (here: a second folder on its __path__) is all it takes."""
    from grader import catalog

    folder = plugin_dir / "more_catalog"
    folder.mkdir()
    write_plugin(folder, "tmp_plugin_dropped", UNITS.replace('"tied", 3', '"dropped", 2'))
    monkeypatch.setattr(catalog, "__path__", [*catalog.__path__, str(folder)])
    try:
        pm = get_plugin_manager()
        names = list(collect_exercises(pm))
    finally:
        sys.modules.pop("grader.catalog.tmp_plugin_dropped", None)
    assert pm.get_plugin("grader.catalog.tmp_plugin_dropped") is not None
    assert names.index("early") < names.index("dropped") < names.index("late")
