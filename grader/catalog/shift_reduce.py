"""Exercise ``shift_reduce``: the SPINN stack machine, from trees to batches.

The cases are random binary trees (words drawn from a small vocabulary, with
repeats) plus the seed article's sentence. The machine is probed with
reduces whose output shows the order of their arguments (string
concatenation, a non-commutative tensor map); the tracker is probed with one
that records what it saw. TreeLSTMReduce is compared with the formula written
directly in torch, and batched_shift_reduce with a loop that runs one
sentence at a time, while a probe-side counter checks that it batches its
reduce calls.
"""

from __future__ import annotations

import numpy as np

from grader import Case, Check, hookimpl
from grader.catalog._rubric import exercise, inputs_unchanged
from grader.probing import arrays, raised, tensor

SEED_TREE = "( ( The church ) ( ( has ( cracks ( in ( the ceiling ) ) ) ) . ) )"
SEED_TOKENS = ["The", "church", "has", "cracks", "in", "the", "ceiling", "."]
SEED_TRANSITIONS = "S S R S S S S S R R R R S R R".split()
WORDS = ("two", "dogs", "are", "running", "through", "a", "field", "the", "pets", "sit", "on", "couch", ".")


# --- random trees -------------------------------------------------------------


def _random_tree(rng: np.random.Generator, leaves: int, shape: str = "random"):
    """A binary tree over ``leaves`` random words, as nested pairs (a word is a leaf).

    ``shape`` is ``"random"`` (uniform split points), ``"left"`` (every
    left child is the bigger subtree) or ``"right"``.
    """
    if leaves == 1:
        return str(rng.choice(WORDS))
    if shape == "left":
        split = leaves - 1
    elif shape == "right":
        split = 1
    else:
        split = int(rng.integers(1, leaves))
    left = _random_tree(rng, split, shape)
    return (left, _random_tree(rng, leaves - split, shape))


def _render(node) -> str:
    """A tree of nested pairs in the exercise's bracketed format."""
    return node if isinstance(node, str) else f"( {_render(node[0])} {_render(node[1])} )"


def _sequence(node) -> tuple[list[str], list[str]]:
    """Leaves and transitions of a tree of nested pairs, read from its structure.

    Case inputs are generated from the structure, never by parsing the
    bracketed text: parsing it is the exercise.
    """
    if isinstance(node, str):
        return [node], ["S"]
    left, right = _sequence(node[0]), _sequence(node[1])
    return left[0] + right[0], left[1] + right[1] + ["R"]


#: The seed article's sentence as nested pairs; it renders as SEED_TREE.
SEED_NODE = (("The", "church"), (("has", ("cracks", ("in", ("the", "ceiling")))), "."))


def _trees(rng: np.random.Generator) -> list[tuple[str, object]]:
    """(label, tree as nested pairs): the seed sentence, edge cases and random trees."""
    return [
        ("the seed article's tree " + SEED_TREE, SEED_NODE),
        ("a single word 'dogs' (one shift, no brackets)", "dogs"),
        ("two words '( two dogs )'", ("two", "dogs")),
        ("a random tree of 5 words", _random_tree(rng, 5)),
        ("a random tree of 13 words", _random_tree(rng, 13)),
        ("a left-branching tree of 6 words", _random_tree(rng, 6, "left")),
        ("a right-branching tree of 6 words", _random_tree(rng, 6, "right")),
    ]


# --- tree_to_transitions / transitions_to_tree ------------------------------


def _tree_cases(rng: np.random.Generator) -> list[Case]:
    return [Case(label, {"tree": _render(tree)}) for label, tree in _trees(rng)]


def _as_list(value):
    """Lists and tuples compare alike; anything else is returned as it is, to be reported."""
    return list(value) if isinstance(value, (list, tuple)) else value


def _to_transitions(module, inputs, ctx):
    tokens, transitions = module.tree_to_transitions(inputs["tree"])
    return _as_list(tokens), _as_list(transitions)


