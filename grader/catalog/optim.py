"""Exercise ``optim``: Adam and SGD with momentum by hand, in numpy.

Every behavioural check runs an optimizer for many steps on a fixed,
seeded gradient sequence and compares the weight after EVERY step with
``torch.optim.Adam`` / ``torch.optim.SGD`` run on a float64 parameter with
the same gradients. A mistake that only shows after a few steps (a step
counter, a buffer) therefore cannot hide behind a correct first step.
"""

from __future__ import annotations

import copy

import numpy as np

from grader import Case, Check, hookimpl
from grader.catalog._rubric import exercise, inputs_unchanged, numpy_only
from grader.probing import OPTIM, copies, on_copies

# The seed article's example: the weight of its 2x2 layer and the gradient of
# the MSE loss at x = [-0.5, 0.1], y = [0.1, 0.2] (as diy_model computes it).
SEED_W = np.array([[0.4, -0.3], [0.2, 0.6]])
SEED_GRAD = np.array([[-0.04228236, 0.00845647], [-0.03623567, 0.00724713]])


# --- gradient sequences -----------------------------------------------------


def _grads(rng: np.random.Generator, steps: int, shape: tuple, scale: float = 1.0) -> np.ndarray:
    """``steps`` gradients of ``shape``: a drift plus noise, so signs change now and then."""
    drift = rng.normal(size=shape)
    return scale * (drift + rng.normal(size=(steps, *shape)))


def _case(label: str, weight: np.ndarray, grads: np.ndarray, **settings) -> Case:
    return Case(label, {"weight": weight, "grads": grads, "settings": settings})


def _seed_case(steps: int, **settings) -> Case:
    what = "one step" if steps == 1 else f"the same gradient for {steps} steps"
    return _case(
        f"the seed example: weight (2, 2), {what}",
        SEED_W,
        np.repeat(SEED_GRAD[None], steps, axis=0),
        **settings,
    )


# --- Adam cases ---------------------------------------------------------------


def _adam_first_step_cases(rng: np.random.Generator) -> list[Case]:
    return [
        _seed_case(1),
        _case("default settings, weight (3,), one step", rng.normal(size=3), _grads(rng, 1, (3,))),
        _case("default settings, weight (2, 3), one step", rng.normal(size=(2, 3)), _grads(rng, 1, (2, 3))),
        _case("default settings, weight (1, 1), one step", rng.normal(size=(1, 1)), _grads(rng, 1, (1, 1))),
    ]


def _adam_trajectory_cases(rng: np.random.Generator) -> list[Case]:
    return [
        _seed_case(30),
        _case("default settings, weight (3,), 40 steps", rng.normal(size=3), _grads(rng, 40, (3,))),
        _case("default settings, weight (2, 3), 50 steps", rng.normal(size=(2, 3)), _grads(rng, 50, (2, 3))),
        _case("default settings, weight (1, 1), 25 steps", rng.normal(size=(1, 1)), _grads(rng, 25, (1, 1))),
        _case(
            "default settings, weight (4, 2), 30 steps of pure noise (gradient signs flip often)",
            rng.normal(size=(4, 2)),
            rng.normal(size=(30, 4, 2)),
        ),
    ]


def _adam_hyperparameter_cases(rng: np.random.Generator) -> list[Case]:
    return [
        _case(
            "lr = 0.01, betas = (0.8, 0.99), weight (3,), 30 steps",
            rng.normal(size=3),
            _grads(rng, 30, (3,)),
            lr=0.01,
            betas=(0.8, 0.99),
        ),
        _case(
            "lr = 0.1, betas = (0.5, 0.9), weight (2, 3), 25 steps",
            rng.normal(size=(2, 3)),
            _grads(rng, 25, (2, 3)),
            lr=0.1,
            betas=(0.5, 0.9),
        ),
        _case(
            "betas = (0.95, 0.9) (beta2 < beta1), weight (2, 2), 30 steps",
            rng.normal(size=(2, 2)),
            _grads(rng, 30, (2, 2)),
            betas=(0.95, 0.9),
        ),
        _case(
            "eps = 1e-3 with gradients of size ~1e-2, weight (4,), 20 steps",
            rng.normal(size=4),
            _grads(rng, 20, (4,), scale=1e-2),
            eps=1e-3,
        ),
        _case(
            "lr = 0.05, betas = (0.0, 0.999), weight (1, 1), 20 steps",
            rng.normal(size=(1, 1)),
            _grads(rng, 20, (1, 1)),
            lr=0.05,
            betas=(0.0, 0.999),
        ),
    ]


