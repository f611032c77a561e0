"""The student release: no answers in it, same bytes twice, public grading offline, hidden checks kept."""

from __future__ import annotations

import importlib
import io
import json
import os
import re
import shutil
import subprocess
import sys
import sysconfig
import tokenize
from pathlib import Path

import numpy as np
import pytest

from grader.cases import hidden_key, make_cases
from grader.release import grading_digest
from grader.testing import Suite

ROOT = Path(__file__).resolve().parent.parent
SECRET = "release-test-secret-3141"

pytestmark = pytest.mark.slow


def _release(
    out: Path, *extra: str, env: dict | None = None, root: Path = ROOT, python: Path | None = None
) -> subprocess.CompletedProcess:
    command = [str(python or sys.executable), "-m", "grader", "release", str(out), *extra]
    return subprocess.run(command, cwd=root, capture_output=True, text=True, timeout=600, env=env)


@pytest.fixture(scope="module")
def release(tmp_path_factory) -> Path:
    """A release built with the course secret in the environment (it must not leak)."""
    out = tmp_path_factory.mktemp("releases") / "student-repo"
    done = _release(out, env=dict(os.environ, GRADER_SECRET=SECRET))
    assert done.returncode == 0, done.stderr
    return out


def _files(folder: Path) -> dict[str, bytes]:
    return {
        str(path.relative_to(folder)): path.read_bytes()
        for path in sorted(folder.rglob("*"))
        if path.is_file() and "__pycache__" not in path.parts
    }


def _code_lines(text: str) -> list[str] | None:
    """Each line's code tokens joined by spaces: strings and comments left out (None: not Python)."""
    rows: dict[int, list[str]] = {}
    skip = {
        tokenize.STRING,
        tokenize.COMMENT,
        tokenize.NL,
        tokenize.NEWLINE,
        tokenize.INDENT,
        tokenize.DEDENT,
        tokenize.ENDMARKER,
    }
    try:
        for token in tokenize.generate_tokens(io.StringIO(text).readline):
            if token.type not in skip:
                rows.setdefault(token.start[0], []).append(token.string)
    except (tokenize.TokenError, SyntaxError):
        return None
    return [" ".join(row) for row in rows.values()]


#: Statements too generic to give anything away, though they occur in solution regions.
GENERIC = {"with torch . no_grad ( ) :", "if tracking is not None :", "if tracker_size is not None :"}


def _solution_lines() -> set[str]:
    """Every line of code inside a solution region of solutions/*.py that could give an answer away.

    Lines also found in the stubs are public (``super().__init__()``), and a
    line of fewer than six tokens says too little to be an answer.
    """
    public = {line for path in (ROOT / "exercises").glob("*.py") for line in _code_lines(path.read_text()) or []}
    lines = set()
    for path in (ROOT / "solutions").glob("*.py"):
        inside = False
        for line in path.read_text().splitlines():
            text = line.strip()
            if text.startswith("### BEGIN SOLUTION"):
                inside = True
            elif text.startswith("### END SOLUTION"):
                inside = False
            elif inside:
                for code in _code_lines(text + "\n") or []:
                    if len(code.split()) >= 6 and code not in public and code not in GENERIC:
                        lines.add(code)
    return lines


def _leaks(files: dict[str, bytes]) -> list[tuple[str, str]]:
    """(file, solution line) for each solution line of code found in a file of the release."""
    answers = _solution_lines()
    found = []
    for name, data in files.items():
        text = data.decode("utf-8", "replace")
        if name.endswith(".py"):
            code = set(_code_lines(text) or [])
        else:  # docs: any line, code blocks included
            code = {c for line in text.splitlines() for c in _code_lines(line.strip() + "\n") or []}
        found += [(name, line) for line in answers if line in code]
    return found


def test_the_release_holds_no_answer(release):
    assert not (release / "solutions").exists()
    assert not (release / "grader" / "oracles").exists()
    assert sorted(p.name for p in (release / "tests").iterdir()) == ["test_release.py"]
    files = _files(release)
    text = "\n".join(data.decode("utf-8", "replace") for data in files.values())
    assert len(_solution_lines()) > 100
    assert _leaks(files) == []
    assert "BEGIN SOLUTION" not in "\n".join(
        data.decode() for name, data in files.items() if name.startswith(("exercises/", "tests/"))
    )
    assert SECRET not in text


