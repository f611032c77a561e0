"""shift_reduce: the reference passes; each realistic mistake loses exactly its checks."""

import numpy as np
import pytest

from grader.testing import Broken, Suite

OPEN_AND_CLOSE = """        if piece == "(":
            open_nodes.append(0)
            continue
        if piece == ")":
            if not open_nodes:
                raise ValueError(f"unbalanced brackets: a ')' closes nothing in {tree!r}")
            children = open_nodes.pop()
            if children != 2:
                raise ValueError(f"a node has {children} children instead of 2 in {tree!r}")
            transitions.append(REDUCE)
"""
R_FOR_OPEN = OPEN_AND_CLOSE.replace("            transitions.append(REDUCE)\n", "").replace(
    "            continue\n", "            transitions.append(REDUCE)\n            continue\n"
)
POP_ORDER = """            right = stack.pop()
            left = stack.pop()
            stack.append(reduce(left, right))
"""
END_CHECK = """    if len(stack) != 1 or queue:
        raise ValueError(
            f"step {len(transitions)} (the end): {len(stack)} items on the stack "
            f"and {len(queue)} in the buffer, expected 1 and 0"
        )
    return stack[0]
"""
TRACKER_AND_STEP = """        state = tracker(state, b, s1, s2)
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
"""
TRACKER_AFTER_STEP = TRACKER_AND_STEP.replace("        state = tracker(state, b, s1, s2)\n", "") + (
    "        state = tracker(state, b, s1, s2)\n"
)
CELL = "        c = torch.tanh(a) * torch.sigmoid(i) + torch.sigmoid(f1) * c_l + torch.sigmoid(f2) * c_r\n"
FORWARD = (
    """        (h_l, c_l), (h_r, c_r) = left, right
        z = self.left(h_l) + self.right(h_r)
        if tracking is not None:
            z = z + self.track(tracking[0])
        a, i, f1, f2, o = z.chunk(5, dim=1)
"""
    + CELL
    + """        h = torch.sigmoid(o) * torch.tanh(c)
        return h, c
"""
)
NO_GRAD_FORWARD = "        with torch.no_grad():\n" + "".join("    " + line + "\n" for line in FORWARD.splitlines())
BATCHED_REDUCE = """        if reducing:
            k = len(reducing)
            pairs = memory.index_select(0, torch.tensor(lefts + rights, device=memory.device))  # (2k, D)
            memory[free : free + k] = reduce(pairs[:k], pairs[k:])  # autograd tracks the write
            for j, i in enumerate(reducing):
                stacks[i].append(free + j)
            free += k
"""
REDUCE_PER_SENTENCE = """        for i, left, right in zip(reducing, lefts, rights):
            memory[free : free + 1] = reduce(memory[left : left + 1], memory[right : right + 1])
            stacks[i].append(free)
            free += 1
"""