def _adam_scale_cases(rng: np.random.Generator) -> list[Case]:
    always_zero = _grads(rng, 30, (2, 3))
    always_zero[:, 0, 1] = 0.0
    mixed = _grads(rng, 30, (3, 3)) * np.array([1e-7, 1.0, 1e4])
    return [
        _case(
            "gradients with |g| up to 1e4, weight (2, 3), 30 steps",
            rng.normal(size=(2, 3)),
            _grads(rng, 30, (2, 3), 3e3),
        ),
        _case(
            "tiny gradients, |g| ~ 1e-6 (eps = 1e-8 matters), weight (3,), 40 steps",
            rng.normal(size=3),
            _grads(rng, 40, (3,), 1e-6),
        ),
        _case(
            "weight (2, 3) whose element [0, 1] always has gradient 0, 30 steps",
            rng.normal(size=(2, 3)),
            always_zero,
        ),
        _case(
            "weight (3, 3) with gradient columns of size 1e-7, 1 and 1e4, 30 steps",
            rng.normal(size=(3, 3)),
            mixed,
        ),
    ]


def _adam_decay_cases(rng: np.random.Generator) -> list[Case]:
    return [
        _case(
            "weight_decay = 0.01, weight (3,), 40 steps",
            rng.normal(size=3) * 3,
            _grads(rng, 40, (3,)),
            weight_decay=0.01,
        ),
        _case(
            "lr = 0.01, weight_decay = 0.1, weight (2, 3), 30 steps",
            rng.normal(size=(2, 3)) * 3,
            _grads(rng, 30, (2, 3)),
            lr=0.01,
            weight_decay=0.1,
        ),
        _case(
            "lr = 0.02, weight_decay = 0.5, weight (1, 1), 20 steps",
            rng.normal(size=(1, 1)) * 3,
            _grads(rng, 20, (1, 1)),
            lr=0.02,
            weight_decay=0.5,
        ),
        _case(
            "all gradients 0, weight_decay = 0.1: only the decay moves weight (2, 2), 20 steps",
            rng.normal(size=(2, 2)) * 3,
            np.zeros((20, 2, 2)),
            weight_decay=0.1,
        ),
    ]


# --- SGD cases ----------------------------------------------------------------


def _sgd_plain_cases(rng: np.random.Generator) -> list[Case]:
    return [
        _seed_case(20, lr=0.1),
        _case("lr = 0.01, weight (3,), 30 steps", rng.normal(size=3), _grads(rng, 30, (3,)), lr=0.01),
        _case(
            "lr = 1.5, momentum = 0.0 given explicitly, weight (2, 3), 20 steps",
            rng.normal(size=(2, 3)),
            _grads(rng, 20, (2, 3)),
            lr=1.5,
            momentum=0.0,
        ),
        _case("lr = 0.1, weight (1, 1), 25 steps", rng.normal(size=(1, 1)), _grads(rng, 25, (1, 1)), lr=0.1),
    ]


def _sgd_momentum_cases(rng: np.random.Generator) -> list[Case]:
    return [
        _seed_case(30, lr=0.1, momentum=0.9),
        _case(
            "lr = 0.01, momentum = 0.9, weight (3,), 40 steps",
            rng.normal(size=3),
            _grads(rng, 40, (3,)),
            lr=0.01,
            momentum=0.9,
        ),
        _case(
            "lr = 0.1, momentum = 0.5, weight (2, 3), 30 steps",
            rng.normal(size=(2, 3)),
            _grads(rng, 30, (2, 3)),
            lr=0.1,
            momentum=0.5,
        ),
        _case(
            "lr = 1e-3, momentum = 0.99, weight (1, 1), 50 steps",
            rng.normal(size=(1, 1)),
            _grads(rng, 50, (1, 1)),
            lr=1e-3,
            momentum=0.99,
        ),
    ]


