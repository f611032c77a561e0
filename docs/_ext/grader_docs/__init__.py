"""Sphinx extension: the course pages come from the grader's own registry.

When the builder starts (``builder-inited``) the extension asks the grader's
plugin manager for every exercise, the built-in catalog and installed packs
alike, and

* writes one page per exercise, ``docs/course/<name>.rst`` (generated, not
  committed), from the exercise's metadata, its stub module
  ``exercises.<name>`` (autodoc) and, when present, the hand-written prose
  ``docs/exercises/<name>.rst``;
* draws the figures of :mod:`grader_docs.figures` (one module per exercise,
  ``figures/<name>.py``) into ``docs/_figures/`` by calling the reference
  solutions (only the pictures reach the pages, never the code).

It also provides the directives those pages use:

``.. grader-checks:: NAME``
    The checks of exercise ``NAME``: points, what each proves, its hint.
``.. grader-exercise-facts:: NAME``
    Framework, points, number of checks, and the command that grades it.
``.. grader-exercise-toctree::``
    A toctree of the generated pages, in the registry's order.
``.. grader-hook-table::``
    Every hook of :mod:`grader.hookspecs`, with its phase and calling rule.

and a language switch for the HTML pages (``language.html``).
"""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["setup"]


def _page_context(app, pagename, templatename, context, doctree):
    """Where this page lives in the other language's build (a sibling folder)."""
    here = app.config.language or "en"
    links = []
    for code, label in app.config.grader_languages:
        target = f"../{code}/{pagename}.html"
        relative = os.path.relpath(target, start=os.path.dirname(pagename) or ".")
        links.append({"code": code, "label": label, "url": relative, "current": code == here})
    context["grader_languages"] = links


def setup(app):
    from grader_docs import directives  # docutils and Sphinx only here: tests import pages and figures

    app.add_config_value("grader_languages", [("en", "English")], "html")
    app.connect("builder-inited", _generate)
    app.connect("html-page-context", _page_context)
    directives.register(app)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}


def _generate(app):
    from grader_docs import figures, pages

    srcdir = Path(app.srcdir)
    exercises = pages.load_exercises()
    pages.write_pages(srcdir, exercises)
    if app.builder.name not in ("gettext",):
        figures.draw_all(srcdir / "_figures", exercises)