def test_the_leak_check_finds_a_solution_line(release):
    """The check above can fail: a catalog helper that answers an exercise is found."""
    bow = (ROOT / "solutions" / "bow.py").read_text()
    line = next(text.strip() for text in bow.splitlines() if "log_softmax(self.linear" in text)
    assert _leaks({"grader/catalog/helper.py": f"def forward(self, bow_vec):\n    {line}\n".encode()})


def test_the_release_holds_no_broken_variant(release):
    text = "\n".join(data.decode("utf-8", "replace") for data in _files(release).values())
    variants = []
    for path in sorted((ROOT / "tests" / "catalog").glob("test_*.py")):
        module = importlib.import_module(f"tests.catalog.{path.stem}")
        suites = [value for value in vars(module).values() if isinstance(value, Suite)]
        for broken in (broken for suite in suites for broken in suite.broken):
            for _, new in broken.edits:
                lines = new.strip().splitlines()
                if len(new.strip()) >= 24 and not all(line.startswith(("import ", "from ")) for line in lines):
                    variants.append(new.strip())  # a mistake written out (not just an import)
    assert variants
    assert not [v for v in variants if v in text][:3]


def test_the_release_holds_no_hidden_case(release, exercises):
    shipped = "\n".join(p.read_text() for p in (release / "grader" / "_release" / "expected").glob("*.json"))
    checked = 0
    for name, exercise in exercises.items():
        for cases in make_cases(exercise, hidden_key(SECRET, name)).values():
            for case in cases:
                for value in case.inputs.values():
                    if case.hidden and isinstance(value, np.ndarray) and value.dtype.kind == "f" and value.size:
                        token = repr(float(value.ravel()[0]))
                        if len(token) > 12:  # a long, distinctive float
                            assert token not in shipped, (name, case.label)
                            checked += 1
    assert checked > 10


def test_the_release_is_reproducible(release, tmp_path):
    again = tmp_path / "again"
    done = _release(again)
    assert done.returncode == 0, done.stderr
    assert _files(again) == _files(release)
    manifest = json.loads((release / "grader" / "_release" / "manifest.json").read_text())
    assert manifest["grading_files_sha256"] == grading_digest(release / "grader")
    assert manifest["grading_files_sha256"] == grading_digest(ROOT / "grader")


