"""The figure of ``rnn``: the unrolled network with its shapes, and the padded batch."""

from __future__ import annotations

from pathlib import Path

from ._common import BLUE, GREY, ORANGE, Figure, pyplot, save


def draw_rnn(path: Path) -> None:
    import matplotlib.patches as patches
    import torch

    from solutions import rnn as ref

    plt = pyplot()
    steps, batch, size_in, hidden = 4, 3, 5, 4
    torch.manual_seed(0)
    cell = torch.nn.RNNCell(size_in, hidden)
    inputs = torch.randn(steps, batch, size_in)
    outputs, h_last = ref.run_rnn(cell, inputs, torch.zeros(batch, hidden))
    lengths = [4, 2, 3]
    encoded = ref.encode_sequences(cell, [torch.randn(n, size_in) for n in lengths])

    fig, (top, bottom) = plt.subplots(2, 1, figsize=(9, 5.2), gridspec_kw={"height_ratios": [1.3, 1]})
    shape = lambda t: "(" + ", ".join(str(n) for n in t.shape) + ")"  # noqa: E731
    for t in range(steps):
        x0 = 1.6 + 2.0 * t
        top.add_patch(
            patches.FancyBboxPatch((x0, 1.0), 1.1, 0.8, boxstyle="round,pad=0.05", facecolor="#dbe9f6", edgecolor=BLUE)
        )
        top.text(x0 + 0.55, 1.4, "cell", ha="center", va="center")
        top.annotate("", (x0 + 0.55, 1.0), (x0 + 0.55, 0.35), arrowprops={"arrowstyle": "->"})
        top.text(x0 + 0.55, 0.15, f"x_{t + 1}  {shape(inputs[t])}", ha="center", fontsize=8)
        top.annotate("", (x0 + 0.55, 2.45), (x0 + 0.55, 1.8), arrowprops={"arrowstyle": "->", "color": ORANGE})
        top.text(x0 + 0.55, 2.55, f"outputs[{t}]  {shape(outputs[t])}", ha="center", fontsize=8, color=ORANGE)
        top.annotate("", (x0, 1.4), (x0 - 0.9, 1.4), arrowprops={"arrowstyle": "->"})
        top.text(x0 - 0.45, 1.5, f"h_{t}", ha="center", fontsize=8)
    top.text(0.1, 1.15, f"h0\n{shape(torch.zeros(batch, hidden))}", fontsize=8)
    last = 1.6 + 2.0 * (steps - 1) + 1.1
    top.annotate("", (last + 0.6, 1.4), (last, 1.4), arrowprops={"arrowstyle": "->"})
    top.text(last + 0.65, 1.25, f"h_last\n{shape(h_last)}", fontsize=8)
    top.set_xlim(0, 2.0 * steps + 1.8)
    top.set_ylim(0, 2.9)
    top.axis("off")
    top.set_title(f"run_rnn: inputs {shape(inputs)} → outputs {shape(outputs)}, h_last {shape(h_last)}")
    for row, n in enumerate(lengths):
        for t in range(max(lengths)):
            active = t < n
            bottom.add_patch(
                patches.Rectangle(
                    (t, -row),
                    0.9,
                    0.7,
                    facecolor="#dbe9f6" if active else "white",
                    edgecolor=BLUE if active else GREY,
                    ls="-" if active else ":",
                )
            )
            bottom.text(
                t + 0.45,
                -row + 0.35,
                f"x{t + 1}" if active else "pad",
                ha="center",
                va="center",
                fontsize=8,
                color="black" if active else GREY,
            )
        bottom.text(
            max(lengths) + 0.2, -row + 0.35, f"→ result[{row}] = h_{n} of sequence {row}", va="center", fontsize=8
        )
    bottom.set_xlim(-0.2, max(lengths) + 4.5)
    bottom.set_ylim(-len(lengths) + 0.5, 1.0)
    bottom.axis("off")
    bottom.set_title(f"encode_sequences: lengths {lengths} → result {shape(encoded)}; no step on the padding")
    save(fig, path)


#: The figures of the exercise's page, in order. Captions are reStructuredText.
FIGURES = (
    Figure(
        "rnn.png",
        "Top: ``run_rnn`` unrolled over four steps, with the shapes measured on real tensors (batch 3, "
        "input 5, hidden 4). Bottom: ``encode_sequences`` stops each sequence at its own length.",
        "an unrolled recurrent network with shapes, and a grid of sequence steps",
        draw_rnn,
    ),
)
