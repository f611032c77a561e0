"""Oracles of ``diy_model``: torch's sigmoid, MSE loss and linear layer, and autograd."""

from __future__ import annotations

import numpy as np

from grader.oracles._shared import unchanged_inputs

__all__ = ["torch_sigmoid", "torch_mse", "torch_forward", "autograd_grad", "unchanged_inputs"]


def torch_sigmoid(inputs, ctx):
    import torch

    return torch.sigmoid(torch.from_numpy(np.asarray(inputs["x"], dtype=np.float64))).numpy()


def torch_mse(inputs, ctx):
    import torch
    import torch.nn.functional as F

    return float(F.mse_loss(torch.from_numpy(inputs["y_pred"]), torch.from_numpy(inputs["y_true"])))


def torch_forward(inputs, ctx):
    import torch

    w, x = torch.from_numpy(inputs["weight"]), torch.from_numpy(inputs["x"])
    return torch.sigmoid(torch.nn.functional.linear(x, w)).numpy()


def autograd_grad(inputs, ctx):
    import torch
    import torch.nn.functional as F

    w = torch.tensor(inputs["weight"], requires_grad=True)
    x, y = torch.from_numpy(inputs["x"]), torch.from_numpy(inputs["y_true"])
    F.mse_loss(torch.sigmoid(F.linear(x, w)), y).backward()
    return w.grad.numpy()
