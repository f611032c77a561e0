"""Exercise ``rnn``: a recurrent network as a Python loop over a cell.

Every cell is built inside the probe from weight arrays (an ``nn.RNNCell``
with tanh or relu, or an ``nn.GRUCell`` to make sure the student's loop only
calls the cell). The oracles (``grader.oracles.rnn``) build ``nn.RNN`` /
``nn.GRU`` from the same arrays, so "matches torch" is checked against torch
itself, gradients included.
"""

from __future__ import annotations

import numpy as np

from grader import Case, Check, hookimpl
from grader.catalog._rubric import exercise, inputs_unchanged, source_check
from grader.checking.forbidden import forbid
from grader.probing import arrays, tensor

# --- cells --------------------------------------------------------------------


def _cell_spec(rng: np.random.Generator, in_size: int, hidden: int, kind: str = "tanh") -> dict:
    """Weights of a cell as arrays: ``kind`` is ``"tanh"``, ``"relu"`` or ``"gru"``."""
    gates = 3 if kind == "gru" else 1
    scale = 0.6
    return {
        "kind": kind,
        "weight_ih": rng.normal(scale=scale, size=(gates * hidden, in_size)),
        "weight_hh": rng.normal(scale=scale, size=(gates * hidden, hidden)),
        "bias_ih": rng.normal(scale=scale, size=gates * hidden),
        "bias_hh": rng.normal(scale=scale, size=gates * hidden),
    }


_WEIGHTS = ("weight_ih", "weight_hh", "bias_ih", "bias_hh")


def _copy_weights(module, spec: dict, ctx, suffix: str = "") -> None:
    import torch

    module.to(device=ctx.device, dtype=torch.float64)
    with torch.no_grad():
        for name in _WEIGHTS:
            getattr(module, name + suffix).copy_(tensor(spec[name], ctx))


def _cell(spec: dict, ctx):
    """The cell handed to the student: ``nn.RNNCell`` or ``nn.GRUCell``."""
    from torch import nn

    hidden, in_size = spec["weight_hh"].shape[1], spec["weight_ih"].shape[1]
    if spec["kind"] == "gru":
        cell = nn.GRUCell(in_size, hidden)
    else:
        cell = nn.RNNCell(in_size, hidden, nonlinearity=spec["kind"])
    _copy_weights(cell, spec, ctx)
    return cell


# --- run_rnn ------------------------------------------------------------------


def _run_cases(rng: np.random.Generator) -> list[Case]:
    def case(label, kind, in_size, hidden, steps, batch):
        return Case(
            label,
            {
                "cell": _cell_spec(rng, in_size, hidden, kind),
                "inputs": rng.normal(size=(steps, batch, in_size)),
                "h0": rng.normal(scale=0.5, size=(batch, hidden)),
                "grad_outputs": rng.normal(size=(steps, batch, hidden)),
                "grad_last": rng.normal(size=(batch, hidden)),
            },
        )

    return [
        case("tanh RNNCell, in=3, H=5, inputs (4, 2, 3)", "tanh", 3, 5, 4, 2),
        case("relu RNNCell, in=4, H=2, inputs (6, 3, 4)", "relu", 4, 2, 6, 3),
        case("a batch of one: tanh RNNCell, in=2, H=3, inputs (5, 1, 2)", "tanh", 2, 3, 5, 1),
        case("a single step: relu RNNCell, in=3, H=4, inputs (1, 3, 3)", "relu", 3, 4, 1, 3),
        case("sizes of one: tanh RNNCell, in=1, H=1, inputs (3, 2, 1)", "tanh", 1, 1, 3, 2),
        case("a GRUCell (call the cell, do not rewrite it), in=3, H=4, inputs (3, 2, 3)", "gru", 3, 4, 3, 2),
    ]


def _run(module, inputs, ctx):
    cell = _cell(inputs["cell"], ctx)
    return module.run_rnn(cell, tensor(inputs["inputs"], ctx), tensor(inputs["h0"], ctx))


def _run_outputs(module, inputs, ctx):
    outputs, _ = _run(module, inputs, ctx)
    return outputs


def _run_last(module, inputs, ctx):
    _, h_last = _run(module, inputs, ctx)
    return h_last


def _grads(x, h0, weights) -> dict:
    grads = {"inputs": x.grad, "h0": h0.grad}
    grads.update({name: weight.grad for name, weight in weights.items()})
    return grads


def _upstream(outputs, h_last, inputs, ctx):
    """A scalar whose gradient with respect to (outputs, h_last) is the case's upstream gradients."""
    grad_outputs, grad_last = tensor(inputs["grad_outputs"], ctx), tensor(inputs["grad_last"], ctx)
    return (outputs * grad_outputs).sum() + (h_last * grad_last).sum()