def _sgd_nesterov_cases(rng: np.random.Generator) -> list[Case]:
    return [
        _case(
            "lr = 0.01, momentum = 0.9, nesterov, weight (3,), 40 steps",
            rng.normal(size=3),
            _grads(rng, 40, (3,)),
            lr=0.01,
            momentum=0.9,
            nesterov=True,
        ),
        _case(
            "lr = 0.1, momentum = 0.5, nesterov, weight (2, 3), 30 steps",
            rng.normal(size=(2, 3)),
            _grads(rng, 30, (2, 3)),
            lr=0.1,
            momentum=0.5,
            nesterov=True,
        ),
        _case(
            "lr = 0.05, momentum = 0.95, nesterov, weight (1, 1), 25 steps",
            rng.normal(size=(1, 1)),
            _grads(rng, 25, (1, 1)),
            lr=0.05,
            momentum=0.95,
            nesterov=True,
        ),
    ]


def _sgd_decay_cases(rng: np.random.Generator) -> list[Case]:
    return [
        _case(
            "lr = 0.1, weight_decay = 0.1, no momentum, weight (3,), 30 steps",
            rng.normal(size=3) * 3,
            _grads(rng, 30, (3,)),
            lr=0.1,
            weight_decay=0.1,
        ),
        _case(
            "lr = 0.01, momentum = 0.9, weight_decay = 0.01, weight (2, 3), 40 steps",
            rng.normal(size=(2, 3)) * 3,
            _grads(rng, 40, (2, 3)),
            lr=0.01,
            momentum=0.9,
            weight_decay=0.01,
        ),
        _case(
            "lr = 0.05, momentum = 0.8, nesterov, weight_decay = 0.05, weight (2, 2), 30 steps",
            rng.normal(size=(2, 2)) * 3,
            _grads(rng, 30, (2, 2)),
            lr=0.05,
            momentum=0.8,
            nesterov=True,
            weight_decay=0.05,
        ),
        _case(
            "all gradients 0, lr = 0.1, momentum = 0.9, weight_decay = 0.2, weight (1, 1), 20 steps",
            rng.normal(size=(1, 1)) * 3,
            np.zeros((20, 1, 1)),
            lr=0.1,
            momentum=0.9,
            weight_decay=0.2,
        ),
    ]


# --- probes ------------------------------------------------------------------


def _trajectory(optimizer, weight, grads) -> dict:
    """Step ``optimizer`` through ``grads``; the weight after every step."""
    out = {}
    for t, grad in enumerate(grads, start=1):
        weight = optimizer.step(grad, weight)
        out[f"weight after step {t}"] = copy.deepcopy(weight)
    return out


def _adam(module, inputs, ctx):
    given = copies(inputs)
    return _trajectory(module.DiyAdam(**given["settings"]), given["weight"], given["grads"])


def _sgd(module, inputs, ctx):
    given = copies(inputs)
    return _trajectory(module.DiySGD(**given["settings"]), given["weight"], given["grads"])


# --- separate state -------------------------------------------------------------


def _run(rng: np.random.Generator, kind: str, shape: tuple, steps: int, **settings) -> dict:
    """One optimizer's part of a case: ``kind`` is ``"Adam"`` or ``"SGD"``."""
    weight = rng.normal(size=shape)
    return {"kind": kind, "weight": weight, "grads": _grads(rng, steps, shape), "settings": settings}


