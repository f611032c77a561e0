"""A torch zygote started before the grader knows what it grades.

Importing torch in the torch zygote is a grading run's critical path, and a
``python -m grader run`` spends its first tenth of a second or more loading
plugins before it can say what the zygote should load. :func:`start` launches
the torch zygote first thing (it imports torch meanwhile and then waits for
its boot message); the grader :func:`take`-s it when it needs a torch zygote
with the same label, and :func:`discard` stops it otherwise (a numpy-only
run, a usage error).
"""

from __future__ import annotations

from grader.process.zygote import Zygote

#: The zygote started ahead, until taken or discarded.
_waiting: list[Zygote] = []


def start(label: str) -> None:
    """Start a torch zygote labelled ``label`` (the submission it will serve), unless one waits already."""
    if not _waiting:
        _waiting.append(Zygote("torch", label=label))


def take(flavour: str, label: str) -> Zygote | None:
    """The zygote started ahead, if it is of this flavour and label (it is then no longer waiting)."""
    for zygote in _waiting:
        if zygote.flavour == flavour and zygote.label == label:
            _waiting.remove(zygote)
            return zygote
    return None


def discard() -> None:
    """Stop the zygote started ahead, if nobody took it."""
    while _waiting:
        _waiting.pop().close()
