"""optim: the reference passes; each realistic mistake loses exactly its checks.

A mistake in Adam's core (bias correction, step count) breaks every check
that runs DiyAdam, so those variants list all of them; the point of the
separate first-step check is that a counter or state bug keeps step 1 right.
"""

import re

import pytest

from tests.conftest import failing, solution_source
from grader.catalog.optim import EXERCISE as OPTIM

ADAM_CHECKS = {
    "adam_first_step",
    "adam_trajectory",
    "adam_hyperparameters",
    "adam_gradient_scale",
    "adam_weight_decay",
    "separate_state",
}
ADAM_AFTER_STEP_1 = ADAM_CHECKS - {"adam_first_step"}

SGD_BUFFER = (
    "            if self.buf is None:\n"
    "                self.buf = grad.copy()\n"
    "            else:\n"
    "                self.buf = self.momentum * self.buf + grad\n"
)
ADAM_UPDATE = "        return weight - self.lr * m_hat / (np.sqrt(v_hat) + self.eps)"
ADAM_DECAY = "            grad = grad + self.weight_decay * weight\n        if self.m is None:"
SGD_DECAY = (
    "        if self.weight_decay != 0.0:\n"
    "            grad = grad + self.weight_decay * weight\n"
    "        if self.momentum != 0.0:"
)

BROKEN = [
    pytest.param(
        [
            ("m_hat = self.m / (1.0 - self.beta1**self.t)", "m_hat = self.m"),
            ("v_hat = self.v / (1.0 - self.beta2**self.t)", "v_hat = self.v"),
        ],
        ADAM_CHECKS | {"inputs_unchanged", "numpy_only"},
        "weight after step 1",
        id="adam-no-bias-correction",
    ),
    pytest.param(
        [
            ("self.t = 0  # number of steps taken so far", "self.t = 1"),
            ("        self.t += 1\n", ""),
        ],
        ADAM_AFTER_STEP_1 | {"inputs_unchanged", "numpy_only"},
        "weight after step 2",
        id="adam-step-count-never-incremented",
    ),
    pytest.param(
        [("        self.t += 1\n", ""), (ADAM_UPDATE, "        self.t += 1\n" + ADAM_UPDATE)],
        ADAM_CHECKS | {"inputs_unchanged", "numpy_only"},
        "non-finite",
        id="adam-bias-correction-before-increment-t-0",
    ),
    pytest.param(
        [
            (
                "        if self.m is None:\n"
                "            self.m = np.zeros_like(weight)\n"
                "            self.v = np.zeros_like(weight)\n",
                "        self.t = 0\n"
                "        self.m = np.zeros_like(weight)\n"
                "        self.v = np.zeros_like(weight)\n",
            )
        ],
        ADAM_AFTER_STEP_1 | {"inputs_unchanged", "numpy_only"},
        "weight after step 2",
        id="adam-state-reset-every-call-as-in-the-seed-article",
    ),
    pytest.param(
        # Gradients of the seed example (~1e-2) are already small enough to show it.
        [("np.sqrt(v_hat) + self.eps", "np.sqrt(v_hat + self.eps)")],
        ADAM_CHECKS - {"separate_state"} | {"inputs_unchanged", "numpy_only"},
        "tiny gradients",
        id="adam-eps-inside-sqrt",
    ),
    pytest.param(
        # Without eps the seed example drifts past the tolerance after ~28 steps.
        [("np.sqrt(v_hat) + self.eps", "np.sqrt(v_hat)")],
        {"adam_trajectory", "adam_gradient_scale", "adam_hyperparameters", "inputs_unchanged", "numpy_only"},
        "tiny gradients",
        id="adam-eps-forgotten",
    ),
    pytest.param(
        [
            ("        if self.weight_decay != 0.0:\n" + ADAM_DECAY, "        if self.m is None:"),
            (ADAM_UPDATE, ADAM_UPDATE + " - self.lr * self.weight_decay * weight"),
        ],
        {"adam_weight_decay"},
        "weight_decay",
        id="adamw-style-decoupled-decay",
    ),
    pytest.param(
        [("self.beta1, self.beta2 = (float(b) for b in betas)", "self.beta1, self.beta2 = 0.9, 0.999")],
        {"adam_hyperparameters"},
        "betas",
        id="adam-ignores-betas",
    ),
    pytest.param(
        "class-level",  # built by _class_level_state below
        {"separate_state"},
        "optimizer 2 (Adam)",
        id="adam-state-in-class-attributes",
    ),
    pytest.param(
        [(ADAM_UPDATE, ADAM_UPDATE.replace("return weight - ", "weight -= ") + "\n        return weight")],
        {"inputs_unchanged"},
        "result['runs']",
        id="adam-in-place-update",
    ),
    pytest.param(
        [(ADAM_DECAY, "            grad += self.weight_decay * weight\n        if self.m is None:")],
        {"inputs_unchanged"},
        "['grads']",
        id="adam-decay-added-into-grad-in-place",
    ),
    pytest.param(
        [("return weight - self.lr * grad", "return weight + self.lr * grad")],
        {"sgd_plain", "sgd_momentum", "sgd_nesterov", "sgd_weight_decay", "separate_state"}
        | {"inputs_unchanged", "numpy_only"},
        "weight after step 1",
        id="sgd-wrong-sign",
    ),
    pytest.param(
        [
            (
                SGD_BUFFER,
                "            if self.buf is None:\n"
                "                self.buf = np.zeros_like(grad)\n"
                "            self.buf = self.momentum * self.buf + (1.0 - self.momentum) * grad\n",
            )
        ],
        {"sgd_momentum", "sgd_nesterov", "sgd_weight_decay", "separate_state", "inputs_unchanged", "numpy_only"},
        "weight after step 1",
        id="sgd-momentum-buffer-zeros-then-averaged",
    ),
    pytest.param(
        [("grad = grad + self.momentum * self.buf", "grad = self.buf")],
        {"sgd_nesterov", "sgd_weight_decay"},
        "nesterov",
        id="sgd-nesterov-ignored",
    ),
    pytest.param(
        [
            (SGD_DECAY, "        if self.momentum != 0.0:"),
            (
                "return weight - self.lr * grad",
                "return weight - self.lr * (grad + self.weight_decay * weight)",
            ),
        ],
        {"sgd_weight_decay"},
        "momentum = 0.9",
        id="sgd-decay-added-after-momentum",
    ),
    pytest.param(
        [("return weight - self.lr * grad", "weight -= self.lr * grad\n        return weight")],
        {"inputs_unchanged"},
        "['weight']",
        id="sgd-in-place-update",
    ),
    pytest.param(
        [
            (
                SGD_BUFFER,
                "            if self.buf is None:\n"
                "                self.buf = grad\n"
                "            else:\n"
                "                self.buf *= self.momentum\n"
                "                self.buf += grad\n",
            )
        ],
        {"inputs_unchanged"},
        "['grads']",
        id="sgd-buffer-is-the-callers-gradient",
    ),
    pytest.param(
        [("import numpy as np\n", "import numpy as np\nimport torch\n")],
        {check.name for check in OPTIM.checks},  # torch cannot even be imported: nothing runs
        "torch is not available in a numpy exercise",
        id="imports-torch",
    ),
]


