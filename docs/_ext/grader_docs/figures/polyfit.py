"""The figure of ``polyfit``: the cubic fitted to a sine, and its loss."""

from __future__ import annotations

from pathlib import Path

from ._common import BLUE, GREY, Figure, pyplot, save, sine


def draw_polyfit(path: Path) -> None:
    import numpy as np

    from solutions import polyfit as ref

    plt = pyplot()
    x, y = sine()
    coeffs0 = np.random.default_rng(0).normal(size=4)
    coeffs, losses = ref.fit(x, y, coeffs0, lr=1e-6, steps=2000)
    fig, (left, right) = plt.subplots(1, 2, figsize=(9, 3.4))
    left.plot(x, y, color="black", lw=3, alpha=0.3, label="sin(x)")
    left.plot(x, ref.predict(coeffs0, x), color=GREY, ls=":", label="start")
    left.plot(x, ref.predict(coeffs, x), color=BLUE, label="after 2000 steps")
    left.set_ylim(-3, 3)
    left.set_xlabel("x")
    left.set_title("y = a + b x + c x² + d x³")
    left.legend(frameon=False)
    right.semilogy(losses, color=BLUE)
    right.set_xlabel("step")
    right.set_ylabel("sum of squared errors")
    right.set_title("fit: the loss recorded before each step")
    save(fig, path)


#: The figures of the exercise's page, in order. Captions are reStructuredText.
FIGURES = (
    Figure(
        "polyfit.png",
        "The cubic fitted to :math:`\\sin(x)` on :math:`[-\\pi, \\pi]` by ``fit`` with hand-written "
        "gradients (left), and the loss recorded at each of the 2000 steps (right).",
        "sine wave with the fitted cubic, and a falling loss curve",
        draw_polyfit,
    ),
)
