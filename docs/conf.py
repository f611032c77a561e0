"""Sphinx configuration for the course and the grader's documentation.

Build both languages, the doctests and the link check with ``tox -e docs``
(which runs ``python docs/build.py``). One language by hand, from the
repository root::

    sphinx-build -W --keep-going -n -b html docs docs/_build/html/en
    sphinx-build -W --keep-going -n -b html -D language=zh_CN docs docs/_build/html/zh_CN

Autodoc imports the grader and the student stubs in ``exercises/``; torch is
installed in the docs environment, so nothing is mocked. The local
extension ``docs/_ext/grader_docs`` writes one page per exercise from the
grader's registry and draws the figures from the reference solutions when the
builder starts (see ``docs/instructors/docs.rst``). Nothing is fetched from
the network: MathJax comes from the ``sphinx-mathjax-offline`` package and the
intersphinx inventories from ``docs/_intersphinx/``.
"""

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(HERE / "_ext"))

project = "torch-exercise-grader"
author = "The torch-exercise-grader authors"
copyright = "the torch-exercise-grader authors"
release = "0.1.0"
version = "0.1"

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.napoleon",
    "sphinx.ext.mathjax",
    "sphinx.ext.doctest",
    "sphinx.ext.intersphinx",
    "sphinx_copybutton",
    "sphinx-mathjax-offline",
    "grader_docs",
]

# --- content ------------------------------------------------------------------

root_doc = "index"
exclude_patterns = [
    "_build",
    "_intersphinx",
    "locale",
    "exercises/*.rst",  # per-exercise prose, included by the generated pages
    "**/_*.rst",
]
templates_path = ["_templates"]
nitpicky = True
# Hints and case labels are code-like ("x[...] = 0", "x's device"): no curly quotes or ellipses.
smartquotes = False
# Names that type hints and docstrings use but no inventory defines.
nitpick_ignore = [
    ("py:class", "argparse._SubParsersAction"),
    ("py:class", "numpy.random.Generator"),
    ("py:class", "Framework"),
    ("py:class", "Probe"),
    ("py:class", "Oracle"),
    ("py:class", "CaseFactory"),
    ("py:class", "AnyCheck"),
    ("py:class", "pluggy.PluginManager"),
    ("py:class", "pluggy._manager.PluginManager"),
    ("py:class", "Report"),
    ("py:class", "ExerciseResult"),
    ("py:class", "Session"),
    ("py:class", "Case"),
    ("py:class", "Check"),
    ("py:class", "Exercise"),
    ("py:class", "optional"),
    # Re-exported by the package ``grader``; documented under grader.exercise.
    ("py:class", "grader.Exercise"),
]

# Docstrings are Google style (``Args:``, ``Returns:``, ``Attributes:``).
napoleon_google_docstring = True
napoleon_numpy_docstring = False
napoleon_use_ivar = False
napoleon_attr_annotations = True

autodoc_member_order = "bysource"
autodoc_typehints = "signature"
autodoc_default_options = {"show-inheritance": False}

# Doctests run against the reference solutions (imported in hidden
# ``testsetup`` blocks) and torch itself; the pages show only the calls.
doctest_global_setup = """
import numpy as np
import torch
torch.set_num_threads(1)
np.set_printoptions(precision=4, suppress=True)
torch.set_printoptions(precision=4)
"""
doctest_test_doctest_blocks = ""

# --- offline cross-references ---------------------------------------------------

# Links point at the projects' online documentation, but the inventories that
# say which names exist are small files made by docs/_intersphinx/make.py and
# committed, so a build never needs the network.
intersphinx_mapping = {
    "python": ("https://docs.python.org/3", str(HERE / "_intersphinx" / "python.inv")),
    "numpy": ("https://numpy.org/doc/stable", str(HERE / "_intersphinx" / "numpy.inv")),
    "torch": ("https://docs.pytorch.org/docs/stable", str(HERE / "_intersphinx" / "torch.inv")),
}
intersphinx_timeout = 1

# --- languages -------------------------------------------------------------------

language = "en"
locale_dirs = ["locale/"]
gettext_compact = False
gettext_uuid = False
gettext_location = False
gettext_last_translator = "the torch-exercise-grader authors"
#: The builds published side by side, as docs/_build/html/<code>/.
grader_languages = [("en", "English"), ("zh_CN", "简体中文")]

# --- HTML ------------------------------------------------------------------------

html_theme = "furo"
html_title = "torch-exercise-grader"
html_static_path = ["_static"]
html_css_files = ["grader.css"]
html_last_updated_fmt = None
html_copy_source = False
html_show_sourcelink = False
html_sidebars = {
    "**": [
        "sidebar/brand.html",
        "sidebar/search.html",
        "language.html",
        "sidebar/scroll-start.html",
        "sidebar/navigation.html",
        "sidebar/scroll-end.html",
    ]
}
# MathJax is served from _static/mathjax by sphinx-mathjax-offline.
mathjax_path = "mathjax/tex-chtml.js"
copybutton_prompt_text = r">>> |\.\.\. |\$ "
copybutton_prompt_is_regexp = True
