"""Oracles of ``neural_basics``: the catalog's probes run on ``torch.nn.functional``'s own functions."""

from __future__ import annotations

from types import SimpleNamespace

from grader.catalog import neural_basics as catalog
from grader.oracles._shared import on_module

__all__ = [
    "torch_affine",
    "torch_relu",
    "torch_softmax",
    "torch_log_softmax",
    "torch_stable",
    "torch_nll",
    "torch_cross_entropy",
]


def _torch_functions():
    """torch's own versions, under the student's names: the oracles' 'module'."""
    import torch.nn.functional as F

    return SimpleNamespace(
        affine=F.linear,
        relu=F.relu,
        softmax=lambda x, dim=-1: F.softmax(x, dim=dim),
        log_softmax=lambda x, dim=-1: F.log_softmax(x, dim=dim),
        nll_loss=F.nll_loss,
        cross_entropy=F.cross_entropy,
    )


torch_affine = on_module(_torch_functions, catalog._affine, "torch_affine")
torch_relu = on_module(_torch_functions, catalog._relu, "torch_relu")
torch_softmax = on_module(_torch_functions, catalog._softmax, "torch_softmax")
torch_log_softmax = on_module(_torch_functions, catalog._log_softmax, "torch_log_softmax")
torch_stable = on_module(_torch_functions, catalog._stable, "torch_stable")
torch_nll = on_module(_torch_functions, catalog._nll, "torch_nll")
torch_cross_entropy = on_module(_torch_functions, catalog._cross_entropy, "torch_cross_entropy")
