"""The figure of ``optim``: three optimizers on one curved valley."""

from __future__ import annotations

from pathlib import Path

from ._common import BLUE, GREEN, GREY, ORANGE, Figure, pyplot, save


def _valley(w):
    """A narrow, tilted valley: f(w) = (w0 - 1)^2 + 10 (w1 - w0^2 / 2)^2 / 2 ... its value and gradient."""
    import numpy as np

    u = w[1] - 0.5 * w[0] ** 2
    value = (w[0] - 1.0) ** 2 + 5.0 * u**2
    grad = np.array([2.0 * (w[0] - 1.0) - 10.0 * u * w[0], 10.0 * u])
    return value, grad


def draw_optim(path: Path) -> None:
    import numpy as np

    from solutions import optim as ref

    plt = pyplot()
    fig, (left, right) = plt.subplots(1, 2, figsize=(9, 3.6))
    a, b = np.meshgrid(np.linspace(-2.2, 2.2, 200), np.linspace(-1.0, 2.8, 200))
    u = b - 0.5 * a**2
    left.contour(a, b, (a - 1) ** 2 + 5 * u**2, levels=np.geomspace(0.02, 40, 14), colors=GREY, linewidths=0.6)
    runs = [
        ("SGD, lr 0.04", ref.DiySGD(lr=0.04), BLUE),
        ("SGD + momentum 0.9, lr 0.01", ref.DiySGD(lr=0.01, momentum=0.9), GREEN),
        ("Adam, lr 0.1", ref.DiyAdam(lr=0.1), ORANGE),
    ]
    for label, optimizer, color in runs:
        w = np.array([-1.8, 2.4])
        path_w, losses = [w], []
        for _ in range(150):
            value, grad = _valley(w)
            losses.append(value)
            w = optimizer.step(grad, w)
            path_w.append(w)
        trace = np.array(path_w)
        left.plot(trace[:, 0], trace[:, 1], ".-", ms=2.5, lw=1, color=color, label=label)
        right.semilogy(losses, color=color, label=label)
    left.plot([1.0], [0.5], "*", color="black", ms=10)
    left.set_title("Paths from (−1.8, 2.4) to the minimum ★")
    left.set_xlabel("w₀")
    left.set_ylabel("w₁")
    right.set_title("Loss at each step")
    right.set_xlabel("step")
    right.legend(frameon=False, fontsize=8)
    save(fig, path)


#: The figures of the exercise's page, in order. Captions are reStructuredText.
FIGURES = (
    Figure(
        "optim.png",
        "Three optimizers on one curved valley, 150 steps each. Plain SGD crawls along the floor, "
        "momentum overshoots and comes back, Adam scales every coordinate's step by its own history.",
        "contour plot with three optimizer paths and their loss curves",
        draw_optim,
    ),
)
