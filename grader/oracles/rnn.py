"""Oracles of ``rnn``: ``nn.RNN`` / ``nn.GRU`` built from the cell's weights, gradients included."""

from __future__ import annotations

from grader.catalog.rnn import _WEIGHTS, _copy_weights, _grads, _upstream
from grader.probing import tensor

__all__ = ["torch_outputs", "torch_last", "torch_run_grad", "torch_encode", "torch_encode_grad", "original"]


def _torch_rnn(spec: dict, ctx):
    """The oracle's network: ``nn.RNN`` / ``nn.GRU`` with the cell's weights."""
    from torch import nn

    hidden, in_size = spec["weight_hh"].shape[1], spec["weight_ih"].shape[1]
    if spec["kind"] == "gru":
        rnn = nn.GRU(in_size, hidden)
    else:
        rnn = nn.RNN(in_size, hidden, nonlinearity=spec["kind"])
    _copy_weights(rnn, spec, ctx, suffix="_l0")
    return rnn


def _torch_run(inputs, ctx):
    rnn = _torch_rnn(inputs["cell"], ctx)
    outputs, h_n = rnn(tensor(inputs["inputs"], ctx), tensor(inputs["h0"], ctx).unsqueeze(0))
    return outputs, h_n[0]


def torch_outputs(inputs, ctx):
    return _torch_run(inputs, ctx)[0]


def torch_last(inputs, ctx):
    return _torch_run(inputs, ctx)[1]


def torch_run_grad(inputs, ctx):
    rnn = _torch_rnn(inputs["cell"], ctx)
    x = tensor(inputs["inputs"], ctx, requires_grad=True)
    h0 = tensor(inputs["h0"], ctx, requires_grad=True)
    outputs, h_n = rnn(x, h0.unsqueeze(0))
    _upstream(outputs, h_n[0], inputs, ctx).backward()
    return _grads(x, h0, {name: getattr(rnn, name + "_l0") for name in _WEIGHTS})


def _torch_encode_alone(rnn, sequences, h0, hidden, ctx):
    """Run ``nn.RNN`` on each sequence alone and stack the final states."""
    import torch

    if h0 is None:
        h0 = torch.zeros(len(sequences), hidden, dtype=torch.float64, device=ctx.device)
    finals = []
    for i, seq in enumerate(sequences):
        _, h_n = rnn(seq.unsqueeze(1), h0[i].view(1, 1, -1))
        finals.append(h_n[0, 0])
    return torch.stack(finals)


def torch_encode(inputs, ctx):
    spec = inputs["cell"]
    sequences = [tensor(s, ctx) for s in inputs["sequences"]]
    h0 = None if inputs["h0"] is None else tensor(inputs["h0"], ctx)
    return _torch_encode_alone(_torch_rnn(spec, ctx), sequences, h0, spec["weight_hh"].shape[1], ctx)


def torch_encode_grad(inputs, ctx):
    spec = inputs["cell"]
    rnn = _torch_rnn(spec, ctx)
    sequences = [tensor(s, ctx, requires_grad=True) for s in inputs["sequences"]]
    h0 = None if inputs["h0"] is None else tensor(inputs["h0"], ctx, requires_grad=True)
    encoded = _torch_encode_alone(rnn, sequences, h0, spec["weight_hh"].shape[1], ctx)
    (encoded * tensor(inputs["grad"], ctx)).sum().backward()
    grads = {"sequences": [s.grad for s in sequences], "h0": None if h0 is None else h0.grad}
    grads.update({name: getattr(rnn, name + "_l0").grad for name in _WEIGHTS})
    return grads


def original(inputs, ctx):
    return {key: inputs[key] for key in ("inputs", "h0", "sequences", "h0_sequences")}
