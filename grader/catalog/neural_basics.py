"""Exercise ``neural_basics``: affine map, ReLU, softmax, log-softmax, NLL and cross entropy.

Every function is compared with its ``torch.nn.functional`` counterpart on
values and on the gradient autograd gives the inputs (each case carries a
fixed upstream gradient). The oracles (``grader.oracles.neural_basics``) run
the same probes with torch's own functions in place of the student's, on the
same device, in float64.
"""

from __future__ import annotations

import numpy as np

from grader import Case, Check, hookimpl
from grader.catalog._rubric import exercise, inputs_unchanged, source_check
from grader.checking.forbidden import forbid
from grader.probing import AUTOGRAD, backward, tensor

# The seed article: F.softmax(data, dim=0) of this vector.
SEED_SCORES = np.array([1.3800, -1.3505, 0.3455, 0.5046, 1.8213])
# The seed article's log-probabilities for "it is lost on me" after training.
SEED_LOG_PROBS = np.array([[-2.5330, -0.0828]])
# The seed article's nn.Linear(5, 3) applied to a batch of two: raw scores.
SEED_SCORES_2x3 = np.array([[0.1755, -0.3268, -0.5069], [-0.6602, 0.2260, 0.1089]])

FORBIDDEN = (
    "torch.relu",
    "torch.relu_",
    "torch.softmax",
    "torch.log_softmax",
    "torch.logsumexp",
    "torch.special.softmax",
    "torch.special.log_softmax",
    "torch.special.logsumexp",
    "torch.nn.functional.relu",
    "torch.nn.functional.relu_",
    "torch.nn.functional.softmax",
    "torch.nn.functional.log_softmax",
    # The exercise *is* the affine map and the losses: the library versions
    # would make them one-liners that teach nothing (the transpose in
    # x @ A.T, picking each row's target, the mean over the batch).
    "torch.nn.functional.linear",
    "torch.nn.functional.nll_loss",
    "torch.nn.functional.cross_entropy",
    "torch.nn.ReLU",
    "torch.nn.Softmax",
    "torch.nn.LogSoftmax",
    "torch.nn.Linear",
    "torch.nn.NLLLoss",
    "torch.nn.CrossEntropyLoss",
)


# --- affine -------------------------------------------------------------------


def _affine_cases(rng: np.random.Generator) -> list[Case]:
    def case(label, n, d_in, d_out):
        return Case(
            label,
            {
                "x": rng.normal(size=(n, d_in)),
                "A": rng.normal(size=(d_out, d_in)),
                "b": rng.normal(size=d_out),
                "g": rng.normal(size=(n, d_out)),
            },
        )

    return [
        case("the seed article's shapes: x (2, 5), A (3, 5), b (3,)", 2, 5, 3),
        case("x (4, 4), A (4, 4) (square: a missing transpose still runs)", 4, 4, 4),
        case("a batch of one: x (1, 3), A (6, 3)", 1, 3, 6),
        case("x (5, 1), A (2, 1) (one input feature)", 5, 1, 2),
        case("x (3, 7), A (1, 7) (one output)", 3, 7, 1),
    ]


def _with_grad(function, inputs, ctx, *args, **kwargs):
    """``function(x, *args, **kwargs)`` on the case's x, and the gradient the case's upstream g gives x."""
    x = tensor(inputs["x"], ctx, requires_grad=True)
    out = function(x, *args, **kwargs)
    (gx,) = backward(out, tensor(inputs["g"], ctx), (x,))
    return {"output": out, "grad x": gx}


def _affine(module, inputs, ctx):
    x, A, b = (tensor(inputs[k], ctx, requires_grad=True) for k in ("x", "A", "b"))
    out = module.affine(x, A, b)
    gx, gA, gb = backward(out, tensor(inputs["g"], ctx), (x, A, b))
    return {"output": out, "grad x": gx, "grad A": gA, "grad b": gb}


# --- elementwise and along a dimension ----------------------------------------


