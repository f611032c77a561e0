"""polyfit: the reference passes; each realistic mistake loses exactly its checks."""

import numpy as np

from grader.catalog.polyfit import EXERCISE as POLYFIT
from grader.testing import Alternative, Broken, Suite

FIT_CHECKS = {"fit_losses", "fit_coeffs", "fit_defaults"}

LOOP = """    for _ in range(steps):
        losses.append(sse_loss(predict(coeffs, x), y))
        coeffs = coeffs - lr * sse_grad(coeffs, x, y)
"""

BROKEN = [
    Broken(
        "predict-polyval-order",
        "    return a + x * (b + x * (c + x * d))",
        "    return np.polyval(coeffs, x)",
        fails={"predict_values", "sse_grad_autograd"} | FIT_CHECKS | {"inputs_unchanged", "numpy_only"},
        says="predict, on the seed's fit",
    ),
    Broken(
        "predict-wrong-power",
        "    return a + x * (b + x * (c + x * d))",
        "    return a + b * x + c * x**2 + d * x**2",
        fails={"predict_values", "sse_grad_autograd"} | FIT_CHECKS | {"inputs_unchanged", "numpy_only"},
        says="predict",
    ),
    Broken(
        "loss-mean-not-sum",
        "    return float(np.sum(diff * diff))",
        "    return float(np.mean(diff * diff))",
        fails={"sse_loss_values", "fit_losses", "inputs_unchanged", "numpy_only"},
        says="sse_loss, on the seed's fit against sin(x)",
    ),
    Broken(
        "loss-euclidean-distance",
        "    return float(np.sum(diff * diff))",
        "    return float(np.linalg.norm(diff))",
        fails={"sse_loss_values", "fit_losses", "inputs_unchanged", "numpy_only"},
        says="sse_loss",
    ),
    Broken(
        "loss-returns-array",
        "    return float(np.sum(diff * diff))",
        "    return np.sum(diff * diff, keepdims=True)",
        fails={"sse_loss_values", "fit_losses", "inputs_unchanged", "numpy_only"},
        says="losses[0] is ndarray of shape (1,), not a number",
    ),
    Broken(
        "grad-missing-factor-2",
        "    grad_pred = 2.0 * (predict(coeffs, x) - np.asarray(y, dtype=np.float64))",
        "    grad_pred = predict(coeffs, x) - np.asarray(y, dtype=np.float64)",
        fails={"sse_grad_autograd"} | FIT_CHECKS | {"inputs_unchanged", "numpy_only"},
        says="sse_grad",
    ),
    Broken(
        "grad-wrong-sign",
        "    grad_pred = 2.0 * (predict(coeffs, x) - np.asarray(y, dtype=np.float64))",
        "    grad_pred = 2.0 * (np.asarray(y, dtype=np.float64) - predict(coeffs, x))",
        fails={"sse_grad_autograd"} | FIT_CHECKS | {"inputs_unchanged", "numpy_only"},
        says="sse_grad",
    ),
    Broken(
        "grad-x3-term-uses-x2",
        "(grad_x2 * x).sum()])",
        "grad_x2.sum()])",
        fails={"sse_grad_autograd"} | FIT_CHECKS | {"inputs_unchanged", "numpy_only"},
        says="result[3]",
    ),
    Broken(
        "grad-x3-term-differentiated-in-x",
        "(grad_x2 * x).sum()])",
        "3 * grad_x2.sum()])",
        fails={"sse_grad_autograd"} | FIT_CHECKS | {"inputs_unchanged", "numpy_only"},
        says="result[3]",
    ),
    Broken(
        "grad-returns-list",
        "    return np.array([grad_pred.sum(), grad_x.sum(), grad_x2.sum(), (grad_x2 * x).sum()])",
        "    return [grad_pred.sum(), grad_x.sum(), grad_x2.sum(), (grad_x2 * x).sum()]",
        fails={"sse_grad_autograd", "inputs_unchanged"} | FIT_CHECKS | {"numpy_only"},
        says="expected float64 array of shape (4,), got a list",
    ),
    Broken(
        "fit-loss-after-update",
        LOOP,
        """    for _ in range(steps):
        coeffs = coeffs - lr * sse_grad(coeffs, x, y)
        losses.append(sse_loss(predict(coeffs, x), y))
""",
        fails={"fit_losses"},
        says="result[0]",
    ),
    Broken(
        "fit-update-before-gradient",
        LOOP,
        """    grad = np.zeros(4)
    for _ in range(steps):
        coeffs = coeffs - lr * grad
        losses.append(sse_loss(predict(coeffs, x), y))
        grad = sse_grad(coeffs, x, y)
""",
        fails={"fit_coeffs", "fit_defaults", "inputs_unchanged", "numpy_only"},
        says="fit, on the seed's data",
    ),
    Broken(
        "fit-one-step-short",
        "    for _ in range(steps):",
        "    for _ in range(steps - 1):",
        fails=FIT_CHECKS | {"inputs_unchanged", "numpy_only"},
        says="expected shape",
    ),
    Broken(
        "fit-wrong-default-lr",
        "def fit(x, y, coeffs0, lr=1e-6, steps=2000):",
        "def fit(x, y, coeffs0, lr=1e-4, steps=2000):",
        fails={"fit_defaults"},
        says="default lr and steps",
    ),
    Broken(
        "fit-wrong-default-steps",
        "def fit(x, y, coeffs0, lr=1e-6, steps=2000):",
        "def fit(x, y, coeffs0, lr=1e-6, steps=1000):",
        fails={"fit_defaults"},
        says="number of losses",
    ),
    Broken(
        "fit-updates-coeffs0-in-place",
        "    coeffs = np.array(coeffs0, dtype=np.float64)  # a copy: coeffs0 stays as it was\n    losses = []\n" + LOOP,
        "    coeffs = coeffs0\n    losses = []\n" + LOOP.replace("coeffs = coeffs - lr", "coeffs -= lr"),
        fails={"inputs_unchanged"},
        says="result['coeffs']",
    ),
    Broken(
        "imports-torch",
        "import numpy as np\n",
        "import numpy as np\nimport torch\n",
        fails={check.name for check in POLYFIT.checks},  # torch cannot even be imported: nothing runs
        says="torch is not available in a numpy exercise",
    ),
]

