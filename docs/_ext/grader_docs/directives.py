"""Directives that render the grader's metadata: checks, facts, hooks, toctree.

Every paragraph they make carries the page's source and line, so that the
gettext builder extracts it and the Chinese build translates it like
hand-written text.
"""

from __future__ import annotations

import functools
import inspect

from docutils import nodes
from docutils.statemachine import StringList
from sphinx.directives.other import TocTree
from sphinx.util.docutils import SphinxDirective

from grader_docs import pages


@functools.lru_cache(maxsize=1)
def _exercises():
    return pages.load_exercises()


def _points(value: float) -> str:
    return f"{value:g}"


class _MetadataDirective(SphinxDirective):
    """Helpers for directives whose text comes from Python objects."""

    def exercise(self):
        name = self.arguments[0]
        exercises = _exercises()
        if name not in exercises:
            raise self.error(f"unknown exercise {name!r} (known: {', '.join(exercises)})")
        return exercises[name]

    def tag(self, node):
        node.source, node.line = self.get_source_info()
        return node

    def fixed(self, node):
        """A node that reads the same in every language (names, numbers)."""
        node["translatable"] = False
        return self.tag(node)

    def paragraph(self, *parts) -> nodes.paragraph:
        """A paragraph of text and ``literal`` parts; its raw source is reStructuredText."""
        children, raw = [], []
        for part in parts:
            if isinstance(part, tuple):  # ("literal", text)
                children.append(nodes.literal(part[1], part[1]))
                raw.append(f"``{part[1]}``")
            else:
                children.append(nodes.Text(part))
                raw.append(part)
        return self.tag(nodes.paragraph("".join(raw), "", *children))


class GraderChecks(_MetadataDirective):
    """``.. grader-checks:: NAME``: a table of the exercise's checks."""

    required_arguments = 1

    def run(self):
        exercise = self.exercise()
        intro = self.paragraph(
            "Each check earns all its points when every one of its cases passes, and none otherwise. "
            "A failing check shows its hint in the report."
        )
        table = nodes.table(classes=["grader-checks"])
        group = nodes.tgroup(cols=3)
        table += group
        for width in (24, 12, 64):
            group += nodes.colspec(colwidth=width)
        head = nodes.thead()
        group += head
        head += self._row([self.paragraph("Check"), self.paragraph("Points"), self.paragraph("What it proves")])
        body = nodes.tbody()
        group += body
        for check in exercise.checks:
            name = [self.fixed(self.paragraph(("literal", check.name)))]
            kind = "source" if not hasattr(check, "probe") else "code"
            name.append(self.paragraph("reads your source" if kind == "source" else "runs your code"))
            proves = [self.paragraph("Function: ", ("literal", check.function))]
            if check.description:
                proves.append(self.paragraph(check.description))
            if check.hint:
                hint = self.paragraph("Hint: " + check.hint)
                hint.children[0] = nodes.Text(check.hint)
                hint.insert(0, nodes.strong("Hint: ", "Hint: "))
                proves.append(hint)
            body += self._row([name, [self.fixed(self.paragraph(_points(check.points)))], proves])
        total = self.paragraph(f"{len(exercise.checks)} checks, {_points(exercise.max_score)} points in all.")
        return [intro, table, total]

    def _row(self, cells):
        row = nodes.row()
        for content in cells:
            entry = nodes.entry()
            entry.extend(content if isinstance(content, list) else [content])
            row += entry
        return row


class ExerciseFacts(_MetadataDirective):
    """``.. grader-exercise-facts:: NAME``: framework, points, the grading command."""

    required_arguments = 1

    def run(self):
        exercise = self.exercise()
        where = "NumPy, on the CPU" if exercise.framework == "numpy" else "PyTorch, on the device chosen with --device"
        items = [
            self.paragraph("Runs with: " + where),
            self.paragraph(f"Worth: {_points(exercise.max_score)} points in {len(exercise.checks)} checks"),
            self.paragraph("Grade it: ", ("literal", f"tox -e grade -- {exercise.name}")),
            self.paragraph("Declared by the plugin ", ("literal", exercise.plugin)),
        ]
        bullets = nodes.bullet_list(classes=["grader-facts"])
        for paragraph in items:
            bullets += nodes.list_item("", paragraph)
        return [bullets]


class ExerciseToctree(TocTree):
    """``.. grader-exercise-toctree::``: the generated pages, in the registry's order."""

    def run(self):
        self.content = StringList(
            [f"{pages.GENERATED}/{name}" for name in _exercises()], source=self.get_source_info()[0]
        )
        return super().run()


class HookTable(_MetadataDirective):
    """``.. grader-hook-table::``: every hook in grader.hookspecs, linked to its section."""

    def run(self):
        from grader import hookspecs

        table = nodes.table(classes=["grader-hooks"])
        group = nodes.tgroup(cols=2)
        table += group
        for width in (35, 65):
            group += nodes.colspec(colwidth=width)
        head = nodes.thead()
        group += head
        head += self._row([self.paragraph("Hook"), self.paragraph("Called")])
        body = nodes.tbody()
        group += body
        hooks = [(n, f) for n, f in inspect.getmembers(hookspecs, inspect.isfunction) if n.startswith("grader_")]
        hooks.sort(key=lambda item: item[1].__code__.co_firstlineno)  # the order of grader/hookspecs.py
        for name, function in hooks:
            options = getattr(function, "grader_spec", None)  # pluggy's marker: <project>_spec
            firstresult = bool(options and options.get("firstresult"))
            ref = nodes.literal(name, name)
            xref = self._xref(name, ref)
            link = self.fixed(nodes.paragraph(f":func:`{name}`", "", xref))
            rule = "until one returns a result" if firstresult else "on every plugin that implements it"
            body += self._row([link, self.paragraph(rule)])
        return [table]

    def _xref(self, name, content):
        from sphinx.addnodes import pending_xref

        node = pending_xref(
            "", content, refdomain="py", reftype="func", reftarget=f"grader.hookspecs.{name}", refexplicit=False
        )
        return node

    def _row(self, cells):
        row = nodes.row()
        for content in cells:
            row += nodes.entry("", content)
        return row


def register(app) -> None:
    app.add_directive("grader-checks", GraderChecks)
    app.add_directive("grader-exercise-facts", ExerciseFacts)
    app.add_directive("grader-exercise-toctree", ExerciseToctree)
    app.add_directive("grader-hook-table", HookTable)