def _separate_cases(rng: np.random.Generator) -> list[Case]:
    def run(kind, shape, steps, **settings):
        return _run(rng, kind, shape, steps, **settings)

    return [
        Case(
            "DiyAdam on weights (3,) and (2, 3) with lr 1e-3 and 0.01, DiySGD with momentum 0.9 "
            "on weights (2, 2) and (4,): one step of each in turn, 20 rounds",
            {
                "runs": [
                    run("Adam", (3,), 20),
                    run("Adam", (2, 3), 20, lr=0.01),
                    run("SGD", (2, 2), 20, lr=0.1, momentum=0.9),
                    run("SGD", (4,), 20, lr=0.05, momentum=0.9),
                ]
            },
        ),
        Case(
            "two DiyAdam with the same settings on two weights (2, 2), steps taken in turn, 25 rounds",
            {"runs": [run("Adam", (2, 2), 25), run("Adam", (2, 2), 25)]},
        ),
    ]


def _interleaved(make, runs) -> dict:
    optimizers = [make(run) for run in runs]
    weights = [run["weight"] for run in runs]
    out = {}
    for t in range(len(runs[0]["grads"])):
        for i, (optimizer, run) in enumerate(zip(optimizers, runs)):
            weights[i] = optimizer.step(run["grads"][t], weights[i])
            out[f"optimizer {i + 1} ({run['kind']}), weight after step {t + 1}"] = copy.deepcopy(weights[i])
    return out


def _separate(module, inputs, ctx):
    given = copies(inputs)
    return _interleaved(lambda run: getattr(module, "Diy" + run["kind"])(**run["settings"]), given["runs"])


# --- inputs unchanged ---------------------------------------------------------


def _mutation_cases(rng: np.random.Generator) -> list[Case]:
    def run(kind, shape, **settings):
        return _run(rng, kind, shape, 5, **settings)

    return [
        Case(
            "DiyAdam with weight_decay = 0.1 on weight (2, 3), DiySGD with momentum 0.9 on weight (3,), "
            "DiySGD with nesterov and weight_decay = 0.1 on weight (2, 2), 5 steps each",
            {
                "runs": [
                    run("Adam", (2, 3), lr=0.01, weight_decay=0.1),
                    run("SGD", (3,), lr=0.1, momentum=0.9),
                    run("SGD", (2, 2), lr=0.1, momentum=0.5, nesterov=True, weight_decay=0.1),
                ]
            },
        )
    ]


@on_copies
def _leaves_inputs(module, given, ctx):
    for run in given["runs"]:
        optimizer = getattr(module, "Diy" + run["kind"])(**run["settings"])
        weight = run["weight"]
        for grad in run["grads"]:
            weight = optimizer.step(grad, weight)


