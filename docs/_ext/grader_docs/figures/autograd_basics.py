"""The figure of ``autograd_basics``: the Legendre fit through your backward pass."""

from __future__ import annotations

from pathlib import Path

from ._common import BLUE, ORANGE, Figure, pyplot, save, sine


def draw_autograd(path: Path) -> None:
    import numpy as np
    import torch

    from solutions import autograd_basics as ref

    plt = pyplot()
    x_np, y_np = sine()
    x, y = torch.from_numpy(x_np), torch.from_numpy(y_np)
    params, losses = ref.fit_legendre(x, y, torch.tensor([0.0, -1.0, 0.0, 0.3], dtype=torch.float64))
    _, cubic_losses = ref.fit_autograd(x, y, torch.from_numpy(np.random.default_rng(0).normal(size=4)))
    fig, (left, right) = plt.subplots(1, 2, figsize=(9, 3.4))
    a, b, c, d = params.tolist()
    z = c + d * x_np
    left.plot(x_np, y_np, color="black", lw=3, alpha=0.3, label="sin(x)")
    left.plot(x_np, a + b * 0.5 * (5 * z**3 - 3 * z), color=ORANGE, label="a + b P₃(c + d x)")
    left.set_xlabel("x")
    left.set_title("fit_legendre after 2000 steps")
    left.legend(frameon=False)
    right.semilogy(cubic_losses, color=BLUE, label="fit_autograd (cubic)")
    right.semilogy(losses, color=ORANGE, label="fit_legendre (through LegendreP3)")
    right.set_xlabel("step")
    right.set_title("Loss at each step")
    right.legend(frameon=False, fontsize=8)
    save(fig, path)


#: The figures of the exercise's page, in order. Captions are reStructuredText.
FIGURES = (
    Figure(
        "autograd_basics.png",
        "The model :math:`a + b P_3(c + d x)` trained through ``LegendreP3``, whose backward pass you "
        "write, and the losses of both fits of this exercise.",
        "sine wave with the Legendre fit, and two loss curves",
        draw_autograd,
    ),
)
