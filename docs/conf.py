"""Sphinx configuration for the grader's documentation.

Build with ``tox -e docs`` or, from the repository root,
``sphinx-build -W -b html docs docs/_build/html``. Autodoc imports the
grader and the student stubs in ``exercises/``; torch is installed in the
docs environment, so nothing is mocked.
"""

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

project = "torch-exercise-grader"
author = "The torch-exercise-grader authors"
copyright = "the torch-exercise-grader authors"
release = "0.1.0"
version = "0.1"

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.napoleon",
    "sphinx.ext.mathjax",
]

# Docstrings are Google style (``Args:``, ``Returns:``, ``Attributes:``).
napoleon_google_docstring = True
napoleon_numpy_docstring = False
napoleon_use_ivar = False
napoleon_attr_annotations = True

autodoc_member_order = "bysource"
autodoc_typehints = "signature"
autodoc_default_options = {"show-inheritance": False}

exclude_patterns = ["_build"]
templates_path: list[str] = []

html_theme = "alabaster"
html_title = "torch-exercise-grader"
html_static_path: list[str] = []
html_theme_options = {
    "description": "Hands-on PyTorch exercises with a sandboxed, plugin-based grader",
    "fixed_sidebar": True,
}
