"""Exercise ``polyfit``: fitting sin(x) with a cubic by gradient descent, gradients by hand (numpy)."""

from __future__ import annotations

import numpy as np

from grader import Case, Check, hookimpl
from grader.catalog._rubric import exercise, inputs_unchanged, numpy_only
from grader.probing import calls, copies, on_copies

# The seed article's data: 2000 points on [-pi, pi] and y = sin(x), with the
# coefficients it printed after 2000 steps of lr = 1e-6.
SEED_X = np.linspace(-np.pi, np.pi, 2000)
SEED_Y = np.sin(SEED_X)
SEED_COEFFS = np.array([0.031071994224245697, 0.8255524078914991, -0.00536043604389804, -0.08889410572720181])


def _predict_cases(rng: np.random.Generator) -> list[Case]:
    return [
        Case("the seed's fit on x = linspace(-pi, pi, 2000)", {"coeffs": SEED_COEFFS, "x": SEED_X}),
        Case(
            "coeffs (0, 0, 0, 1), i.e. y = x^3, on x (5,)",
            {"coeffs": np.array([0.0, 0, 0, 1]), "x": rng.normal(size=5)},
        ),
        Case(
            "coeffs (2, 0, 0, 0), i.e. y = 2, on x (4,)", {"coeffs": np.array([2.0, 0, 0, 0]), "x": rng.normal(size=4)}
        ),
        Case("x of shape (3, 4)", {"coeffs": rng.normal(size=4), "x": rng.normal(size=(3, 4))}),
        Case("x of shape (1,)", {"coeffs": rng.normal(size=4), "x": np.array([0.7])}),
        Case("x of shape (2, 1, 3)", {"coeffs": rng.normal(size=4), "x": rng.normal(size=(2, 1, 3))}),
        Case("x (6,) with |x| up to 1e3", {"coeffs": rng.normal(size=4), "x": rng.uniform(-1e3, 1e3, size=6)}),
    ]


def _loss_cases(rng: np.random.Generator) -> list[Case]:
    y_pred = SEED_COEFFS[0] + SEED_COEFFS[1] * SEED_X + SEED_COEFFS[2] * SEED_X**2 + SEED_COEFFS[3] * SEED_X**3
    return [
        Case("the seed's fit against sin(x), 2000 points", {"y_pred": y_pred, "y": SEED_Y}),
        Case("y_pred and y of shape (7,)", {"y_pred": rng.normal(size=7), "y": rng.normal(size=7)}),
        Case(
            "y_pred and y of shape (4, 3) (sum over all 12 elements)",
            {"y_pred": rng.normal(size=(4, 3)), "y": rng.normal(size=(4, 3))},
        ),
        Case("one element, shape (1,)", {"y_pred": np.array([3.0]), "y": np.array([1.0])}),
        Case("y_pred equal to y (loss 0)", {"y_pred": np.arange(5.0), "y": np.arange(5.0)}),
    ]


def _grad_cases(rng: np.random.Generator) -> list[Case]:
    x50 = rng.uniform(-1, 2, size=50)
    x2d = rng.uniform(-2, 2, size=(3, 5))
    big = rng.uniform(-100, 100, size=8)
    return [
        Case(
            "the seed's data: x = linspace(-pi, pi, 2000), y = sin(x), random coeffs",
            {"coeffs": rng.normal(size=4), "x": SEED_X, "y": SEED_Y},
        ),
        Case("x (50,) in [-1, 2], y = exp(x)", {"coeffs": rng.normal(size=4), "x": x50, "y": np.exp(x50)}),
        Case("a single point, x (1,)", {"coeffs": rng.normal(size=4), "x": np.array([1.5]), "y": np.array([-0.5])}),
        Case("x and y of shape (3, 5)", {"coeffs": rng.normal(size=4), "x": x2d, "y": rng.normal(size=(3, 5))}),
        Case("x (8,) with |x| up to 100", {"coeffs": rng.normal(size=4), "x": big, "y": rng.normal(size=8)}),
    ]


def fit_cases(rng: np.random.Generator, steps: int = 200) -> list[Case]:
    """Gradient-descent trajectories; also used by ``autograd_basics`` (same math)."""
    # Every learning rate is below 1 / (largest eigenvalue of the loss's
    # Hessian) for its x, so the descent converges and rounding differences
    # between correct solutions shrink instead of growing.
    x200 = np.linspace(-np.pi, np.pi, 200)
    x50 = np.sort(rng.uniform(-1, 2, size=50))
    x10 = rng.uniform(-1, 1, size=10)
    return [
        Case(
            "the seed's data: x = linspace(-pi, pi, 2000), y = sin(x), lr = 1e-6, 100 steps",
            {"x": SEED_X, "y": SEED_Y, "coeffs0": rng.normal(size=4), "lr": 1e-6, "steps": 100},
        ),
        Case(
            f"x = linspace(-pi, pi, 200), y = sin(x), lr = 1e-5, {steps} steps",
            {"x": x200, "y": np.sin(x200), "coeffs0": rng.normal(size=4), "lr": 1e-5, "steps": steps},
        ),
        Case(
            f"x (50,) in [-1, 2], y = exp(x) plus noise, lr = 5e-4, {steps} steps",
            {
                "x": x50,
                "y": np.exp(x50) + 0.1 * rng.normal(size=50),
                "coeffs0": rng.normal(size=4),
                "lr": 5e-4,
                "steps": steps,
            },
        ),
        Case(
            "x (10,), a single step (steps = 1), lr = 0.01",
            {"x": x10, "y": rng.normal(size=10), "coeffs0": rng.normal(size=4), "lr": 0.01, "steps": 1},
        ),
    ]


def _run_fit(module, inputs):
    given = copies(inputs)
    return module.fit(given["x"], given["y"], given["coeffs0"], lr=given["lr"], steps=given["steps"])


