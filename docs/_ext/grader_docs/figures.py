"""The course's figures, drawn at build time from the reference solutions.

Each figure calls the reference solutions (``solutions.<name>``) and torch,
and only the picture reaches the page. Figures are cached in
``docs/_figures/`` and redrawn when this file, the exercise's solution or the
figure's data file is newer than the picture. Matplotlib is imported here
only, with the Agg backend, so nothing needs a display.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

DOCS = Path(__file__).resolve().parents[2]
ROOT = DOCS.parent
BENCH_DATA = DOCS / "_data" / "bench_shift_reduce.json"

#: The example sentence of the SPINN article, as a bracketed binary tree.
SPINN_TREE = "( ( The church ) ( ( has ( cracks ( in ( the ceiling ) ) ) ) . ) )"

#: The seed article's bag-of-words data: four training and two test sentences.
BOW_TRAIN = [
    ("me gusta comer en la cafeteria".split(), "SPANISH"),
    ("Give it to me".split(), "ENGLISH"),
    ("No creo que sea una buena idea".split(), "SPANISH"),
    ("No it is not a good idea to get lost at sea".split(), "ENGLISH"),
]
BOW_TEST = [("Yo creo que si".split(), "SPANISH"), ("it is lost on me".split(), "ENGLISH")]

BLUE, ORANGE, GREEN, GREY, RED = "#1f77b4", "#ff7f0e", "#2ca02c", "#7f7f7f", "#d62728"


@dataclass(frozen=True)
class Figure:
    """One picture: its file name, its caption (reStructuredText), how to draw it."""

    file: str
    caption: str
    alt: str
    draw: Callable[[Path], None]
    data: Path | None = None


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    plt.rcParams.update(
        {
            "figure.dpi": 100,
            "savefig.dpi": 110,
            "font.size": 10,
            "axes.spines.top": False,
            "axes.spines.right": False,
            "svg.hashsalt": "grader",
        }
    )
    return plt


def _save(fig, path: Path) -> None:
    fig.tight_layout()
    fig.savefig(path, metadata={"Software": None})
    import matplotlib.pyplot as plt

    plt.close(fig)


# --- diy_model ------------------------------------------------------------------


def draw_diy_model(path: Path) -> None:
    import numpy as np
    import torch

    from solutions import diy_model as ref

    plt = _pyplot()
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
    _save(fig, path)


# --- optim ----------------------------------------------------------------------


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

    plt = _pyplot()
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
    _save(fig, path)


# --- polyfit and autograd_basics --------------------------------------------------


def _sine():
    import numpy as np

    x = np.linspace(-np.pi, np.pi, 2000)
    return x, np.sin(x)


def draw_polyfit(path: Path) -> None:
    import numpy as np

    from solutions import polyfit as ref

    plt = _pyplot()
    x, y = _sine()
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
    _save(fig, path)


def draw_autograd(path: Path) -> None:
    import numpy as np
    import torch

    from solutions import autograd_basics as ref

    plt = _pyplot()
    x_np, y_np = _sine()
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
    _save(fig, path)


# --- neural_basics ---------------------------------------------------------------


def draw_neural_basics(path: Path) -> None:
    import numpy as np
    import torch

    from solutions import neural_basics as ref

    plt = _pyplot()
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
    right.plot(margins[broken][::8].numpy(), torch.zeros(int(broken.sum()))[::8].numpy(), "x", color=RED, ms=4,
               label="naive gives inf or nan")
    right.set_xlabel("logit margin m")
    right.set_title("Stable for |m| up to 10⁴ (naive: inf, nan)")
    right.legend(frameon=False, fontsize=8)
    _save(fig, path)


# --- bow ------------------------------------------------------------------------


def draw_bow(path: Path) -> None:
    import numpy as np
    import torch

    from solutions import bow as ref

    plt = _pyplot()
    data = BOW_TRAIN + BOW_TEST
    word_to_ix = ref.build_vocab([sentence for sentence, _ in data])
    label_to_ix = {"SPANISH": 0, "ENGLISH": 1}
    torch.manual_seed(1)
    model = ref.BoWClassifier(2, len(word_to_ix))

    def log_probs():
        with torch.no_grad():
            return np.array([model(ref.make_bow_vector(s, word_to_ix))[0].numpy() for s, _ in data])

    before = log_probs()
    ref.train_bow(model, BOW_TRAIN, word_to_ix, label_to_ix, epochs=100, lr=0.1)
    after = log_probs()
    fig, axes = plt.subplots(1, 2, figsize=(9, 4.2), sharey=True)
    names = [("(test) " if k >= len(BOW_TRAIN) else "") + " ".join(s) for k, (s, _) in enumerate(data)]
    names = [n if len(n) < 34 else n[:31] + "…" for n in names]
    rows = np.arange(len(data))
    for axis, values, title in ((axes[0], before, "before training"), (axes[1], after, "after 100 epochs")):
        axis.barh(rows - 0.2, values[:, 0], 0.4, color=ORANGE, label="log p(SPANISH)")
        axis.barh(rows + 0.2, values[:, 1], 0.4, color=BLUE, label="log p(ENGLISH)")
        axis.set_title(title)
        axis.set_xlabel("log-probability")
        axis.axhline(len(BOW_TRAIN) - 0.5, color=GREY, lw=0.6)
    axes[0].set_yticks(rows, names, fontsize=8)
    axes[0].invert_yaxis()
    axes[1].legend(frameon=False, fontsize=8, loc="lower left")
    _save(fig, path)


# --- pooling ----------------------------------------------------------------------


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

    plt = _pyplot()
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4.2), gridspec_kw={"width_ratios": [1.35, 1]})
    top = 0.0
    for length, k, stride, pad, ceil in POOL_SETTINGS:
        s = stride or k
        out = ref.pool_output_length(length, k, stride, pad, ceil)
        cells = length + 2 * pad
        for i in range(cells):
            padding = i < pad or i >= pad + length
            left.add_patch(
                patches.Rectangle((i, top), 0.95, 0.8, facecolor="white" if padding else "#dbe9f6",
                                  edgecolor=GREY, hatch="///" if padding else None, lw=0.8)
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
    _save(fig, path)


# --- rnn ----------------------------------------------------------------------------


def draw_rnn(path: Path) -> None:
    import matplotlib.patches as patches
    import torch

    from solutions import rnn as ref

    plt = _pyplot()
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
        top.add_patch(patches.FancyBboxPatch((x0, 1.0), 1.1, 0.8, boxstyle="round,pad=0.05",
                                             facecolor="#dbe9f6", edgecolor=BLUE))
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
            bottom.add_patch(patches.Rectangle((t, -row), 0.9, 0.7, facecolor="#dbe9f6" if active else "white",
                                               edgecolor=BLUE if active else GREY, ls="-" if active else ":"))
            bottom.text(t + 0.45, -row + 0.35, f"x{t + 1}" if active else "pad", ha="center", va="center",
                        fontsize=8, color="black" if active else GREY)
        bottom.text(max(lengths) + 0.2, -row + 0.35, f"→ result[{row}] = h_{n} of sequence {row}", va="center",
                    fontsize=8)
    bottom.set_xlim(-0.2, max(lengths) + 4.5)
    bottom.set_ylim(-len(lengths) + 0.5, 1.0)
    bottom.axis("off")
    bottom.set_title(f"encode_sequences: lengths {lengths} → result {shape(encoded)}; no step on the padding")
    _save(fig, path)


# --- shift_reduce -----------------------------------------------------------------


def _spinn_tree():
    from solutions import shift_reduce as ref

    tokens, transitions = ref.tree_to_transitions(SPINN_TREE)
    tree = ref.shift_reduce(tokens, transitions, lambda left, right: (left, right))
    return tokens, transitions, tree


def draw_spinn_tree(path: Path) -> None:
    plt = _pyplot()
    tokens, transitions, tree = _spinn_tree()
    fig, axis = plt.subplots(figsize=(8, 3.8))
    leaves = iter(range(len(tokens)))

    def place(node):
        """Draw the subtree; return its (x, height)."""
        if isinstance(node, str):
            x = next(leaves)
            axis.text(x, 0, node, ha="center", va="top", fontsize=11,
                      bbox={"boxstyle": "round", "facecolor": "#dbe9f6", "edgecolor": BLUE})
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
    _save(fig, path)


def draw_spinn_steps(path: Path) -> None:
    from solutions import shift_reduce as ref

    plt = _pyplot()
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
            axis.text(x, y, text, fontsize=7.5, va="center", family="monospace",
                      bbox={"boxstyle": "square,pad=0.15", "facecolor": "#fde8d4" if item.startswith("(") else
                            "#dbe9f6", "edgecolor": GREY, "lw": 0.5})
            x += width + 0.12
        axis.text(7.4, y, " ".join(buffer_now) or "(empty)", fontsize=7.5, va="center", family="monospace",
                  color=GREY)
    _save(fig, path)


def draw_speedup(path: Path) -> None:
    plt = _pyplot()
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
    _save(fig, path)


#: Figures per exercise, in page order. Captions are reStructuredText.
FIGURES: dict[str, tuple[Figure, ...]] = {
    "diy_model": (
        Figure(
            "diy_model.png",
            "Left: the logistic function and its derivative, which peaks at 1/4 where the input is 0. Right: "
            "training the seed article's two-by-two network with your gradient and your SGD step follows "
            "torch autograd and ``torch.optim.SGD`` exactly.",
            "sigmoid curve and two identical loss curves",
            draw_diy_model,
        ),
    ),
    "optim": (
        Figure(
            "optim.png",
            "Three optimizers on one curved valley, 150 steps each. Plain SGD crawls along the floor, "
            "momentum overshoots and comes back, Adam scales every coordinate's step by its own history.",
            "contour plot with three optimizer paths and their loss curves",
            draw_optim,
        ),
    ),
    "polyfit": (
        Figure(
            "polyfit.png",
            "The cubic fitted to :math:`\\sin(x)` on :math:`[-\\pi, \\pi]` by ``fit`` with hand-written "
            "gradients (left), and the loss recorded at each of the 2000 steps (right).",
            "sine wave with the fitted cubic, and a falling loss curve",
            draw_polyfit,
        ),
    ),
    "autograd_basics": (
        Figure(
            "autograd_basics.png",
            "The model :math:`a + b P_3(c + d x)` trained through ``LegendreP3``, whose backward pass you "
            "write, and the losses of both fits of this exercise.",
            "sine wave with the Legendre fit, and two loss curves",
            draw_autograd,
        ),
    ),
    "neural_basics": (
        Figure(
            "neural_basics.png",
            "Left: softmax of the same logits multiplied by 0.5, 1 and 3. Right: a stable cross-entropy "
            "stays finite and linear for huge margins, where the textbook formula overflows.",
            "grouped bars of probabilities, and a cross-entropy curve against a broken naive one",
            draw_neural_basics,
        ),
    ),
    "bow": (
        Figure(
            "bow.png",
            "The log-probabilities the classifier gives each of the seed's sentences, before and after 100 "
            "epochs of training on the first four. The two test sentences were never trained on.",
            "horizontal bars of log-probabilities per sentence, before and after training",
            draw_bow,
        ),
    ),
    "pooling": (
        Figure(
            "pooling.png",
            "Left: where the windows fall for four settings, and the output length ``pool_output_length`` "
            "gives. Right: output length against input length, rounding down and up.",
            "diagram of pooling windows over input cells, and a step plot of output lengths",
            draw_pooling,
        ),
    ),
    "rnn": (
        Figure(
            "rnn.png",
            "Top: ``run_rnn`` unrolled over four steps, with the shapes measured on real tensors (batch 3, "
            "input 5, hidden 4). Bottom: ``encode_sequences`` stops each sequence at its own length.",
            "an unrolled recurrent network with shapes, and a grid of sequence steps",
            draw_rnn,
        ),
    ),
    "shift_reduce": (
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
    ),
}


def _stale(target: Path, figure: Figure, exercise: str) -> bool:
    if not target.is_file():
        return True
    sources = [Path(__file__), ROOT / "solutions" / f"{exercise}.py"]
    if figure.data is not None:
        sources.append(figure.data)
    built = target.stat().st_mtime
    return any(source.is_file() and source.stat().st_mtime > built for source in sources)


def draw_all(folder: Path, exercises) -> list[Path]:
    """Draw the figures of every registered exercise that is installed; return the files drawn."""
    folder.mkdir(exist_ok=True)
    drawn = []
    for name, figures in FIGURES.items():
        if name not in exercises:
            continue
        for figure in figures:
            target = folder / figure.file
            if _stale(target, figure, name):
                figure.draw(target)
                drawn.append(target)
    return drawn