def _relu_cases(rng: np.random.Generator) -> list[Case]:
    x = rng.normal(size=(3, 4))
    x[0, 1] = x[2, 3] = 0.0
    g = rng.normal(size=(3, 4))
    # At x = 0 the derivative is a convention (clamp says 1, torch.relu 0):
    # a zero upstream gradient there makes every convention agree.
    g[x == 0] = 0.0
    seed = np.array([[-0.5404, -2.2102], [2.1130, -0.0040]])
    large = rng.uniform(-1e4, 1e4, size=(2, 3, 4))
    return [
        Case("the seed example: x (2, 2)", {"x": seed, "g": rng.normal(size=(2, 2))}),
        Case("x (3, 4) with exact zeros", {"x": x, "g": g}),
        Case("x (5,) all negative", {"x": -rng.uniform(0.1, 3, size=5), "g": rng.normal(size=5)}),
        Case("x (2, 3, 4) with |x| up to 1e4", {"x": large, "g": rng.normal(size=(2, 3, 4))}),
    ]


def _relu(module, inputs, ctx):
    return _with_grad(module.relu, inputs, ctx)


def _along_dim_cases(rng: np.random.Generator) -> list[Case]:
    def case(label, x, dim):
        return Case(label, {"x": x, "dim": dim, "g": rng.normal(size=np.shape(x))})

    return [
        case("the seed example: x (5,), dim=0", SEED_SCORES, 0),
        case("x (3, 4), dim=-1", 3 * rng.normal(size=(3, 4)), -1),
        case("x (3, 4), dim=0", 3 * rng.normal(size=(3, 4)), 0),
        case("x (2, 3, 4), dim=1", 3 * rng.normal(size=(2, 3, 4)), 1),
        case("x (2, 3, 4), dim=0", 3 * rng.normal(size=(2, 3, 4)), 0),
        case("x (2, 3, 4), dim=-1", 3 * rng.normal(size=(2, 3, 4)), -1),
        case("x (4, 1), dim=-1 (one class per row)", rng.normal(size=(4, 1)), -1),
        case("x (3, 5) with repeated values in each row, dim=1", np.repeat(rng.normal(size=(3, 1)), 5, axis=1), 1),
    ]


def _softmax(module, inputs, ctx):
    return _with_grad(module.softmax, inputs, ctx, dim=inputs["dim"])


def _log_softmax(module, inputs, ctx):
    return _with_grad(module.log_softmax, inputs, ctx, dim=inputs["dim"])


# --- losses -------------------------------------------------------------------


def _loss_cases(rng: np.random.Generator, scale: float) -> list[Case]:
    def case(label, n, c, target=None):
        if target is None:
            target = rng.integers(0, c, size=n)
        return Case(
            label,
            {"x": scale * rng.normal(size=(n, c)), "target": np.asarray(target, dtype=np.int64), "g": 0.75},
        )

    return [
        case("x (5, 3), targets with repeats", 5, 3, [0, 2, 2, 1, 0]),
        case("a batch of one: x (1, 4)", 1, 4),
        case("x (4, 1) (one class)", 4, 1),
        case("x (3, 6), every target the same class", 3, 6, [5, 5, 5]),
        case("x (8, 2)", 8, 2),
    ]


def _nll_cases(rng: np.random.Generator) -> list[Case]:
    seed = Case(
        "the seed example: log-probabilities (1, 2), target [1]",
        {"x": SEED_LOG_PROBS, "target": np.array([1]), "g": 1.0},
    )
    # nll_loss takes log-probabilities: make them proper ones (each row's exp sums to 1).
    cases = [
        Case(c.label, {**c.inputs, "x": c.inputs["x"] - np.log(np.exp(c.inputs["x"]).sum(axis=1, keepdims=True))})
        for c in _loss_cases(rng, scale=1.0)
    ]
    return [seed, *cases]


def _cross_entropy_cases(rng: np.random.Generator) -> list[Case]:
    seed = Case(
        "the seed example: the scores (2, 3) of nn.Linear(5, 3), targets [0, 1]",
        {"x": SEED_SCORES_2x3, "target": np.array([0, 1]), "g": 1.0},
    )
    return [seed, *_loss_cases(rng, scale=3.0)]


