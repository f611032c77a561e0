"""rnn: the reference passes; each realistic mistake loses exactly its checks."""

import numpy as np

from grader.testing import Broken, Suite

LOOP = "        h = cell(x_t, h)\n        outputs.append(h)\n"
RETURN = "    return torch.stack(outputs), h\n"
MASKED = (
    "        running = (lengths > t).unsqueeze(1)  # (B, 1): sequences not yet ended\n"
    "        h = torch.where(running, cell(x_t, h), h)  # a new tensor: h0 stays untouched\n"
)
ZEROS = "        h0 = torch.zeros(batch, cell.hidden_size, dtype=first.dtype, device=first.device)\n"
USES_NN_RNN = """    rnn = torch.nn.RNN(cell.input_size, cell.hidden_size, nonlinearity=cell.nonlinearity)
    rnn = rnn.to(device=inputs.device, dtype=inputs.dtype)
    with torch.no_grad():
        for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
            getattr(rnn, name + "_l0").copy_(getattr(cell, name))
    outputs, h_n = rnn(inputs, h0.unsqueeze(0))
    return outputs, h_n[0]
"""

BROKEN = [
    Broken(
        "outputs-only-the-last-state",
        RETURN,
        "    return h, h\n",
        fails={"run_rnn_outputs", "run_rnn_grad", "inputs_unchanged", "own_loop"},
        says="expected shape (4, 2, 5), got (2, 5)",
    ),
    Broken(
        "outputs-shifted-by-one-step",
        LOOP,
        "        outputs.append(h)\n        h = cell(x_t, h)\n",
        fails={"run_rnn_outputs", "run_rnn_grad", "inputs_unchanged", "own_loop"},
        says="run_rnn",
    ),
    Broken(
        "state-detached-between-steps",
        LOOP,
        "        h = cell(x_t, h.detach())\n        outputs.append(h)\n",
        fails={"run_rnn_grad"},
        says="result['inputs']",
    ),
    Broken(
        "h-last-with-a-layer-dimension",
        RETURN,
        "    return torch.stack(outputs), h.unsqueeze(0)\n",
        fails={"run_rnn_last"},
        says="expected shape (2, 5), got (1, 2, 5)",
    ),
    Broken(
        "rewrites-the-cell-with-tanh",
        LOOP,
        "        h = torch.tanh(x_t @ cell.weight_ih.T + cell.bias_ih + h @ cell.weight_hh.T + cell.bias_hh)\n"
        "        outputs.append(h)\n",
        fails={"run_rnn_outputs", "run_rnn_last", "run_rnn_grad", "inputs_unchanged", "own_loop"},
        says="relu RNNCell",
    ),
    Broken(
        "copies-the-cell-into-nn-rnn",
        "    h = h0\n    outputs = []\n    for x_t in inputs:  # iterating a tensor walks its first (time) axis\n"
        + LOOP
        + RETURN,
        USES_NN_RNN,
        fails={"own_loop", "run_rnn_outputs", "run_rnn_last", "run_rnn_grad", "inputs_unchanged"},
        says="torch.nn.RNN",
    ),
    Broken(
        "encode-reads-the-last-padded-step",
        MASKED,
        "        h = cell(x_t, h)\n",
        fails={"encode_values", "encode_default_h0", "encode_grad", "inputs_unchanged", "own_loop"},
        says="encode_sequences",
    ),
    Broken(
        "encode-default-h0-float32",
        ZEROS,
        "        h0 = torch.zeros(batch, cell.hidden_size)\n",
        fails={"encode_default_h0"},
        says="Float and Double",
    ),
    Broken(
        "encode-ignores-the-given-h0",
        "    if h0 is None:\n" + ZEROS,
        "    if True:\n" + ZEROS,
        fails={"encode_values", "encode_grad", "inputs_unchanged", "own_loop"},
        says="encode_sequences",
    ),
    Broken(
        "encode-writes-into-h0",
        MASKED,
        "        running = lengths > t\n        h[running] = cell(x_t, h)[running]\n",
        fails={"encode_grad", "inputs_unchanged"},
        says="result['h0_sequences']",
    ),
]

SUITE = Suite("rnn", max_score=11, broken=BROKEN)


def test_oracles_agree_with_the_reference_on_fresh_seeds():
    """The nn.RNN oracles and the reference agree beyond the catalog's own seed."""
    import grader.oracles.rnn as oracles
    import solutions.rnn as reference
    from grader.catalog.rnn import EXERCISE
    from grader.checking.values import mismatch
    from grader.exercise import Check, Context
    from grader.plain import to_plain

    ctx = Context("cpu", "reference")
    for seed in (0, 1, 2):
        for check in EXERCISE.checks:
            if not isinstance(check, Check) or check.oracle is None:
                continue
            oracle = getattr(oracles, check.oracle)
            for case in check.cases(np.random.default_rng(seed)):
                expected = to_plain(oracle(case.inputs, ctx))
                got = to_plain(check.probe(reference, case.inputs, ctx))
                assert mismatch(expected, got, check.rtol, check.atol) is None, (check.name, case.label)
