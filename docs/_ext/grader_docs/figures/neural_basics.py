"""The figure of ``neural_basics``: softmax under scaling, a stable cross-entropy."""

from __future__ import annotations

from pathlib import Path

from ._common import BLUE, GREEN, ORANGE, RED, Figure, pyplot, save


def draw_neural_basics(path: Path) -> None:
    import numpy as np
    import torch

    from solutions import neural_basics as ref

    plt = pyplot()
    fig, (left, right) = plt.subplots(1, 2, figsize=(9, 3.4))
    logits = torch.tensor([2.0, 1.0, 0.1, -1.0], dtype=torch.float64)
    width = 0.25
    for k, (scale, color) in enumerate(((0.5, GREEN), (1.0, BLUE), (3.0, ORANGE))):
        p = ref.softmax(logits * scale).numpy()
        left.bar(np.arange(4) + (k - 1) * width, p, width, color=color, label=f"softmax({scale:g} · z)")
    left.set_xticks(range(4), [f"z = {v:g}" for v in logits.tolist()])
    left.set_ylabel("probability")
    left.set_title("Scaling the logits sharpens softmax")
    left.legend(frameon=False, fontsize=8)
    margins = torch.linspace(-1e4, 1e4, 401, dtype=torch.float64)
    pairs = torch.stack([margins, torch.zeros_like(margins)], dim=1)
    per_row = [
        ref.cross_entropy(pairs[i : i + 1], torch.zeros(1, dtype=torch.long)).item() for i in range(len(margins))
    ]
    right.plot(margins.numpy(), per_row, color=BLUE, lw=3, alpha=0.5, label="cross_entropy([m, 0], 0)")
    naive = -torch.log(torch.exp(pairs[:, 0]) / torch.exp(pairs).sum(dim=1))
    right.plot(margins.numpy(), naive.numpy(), color=RED, ls="--", label="−log(eᵐ / Σ e) (naive)")
    broken = ~torch.isfinite(naive)
    right.plot(
        margins[broken][::8].numpy(),
        torch.zeros(int(broken.sum()))[::8].numpy(),
        "x",
        color=RED,
        ms=4,
        label="naive gives inf or nan",
    )
    right.set_xlabel("logit margin m")
    right.set_title("Stable for |m| up to 10⁴ (naive: inf, nan)")
    right.legend(frameon=False, fontsize=8)
    save(fig, path)


#: The figures of the exercise's page, in order. Captions are reStructuredText.
FIGURES = (
    Figure(
        "neural_basics.png",
        "Left: softmax of the same logits multiplied by 0.5, 1 and 3. Right: a stable cross-entropy "
        "stays finite and linear for huge margins, where the textbook formula overflows.",
        "grouped bars of probabilities, and a cross-entropy curve against a broken naive one",
        draw_neural_basics,
    ),
)