def _loss_probe(name):
    def probe(module, inputs, ctx):
        return _with_grad(getattr(module, name), inputs, ctx, tensor(inputs["target"], ctx))

    probe.__name__ = f"_{name}"
    return probe


_nll = _loss_probe("nll_loss")
_cross_entropy = _loss_probe("cross_entropy")


# --- large inputs ---------------------------------------------------------------


def _stable_cases(rng: np.random.Generator) -> list[Case]:
    rows = np.stack([1e4 + rng.normal(size=5), -1e4 + rng.normal(size=5), rng.uniform(-1e4, 1e4, size=5)])
    spread = rng.uniform(-1e4, 1e4, size=(4, 6))
    near = 1e4 + 2 * rng.normal(size=(2, 3, 4))
    cases = [
        Case(f"{fn} of {what}", {"fn": fn, "x": x, "g": rng.normal(size=x.shape)})
        for fn in ("softmax", "log_softmax")
        for what, x in (
            ("x (3, 5): one row near +1e4, one near -1e4, one spread over +-1e4", rows),
            ("x (4, 6) uniform in [-1e4, 1e4]", spread),
            ("x (2, 3, 4) all near 1e4", near),
        )
    ]
    # One example per case so that sum and mean agree: nll_loss's reduction is its own check.
    for label, logits, target in (
        ("cross_entropy of logits (1, 4) with |x| up to 1e4, target the largest", [[-1e4, 9e3, 1e4, 0.0]], [2]),
        ("cross_entropy of logits (1, 4) with |x| up to 1e4, target the smallest", [[-1e4, 9e3, 1e4, 0.0]], [0]),
        ("cross_entropy of logits (1, 3) all near 1e4", [[1e4 + 0.5, 1e4 - 1.0, 1e4]], [1]),
    ):
        cases.append(Case(label, {"fn": "cross_entropy", "x": np.array(logits), "target": np.array(target), "g": 1.0}))
    return cases


def _stable(module, inputs, ctx):
    targets = (tensor(inputs["target"], ctx),) if "target" in inputs else ()
    return _with_grad(getattr(module, inputs["fn"]), inputs, ctx, *targets)


# --- side effects ---------------------------------------------------------------


def _mutation_cases(rng: np.random.Generator) -> list[Case]:
    return [
        Case(
            "x (4, 5) with negative entries, A (3, 5), b (3,), target (4,)",
            {
                "x": rng.normal(size=(4, 5)),
                "A": rng.normal(size=(3, 5)),
                "b": rng.normal(size=3),
                "target": np.array([0, 4, 4, 2]),
            },
        )
    ]


def _leaves_inputs(module, inputs, ctx):
    given = {
        f"{fn}: {name}": tensor(inputs[name], ctx)
        for fn, names in (
            ("affine", ("x", "A", "b")),
            ("relu", ("x",)),
            ("softmax", ("x",)),
            ("log_softmax", ("x",)),
            ("nll_loss", ("x", "target")),
            ("cross_entropy", ("x", "target")),
        )
        for name in names
    }
    module.affine(given["affine: x"], given["affine: A"], given["affine: b"])
    module.relu(given["relu: x"])
    module.softmax(given["softmax: x"], dim=1)
    module.log_softmax(given["log_softmax: x"], dim=1)
    module.nll_loss(given["nll_loss: x"], given["nll_loss: target"])
    module.cross_entropy(given["cross_entropy: x"], given["cross_entropy: target"])
    return given


