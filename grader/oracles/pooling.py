"""Oracles of ``pooling``: what ``nn.AvgPool1d`` / ``nn.MaxPool1d`` produce, and the seed article's recipe."""

from __future__ import annotations

from types import SimpleNamespace

from grader.catalog.pooling import _key, _masked, _pool_probe
from grader.oracles._shared import on_module

__all__ = ["torch_lengths", "torch_rejections", "torch_mean_pool", "torch_max_pool", "torch_size_one", "torch_masked"]


def torch_lengths(inputs, ctx):
    """The output length both pooling layers give each setting, or ``"ValueError"`` if they reject it."""
    import torch
    from torch import nn

    def length(setting):
        size, kernel_size, stride, padding, ceil_mode = setting
        outcomes = set()
        for layer in (nn.AvgPool1d, nn.MaxPool1d):
            try:
                pool = layer(kernel_size, stride=stride, padding=padding, ceil_mode=ceil_mode)
                outcomes.add(int(pool(torch.zeros(1, 1, size)).shape[-1]))
            except Exception:  # torch rejects the setting (RuntimeError, ValueError, ...)
                outcomes.add("ValueError")
        if len(outcomes) != 1:
            raise AssertionError(f"AvgPool1d and MaxPool1d disagree on {_key(setting)}: {outcomes}")
        return outcomes.pop()

    return {_key(s): length(s) for s in inputs["settings"]}


def torch_rejections(inputs, ctx):
    """As the probe ``_rejections``: lengths for invalid settings, "returned a value" for valid ones."""
    lengths = torch_lengths(inputs, ctx)
    if not inputs.get("valid"):
        return lengths
    return {
        key: "returned a value" if isinstance(v, int) else f"raised {v} on a valid input" for key, v in lengths.items()
    }


def _torch_pools():
    """The seed article's recipe, under the student's names: the oracles' 'module'."""
    from torch import nn

    def pool(layer):
        return lambda x: layer(x.shape[1])(x.transpose(1, 2)).squeeze(-1)

    def masked(x, lengths):
        import torch

        return torch.stack([x[b, : int(n)].mean(dim=0) for b, n in enumerate(lengths)])

    return SimpleNamespace(
        mean_pool_sequence=pool(nn.AvgPool1d),
        max_pool_sequence=pool(nn.MaxPool1d),
        masked_mean_pool=masked,
    )


torch_mean_pool = on_module(_torch_pools, _pool_probe("mean_pool_sequence"), "torch_mean_pool")
torch_max_pool = on_module(_torch_pools, _pool_probe("max_pool_sequence"), "torch_max_pool")
torch_size_one = on_module(_torch_pools, _pool_probe(), "torch_size_one")
torch_masked = on_module(_torch_pools, _masked, "torch_masked")
