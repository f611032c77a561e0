"""rnn: the reference passes; each realistic mistake loses exactly its checks."""

import numpy as np
import pytest

from tests.conftest import failing, solution_source

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
    pytest.param(
        RETURN,
        "    return h, h\n",
        {"run_rnn_outputs", "run_rnn_grad", "inputs_unchanged", "own_loop"},
        "expected shape (4, 2, 5), got (2, 5)",
        id="outputs-only-the-last-state",
    ),
    pytest.param(
        LOOP,
        "        outputs.append(h)\n        h = cell(x_t, h)\n",
        {"run_rnn_outputs", "run_rnn_grad", "inputs_unchanged", "own_loop"},
        "run_rnn",
        id="outputs-shifted-by-one-step",
    ),
    pytest.param(
        LOOP,
        "        h = cell(x_t, h.detach())\n        outputs.append(h)\n",
        {"run_rnn_grad"},
        "result['inputs']",
        id="state-detached-between-steps",
    ),
    pytest.param(
        RETURN,
        "    return torch.stack(outputs), h.unsqueeze(0)\n",
        {"run_rnn_last"},
        "expected shape (2, 5), got (1, 2, 5)",
        id="h-last-with-a-layer-dimension",
    ),
    pytest.param(
        LOOP,
        "        h = torch.tanh(x_t @ cell.weight_ih.T + cell.bias_ih + h @ cell.weight_hh.T + cell.bias_hh)\n"
        "        outputs.append(h)\n",
        {"run_rnn_outputs", "run_rnn_last", "run_rnn_grad", "inputs_unchanged", "own_loop"},
        "relu RNNCell",
        id="rewrites-the-cell-with-tanh",
    ),
    pytest.param(
        "    h = h0\n    outputs = []\n    for x_t in inputs:  # iterating a tensor walks its first (time) axis\n" + LOOP + RETURN,
        USES_NN_RNN,
        {"own_loop", "run_rnn_outputs", "run_rnn_last", "run_rnn_grad", "inputs_unchanged"},
        "torch.nn.RNN",
        id="copies-the-cell-into-nn-rnn",
    ),
    pytest.param(
        MASKED,
        "        h = cell(x_t, h)\n",
        {"encode_values", "encode_default_h0", "encode_grad", "inputs_unchanged", "own_loop"},
        "encode_sequences",
        id="encode-reads-the-last-padded-step",
    ),
    pytest.param(
        ZEROS,
        "        h0 = torch.zeros(batch, cell.hidden_size)\n",
        {"encode_default_h0"},
        "Float and Double",
        id="encode-default-h0-float32",
    ),
    pytest.param(
        "    if h0 is None:\n" + ZEROS,
        "    if True:\n" + ZEROS,
        {"encode_values", "encode_grad", "inputs_unchanged", "own_loop"},
        "encode_sequences",
        id="encode-ignores-the-given-h0",
    ),
    pytest.param(
        MASKED,
        "        running = lengths > t\n        h[running] = cell(x_t, h)[running]\n",
        {"encode_grad", "inputs_unchanged"},
        "result['h0_sequences']",
        id="encode-writes-into-h0",
    ),
]


def test_reference_scores_full_marks(grade_source):
    result = grade_source("rnn", solution_source("rnn"))
    assert failing(result) == set()
    assert result.score == result.max_score == 11


@pytest.mark.parametrize("old, new, expected, phrase", BROKEN)
def test_broken_variant_loses_exactly_its_checks(grade_source, broken_solution, old, new, expected, phrase):
    result = grade_source("rnn", broken_solution("rnn", old, new))
    assert failing(result) == expected
    messages = "\n".join(c.message for c in result.checks if c.name in expected)
    assert phrase in messages


def test_oracles_agree_with_the_reference_on_fresh_seeds():
    """The nn.RNN oracles and the reference agree beyond the catalog's own seed."""
    import solutions.rnn as reference
    import grader.oracles.rnn as oracles
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