INVALID_TREES = (
    ("a missing ')'", "( ( The church ) ( has cracks )"),
    ("an extra ')'", "( The church ) )"),
    ("')' before '('", ") The church ("),
    ("a node with one child", "( ( The ) church )"),
    ("a node with three children", "( The old church )"),
    ("an empty node", "( )"),
    ("a ternary node inside a unary one (its S/R sequence is valid)", "( ( The church has ) )"),
    ("one '(' for two ')' (its S/R sequence is valid)", "The ( church has ) )"),
)


#: Valid trees in the invalid-input check: a function that rejects everything must fail it.
ACCEPTED_TREES = (
    ("a single word 'dogs'", "dogs"),
    ("the seed article's tree", SEED_TREE),
)


def _verdict(verdict: str, inputs) -> str:
    """``raised``'s verdict; on a valid input (``inputs["valid"]``) a clear word for an exception."""
    if inputs.get("valid") and verdict != "returned normally":
        return f"raised {verdict} on a valid input"
    return verdict


def _invalid_tree_cases(rng: np.random.Generator) -> list[Case]:
    return [
        Case(f"valid: {what} (it must be accepted, not raise)", {"tree": tree, "valid": True})
        for what, tree in ACCEPTED_TREES
    ] + [Case(f"{what}: {tree!r}", {"tree": tree}) for what, tree in INVALID_TREES]


def _rejects_tree(module, inputs, ctx):
    return _verdict(raised(module.tree_to_transitions, inputs["tree"]), inputs)


def _to_tree_cases(rng: np.random.Generator) -> list[Case]:
    cases = []
    for label, tree in _trees(rng):
        tokens, transitions = _sequence(tree)
        inputs = {"tokens": tokens, "transitions": transitions}
        cases.append(Case(f"tokens and transitions of {label}", inputs))
    return cases


def _to_tree(module, inputs, ctx):
    return module.transitions_to_tree(list(inputs["tokens"]), list(inputs["transitions"]))


# --- shift_reduce -------------------------------------------------------------


def _bracket(left, right):
    return f"({left} {right})"


def _digits(left, right):
    return 10 * left + right


REDUCES = {"bracket": _bracket, "digits": _digits}


def _machine_cases(rng: np.random.Generator) -> list[Case]:
    cases = []
    for label, tree in _trees(rng):
        tokens, transitions = _sequence(tree)
        cases.append(
            Case(
                f"buffer and transitions of {label}, reduce(l, r) = f'({{l}} {{r}})'",
                {"buffer": tokens, "transitions": transitions, "reduce": "bracket"},
            )
        )
    _, transitions = _sequence(_random_tree(rng, 6))
    cases.append(
        Case(
            "buffer [3, 1, 4, 1, 5, 9] (ints), reduce(l, r) = 10 * l + r",
            {"buffer": [3, 1, 4, 1, 5, 9], "transitions": transitions, "reduce": "digits"},
        )
    )
    return cases


def _machine(module, inputs, ctx):
    return module.shift_reduce(list(inputs["buffer"]), list(inputs["transitions"]), REDUCES[inputs["reduce"]])


INVALID_SEQUENCES = (
    ("a reduce with one item on the stack", ["a", "b"], "S R S R"),
    ("a reduce on the empty stack at step 0", ["a", "b"], "R S S R"),
    ("a shift from an empty buffer", ["a"], "S S R"),
    ("two items left on the stack", ["a", "b"], "S S"),
    ("a word left in the buffer", ["a", "b", "c"], "S S R"),
    ("the seed sentence without its last reduce", SEED_TOKENS, " ".join(SEED_TRANSITIONS[:-1])),
)


#: Valid sequences in the invalid-input check: a function that rejects everything must fail it.
ACCEPTED_SEQUENCES = (
    ("a single shift", ["a"], "S"),
    ("the seed sentence", SEED_TOKENS, " ".join(SEED_TRANSITIONS)),
)


def _invalid_machine_cases(rng: np.random.Generator) -> list[Case]:
    return [
        Case(
            f"valid: {what}, buffer {buffer}, transitions {ops!r} (it must be accepted, not raise)",
            {"buffer": buffer, "transitions": ops.split(), "valid": True},
        )
        for what, buffer, ops in ACCEPTED_SEQUENCES
    ] + [
        Case(f"{what}: buffer {buffer}, transitions {ops!r}", {"buffer": buffer, "transitions": ops.split()})
        for what, buffer, ops in INVALID_SEQUENCES
    ]