BROKEN = [
    Broken(
        "R-for-the-opening-bracket",
        OPEN_AND_CLOSE,
        R_FOR_OPEN,
        fails={"tree_to_transitions"},
        says="tree_to_transitions, on the seed article's tree",
    ),
    Broken(
        "unary-nodes-accepted",
        "            if children != 2:\n",
        "            if children > 2:\n",
        fails={"tree_invalid"},
        says="a node with one child",
    ),
    Broken(
        "tree-with-extra-spaces",
        """    return shift_reduce(tokens, transitions, lambda left, right: f"( {left} {right} )")""",
        """    return shift_reduce(tokens, transitions, lambda left, right: f"( {left} {right} ) ").strip()""",
        fails={"transitions_to_tree"},
        says="transitions_to_tree",
    ),
    Broken(
        "pops-left-before-right",
        POP_ORDER,
        POP_ORDER.replace("right = stack.pop()", "RIGHT")
        .replace("left = stack.pop()", "right = stack.pop()")
        .replace("RIGHT", "left = stack.pop()"),
        fails={"shift_reduce_values", "transitions_to_tree", "inputs_unchanged"},
        says="shift_reduce",
    ),
    Broken(
        "leftovers-not-rejected",
        END_CHECK,
        "    return stack[-1]\n",
        fails={"shift_reduce_invalid"},
        says="expected 'ValueError', got 'returned normally'",
    ),
    Broken(
        "empty-stack-raises-index-error",
        "            if len(stack) < 2:\n"
        '                raise ValueError(f"step {step}: reduce needs two items on the stack, found {len(stack)}")\n'
        "            right = stack.pop()\n            left = stack.pop()\n"
        "            stack.append(reduce(left, right))\n",
        "            right = stack.pop()\n            left = stack.pop()\n"
        "            stack.append(reduce(left, right))\n",
        fails={"shift_reduce_invalid"},
        says="IndexError",
    ),
    Broken(
        "buffer-popped-in-place",
        "    queue = list(buffer)  # a copy: shifting must not empty the caller's list\n",
        "    queue = buffer\n",
        fails={"inputs_unchanged"},
        says="result['shift_reduce: buffer']: expected 8 items, got 0",
    ),
    Broken(
        "tracker-called-after-the-transition",
        TRACKER_AND_STEP,
        TRACKER_AFTER_STEP,
        fails={"shift_reduce_tracked", "inputs_unchanged"},
        says="shift_reduce_tracked",
    ),
    Broken(
        "forget-gates-swapped",
        CELL,
        CELL.replace("sigmoid(f1) * c_l", "sigmoid(f2) * c_l").replace("sigmoid(f2) * c_r", "sigmoid(f1) * c_r"),
        fails={"treelstm_values", "treelstm_grads"},
        says="TreeLSTMReduce",
    ),
    Broken(
        "sigmoid-on-the-candidate",
        CELL,
        CELL.replace("torch.tanh(a)", "torch.sigmoid(a)"),
        fails={"treelstm_values", "treelstm_grads"},
        says="result['c']",
    ),
    Broken(
        "right-layer-with-bias",
        "        self.right = nn.Linear(size, 5 * size, bias=False)\n",
        "        self.right = nn.Linear(size, 5 * size)\n",
        fails={"treelstm_values", "treelstm_grads"},
        says="expected 'left.bias, left.weight, right.weight', got 'left.bias, left.weight, right.bias, right.weight'",
    ),
    Broken(
        "forward-under-no-grad",
        FORWARD,
        NO_GRAD_FORWARD,
        fails={"treelstm_grads"},
        says="does not require grad",
    ),
    Broken(
        "batched-left-and-right-swapped",
        "pairs[:k], pairs[k:]",
        "pairs[k:], pairs[:k]",
        fails={"batched_values", "batched_calls", "inputs_unchanged"},
        says="batched_shift_reduce",
    ),
    Broken(
        "batched-reduce-once-per-sentence",
        BATCHED_REDUCE,
        REDUCE_PER_SENTENCE,
        fails={"batched_calls"},
        says="result['at most one reduce call per step']: expected True, got False",
    ),
    Broken(
        "tree-rejects-a-single-word",
        "    if trees != 1:",
        "    if trees != 1 or len(tokens) < 2:",
        fails={"tree_to_transitions", "tree_invalid"},
        says="raised ValueError on a valid input",
    ),
    Broken(
        "machine-rejects-every-sequence",
        END_CHECK,
        END_CHECK.replace("or queue:", "or not queue:"),
        # transitions_to_tree runs the machine; inputs_unchanged requires shift_reduce_values
        # (and its own call raises too).
        fails={"shift_reduce_values", "shift_reduce_invalid", "transitions_to_tree", "inputs_unchanged"},
        says="raised ValueError on a valid input",
    ),
    Broken(
        "batched-pushes-the-same-row",
        "stacks[i].append(free + j)",
        "stacks[i].append(free)",
        # The calls are still batched, but batched_calls requires batched_values.
        fails={"batched_values", "batched_calls", "inputs_unchanged"},
        says="not yet counted: needs 'batched_values' to pass first",
    ),
]

