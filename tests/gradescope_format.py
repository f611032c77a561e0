"""Gradescope's results.json layout, as its autograder specifications document it.

https://gradescope-autograders.readthedocs.io/en/latest/specs/ (the "Output format" section;
also gradescope/autograder_samples, docs/specs.md).
"""

from __future__ import annotations

VISIBILITY = {"hidden", "after_due_date", "after_published", "visible"}
FORMATS = {"text", "html", "simple_format", "md", "ansi"}

# The documented fields (https://gradescope-autograders.readthedocs.io/en/latest/specs/) and their types.
TOP_LEVEL = {
    "score": (int, float),
    "execution_time": (int, float),
    "output": str,
    "output_format": str,
    "test_output_format": str,
    "test_name_format": str,
    "visibility": str,
    "stdout_visibility": str,
    "extra_data": dict,
    "tests": list,
    "leaderboard": list,
}
TEST = {
    "score": (int, float),
    "max_score": (int, float),
    "status": str,
    "name": str,
    "name_format": str,
    "number": str,
    "output": str,
    "output_format": str,
    "tags": list,
    "visibility": str,
    "extra_data": dict,
}


def validate(data: dict) -> None:
    """Fail unless ``data`` is a results.json Gradescope accepts, as its specification describes it."""
    assert isinstance(data, dict)
    assert set(data) <= set(TOP_LEVEL), set(data) - set(TOP_LEVEL)
    for key, value in data.items():
        assert isinstance(value, TOP_LEVEL[key]) and not isinstance(value, bool), key
    assert "score" in data or all("score" in t for t in data["tests"]), "a score is required somewhere"
    for key in ("visibility", "stdout_visibility"):
        assert data.get(key, "visible") in VISIBILITY
    for key in ("output_format", "test_output_format", "test_name_format"):
        assert data.get(key, "text") in FORMATS
    for test in data.get("tests", []):
        assert set(test) <= set(TEST), set(test) - set(TEST)
        for key, value in test.items():
            assert isinstance(value, TEST[key]) and not isinstance(value, bool), key
        assert test.get("status", "passed") in {"passed", "failed"}
        assert test.get("visibility", "visible") in VISIBILITY
        assert 0 <= test["score"] <= test["max_score"]
        assert all(isinstance(tag, str) for tag in test.get("tags", []))
