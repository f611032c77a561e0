"""Exercise ``diy_model``: a one-layer sigmoid network and its gradient, in numpy."""

from __future__ import annotations

import numpy as np

from grader import Case, Check, hookimpl
from grader.catalog._rubric import exercise, inputs_unchanged, numpy_only
from grader.probing import calls, on_copies

# The seed article's example: two inputs, two outputs.
SEED_X = np.array([-0.5, 0.1])
SEED_Y = np.array([0.1, 0.2])
SEED_W = np.array([[0.4, -0.3], [0.2, 0.6]])


def _sigmoid_cases(rng: np.random.Generator) -> list[Case]:
    return [
        Case("x of shape (1,)", {"x": np.array([0.25])}),
        Case("x of shape (5,)", {"x": rng.normal(size=5)}),
        Case("x of shape (3, 4) with values up to +-30", {"x": rng.uniform(-30, 30, size=(3, 4))}),
        Case("x of shape (2, 1, 3)", {"x": rng.normal(size=(2, 1, 3))}),
        Case("x = [-1e4, -800, -40, 0, 40, 800, 1e4]", {"x": np.array([-1e4, -800, -40, 0.0, 40, 800, 1e4])}),
    ]


def _stable_cases(rng: np.random.Generator) -> list[Case]:
    return [
        Case("x = [-1e4, -710, 710, 1e4]", {"x": np.array([-1e4, -710.0, 710.0, 1e4])}),
        Case("x of shape (4, 3) with |x| up to 1e4", {"x": rng.uniform(-1e4, 1e4, size=(4, 3))}),
    ]


def _sigmoid_quiet(module, inputs, ctx):
    with np.errstate(over="raise", invalid="raise", divide="raise", under="ignore"):
        return module.diy_sigmoid(inputs["x"])


def _mse_cases(rng: np.random.Generator) -> list[Case]:
    return [
        Case("the seed example: y_pred (2,), y_true (2,)", {"y_pred": np.array([0.3, 0.9]), "y_true": SEED_Y}),
        Case("y_pred and y_true of shape (7,)", {"y_pred": rng.normal(size=7), "y_true": rng.normal(size=7)}),
        Case(
            "y_pred and y_true of shape (4, 3) (divide by all 12 elements, not by 4 rows)",
            {"y_pred": rng.normal(size=(4, 3)), "y_true": rng.normal(size=(4, 3))},
        ),
        Case("a batch of one, shape (1, 5)", {"y_pred": rng.normal(size=(1, 5)), "y_true": rng.normal(size=(1, 5))}),
    ]


def _layer_cases(rng: np.random.Generator) -> list[Case]:
    def case(label, out_features, in_features, batch):
        shape = (in_features,) if batch is None else (batch, in_features)
        y_shape = (out_features,) if batch is None else (batch, out_features)
        return Case(
            label,
            {
                "weight": rng.normal(size=(out_features, in_features)),
                "x": rng.normal(size=shape),
                "y_true": rng.uniform(0, 1, size=y_shape),
            },
        )

    return [
        Case("the seed example: weight (2, 2), x (2,)", {"weight": SEED_W, "x": SEED_X, "y_true": SEED_Y}),
        case("weight (3, 5) (non-square), one input x (5,)", 3, 5, None),
        case("weight (4, 2), a batch x (6, 2)", 4, 2, 6),
        case("weight (1, 3), a batch of one x (1, 3)", 1, 3, 1),
        case("weight (5, 5), a batch x (3, 5)", 5, 5, 3),
    ]


def _sgd_cases(rng: np.random.Generator) -> list[Case]:
    return [
        Case("weight (2, 2), lr = 0.1", {"grad": rng.normal(size=(2, 2)), "weight": SEED_W, "lr": 0.1}),
        Case(
            "weight (3, 4), lr = 1e-3", {"grad": rng.normal(size=(3, 4)), "weight": rng.normal(size=(3, 4)), "lr": 1e-3}
        ),
        Case(
            "weight (1, 6), lr = 2.5", {"grad": rng.normal(size=(1, 6)), "weight": rng.normal(size=(1, 6)), "lr": 2.5}
        ),
    ]


