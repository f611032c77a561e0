"""Oracles of ``optim``: ``torch.optim.Adam`` and ``torch.optim.SGD`` on a float64 parameter."""

from __future__ import annotations

import numpy as np

from grader.catalog.optim import _interleaved, _trajectory
from grader.oracles._shared import unchanged_inputs

__all__ = ["torch_adam", "torch_sgd", "torch_separate", "unchanged_inputs"]


class _TorchOptimizer:
    """One ``torch.optim`` optimizer on one float64 parameter, with ``step(grad, weight)``.

    ``weight`` is ignored: the parameter holds torch's own weight.
    """

    def __init__(self, kind: str, weight: np.ndarray, settings: dict) -> None:
        import torch

        self.torch = torch
        self.param = torch.tensor(np.asarray(weight, dtype=np.float64), requires_grad=True)
        self.optimizer = getattr(torch.optim, kind)([self.param], **settings)

    def step(self, grad, weight):
        self.param.grad = self.torch.tensor(np.asarray(grad, dtype=np.float64))
        self.optimizer.step()
        return self.param.detach().numpy().copy()


def torch_adam(inputs, ctx):
    optimizer = _TorchOptimizer("Adam", inputs["weight"], inputs["settings"])
    return _trajectory(optimizer, inputs["weight"], inputs["grads"])


def torch_sgd(inputs, ctx):
    optimizer = _TorchOptimizer("SGD", inputs["weight"], inputs["settings"])
    return _trajectory(optimizer, inputs["weight"], inputs["grads"])


def torch_separate(inputs, ctx):
    def make(run):
        return _TorchOptimizer(run["kind"], run["weight"], run["settings"])

    return _interleaved(make, inputs["runs"])
