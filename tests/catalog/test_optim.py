"""optim: the reference passes; each realistic mistake loses exactly its checks.

A mistake in Adam's core (bias correction, step count) breaks every check
that runs DiyAdam, so those variants list all of them; the point of the
separate first-step check is that a counter or state bug keeps step 1 right.
"""

import re

from grader.catalog.optim import EXERCISE as OPTIM
from grader.testing import Broken, Suite

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

STATE = (
    "        self.t = 0  # number of steps taken so far\n"
    "        self.m = None  # first moment estimate, created at the first step\n"
    "        self.v = None  # second moment estimate\n"
)


def _class_level_state(source: str) -> str:
    """Moment estimates and step count as class attributes, reset in __init__."""
    assert source.count(STATE) == 1, "the reference's DiyAdam.__init__ changed"
    source = source.replace(STATE, "        DiyAdam.t = 0\n        DiyAdam.m = None\n        DiyAdam.v = None\n")
    start = source.index("class DiyAdam")
    end = source.index("class DiySGD")
    return source[:start] + re.sub(r"self\.([tmv])\b", r"DiyAdam.\1", source[start:end]) + source[end:]


BROKEN = [
    Broken(
        "adam-no-bias-correction",
        edits=[
            ("m_hat = self.m / (1.0 - self.beta1**self.t)", "m_hat = self.m"),
            ("v_hat = self.v / (1.0 - self.beta2**self.t)", "v_hat = self.v"),
        ],
        fails=ADAM_CHECKS | {"inputs_unchanged", "numpy_only"},
        says="weight after step 1",
    ),
    Broken(
        "adam-step-count-never-incremented",
        edits=[
            ("self.t = 0  # number of steps taken so far", "self.t = 1"),
            ("        self.t += 1\n", ""),
        ],
        fails=ADAM_AFTER_STEP_1 | {"inputs_unchanged", "numpy_only"},
        says="weight after step 2",
    ),
    Broken(
        "adam-bias-correction-before-increment-t-0",
        edits=[("        self.t += 1\n", ""), (ADAM_UPDATE, "        self.t += 1\n" + ADAM_UPDATE)],
        fails=ADAM_CHECKS | {"inputs_unchanged", "numpy_only"},
        says="non-finite",
    ),
    Broken(
        "adam-state-reset-every-call-as-in-the-seed-article",
        edits=[
            (
                "        if self.m is None:\n"
                "            self.m = np.zeros_like(weight)\n"
                "            self.v = np.zeros_like(weight)\n",
                "        self.t = 0\n        self.m = np.zeros_like(weight)\n        self.v = np.zeros_like(weight)\n",
            )
        ],
        fails=ADAM_AFTER_STEP_1 | {"inputs_unchanged", "numpy_only"},
        says="weight after step 2",
    ),
    Broken(
        "adam-eps-inside-sqrt",
        # Gradients of the seed example (~1e-2) are already small enough to show it.
        edits=[("np.sqrt(v_hat) + self.eps", "np.sqrt(v_hat + self.eps)")],
        fails=ADAM_CHECKS - {"separate_state"} | {"inputs_unchanged", "numpy_only"},
        says="tiny gradients",
    ),
    Broken(
        "adam-eps-forgotten",
        # Without eps the seed example drifts past the tolerance after ~28 steps.
        edits=[("np.sqrt(v_hat) + self.eps", "np.sqrt(v_hat)")],
        fails={"adam_trajectory", "adam_gradient_scale", "adam_hyperparameters", "inputs_unchanged", "numpy_only"},
        says="tiny gradients",
    ),
    Broken(
        "adamw-style-decoupled-decay",
        edits=[
            ("        if self.weight_decay != 0.0:\n" + ADAM_DECAY, "        if self.m is None:"),
            (ADAM_UPDATE, ADAM_UPDATE + " - self.lr * self.weight_decay * weight"),
        ],
        fails={"adam_weight_decay"},
        says="weight_decay",
    ),
    Broken(
        "adam-ignores-betas",
        edits=[("self.beta1, self.beta2 = (float(b) for b in betas)", "self.beta1, self.beta2 = 0.9, 0.999")],
        fails={"adam_hyperparameters"},
        says="betas",
    ),
    Broken(
        "adam-state-in-class-attributes",
        rewrite=_class_level_state,
        fails={"separate_state"},
        says="optimizer 2 (Adam)",
    ),
    Broken(
        "adam-in-place-update",
        edits=[(ADAM_UPDATE, ADAM_UPDATE.replace("return weight - ", "weight -= ") + "\n        return weight")],
        fails={"inputs_unchanged"},
        says="result['runs']",
    ),
    Broken(
        "adam-decay-added-into-grad-in-place",
        edits=[(ADAM_DECAY, "            grad += self.weight_decay * weight\n        if self.m is None:")],
        fails={"inputs_unchanged"},
        says="['grads']",
    ),
    Broken(
        "sgd-wrong-sign",
        edits=[("return weight - self.lr * grad", "return weight + self.lr * grad")],
        fails={"sgd_plain", "sgd_momentum", "sgd_nesterov", "sgd_weight_decay", "separate_state"}
        | {"inputs_unchanged", "numpy_only"},
        says="weight after step 1",
    ),
    Broken(
        "sgd-momentum-buffer-zeros-then-averaged",
        edits=[
            (
                SGD_BUFFER,
                "            if self.buf is None:\n"
                "                self.buf = np.zeros_like(grad)\n"
                "            self.buf = self.momentum * self.buf + (1.0 - self.momentum) * grad\n",
            )
        ],
        fails={"sgd_momentum", "sgd_nesterov", "sgd_weight_decay", "separate_state", "inputs_unchanged", "numpy_only"},
        says="weight after step 1",
    ),
    Broken(
        "sgd-nesterov-ignored",
        edits=[("grad = grad + self.momentum * self.buf", "grad = self.buf")],
        fails={"sgd_nesterov", "sgd_weight_decay"},
        says="nesterov",
    ),
    Broken(
        "sgd-decay-added-after-momentum",
        edits=[
            (SGD_DECAY, "        if self.momentum != 0.0:"),
            (
                "return weight - self.lr * grad",
                "return weight - self.lr * (grad + self.weight_decay * weight)",
            ),
        ],
        fails={"sgd_weight_decay"},
        says="momentum = 0.9",
    ),
    Broken(
        "sgd-in-place-update",
        edits=[("return weight - self.lr * grad", "weight -= self.lr * grad\n        return weight")],
        fails={"inputs_unchanged"},
        says="['weight']",
    ),
    Broken(
        "sgd-buffer-is-the-callers-gradient",
        edits=[
            (
                SGD_BUFFER,
                "            if self.buf is None:\n"
                "                self.buf = grad\n"
                "            else:\n"
                "                self.buf *= self.momentum\n"
                "                self.buf += grad\n",
            )
        ],
        fails={"inputs_unchanged"},
        says="['grads']",
    ),
    Broken(
        "imports-torch",
        edits=[("import numpy as np\n", "import numpy as np\nimport torch\n")],
        fails={check.name for check in OPTIM.checks},  # torch cannot even be imported: nothing runs
        says="torch is not available in a numpy exercise",
    ),
]

SUITE = Suite("optim", max_score=13, broken=BROKEN)
