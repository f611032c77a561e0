"""The reference process finds ``solutions/`` from any working folder (``python -I -m grader`` included)."""

from __future__ import annotations

import sys
from pathlib import Path

from grader.process.expected import checkout_root, reference_spec

ROOT = Path(__file__).resolve().parents[2]


def test_checkout_root_is_the_folder_that_holds_grader_and_solutions():
    assert checkout_root() == ROOT
    assert (checkout_root() / "grader" / "__init__.py").is_file()
    assert (checkout_root() / "solutions" / "pooling.py").is_file()


def test_references_are_found_without_the_checkout_on_the_import_path(monkeypatch):
    # Under `python -I` (nbgrader's test cells run the grader so) neither the working folder nor
    # the checkout is on sys.path; the checkout must still be found from the package's own place.
    outside = [p for p in sys.path if p not in ("", ".") and Path(p or ".").resolve() != ROOT]
    monkeypatch.setattr(sys, "path", outside)
    for name in [m for m in sys.modules if m == "solutions" or m.startswith("solutions.")]:
        monkeypatch.delitem(sys.modules, name)
    spec = reference_spec("solutions.pooling")
    assert spec is not None and Path(spec.origin) == ROOT / "solutions" / "pooling.py"
    assert str(ROOT) not in sys.path  # restored after the look-up
