# Exercise stub: replace each 'raise NotImplementedError' with your code, then run 'tox -e grade'.
r"""Fitting ``sin(x)`` with a cubic polynomial in numpy, gradients by hand.

The model has four parameters ``coeffs = (a, b, c, d)``:

.. math:: \hat y = a + b x + c x^2 + d x^3

and is trained by plain gradient descent on the sum of squared errors. There
is no autograd here: you derive the gradient with the chain rule and write
it with numpy. Every function takes and returns ``numpy.ndarray`` of dtype
float64 (or a Python ``float``), never modifies its arguments and does not
use torch.
"""

import numpy as np


def predict(coeffs, x):
    r"""Evaluate the cubic ``a + b x + c x^2 + d x^3`` elementwise.

    .. math:: \hat y = a + b x + c x^2 + d x^3

    Note the order: ``coeffs[0]`` is the constant term, ``coeffs[3]`` the
    coefficient of :math:`x^3` (the reverse of ``np.polyval``'s order).

    Args:
        coeffs: ``(a, b, c, d)``, shape ``(4,)``, float64.
        x: Points of any shape ``(...)``, float64.

    Returns:
        The predictions, same shape ``(...)`` as ``x``, float64.
    """
    # YOUR CODE HERE
    raise NotImplementedError


def sse_loss(y_pred, y):
    r"""Sum of squared errors over all elements.

    .. math:: L = \sum_i (\hat y_i - y_i)^2

    This is a sum, not a mean, and not its square root (the Euclidean
    distance): there is no division and no ``sqrt``.

    Args:
        y_pred: Predictions, any shape ``(...)``, float64.
        y: Targets, same shape.

    Returns:
        The loss as a Python ``float``.
    """
    # YOUR CODE HERE
    raise NotImplementedError


def sse_grad(coeffs, x, y):
    r"""Gradient of ``sse_loss(predict(coeffs, x), y)`` with respect to ``coeffs``.

    With :math:`r_i = \hat y_i - y_i` the residuals, the chain rule gives

    .. math::

        \frac{\partial L}{\partial \hat y_i} = 2 r_i, \qquad
        \frac{\partial L}{\partial (a, b, c, d)}
            = \Big(\sum_i 2 r_i,\ \sum_i 2 r_i x_i,\
                   \sum_i 2 r_i x_i^2,\ \sum_i 2 r_i x_i^3\Big)

    Each coefficient's derivative is the residual times what that
    coefficient multiplies in :math:`\hat y` (a power of ``x``), summed over
    all points.

    Args:
        coeffs: ``(a, b, c, d)``, shape ``(4,)``, float64.
        x: Points of any shape ``(...)``, float64.
        y: Targets, same shape as ``x``.

    Returns:
        The gradient, shape ``(4,)``, float64 (equal to what torch autograd
        puts in ``coeffs.grad``).
    """
    # YOUR CODE HERE
    raise NotImplementedError


def fit(x, y, coeffs0, lr=1e-6, steps=2000):
    r"""Fit the cubic to ``(x, y)`` by plain gradient descent from ``coeffs0``.

    At each step ``t = 0, ..., steps - 1``:

    .. math::

        L_t = \mathrm{sse\_loss}(\mathrm{predict}(\theta_t, x), y), \qquad
        \theta_{t+1} = \theta_t - \eta \, \nabla_\theta L_t

    where :math:`\theta_0` is ``coeffs0`` and :math:`\eta` is ``lr``. The loss
    of step ``t`` is recorded *before* that step's update, and the gradient
    is taken at the same :math:`\theta_t` as that loss.

    Args:
        x: Points, shape ``(N,)`` (for example ``linspace(-pi, pi, 2000)``;
            any shape works), float64.
        y: Targets, same shape as ``x``.
        coeffs0: Initial ``(a, b, c, d)``, shape ``(4,)``, float64. Left
            unchanged.
        lr: Learning rate :math:`\eta`.
        steps: Number of updates.

    Returns:
        ``(coeffs, losses)``: the coefficients after ``steps`` updates, a new
        array of shape ``(4,)``, float64; and the list of the ``steps`` losses
        :math:`L_0, \dots, L_{steps-1}` as Python floats.
    """
    # YOUR CODE HERE
    raise NotImplementedError
