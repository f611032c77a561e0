"""Compare an expected plain value with what came back, and say how they differ.

Runs only in the grader's own process, on plain data (see ``grader.plain``):
nothing here can be monkeypatched by a submission. The comparison is strict
about kinds (a float is not an array, an array is not a tensor), shapes,
dtypes and devices, and tolerant only about floating-point rounding, within
``rtol``/``atol``. Lists and tuples are interchangeable: both are sequences.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from grader.plain import NotPlain, TensorData
from grader.text import bound, quote

_KEYS_SHOWN = 5


def describe(value: Any) -> str:
    """A short description of a plain value's kind, for messages."""
    if isinstance(value, TensorData):
        return f"{bound(value.dtype, 32)} tensor of shape {_shape(value.shape)} on {bound(value.device, 32)}"
    if isinstance(value, np.ndarray):
        return f"{value.dtype} array of shape {_shape(value.shape)}"
    if isinstance(value, NotPlain):
        return f"an object of type {bound(value.type_name, 80)}"
    if isinstance(value, (list, tuple)):
        return f"a {type(value).__name__} of length {len(value)}"
    if isinstance(value, dict):
        return "a dict"
    if value is None:
        return "None"
    return f"{type(value).__name__} {_fmt(value)}"


def _shape(shape: tuple[int, ...]) -> str:
    return "(" + ", ".join(str(n) for n in shape) + ("," if len(shape) == 1 else "") + ")"


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.10g}"
    return quote(value, 80)


def _keys(keys: list) -> str:
    shown = ", ".join(quote(k, 100) for k in keys[:_KEYS_SHOWN])
    more = f", ...] ({len(keys)} in all)" if len(keys) > _KEYS_SHOWN else "]"
    return "[" + shown + more


def mismatch(expected: Any, got: Any, rtol: float, atol: float, path: str = "result") -> str | None:
    """Return ``None`` when ``got`` matches ``expected``, else a message.

    Args:
        expected: Plain value computed by the reference or an oracle.
        got: Plain value from the student's process.
        rtol: Relative tolerance for floating-point values.
        atol: Absolute tolerance for floating-point values.
        path: How to name the value in the message.
    """
    if isinstance(expected, TensorData):
        if not isinstance(got, TensorData):
            return f"{path}: expected a tensor, got {describe(got)}"
        for what in ("device", "dtype"):
            if getattr(got, what) != getattr(expected, what):
                return (
                    f"{path}: expected a tensor with {what} {getattr(expected, what)}, "
                    f"got {bound(getattr(got, what), 32)}"
                )
        return _arrays(expected.array, got.array, rtol, atol, path)
    if isinstance(expected, np.ndarray):
        if isinstance(got, TensorData):
            return f"{path}: expected a numpy array, got a torch tensor (return a numpy.ndarray)"
        if not isinstance(got, np.ndarray):
            return f"{path}: expected {describe(expected)}, got {describe(got)}"
        if got.dtype != expected.dtype:
            return f"{path}: expected dtype {expected.dtype}, got {got.dtype}"
        return _arrays(expected, got, rtol, atol, path)
    if isinstance(expected, (list, tuple)):
        if not isinstance(got, (list, tuple)):
            return f"{path}: expected {describe(expected)}, got {describe(got)}"
        if len(got) != len(expected):
            return f"{path}: expected {len(expected)} items, got {len(got)}"
        for i, (e, g) in enumerate(zip(expected, got)):
            message = mismatch(e, g, rtol, atol, f"{path}[{i}]")
            if message:
                return message
        return None
    if isinstance(expected, dict):
        if not isinstance(got, dict):
            return f"{path}: expected a dict, got {describe(got)}"
        if sorted(got) != sorted(expected):
            missing = sorted(set(expected) - set(got))
            extra = sorted(set(got) - set(expected))
            parts = [
                f"missing keys {_keys(missing)}" if missing else "",
                f"unexpected keys {_keys(extra)}" if extra else "",
            ]
            return f"{path}: " + ", ".join(p for p in parts if p)
        for key in expected:
            message = mismatch(expected[key], got[key], rtol, atol, f"{path}[{quote(key, 100)}]")
            if message:
                return message
        return None
    if isinstance(expected, float):
        if type(got) is not float:
            return f"{path}: expected a float, got {describe(got)}"
        return _arrays(np.array(expected), np.array(got), rtol, atol, path)
    if type(got) is not type(expected):
        return f"{path}: expected {describe(expected)}, got {describe(got)}"
    if got != expected:
        return f"{path}: expected {_fmt(expected)}, got {_fmt(got)}"
    return None


def _arrays(expected: np.ndarray, got: np.ndarray, rtol: float, atol: float, path: str) -> str | None:
    if got.shape != expected.shape:
        return f"{path}: expected shape {_shape(expected.shape)}, got {_shape(got.shape)}"
    if expected.dtype.kind in "biu":
        bad = expected != got
    else:
        e = expected.astype(np.complex128 if expected.dtype.kind == "c" else np.float64)
        g = got.astype(e.dtype)
        with np.errstate(invalid="ignore", over="ignore"):
            close = np.isclose(g, e, rtol=rtol, atol=atol, equal_nan=True)
        bad = ~close
    if not bad.any():
        return None
    count = int(bad.sum())
    index = tuple(int(i) for i in np.argwhere(bad)[0]) if bad.ndim else ()
    exp_v, got_v = expected[index], got[index]
    where = f"{path}[{', '.join(map(str, index))}]" if index else path
    head = (
        f"{where}: expected {_fmt(exp_v.item())}, got {_fmt(got_v.item())}"
        if expected.ndim
        else f"{path}: expected {_fmt(exp_v.item())}, got {_fmt(got_v.item())}"
    )
    if expected.dtype.kind in "biu":
        tail = f" ({count} of {expected.size} elements differ)" if expected.ndim else ""
        return head + tail
    with np.errstate(invalid="ignore", over="ignore"):
        err = np.abs(got.astype(np.float64) - expected.astype(np.float64))
        finite = np.isfinite(err)
        max_err = float(err[finite].max()) if finite.any() else float("nan")
    parts = [f"tolerance rtol={rtol:g}, atol={atol:g}"]
    if expected.ndim:
        parts.insert(0, f"{count} of {expected.size} elements differ")
    if not np.isfinite(got).all():
        parts.append("the result has non-finite values (nan or inf)")
    elif finite.any():
        parts.append(f"largest absolute error {max_err:.3g}")
    return head + " (" + "; ".join(parts) + ")"
