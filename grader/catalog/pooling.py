"""Exercise ``pooling``: pooling layers' output lengths, and pooling a batch of sequences.

``pool_output_length`` is compared with what ``nn.AvgPool1d`` and
``nn.MaxPool1d`` actually produce on a dummy input (both layers, which agree
on every setting); a setting the layers reject must raise ``ValueError``.
The sequence poolings are compared with the seed article's recipe,
``nn.AvgPool1d(seq_len)`` / ``nn.MaxPool1d(seq_len)`` applied to
``x.transpose(1, 2)``, in value and gradient.
"""

from __future__ import annotations

import numpy as np

from grader import Case, Check, hookimpl
from grader.catalog._rubric import exercise, inputs_unchanged
from grader.probing import AUTOGRAD, backward, tensor

STRIDES = (None, 1, 2, 3, 4)
LENGTHS = range(1, 13)


# --- output lengths -------------------------------------------------------------


def _key(setting) -> str:
    length, kernel_size, stride, padding, ceil_mode = setting
    return f"length={length}, kernel_size={kernel_size}, stride={stride}, padding={padding}, ceil_mode={ceil_mode}"


def _grid(ceil_mode: bool) -> list[Case]:
    """Settings every pooling layer accepts, one case per kernel size."""
    cases = []
    for k in range(1, 6):
        settings = [
            (length, k, stride, padding, ceil_mode)
            for length in LENGTHS
            for stride in STRIDES
            for padding in range(0, k // 2 + 1)
            if length + 2 * padding >= k
        ]
        mode = "ceil_mode=True" if ceil_mode else "ceil_mode=False"
        paddings = "0" if k < 2 else f"0-{k // 2}"
        cases.append(
            Case(
                f"kernel_size={k}, lengths up to 12, stride None or 1-4, padding {paddings}, {mode}",
                {"settings": settings},
            )
        )
    return cases


def _floor_cases(rng: np.random.Generator) -> list[Case]:
    seed = Case(
        "the seed article: nn.AvgPool1d(4) over a length of 4, and of 5",
        {"settings": [(4, 4, None, 0, False), (5, 4, None, 0, False)]},
    )
    return [seed, *_grid(ceil_mode=False)]


def _ceil_cases(rng: np.random.Generator) -> list[Case]:
    rule = Case(
        "ceil mode where the last window would start in the right padding (it is dropped)",
        {"settings": [(3, 2, 2, 1, True), (5, 2, 2, 1, True), (4, 3, 3, 1, True), (1, 2, 2, 1, True)]},
    )
    return [rule, *_grid(ceil_mode=True)]


def _invalid_cases(rng: np.random.Generator) -> list[Case]:
    def case(label, *settings):
        return Case(label, {"settings": list(settings)})

    return [
        case(
            "padding more than half of kernel_size",
            (5, 1, None, 1, False),
            (8, 3, 1, 2, False),
            (8, 4, 2, 3, True),
            (6, 2, None, 2, True),
        ),
        case(
            "kernel_size or stride of 0 or below",
            (5, 0, None, 0, False),
            (5, -1, 1, 0, False),
            (5, 2, 0, 0, False),
            (5, 2, -1, 0, True),
        ),
        case("negative padding", (5, 3, 1, -1, False), (5, 2, None, -1, True)),
        case("an empty or negative length", (0, 1, None, 0, False), (0, 2, 1, 1, True), (-3, 2, 1, 0, False)),
        case(
            "a kernel longer than the padded input: no output",
            (2, 5, None, 0, False),
            (3, 5, 2, 0, True),
            (1, 4, 1, 1, False),
            (4, 7, 1, 1, True),
        ),
        Case(
            "valid settings right at the limits of those rules (it must return a length for each, not raise)",
            {"settings": list(VALID_AT_THE_LIMITS), "valid": True},
        ),
    ]


#: Settings the layers accept, each at the edge of a rule above: padding exactly
#: half of kernel_size, kernel_size 1, a length of 1, a kernel exactly as long as
#: the padded input.
VALID_AT_THE_LIMITS = (
    (5, 2, None, 1, False),
    (8, 4, 2, 2, True),
    (5, 1, 1, 0, False),
    (1, 1, None, 0, True),
    (2, 4, 1, 1, False),
    (3, 5, 2, 1, True),
)


def _outcome(fn, *args):
    """What a call gave: its value, or the name of the exception it raised."""
    try:
        return fn(*args)
    except NotImplementedError:
        raise
    except ValueError:
        return "ValueError"
    except Exception as exc:  # the wrong kind of error is a wrong answer
        return type(exc).__name__


def _lengths(module, inputs, ctx):
    return {_key(s): _outcome(module.pool_output_length, *s) for s in inputs["settings"]}


def _returns(fn, *args) -> str:
    """For a valid setting: ``"returned a value"``, or what it raised instead."""
    try:
        fn(*args)
    except NotImplementedError:
        raise
    except Exception as exc:
        return f"raised {type(exc).__name__} on a valid input"
    return "returned a value"


def _rejections(module, inputs, ctx):
    """Invalid settings: the outcome (ValueError expected); valid ones: only that it returned."""
    if not inputs.get("valid"):
        return _lengths(module, inputs, ctx)
    return {_key(s): _returns(module.pool_output_length, *s) for s in inputs["settings"]}


# --- pooling sequences -----------------------------------------------------------


def _seq_case(rng, label, shape, fn=None, *, low=None, high=None, grad=True):
    x = rng.normal(size=shape) if low is None else rng.uniform(low, high, size=shape)
    inputs = {"x": x}
    if fn is not None:
        inputs["fn"] = fn
    if grad:
        inputs["g"] = rng.normal(size=(shape[0], shape[2]))
    return Case(label, inputs)


def _pool_probe(name=None):
    def probe(module, inputs, ctx):
        x = tensor(inputs["x"], ctx, requires_grad=True)
        out = getattr(module, name or inputs["fn"])(x)
        result = {"output": out}
        if "g" in inputs:
            (result["grad x"],) = backward(out, tensor(inputs["g"], ctx), (x,))
        return result

    return probe


def _mean_cases(rng: np.random.Generator) -> list[Case]:
    return [
        _seq_case(rng, "the seed article's x (3, 4, 5) with values in [0, 1)", (3, 4, 5), low=0.0, high=1.0),
        _seq_case(rng, "x (2, 6, 3)", (2, 6, 3)),
        _seq_case(rng, "x (4, 3, 7) with values up to +-1e3", (4, 3, 7), low=-1e3, high=1e3),
    ]


def _max_cases(rng: np.random.Generator) -> list[Case]:
    ties = np.repeat(rng.normal(size=(2, 1, 4)), 3, axis=1)
    return [
        _seq_case(rng, "the seed article's x (3, 4, 5) with values in [0, 1)", (3, 4, 5), low=0.0, high=1.0),
        _seq_case(rng, "x (2, 6, 3), every value negative", (2, 6, 3), low=-5.0, high=-0.5),
        _seq_case(rng, "x (4, 3, 7) with values up to +-1e3", (4, 3, 7), low=-1e3, high=1e3),
        # Tied maxima: gradients depend on the tie-breaking rule, so values only.
        Case("x (2, 3, 4) whose positions are all equal (values only)", {"x": ties}),
    ]


SIZE_ONE = ((1, 1, 1), (1, 1, 4), (1, 5, 1), (3, 1, 1), (1, 4, 3), (3, 1, 4), (3, 4, 1))


def _size_one_cases(rng: np.random.Generator) -> list[Case]:
    return [
        _seq_case(rng, f"{fn} of x {shape}", shape, fn)
        for fn in ("mean_pool_sequence", "max_pool_sequence")
        for shape in SIZE_ONE
    ]


def _masked_cases(rng: np.random.Generator) -> list[Case]:
    def case(label, shape, lengths):
        x = rng.normal(size=shape)
        for b, n in enumerate(lengths):
            x[b, n:] = 1e6 * (1.0 + rng.uniform(size=(shape[1] - n, shape[2])))  # huge padding
        return Case(
            label,
            {"x": x, "lengths": np.array(lengths, dtype=np.int64), "g": rng.normal(size=(shape[0], shape[2]))},
        )

    return [
        case("x (3, 5, 4), lengths [5, 1, 3], padding filled with ~1e6", (3, 5, 4), [5, 1, 3]),
        case("a batch of one: x (1, 1, 2), lengths [1]", (1, 1, 2), [1]),
        case("x (4, 6, 1), every sequence full length [6, 6, 6, 6]", (4, 6, 1), [6, 6, 6, 6]),
        case("x (2, 3, 3), lengths [1, 1], padding filled with ~1e6", (2, 3, 3), [1, 1]),
        case("x (5, 4, 2), lengths [2, 4, 3, 1, 4], padding filled with ~1e6", (5, 4, 2), [2, 4, 3, 1, 4]),
    ]


def _masked(module, inputs, ctx):
    x = tensor(inputs["x"], ctx, requires_grad=True)
    out = module.masked_mean_pool(x, tensor(inputs["lengths"], ctx))
    (grad,) = backward(out, tensor(inputs["g"], ctx), (x,))
    return {"output": out, "grad x": grad}


def _mutation_cases(rng: np.random.Generator) -> list[Case]:
    x = rng.normal(size=(3, 4, 2))
    x[0, 2:] = x[2, 1:] = 1e6
    return [Case("x (3, 4, 2), lengths [2, 4, 1]", {"x": x, "lengths": np.array([2, 4, 1])})]


def _leaves_inputs(module, inputs, ctx):
    given = {
        "mean_pool_sequence: x": tensor(inputs["x"], ctx),
        "max_pool_sequence: x": tensor(inputs["x"], ctx),
        "masked_mean_pool: x": tensor(inputs["x"], ctx),
        "masked_mean_pool: lengths": tensor(inputs["lengths"], ctx),
    }
    module.mean_pool_sequence(given["mean_pool_sequence: x"])
    module.max_pool_sequence(given["max_pool_sequence: x"])
    module.masked_mean_pool(given["masked_mean_pool: x"], given["masked_mean_pool: lengths"])
    return given


EXERCISE = exercise(
    "pooling",
    unit=7,
    title="Pooling and the shapes around it (torch)",
    reference="solutions.pooling",
    oracles="grader.oracles.pooling",
    framework="torch",
    seed=7,
    time_limit=30.0,
    preload=AUTOGRAD,  # the value-and-gradient checks run autograd
    checks=(
        Check(
            name="output_length",
            function="pool_output_length",
            points=2,
            cases=_floor_cases,
            probe=_lengths,
            oracle="torch_lengths",
            description="pool_output_length matches nn.AvgPool1d / nn.MaxPool1d for every length, kernel size, "
            "stride (None included) and padding they accept, ceil_mode=False.",
            hint="out = (length + 2 * padding - kernel_size) // stride + 1 in integers, with stride = kernel_size "
            "when stride is None; return an int.",
        ),
        Check(
            name="output_length_ceil",
            function="pool_output_length",
            points=2,
            cases=_ceil_cases,
            probe=_lengths,
            oracle="torch_lengths",
            description="pool_output_length matches the pooling layers with ceil_mode=True, including the rule "
            "that drops a last window starting in the right padding.",
            hint="In ceil mode round the division up (integer arithmetic: -(-a // b)); then, if the last window "
            "would start at or after length + padding, i.e. (out - 1) * stride >= length + padding, drop it.",
        ),
        Check(
            name="output_length_invalid",
            function="pool_output_length",
            points=1,
            cases=_invalid_cases,
            probe=_rejections,
            oracle="torch_rejections",
            description="pool_output_length raises ValueError for every setting the pooling layers reject, "
            "and only for those.",
            hint="Raise ValueError when length, kernel_size or stride is below 1, when padding is negative or "
            "more than half of kernel_size, and when the output length would be below 1.",
        ),
        Check(
            name="mean_pool",
            function="mean_pool_sequence",
            points=1,
            cases=_mean_cases,
            probe=_pool_probe("mean_pool_sequence"),
            oracle="torch_mean_pool",
            description="mean_pool_sequence averages over the sequence: (batch, seq_len, dim) -> (batch, dim), "
            "gradients included.",
            hint="Average over dim 1, the sequence; the result keeps the batch and the vector size.",
        ),
        Check(
            name="max_pool",
            function="max_pool_sequence",
            points=1,
            cases=_max_cases,
            probe=_pool_probe("max_pool_sequence"),
            oracle="torch_max_pool",
            description="max_pool_sequence takes the maximum over the sequence, as one tensor (batch, dim).",
            hint="Take the maximum over dim 1. torch.max(x, dim=1) returns a (values, indices) pair: return "
            "only the values (or use amax). Do not start from zeros: every value may be negative.",
        ),
        Check(
            name="size_one",
            function="mean_pool_sequence, max_pool_sequence",
            points=1,
            cases=_size_one_cases,
            probe=_pool_probe(),
            oracle="torch_size_one",
            description="Both poolings return (batch, dim) when the batch, the sequence or the vector has size 1.",
            hint="squeeze() without an argument drops every size-1 dimension, the batch and dim included: "
            "squeeze only the pooled dimension (squeeze(-1) after the pooling layer), or reduce over dim 1.",
        ),
        Check(
            name="masked_mean_pool",
            function="masked_mean_pool",
            points=2,
            cases=_masked_cases,
            probe=_masked,
            oracle="torch_masked",
            description="masked_mean_pool averages only the first lengths[b] positions of sequence b; padding "
            "changes neither the value nor gets a gradient.",
            hint="Build a (batch, seq_len) mask positions < lengths[:, None] (torch.arange on x's device), "
            "sum x where the mask is true, and divide by each sequence's own length, not by seq_len.",
        ),
        inputs_unchanged(
            "mean_pool_sequence, max_pool_sequence, masked_mean_pool",
            cases=_mutation_cases,
            probe=_leaves_inputs,
            requires=("mean_pool", "max_pool", "masked_mean_pool"),
            hint="Zeroing the padding with x[...] = 0 or masked_fill_ writes into the caller's tensor: use "
            "torch.where or multiply by the mask to build a new tensor.",
        ),
    ),
)


@hookimpl
def grader_exercises():
    return [EXERCISE]
