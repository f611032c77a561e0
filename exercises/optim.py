# Exercise stub: replace each 'raise NotImplementedError' with your code, then run 'tox -e grade'.
"""Optimizers by hand, in numpy: Adam and SGD with momentum.

Each optimizer object serves ONE parameter array and remembers what the
algorithm needs between steps (the step count, the moment estimates, the
momentum buffer). ``step(grad, weight)`` takes the gradient first and the
weight second, like ``diy_sgd``, and returns the new weight as a new array:
the caller's ``grad`` and ``weight`` are never modified in place.

After any number of steps on any gradient sequence the weights match
``torch.optim.Adam`` and ``torch.optim.SGD`` (with ``dampening=0``) given the
same settings. Everything is float64 numpy; torch is not used.
"""

import numpy as np


class DiyAdam:
    r"""Adam (Kingma & Ba, 2015) as implemented by ``torch.optim.Adam``.

    At step :math:`t = 1, 2, \dots` with gradient :math:`g_t` and weight
    :math:`w_{t-1}`, starting from :math:`m_0 = v_0 = 0`:

    .. math::

        g_t &\leftarrow g_t + \lambda \, w_{t-1} \\
        m_t &= \beta_1 m_{t-1} + (1 - \beta_1) \, g_t \\
        v_t &= \beta_2 v_{t-1} + (1 - \beta_2) \, g_t^2 \\
        \hat m_t &= \frac{m_t}{1 - \beta_1^t}, \qquad
        \hat v_t = \frac{v_t}{1 - \beta_2^t} \\
        w_t &= w_{t-1} - \eta \, \frac{\hat m_t}{\sqrt{\hat v_t} + \epsilon}

    All operations are elementwise. Weight decay :math:`\lambda` is added to
    the gradient *before* the moments are updated (this is Adam's L2
    penalty, not AdamW's decoupled decay), and :math:`\epsilon` is added
    *outside* the square root.

    Args:
        lr: Learning rate :math:`\eta`.
        betas: :math:`(\beta_1, \beta_2)`, decay rates of the first and
            second moment estimates.
        eps: :math:`\epsilon`, added to the denominator.
        weight_decay: :math:`\lambda`, L2 penalty coefficient.
    """

    def __init__(self, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0):
        # YOUR CODE HERE
        raise NotImplementedError

    def step(self, grad, weight):
        r"""Take one Adam step and return the new weight.

        Args:
            grad: Gradient of the loss with respect to ``weight``, any shape
                ``S``, float64. Not modified.
            weight: The current weight, shape ``S``, float64. Not modified.

        Returns:
            The new weight, a new float64 array of shape ``S``.
        """
        # YOUR CODE HERE
        raise NotImplementedError


class DiySGD:
    r"""Stochastic gradient descent as implemented by ``torch.optim.SGD`` (dampening 0).

    At step :math:`t = 1, 2, \dots` with gradient :math:`g_t` and weight
    :math:`w_{t-1}`:

    .. math::

        g_t &\leftarrow g_t + \lambda \, w_{t-1} \\
        b_t &= \begin{cases} g_t & t = 1 \\
                             \mu \, b_{t-1} + g_t & t > 1 \end{cases} \\
        d_t &= \begin{cases} g_t + \mu \, b_t & \text{nesterov} \\
                             b_t & \text{otherwise} \end{cases} \\
        w_t &= w_{t-1} - \eta \, d_t

    With :math:`\mu = 0` there is no buffer and :math:`d_t = g_t`: plain
    gradient descent. Note that the first buffer is the gradient itself,
    not :math:`(1 - \mu)` times it, and that weight decay :math:`\lambda` is
    added to the gradient before the buffer is updated.

    Args:
        lr: Learning rate :math:`\eta`.
        momentum: Momentum factor :math:`\mu`.
        nesterov: Use Nesterov momentum.
        weight_decay: :math:`\lambda`, L2 penalty coefficient.
    """

    def __init__(self, lr, momentum=0.0, nesterov=False, weight_decay=0.0):
        # YOUR CODE HERE
        raise NotImplementedError

    def step(self, grad, weight):
        r"""Take one SGD step and return the new weight.

        Args:
            grad: Gradient of the loss with respect to ``weight``, any shape
                ``S``, float64. Not modified.
            weight: The current weight, shape ``S``, float64. Not modified.

        Returns:
            The new weight, a new float64 array of shape ``S``.
        """
        # YOUR CODE HERE
        raise NotImplementedError
