"""What every exercise's figures share: the ``Figure`` record, the colours, Matplotlib's setup.

Matplotlib is imported inside :func:`pyplot` and :func:`save` only, when a
figure is drawn, with the Agg backend, so nothing needs a display and
importing a figure module (to read its captions) costs nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

#: The ``docs`` folder.
DOCS = Path(__file__).resolve().parents[3]

BLUE, ORANGE, GREEN, GREY, RED = "#1f77b4", "#ff7f0e", "#2ca02c", "#7f7f7f", "#d62728"


@dataclass(frozen=True)
class Figure:
    """One picture: its file name, its caption (reStructuredText), how to draw it.

    Attributes:
        file: The file name in ``docs/_figures/``, unique across exercises.
        caption: The caption under the picture, in reStructuredText.
        alt: The text that replaces the picture for a screen reader.
        draw: Draws the picture into the path it is given.
        data: A committed data file the picture is drawn from, if any: the
            picture is redrawn when it is newer.
    """

    file: str
    caption: str
    alt: str
    draw: Callable[[Path], None]
    data: Path | None = None


def pyplot():
    """``matplotlib.pyplot`` on the Agg backend, with the course's style."""
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


def save(fig, path: Path) -> None:
    """Write ``fig`` to ``path`` without a timestamp or version, and close it."""
    fig.tight_layout()
    fig.savefig(path, metadata={"Software": None})
    import matplotlib.pyplot as plt

    plt.close(fig)


def sine():
    """2000 points of :math:`\\sin(x)` on :math:`[-\\pi, \\pi]`, the curve that the fitting exercises fit."""
    import numpy as np

    x = np.linspace(-np.pi, np.pi, 2000)
    return x, np.sin(x)
