"""What a student's process did with one case, as plain data.

The process layer produces these; the checking layer judges them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Outcome:
    """What happened to one case in the student's process.

    Attributes:
        kind: ``"value"``, ``"raised"``, ``"timeout"`` or ``"crashed"``.
        value: For ``"value"``: the plain value returned or, when the
            caller passed a ``judge``, the verdict on it (the value itself is
            dropped as soon as it has been judged).
        error: For ``"raised"``: ``{"type", "message", "trace"}``.
        message: For ``"timeout"`` and ``"crashed"``: what happened.
    """

    kind: str
    value: Any = None
    error: Any = None
    message: str = ""
