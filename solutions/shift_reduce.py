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
    ### BEGIN SOLUTION
    tokens, transitions = [], []
    open_nodes = []  # for each open bracket, the number of children read so far
    trees = 0  # complete trees at the top level
    for piece in tree.split():
        if piece == "(":
            open_nodes.append(0)
            continue
        if piece == ")":
            if not open_nodes:
                raise ValueError(f"unbalanced brackets: a ')' closes nothing in {tree!r}")
            children = open_nodes.pop()
            if children != 2:
                raise ValueError(f"a node has {children} children instead of 2 in {tree!r}")
            transitions.append(REDUCE)
        else:
            tokens.append(piece)
            transitions.append(SHIFT)
        # A word or a just-closed node is one complete child of the enclosing node.
        if open_nodes:
            open_nodes[-1] += 1
        else:
            trees += 1
    if open_nodes:
        raise ValueError(f"unbalanced brackets: {len(open_nodes)} '(' never closed in {tree!r}")
    if trees != 1:
        raise ValueError(f"expected exactly one tree, found {trees} in {tree!r}")
    return tokens, transitions
    ### END SOLUTION


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
    ### BEGIN SOLUTION
    return shift_reduce(tokens, transitions, lambda left, right: f"( {left} {right} )")
    ### END SOLUTION


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
    ### BEGIN SOLUTION
    queue = list(buffer)  # a copy: shifting must not empty the caller's list
    stack = []
    for step, op in enumerate(transitions):
        if op == SHIFT:
            if not queue:
                raise ValueError(f"step {step}: shift from an empty buffer")
            stack.append(queue.pop(0))
        elif op == REDUCE:
            if len(stack) < 2:
                raise ValueError(f"step {step}: reduce needs two items on the stack, found {len(stack)}")
            right = stack.pop()
            left = stack.pop()
            stack.append(reduce(left, right))
        else:
            raise ValueError(f"step {step}: unknown transition {op!r}")
    if len(stack) != 1 or queue:
        raise ValueError(
            f"step {len(transitions)} (the end): {len(stack)} items on the stack "
            f"and {len(queue)} in the buffer, expected 1 and 0"
        )
    return stack[0]
    ### END SOLUTION


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
    ### BEGIN SOLUTION
    queue = list(buffer)
    stack = []
    state = state0
    for step, op in enumerate(transitions):
        b = queue[0] if queue else None
        s1 = stack[-1] if stack else None
        s2 = stack[-2] if len(stack) >= 2 else None
        state = tracker(state, b, s1, s2)
        if op == SHIFT:
            if not queue:
                raise ValueError(f"step {step}: shift from an empty buffer")
            stack.append(queue.pop(0))
        elif op == REDUCE:
            if len(stack) < 2:
                raise ValueError(f"step {step}: reduce needs two items on the stack, found {len(stack)}")
            right = stack.pop()
            left = stack.pop()
            stack.append(reduce(left, right, state))
        else:
            raise ValueError(f"step {step}: unknown transition {op!r}")
    if len(stack) != 1 or queue:
        raise ValueError(
            f"step {len(transitions)} (the end): {len(stack)} items on the stack "
            f"and {len(queue)} in the buffer, expected 1 and 0"
        )
    return stack[0], state
    ### END SOLUTION


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
        ### BEGIN SOLUTION
        self.size = size
        self.left = nn.Linear(size, 5 * size)
        self.right = nn.Linear(size, 5 * size, bias=False)
        if tracker_size is not None:
            self.track = nn.Linear(tracker_size, 5 * size, bias=False)
        ### END SOLUTION

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
        ### BEGIN SOLUTION
        (h_l, c_l), (h_r, c_r) = left, right
        z = self.left(h_l) + self.right(h_r)
        if tracking is not None:
            z = z + self.track(tracking[0])
        a, i, f1, f2, o = z.chunk(5, dim=1)
        c = torch.tanh(a) * torch.sigmoid(i) + torch.sigmoid(f1) * c_l + torch.sigmoid(f2) * c_r
        h = torch.sigmoid(o) * torch.tanh(c)
        return h, c
        ### END SOLUTION


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
    ### BEGIN SOLUTION
    # Every item ever on a stack is one row of `memory`: the words first, then
    # the parents in the order they are made. Stacks hold row numbers (plain
    # ints), so shifting costs no tensor operation, and each step gathers the
    # reducing sentences' top two items with a single index tensor.
    lengths = [len(buffer) for buffer in buffers]
    starts = [0]
    for length in lengths:
        starts.append(starts[-1] + length)
    parents_needed = sum(list(ops).count(REDUCE) for ops in transitions)
    # (N + P, D): the words, sentence after sentence, then room for the P parents
    # (every parent row is written before it is read).
    memory = torch.cat([*buffers, buffers[0].new_empty(parents_needed, buffers[0].shape[1])])
    free = starts[-1]  # the next unused row of memory
    fronts = [0] * len(buffers)  # the next word of each buffer
    stacks = [[] for _ in buffers]
    for step in range(max((len(ops) for ops in transitions), default=0)):
        reducing, lefts, rights = [], [], []
        for i, ops in enumerate(transitions):
            if step >= len(ops):
                continue
            if ops[step] == SHIFT:
                if fronts[i] == lengths[i]:
                    raise ValueError(f"sentence {i}, step {step}: shift from an empty buffer")
                stacks[i].append(starts[i] + fronts[i])
                fronts[i] += 1
            elif ops[step] == REDUCE:
                if len(stacks[i]) < 2:
                    raise ValueError(f"sentence {i}, step {step}: reduce needs two items on the stack")
                rights.append(stacks[i].pop())
                lefts.append(stacks[i].pop())
                reducing.append(i)
            else:
                raise ValueError(f"sentence {i}, step {step}: unknown transition {ops[step]!r}")
        if reducing:
            k = len(reducing)
            pairs = memory.index_select(0, torch.tensor(lefts + rights, device=memory.device))  # (2k, D)
            memory[free : free + k] = reduce(pairs[:k], pairs[k:])  # autograd tracks the write
            for j, i in enumerate(reducing):
                stacks[i].append(free + j)
            free += k
    for i, stack in enumerate(stacks):
        if len(stack) != 1 or fronts[i] != lengths[i]:
            raise ValueError(
                f"sentence {i}: {len(stack)} items on the stack and "
                f"{lengths[i] - fronts[i]} in the buffer at the end, expected 1 and 0"
            )
    return memory.index_select(0, torch.tensor([stack[0] for stack in stacks], device=memory.device))
    ### END SOLUTION
