"""Class figures from the gradebook: pass rates, common failures, the score distribution.

Pure computation on rows ``(student, exercise, check, status, score,
max_score, message)``; drawing is :mod:`grader.batch.figures`' job.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

_PATH = re.compile(r"(?:/[^\s/:'\"]+)+/([^\s/:'\"]+)")
_NUMBER = re.compile(r"(?<![A-Za-z_])[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")


@dataclass(frozen=True)
class CheckRate:
    """How a class did on one check."""

    exercise: str
    check: str
    passed: int
    total: int

    @property
    def rate(self) -> float:
        return self.passed / self.total if self.total else 0.0


@dataclass(frozen=True)
class Failure:
    """A check many students fail, with its most common feedback."""

    exercise: str
    check: str
    failed: int
    total: int
    feedback: str
    count: int


def feedback_group(message: str) -> str:
    """A message's first line, numbers replaced by ``N`` and paths by their last part: one group per mistake."""
    lines = message.strip().splitlines()
    first = _PATH.sub(r"…/\1", lines[0].strip() if lines else "")
    return _NUMBER.sub("N", first)[:200] or "(no message)"


def pass_rates(rows: Iterable[Sequence]) -> list[CheckRate]:
    """One entry per check, in the order the rows give them."""
    passed: dict[tuple[str, str], int] = {}
    total: dict[tuple[str, str], int] = {}
    for _student, exercise, check, status, *_ in rows:
        key = (exercise, check)
        total[key] = total.get(key, 0) + 1
        passed[key] = passed.get(key, 0) + (status == "passed")
    return [CheckRate(e, c, passed[(e, c)], n) for (e, c), n in total.items()]


def common_failures(rows: Iterable[Sequence], top: int = 5) -> list[Failure]:
    """The ``top`` checks most students fail, each with its most common feedback group."""
    rows = list(rows)
    messages: dict[tuple[str, str], Counter] = {}
    total: Counter = Counter()
    for _student, exercise, check, status, _score, _max, message in rows:
        key = (exercise, check)
        total[key] += 1
        if status != "passed":
            messages.setdefault(key, Counter())[feedback_group(message)] += 1
    order = {key: i for i, key in enumerate(total)}
    worst = sorted(messages, key=lambda key: (-sum(messages[key].values()), order[key]))[:top]
    found = []
    for key in worst:
        groups = messages[key]
        feedback, count = min(groups.items(), key=lambda item: (-item[1], item[0]))
        found.append(Failure(key[0], key[1], sum(groups.values()), total[key], feedback, count))
    return found


def totals(rows: Iterable[Sequence]) -> dict[str, tuple[float, float]]:
    """Student -> (score, max_score) over the rows."""
    out: dict[str, tuple[float, float]] = {}
    for student, _exercise, _check, _status, score, max_score, _message in rows:
        got, most = out.get(student, (0.0, 0.0))
        out[student] = (got + score, most + max_score)
    return out


def percents(rows: Iterable[Sequence]) -> list[float]:
    """Each student's total as a percentage of the points available."""
    return [100.0 * got / most if most else 0.0 for got, most in totals(rows).values()]


def histogram(values: Sequence[float], width: float = 10.0) -> list[int]:
    """Counts in bins ``[0, 10), [10, 20), ..., [90, 100]`` (100 falls in the last bin)."""
    bins = int(round(100 / width))
    counts = [0] * bins
    for value in values:
        counts[min(bins - 1, max(0, int(value // width)))] += 1
    return counts


def summary(rows: Sequence[Sequence], top: int = 5) -> str:
    """The short table printed at the end of a batch."""
    scores = percents(rows)
    if not scores:
        return "No graded students."
    ordered = sorted(scores)
    middle = len(ordered) // 2
    median = ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2
    lines = [
        f"Class: {len(scores)} students, mean {sum(scores) / len(scores):.1f}%, median {median:.1f}%, "
        f"full marks {sum(1 for s in scores if s >= 100.0 - 1e-9)}, zero {sum(1 for s in scores if s <= 1e-9)}",
        "",
        f"{'check':<40} {'passed':>12}",
    ]
    for rate in pass_rates(rows):
        lines.append(
            f"{_clip(rate.exercise + '.' + rate.check, 40):<40} {rate.passed:>4}/{rate.total:<4} {rate.rate:4.0%}"
        )
    failures = common_failures(rows, top)
    if failures:
        lines += ["", "Most failed checks, with their most common feedback:"]
        for f in failures:
            lines.append(f'  {f.exercise}.{f.check}: {f.failed}/{f.total} failed; {f.count}x "{_clip(f.feedback, 70)}"')
    return "\n".join(lines)


def _clip(text: str, width: int) -> str:
    text = "".join(c if c.isprintable() else "?" for c in text)
    return text if len(text) <= width else text[: width - 1] + "…"
