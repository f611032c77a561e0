"""What an instructor declares: an exercise's suite and its table of mistakes.

Plain frozen data, checked when it is built, so that a malformed table
fails at collection with a message that names the variant. A variant is the
reference with small edits: ``old`` text that occurs exactly once in the
reference, replaced by ``new``. Variants quote reference lines, so they
belong in the instructor's tests, never in anything shipped to students.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import AbstractSet  # noqa: UP035 (the docs resolve it; not collections.abc.Set)

Edit = tuple[str, str]
Rewrite = Callable[[str], str]

_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.+-]*$")


def _edits(where: str, old: str | None, new: str | None, edits: Iterable[Edit], rewrite: Rewrite | None) -> tuple:
    """The variant's edits as ``((old, new), ...)``; exactly one way of saying them."""
    given = [old is not None or new is not None, bool(edits), rewrite is not None]
    if sum(given) != 1:
        raise ValueError(f"{where}: give old and new, or edits=[(old, new), ...], or rewrite= (exactly one)")
    if rewrite is not None:
        if not callable(rewrite):
            raise TypeError(f"{where}: rewrite must be a function of the reference's text")
        return ()
    pairs = [(old, new)] if given[0] else list(edits)
    for pair in pairs:
        if not (isinstance(pair, tuple) and len(pair) == 2 and all(isinstance(text, str) for text in pair)):
            raise TypeError(f"{where}: every edit is a pair of strings (old, new), not {pair!r}")
        if not pair[0]:
            raise ValueError(f"{where}: the old text of an edit is empty")
        if pair[0] == pair[1]:
            raise ValueError(f"{where}: an edit replaces {pair[0]!r} with itself")
    return tuple(pairs)


def _identifier(kind: str, ident: str) -> str:
    if not isinstance(ident, str) or not _ID.match(ident):
        raise ValueError(f"{kind} id {ident!r}: use letters, digits and - _ . + (it names a test)")
    return ident


@dataclass(frozen=True)
class Broken:
    """A realistic mistake: the reference with an edit, and what the grader must say.

    Give the edit as ``old, new`` (one replacement), as ``edits=[(old, new),
    ...]`` (applied in order, each ``old`` found exactly once in the text so
    far) or, for a change no replacement can say, as ``rewrite=``, a function
    from the reference's text to the variant's.

    Attributes:
        id: Names the test, ``<exercise>::broken[<id>]``: say the mistake
            (``"softmax-wrong-dim"``).
        old: Text of the reference, found there exactly once.
        new: What replaces it.
        fails: The names of the checks the mistake must fail, all of them
            and no other.
        says: A phrase the feedback of those failing checks must contain
            (the input, the value or the hint that gives the mistake away).
        edits: Several ``(old, new)`` replacements, instead of ``old, new``.
        rewrite: ``rewrite(reference_text) -> variant_text``, instead of
            ``old, new``.
    """

    id: str
    old: str | None = None
    new: str | None = None
    fails: AbstractSet[str] = frozenset()
    says: str = ""
    edits: Sequence[Edit] = ()
    rewrite: Rewrite | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        where = f"broken variant {_identifier('broken variant', self.id)!r}"
        object.__setattr__(self, "edits", _edits(where, self.old, self.new, self.edits, self.rewrite))
        if isinstance(self.fails, str) or not all(isinstance(name, str) for name in self.fails) or not self.fails:
            raise ValueError(f"{where}: fails must be a non-empty set of check names")
        object.__setattr__(self, "fails", frozenset(self.fails))
        if not isinstance(self.says, str) or not self.says.strip():
            raise ValueError(f"{where}: says must be a phrase its feedback contains")

    def apply(self, reference: str) -> str:
        """The variant's source text, made from the reference's.

        Raises:
            ValueError: when an ``old`` text does not occur exactly once.
        """
        return _apply(f"broken variant {self.id!r}", self.edits, self.rewrite, reference)


@dataclass(frozen=True)
class Alternative:
    """A correct solution written differently from the reference: it scores full marks.

    Attributes:
        id: Names the test, ``<exercise>::alternative[<id>]``.
        old: Text of the reference, found there exactly once.
        new: What replaces it.
        edits: Several ``(old, new)`` replacements, instead of ``old, new``.
        rewrite: ``rewrite(reference_text) -> variant_text``, instead of
            ``old, new``.
    """

    id: str
    old: str | None = None
    new: str | None = None
    edits: Sequence[Edit] = ()
    rewrite: Rewrite | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        where = f"alternative {_identifier('alternative', self.id)!r}"
        object.__setattr__(self, "edits", _edits(where, self.old, self.new, self.edits, self.rewrite))

    def apply(self, reference: str) -> str:
        """The alternative's source text, made from the reference's.

        Raises:
            ValueError: when an ``old`` text does not occur exactly once.
        """
        return _apply(f"alternative {self.id!r}", self.edits, self.rewrite, reference)


def _apply(where: str, edits: tuple, rewrite: Rewrite | None, source: str) -> str:
    if rewrite is not None:
        text = rewrite(source)
        if not isinstance(text, str) or text == source:
            raise ValueError(f"{where}: its rewrite must return the changed text of the reference")
        return text
    for number, (old, new) in enumerate(edits, start=1):
        count = source.count(old)
        if count != 1:
            edit = f"edit {number}'s old text" if len(edits) > 1 else "its old text"
            raise ValueError(f"{where}: {edit} occurs {count} times in the reference, not once: {old!r}")
        source = source.replace(old, new)
    return source


@dataclass(frozen=True)
class Suite:
    """An exercise's standard tests, declared at the top level of a test module.

    pytest collects from it, as ``<exercise>::<test>``:

    * ``reference``: the reference scores full marks;
    * ``stub``: the student's stub scores zero, every check "not attempted";
    * ``broken[<id>]``, one per :class:`Broken`: the variant fails exactly
      the checks it declares, and their feedback contains its phrase and
      names the student function each failing check is about;
    * ``alternative[<id>]``, one per :class:`Alternative`: full marks.

    Attributes:
        exercise: The exercise's name, as its plugin declares it.
        broken: The table of realistic mistakes.
        alternatives: Correct solutions that differ from the reference.
        max_score: When given, the reference's score must be exactly this
            (a change of points then shows in review).
    """

    exercise: str
    broken: Sequence[Broken] = ()
    alternatives: Sequence[Alternative] = ()
    max_score: float | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.exercise, str) or not self.exercise:
            raise ValueError("Suite: exercise must be the name of an exercise")
        object.__setattr__(self, "broken", tuple(self.broken))
        object.__setattr__(self, "alternatives", tuple(self.alternatives))
        for kind, items, cls in (("broken", self.broken, Broken), ("alternatives", self.alternatives, Alternative)):
            wrong = [item for item in items if not isinstance(item, cls)]
            if wrong:
                raise TypeError(f"Suite {self.exercise!r}: {kind} holds {type(wrong[0]).__name__}, not {cls.__name__}")
            ids = [item.id for item in items]
            twice = sorted({ident for ident in ids if ids.count(ident) > 1})
            if twice:
                raise ValueError(f"Suite {self.exercise!r}: two {kind} entries are called {twice[0]!r}")