def _rejects_sequence(module, inputs, ctx):
    verdict = raised(module.shift_reduce, list(inputs["buffer"]), list(inputs["transitions"]), _bracket)
    return _verdict(verdict, inputs)


# --- shift_reduce_tracked ---------------------------------------------------


def _tracked_cases(rng: np.random.Generator) -> list[Case]:
    cases = []
    for label, tree in _trees(rng):
        tokens, transitions = _sequence(tree)
        cases.append(
            Case(
                f"buffer and transitions of {label}; the tracker records (b, s1, s2), "
                "reduce tags its result with the number of tracker calls so far",
                {"buffer": tokens, "transitions": transitions},
            )
        )
    return cases


def _record(state, b, s1, s2):
    return state + ((b, s1, s2),)


def _reduce_with_state(left, right, state):
    return f"({left} {right})@{len(state)}"


def _tracked(module, inputs, ctx):
    """The result and every (b, s1, s2) the tracker saw; reduce tags its output with the step."""
    result, state = module.shift_reduce_tracked(
        list(inputs["buffer"]), list(inputs["transitions"]), _reduce_with_state, _record, ()
    )
    return result, list(state)


# --- TreeLSTMReduce -----------------------------------------------------------


def _tree_lstm_case(rng, label, size, batch, tracker_size=None) -> Case:
    five = 5 * size
    inputs = {
        "size": size,
        "tracker_size": tracker_size,
        "left.weight": rng.normal(scale=0.5, size=(five, size)),
        "left.bias": rng.normal(scale=0.5, size=five),
        "right.weight": rng.normal(scale=0.5, size=(five, size)),
        "h_l": rng.normal(size=(batch, size)),
        "c_l": rng.normal(size=(batch, size)),
        "h_r": rng.normal(size=(batch, size)),
        "c_r": rng.normal(size=(batch, size)),
        "grad_h": rng.normal(size=(batch, size)),
        "grad_c": rng.normal(size=(batch, size)),
    }
    if tracker_size is not None:
        inputs["track.weight"] = rng.normal(scale=0.5, size=(five, tracker_size))
        inputs["h_t"] = rng.normal(size=(batch, tracker_size))
        inputs["c_t"] = rng.normal(size=(batch, tracker_size))
    return Case(label, inputs)


def _tree_lstm_cases(rng: np.random.Generator) -> list[Case]:
    return [
        _tree_lstm_case(rng, "size 3, a batch of 4, no tracker", 3, 4),
        _tree_lstm_case(rng, "size 4, tracker_size 2, a batch of 3", 4, 3, 2),
        _tree_lstm_case(rng, "a batch of one: size 2, tracker_size 5", 2, 1, 5),
        _tree_lstm_case(rng, "a batch of one: size 5, no tracker", 5, 1),
        _tree_lstm_case(rng, "size 1, tracker_size 1, a batch of 2", 1, 2, 1),
    ]


def _parameter_names(inputs) -> list[str]:
    names = ["left.weight", "left.bias", "right.weight"]
    return names + (["track.weight"] if inputs["tracker_size"] is not None else [])


def _tree_lstm(module, inputs, ctx):
    """Build the student's TreeLSTMReduce in float64 on the device, with the case's weights."""
    import torch

    cell = module.TreeLSTMReduce(inputs["size"], inputs["tracker_size"])
    cell.to(device=ctx.device, dtype=torch.float64)
    parameters = dict(cell.named_parameters())
    with torch.no_grad():
        for name in _parameter_names(inputs):
            if name not in parameters:
                found = _names(parameters)
                raise AttributeError(f"TreeLSTMReduce has no parameter {name} (its parameters: {found})")
            parameters[name].copy_(tensor(inputs[name], ctx))
    return cell, parameters


def _names(parameters) -> str:
    return ", ".join(sorted(parameters)) or "none"


def _layout(parameters) -> dict:
    return {
        "parameter names": _names(parameters),
        "parameter shapes": [list(parameters[name].shape) for name in sorted(parameters)],
    }


