# Exercise stub: replace each 'raise NotImplementedError' with your code, then run 'tox -e grade'.
"""The SPINN stack machine: parse trees as shift/reduce transitions.

A binary parse tree such as

    ``( ( The church ) ( ( has ( cracks ( in ( the ceiling ) ) ) ) . ) )``

can be read left to right as a sequence of stack operations: every word is a
*shift* (``"S"``: move the next word from the buffer onto the stack) and every
closing bracket is a *reduce* (``"R"``: pop the two top items, combine them,
push the result). The opening brackets carry no information and are dropped::

    tokens:      The church   has cracks in the ceiling         .
    transitions: S   S      R S   S      S  S   S       R R R R S R R

Running the machine with a neural ``reduce`` (a TreeLSTM) encodes the
sentence along its tree; SPINN adds a *tracker*, a recurrent state updated
before every transition from the buffer's front and the stack's top two
items. Because the machine is a plain Python loop, a batch of sentences can
be stepped together, calling ``reduce`` once per step on every sentence that
reduces at that step: that is what makes it fast.

Nothing here modifies its arguments.
"""

import torch
from torch import nn

SHIFT = "S"
REDUCE = "R"


def tree_to_transitions(tree):
    """Read a bracketed binary tree into its tokens and transitions.

    Tokens are separated by whitespace; ``"("`` and ``")"`` are brackets and
    every other token is a word. Each word becomes a shift and each ``")"`` a
    reduce, in reading order; ``"("`` produces nothing. A single word with no
    brackets is a valid tree (one shift).

    Args:
        tree: A string such as ``"( ( The church ) ( has cracks ) )"``.

    Returns:
        ``(tokens, transitions)``: the list of words in order, and the list
        of ``"S"``/``"R"`` strings (``2 * len(tokens) - 1`` of them).

    Raises:
        ValueError: For unbalanced brackets, a node that does not have exactly
            two children (``( a )``, ``( a b c )``, ``( )``), or a string that
            is not exactly one tree (empty, or ``a b``).
    """
    # YOUR CODE HERE
    raise NotImplementedError


def transitions_to_tree(tokens, transitions):
    """Write tokens and transitions back as a bracketed tree.

    The inverse of :func:`tree_to_transitions`: every reduce wraps the two top
    subtrees as ``"( left right )"``, with single spaces and no space at either
    end, so that ``transitions_to_tree(*tree_to_transitions(t)) == t`` for every
    tree ``t`` written in that format.

    Args:
        tokens: List of words.
        transitions: List of ``"S"``/``"R"``, a valid sequence for ``tokens``.

    Returns:
        The tree as a string, e.g. ``"( ( The church ) ( has cracks ) )"``.
    """
    # YOUR CODE HERE
    raise NotImplementedError


def shift_reduce(buffer, transitions, reduce):
    """Run the shift-reduce stack machine.

    Starting from an empty stack, for each transition in order:

    * ``"S"``: move the buffer's *front* item (``buffer[0]`` first) onto the
      stack;
    * ``"R"``: pop ``right`` (the top item), then ``left`` (the one below it),
      and push ``reduce(left, right)``.

    Args:
        buffer: Sequence of items (words, vectors, ...). Not modified.
        transitions: Sequence of ``"S"``/``"R"``.
        reduce: Callable ``reduce(left, right) -> item``.

    Returns:
        The single item left on the stack at the end.

    Raises:
        ValueError: Naming the step (0-based index into ``transitions``) for an
            invalid sequence: a reduce with fewer than two items on the stack,
            a shift from an empty buffer, an unknown transition, or anything
            left over at the end (more than one item on the stack, or words
            still in the buffer).
    """
    # YOUR CODE HERE
    raise NotImplementedError


