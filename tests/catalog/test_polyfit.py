"""polyfit: the reference passes; each realistic mistake loses exactly its checks."""

import numpy as np
import pytest

from tests.conftest import failing, solution_source
from grader.catalog.polyfit import EXERCISE as POLYFIT

FIT_CHECKS = {"fit_losses", "fit_coeffs", "fit_defaults"}

LOOP = """    for _ in range(steps):
        losses.append(sse_loss(predict(coeffs, x), y))
        coeffs = coeffs - lr * sse_grad(coeffs, x, y)
"""

BROKEN = [
    pytest.param(
        "    return a + x * (b + x * (c + x * d))",
        "    return np.polyval(coeffs, x)",
        {"predict_values", "sse_grad_autograd"} | FIT_CHECKS | {"inputs_unchanged", "numpy_only"},
        "predict, on the seed's fit",
        id="predict-polyval-order",
    ),
    pytest.param(
        "    return a + x * (b + x * (c + x * d))",
        "    return a + b * x + c * x**2 + d * x**2",
        {"predict_values", "sse_grad_autograd"} | FIT_CHECKS | {"inputs_unchanged", "numpy_only"},
        "predict",
        id="predict-wrong-power",
    ),
    pytest.param(
        "    return float(np.sum(diff * diff))",
        "    return float(np.mean(diff * diff))",
        {"sse_loss_values", "fit_losses", "inputs_unchanged", "numpy_only"},
        "sse_loss, on the seed's fit against sin(x)",
        id="loss-mean-not-sum",
    ),
    pytest.param(
        "    return float(np.sum(diff * diff))",
        "    return float(np.linalg.norm(diff))",
        {"sse_loss_values", "fit_losses", "inputs_unchanged", "numpy_only"},
        "sse_loss",
        id="loss-euclidean-distance",
    ),
    pytest.param(
        "    return float(np.sum(diff * diff))",
        "    return np.sum(diff * diff, keepdims=True)",
        {"sse_loss_values", "fit_losses", "inputs_unchanged", "numpy_only"},
        "losses[0] is ndarray of shape (1,), not a number",
        id="loss-returns-array",
    ),
    pytest.param(
        "    grad_pred = 2.0 * (predict(coeffs, x) - np.asarray(y, dtype=np.float64))",
        "    grad_pred = predict(coeffs, x) - np.asarray(y, dtype=np.float64)",
        {"sse_grad_autograd"} | FIT_CHECKS | {"inputs_unchanged", "numpy_only"},
        "sse_grad",
        id="grad-missing-factor-2",
    ),
    pytest.param(
        "    grad_pred = 2.0 * (predict(coeffs, x) - np.asarray(y, dtype=np.float64))",
        "    grad_pred = 2.0 * (np.asarray(y, dtype=np.float64) - predict(coeffs, x))",
        {"sse_grad_autograd"} | FIT_CHECKS | {"inputs_unchanged", "numpy_only"},
        "sse_grad",
        id="grad-wrong-sign",
    ),
    pytest.param(
        "(grad_x2 * x).sum()])",
        "grad_x2.sum()])",
        {"sse_grad_autograd"} | FIT_CHECKS | {"inputs_unchanged", "numpy_only"},
        "result[3]",
        id="grad-x3-term-uses-x2",
    ),
    pytest.param(
        "(grad_x2 * x).sum()])",
        "3 * grad_x2.sum()])",
        {"sse_grad_autograd"} | FIT_CHECKS | {"inputs_unchanged", "numpy_only"},
        "result[3]",
        id="grad-x3-term-differentiated-in-x",
    ),
    pytest.param(
        "    return np.array([grad_pred.sum(), grad_x.sum(), grad_x2.sum(), (grad_x2 * x).sum()])",
        "    return [grad_pred.sum(), grad_x.sum(), grad_x2.sum(), (grad_x2 * x).sum()]",
        {"sse_grad_autograd", "inputs_unchanged"} | FIT_CHECKS | {"numpy_only"},
        "expected float64 array of shape (4,), got a list",
        id="grad-returns-list",
    ),
    pytest.param(
        LOOP,
        """    for _ in range(steps):
        coeffs = coeffs - lr * sse_grad(coeffs, x, y)
        losses.append(sse_loss(predict(coeffs, x), y))
""",
        {"fit_losses"},
        "result[0]",
        id="fit-loss-after-update",
    ),
    pytest.param(
        LOOP,
        """    grad = np.zeros(4)
    for _ in range(steps):
        coeffs = coeffs - lr * grad
        losses.append(sse_loss(predict(coeffs, x), y))
        grad = sse_grad(coeffs, x, y)
""",
        {"fit_coeffs", "fit_defaults", "inputs_unchanged", "numpy_only"},
        "fit, on the seed's data",
        id="fit-update-before-gradient",
    ),
    pytest.param(
        "    for _ in range(steps):",
        "    for _ in range(steps - 1):",
        FIT_CHECKS | {"inputs_unchanged", "numpy_only"},
        "expected shape",
        id="fit-one-step-short",
    ),
    pytest.param(
        "def fit(x, y, coeffs0, lr=1e-6, steps=2000):",
        "def fit(x, y, coeffs0, lr=1e-4, steps=2000):",
        {"fit_defaults"},
        "default lr and steps",
        id="fit-wrong-default-lr",
    ),
    pytest.param(
        "def fit(x, y, coeffs0, lr=1e-6, steps=2000):",
        "def fit(x, y, coeffs0, lr=1e-6, steps=1000):",
        {"fit_defaults"},
        "number of losses",
        id="fit-wrong-default-steps",
    ),
    pytest.param(
        "    coeffs = np.array(coeffs0, dtype=np.float64)  # a copy: coeffs0 stays as it was\n    losses = []\n" + LOOP,
        "    coeffs = coeffs0\n    losses = []\n" + LOOP.replace("coeffs = coeffs - lr", "coeffs -= lr"),
        {"inputs_unchanged"},
        "result['coeffs']",
        id="fit-updates-coeffs0-in-place",
    ),
    pytest.param(
        "import numpy as np\n",
        "import numpy as np\nimport torch\n",
        {check.name for check in POLYFIT.checks},  # torch cannot even be imported: nothing runs
        "torch is not available in a numpy exercise",
        id="imports-torch",
    ),
]