def _fit_losses(module, inputs, ctx):
    _, losses = _run_fit(module, inputs)
    return np.array([_number(loss, f"losses[{t}]") for t, loss in enumerate(losses)])


def _number(value, what):
    """A loss as a float; a clear error for an array of shape (1,) and the like."""
    if np.ndim(value) != 0:
        raise TypeError(f"{what} is {type(value).__name__} of shape {np.shape(value)}, not a number")
    return float(value)


def _fit_coeffs(module, inputs, ctx):
    coeffs, _ = _run_fit(module, inputs)
    return np.asarray(coeffs, dtype=np.float64)


def _defaults_cases(rng: np.random.Generator) -> list[Case]:
    x = np.linspace(-2.0, 2.0, 16)
    return [
        Case(
            "x = linspace(-2, 2, 16), y = sin(x), default lr and steps",
            {"x": x, "y": np.sin(x), "coeffs0": rng.normal(size=4)},
        )
    ]


def _fit_defaults(module, inputs, ctx):
    given = copies(inputs)
    coeffs, losses = module.fit(given["x"], given["y"], given["coeffs0"])
    return {"number of losses": len(losses), "coeffs": np.asarray(coeffs, dtype=np.float64)}


def _mutation_cases(rng: np.random.Generator) -> list[Case]:
    x = rng.uniform(-1, 1, size=12)
    return [
        Case(
            "coeffs (4,), x (12,), y (12,), lr = 0.01, 5 steps",
            {"coeffs": rng.normal(size=4), "x": x, "y": np.sin(x), "lr": 0.01, "steps": 5},
        )
    ]


@on_copies
def _leaves_inputs(module, given, ctx):
    y_pred = module.predict(given["coeffs"], given["x"])
    module.sse_loss(y_pred, given["y"])
    module.sse_grad(given["coeffs"], given["x"], given["y"])
    module.fit(given["x"], given["y"], given["coeffs"], lr=given["lr"], steps=given["steps"])


FIT_HINT = (
    "fit relies on predict, sse_loss and sse_grad: make those checks pass first. Then, at every step: "
    "the loss and the gradient at the current coeffs, record that loss, and only then update "
    "coeffs = coeffs - lr * grad."
)

EXERCISE = exercise(
    "polyfit",
    unit=3,
    title="Fitting sin(x) with a cubic, gradients by hand (numpy)",
    reference="solutions.polyfit",
    oracles="grader.oracles.polyfit",
    framework="numpy",
    seed=3,
    time_limit=30.0,
    checks=(
        Check(
            name="predict_values",
            function="predict",
            points=1,
            cases=_predict_cases,
            probe=calls("predict", "coeffs", "x"),
            description="predict evaluates a + b x + c x^2 + d x^3 elementwise for x of any shape.",
            hint="coeffs[0] is the constant term and coeffs[3] multiplies x**3 (np.polyval uses the "
            "opposite order); keep x's shape.",
        ),
        Check(
            name="sse_loss_values",
            function="sse_loss",
            points=1,
            cases=_loss_cases,
            probe=calls("sse_loss", "y_pred", "y"),
            oracle="torch_sse",
            description="sse_loss matches F.mse_loss with reduction='sum' and returns a float.",
            hint="Square the differences and add them all up: no mean, no square root. Return float(...).",
        ),
        Check(
            name="sse_grad_autograd",
            function="sse_grad",
            points=3,
            cases=_grad_cases,
            probe=calls("sse_grad", "coeffs", "x", "y"),
            oracle="autograd_grad",
            description="sse_grad equals torch autograd's gradient of the sum of squared errors.",
            hint="dL/dy_pred = 2 (y_pred - y). The derivative with respect to a coefficient is that "
            "times the power of x the coefficient multiplies (d multiplies x**3), summed over all "
            "points. Return an array of shape (4,).",
        ),
        Check(
            name="fit_losses",
            function="fit",
            points=2,
            cases=fit_cases,
            probe=_fit_losses,
            description="fit records one loss per step, each computed before that step's update.",
            hint=FIT_HINT + " losses must have exactly `steps` entries, losses[0] being the loss at coeffs0.",
        ),
        Check(
            name="fit_coeffs",
            function="fit",
            points=2,
            cases=fit_cases,
            probe=_fit_coeffs,
            description="fit's final coefficients match gradient descent from coeffs0 after `steps` updates.",
            hint=FIT_HINT + " Each update uses the gradient at the coeffs it changes, and there are "
            "exactly `steps` updates.",
        ),
        Check(
            name="fit_defaults",
            function="fit",
            points=1,
            cases=_defaults_cases,
            probe=_fit_defaults,
            description="fit's defaults are lr=1e-6 and steps=2000.",
            hint="If fit_losses or fit_coeffs fail too, fix those first. Otherwise check the "
            "signature: fit(x, y, coeffs0, lr=1e-6, steps=2000).",
        ),
        inputs_unchanged(
            "predict, sse_loss, sse_grad, fit",
            cases=_mutation_cases,
            probe=_leaves_inputs,
            oracle="unchanged_inputs",
            requires=("predict_values", "sse_loss_values", "sse_grad_autograd", "fit_coeffs"),
            hint="coeffs = coeffs0 does not copy: a later coeffs -= ... changes the caller's coeffs0. "
            "Start from a copy (np.array(coeffs0, dtype=float)) or write coeffs = coeffs - lr * grad.",
        ),
        numpy_only(
            hint="Use numpy for everything here: the point is to derive the gradient yourself.",
            requires=("predict_values", "sse_loss_values", "sse_grad_autograd", "fit_coeffs"),
        ),
    ),
)


@hookimpl
def grader_exercises():
    return [EXERCISE]