def _mutation_cases(rng: np.random.Generator) -> list[Case]:
    return [
        Case(
            "weight (3, 4), x (5, 4), y_true (5, 3), grad (3, 4), lr = 0.5",
            {
                "weight": rng.normal(size=(3, 4)),
                "x": rng.normal(size=(5, 4)),
                "y_true": rng.uniform(size=(5, 3)),
                "grad": rng.normal(size=(3, 4)),
                "lr": 0.5,
            },
        )
    ]


@on_copies
def _leaves_inputs(module, given, ctx):
    module.diy_sigmoid(given["x"])
    module.diy_forward(given["weight"], given["x"])
    module.calculate_grad(given["weight"], given["x"], given["y_true"])
    module.diy_sgd(given["grad"], given["weight"], given["lr"])


EXERCISE = exercise(
    "diy_model",
    unit=1,
    title="A one-layer network by hand (numpy)",
    reference="solutions.diy_model",
    oracles="grader.oracles.diy_model",
    framework="numpy",
    seed=1,
    time_limit=30.0,
    checks=(
        Check(
            name="sigmoid_values",
            function="diy_sigmoid",
            points=2,
            cases=_sigmoid_cases,
            probe=calls("diy_sigmoid", "x"),
            oracle="torch_sigmoid",
            description="diy_sigmoid matches torch.sigmoid on every shape, large inputs included.",
            hint="Return a float64 array of the input's shape; 1 / (1 + exp(-x)) elementwise.",
        ),
        Check(
            name="sigmoid_stable",
            function="diy_sigmoid",
            points=1,
            cases=_stable_cases,
            probe=_sigmoid_quiet,
            oracle="torch_sigmoid",
            description="diy_sigmoid raises no overflow warning for |x| up to 1e4.",
            hint="np.exp(-x) overflows for x = -1e4. For x < 0 use exp(x) / (1 + exp(x)); exp(-|x|) never overflows.",
        ),
        Check(
            name="mse_values",
            function="diy_mse_loss",
            points=2,
            cases=_mse_cases,
            probe=calls("diy_mse_loss", "y_pred", "y_true"),
            oracle="torch_mse",
            description="diy_mse_loss matches F.mse_loss (mean over all elements) and returns a float.",
            hint="Average over every element (np.mean), not over the rows; return float(...).",
        ),
        Check(
            name="forward_values",
            function="diy_forward",
            points=2,
            cases=_layer_cases,
            probe=calls("diy_forward", "weight", "x"),
            oracle="torch_forward",
            description="diy_forward matches sigmoid(nn.Linear without bias) for single inputs and batches.",
            hint="weight has nn.Linear's layout (out, in): compute x @ weight.T.",
        ),
        Check(
            name="grad_autograd",
            function="calculate_grad",
            points=3,
            cases=_layer_cases,
            probe=calls("calculate_grad", "weight", "x", "y_true"),
            oracle="autograd_grad",
            description="calculate_grad equals torch autograd's weight.grad for any sizes.",
            hint="Chain rule: dL/dz = 2 (y_pred - y) / n * y_pred (1 - y_pred) with n the number "
            "of elements; dL/dW = (dL/dz).T @ x, with x as a batch (N, in).",
        ),
        Check(
            name="sgd_values",
            function="diy_sgd",
            points=1,
            cases=_sgd_cases,
            probe=calls("diy_sgd", "grad", "weight", "lr"),
            description="diy_sgd takes one step weight - lr * grad.",
            hint="Subtract lr times the gradient: the step goes against the gradient.",
        ),
        inputs_unchanged(
            "diy_sigmoid, diy_forward, calculate_grad, diy_sgd",
            cases=_mutation_cases,
            probe=_leaves_inputs,
            oracle="unchanged_inputs",
            requires=("sigmoid_values", "forward_values", "grad_autograd", "sgd_values"),
            hint="Operators such as -= and *= write into the caller's array; "
            "build new arrays (w = w - lr * g) instead.",
        ),
        numpy_only(
            hint="Use numpy for everything here: the point is to do by hand what torch does for you.",
            requires=("sigmoid_values", "mse_values", "forward_values", "grad_autograd", "sgd_values"),
        ),
    ),
)


@hookimpl
def grader_exercises():
    return [EXERCISE]