def test_reference_scores_full_marks(grade_source):
    result = grade_source("polyfit", solution_source("polyfit"))
    assert failing(result) == set(), [c.message for c in result.checks]
    assert result.score == result.max_score == 12


@pytest.mark.parametrize("old, new, expected, phrase", BROKEN)
def test_broken_variant_loses_exactly_its_checks(grade_source, broken_solution, old, new, expected, phrase):
    result = grade_source("polyfit", broken_solution("polyfit", old, new))
    assert failing(result) == expected, {c.name: c.message for c in result.checks if c.status != "passed"}
    messages = "\n".join(c.message for c in result.checks if c.name in expected)
    assert phrase in messages


def test_the_seed_formulation_passes_too(grade_source):
    """The article's loop (scalars a, b, c, d, x ** k powers) is a correct answer."""
    source = '''
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
'''
    result = grade_source("polyfit", source)
    assert failing(result) == set(), [c.message for c in result.checks]


def test_fit_learning_rates_converge():
    """Each fit case's lr is below 1 / lambda_max of the loss's Hessian, so rounding cannot grow."""
    from grader.catalog.polyfit import EXERCISE, fit_cases

    for case in fit_cases(np.random.default_rng(EXERCISE.seed)):
        x = case.inputs["x"]
        design = np.stack([x**k for k in range(4)], axis=-1)
        hessian = 2.0 * design.T @ design
        assert case.inputs["lr"] * np.linalg.eigvalsh(hessian).max() < 1.0, case.label
