"""The figure of ``bow``: the classifier's log-probabilities before and after training."""

from __future__ import annotations

from pathlib import Path

from ._common import BLUE, GREY, ORANGE, Figure, pyplot, save

#: The seed article's bag-of-words data: four training and two test sentences.
BOW_TRAIN = [
    ("me gusta comer en la cafeteria".split(), "SPANISH"),
    ("Give it to me".split(), "ENGLISH"),
    ("No creo que sea una buena idea".split(), "SPANISH"),
    ("No it is not a good idea to get lost at sea".split(), "ENGLISH"),
]
BOW_TEST = [("Yo creo que si".split(), "SPANISH"), ("it is lost on me".split(), "ENGLISH")]


def draw_bow(path: Path) -> None:
    import numpy as np
    import torch

    from solutions import bow as ref

    plt = pyplot()
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
    save(fig, path)


#: The figures of the exercise's page, in order. Captions are reStructuredText.
FIGURES = (
    Figure(
        "bow.png",
        "The log-probabilities the classifier gives each of the seed's sentences, before and after 100 "
        "epochs of training on the first four. The two test sentences were never trained on.",
        "horizontal bars of log-probabilities per sentence, before and after training",
        draw_bow,
    ),
)
