"""The figures of ``shift_reduce``: the SPINN tree, the stack at each step, the measured speed-up."""

from __future__ import annotations

import json
from pathlib import Path

from ._common import BLUE, DOCS, GREEN, GREY, ORANGE, Figure, pyplot, save

#: The measured loop and batched times behind the speed-up figure.
BENCH_DATA = DOCS / "_data" / "bench_shift_reduce.json"

#: The example sentence of the SPINN article, as a bracketed binary tree.
SPINN_TREE = "( ( The church ) ( ( has ( cracks ( in ( the ceiling ) ) ) ) . ) )"


def _spinn_tree():
    from solutions import shift_reduce as ref

    tokens, transitions = ref.tree_to_transitions(SPINN_TREE)
    tree = ref.shift_reduce(tokens, transitions, lambda left, right: (left, right))
    return tokens, transitions, tree


def draw_spinn_tree(path: Path) -> None:
    plt = pyplot()
    tokens, transitions, tree = _spinn_tree()
    fig, axis = plt.subplots(figsize=(8, 3.8))
    leaves = iter(range(len(tokens)))

    def place(node):
        """Draw the subtree; return its (x, height)."""
        if isinstance(node, str):
            x = next(leaves)
            axis.text(
                x,
                0,
                node,
                ha="center",
                va="top",
                fontsize=11,
                bbox={"boxstyle": "round", "facecolor": "#dbe9f6", "edgecolor": BLUE},
            )
            return x, 0
        (xl, hl), (xr, hr) = place(node[0]), place(node[1])
        x, h = (xl + xr) / 2, max(hl, hr) + 1
        for xc, hc in ((xl, hl), (xr, hr)):
            axis.plot([x, xc], [h, hc + (0.15 if hc else 0.1)], color=GREY, lw=1)
        axis.plot([x], [h], "o", color=ORANGE, ms=7)
        return x, h

    _, height = place(tree)
    axis.set_xlim(-0.7, len(tokens) - 0.3)
    axis.set_ylim(-0.7, height + 0.5)
    axis.axis("off")
    axis.set_title("S S R S S S S S R R R R S R R   (● one reduce each)", fontsize=10)
    save(fig, path)


def draw_spinn_steps(path: Path) -> None:
    from solutions import shift_reduce as ref

    plt = pyplot()
    tokens, transitions = ref.tree_to_transitions(SPINN_TREE)
    seen = []

    def tracker(state, b, s1, s2):
        seen.append((b, s1, s2))
        return state + 1

    ref.shift_reduce_tracked(tokens, transitions, lambda left, right, state: f"({left} {right})", tracker, 0)
    rows = []
    stack, buffer = [], list(tokens)
    for step, op in enumerate(transitions):
        b, s1, s2 = seen[step]
        assert b == (buffer[0] if buffer else None) and s1 == (stack[-1] if stack else None)
        if op == "S":
            stack.append(buffer.pop(0))
        else:
            right = stack.pop()
            stack.append(f"({stack.pop()} {right})")
        rows.append((step, op, list(stack), list(buffer)))
    fig, axis = plt.subplots(figsize=(10, 6.2))
    axis.axis("off")
    axis.set_xlim(0, 10)
    axis.set_ylim(len(rows) + 0.2, -1.2)
    axis.text(0.05, -0.6, "step", fontsize=9, weight="bold")
    axis.text(0.6, -0.6, "op", fontsize=9, weight="bold")
    axis.text(1.1, -0.6, "stack (top on the right) after the step", fontsize=9, weight="bold")
    axis.text(7.4, -0.6, "buffer", fontsize=9, weight="bold")
    for y, (step, op, stack_now, buffer_now) in enumerate(rows):
        color = ORANGE if op == "R" else BLUE
        axis.text(0.1, y, str(step), fontsize=8.5, va="center")
        axis.text(0.65, y, op, fontsize=9, va="center", color=color, weight="bold")
        x = 1.1
        for item in stack_now:
            text = item if len(item) < 38 else item[:35] + "…"
            width = 0.09 + 0.075 * len(text)
            axis.text(
                x,
                y,
                text,
                fontsize=7.5,
                va="center",
                family="monospace",
                bbox={
                    "boxstyle": "square,pad=0.15",
                    "facecolor": "#fde8d4" if item.startswith("(") else "#dbe9f6",
                    "edgecolor": GREY,
                    "lw": 0.5,
                },
            )
            x += width + 0.12
        axis.text(7.4, y, " ".join(buffer_now) or "(empty)", fontsize=7.5, va="center", family="monospace", color=GREY)
    save(fig, path)


def draw_speedup(path: Path) -> None:
    plt = pyplot()
    data = json.loads(BENCH_DATA.read_text(encoding="utf-8"))
    fig, (left, right) = plt.subplots(1, 2, figsize=(9, 3.4))
    for device, color in (("cpu", BLUE), ("cuda", GREEN)):
        rows = [row for row in data["rows"] if row["device"] == device]
        if not rows:
            continue
        batch = [row["batch"] for row in rows]
        left.loglog(batch, [row["loop_ms"] for row in rows], "o--", color=color, label=f"loop ({device})")
        left.loglog(batch, [row["batched_ms"] for row in rows], "o-", color=color, label=f"batched ({device})")
        right.semilogx(batch, [row["speedup"] for row in rows], "o-", color=color, label=device)
    left.set_xlabel("batch size")
    left.set_ylabel("median time (ms)")
    left.legend(frameon=False, fontsize=8)
    left.set_title(f"TreeLSTM size {data['size']}, ~{data['tokens']} words")
    right.axhline(1, color=GREY, lw=0.6)
    right.set_xlabel("batch size")
    right.set_ylabel("loop time / batched time")
    right.set_title(f"speed-up (torch {data['torch']}, {data['threads']} thread(s))")
    right.legend(frameon=False, fontsize=8)
    save(fig, path)


#: The figures of the exercise's page, in order. Captions are reStructuredText.
FIGURES = (
    Figure(
        "spinn_tree.png",
        "The binary parse tree of the SPINN article's example sentence, rebuilt from its transitions "
        "by the stack machine.",
        "parse tree of the sentence The church has cracks in the ceiling",
        draw_spinn_tree,
    ),
    Figure(
        "spinn_steps.png",
        "The stack and the buffer after each transition. A shift moves the buffer's first word onto "
        "the stack; a reduce combines the two top items.",
        "table of stack and buffer contents at every transition",
        draw_spinn_steps,
    ),
    Figure(
        "shift_reduce_speedup.png",
        "Time of a loop over the batch against ``batched_shift_reduce``, measured by "
        "``tests/benchmarks/bench_shift_reduce.py --json`` and committed as "
        "``docs/_data/bench_shift_reduce.json``. The conditions are on the performance page.",
        "loop and batched times against batch size, and the speed-up",
        draw_speedup,
        BENCH_DATA,
    ),
)
