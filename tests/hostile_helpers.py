"""Shared helpers for hostile-submission tests that need a separate grader process."""

from __future__ import annotations

import json
import resource
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TOY_B = (ROOT / "tests/plugins/toy_solutions/toy_b.py").read_text()
#: The grader's address space is capped in these runs, so that a regression
#: fails the test with MemoryError instead of exhausting the test machine.
ADDRESS_SPACE = 2 * 2**30

_MEASURE = """
import json, resource, sys
from pathlib import Path
from grader.grading import grade
from grader.manager import collect_exercises, get_plugin_manager

pm = get_plugin_manager(["no:grader.reporters.terminal", "tests.plugins.toy"])
exercises = collect_exercises(pm)
report = grade(pm, [exercises["toy_a"], exercises["toy_b"]], Path(sys.argv[1]), "cpu")
print(json.dumps({
    "peak_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    "results": [[e.score, e.max_score, [c.message for c in e.checks]] for e in report.exercises],
}))
"""


def _cap_address_space() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (ADDRESS_SPACE, ADDRESS_SPACE))


def grade_measured(submission: Path, timeout: float = 180) -> dict:
    """Grade ``submission`` (toy_a, toy_b) in a fresh process; its peak RSS and results.

    Returns:
        ``{"peak_mib": float, "results": [[score, max_score, [messages]], ...]}``:
        the grading process's own peak resident memory (student processes
        not included).
    """
    done = subprocess.run(
        [sys.executable, "-c", _MEASURE, str(submission)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        preexec_fn=_cap_address_space,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def grade_cli(submission: Path, *options: str, cwd: Path = ROOT, env: dict | None = None, timeout: float = 180):
    """``python -m grader -p tests.plugins.toy run toy_a toy_b`` on ``submission``.

    Returns:
        ``(completed process, JSON report or None)``; stdout is the terminal report.
    """
    report = submission.parent / "report.json"
    report.unlink(missing_ok=True)
    command = [sys.executable, "-m", "grader", "-p", "tests.plugins.toy", "run", "toy_a", "toy_b"]
    command += ["--submission", str(submission), "--json", str(report), "--device", "cpu", *options]
    done = subprocess.run(
        command,
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        preexec_fn=_cap_address_space,
    )
    data = json.loads(report.read_text()) if report.is_file() else None
    return done, data
