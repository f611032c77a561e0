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
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from grader.exercise import Context, Probe

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


def calls(function: str, *names: str) -> Probe:
    """A probe that calls ``module.<function>`` with the case's inputs ``names``, in order.

    ``calls("diy_mse_loss", "y_pred", "y_true")`` is the probe
    ``lambda module, inputs, ctx: module.diy_mse_loss(inputs["y_pred"], inputs["y_true"])``:
    it returns what the function returns.
    """

    def probe(module: Any, inputs: Mapping[str, Any], ctx: Context) -> Any:
        return getattr(module, function)(*(inputs[name] for name in names))

    probe.__name__ = probe.__qualname__ = f"calls_{function}"
    return probe


def on_copies(run: Callable[[Any, dict, Context], Any], hand_out: Callable[..., dict] | None = None) -> Probe:
    """The probe of a check that the code under test leaves its arguments unchanged.

    Args:
        run: ``run(module, given, ctx)`` calls the code under test with the
            values in ``given`` (errors propagate: the calls must run to
            completion).
        hand_out: ``hand_out(inputs, ctx)`` makes ``given`` from the case's
            inputs (:func:`tensors`, say); by default deep copies
            (:func:`copies`).

    Returns:
        A probe returning ``given`` as it is after ``run``, to compare
        exactly (``rtol=0``, ``atol=0``) with the inputs as they were.
    """

    def probe(module: Any, inputs: Mapping[str, Any], ctx: Context) -> dict:
        given = copies(inputs) if hand_out is None else hand_out(inputs, ctx)
        run(module, given, ctx)
        return given

    probe.__name__ = probe.__qualname__ = getattr(run, "__name__", "on_copies")
    return probe


def tensors(inputs: Mapping[str, Any], ctx: Context) -> dict:
    """Every input as a tensor on the grading device (see :func:`tensor`)."""
    return {key: tensor(value, ctx) for key, value in inputs.items()}


def arrays(value: Any) -> Any:
    """Tensors as NumPy arrays (detached, on the CPU), through dicts and lists."""
    if isinstance(value, dict):
        return {key: arrays(v) for key, v in value.items()}
    if isinstance(value, list):
        return [arrays(v) for v in value]
    return value.detach().cpu().numpy()


def backward(out: Any, upstream: Any, leaves: Any) -> list:
    """Backpropagate ``upstream`` from ``out``; the gradients of ``leaves``.

    Args:
        out: What the code under test returned.
        upstream: The gradient of ``out``, a tensor.
        leaves: The tensors (or parameters) whose gradients are wanted.

    Returns:
        One gradient per leaf. A wrong output (not a tensor, of another
        shape than ``upstream``, cut from the graph) is left for the
        comparison of the output to report: its gradients are ``None``.
    """
    import torch

    if isinstance(out, torch.Tensor) and out.requires_grad and out.shape == upstream.shape:
        out.backward(upstream)
        return [leaf.grad for leaf in leaves]
    return [None] * len(leaves)
