# Exercise stub: replace each 'raise NotImplementedError' with your code, then run 'tox -e grade'.
"""The building blocks of a network, from elementary tensor operations.

An affine map, the ReLU non-linearity, softmax and its logarithm, and the two
classification losses built on them: negative log-likelihood and cross
entropy. Each function takes tensors of any floating dtype on any device and
returns tensors of the same dtype on the same device; each is differentiable
(autograd flows through it) and never modifies its arguments.

The exercise is to write them yourself: ``torch.relu``, ``torch.softmax``,
``torch.log_softmax``, ``torch.logsumexp``, ``F.linear``, ``F.nll_loss``,
``F.cross_entropy`` and their ``torch.nn.functional`` / ``nn`` / method forms
are off limits. ``torch.exp``, ``torch.log``, ``sum``, ``amax``, ``gather``,
``where``, indexing and arithmetic are all fine.

Numerical stability matters: ``torch.exp(torch.tensor(1e4))`` is ``inf`` and
``torch.exp(torch.tensor(-1e4))`` is ``0``, so the textbook formulas break
for large inputs. Every function must give finite, correct results for
inputs as large as ``|x| = 1e4``.
"""

import torch


def affine(x, A, b):
    r"""The affine map of ``nn.Linear``: each row of ``x`` mapped by ``A`` and shifted by ``b``.

    .. math:: y = x A^\top + b

    PyTorch maps rows, not columns: row ``i`` of the result is
    :math:`A x_i + b`, where :math:`x_i` is row ``i`` of ``x``.

    Args:
        x: Inputs, shape ``(N, in)``.
        A: Weight, shape ``(out, in)`` (the layout of ``nn.Linear.weight``).
        b: Bias, shape ``(out,)``.

    Returns:
        Tensor of shape ``(N, out)``, same dtype and device as ``x``.
    """
    # YOUR CODE HERE
    raise NotImplementedError


def relu(x):
    r"""Rectified linear unit, elementwise.

    .. math:: \mathrm{ReLU}(x) = \max(x, 0)

    The gradient is 1 where ``x > 0`` and 0 elsewhere (0 at ``x = 0``, as in
    torch). Return a new tensor: do not write into ``x``.

    Args:
        x: Tensor of any shape.

    Returns:
        Tensor of the same shape, dtype and device.
    """
    # YOUR CODE HERE
    raise NotImplementedError


def softmax(x, dim=-1):
    r"""Softmax along ``dim``: a probability distribution over that dimension.

    .. math::

        \mathrm{softmax}(x)_i = \frac{e^{x_i}}{\sum_j e^{x_j}}
                              = \frac{e^{x_i - m}}{\sum_j e^{x_j - m}},
        \qquad m = \max_j x_j

    The second form is the same function, but no exponent is ever larger
    than 0, so nothing overflows.

    Args:
        x: Tensor of any shape, with at least one dimension.
        dim: The dimension to normalise over (negative values count from
            the end).

    Returns:
        Tensor of the same shape, dtype and device; non-negative, summing to
        1 along ``dim``.
    """
    # YOUR CODE HERE
    raise NotImplementedError


def log_softmax(x, dim=-1):
    r"""The logarithm of :func:`softmax` along ``dim``, computed stably.

    .. math::

        \log \mathrm{softmax}(x)_i = (x_i - m) - \log \sum_j e^{x_j - m},
        \qquad m = \max_j x_j

    ``log(softmax(x))`` is not good enough: a probability that underflows to
    0 becomes ``-inf``, although the true log-probability is a finite number
    such as ``-2e4``.

    Args:
        x: Tensor of any shape, with at least one dimension.
        dim: The dimension to normalise over.

    Returns:
        Tensor of the same shape, dtype and device; non-positive values.
    """
    # YOUR CODE HERE
    raise NotImplementedError


def nll_loss(log_probs, target):
    r"""Negative log-likelihood loss with mean reduction, like ``F.nll_loss``.

    .. math:: L = -\frac{1}{N} \sum_{n=1}^{N} \mathrm{log\_probs}_{n, t_n}

    Each row picks the log-probability of its own target class.

    Args:
        log_probs: Log-probabilities, shape ``(N, C)``, floating point.
        target: Class indices, shape ``(N,)``, int64, values in ``[0, C)``,
            on the same device as ``log_probs``.

    Returns:
        A 0-dimensional tensor, same dtype and device as ``log_probs``.
    """
    # YOUR CODE HERE
    raise NotImplementedError


def cross_entropy(logits, target):
    r"""Cross-entropy loss with mean reduction, like ``F.cross_entropy``.

    Cross entropy is :func:`nll_loss` applied to :func:`log_softmax` of the
    raw scores over the class dimension:

    .. math:: L = -\frac{1}{N} \sum_{n=1}^{N} \log \mathrm{softmax}(z_n)_{t_n}

    Args:
        logits: Unnormalised scores, shape ``(N, C)``, floating point.
        target: Class indices, shape ``(N,)``, int64, values in ``[0, C)``.

    Returns:
        A 0-dimensional tensor, same dtype and device as ``logits``.
    """
    # YOUR CODE HERE
    raise NotImplementedError