SUITE = Suite("shift_reduce", max_score=12, broken=BROKEN)


# --- the reference itself, against independent expectations ------------------


def test_seed_tree():
    from solutions.shift_reduce import transitions_to_tree, tree_to_transitions

    tree = "( ( The church ) ( ( has ( cracks ( in ( the ceiling ) ) ) ) . ) )"
    tokens, transitions = tree_to_transitions(tree)
    assert tokens == ["The", "church", "has", "cracks", "in", "the", "ceiling", "."]
    assert " ".join(transitions) == "S S R S S S S S R R R R S R R"
    assert transitions_to_tree(tokens, transitions) == tree


@pytest.mark.parametrize("seed", range(5))
def test_random_trees_round_trip(seed):
    from grader.catalog.shift_reduce import _random_tree, _render, _sequence
    from solutions.shift_reduce import transitions_to_tree, tree_to_transitions

    rng = np.random.default_rng(seed)
    for leaves in range(1, 16):
        node = _random_tree(rng, leaves)
        tree = _render(node)
        tokens, transitions = tree_to_transitions(tree)
        assert (tokens, transitions) == _sequence(node)  # the case factories' reading agrees
        assert len(tokens) == leaves and len(transitions) == 2 * leaves - 1
        assert transitions_to_tree(tokens, transitions) == tree
        assert tree_to_transitions(transitions_to_tree(tokens, transitions)) == (tokens, transitions)


def test_catalog_invalid_inputs_are_invalid():
    from grader.catalog.shift_reduce import INVALID_SEQUENCES, INVALID_TREES
    from solutions.shift_reduce import shift_reduce, tree_to_transitions

    for _, tree in INVALID_TREES:
        with pytest.raises(ValueError):
            tree_to_transitions(tree)
    for _, buffer, ops in INVALID_SEQUENCES:
        with pytest.raises(ValueError, match="step"):
            shift_reduce(list(buffer), ops.split(), lambda left, right: left + right)


def test_tracker_sees_the_seed_article_steps():
    from solutions.shift_reduce import shift_reduce_tracked

    seen = []

    def tracker(state, b, s1, s2):
        seen.append((b, s1, s2))
        return state + 1

    result, state = shift_reduce_tracked(
        ["The", "church", "has"], ["S", "S", "R", "S", "R"], lambda left, right, t: f"({left} {right}){t}", tracker, 0
    )
    assert seen == [
        ("The", None, None),
        ("church", "The", None),
        ("has", "church", "The"),
        ("has", "(The church)3", None),
        (None, "has", "(The church)3"),
    ]
    assert (result, state) == ("((The church)3 has)5", 5)


def test_batched_gradients_match_the_loop():
    """The reference's in-place writes into its memory tensor keep autograd exact."""
    import torch

    from grader.catalog.shift_reduce import _random_tree, _sequence
    from solutions.shift_reduce import TreeLSTMReduce, batched_shift_reduce, shift_reduce

    torch.manual_seed(0)
    rng = np.random.default_rng(0)
    cell = TreeLSTMReduce(3).double()

    def reduce(left, right):
        return torch.cat(cell(left.chunk(2, dim=1), right.chunk(2, dim=1)), dim=1)

    transitions = [_sequence(_random_tree(rng, n))[1] for n in (5, 1, 8, 3)]
    buffers = [torch.randn((len(ops) + 1) // 2, 6, dtype=torch.float64, requires_grad=True) for ops in transitions]
    upstream = torch.randn(len(buffers), 6, dtype=torch.float64)

    def grads(result):
        parameters = list(cell.parameters())
        return torch.autograd.grad((result * upstream).sum(), buffers + parameters)

    batched = batched_shift_reduce(buffers, transitions, reduce)
    looped = torch.cat([shift_reduce(list(b.split(1)), ops, reduce) for b, ops in zip(buffers, transitions)])
    torch.testing.assert_close(batched, looped)
    for got, expected in zip(grads(batched), grads(looped)):
        torch.testing.assert_close(got, expected)
