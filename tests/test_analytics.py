"""Class analytics on a class small enough to check by hand."""

from __future__ import annotations

import pytest

from grader.batch import analytics

# Four students, two exercises; points: ex1.shape 1, ex1.values 2, ex2.run 1 (4 in all).
ROWS = [
    ("ann", "ex1", "shape", "passed", 1, 1, ""),
    ("ann", "ex1", "values", "passed", 2, 2, ""),
    ("ann", "ex2", "run", "passed", 1, 1, ""),
    ("bob", "ex1", "shape", "passed", 1, 1, ""),
    ("bob", "ex1", "values", "failed", 0, 2, "values, on x of shape (3,): result[2]: expected 1.5, got 2.0\nmore"),
    ("bob", "ex2", "run", "timeout", 0, 1, "run: did not finish: it took longer than 1 s"),
    ("cat", "ex1", "shape", "failed", 0, 1, "not attempted: /home/t/class/cat/ex1.py does not exist"),
    ("cat", "ex1", "values", "failed", 0, 2, "not attempted: /home/t/class/cat/ex1.py does not exist"),
    ("cat", "ex2", "run", "passed", 1, 1, ""),
    ("dan", "ex1", "shape", "passed", 1, 1, ""),
    ("dan", "ex1", "values", "failed", 0, 2, "values, on x of shape (4,): result[0]: expected -3, got 4e-05"),
    ("dan", "ex2", "run", "error", 0, 1, "run raised ValueError: bad"),
]


def test_pass_rates():
    rates = analytics.pass_rates(ROWS)
    assert [(r.exercise, r.check, r.passed, r.total) for r in rates] == [
        ("ex1", "shape", 3, 4),
        ("ex1", "values", 1, 4),
        ("ex2", "run", 2, 4),
    ]
    assert rates[1].rate == 0.25


def test_feedback_groups_normalise_numbers_and_paths():
    assert analytics.feedback_group("a (3,) got 1.5e-3 and -2\nsecond line") == "a (N,) got N and N"
    assert (
        analytics.feedback_group("not attempted: /x/ann/ex1.py does not exist")
        == "not attempted: …/ex1.py does not exist"
    )
    assert analytics.feedback_group("") == "(no message)"
    assert analytics.feedback_group("conv2d failed") == "conv2d failed"  # numbers inside names are kept


def test_common_failures():
    worst = analytics.common_failures(ROWS, top=2)
    assert [(f.exercise, f.check, f.failed, f.total) for f in worst] == [("ex1", "values", 3, 4), ("ex2", "run", 2, 4)]
    assert (worst[0].feedback, worst[0].count) == ("values, on x of shape (N,): result[N]: expected N, got N", 2)
    assert (worst[1].feedback, worst[1].count) == ("run raised ValueError: bad", 1)  # ties: alphabetical


def test_common_failures_picks_the_largest_group():
    rows = [
        (s, "e", "c", "failed", 0, 1, m) for s, m in [("a", "got 1"), ("b", "got 2"), ("c", "boom"), ("d", "got 3")]
    ]
    (only,) = analytics.common_failures(rows)
    assert (only.failed, only.total, only.feedback, only.count) == (4, 4, "got N", 3)


def test_scores_and_histogram():
    assert analytics.totals(ROWS) == {"ann": (4, 4), "bob": (1, 4), "cat": (1, 4), "dan": (1, 4)}
    assert analytics.percents(ROWS) == [100.0, 25.0, 25.0, 25.0]
    assert analytics.histogram([0.0, 9.99, 10.0, 25.0, 99.9, 100.0]) == [2, 1, 1, 0, 0, 0, 0, 0, 0, 2]


def test_summary_table():
    text = analytics.summary(ROWS)
    assert text.splitlines()[0] == "Class: 4 students, mean 43.8%, median 25.0%, full marks 1, zero 0"
    assert "ex1.values" in text and "1/4" in text and "25%" in text
    assert 'ex1.values: 3/4 failed; 2x "values, on x of shape (N,): result[N]: expected N, got N"' in text
    assert 'ex1.shape: 1/4 failed; 1x "not attempted: …/ex1.py does not exist"' in text
    assert analytics.summary([]) == "No graded students."


def test_figures(tmp_path):
    pytest.importorskip("matplotlib")
    from grader.batch.figures import draw

    paths = draw(analytics.pass_rates(ROWS), analytics.percents(ROWS), tmp_path / "figures")
    assert [p.name for p in paths] == ["pass_rates.png", "scores.png"]
    for path in paths:
        data = path.read_bytes()
        assert data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) > 5000
    assert not list((tmp_path / "figures").glob(".*"))
