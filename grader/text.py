"""Make text that came from a submission safe to put in a report.

Anything a submission controls (the values it returns, its exceptions'
messages, what it prints, the name of its folder) may be huge, or may hold
control characters that move a terminal's cursor, recolour it, erase lines or
reorder them. :func:`bound` is the one gate such text goes through before a
report shows it; :func:`quote` does the same for a value quoted in a message.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

#: How much of a message, or of a submission's printed output, a report shows.
REPORT_LIMIT = 5000
#: Shown where a hidden folder's path appeared.
HIDDEN = "<hidden folder>"


def bound(text: str, limit: int = 200, *, newlines: bool = False) -> str:
    """At most ``limit`` characters of ``text``, with unprintable characters escaped.

    A longer text is cut, and the cut is marked with its original length:
    ``'abc... [1234567 characters]'``. Every character that is not printable
    (control characters such as ESC and carriage return, format characters
    such as right-to-left overrides, line separators, lone surrogates) is
    written as a Python escape (``\\x1b``, ``\\u202e``). Tabs are kept, and so
    are newlines when ``newlines`` is true (the reporter then indents each
    line); otherwise a newline becomes ``\\n`` and the text stays on one line.

    Args:
        text: Text from a submission (anything else is converted with ``str``).
        limit: The most characters of ``text`` to keep (escapes make the
            result longer, by at most a factor of ten).
        newlines: Whether to keep line breaks.
    """
    if type(text) is not str:
        text = str(text)
    head = text[:limit]
    if not head.isprintable():
        keep = "\t\n" if newlines else "\t"
        head = "".join(c if c.isprintable() or c in keep else _escape(c) for c in head)
    if len(text) > limit:
        head += f"... [{len(text)} characters]"
    return head


def utf8(text: str) -> str:
    """``text`` that UTF-8 can always encode: lone surrogates (from a submission) become ``\\udXXX``."""
    try:
        text.encode("utf-8")
        return text
    except UnicodeEncodeError:
        return text.encode("utf-8", "backslashreplace").decode("utf-8")


def quote(value: Any, limit: int = 80) -> str:
    """``repr(value)``, bounded like :func:`bound`, without building a huge repr first."""
    if isinstance(value, str) and len(value) > limit:
        return repr(value[:limit]) + f"... [{len(value)} characters]"
    return bound(repr(value), limit)


def redact(text: str, paths: Iterable[str]) -> str:
    """``text`` with every occurrence of one of ``paths`` replaced by :data:`HIDDEN`."""
    for path in sorted({p for p in paths if p and p != "/"}, key=len, reverse=True):
        if path in text:
            text = text.replace(path, HIDDEN)
    return text


_NAMED = {"\n": "\\n", "\r": "\\r"}


def _escape(char: str) -> str:
    if char in _NAMED:
        return _NAMED[char]
    code = ord(char)
    if code < 0x100:
        return f"\\x{code:02x}"
    if code < 0x10000:
        return f"\\u{code:04x}"
    return f"\\U{code:08x}"
