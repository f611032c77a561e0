"""neural_basics: the reference passes; each realistic mistake loses exactly its checks."""

import pytest

from tests.conftest import failing, solution_source

NAME = "neural_basics"

BROKEN = [
    pytest.param(
        "    return x @ A.T + b",
        "    return x @ A + b",
        {"affine", "inputs_unchanged", "no_builtins"},
        "affine",
        id="affine-no-transpose",
    ),
    pytest.param(
        "    return torch.where(x > 0, x, torch.zeros_like(x))",
        "    return x.clamp_(min=0)",
        {"relu", "inputs_unchanged", "no_builtins"},
        "result['relu: x']",
        id="relu-in-place",
    ),
    pytest.param(
        "    e = torch.exp(shifted)",
        "    e = torch.exp(x)",
        {"stable"},
        "non-finite",
        id="softmax-no-max-subtraction",
    ),
    pytest.param(
        "    shifted = x - x.amax(dim=dim, keepdim=True)\n    e = torch.exp(shifted)",
        "    shifted = x - x.max()\n    e = torch.exp(shifted)",
        {"stable"},
        "softmax of x (3, 5)",
        id="softmax-subtracts-global-max",
    ),
    pytest.param(
        "    return e / e.sum(dim=dim, keepdim=True)",
        "    return e / e.sum(dim=-1, keepdim=True)",
        {"softmax", "inputs_unchanged", "no_builtins"},
        "dim=0",
        id="softmax-wrong-dim",
    ),
    pytest.param(
        "    return shifted - torch.log(torch.exp(shifted).sum(dim=dim, keepdim=True))",
        "    return torch.log(softmax(x, dim))",
        {"stable"},
        "non-finite",
        id="log-softmax-as-log-of-softmax",
    ),
    pytest.param(
        "    return shifted - torch.log(torch.exp(shifted).sum(dim=dim, keepdim=True))",
        "    return shifted - torch.log(torch.exp(shifted).sum(dim=dim))",
        {"log_softmax", "stable", "cross_entropy", "inputs_unchanged", "no_builtins"},
        "log_softmax",
        id="log-softmax-without-keepdim",
    ),
    pytest.param(
        "    return -picked.mean()",
        "    return -picked.sum()",
        {"nll_loss", "cross_entropy", "inputs_unchanged", "no_builtins"},
        "nll_loss",
        id="nll-sum-instead-of-mean",
    ),
    pytest.param(
        "    picked = log_probs.gather(1, target.unsqueeze(1)).squeeze(1)",
        "    picked = log_probs[:, target]",
        {"nll_loss", "cross_entropy", "inputs_unchanged", "no_builtins"},
        "x (5, 3)",
        id="nll-picks-a-whole-column-per-target",
    ),
    pytest.param(
        "    return nll_loss(log_softmax(logits, dim=1), target)",
        "    return nll_loss(logits, target)",
        {"cross_entropy", "stable", "inputs_unchanged", "no_builtins"},
        "cross_entropy",
        id="cross-entropy-forgets-log-softmax",
    ),
    pytest.param(
        "    return torch.where(x > 0, x, torch.zeros_like(x))",
        "    return torch.relu(x)",
        {"no_builtins"},
        "torch.relu",
        id="uses-torch-relu",
    ),
    pytest.param(
        "    return nll_loss(log_softmax(logits, dim=1), target)",
        "    import torch.nn.functional as F\n    return F.cross_entropy(logits, target)",
        {"no_builtins"},
        "torch.nn.functional.cross_entropy",
        id="uses-F-cross-entropy",
    ),
    pytest.param(
        "    e = torch.exp(shifted)\n    return e / e.sum(dim=dim, keepdim=True)",
        "    return x.softmax(dim)",
        {"no_builtins"},
        ".softmax()",
        id="uses-softmax-method",
    ),
]

# Correct alternatives a student may well write: they must score full marks.
ALTERNATIVES = [
    pytest.param(
        "    return torch.where(x > 0, x, torch.zeros_like(x))",
        "    return x * (x > 0)",
        id="relu-by-mask",
    ),
    pytest.param(
        "    return torch.where(x > 0, x, torch.zeros_like(x))",
        "    return x.clamp(min=0)",
        id="relu-by-clamp",
    ),
    pytest.param(
        "    e = torch.exp(shifted)\n    return e / e.sum(dim=dim, keepdim=True)",
        "    return torch.exp(log_softmax(x, dim))",
        id="softmax-as-exp-of-log-softmax",
    ),
    pytest.param(
        "    picked = log_probs.gather(1, target.unsqueeze(1)).squeeze(1)",
        "    picked = log_probs[torch.arange(len(target), device=target.device), target]",
        id="nll-by-fancy-indexing",
    ),
]


def test_reference_scores_full_marks(grade_source):
    result = grade_source(NAME, solution_source(NAME))
    assert failing(result) == set(), [c.message for c in result.checks]
    assert result.score == result.max_score == 12


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
