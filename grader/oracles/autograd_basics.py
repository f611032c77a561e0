"""Oracles of ``autograd_basics``: plain gradient descent in numpy, and autograd on the P3 formula."""

from __future__ import annotations

import numpy as np

from grader.catalog.autograd_basics import NODE, _input_of
from grader.probing import tensor, tensors

__all__ = ["numpy_descent", "torch_forward", "autograd_backward", "passes", "tensors_as_given"]


def _p3(x):
    return 0.5 * (5 * x**3 - 3 * x)


def numpy_descent(inputs, ctx):
    """polyfit.fit's gradient descent in plain numpy: what autograd must reproduce."""
    import torch

    x, y = inputs["x"], inputs["y"]
    coeffs = np.array(inputs["coeffs0"], dtype=np.float64)
    losses = []
    for _ in range(inputs["steps"]):
        residual = coeffs[0] + coeffs[1] * x + coeffs[2] * x**2 + coeffs[3] * x**3 - y
        losses.append(float(np.sum(residual**2)))
        g = 2.0 * residual
        coeffs = coeffs - inputs["lr"] * np.array([g.sum(), (g * x).sum(), (g * x**2).sum(), (g * x**3).sum()])
    return {"coeffs": torch.tensor(coeffs, dtype=torch.float64, device=ctx.device), "losses": np.array(losses)}


def torch_forward(inputs, ctx):
    return _p3(tensor(inputs["x"], ctx))


def autograd_backward(inputs, ctx):
    x = tensor(inputs["x"], ctx, requires_grad=True)
    _p3(_input_of(x, inputs)).backward(tensor(inputs["grad_out"], ctx))
    return {"x.grad": x.grad, NODE: True}


def passes(inputs, ctx):
    return True


def tensors_as_given(inputs, ctx):
    return tensors(inputs, ctx)
