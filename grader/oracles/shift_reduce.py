"""Oracles of ``shift_reduce``: the TreeLSTM formula written in torch, and one sentence at a time."""

from __future__ import annotations

from grader.catalog.shift_reduce import _backward, _batch_reduce, _layout, _parameter_names, _tree_lstm_args
from grader.probing import tensor

__all__ = ["formula_values", "formula_grads", "one_at_a_time", "expected_calls", "original"]


def _formula(weights, left, right, tracking):
    """The TreeLSTM composition written out in torch, from the weight tensors."""
    import torch

    (h_l, c_l), (h_r, c_r) = left, right
    z = h_l @ weights["left.weight"].T + weights["left.bias"] + h_r @ weights["right.weight"].T
    if tracking is not None:
        z = z + tracking[0] @ weights["track.weight"].T
    a, i, f1, f2, o = z.chunk(5, dim=1)
    c = torch.tanh(a) * torch.sigmoid(i) + torch.sigmoid(f1) * c_l + torch.sigmoid(f2) * c_r
    return torch.sigmoid(o) * torch.tanh(c), c


def formula_values(inputs, ctx):
    weights = {name: tensor(inputs[name], ctx) for name in _parameter_names(inputs)}
    h, c = _formula(weights, *_tree_lstm_args(inputs, ctx))
    return {**_layout(weights), "c": c, "h": h}


def formula_grads(inputs, ctx):
    weights = {name: tensor(inputs[name], ctx, requires_grad=True) for name in _parameter_names(inputs)}
    left, right, tracking = _tree_lstm_args(inputs, ctx, requires_grad=True)
    h, c = _formula(weights, left, right, tracking)
    return _backward(h, c, inputs, ctx, left, right, tracking, weights)


def one_at_a_time(inputs, ctx):
    """Oracle: run each sentence alone, one reduce call per reduction on single rows."""
    import torch

    reduce = _batch_reduce(inputs, ctx)
    finals = []
    for buffer, ops in zip(inputs["buffers"], inputs["transitions"]):
        rows = list(tensor(buffer, ctx).split(1))
        stack = []
        for op in ops:
            if op == "S":
                stack.append(rows.pop(0))
            else:
                right, left = stack.pop(), stack.pop()
                stack.append(reduce(left, right))
        finals.append(stack[0])
    return torch.cat(finals)


def expected_calls(inputs, ctx):
    return {
        "at most one reduce call per step": True,
        "rows passed to reduce in all": sum(list(ops).count("R") for ops in inputs["transitions"]),
        "calls with no rows": 0,
        "calls whose arguments are not two (k, D) tensors": 0,
    }


def original(inputs, ctx):
    buffer, transitions = list(inputs["buffer"]), list(inputs["transitions"])
    return {
        "shift_reduce: buffer": buffer,
        "shift_reduce: transitions": transitions,
        "shift_reduce_tracked: buffer": buffer,
        "shift_reduce_tracked: transitions": transitions,
        "batched_shift_reduce: buffers": list(inputs["buffers"]),
        "batched_shift_reduce: transitions": [list(ops) for ops in inputs["batch_transitions"]],
    }
