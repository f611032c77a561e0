"""Oracles and oracle builders shared by several exercises."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from grader.exercise import Context


def unchanged_inputs(inputs: Mapping[str, Any], ctx: Context) -> dict:
    """Oracle for an in-place-modification check: the inputs as they were."""
    return dict(inputs)


def on_module(make_module: Callable[[], Any], probe: Callable, name: str) -> Callable:
    """An oracle running ``probe`` on ``make_module()`` instead of a student's module.

    ``make_module`` returns torch's own functions under the student's names
    (a ``SimpleNamespace``), so the probe proves "matches torch".

    Args:
        make_module: Builds the stand-in module, inside the reference process.
        probe: The check's probe.
        name: The oracle's name in its module, for tracebacks.
    """

    def oracle(inputs: Mapping[str, Any], ctx: Context) -> Any:
        return probe(make_module(), inputs, ctx)

    oracle.__name__ = oracle.__qualname__ = name
    return oracle
