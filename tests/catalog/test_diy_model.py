"""diy_model: the reference passes; each realistic mistake loses exactly its checks."""

from grader.catalog.diy_model import EXERCISE as DIY_MODEL
from grader.testing import Broken, Suite

SUITE = Suite(
    "diy_model",
    max_score=13,
    broken=[
        Broken(
            "naive-sigmoid-overflows",
            "    return np.where(x >= 0, 1.0 / (1.0 + z), z / (1.0 + z))",
            "    return 1.0 / (1.0 + np.exp(-x))",
            fails={"sigmoid_stable"},
            says="overflow",
        ),
        Broken(
            "sigmoid-float32",
            "    return np.where(x >= 0, 1.0 / (1.0 + z), z / (1.0 + z))",
            "    return np.where(x >= 0, 1.0 / (1.0 + z), z / (1.0 + z)).astype(np.float32)",
            fails={
                "sigmoid_values",
                "sigmoid_stable",
                "forward_values",
                "grad_autograd",
                "inputs_unchanged",
                "numpy_only",
            },
            says="dtype",
        ),
        Broken(
            "mse-divides-by-rows",
            "    return float(np.mean(diff * diff))",
            "    return float(np.sum(diff * diff) / len(diff))",
            fails={"mse_values", "numpy_only"},
            says="diy_mse_loss",
        ),
        Broken(
            "mse-returns-array",
            "    return float(np.mean(diff * diff))",
            "    return np.mean(diff * diff, keepdims=True)",
            fails={"mse_values", "numpy_only"},
            says="expected a float",
        ),
        Broken(
            "forward-no-transpose",
            "    return diy_sigmoid(np.asarray(x) @ np.asarray(weight).T)",
            "    return diy_sigmoid(np.asarray(x) @ np.asarray(weight))",
            fails={"forward_values", "inputs_unchanged", "numpy_only"},
            says="diy_forward",
        ),
        Broken(
            "grad-divides-by-rows",
            "    grad_pred = 2.0 * (y_pred - y2) / y_pred.size",
            "    grad_pred = 2.0 * (y_pred - y2) / len(y_pred)",
            fails={"grad_autograd", "inputs_unchanged", "numpy_only"},
            says="calculate_grad",
        ),
        Broken(
            "grad-transposed",
            "    return grad_z.T @ x2",
            "    return (grad_z.T @ x2).T",
            fails={"grad_autograd", "inputs_unchanged", "numpy_only"},
            says="calculate_grad, on the seed example",
        ),
        Broken(
            "sgd-wrong-sign",
            "    return weight - lr * grad",
            "    return weight + lr * grad",
            fails={"sgd_values", "inputs_unchanged", "numpy_only"},
            says="diy_sgd",
        ),
        Broken(
            "sgd-in-place",
            "    return weight - lr * grad",
            "    weight -= lr * grad\n    return weight",
            fails={"inputs_unchanged"},
            says="result['weight']",
        ),
        Broken(
            "imports-torch",
            "import numpy as np\n",
            "import numpy as np\nimport torch\n",
            fails={check.name for check in DIY_MODEL.checks},  # torch cannot even be imported: nothing runs
            says="torch is not available in a numpy exercise",
        ),
        Broken(
            "sgd-forgets-return",
            "    return weight - lr * grad",
            "    weight - lr * grad",
            # Returning None leaves the inputs alone, but that check requires sgd_values.
            fails={"sgd_values", "inputs_unchanged", "numpy_only"},
            says="not yet counted: needs 'sgd_values' to pass first",
        ),
    ],
)
