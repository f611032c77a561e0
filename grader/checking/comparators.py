"""The built-in comparator, ``"values"``: structural comparison with tolerances."""

from __future__ import annotations

from grader import hookimpl
from grader.checking.values import mismatch


@hookimpl(trylast=True)
def grader_compare(check, case, expected, got):
    if check.compare != "values":
        return None
    message = mismatch(expected, got, check.rtol, check.atol)
    return True if message is None else message
