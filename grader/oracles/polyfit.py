"""Oracles of ``polyfit``: torch's summed MSE loss and autograd's gradient."""

from __future__ import annotations

from grader.oracles._shared import unchanged_inputs

__all__ = ["torch_sse", "autograd_grad", "unchanged_inputs"]


def torch_sse(inputs, ctx):
    import torch
    import torch.nn.functional as F

    y_pred, y = torch.from_numpy(inputs["y_pred"]), torch.from_numpy(inputs["y"])
    return float(F.mse_loss(y_pred, y, reduction="sum"))


def autograd_grad(inputs, ctx):
    import torch

    coeffs = torch.tensor(inputs["coeffs"], dtype=torch.float64, requires_grad=True)
    x, y = torch.from_numpy(inputs["x"]), torch.from_numpy(inputs["y"])
    y_pred = coeffs[0] + coeffs[1] * x + coeffs[2] * x**2 + coeffs[3] * x**3
    (y_pred - y).pow(2).sum().backward()
    return coeffs.grad.numpy()