# The article's loop (scalars a, b, c, d, x ** k powers) is a correct answer.
SEED_FORMULATION = """
import numpy as np


def predict(coeffs, x):
    a, b, c, d = coeffs
    return a + b * x + c * x ** 2 + d * x ** 3


def sse_loss(y_pred, y):
    return float(np.square(y_pred - y).sum())


def sse_grad(coeffs, x, y):
    grad_y_pred = 2.0 * (predict(coeffs, x) - y)
    return np.array([grad_y_pred.sum(), (grad_y_pred * x).sum(),
                     (grad_y_pred * x ** 2).sum(), (grad_y_pred * x ** 3).sum()])


def fit(x, y, coeffs0, lr=1e-6, steps=2000):
    a, b, c, d = coeffs0
    losses = []
    for t in range(steps):
        y_pred = a + b * x + c * x ** 2 + d * x ** 3
        losses.append(np.square(y_pred - y).sum())
        grad_y_pred = 2.0 * (y_pred - y)
        a -= lr * grad_y_pred.sum()
        b -= lr * (grad_y_pred * x).sum()
        c -= lr * (grad_y_pred * x ** 2).sum()
        d -= lr * (grad_y_pred * x ** 3).sum()
    return np.array([a, b, c, d]), losses
"""

SUITE = Suite(
    "polyfit",
    max_score=12,
    broken=BROKEN,
    alternatives=[Alternative("seed-formulation", rewrite=lambda reference: SEED_FORMULATION)],
)


def test_fit_learning_rates_converge():
    """Each fit case's lr is below 1 / lambda_max of the loss's Hessian, so rounding cannot grow."""
    from grader.catalog.polyfit import EXERCISE, fit_cases

    for case in fit_cases(np.random.default_rng(EXERCISE.seed)):
        x = case.inputs["x"]
        design = np.stack([x**k for k in range(4)], axis=-1)
        hessian = 2.0 * design.T @ design
        assert case.inputs["lr"] * np.linalg.eigvalsh(hessian).max() < 1.0, case.label
