"""pooling: the reference passes; each realistic mistake loses exactly its checks."""

import numpy as np
import pytest

from tests.conftest import failing, solution_source

NAME = "pooling"
LENGTHS = {"output_length", "output_length_ceil", "output_length_invalid"}

BROKEN = [
    pytest.param(
        "    span = length + 2 * padding - kernel_size",
        "    span = length - kernel_size",
        # It also rejects a valid setting: length 2, kernel_size 4, padding 1 (no output without padding).
        LENGTHS,
        "padding=1",
        id="length-ignores-padding",
    ),
    pytest.param(
        "        out = -(-span // stride) + 1  # ceiling division",
        "        out = span // stride + 1",
        {"output_length_ceil"},
        "ceil_mode=True",
        id="length-floors-in-ceil-mode",
    ),
    pytest.param(
        "        if (out - 1) * stride >= length + padding:\n            out -= 1\n",
        "",
        {"output_length_ceil"},
        "right padding",
        id="length-ceil-without-last-window-rule",
    ),
    pytest.param(
        "        out = span // stride + 1",
        "        out = span / stride + 1",
        {"output_length"},
        "expected int",
        id="length-float-division",
    ),
    pytest.param(
        "        out = span // stride + 1",
        "        out = int(span / stride) + 1",
        {"output_length_invalid"},
        "no output",
        id="length-truncates-toward-zero",
    ),
    pytest.param(
        "    if stride is None:\n        stride = kernel_size\n",
        "",
        LENGTHS,
        "TypeError",
        id="length-stride-none-unhandled",
    ),
    pytest.param(
        "    if padding < 0 or 2 * padding > kernel_size:\n"
        '        raise ValueError("padding must be between 0 and half of kernel_size")\n',
        "",
        {"output_length_invalid"},
        "padding more than half",
        id="length-no-padding-validation",
    ),
    pytest.param(
        "    if out < 1:\n",
        "    if False:\n",
        {"output_length_invalid"},
        "expected str 'ValueError', got int 0",
        id="length-returns-zero-for-no-output",
    ),
    pytest.param(
        "    return x.mean(dim=1)",
        "    return x.mean(dim=2)",
        {"mean_pool", "size_one", "inputs_unchanged"},
        "expected shape",
        id="mean-pool-wrong-dim",
    ),
    pytest.param(
        "    return x.mean(dim=1)",
        "    return torch.nn.AvgPool1d(x.shape[1])(x.transpose(1, 2)).squeeze()",
        {"size_one"},
        "mean_pool_sequence of x (1, 1, 1)",
        id="mean-pool-squeeze-everything",
    ),
    pytest.param(
        "    return x.max(dim=1).values",
        "    return x.max(dim=1)",
        {"max_pool", "size_one", "inputs_unchanged"},
        "expected a tensor, got an object of type max",
        id="max-pool-returns-values-and-indices",
    ),
    pytest.param(
        "    return x.max(dim=1).values",
        "    out = torch.zeros_like(x[:, 0])\n"
        "    for t in range(x.shape[1]):\n"
        "        out = torch.maximum(out, x[:, t])\n"
        "    return out",
        {"max_pool", "size_one", "inputs_unchanged"},
        "every value negative",
        id="max-pool-starts-from-zero",
    ),
    pytest.param(
        "    return total / lengths.to(x.dtype).unsqueeze(-1)",
        "    return total / x.shape[1]",
        {"masked_mean_pool", "inputs_unchanged"},
        "lengths [5, 1, 3]",
        id="masked-divides-by-seq-len",
    ),
    pytest.param(
        "    return total / lengths.to(x.dtype).unsqueeze(-1)",
        "    return x.mean(dim=1)",
        {"masked_mean_pool", "inputs_unchanged"},
        "padding filled with ~1e6",
        id="masked-includes-padding",
    ),
    pytest.param(
        "    real = (positions[None, :] < lengths[:, None]).unsqueeze(-1)",
        "    real = (positions[None, :] <= lengths[:, None]).unsqueeze(-1)",
        {"masked_mean_pool", "inputs_unchanged"},
        "masked_mean_pool",
        id="masked-off-by-one",
    ),
    pytest.param(
        "    total = torch.where(real, x, torch.zeros_like(x)).sum(dim=1)",
        "    x.masked_fill_(~real, 0.0)\n    total = x.sum(dim=1)",
        {"masked_mean_pool", "inputs_unchanged"},
        "result['masked_mean_pool: x']",
        id="masked-zeroes-padding-in-place",
    ),
    pytest.param(
        "    if padding < 0 or 2 * padding > kernel_size:",
        "    if padding < 0 or 2 * padding >= kernel_size:",
        LENGTHS,
        "raised ValueError on a valid input",
        id="length-rejects-padding-of-half-the-kernel",
    ),
    pytest.param(
        "    if length < 1 or kernel_size < 1 or stride < 1:",
        "    if True:",
        LENGTHS,
        "raised ValueError on a valid input",
        id="length-rejects-everything",
    ),
]

ALTERNATIVES = [
    pytest.param(
        "    return x.mean(dim=1)",
        "    return torch.nn.AvgPool1d(x.shape[1])(x.transpose(1, 2)).squeeze(-1)",
        id="mean-pool-seed-recipe",
    ),
    pytest.param("    return x.max(dim=1).values", "    return x.amax(dim=1)", id="max-pool-amax"),
    pytest.param(
        "    return total / lengths.to(x.dtype).unsqueeze(-1)",
        "    return torch.stack([x[b, :n].mean(dim=0) for b, n in enumerate(lengths)])",
        id="masked-loop-over-rows",
    ),
]


def test_reference_scores_full_marks(grade_source):
    result = grade_source(NAME, solution_source(NAME))
    assert failing(result) == set(), [c.message for c in result.checks]
    assert result.score == result.max_score == 11


@pytest.mark.parametrize("old, new, expected, phrase", BROKEN)
def test_broken_variant_loses_exactly_its_checks(grade_source, broken_solution, old, new, expected, phrase):
    result = grade_source(NAME, broken_solution(NAME, old, new))
    assert failing(result) == expected, [(c.name, c.message) for c in result.checks if c.status != "passed"]
    messages = "\n".join(c.message for c in result.checks if c.name in expected)
    assert phrase in messages, messages


@pytest.mark.parametrize("old, new", ALTERNATIVES)
def test_correct_alternative_scores_full_marks(grade_source, broken_solution, old, new):
    result = grade_source(NAME, broken_solution(NAME, old, new))
    assert failing(result) == set(), [(c.name, c.message) for c in result.checks if c.status != "passed"]


def test_length_cases_are_what_their_labels_say():
    """The valid grids hold only settings torch accepts; the invalid cases only ones it rejects,
    except the one case of valid settings, which it accepts."""
    from grader.catalog.pooling import EXERCISE
    from grader.exercise import Context
    from grader.oracles.pooling import torch_lengths

    checks = {c.name: c for c in EXERCISE.checks}
    rng = np.random.default_rng(0)
    for name in ("output_length", "output_length_ceil"):
        for case in checks[name].cases(rng):
            assert all(type(v) is int for v in torch_lengths(case.inputs, Context()).values()), case.label
    valid = 0
    for case in checks["output_length_invalid"].cases(rng):
        outcomes = set(torch_lengths(case.inputs, Context()).values())
        if case.inputs.get("valid"):
            valid += 1
            assert all(type(v) is int for v in outcomes), case.label
        else:
            assert outcomes == {"ValueError"}, case.label
    assert valid == 1
