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
    ### BEGIN SOLUTION
    if stride is None:
        stride = kernel_size
    if length < 1 or kernel_size < 1 or stride < 1:
        raise ValueError("length, kernel_size and stride must be at least 1")
    if padding < 0 or 2 * padding > kernel_size:
        raise ValueError("padding must be between 0 and half of kernel_size")
    span = length + 2 * padding - kernel_size
    if ceil_mode:
        out = -(-span // stride) + 1  # ceiling division
        if (out - 1) * stride >= length + padding:
            out -= 1
    else:
        out = span // stride + 1
    if out < 1:
        raise ValueError(f"no window of {kernel_size} fits in {length} positions padded by {padding}")
    return out
    ### END SOLUTION


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
    ### BEGIN SOLUTION
    return x.mean(dim=1)
    ### END SOLUTION


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
    ### BEGIN SOLUTION
    return x.max(dim=1).values
    ### END SOLUTION


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
    ### BEGIN SOLUTION
    lengths = torch.as_tensor(lengths, device=x.device)
    positions = torch.arange(x.shape[1], device=x.device)
    real = (positions[None, :] < lengths[:, None]).unsqueeze(-1)  # (batch, seq_len, 1)
    total = torch.where(real, x, torch.zeros_like(x)).sum(dim=1)
    return total / lengths.to(x.dtype).unsqueeze(-1)
    ### END SOLUTION
