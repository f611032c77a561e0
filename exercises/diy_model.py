# Exercise stub: replace each 'raise NotImplementedError' with your code, then run 'tox -e grade'.
"""A one-layer network by hand, in numpy: sigmoid, MSE, forward pass, gradient, SGD.

The model is ``y = sigmoid(x @ W.T)`` with ``W`` in the layout of torch's
``nn.Linear(in, out, bias=False)``: ``(out, in)``. Every function takes and
returns ``numpy.ndarray`` of dtype float64, never modifies its arguments and
does not use torch.
"""

import numpy as np


def diy_sigmoid(x):
    r"""Elementwise logistic function.

    .. math:: \sigma(x) = \frac{1}{1 + e^{-x}}

    Must be accurate and raise no floating-point warning for every finite
    input, including ``|x| = 1e4`` (``np.exp(1e4)`` overflows: evaluate
    each side of zero with an exponent that cannot).

    Args:
        x: Array of any shape, float64.

    Returns:
        Array of the same shape, float64, values in ``[0, 1]``.
    """
    # YOUR CODE HERE
    raise NotImplementedError


def diy_mse_loss(y_pred, y_true):
    r"""Mean squared error over all elements, like ``F.mse_loss`` (reduction ``mean``).

    .. math:: L = \frac{1}{n} \sum_i (\hat y_i - y_i)^2

    where ``n`` is the total number of elements (not the number of rows).

    Args:
        y_pred: Predictions, shape ``(out,)`` or ``(N, out)``, float64.
        y_true: Targets, same shape.

    Returns:
        The loss as a Python ``float``.
    """
    # YOUR CODE HERE
    raise NotImplementedError


def diy_forward(weight, x):
    r"""Forward pass of the layer: ``diy_sigmoid(x @ weight.T)``.

    .. math:: \hat y = \sigma(x W^\top)

    Args:
        weight: ``W``, shape ``(out, in)``, float64.
        x: One input ``(in,)`` or a batch ``(N, in)``, float64.

    Returns:
        ``(out,)`` or ``(N, out)``, float64.
    """
    # YOUR CODE HERE
    raise NotImplementedError


def calculate_grad(weight, x, y_true):
    r"""Gradient of ``diy_mse_loss(diy_forward(weight, x), y_true)`` with respect to ``weight``.

    With :math:`z = x W^\top`, :math:`\hat y = \sigma(z)` and ``n`` elements:

    .. math::

        \frac{\partial L}{\partial \hat y} = \frac{2}{n} (\hat y - y), \quad
        \frac{\partial L}{\partial z} = \frac{\partial L}{\partial \hat y} \, \hat y (1 - \hat y), \quad
        \frac{\partial L}{\partial W} = \Big(\frac{\partial L}{\partial z}\Big)^\top x

    Must work for any sizes, not only 2x2, and for a single input ``(in,)``
    as well as a batch ``(N, in)``.

    Args:
        weight: ``(out, in)``, float64.
        x: ``(in,)`` or ``(N, in)``, float64.
        y_true: ``(out,)`` or ``(N, out)``, matching ``x``.

    Returns:
        ``(out, in)``, float64: the same as torch autograd's ``weight.grad``.
    """
    # YOUR CODE HERE
    raise NotImplementedError


def diy_sgd(grad, weight, lr):
    r"""One plain gradient-descent step.

    .. math:: W_{t+1} = W_t - \eta \, \nabla_W L

    Args:
        grad: Gradient, same shape as ``weight``, float64.
        weight: Current weight, float64.
        lr: Learning rate :math:`\eta` (a float).

    Returns:
        The new weight, a new array (``weight`` itself is left unchanged).
    """
    # YOUR CODE HERE
    raise NotImplementedError