def _run_grad(module, inputs, ctx):
    cell = _cell(inputs["cell"], ctx)
    x = tensor(inputs["inputs"], ctx, requires_grad=True)
    h0 = tensor(inputs["h0"], ctx, requires_grad=True)
    outputs, h_last = module.run_rnn(cell, x, h0)
    _upstream(outputs, h_last, inputs, ctx).backward()
    return _grads(x, h0, {name: getattr(cell, name) for name in _WEIGHTS})


# --- encode_sequences ---------------------------------------------------------


def _encode_case(rng, label, kind, in_size, hidden, lengths, with_h0=True) -> Case:
    batch = len(lengths)
    return Case(
        label,
        {
            "cell": _cell_spec(rng, in_size, hidden, kind),
            "sequences": [rng.normal(size=(n, in_size)) for n in lengths],
            "h0": rng.normal(scale=0.5, size=(batch, hidden)) if with_h0 else None,
            "grad": rng.normal(size=(batch, hidden)),
        },
    )


def _encode_cases(rng: np.random.Generator) -> list[Case]:
    def case(label, kind, in_size, hidden, lengths):
        return _encode_case(rng, label, kind, in_size, hidden, lengths)

    return [
        case("tanh RNNCell, in=3, H=4, 3 sequences of lengths 5, 2, 4", "tanh", 3, 4, [5, 2, 4]),
        case("relu RNNCell, in=2, H=3, lengths 1, 6, 3, 1", "relu", 2, 3, [1, 6, 3, 1]),
        case("a batch of one: tanh RNNCell, in=4, H=2, length 4", "tanh", 4, 2, [4]),
        case("every sequence of length 1: relu RNNCell, in=3, H=3, lengths 1, 1, 1", "relu", 3, 3, [1, 1, 1]),
        case("equal lengths: tanh RNNCell, in=2, H=5, lengths 3, 3", "tanh", 2, 5, [3, 3]),
        case("a GRUCell, in=3, H=4, lengths 2, 7, 4", "gru", 3, 4, [2, 7, 4]),
    ]


def _default_h0_cases(rng: np.random.Generator) -> list[Case]:
    def case(label, kind, in_size, hidden, lengths):
        return _encode_case(rng, "h0=None, " + label, kind, in_size, hidden, lengths, with_h0=False)

    return [
        case("tanh RNNCell, in=3, H=4, lengths 3, 1, 5", "tanh", 3, 4, [3, 1, 5]),
        case("a batch of one: relu RNNCell, in=2, H=3, length 2", "relu", 2, 3, [2]),
    ]


def _encode_grad_cases(rng: np.random.Generator) -> list[Case]:
    def case(label, kind, in_size, hidden, lengths):
        return _encode_case(rng, label, kind, in_size, hidden, lengths)

    return [
        case("tanh RNNCell, in=3, H=4, lengths 4, 1, 3", "tanh", 3, 4, [4, 1, 3]),
        case("relu RNNCell, in=2, H=3, lengths 2, 5", "relu", 2, 3, [2, 5]),
        case("a batch of one: tanh RNNCell, in=2, H=2, length 3", "tanh", 2, 2, [3]),
    ]


def _encode(module, inputs, ctx):
    cell = _cell(inputs["cell"], ctx)
    sequences = [tensor(s, ctx) for s in inputs["sequences"]]
    h0 = None if inputs["h0"] is None else tensor(inputs["h0"], ctx)
    return module.encode_sequences(cell, sequences, h0)


def _encode_grad(module, inputs, ctx):
    cell = _cell(inputs["cell"], ctx)
    sequences = [tensor(s, ctx, requires_grad=True) for s in inputs["sequences"]]
    h0 = None if inputs["h0"] is None else tensor(inputs["h0"], ctx, requires_grad=True)
    (module.encode_sequences(cell, sequences, h0) * tensor(inputs["grad"], ctx)).sum().backward()
    grads = {"sequences": [s.grad for s in sequences], "h0": None if h0 is None else h0.grad}
    grads.update({name: getattr(cell, name).grad for name in _WEIGHTS})
    return grads


# --- arguments left alone ---------------------------------------------------


def _mutation_cases(rng: np.random.Generator) -> list[Case]:
    return [
        Case(
            "tanh RNNCell, in=3, H=4: run_rnn on inputs (3, 2, 3), encode_sequences on lengths 2, 4",
            {
                "cell": _cell_spec(rng, 3, 4),
                "inputs": rng.normal(size=(3, 2, 3)),
                "h0": rng.normal(size=(2, 4)),
                "sequences": [rng.normal(size=(2, 3)), rng.normal(size=(4, 3))],
                "h0_sequences": rng.normal(size=(2, 4)),
            },
        )
    ]


