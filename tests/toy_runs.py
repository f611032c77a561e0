"""Toy submissions for the CI reporters' tests: a correct one and a hostile broken one.

The broken one loses points three ways (a wrong value, an exception, a hang)
and fills its messages and printed output with what a hostile student would:
control characters, characters XML cannot hold, Markdown table syntax and
text shaped like GitHub workflow commands.
"""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TOY = ROOT / "tests" / "plugins" / "toy_solutions"
PLUGINS = ["no:grader.reporters.terminal", "tests.plugins.toy"]

HOSTILE = "bad | cell <b>x</b> 100% ]]>\n::error file=forged.py,line=1::forged\r\n::add-mask::x \x00\x1b[2J\x07\x0b"

BROKEN_TOY_A = f'''"""A broken toy_a."""

import numpy as np


class Helper:
    def add_one(self):  # a decoy: a method, not the function under test
        return None


def add_one(x):
    print("student says \\x00\\x1b[2J\\x07 <b>&amp; ]]> \\ufffe | ::error::printed")
    return np.asarray(x, dtype=np.float64)


def total(x):
    raise ValueError({HOSTILE!r})
'''

BROKEN_TOY_B = '''"""A broken toy_b: double hangs on 1-D input."""

import numpy as np


def double(x):
    while x.ndim == 1:
        pass
    return np.asarray(x, dtype=np.float64) * 2.0
'''


def line_of(source: str, text: str) -> int:
    """1-based number of the only line of ``source`` that starts with ``text``."""
    lines = [i for i, line in enumerate(source.splitlines(), start=1) if line.startswith(text)]
    assert len(lines) == 1, (text, lines)
    return lines[0]


def write_submission(folder: Path, broken: bool) -> Path:
    """Write toy_a.py and toy_b.py, correct or broken, into ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    if broken:
        (folder / "toy_a.py").write_text(BROKEN_TOY_A, encoding="utf-8")
        (folder / "toy_b.py").write_text(BROKEN_TOY_B, encoding="utf-8")
    else:
        for name in ("toy_a.py", "toy_b.py"):
            (folder / name).write_text((TOY / name).read_text(encoding="utf-8"), encoding="utf-8")
    return folder


def grade_toys(folder: Path, broken: bool):
    """Grade a toy submission written into ``folder``; return the Report."""
    from grader.grading import grade
    from grader.manager import collect_exercises, get_plugin_manager

    pm = get_plugin_manager([*PLUGINS, "no:grader.reporters.github"])  # tests call it themselves
    exercises = collect_exercises(pm)
    write_submission(folder, broken)
    return grade(pm, [exercises["toy_a"], exercises["toy_b"]], folder, "cpu")
