"""Helpers for writing probes and oracles (they run in the graded processes).

A probe turns a case's plain inputs into the arguments the code under test
expects, calls it, and returns what should be compared, as plain data or as
tensors/arrays (converted by the grader). Keep probes small: the same probe
runs on the reference and on the student's module.

This module is imported where student code runs: it holds nothing that
computes an expected value (oracles live in their own modules, such as
``grader.oracles._shared.unchanged_inputs``).
"""

from __future__ import annotations

import copy
from typing import Any, Callable, Mapping

import numpy as np

from grader.exercise import Context

#: Preload for exercises that call ``backward`` with an explicit gradient:
#: torch then imports its symbolic-shapes machinery (and sympy), ~0.5 s.
AUTOGRAD = ("torch.fx.experimental.symbolic_shapes",)
#: Preload for exercises that build ``torch.optim`` optimizers: the first one
#: imports ``torch._dynamo``, ~1 s.
OPTIM = AUTOGRAD + ("torch.optim", "torch._dynamo")


def tensor(value: Any, ctx: Context, *, dtype: Any = None, requires_grad: bool = False):
    """A torch tensor on the grading device from plain data (float64 by default for floats)."""
    import torch

    array = np.asarray(value)
    if dtype is None:
        dtype = torch.float64 if array.dtype.kind == "f" else None
    t = torch.tensor(array, dtype=dtype, device=ctx.device)
    if requires_grad:
        t.requires_grad_(True)
    return t


def raised(fn: Callable, *args: Any, expected: type[BaseException] = ValueError, **kwargs: Any) -> str:
    """Call ``fn`` and name what happened, as a string to compare.

    Returns:
        ``expected.__name__`` if it raised that (or a subclass),
        ``"returned normally"`` if it returned, otherwise the name of the
        exception it raised instead. ``NotImplementedError`` propagates so
        that the report says "not attempted".
    """
    try:
        fn(*args, **kwargs)
    except NotImplementedError:
        raise
    except expected:
        return expected.__name__
    except Exception as exc:  # the wrong kind of error is a wrong answer
        return type(exc).__name__
    return "returned normally"


def copies(inputs: Mapping[str, Any]) -> dict:
    """Deep copies of the inputs, so a probe can hand out values it may check later."""
    return {key: copy.deepcopy(value) for key, value in inputs.items()}