def shift_reduce_tracked(buffer, transitions, reduce, tracker, state0):
    r"""The stack machine with a tracker, as in SPINN.

    Before each transition the tracker updates the state from what the machine
    sees, and every reduce receives the current state:

    .. math::

        \mathrm{state}_{t+1} = \mathrm{tracker}(\mathrm{state}_t, b, s_1, s_2)

    where ``b`` is the buffer's front, ``s1`` the stack's top and ``s2`` the
    item below it, each ``None`` where absent. Then the transition runs as in
    :func:`shift_reduce`, a reduce calling ``reduce(left, right, state)`` with
    the state just computed. The tracker is called exactly
    ``len(transitions)`` times.

    Args:
        buffer: Sequence of items. Not modified.
        transitions: Sequence of ``"S"``/``"R"``.
        reduce: Callable ``reduce(left, right, state) -> item``.
        tracker: Callable ``tracker(state, b, s1, s2) -> state``.
        state0: The state before the first transition.

    Returns:
        ``(result, state)``: the single item left on the stack and the state
        after the last tracker call.

    Raises:
        ValueError: For an invalid sequence, as :func:`shift_reduce`.
    """
    # YOUR CODE HERE
    raise NotImplementedError


class TreeLSTMReduce(nn.Module):
    r"""The TreeLSTM composition SPINN uses as its reduce.

    Each item is an LSTM-style pair ``(h, c)``. With ``(h_l, c_l)`` and
    ``(h_r, c_r)`` the left and right children (and ``h_t`` the tracker's
    hidden state, when there is one):

    .. math::

        z &= W_l h_l + b_l + W_r h_r \; [+ W_t h_t] \\
        a, i, f_1, f_2, o &= \text{the five chunks of } z \text{ along dim 1} \\
        c &= \tanh(a) \odot \sigma(i) + \sigma(f_1) \odot c_l + \sigma(f_2) \odot c_r \\
        h &= \sigma(o) \odot \tanh(c)

    ``a`` is the candidate, ``i`` the input gate, ``f1``/``f2`` the forget
    gates of the left/right child and ``o`` the output gate.

    Args:
        size: Size ``S`` of ``h`` and ``c``.
        tracker_size: Size of the tracker's hidden state, or ``None`` for a
            reduce without tracker.

    Attributes:
        left: ``nn.Linear(size, 5 * size)`` (with bias).
        right: ``nn.Linear(size, 5 * size, bias=False)``.
        track: ``nn.Linear(tracker_size, 5 * size, bias=False)``, only when
            ``tracker_size`` is given.
    """

    def __init__(self, size, tracker_size=None):
        super().__init__()
        # YOUR CODE HERE
        raise NotImplementedError

    def forward(self, left, right, tracking=None):
        """Combine two children into their parent.

        Args:
            left: ``(h_l, c_l)``, each ``(B, size)``.
            right: ``(h_r, c_r)``, each ``(B, size)``.
            tracking: The tracker's ``(h_t, c_t)``, each ``(B, tracker_size)``,
                or ``None``. Only ``h_t`` is used.

        Returns:
            ``(h, c)``, each ``(B, size)``, on the inputs' device and dtype.
        """
        # YOUR CODE HERE
        raise NotImplementedError


def batched_shift_reduce(buffers, transitions, reduce):
    """Run the stack machine on a batch of sentences at once.

    All sentences are stepped together: at step ``t`` every sentence with
    more than ``t`` transitions performs its transition ``t`` (a sentence whose
    sequence has ended does nothing). Shifts are cheap bookkeeping; all the
    sentences that reduce at step ``t`` are reduced by **one** call

    ``reduce(lefts (k, D), rights (k, D)) -> (k, D)``

    whose row ``j`` belongs to the ``j``-th reducing sentence; ``reduce`` is
    not called at a step where no sentence reduces. The result equals running
    :func:`shift_reduce` on each sentence alone with ``reduce`` applied to
    single rows, but costs one ``reduce`` call per step instead of one per
    reduction: on a batch of 64 sentences it is several times faster.

    Args:
        buffers: List of B tensors; sentence ``i``'s word vectors ``(L_i, D)``.
        transitions: List of B sequences of ``"S"``/``"R"``, of different
            lengths (``2 * L_i - 1`` each for a valid sentence).
        reduce: Callable mapping two ``(k, D)`` tensors to ``(k, D)``.

    Returns:
        ``(B, D)``: row ``i`` is sentence ``i``'s final stack item. Same
        device and dtype as the buffers; differentiable with respect to them
        and to ``reduce``'s parameters.

    Raises:
        ValueError: For an invalid transition sequence, naming the sentence
            and the step.
    """
    # YOUR CODE HERE
    raise NotImplementedError
