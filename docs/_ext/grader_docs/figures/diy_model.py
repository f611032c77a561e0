"""The figure of ``diy_model``: the logistic function, and your training against torch's."""

from __future__ import annotations

from pathlib import Path

from ._common import BLUE, ORANGE, Figure, pyplot, save


def draw_diy_model(path: Path) -> None:
    import numpy as np
    import torch

    from solutions import diy_model as ref

    plt = pyplot()
    fig, (left, right) = plt.subplots(1, 2, figsize=(9, 3.4))
    x = np.linspace(-8, 8, 401)
    s = ref.diy_sigmoid(x)
    left.plot(x, s, color=BLUE, label="σ(x)")
    left.plot(x, s * (1 - s), color=ORANGE, label="σ(x) (1 − σ(x))")
    left.set_xlabel("x")
    left.set_title("diy_sigmoid and its derivative")
    left.legend(frameon=False)

    w0 = np.array([[0.4, -0.3], [0.2, 0.6]])
    xs, ys = np.array([-0.5, 0.1]), np.array([0.1, 0.2])
    weight, diy = w0.copy(), []
    for _ in range(60):
        diy.append(ref.diy_mse_loss(ref.diy_forward(weight, xs), ys))
        weight = ref.diy_sgd(ref.calculate_grad(weight, xs, ys), weight, 5.0)
    layer = torch.nn.Linear(2, 2, bias=False).double()
    with torch.no_grad():
        layer.weight.copy_(torch.from_numpy(w0))
    optimizer = torch.optim.SGD(layer.parameters(), lr=5.0)
    tx, ty = torch.from_numpy(xs).unsqueeze(0), torch.from_numpy(ys).unsqueeze(0)
    auto = []
    for _ in range(60):
        optimizer.zero_grad()
        loss = torch.nn.functional.mse_loss(torch.sigmoid(layer(tx)), ty)
        auto.append(loss.item())
        loss.backward()
        optimizer.step()
    right.semilogy(diy, color=BLUE, lw=3, alpha=0.5, label="calculate_grad + diy_sgd")
    right.semilogy(auto, color="black", ls="--", label="torch autograd + optim.SGD")
    right.set_xlabel("step")
    right.set_ylabel("MSE loss")
    right.set_title("The seed's 2×2 network, lr = 5")
    right.legend(frameon=False)
    save(fig, path)


#: The figures of the exercise's page, in order. Captions are reStructuredText.
FIGURES = (
    Figure(
        "diy_model.png",
        "Left: the logistic function and its derivative, which peaks at 1/4 where the input is 0. Right: "
        "training the seed article's two-by-two network with your gradient and your SGD step follows "
        "torch autograd and ``torch.optim.SGD`` exactly.",
        "sigmoid curve and two identical loss curves",
        draw_diy_model,
    ),
)
