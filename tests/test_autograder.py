"""``python -m grader gradescope OUT.zip``: a reproducible package that grades on its own."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile

import pytest

from grader import autograder
from grader.cli import main
from tests.gradescope_format import validate
from tests.toy_runs import PLUGINS, ROOT, write_submission


def build(path, *extra):
    return main(["-p", PLUGINS[1], "gradescope", str(path), "toy_a", "toy_b", *extra])


@pytest.fixture(scope="module")
def package(tmp_path_factory):
    path = tmp_path_factory.mktemp("package") / "autograder.zip"
    assert build(path) == 0
    return path


def test_the_package_is_reproducible(package, tmp_path):
    again = tmp_path / "again.zip"
    assert build(again) == 0
    assert again.read_bytes() == package.read_bytes()


def test_the_package_layout(package):
    with zipfile.ZipFile(package) as archive:
        infos = archive.infolist()
        names = [info.filename for info in infos]
        assert names == sorted(names)
        for info in infos:
            assert info.date_time == autograder.EPOCH
            mode = (info.external_attr >> 16) & 0o777
            assert mode == (0o755 if info.filename in ("setup.sh", "run_autograder") else 0o644), info.filename
        for required in (
            "setup.sh",
            "run_autograder",
            "requirements.txt",
            "grader/__init__.py",
            "grader/catalog/__init__.py",
            "tests/__init__.py",
            "tests/plugins/toy.py",
            "tests/plugins/toy_solutions/toy_a.py",
            "tests/plugins/toy_solutions/toy_b.py",
        ):
            assert required in names, required
        assert not [n for n in names if "__pycache__" in n or n.endswith(".pyc")]
        assert not [n for n in names if n.startswith("tests/test_")]  # only the plugin's own package
        setup = archive.read("setup.sh").decode()
        run = archive.read("run_autograder").decode()
        pins = archive.read("requirements.txt").decode().split()
    assert "torch==2.13.0" in setup and autograder.TORCH_INDEX in setup
    assert f"python{sys.version_info.major}.{sys.version_info.minor}" in setup
    assert sorted(p.split("==")[0] for p in pins) == ["numpy", "pluggy"] and all("==" in p for p in pins)
    assert "-p tests.plugins.toy run toy_a toy_b" in run and "--gradescope" in run
    for script in (setup, run):
        checked = subprocess.run(["bash", "-n"], input=script, capture_output=True, text=True, timeout=60)
        assert checked.returncode == 0, checked.stderr


def test_the_catalog_package_carries_the_references(tmp_path):
    path = tmp_path / "catalog.zip"
    assert main(["gradescope", str(path), "diy_model"]) == 0
    with zipfile.ZipFile(path) as archive:
        names = set(archive.namelist())
        run = archive.read("run_autograder").decode()
    assert {"solutions/diy_model.py", "grader/catalog/diy_model.py"} <= names
    assert "-m grader run diy_model " in run  # catalog exercises need no -p


def unpack(package, root):
    """What Gradescope does with the zip: unpack it into ``source``."""
    with zipfile.ZipFile(package) as archive:
        archive.extractall(root / "source")
    os.chmod(root / "source" / "run_autograder", 0o755)  # extractall does not restore modes


def run_autograder(root, submission_folder):
    env = dict(
        os.environ,
        GRADER_AUTOGRADER_ROOT=str(root),
        GRADER_AUTOGRADER_PYTHON=sys.executable,
        GRADER_CACHE="off",
        GRADER_PLUGINS="no:grader.catalog.diy_model",  # the script must not take plugins from outside
    )
    env.pop("PYTHONPATH", None)
    done = subprocess.run(
        [str(root / "source" / "run_autograder")],
        cwd=submission_folder,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    data = json.loads((root / "results" / "results.json").read_text())
    validate(data)
    return data


def test_round_trip_grades_a_submission_with_the_packaged_grader(package, tmp_path):
    root = tmp_path / "autograder"
    write_submission(root / "submission", broken=False)
    (root / "submission" / "toy_b.py").write_text(
        (root / "submission" / "toy_b.py").read_text().replace("* 2.0", "* 3.0")
    )
    unpack(package, root)
    data = run_autograder(root, tmp_path)
    scores = {t["name"]: t["score"] for t in data["tests"]}
    assert scores == {"toy_a: add_one": 2, "toy_a: total": 1, "toy_a: numpy_only": 1, "toy_b: double": 0}
    assert data["score"] == 4

    # The expected values come from the package, not from this checkout: change its oracle.
    packaged = root / "source" / "tests/plugins/toy_oracles.py"
    packaged.write_text(packaged.read_text().replace("2.0 *", "3.0 *"))
    (root / "results" / "results.json").unlink()
    assert run_autograder(root, tmp_path)["score"] == 6


def test_a_submitted_repository_is_graded_from_its_exercises_folder(package, tmp_path):
    root = tmp_path / "autograder"
    write_submission(root / "submission" / "exercises", broken=False)
    (root / "submission" / "README.md").write_text("my repository\n")
    unpack(package, root)
    data = run_autograder(root, tmp_path)
    assert data["score"] == 6 and all(t["status"] == "passed" for t in data["tests"])


@pytest.mark.parametrize(
    "setup, extra, phrase",
    [
        ("exists", [], "exists (use --force"),
        ("folder", [], "is a folder"),
        ("missing", [], "does not exist"),
        ("proc", [], ("cannot write", "not writable")),  # which one depends on being root
        ("fine", ["no_such_exercise"], "unknown exercise"),
    ],
)
def test_bad_output_is_one_line_exit_2_and_writes_nothing(tmp_path, capsys, setup, extra, phrase):
    out = {
        "exists": tmp_path / "a.zip",
        "folder": tmp_path / "dir.zip",
        "missing": tmp_path / "no" / "a.zip",
        "proc": "/proc/grader-test.zip",
        "fine": tmp_path / "a.zip",
    }[setup]
    if setup == "exists":
        out.write_text("keep me")
    if setup == "folder":
        out.mkdir()
    before = sorted(tmp_path.rglob("*"))
    assert main(["-p", PLUGINS[1], "gradescope", str(out), *extra]) == 2
    err = capsys.readouterr().err
    phrases = phrase if isinstance(phrase, tuple) else (phrase,)
    assert err.count("\n") == 1 and err.startswith("grader: error: ") and any(p in err for p in phrases), err
    assert sorted(tmp_path.rglob("*")) == before
    if setup == "exists":
        assert out.read_text() == "keep me"


def test_force_replaces_an_existing_package(tmp_path, package):
    out = tmp_path / "a.zip"
    out.write_text("old")
    assert build(out, "--force") == 0
    assert out.read_bytes() == package.read_bytes()


def test_the_command_runs_from_the_command_line(tmp_path):
    out = tmp_path / "cli.zip"
    done = subprocess.run(
        [sys.executable, "-m", "grader", "-p", PLUGINS[1], "gradescope", str(out), "toy_a"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(f"wrote {out}: 1 exercises")
    assert zipfile.is_zipfile(out)