EXERCISE = exercise(
    "optim",
    unit=2,
    title="Optimizers by hand: Adam and SGD with momentum (numpy)",
    reference="solutions.optim",
    oracles="grader.oracles.optim",
    framework="numpy",
    seed=2,
    time_limit=30.0,
    preload=OPTIM,  # the torch.optim oracles, in the reference process
    checks=(
        Check(
            name="adam_first_step",
            function="DiyAdam",
            points=1,
            cases=_adam_first_step_cases,
            probe=_adam,
            oracle="torch_adam",
            description="One step of a fresh DiyAdam matches torch.optim.Adam.",
            hint="At the first step t = 1 and m, v start at zero. Bias-correct both moments, "
            "m / (1 - beta1**t) and v / (1 - beta2**t); the step is lr * m_hat / (sqrt(v_hat) + eps).",
        ),
        Check(
            name="adam_trajectory",
            function="DiyAdam",
            points=2,
            cases=_adam_trajectory_cases,
            probe=_adam,
            oracle="torch_adam",
            description="DiyAdam with default settings matches torch.optim.Adam after each of 25-50 steps.",
            hint="Keep the step count t and the moments m, v on self and carry them from call to call: "
            "create them once, never reset them in step(), and increment t at every step before "
            "the bias correction.",
        ),
        Check(
            name="adam_hyperparameters",
            function="DiyAdam",
            points=1,
            cases=_adam_hyperparameter_cases,
            probe=_adam,
            oracle="torch_adam",
            description="DiyAdam uses the lr, betas and eps it was given.",
            hint="Use the lr, betas and eps passed to __init__ rather than fixed numbers: "
            "beta1 decays m (the gradient average), beta2 decays v (the squared gradient average).",
        ),
        Check(
            name="adam_gradient_scale",
            function="DiyAdam",
            points=1,
            cases=_adam_scale_cases,
            probe=_adam,
            oracle="torch_adam",
            description="DiyAdam matches torch for gradients from 1e-7 to 1e4 and for gradients that stay 0.",
            hint="Add eps outside the square root, sqrt(v_hat) + eps: with tiny gradients "
            "sqrt(v_hat + eps) is far larger. A gradient that is always 0 must leave its weight "
            "unchanged (0 / eps = 0), not nan.",
        ),
        Check(
            name="adam_weight_decay",
            function="DiyAdam",
            points=1,
            cases=_adam_decay_cases,
            probe=_adam,
            oracle="torch_adam",
            description="DiyAdam's weight_decay is torch.optim.Adam's L2 penalty.",
            hint="torch.optim.Adam adds weight_decay * weight to the gradient before m and v are updated. "
            "Shrinking the weight separately (w - lr * weight_decay * w) is AdamW, a different optimizer.",
        ),
        Check(
            name="sgd_plain",
            function="DiySGD",
            points=1,
            cases=_sgd_plain_cases,
            probe=_sgd,
            oracle="torch_sgd",
            description="DiySGD without momentum matches torch.optim.SGD at every step.",
            hint="Without momentum each step is weight - lr * grad.",
        ),
        Check(
            name="sgd_momentum",
            function="DiySGD",
            points=1,
            cases=_sgd_momentum_cases,
            probe=_sgd,
            oracle="torch_sgd",
            description="DiySGD with momentum matches torch.optim.SGD (dampening 0) at every step.",
            hint="torch's buffer starts as a copy of the first gradient (b = g), then b = momentum * b + g; "
            "there is no (1 - momentum) factor. The step is weight - lr * b.",
        ),
        Check(
            name="sgd_nesterov",
            function="DiySGD",
            points=1,
            cases=_sgd_nesterov_cases,
            probe=_sgd,
            oracle="torch_sgd",
            description="DiySGD with nesterov=True matches torch.optim.SGD at every step.",
            hint="With nesterov=True the step direction is g + momentum * b, where b is the buffer "
            "already updated with this step's gradient g.",
        ),
        Check(
            name="sgd_weight_decay",
            function="DiySGD",
            points=1,
            cases=_sgd_decay_cases,
            probe=_sgd,
            oracle="torch_sgd",
            description="DiySGD's weight_decay matches torch.optim.SGD, with and without momentum.",
            hint="Add weight_decay * weight to the gradient first, and use that gradient everywhere after: "
            "in the momentum buffer and in the nesterov direction.",
        ),
        Check(
            name="separate_state",
            function="DiyAdam, DiySGD",
            points=1,
            cases=_separate_cases,
            probe=_separate,
            oracle="torch_separate",
            description="Optimizers used side by side on different weights do not share state.",
            hint="Keep every piece of state (step count, moments, buffer, settings) in attributes of self. "
            "Class attributes and module-level variables are shared by all instances.",
        ),
        inputs_unchanged(
            "DiyAdam.step, DiySGD.step",
            cases=_mutation_cases,
            probe=_leaves_inputs,
            oracle="unchanged_inputs",
            requires=("adam_trajectory", "sgd_plain", "sgd_momentum"),
            description="step() modifies neither the gradient nor the weight it is given.",
            hint="weight -= ..., grad += ... and in-place updates of a stored array that is the caller's "
            "(self.buf = grad, then self.buf *= momentum) write into the caller's arrays. Build new "
            "arrays (w = w - ...), or store a copy.",
        ),
        numpy_only(
            hint="Write the updates with numpy: the point is to see what torch.optim does for you.",
            requires=("adam_trajectory", "sgd_plain", "sgd_momentum"),
        ),
    ),
)


@hookimpl
def grader_exercises():
    return [EXERCISE]
