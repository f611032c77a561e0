# Exercise stub: replace each 'raise NotImplementedError' with your code, then run 'tox -e grade'.
r"""Letting autograd do the backward pass: the cubic fit again, and a custom Function.

``fit_autograd`` repeats ``polyfit.fit`` with tensors: the forward pass
builds a graph and ``loss.backward()`` fills in the gradients that
``polyfit.sse_grad`` computed by hand. ``LegendreP3`` shows the other side
of autograd: an operation whose backward you write yourself, here the
Legendre polynomial of degree three

.. math:: P_3(x) = \tfrac{1}{2} (5 x^3 - 3 x)

and ``fit_legendre`` trains :math:`\hat y = a + b \, P_3(c + d x)` through
it. Results stay on the device and dtype of the input ``x``.
"""

import torch


def fit_autograd(x, y, coeffs0, lr=1e-6, steps=2000):
    r"""Fit ``a + b x + c x^2 + d x^3`` to ``(x, y)`` by gradient descent with autograd.

    The same descent as ``polyfit.fit``, step for step:

    .. math::

        L_t = \sum_i \big(a_t + b_t x_i + c_t x_i^2 + d_t x_i^3 - y_i\big)^2,
        \qquad \theta_{t+1} = \theta_t - \eta \, \nabla_\theta L_t

    with :math:`\theta_0` = ``coeffs0``. The gradient comes from
    ``loss.backward()``; the update is done without recording it in the
    graph, and the gradient is cleared before the next step (autograd adds
    into ``.grad``).

    Args:
        x: Points, shape ``(N,)``, floating point, on any device.
        y: Targets, shape ``(N,)``, same device and dtype as ``x``.
        coeffs0: Initial ``(a, b, c, d)``, tensor of shape ``(4,)``. Left
            unchanged.
        lr: Learning rate :math:`\eta`.
        steps: Number of updates.

    Returns:
        ``(coeffs, losses)``: the coefficients after ``steps`` updates, a
        tensor of shape ``(4,)`` on ``x``'s device with ``x``'s dtype, not
        requiring grad; and the list of the ``steps`` losses
        :math:`L_0, \dots, L_{steps-1}` (each taken before its update) as
        Python floats.
    """
    # YOUR CODE HERE
    raise NotImplementedError


class LegendreP3(torch.autograd.Function):
    r"""The Legendre polynomial :math:`P_3`, with a hand-written backward pass.

    .. math::

        P_3(x) = \tfrac{1}{2} (5 x^3 - 3 x), \qquad
        \frac{\partial L}{\partial x} = \frac{\partial L}{\partial P_3} \, P_3'(x)

    Use it as ``LegendreP3.apply(x)``; it passes
    ``torch.autograd.gradcheck`` in float64.
    """

    @staticmethod
    def forward(ctx, x):
        r"""Compute :math:`P_3(x)` elementwise and save what backward needs.

        Args:
            ctx: The context; store tensors with ``ctx.save_for_backward``.
            x: Input of any shape ``(...)``, floating point, any device.

        Returns:
            :math:`P_3(x)`, same shape, dtype and device as ``x``.
        """
        # YOUR CODE HERE
        raise NotImplementedError

    @staticmethod
    def backward(ctx, grad_output):
        r"""Chain rule by hand: the upstream gradient times :math:`P_3'(x)`.

        Differentiate :math:`P_3` yourself; do not call autograd here.

        Args:
            ctx: The context holding the tensors saved by ``forward``.
            grad_output: :math:`\partial L / \partial P_3(x)`, same shape as
                ``x``.

        Returns:
            :math:`\partial L / \partial x`, same shape, dtype and device as
            ``x``.
        """
        # YOUR CODE HERE
        raise NotImplementedError


def fit_legendre(x, y, params0, lr=5e-6, steps=2000):
    r"""Fit :math:`\hat y = a + b \, P_3(c + d x)` by gradient descent, through ``LegendreP3``.

    .. math::

        L_t = \sum_i \big(a_t + b_t P_3(c_t + d_t x_i) - y_i\big)^2,
        \qquad \theta_{t+1} = \theta_t - \eta \, \nabla_\theta L_t

    with :math:`\theta = (a, b, c, d)` and :math:`\theta_0` = ``params0``.
    :math:`P_3` must be evaluated with ``LegendreP3.apply`` so that the
    gradients pass through its hand-written backward; they come from
    ``loss.backward()``, and are cleared after every update.

    Args:
        x: Points, shape ``(N,)``, floating point, on any device.
        y: Targets, shape ``(N,)``, same device and dtype as ``x``.
        params0: Initial ``(a, b, c, d)``, tensor of shape ``(4,)``. Left
            unchanged.
        lr: Learning rate :math:`\eta`.
        steps: Number of updates.

    Returns:
        ``(params, losses)``: the parameters after ``steps`` updates, a tensor
        of shape ``(4,)`` on ``x``'s device with ``x``'s dtype, not requiring
        grad; and the list of the ``steps`` losses (each taken before its
        update) as Python floats.
    """
    # YOUR CODE HERE
    raise NotImplementedError