def _tree_lstm_args(inputs, ctx, requires_grad=False):
    def make(name, grad=requires_grad):
        return tensor(inputs[name], ctx, requires_grad=grad)

    left, right, tracking = (make("h_l"), make("c_l")), (make("h_r"), make("c_r")), None
    if inputs["tracker_size"] is not None:
        tracking = (make("h_t"), make("c_t", grad=False))  # c_t is not used
    return left, right, tracking


def _tree_lstm_values(module, inputs, ctx):
    cell, parameters = _tree_lstm(module, inputs, ctx)
    left, right, tracking = _tree_lstm_args(inputs, ctx)
    h, c = cell(left, right, tracking) if tracking is not None else cell(left, right)
    return {**_layout(parameters), "c": c, "h": h}


def _backward(h, c, inputs, ctx, left, right, tracking, weights) -> dict:
    ((h * tensor(inputs["grad_h"], ctx)).sum() + (c * tensor(inputs["grad_c"], ctx)).sum()).backward()
    grads = {"h_l": left[0].grad, "c_l": left[1].grad, "h_r": right[0].grad, "c_r": right[1].grad}
    if tracking is not None:
        grads["h_t"] = tracking[0].grad
    grads.update({name: weights[name].grad for name in _parameter_names(inputs)})
    return grads


def _tree_lstm_grads(module, inputs, ctx):
    cell, parameters = _tree_lstm(module, inputs, ctx)
    left, right, tracking = _tree_lstm_args(inputs, ctx, requires_grad=True)
    h, c = cell(left, right, tracking) if tracking is not None else cell(left, right)
    return _backward(h, c, inputs, ctx, left, right, tracking, parameters)


# --- batched_shift_reduce -----------------------------------------------------


def _batch_case(rng, label, trees, dim=3) -> Case:
    buffers, transitions = [], []
    for tree in trees:
        tokens, ops = _sequence(tree)
        buffers.append(rng.normal(size=(len(tokens), dim)))
        transitions.append(ops)
    return Case(
        label,
        {
            "buffers": buffers,
            "transitions": transitions,
            "A": rng.normal(scale=0.7, size=(dim, dim)),
            "B": rng.normal(scale=0.7, size=(dim, dim)),
            "bias": rng.normal(scale=0.3, size=dim),
        },
    )


def _batch_cases(rng: np.random.Generator) -> list[Case]:
    random_trees = [_random_tree(rng, int(n)) for n in (4, 9, 1, 6, 12, 2)]
    return [
        _batch_case(rng, "a batch of one: the seed sentence, D=3", [SEED_NODE]),
        _batch_case(
            rng,
            "the seed sentence and random trees of 5 and 3 words, D=4",
            [SEED_NODE, _random_tree(rng, 5), _random_tree(rng, 3)],
            dim=4,
        ),
        _batch_case(rng, "6 sentences of 4, 9, 1, 6, 12 and 2 words (different lengths), D=3", random_trees),
        _batch_case(
            rng,
            "4 sentences of the same length (7 words, different trees), D=2",
            [_random_tree(rng, 7) for _ in range(4)],
            dim=2,
        ),
        _batch_case(
            rng,
            "left- and right-branching trees of 8 words and a single word, D=3",
            [_random_tree(rng, 8, "left"), _random_tree(rng, 8, "right"), "dogs"],
        ),
        _batch_case(rng, "3 single words (no reduce at all), D=3", ["dogs", "sit", "."]),
    ]


def _batch_reduce(inputs, ctx):
    A, B, bias = tensor(inputs["A"], ctx), tensor(inputs["B"], ctx), tensor(inputs["bias"], ctx)

    def reduce(left, right):
        import torch

        return torch.tanh(left @ A + right @ B + bias)

    return reduce


def _batched(module, inputs, ctx):
    buffers = [tensor(b, ctx) for b in inputs["buffers"]]
    transitions = [list(ops) for ops in inputs["transitions"]]
    return module.batched_shift_reduce(buffers, transitions, _batch_reduce(inputs, ctx))


