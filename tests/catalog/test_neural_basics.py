"""neural_basics: the reference passes; each realistic mistake loses exactly its checks."""

from grader.testing import Alternative, Broken, Suite

NAME = "neural_basics"

BROKEN = [
    Broken(
        "affine-no-transpose",
        "    return x @ A.T + b",
        "    return x @ A + b",
        fails={"affine", "inputs_unchanged", "no_builtins"},
        says="affine",
    ),
    Broken(
        "relu-in-place",
        "    return torch.where(x > 0, x, torch.zeros_like(x))",
        "    return x.clamp_(min=0)",
        fails={"relu", "inputs_unchanged", "no_builtins"},
        says="result['relu: x']",
    ),
    Broken(
        "softmax-no-max-subtraction",
        "    e = torch.exp(shifted)",
        "    e = torch.exp(x)",
        fails={"stable"},
        says="non-finite",
    ),
    Broken(
        "softmax-subtracts-global-max",
        "    shifted = x - x.amax(dim=dim, keepdim=True)\n    e = torch.exp(shifted)",
        "    shifted = x - x.max()\n    e = torch.exp(shifted)",
        fails={"stable"},
        says="softmax of x (3, 5)",
    ),
    Broken(
        "softmax-wrong-dim",
        "    return e / e.sum(dim=dim, keepdim=True)",
        "    return e / e.sum(dim=-1, keepdim=True)",
        fails={"softmax", "inputs_unchanged", "no_builtins"},
        says="dim=0",
    ),
    Broken(
        "log-softmax-as-log-of-softmax",
        "    return shifted - torch.log(torch.exp(shifted).sum(dim=dim, keepdim=True))",
        "    return torch.log(softmax(x, dim))",
        fails={"stable"},
        says="non-finite",
    ),
    Broken(
        "log-softmax-without-keepdim",
        "    return shifted - torch.log(torch.exp(shifted).sum(dim=dim, keepdim=True))",
        "    return shifted - torch.log(torch.exp(shifted).sum(dim=dim))",
        fails={"log_softmax", "stable", "cross_entropy", "inputs_unchanged", "no_builtins"},
        says="log_softmax",
    ),
    Broken(
        "nll-sum-instead-of-mean",
        "    return -picked.mean()",
        "    return -picked.sum()",
        fails={"nll_loss", "cross_entropy", "inputs_unchanged", "no_builtins"},
        says="nll_loss",
    ),
    Broken(
        "nll-picks-a-whole-column-per-target",
        "    picked = log_probs.gather(1, target.unsqueeze(1)).squeeze(1)",
        "    picked = log_probs[:, target]",
        fails={"nll_loss", "cross_entropy", "inputs_unchanged", "no_builtins"},
        says="x (5, 3)",
    ),
    Broken(
        "cross-entropy-forgets-log-softmax",
        "    return nll_loss(log_softmax(logits, dim=1), target)",
        "    return nll_loss(logits, target)",
        fails={"cross_entropy", "stable", "inputs_unchanged", "no_builtins"},
        says="cross_entropy",
    ),
    Broken(
        "uses-torch-relu",
        "    return torch.where(x > 0, x, torch.zeros_like(x))",
        "    return torch.relu(x)",
        fails={"no_builtins"},
        says="torch.relu",
    ),
    Broken(
        "uses-F-cross-entropy",
        "    return nll_loss(log_softmax(logits, dim=1), target)",
        "    import torch.nn.functional as F\n    return F.cross_entropy(logits, target)",
        fails={"no_builtins"},
        says="torch.nn.functional.cross_entropy",
    ),
    Broken(
        "uses-softmax-method",
        "    e = torch.exp(shifted)\n    return e / e.sum(dim=dim, keepdim=True)",
        "    return x.softmax(dim)",
        fails={"no_builtins"},
        says=".softmax()",
    ),
]

# Correct alternatives a student may well write: they must score full marks.
ALTERNATIVES = [
    Alternative(
        "relu-by-mask",
        "    return torch.where(x > 0, x, torch.zeros_like(x))",
        "    return x * (x > 0)",
    ),
    Alternative(
        "relu-by-clamp",
        "    return torch.where(x > 0, x, torch.zeros_like(x))",
        "    return x.clamp(min=0)",
    ),
    Alternative(
        "softmax-as-exp-of-log-softmax",
        "    e = torch.exp(shifted)\n    return e / e.sum(dim=dim, keepdim=True)",
        "    return torch.exp(log_softmax(x, dim))",
    ),
    Alternative(
        "nll-by-fancy-indexing",
        "    picked = log_probs.gather(1, target.unsqueeze(1)).squeeze(1)",
        "    picked = log_probs[torch.arange(len(target), device=target.device), target]",
    ),
]

SUITE = Suite(NAME, max_score=12, broken=BROKEN, alternatives=ALTERNATIVES)
