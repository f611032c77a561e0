"""Argument types the sub-commands share: numbers checked against a rule, one clear line when refused."""

from __future__ import annotations

import argparse
from collections.abc import Callable


def number(convert: Callable[[str], float], accepts: Callable[[float], bool], rule: str, kind: str = "a number"):
    """An ``argparse`` type: ``convert(text)``, refused unless ``accepts`` it.

    Args:
        convert: ``float`` or ``int``.
        accepts: Whether a converted value is allowed.
        rule: What an allowed value is, for the message (``"between 0 and 100"``).
        kind: What the text must be, for the message when it does not convert.
    """

    def parse(text: str):
        try:
            value = convert(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not {kind}: {text!r}") from None
        if not accepts(value):
            raise argparse.ArgumentTypeError(f"must be {rule}, not {text}")
        return value

    return parse


#: Seconds of a time limit.
seconds = number(float, lambda value: 0 < value < 1e6, "a positive number of seconds")
