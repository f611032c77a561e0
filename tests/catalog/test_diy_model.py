"""diy_model: the reference passes; each realistic mistake loses exactly its check."""

import pytest

from tests.conftest import failing
from grader.catalog.diy_model import EXERCISE as DIY_MODEL

BROKEN = [
    pytest.param(
        "    return np.where(x >= 0, 1.0 / (1.0 + z), z / (1.0 + z))",
        "    return 1.0 / (1.0 + np.exp(-x))",
        {"sigmoid_stable"},
        "overflow",
        id="naive-sigmoid-overflows",
    ),
    pytest.param(
        "    return np.where(x >= 0, 1.0 / (1.0 + z), z / (1.0 + z))",
        "    return np.where(x >= 0, 1.0 / (1.0 + z), z / (1.0 + z)).astype(np.float32)",
        {"sigmoid_values", "sigmoid_stable", "forward_values", "grad_autograd", "inputs_unchanged", "numpy_only"},
        "dtype",
        id="sigmoid-float32",
    ),
    pytest.param(
        "    return float(np.mean(diff * diff))",
        "    return float(np.sum(diff * diff) / len(diff))",
        {"mse_values", "numpy_only"},
        "diy_mse_loss",
        id="mse-divides-by-rows",
    ),
    pytest.param(
        "    return float(np.mean(diff * diff))",
        "    return np.mean(diff * diff, keepdims=True)",
        {"mse_values", "numpy_only"},
        "expected a float",
        id="mse-returns-array",
    ),
    pytest.param(
        "    return diy_sigmoid(np.asarray(x) @ np.asarray(weight).T)",
        "    return diy_sigmoid(np.asarray(x) @ np.asarray(weight))",
        {"forward_values", "inputs_unchanged", "numpy_only"},
        "diy_forward",
        id="forward-no-transpose",
    ),
    pytest.param(
        "    grad_pred = 2.0 * (y_pred - y2) / y_pred.size",
        "    grad_pred = 2.0 * (y_pred - y2) / len(y_pred)",
        {"grad_autograd", "inputs_unchanged", "numpy_only"},
        "calculate_grad",
        id="grad-divides-by-rows",
    ),
    pytest.param(
        "    return grad_z.T @ x2",
        "    return (grad_z.T @ x2).T",
        {"grad_autograd", "inputs_unchanged", "numpy_only"},
        "calculate_grad, on the seed example",
        id="grad-transposed",
    ),
    pytest.param(
        "    return weight - lr * grad",
        "    return weight + lr * grad",
        {"sgd_values", "inputs_unchanged", "numpy_only"},
        "diy_sgd",
        id="sgd-wrong-sign",
    ),
    pytest.param(
        "    return weight - lr * grad",
        "    weight -= lr * grad\n    return weight",
        {"inputs_unchanged"},
        "result['weight']",
        id="sgd-in-place",
    ),
    pytest.param(
        "import numpy as np\n",
        "import numpy as np\nimport torch\n",
        {check.name for check in DIY_MODEL.checks},  # torch cannot even be imported: nothing runs
        "torch is not available in a numpy exercise",
        id="imports-torch",
    ),
    pytest.param(
        "    return weight - lr * grad",
        "    weight - lr * grad",
        # Returning None leaves the inputs alone, but that check requires sgd_values.
        {"sgd_values", "inputs_unchanged", "numpy_only"},
        "not yet counted: needs 'sgd_values' to pass first",
        id="sgd-forgets-return",
    ),
]


def test_reference_scores_full_marks(grade_source):
    from tests.conftest import solution_source

    result = grade_source("diy_model", solution_source("diy_model"))
    assert failing(result) == set()
    assert result.score == result.max_score == 13


@pytest.mark.parametrize("old, new, expected, phrase", BROKEN)
def test_broken_variant_loses_exactly_its_check(grade_source, broken_solution, old, new, expected, phrase):
    result = grade_source("diy_model", broken_solution("diy_model", old, new))
    assert failing(result) == expected
    messages = "\n".join(c.message for c in result.checks if c.name in expected)
    assert phrase in messages