def _batched_calls(module, inputs, ctx):
    """Count reduce calls and the rows they receive (reduce is wrapped here, in the probe)."""
    reduce = _batch_reduce(inputs, ctx)
    sizes = []

    def counting_reduce(left, right):
        shape = getattr(left, "shape", None)
        paired = shape is not None and len(shape) == 2 and shape == getattr(right, "shape", None)
        sizes.append(int(shape[0]) if paired else -1)
        return reduce(left, right)

    buffers = [tensor(b, ctx) for b in inputs["buffers"]]
    transitions = [list(ops) for ops in inputs["transitions"]]
    module.batched_shift_reduce(buffers, transitions, counting_reduce)
    steps = max(len(ops) for ops in transitions)
    return {
        "at most one reduce call per step": len(sizes) <= steps,
        "rows passed to reduce in all": sum(max(k, 0) for k in sizes),
        "calls with no rows": sizes.count(0),
        "calls whose arguments are not two (k, D) tensors": sizes.count(-1),
    }


# --- arguments left alone ---------------------------------------------------


def _mutation_cases(rng: np.random.Generator) -> list[Case]:
    tokens, transitions = _sequence(SEED_NODE)
    trees = [_random_tree(rng, 3), _random_tree(rng, 5)]
    return [
        Case(
            "the seed sentence for shift_reduce and shift_reduce_tracked; "
            "two sentences of 3 and 5 words for batched_shift_reduce",
            {
                "buffer": tokens,
                "transitions": transitions,
                "buffers": [rng.normal(size=(3, 2)), rng.normal(size=(5, 2))],
                "batch_transitions": [_sequence(tree)[1] for tree in trees],
            },
        )
    ]


def _leaves_inputs(module, inputs, ctx):
    """Each function gets its own copies; they come back as they are afterwards."""
    given = {}
    buffer, transitions = list(inputs["buffer"]), list(inputs["transitions"])
    module.shift_reduce(buffer, transitions, _bracket)
    given["shift_reduce: buffer"], given["shift_reduce: transitions"] = buffer, transitions
    buffer, transitions = list(inputs["buffer"]), list(inputs["transitions"])
    module.shift_reduce_tracked(buffer, transitions, _reduce_with_state, _record, ())
    given["shift_reduce_tracked: buffer"], given["shift_reduce_tracked: transitions"] = buffer, transitions
    buffers = [tensor(b, ctx) for b in inputs["buffers"]]
    transitions = [list(ops) for ops in inputs["batch_transitions"]]
    module.batched_shift_reduce(buffers, transitions, lambda left, right: left - 2 * right)
    given["batched_shift_reduce: buffers"] = arrays(buffers)
    given["batched_shift_reduce: transitions"] = transitions
    return given


