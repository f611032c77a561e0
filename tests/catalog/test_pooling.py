"""pooling: the reference passes; each realistic mistake loses exactly its checks."""

import numpy as np

from grader.testing import Alternative, Broken, Suite

NAME = "pooling"
LENGTHS = {"output_length", "output_length_ceil", "output_length_invalid"}

BROKEN = [
    Broken(
        "length-ignores-padding",
        "    span = length + 2 * padding - kernel_size",
        "    span = length - kernel_size",
        # It also rejects a valid setting: length 2, kernel_size 4, padding 1 (no output without padding).
        fails=LENGTHS,
        says="padding=1",
    ),
    Broken(
        "length-floors-in-ceil-mode",
        "        out = -(-span // stride) + 1  # ceiling division",
        "        out = span // stride + 1",
        fails={"output_length_ceil"},
        says="ceil_mode=True",
    ),
    Broken(
        "length-ceil-without-last-window-rule",
        "        if (out - 1) * stride >= length + padding:\n            out -= 1\n",
        "",
        fails={"output_length_ceil"},
        says="right padding",
    ),
    Broken(
        "length-float-division",
        "        out = span // stride + 1",
        "        out = span / stride + 1",
        fails={"output_length"},
        says="expected int",
    ),
    Broken(
        "length-truncates-toward-zero",
        "        out = span // stride + 1",
        "        out = int(span / stride) + 1",
        fails={"output_length_invalid"},
        says="no output",
    ),
    Broken(
        "length-stride-none-unhandled",
        "    if stride is None:\n        stride = kernel_size\n",
        "",
        fails=LENGTHS,
        says="TypeError",
    ),
    Broken(
        "length-no-padding-validation",
        "    if padding < 0 or 2 * padding > kernel_size:\n"
        '        raise ValueError("padding must be between 0 and half of kernel_size")\n',
        "",
        fails={"output_length_invalid"},
        says="padding more than half",
    ),
    Broken(
        "length-returns-zero-for-no-output",
        "    if out < 1:\n",
        "    if False:\n",
        fails={"output_length_invalid"},
        says="expected str 'ValueError', got int 0",
    ),
    Broken(
        "mean-pool-wrong-dim",
        "    return x.mean(dim=1)",
        "    return x.mean(dim=2)",
        fails={"mean_pool", "size_one", "inputs_unchanged"},
        says="expected shape",
    ),
    Broken(
        "mean-pool-squeeze-everything",
        "    return x.mean(dim=1)",
        "    return torch.nn.AvgPool1d(x.shape[1])(x.transpose(1, 2)).squeeze()",
        fails={"size_one"},
        says="mean_pool_sequence of x (1, 1, 1)",
    ),
    Broken(
        "max-pool-returns-values-and-indices",
        "    return x.max(dim=1).values",
        "    return x.max(dim=1)",
        fails={"max_pool", "size_one", "inputs_unchanged"},
        says="expected a tensor, got an object of type max",
    ),
    Broken(
        "max-pool-starts-from-zero",
        "    return x.max(dim=1).values",
        "    out = torch.zeros_like(x[:, 0])\n"
        "    for t in range(x.shape[1]):\n"
        "        out = torch.maximum(out, x[:, t])\n"
        "    return out",
        fails={"max_pool", "size_one", "inputs_unchanged"},
        says="every value negative",
    ),
    Broken(
        "masked-divides-by-seq-len",
        "    return total / lengths.to(x.dtype).unsqueeze(-1)",
        "    return total / x.shape[1]",
        fails={"masked_mean_pool", "inputs_unchanged"},
        says="lengths [5, 1, 3]",
    ),
    Broken(
        "masked-includes-padding",
        "    return total / lengths.to(x.dtype).unsqueeze(-1)",
        "    return x.mean(dim=1)",
        fails={"masked_mean_pool", "inputs_unchanged"},
        says="padding filled with ~1e6",
    ),
    Broken(
        "masked-off-by-one",
        "    real = (positions[None, :] < lengths[:, None]).unsqueeze(-1)",
        "    real = (positions[None, :] <= lengths[:, None]).unsqueeze(-1)",
        fails={"masked_mean_pool", "inputs_unchanged"},
        says="masked_mean_pool",
    ),
    Broken(
        "masked-zeroes-padding-in-place",
        "    total = torch.where(real, x, torch.zeros_like(x)).sum(dim=1)",
        "    x.masked_fill_(~real, 0.0)\n    total = x.sum(dim=1)",
        fails={"masked_mean_pool", "inputs_unchanged"},
        says="result['masked_mean_pool: x']",
    ),
    Broken(
        "length-rejects-padding-of-half-the-kernel",
        "    if padding < 0 or 2 * padding > kernel_size:",
        "    if padding < 0 or 2 * padding >= kernel_size:",
        fails=LENGTHS,
        says="raised ValueError on a valid input",
    ),
    Broken(
        "length-rejects-everything",
        "    if length < 1 or kernel_size < 1 or stride < 1:",
        "    if True:",
        fails=LENGTHS,
        says="raised ValueError on a valid input",
    ),
]

ALTERNATIVES = [
    Alternative(
        "mean-pool-seed-recipe",
        "    return x.mean(dim=1)",
        "    return torch.nn.AvgPool1d(x.shape[1])(x.transpose(1, 2)).squeeze(-1)",
    ),
    Alternative("max-pool-amax", "    return x.max(dim=1).values", "    return x.amax(dim=1)"),
    Alternative(
        "masked-loop-over-rows",
        "    return total / lengths.to(x.dtype).unsqueeze(-1)",
        "    return torch.stack([x[b, :n].mean(dim=0) for b, n in enumerate(lengths)])",
    ),
]

SUITE = Suite(NAME, max_score=11, broken=BROKEN, alternatives=ALTERNATIVES)


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
