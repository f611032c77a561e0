"""autograd_basics: the reference passes; each realistic mistake loses exactly its checks."""

import numpy as np
import pytest

from grader.testing import Alternative, Broken, Suite

LEGENDRE_GRAD = {"legendre_backward", "legendre_gradcheck", "fit_legendre_trajectory"}

BROKEN = [
    Broken(
        "fit-autograd-gradients-accumulate",
        "        coeffs.grad = None\n",
        "",
        fails={"fit_autograd_trajectory", "fit_autograd_keeps_dtype", "autograd_usage", "inputs_unchanged"},
        says="fit_autograd, on the seed's data",
    ),
    Broken(
        "fit-autograd-new-cpu-float32-tensor",
        "    coeffs = torch.as_tensor(coeffs0).detach().to(device=x.device, dtype=x.dtype).clone()",
        "    coeffs = torch.tensor(coeffs0.tolist())",
        fails={"fit_autograd_trajectory", "autograd_usage", "inputs_unchanged"},
        says="expected a tensor with dtype float64, got float32",
    ),
    Broken(
        "fit-autograd-hardcodes-float64",
        "    coeffs = torch.as_tensor(coeffs0).detach().to(device=x.device, dtype=x.dtype).clone()",
        "    coeffs = coeffs0.detach().to(dtype=torch.float64).clone()",
        fails={"fit_autograd_keeps_dtype"},
        says="expected a tensor with dtype float32, got float64",
    ),
    Broken(
        "fit-autograd-updates-coeffs0-in-place",
        "    coeffs = torch.as_tensor(coeffs0).detach().to(device=x.device, dtype=x.dtype).clone()",
        "    coeffs = coeffs0",
        fails={"inputs_unchanged"},
        says="result['coeffs0']",
    ),
    Broken(
        "fit-autograd-gradient-by-hand",
        "        losses.append(loss.item())\n        loss.backward()\n        with torch.no_grad():\n"
        "            coeffs -= lr * coeffs.grad\n",
        "        losses.append(loss.item())\n        with torch.no_grad():\n"
        "            g = 2.0 * (y_pred - y)\n"
        "            coeffs -= lr * torch.stack([g.sum(), (g * x).sum(), (g * x**2).sum(), (g * x**3).sum()])\n",
        fails={"autograd_usage"},
        says="fit_autograd never calls .backward()",
    ),
    Broken(
        "legendre-forward-parentheses",
        "        return 0.5 * (5 * x**3 - 3 * x)",
        "        return 0.5 * 5 * x**3 - 3 * x",
        fails={"legendre_forward", "legendre_gradcheck", "fit_legendre_trajectory"}
        | {"fit_legendre_uses_function", "inputs_unchanged"},
        says="LegendreP3.forward, on x = linspace(-1, 1, 11)",
    ),
    Broken(
        "legendre-backward-ignores-grad-output",
        "        return grad_output * 1.5 * (5 * x**2 - 1)",
        "        return 1.5 * (5 * x**2 - 1)",
        fails=LEGENDRE_GRAD | {"autograd_usage", "fit_legendre_uses_function", "inputs_unchanged"},
        says="result['x.grad']",
    ),
    Broken(
        "legendre-backward-wrong-coefficient",
        "        return grad_output * 1.5 * (5 * x**2 - 1)",
        "        return grad_output * 0.5 * (15 * x**2 - 1)",
        fails=LEGENDRE_GRAD | {"autograd_usage", "fit_legendre_uses_function", "inputs_unchanged"},
        says="LegendreP3.backward, on x (5,)",
    ),
    Broken(
        "legendre-backward-wrong-power",
        "        return grad_output * 1.5 * (5 * x**2 - 1)",
        "        return grad_output * 1.5 * (5 * x**3 - 1)",
        fails=LEGENDRE_GRAD | {"autograd_usage", "fit_legendre_uses_function", "inputs_unchanged"},
        says="LegendreP3.backward",
    ),
    Broken(
        "legendre-backward-by-autograd",
        "        (x,) = ctx.saved_tensors\n        return grad_output * 1.5 * (5 * x**2 - 1)",
        "        (x,) = ctx.saved_tensors\n"
        "        with torch.enable_grad():\n"
        "            x = x.detach().requires_grad_(True)\n"
        "            (grad,) = torch.autograd.grad(0.5 * (5 * x**3 - 3 * x), x, grad_output)\n"
        "        return grad",
        fails={"autograd_usage"},
        says="LegendreP3.backward calls enable_grad()",
    ),
    Broken(
        "fit-legendre-formula-instead-of-apply",
        "        y_pred = params[0] + params[1] * LegendreP3.apply(params[2] + params[3] * x)",
        "        z = params[2] + params[3] * x\n        y_pred = params[0] + params[1] * 0.5 * (5 * z**3 - 3 * z)",
        fails={"fit_legendre_uses_function"},
        says="steps whose gradient went through LegendreP3.backward",
    ),
    Broken(
        "fit-legendre-gradients-accumulate",
        "        params.grad = None\n",
        "",
        fails={"fit_legendre_trajectory", "fit_legendre_uses_function", "inputs_unchanged"},
        says="fit_legendre, on the seed's data",
    ),
    Broken(
        "fit-legendre-ascends",
        "            params -= lr * params.grad\n",
        "            params += lr * params.grad\n",
        fails={"fit_legendre_trajectory", "fit_legendre_uses_function", "inputs_unchanged"},
        says="fit_legendre",
    ),
]