EXERCISE = exercise(
    "shift_reduce",
    unit=9,
    title="The SPINN stack machine: shift-reduce parsing, TreeLSTM and batching (torch)",
    reference="solutions.shift_reduce",
    oracles="grader.oracles.shift_reduce",
    framework="torch",
    seed=9,
    time_limit=30.0,
    checks=(
        Check(
            name="tree_to_transitions",
            function="tree_to_transitions",
            points=1,
            cases=_tree_cases,
            probe=_to_transitions,
            description="tree_to_transitions gives the words and one S per word, one R per ')'.",
            hint="Split on whitespace. A word is a shift S, a ')' is a reduce R, a '(' produces nothing; "
            "keep the order in which they are read.",
        ),
        Check(
            name="tree_invalid",
            function="tree_to_transitions",
            points=1,
            cases=_invalid_tree_cases,
            probe=_rejects_tree,
            description="tree_to_transitions raises ValueError for unbalanced brackets and non-binary nodes, "
            "and accepts valid trees.",
            hint="Keep a stack with one child counter per open '(': a word or a closed node adds one "
            "child to the innermost open node, and each ')' must close a node with exactly 2 children. "
            "At the end no '(' may be open and there must be exactly one tree. Raise ValueError.",
        ),
        Check(
            name="transitions_to_tree",
            function="transitions_to_tree",
            points=1,
            cases=_to_tree_cases,
            probe=_to_tree,
            description="transitions_to_tree writes the tree back exactly, in the '( left right )' format.",
            hint="Run the stack machine with strings: a reduce pushes '( ' + left + ' ' + right + ' )'. "
            "Single spaces between tokens, none at either end; a single word has no brackets.",
        ),
        Check(
            name="shift_reduce_values",
            function="shift_reduce",
            points=1,
            cases=_machine_cases,
            probe=_machine,
            description="shift_reduce shifts from the buffer's front and reduces as reduce(left, right).",
            hint="S takes the buffer's first item (not its last). R pops right (the top) first, then "
            "left, and pushes reduce(left, right): the order of the arguments matters.",
        ),
        Check(
            name="shift_reduce_invalid",
            function="shift_reduce",
            points=1,
            cases=_invalid_machine_cases,
            probe=_rejects_sequence,
            description="shift_reduce raises ValueError for every invalid transition sequence, and only for those.",
            hint="Check before each operation (a reduce needs two items, a shift a non-empty buffer) "
            "and at the end (exactly one item on the stack, nothing left in the buffer); raise "
            "ValueError naming the step, not IndexError.",
        ),
        Check(
            name="shift_reduce_tracked",
            function="shift_reduce_tracked",
            points=1,
            cases=_tracked_cases,
            probe=_tracked,
            description="The tracker sees (b, s1, s2) before every transition and reduce gets the new state.",
            hint="Before each transition call state = tracker(state, b, s1, s2) with b = the buffer's "
            "front, s1 = the stack's top, s2 = the item below (None where absent); then run the "
            "transition, calling reduce(left, right, state) with that new state. Return (result, state).",
        ),
        Check(
            name="treelstm_values",
            function="TreeLSTMReduce",
            points=1,
            cases=_tree_lstm_cases,
            probe=_tree_lstm_values,
            oracle="formula_values",
            description="TreeLSTMReduce has the required layers and computes the TreeLSTM formula.",
            hint="left = nn.Linear(size, 5*size); right and track have bias=False (track only when "
            "tracker_size is given). Split z into a, i, f1, f2, o in that order along dim 1: a goes "
            "through tanh, the four gates through sigmoid; f1 gates c_l and f2 gates c_r.",
        ),
        Check(
            name="treelstm_grads",
            function="TreeLSTMReduce",
            points=1,
            cases=_tree_lstm_cases,
            probe=_tree_lstm_grads,
            oracle="formula_grads",
            description="Gradients through TreeLSTMReduce (inputs, parameters) match the formula's autograd.",
            hint="Keep forward differentiable: no torch.no_grad(), .detach() or .data inside it.",
        ),
        Check(
            name="batched_values",
            function="batched_shift_reduce",
            points=2,
            cases=_batch_cases,
            probe=_batched,
            oracle="one_at_a_time",
            description="batched_shift_reduce equals running each sentence alone, for any mix of lengths.",
            hint="Keep one stack and one buffer position per sentence; at step t, sentence i performs "
            "transitions[i][t] if it has one. Row j of the reduce's output belongs to the j-th "
            "reducing sentence; push it on that sentence's stack.",
        ),
        Check(
            name="batched_calls",
            function="batched_shift_reduce",
            points=1,
            cases=_batch_cases,
            probe=_batched_calls,
            oracle="expected_calls",
            requires=("batched_values",),
            description="batched_shift_reduce calls reduce once per step, with only the reducing sentences.",
            hint="First collect the sentences that reduce at this step, stack their left items into one "
            "(k, D) tensor and their right items into another, call reduce once, then split the result. "
            "Skip the call when no sentence reduces, and never pass sentences that do not reduce.",
        ),
        inputs_unchanged(
            "shift_reduce, shift_reduce_tracked, batched_shift_reduce",
            cases=_mutation_cases,
            probe=_leaves_inputs,
            oracle="original",
            requires=("shift_reduce_values", "shift_reduce_tracked", "batched_values"),
            description="The machines leave the buffer and transition lists they are given unchanged.",
            hint="buffer.pop(0) empties the caller's list: copy it first (list(buffer)) or keep an "
            "index of the next word instead.",
        ),
    ),
)


@hookimpl
def grader_exercises():
    return [EXERCISE]