EXERCISE = exercise(
    "neural_basics",
    unit=5,
    title="Affine maps, non-linearities and losses from elementary operations (torch)",
    reference="solutions.neural_basics",
    oracles="grader.oracles.neural_basics",
    framework="torch",
    seed=5,
    time_limit=30.0,
    preload=AUTOGRAD,  # the value-and-gradient checks run autograd
    checks=(
        Check(
            name="affine",
            function="affine",
            points=1,
            cases=_affine_cases,
            probe=_affine,
            oracle="torch_affine",
            description="affine matches nn.Linear (F.linear) in value and in the gradients of x, A and b.",
            hint="A has nn.Linear's layout (out, in): each row of x is mapped by A, so compute x @ A.T + b.",
        ),
        Check(
            name="relu",
            function="relu",
            points=1,
            cases=_relu_cases,
            probe=_relu,
            oracle="torch_relu",
            description="relu matches F.relu in value and gradient.",
            hint="Keep x where x > 0 and put 0 elsewhere, in a new tensor (torch.where or x * (x > 0)); "
            "never assign into x.",
        ),
        Check(
            name="softmax",
            function="softmax",
            points=2,
            cases=_along_dim_cases,
            probe=_softmax,
            oracle="torch_softmax",
            description="softmax matches F.softmax along dim 0, 1 and -1 of 1-D, 2-D and 3-D inputs, "
            "gradients included.",
            hint="Exponentiate, then divide by the sum along `dim` with keepdim=True so that it broadcasts; "
            "use the `dim` argument everywhere, not a fixed dimension.",
        ),
        Check(
            name="log_softmax",
            function="log_softmax",
            points=2,
            cases=_along_dim_cases,
            probe=_log_softmax,
            oracle="torch_log_softmax",
            description="log_softmax matches F.log_softmax along dim 0, 1 and -1, gradients included.",
            hint="log softmax(x)_i = x_i - log(sum_j exp(x_j)), the sum taken along `dim` with keepdim=True.",
        ),
        Check(
            name="stable",
            function="softmax, log_softmax, cross_entropy",
            points=2,
            cases=_stable_cases,
            probe=_stable,
            oracle="torch_stable",
            description="softmax, log_softmax and cross_entropy give finite, correct values and gradients "
            "for inputs as large as |x| = 1e4.",
            hint="exp(1e4) overflows to inf and exp(-1e4) underflows to 0. Subtract the maximum along `dim` "
            "(per row, keepdim=True) before exponentiating, and compute log-softmax as "
            "(x - m) - log(sum(exp(x - m))) rather than log(softmax(x)).",
        ),
        Check(
            name="nll_loss",
            function="nll_loss",
            points=1,
            cases=_nll_cases,
            probe=_nll,
            oracle="torch_nll",
            description="nll_loss matches F.nll_loss (mean reduction) in value and gradient.",
            hint="Pick log_probs[n, target[n]] for each row n (one value per row, e.g. with gather), "
            "then take minus their mean.",
        ),
        Check(
            name="cross_entropy",
            function="cross_entropy",
            points=1,
            cases=_cross_entropy_cases,
            probe=_cross_entropy,
            oracle="torch_cross_entropy",
            description="cross_entropy matches F.cross_entropy in value and gradient.",
            hint="cross_entropy takes raw scores: apply log_softmax over the class dimension (dim=1) first, "
            "then nll_loss.",
        ),
        inputs_unchanged(
            "affine, relu, softmax, log_softmax, nll_loss, cross_entropy",
            cases=_mutation_cases,
            probe=_leaves_inputs,
            requires=("affine", "relu", "softmax", "log_softmax", "nll_loss", "cross_entropy"),
            hint="In-place operations (x[x < 0] = 0, x.clamp_(...), x -= m) write into the caller's tensor; "
            "build new tensors instead.",
        ),
        source_check(
            "no_builtins",
            forbid(names=FORBIDDEN),
            requires=("affine", "relu", "softmax", "log_softmax", "nll_loss", "cross_entropy"),
            description="The module does not call torch's relu, softmax, log_softmax, logsumexp, linear, "
            "nll_loss or cross_entropy (in any form).",
            hint="Build each function from elementary operations: torch.exp, torch.log, sum, amax, "
            "gather, where, @ and arithmetic.",
        ),
    ),
)


@hookimpl
def grader_exercises():
    return [EXERCISE]