def _leaves_inputs(module, inputs, ctx):
    cell = _cell(inputs["cell"], ctx)
    x, h0 = tensor(inputs["inputs"], ctx), tensor(inputs["h0"], ctx)
    sequences = [tensor(s, ctx) for s in inputs["sequences"]]
    h0_sequences = tensor(inputs["h0_sequences"], ctx)
    module.run_rnn(cell, x, h0)
    module.encode_sequences(cell, sequences, h0_sequences)
    return arrays({"inputs": x, "h0": h0, "sequences": sequences, "h0_sequences": h0_sequences})


EXERCISE = exercise(
    "rnn",
    unit=8,
    title="Define-by-run recurrence: an RNN as a loop over a cell (torch)",
    reference="solutions.rnn",
    oracles="grader.oracles.rnn",
    framework="torch",
    seed=8,
    time_limit=30.0,
    checks=(
        Check(
            name="run_rnn_outputs",
            function="run_rnn",
            points=2,
            cases=_run_cases,
            probe=_run_outputs,
            oracle="torch_outputs",
            description="run_rnn's outputs (T, B, H) match nn.RNN / nn.GRU built from the cell's weights.",
            hint="Start from h = h0; for each time step t call h = cell(inputs[t], h) and keep every new h. "
            "outputs[t] is the state after step t (not h0), stacked into (T, B, H). Only call the cell: "
            "do not rewrite its formula.",
        ),
        Check(
            name="run_rnn_last",
            function="run_rnn",
            points=1,
            cases=_run_cases,
            probe=_run_last,
            oracle="torch_last",
            description="run_rnn's h_last is the final state, shape (B, H).",
            hint="h_last is the state after the last step, of shape (B, H): unlike nn.RNN's h_n it has "
            "no leading layer dimension.",
        ),
        Check(
            name="run_rnn_grad",
            function="run_rnn",
            points=2,
            cases=_run_cases,
            probe=_run_grad,
            oracle="torch_run_grad",
            description="Gradients through run_rnn (inputs, h0, cell weights) match nn.RNN's autograd.",
            hint="Keep the whole loop in the autograd graph: no .detach(), .data, torch.no_grad() or "
            "conversions through numpy/lists of floats between steps.",
        ),
        Check(
            name="encode_values",
            function="encode_sequences",
            points=2,
            cases=_encode_cases,
            probe=_encode,
            oracle="torch_encode",
            description="encode_sequences gives each sequence's own final state, as if run alone.",
            hint="Sequence i ends after its own T_i steps: if you pad, stop updating a sequence's state "
            "once t >= T_i (the padded steps must not change it), or run each sequence on its own. "
            "Row i of h0 belongs to sequence i.",
        ),
        Check(
            name="encode_default_h0",
            function="encode_sequences",
            points=1,
            cases=_default_h0_cases,
            probe=_encode,
            oracle="torch_encode",
            description="With h0=None, encode_sequences starts from zeros (sequences' device and dtype).",
            hint="For h0=None create zeros of shape (B, cell.hidden_size) with dtype and device taken "
            "from the sequences (torch.zeros defaults to float32 on the CPU).",
        ),
        Check(
            name="encode_grad",
            function="encode_sequences",
            points=1,
            cases=_encode_grad_cases,
            probe=_encode_grad,
            oracle="torch_encode_grad",
            description="Gradients through encode_sequences match running each sequence alone in nn.RNN.",
            hint="Build the result without in-place writes into tensors that autograd needs (h[i] = ... "
            "or h0 itself): use torch.where or torch.stack to combine states.",
        ),
        inputs_unchanged(
            "run_rnn, encode_sequences",
            cases=_mutation_cases,
            probe=_leaves_inputs,
            oracle="original",
            requires=("run_rnn_outputs", "encode_values"),
            description="Neither function modifies its arguments in place.",
            hint="h = h0 makes h another name for the caller's tensor: an in-place update such as "
            "h[i] = ... or h += ... then changes h0. Build new tensors instead.",
        ),
        source_check(
            "own_loop",
            forbid(
                names=(
                    "torch.nn.RNN",
                    "torch.nn.GRU",
                    "torch.nn.LSTM",
                    "torch.rnn_tanh",
                    "torch.rnn_relu",
                ),
                reason="write the loop over time steps yourself",
            ),
            requires=("run_rnn_outputs", "encode_values"),
            description="The recurrence is a loop written by the student, not torch's nn.RNN.",
            hint="The point of the exercise is the define-by-run loop: call the cell once per step.",
        ),
    ),
)


@hookimpl
def grader_exercises():
    return [EXERCISE]