# A LegendreP3 that is not an autograd Function at all: autograd differentiates
# the formula, so every value is right, but no hand-written backward ever runs.
PLAIN_CLASS = '''class LegendreP3:
    """Not a Function."""

    @staticmethod
    def apply(x):
        return 0.5 * (5 * x**3 - 3 * x)


def fit_legendre('''


def _replace_class(source: str) -> str:
    start = source.index("class LegendreP3(torch.autograd.Function):")
    end = source.index("def fit_legendre(")
    return source[:start] + PLAIN_CLASS + source[end + len("def fit_legendre(") :]


BROKEN += [
    Broken(
        "legendre-not-a-function",
        rewrite=_replace_class,
        # autograd_usage requires legendre_backward, so it is not counted either.
        fails={"legendre_backward", "fit_legendre_uses_function", "autograd_usage"},
        says="grad_fn is LegendreP3's backward node",
    ),
    Broken(
        # An identity "P3" whose backward matches it passes gradcheck, which counts only with a right forward.
        "consistent-but-wrong-legendre-earns-no-gradcheck-point",
        edits=[
            ("        return 0.5 * (5 * x**3 - 3 * x)", "        return x.clone()"),
            ("        return grad_output * 1.5 * (5 * x**2 - 1)", "        return grad_output"),
        ],
        fails={
            "legendre_forward",
            "legendre_backward",
            "legendre_gradcheck",  # passes on its own, requires legendre_forward
            "fit_legendre_trajectory",
            "fit_legendre_uses_function",  # requires fit_legendre_trajectory
            "inputs_unchanged",  # requires legendre_forward and fit_legendre_trajectory
            "autograd_usage",  # requires legendre_backward
        },
        says="not yet counted: needs 'legendre_forward' to pass first",
    ),
]

# Scalar parameters a, b, c, d, P3 = LegendreP3.apply and manual zeroing, as in the seed.
TUTORIAL = """
import torch


def fit_autograd(x, y, coeffs0, lr=1e-6, steps=2000):
    a, b, c, d = (v.detach().clone().requires_grad_() for v in coeffs0)
    losses = []
    for t in range(steps):
        y_pred = a + b * x + c * x ** 2 + d * x ** 3
        loss = (y_pred - y).pow(2).sum()
        losses.append(loss.item())
        loss.backward()
        with torch.no_grad():
            for p in (a, b, c, d):
                p -= lr * p.grad
                p.grad = None
    return torch.stack([a, b, c, d]).detach(), losses


class LegendreP3(torch.autograd.Function):
    @staticmethod
    def forward(ctx, input):
        ctx.save_for_backward(input)
        return 0.5 * (5 * input ** 3 - 3 * input)

    @staticmethod
    def backward(ctx, grad_output):
        input, = ctx.saved_tensors
        return grad_output * 1.5 * (5 * input ** 2 - 1)


def fit_legendre(x, y, params0, lr=5e-6, steps=2000):
    a, b, c, d = (v.detach().clone().requires_grad_() for v in params0)
    losses = []
    for t in range(steps):
        P3 = LegendreP3.apply
        y_pred = a + b * P3(c + d * x)
        loss = (y_pred - y).pow(2).sum()
        losses.append(loss)
        loss.backward()
        with torch.no_grad():
            for p in (a, b, c, d):
                p -= lr * p.grad
                p.grad.zero_()
    return torch.stack([a, b, c, d]).detach(), losses
"""

SUITE = Suite(
    "autograd_basics",
    max_score=13,
    broken=BROKEN,
    alternatives=[Alternative("tutorial-formulation", rewrite=lambda reference: TUTORIAL)],
)


def test_numpy_oracle_agrees_with_the_reference():
    """The trajectory check's oracle (numpy) and the reference (autograd) are the same descent."""
    import importlib

    from grader.catalog.autograd_basics import EXERCISE, _fit_autograd, _fit_cases
    from grader.checking.values import mismatch
    from grader.exercise import Context
    from grader.oracles.autograd_basics import numpy_descent
    from grader.plain import to_plain

    reference = importlib.import_module("solutions.autograd_basics")
    ctx = Context(device="cpu", role="reference")
    for case in _fit_cases(np.random.default_rng(EXERCISE.seed)):
        expected = to_plain(numpy_descent(case.inputs, ctx))
        got = to_plain(_fit_autograd(reference, case.inputs, ctx))
        assert mismatch(expected, got, 1e-9, 1e-12) is None, case.label


@pytest.mark.parametrize(
    "source, problems",
    [
        pytest.param(
            'def fit_autograd(x, y, coeffs0, lr=1e-6, steps=2000):\n    """Doc."""\n    raise NotImplementedError\n',
            [],
            id="stub-says-nothing",
        ),
        pytest.param(
            "def _step(loss):\n    loss.backward()\n\n\ndef fit_autograd(x, y, coeffs0):\n    _step(x.sum())\n",
            [],
            id="backward-in-a-helper",
        ),
        pytest.param(
            "import torch\n\n\ndef fit_autograd(x, y, coeffs0):\n    torch.autograd.grad(x.sum(), coeffs0)\n",
            [],
            id="autograd-grad-counts",
        ),
        pytest.param(
            "from torch.autograd import grad\n\n\nclass LegendreP3:\n"
            "    @staticmethod\n    def backward(ctx, g):\n        return grad(ctx.y, ctx.x, g)\n",
            ["line 7: LegendreP3.backward calls grad()"],
            id="aliased-grad-in-backward",
        ),
    ],
)
def test_autograd_usage_inspector(source, problems):
    from grader.catalog.autograd_basics import _inspect_autograd_usage

    found = _inspect_autograd_usage(source)
    assert len(found) == len(problems)
    for message, start in zip(found, problems):
        assert message.startswith(start)
