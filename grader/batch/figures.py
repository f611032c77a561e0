"""PNG figures of a class for a slide: pass rate per check, and the score histogram.

matplotlib is imported here only, with the Agg backend (no display needed).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from grader.batch.analytics import CheckRate, histogram
from grader.reporters._files import write_atomically


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _save(fig, path: Path) -> None:
    import io

    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=150, bbox_inches="tight")
    write_atomically(path, buffer.getvalue())


def pass_rates_chart(rates: Sequence[CheckRate], path: Path) -> None:
    """A horizontal bar per check (grouped by exercise, in catalog order), the pass rate in percent."""
    plt = _pyplot()
    labels = [f"{r.exercise} · {r.check}" for r in rates]
    values = [100.0 * r.rate for r in rates]
    exercises = list(dict.fromkeys(r.exercise for r in rates))
    palette = plt.get_cmap("tab10")
    colours = [palette(exercises.index(r.exercise) % 10) for r in rates]
    height = max(2.5, 0.32 * len(rates) + 1.2)
    fig, ax = plt.subplots(figsize=(8, height))
    positions = range(len(rates))
    ax.barh(positions, values, color=colours, height=0.7)
    for y, (value, rate) in enumerate(zip(values, rates)):
        ax.text(min(value, 100) + 1, y, f"{value:.0f}%  ({rate.passed}/{rate.total})", va="center", fontsize=8)
    ax.set_yticks(list(positions), labels, fontsize=8)
    ax.invert_yaxis()
    ax.set_xlim(0, 118)
    ax.set_xticks([0, 20, 40, 60, 80, 100])
    ax.set_xlabel("students who passed the check (%)")
    ax.set_title("Pass rate per check")
    ax.spines[["top", "right"]].set_visible(False)
    ax.grid(axis="x", alpha=0.3)
    ax.set_axisbelow(True)
    _save(fig, path)
    plt.close(fig)


def score_histogram(percents: Sequence[float], path: Path) -> None:
    """Students per band of ten percent, with the mean and median marked."""
    plt = _pyplot()
    counts = histogram(percents)
    fig, ax = plt.subplots(figsize=(7, 4))
    edges = [10 * i for i in range(len(counts))]
    ax.bar(edges, counts, width=9.2, align="edge", color="#4C72B0")
    for x, n in zip(edges, counts):
        if n:
            ax.text(x + 4.6, n, str(n), ha="center", va="bottom", fontsize=9)
    if percents:
        ordered = sorted(percents)
        middle = len(ordered) // 2
        median = ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2
        mean = sum(percents) / len(percents)
        ax.axvline(mean, color="#C44E52", linestyle="--", linewidth=1.5, label=f"mean {mean:.0f}%")
        ax.axvline(median, color="#55A868", linestyle=":", linewidth=2, label=f"median {median:.0f}%")
        ax.legend(frameon=False, loc="upper left")
    ax.set_xlim(0, 100)
    ax.set_xticks(range(0, 101, 10))
    ax.set_ylim(0, max(counts + [1]) * 1.15)
    ax.yaxis.get_major_locator().set_params(integer=True)
    ax.set_xlabel("total score (%)")
    ax.set_ylabel("students")
    ax.set_title(f"Score distribution ({len(percents)} students)")
    ax.spines[["top", "right"]].set_visible(False)
    _save(fig, path)
    plt.close(fig)


def draw(rates: Sequence[CheckRate], percents: Sequence[float], folder: Path) -> list[Path]:
    """Both figures into ``folder``; returns their paths."""
    folder.mkdir(exist_ok=True)
    paths = [folder / "pass_rates.png", folder / "scores.png"]
    pass_rates_chart(rates, paths[0])
    score_histogram(percents, paths[1])
    return paths
