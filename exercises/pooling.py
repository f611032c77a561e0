# Exercise stub: replace each 'raise NotImplementedError' with your code, then run 'tox -e grade'.
r"""Pooling: turning a sequence of vectors into one vector, and the shapes around it.

A batch of sentences is a tensor ``(batch, seq_len, dim)``: ``seq_len``
word vectors of size ``dim`` per sentence. Pooling summarises each sentence
by averaging (or taking the maximum of) its word vectors, giving
``(batch, dim)``. torch's ``nn.AvgPool1d`` / ``nn.MaxPool1d`` pool over the
*last* dimension of ``(batch, channels, length)``, which is why code that
uses them first swaps the two last dimensions with ``x.transpose(1, 2)``.

The functions here take tensors of any floating dtype on any device and
return tensors of the same dtype on the same device, differentiable, without
modifying their arguments.
"""

import torch


def pool_output_length(length, kernel_size, stride=None, padding=0, ceil_mode=False):
    r"""The output length of ``nn.AvgPool1d`` / ``nn.MaxPool1d`` on an input of ``length``.

    A window of ``kernel_size`` slides over the input padded with
    ``padding`` on each side, moving ``stride`` positions at a time:

    .. math::

        \mathrm{out} = \left\lfloor \frac{L + 2p - k}{s} \right\rfloor + 1

    With ``ceil_mode=True`` the division rounds up instead (a last, partial
    window counts), except that the last window must start inside the input
    or the left padding: if :math:`(\mathrm{out} - 1)\, s \ge L + p`, the
    last window would start in the right padding and is dropped
    (``out - 1``).

    Args:
        length: Input length :math:`L` (``int``).
        kernel_size: Window size :math:`k` (``int``).
        stride: Step :math:`s` (``int``); ``None`` means ``kernel_size``.
        padding: Implicit padding :math:`p` on each side (``int``).
        ceil_mode: Round up instead of down.

    Returns:
        The output length, an ``int`` (at least 1).

    Raises:
        ValueError: For settings PyTorch rejects: ``length``,
            ``kernel_size`` or ``stride`` below 1, negative ``padding``,
            ``padding`` more than half of ``kernel_size`` (:math:`2p > k`),
            or a window that fits nowhere (an output length below 1).
    """
    # YOUR CODE HERE
    raise NotImplementedError


def mean_pool_sequence(x):
    r"""Average of the word vectors of each sequence.

    .. math:: y_{b, d} = \frac{1}{T} \sum_{t=1}^{T} x_{b, t, d}

    The same as ``nn.AvgPool1d(seq_len)`` applied to ``x.transpose(1, 2)``
    with the length-1 last dimension removed. Mind the size-1 dimensions:
    ``squeeze()`` without an argument also removes a batch or ``dim`` of 1.

    Args:
        x: ``(batch, seq_len, dim)``, floating point.

    Returns:
        ``(batch, dim)``, same dtype and device, for every size (1 included).
    """
    # YOUR CODE HERE
    raise NotImplementedError


def max_pool_sequence(x):
    r"""Elementwise maximum of the word vectors of each sequence.

    .. math:: y_{b, d} = \max_{t} x_{b, t, d}

    The same as ``nn.MaxPool1d(seq_len)`` applied to ``x.transpose(1, 2)``
    with the length-1 last dimension removed.

    Args:
        x: ``(batch, seq_len, dim)``, floating point.

    Returns:
        ``(batch, dim)``: the values only (a tensor, not torch.max's
        ``(values, indices)`` pair), same dtype and device.
    """
    # YOUR CODE HERE
    raise NotImplementedError


def masked_mean_pool(x, lengths):
    r"""Mean over the real (unpadded) positions of each sequence of a padded batch.

    Sequence ``b`` has ``lengths[b]`` real positions followed by padding,
    whose values are arbitrary and must not count:

    .. math:: y_{b, d} = \frac{1}{n_b} \sum_{t=1}^{n_b} x_{b, t, d}, \qquad n_b = \mathrm{lengths}[b]

    Args:
        x: ``(batch, seq_len, dim)``, floating point.
        lengths: int64 tensor ``(batch,)`` on the device of ``x``, with
            ``1 <= lengths[b] <= seq_len``.

    Returns:
        ``(batch, dim)``, same dtype and device as ``x``. The gradient with
        respect to a padding position is 0.
    """
    # YOUR CODE HERE
    raise NotImplementedError
