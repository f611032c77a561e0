"""The figure of ``pooling``: where the windows fall, and the output lengths."""

from __future__ import annotations

from pathlib import Path

from ._common import BLUE, GREY, ORANGE, Figure, pyplot, save

#: The settings drawn on the left: (length, kernel, stride, padding, ceil_mode).
POOL_SETTINGS = [
    (5, 4, None, 0, False),
    (7, 3, 2, 1, False),
    (6, 4, 3, 0, True),
    (5, 2, 2, 1, True),
]


def draw_pooling(path: Path) -> None:
    import matplotlib.patches as patches
    import numpy as np

    from solutions import pooling as ref

    plt = pyplot()
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4.2), gridspec_kw={"width_ratios": [1.35, 1]})
    top = 0.0
    for length, k, stride, pad, ceil in POOL_SETTINGS:
        s = stride or k
        out = ref.pool_output_length(length, k, stride, pad, ceil)
        cells = length + 2 * pad
        for i in range(cells):
            padding = i < pad or i >= pad + length
            left.add_patch(
                patches.Rectangle(
                    (i, top),
                    0.95,
                    0.8,
                    facecolor="white" if padding else "#dbe9f6",
                    edgecolor=GREY,
                    hatch="///" if padding else None,
                    lw=0.8,
                )
            )
        for j in range(out):
            start = j * s
            end = min(start + k, cells)
            y = top - 0.35 - 0.3 * j
            left.plot([start + 0.05, end - 0.1], [y, y], color=ORANGE, lw=2.5, solid_capstyle="butt")
        label = f"L={length}, k={k}, s={stride}, p={pad}{', ceil' if ceil else ''}  →  out={out}"
        left.text(0, top + 1.05, label, fontsize=8.5)
        top -= 1.9 + 0.3 * out
    left.set_xlim(-0.3, 10)
    left.set_ylim(top + 1.2, 1.6)
    left.axis("off")
    left.set_title("Input cells (hatched: padding) and pooling windows")
    lengths = np.arange(1, 21)
    for ceil, color in ((False, BLUE), (True, ORANGE)):
        outs = [ref.pool_output_length(int(n), 3, 2, 1, ceil) for n in lengths]
        right.step(lengths, outs, where="mid", color=color, label=f"ceil_mode={ceil}")
    right.set_xlabel("input length L")
    right.set_ylabel("output length")
    right.set_title("k = 3, s = 2, p = 1")
    right.legend(frameon=False)
    save(fig, path)


#: The figures of the exercise's page, in order. Captions are reStructuredText.
FIGURES = (
    Figure(
        "pooling.png",
        "Left: where the windows fall for four settings, and the output length ``pool_output_length`` "
        "gives. Right: output length against input length, rounding down and up.",
        "diagram of pooling windows over input cells, and a step plot of output lengths",
        draw_pooling,
    ),
)
