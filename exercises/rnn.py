# Exercise stub: replace each 'raise NotImplementedError' with your code, then run 'tox -e grade'.
"""Define-by-run recurrence: an RNN is a Python ``for`` loop over a cell.

In a define-by-run framework the graph is recorded while the code runs, so a
recurrent network over a sequence of any length is an ordinary loop:

.. code-block:: python

    h = h0
    for x in inputs:
        h = cell(x, h)

Both functions here take the cell as an argument: any callable with the
signature of ``nn.RNNCell.forward``, ``cell(input (B, in), h (B, H)) -> h
(B, H)`` (``nn.RNNCell``, ``nn.GRUCell``, or a function of your own). They
never look inside the cell, return tensors on the inputs' device and dtype,
stay differentiable (gradients flow back to the inputs, ``h0`` and the cell's
parameters) and never modify their arguments in place.
"""

import torch


def run_rnn(cell, inputs, h0):
    r"""Run ``cell`` along the time axis of a batch of equally long sequences.

    .. math::

        h_t = \mathrm{cell}(x_t, h_{t-1}), \quad t = 1, \dots, T,

    starting from :math:`h_0` = ``h0``. ``outputs[t - 1]`` is :math:`h_t`
    (the state *after* reading :math:`x_t`; ``h0`` itself is not an output),
    and ``h_last`` is :math:`h_T`. With an ``nn.RNNCell``'s weights this is
    what ``nn.RNN`` (one layer, ``batch_first=False``) computes, except that
    ``h_last`` has no leading layer dimension.

    Args:
        cell: Callable ``cell(x (B, in), h (B, H)) -> (B, H)``.
        inputs: ``(T, B, in)``, with ``T >= 1``.
        h0: Initial state ``(B, H)``.

    Returns:
        ``(outputs, h_last)``: ``outputs`` of shape ``(T, B, H)``, the
        state after every step, and ``h_last`` of shape ``(B, H)``, equal to
        ``outputs[-1]``. Same device and dtype as the cell's output.
    """
    # YOUR CODE HERE
    raise NotImplementedError


def encode_sequences(cell, sequences, h0=None):
    r"""Final hidden state of each of B sequences of different lengths.

    Sequence :math:`i` has length :math:`T_i \ge 1`; its encoding is the state
    after its own last step,

    .. math::

        h^{(i)}_t = \mathrm{cell}(x^{(i)}_t, h^{(i)}_{t-1}), \qquad
        \mathrm{result}_i = h^{(i)}_{T_i},

    exactly what running the sequence alone would give. Padding the batch to
    the longest length and reading the state at the last (padded) step is
    wrong: the cell keeps changing the state on the padding. A batched
    implementation must stop updating a sequence's state once it has ended
    (or simply run each sequence on its own).

    Args:
        cell: Callable ``cell(x (b, in), h (b, H)) -> (b, H)`` with a
            ``hidden_size`` attribute (``H``), like ``nn.RNNCell``.
        sequences: List of B tensors, sequence ``i`` of shape ``(T_i, in)``.
        h0: Initial states ``(B, H)``, row ``i`` for sequence ``i``; ``None``
            means zeros, with the sequences' device and dtype.

    Returns:
        ``(B, H)``: row ``i`` is the final state of sequence ``i``. Same
        device and dtype as the sequences. ``h0`` is not modified.
    """
    # YOUR CODE HERE
    raise NotImplementedError