def _class_level_state(broken_solution) -> str:
    """Moment estimates and step count as class attributes, reset in __init__."""
    source = broken_solution(
        "optim",
        "        self.t = 0  # number of steps taken so far\n"
        "        self.m = None  # first moment estimate, created at the first step\n"
        "        self.v = None  # second moment estimate\n",
        "        DiyAdam.t = 0\n        DiyAdam.m = None\n        DiyAdam.v = None\n",
    )
    start = source.index("class DiyAdam")
    end = source.index("class DiySGD")
    return source[:start] + re.sub(r"self\.([tmv])\b", r"DiyAdam.\1", source[start:end]) + source[end:]


def _apply(broken_solution, edits) -> str:
    if edits == "class-level":
        return _class_level_state(broken_solution)
    (old, new), rest = edits[0], edits[1:]
    source = broken_solution("optim", old, new)
    for old, new in rest:
        assert source.count(old) == 1, f"{old!r} occurs {source.count(old)} times"
        source = source.replace(old, new)
    return source


def test_reference_scores_full_marks(grade_source):
    result = grade_source("optim", solution_source("optim"))
    assert failing(result) == set()
    assert result.score == result.max_score == 13


@pytest.mark.parametrize("edits, expected, phrase", BROKEN)
def test_broken_variant_loses_exactly_its_checks(grade_source, broken_solution, edits, expected, phrase):
    result = grade_source("optim", _apply(broken_solution, edits))
    assert failing(result) == expected
    messages = "\n".join(c.message for c in result.checks if c.name in expected)
    assert phrase in messages