@pytest.fixture(scope="module")
def fresh_python(tmp_path_factory) -> Path:
    """A new virtual environment that sees the installed packages but not this repository."""
    venv = tmp_path_factory.mktemp("venv") / "env"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    site = subprocess.run(
        [str(venv / "bin" / "python"), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    # A plain path, not this environment's .pth files: the editable install of
    # the instructor's repository (and so solutions/) stays out of reach.
    Path(site, "installed.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    return venv / "bin" / "python"


def _grade(python: Path, cwd: Path, submission: Path, *extra: str, env: dict | None = None) -> dict:
    report = submission.parent / f"{submission.name}-report.json"
    command = [str(python), "-m", "grader", "run", "--submission", str(submission), "--json", str(report)]
    done = subprocess.run(
        [*command, "--device", "cpu", *extra], cwd=cwd, capture_output=True, text=True, timeout=600, env=env
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return json.loads(report.read_text()) | {"stdout": done.stdout}


def test_inside_the_release_grading_needs_no_answer(release, fresh_python, tmp_path):
    gone = subprocess.run([str(fresh_python), "-c", "import solutions"], cwd=release, capture_output=True)
    assert gone.returncode != 0  # the fresh environment cannot reach the references
    stubs = _grade(fresh_python, release, release / "exercises")
    assert stubs["score"] == 0
    correct = tmp_path / "correct"
    shutil.copytree(ROOT / "solutions", correct, ignore=shutil.ignore_patterns("__pycache__", "__init__.py"))
    graded = _grade(fresh_python, release, correct)
    from grader.manager import collect_exercises, get_plugin_manager

    catalog = [e for e in collect_exercises(get_plugin_manager()).values() if e.plugin.startswith("grader.catalog.")]
    assert graded["score"] == graded["max_score"] == sum(e.max_score for e in catalog) > 0
    assert "hidden checks are graded by your instructor" in graded["stdout"]
    tests = subprocess.run(
        [str(fresh_python), "-m", "pytest", "-q", "-p", "no:cacheprovider"],
        cwd=release,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert tests.returncode == 0, tests.stdout[-2000:]


def test_hard_coded_public_answers_pass_locally_and_lose_the_hidden_checks(release, fresh_python, tmp_path):
    """A diy_sigmoid that looks its answers up in the release's shipped expected values."""
    expected = (release / "grader" / "_release" / "expected" / "diy_model.json").resolve()
    submission = tmp_path / "cheat"
    submission.mkdir()
    source = (ROOT / "exercises" / "diy_model.py").read_text()
    source += f"""

def _answers():
    from grader import plain
    from grader.cases import make_cases
    from grader.manager import collect_exercises, get_plugin_manager
    exercise = collect_exercises(get_plugin_manager())["diy_model"]
    frame = plain.decode(open({str(expected)!r}, "rb").read())
    index = [i for i, c in enumerate(exercise.checks) if c.name == "sigmoid_values"][0]
    cases = make_cases(exercise)["sigmoid_values"]
    return [(cases[j].inputs, value) for i, j, kind, value in frame["results"] if i == index]


def diy_sigmoid(x):
    for inputs, value in _answers():
        known = next(v for v in inputs.values())
        if getattr(known, "shape", None) == x.shape and (known == x).all():
            return value
    return x
"""
    (submission / "diy_model.py").write_text(source)
    local = _grade(fresh_python, release, submission)
    status = {c["name"]: c["status"] for c in local["exercises"][0]["checks"]}
    assert status["sigmoid_values"] == "passed"
    graded = _grade(Path(sys.executable), ROOT, submission, "diy_model", env=dict(os.environ, GRADER_SECRET=SECRET))
    status = {c["name"]: c for c in graded["exercises"][0]["checks"]}
    assert status["sigmoid_values"]["status"] != "passed"
    assert status["sigmoid_values"]["cases"]["hidden"] > 0


def test_the_instructor_notices_a_modified_grader(release, tmp_path):
    repo = tmp_path / "student"
    shutil.copytree(release, repo)
    shutil.copy(ROOT / "solutions" / "pooling.py", repo / "exercises" / "pooling.py")
    same = _grade(Path(sys.executable), ROOT, repo / "exercises", "pooling")
    assert same["local_grader"].endswith("unmodified")
    with open(repo / "grader" / "scoring.py", "a") as f:
        f.write("\n# every check passes now\n")
    edited = _grade(Path(sys.executable), ROOT, repo / "exercises", "pooling")
    assert "differs" in edited["local_grader"]
    assert edited["score"] == edited["max_score"]  # graded by this grader, whatever theirs says


def _listing(folder: Path) -> list[str] | None:
    """The names in ``folder``; in ``/proc``, without the processes that come and go meanwhile."""
    if not folder.is_dir():
        return None
    return sorted(p.name for p in folder.iterdir() if not (folder == Path("/proc") and p.name.isdigit()))


@pytest.mark.parametrize("case", ["not-empty", "unwritable", "missing-reference", "reference-fails"])
def test_bad_input_is_one_line_and_writes_nothing(case, tmp_path, fresh_python):
    out = tmp_path / "out"
    root, env, python = ROOT, dict(os.environ), None
    if case == "not-empty":
        out.mkdir()
        (out / "keep.txt").write_text("mine")
    elif case == "unwritable":
        if os.geteuid() == 0:
            out = Path("/proc/grader-release")  # not writable even by root
        else:
            locked = tmp_path / "locked"
            locked.mkdir(mode=0o500)
            out = locked / "out"
    else:
        root = tmp_path / "repo"
        for folder in ("grader", "exercises", "solutions", "docs"):
            shutil.copytree(ROOT / folder, root / folder, ignore=shutil.ignore_patterns("__pycache__", "_build"))
        if case == "missing-reference":
            (root / "solutions" / "rnn.py").unlink()
        else:
            path = root / "solutions" / "pooling.py"
            text = path.read_text()
            text = re.sub(
                r"(def mean_pool_sequence\(x\):\n(?:.*\n)*?    ### BEGIN SOLUTION\n)",
                r"\1    raise RuntimeError('broken reference')\n",
                text,
                count=1,
            )
            path.write_text(text)
        python = fresh_python  # this copy's references and grader, not the editable install's
        out = tmp_path / "out"
    before = _listing(out.parent)
    done = _release(out, env=env, root=root, python=python)
    assert done.returncode == 2, done.stdout + done.stderr
    assert done.stderr.startswith("grader: error:") and done.stderr.count("\n") == 1, done.stderr
    assert "Traceback" not in done.stderr
    if case == "not-empty":
        assert sorted(p.name for p in out.iterdir()) == ["keep.txt"]
    elif before is not None:
        assert _listing(out.parent) == before  # nothing half-written
    if case == "missing-reference":
        assert "rnn" in done.stderr
    if case == "reference-fails":
        assert "mean_pool" in done.stderr or "pooling" in done.stderr
