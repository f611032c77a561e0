"""Comparison messages tell a student what differs, where, and by how much."""

import numpy as np

from grader.checking.values import mismatch
from grader.plain import NotPlain, TensorData


def test_equal_values_match():
    assert mismatch(np.ones((2, 3)), np.ones((2, 3)) + 1e-12, 1e-7, 1e-10) is None
    assert mismatch((1.0, [2, "a"]), [1.0, (2, "a")], 1e-7, 0) is None


def test_first_differing_element_and_error_size():
    expected = np.zeros((2, 3))
    got = expected.copy()
    got[1, 2] = 0.5
    message = mismatch(expected, got, 1e-7, 1e-10)
    assert "result[1, 2]: expected 0, got 0.5" in message
    assert "1 of 6 elements differ" in message and "largest absolute error 0.5" in message


def test_shape_dtype_kind_device_are_strict():
    assert "expected shape (2, 3), got (3, 2)" in mismatch(np.zeros((2, 3)), np.zeros((3, 2)), 1e-7, 0)
    assert "expected dtype float64, got float32" in mismatch(np.zeros(2), np.zeros(2, np.float32), 1e-7, 0)
    assert "expected a float" in mismatch(1.0, np.array([1.0]), 1e-7, 0)
    assert "expected a float" in mismatch(1.0, 1, 1e-7, 0)
    tensor = TensorData(np.zeros(2), "float64", "cuda")
    assert "device cuda, got cpu" in mismatch(tensor, TensorData(np.zeros(2), "float64", "cpu"), 1e-7, 0)
    assert "got a torch tensor" in mismatch(np.zeros(2), TensorData(np.zeros(2), "float64", "cpu"), 1e-7, 0)
    assert "object of type Liar" in mismatch(np.zeros(2), NotPlain("Liar"), 1e-7, 0)


def test_non_finite_results_are_named():
    message = mismatch(np.ones(3), np.array([1.0, np.nan, np.inf]), 1e-7, 0)
    assert "non-finite" in message


def test_nan_where_expected_is_accepted():
    assert mismatch(np.array([np.nan, 1.0]), np.array([np.nan, 1.0]), 1e-7, 0) is None


def test_nested_paths_and_dict_keys():
    assert "result[1]['w']" in mismatch((0, {"w": 1.0}), (0, {"w": 2.0}), 1e-7, 0)
    assert "missing keys ['w']" in mismatch({"w": 1}, {}, 1e-7, 0)


def test_student_keys_and_strings_are_quoted_bounded():
    key = "k" * 10**7
    message = mismatch({"w": 1.0}, {key: 1.0}, 1e-7, 0)
    assert len(message) < 300 and "[10000000 characters]" in message
    many = {f"extra{i}": 0 for i in range(1000)}
    message = mismatch({}, many, 1e-7, 0)
    assert len(message) < 300 and "(1000 in all)" in message
    message = mismatch("a", "b" * 10**7, 1e-7, 0)
    assert len(message) < 300 and "[10000000 characters]" in message


def test_student_type_names_and_devices_cannot_carry_escapes():
    message = mismatch(np.zeros(2), NotPlain("Evil\n\x1b[2KScore: 100"), 1e-7, 0)
    assert "\n" not in message and "\x1b" not in message
    tensor = TensorData(np.zeros(2), "float64", "cpu")
    message = mismatch(tensor, TensorData(np.zeros(2), "float64", "cpu\n\x1b[2K"), 1e-7, 0)
    assert "\n" not in message and "\x1b" not in message
