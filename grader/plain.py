"""Plain data: the only thing that crosses from a student's process.

``to_plain`` turns what code returns (tensors, arrays, numpy scalars, nested
tuples) into a small vocabulary of plain values; ``encode``/``decode`` move
that vocabulary through bytes as tagged JSON. ``decode`` is strict: it runs no
code, accepts only known tags and dtypes, and bounds sizes and nesting, so a
hostile process can send wrong answers but nothing else.

The vocabulary: ``None``, ``bool``, ``int``, ``float``, ``str``, ``list``,
``tuple``, ``dict`` with ``str`` keys, ``numpy.ndarray`` (base class, numeric
or bool dtype) and :class:`TensorData` (a tensor's values with its dtype,
device and ``requires_grad`` flag).
"""

from __future__ import annotations

import base64
import json
import math
from dataclasses import dataclass
from typing import Any

import numpy as np

DTYPES = frozenset(
    "bool int8 int16 int32 int64 uint8 uint16 uint32 uint64 float16 float32 float64 complex64 complex128".split()
)
MAX_DEPTH = 32
MAX_ELEMENTS = 50_000_000
#: The most JSON items (containers and values) one :func:`decode` builds.
MAX_ITEMS = 1_000_000
#: The longest string value, and the longest dict key, in characters.
MAX_STRING = 1 << 20
MAX_KEY = 1 << 10


class PlainDataError(ValueError):
    """Data that is not in the plain vocabulary, or malformed bytes."""


@dataclass(frozen=True, eq=False)
class TensorData:
    """A tensor as plain data.

    Attributes:
        array: The values, as a numpy array (bfloat16 values widened to
            float32; ``dtype`` keeps the tensor's own dtype name).
        dtype: The torch dtype without its prefix, e.g. ``"float64"``.
        device: The device type, e.g. ``"cpu"`` or ``"cuda"``.
        requires_grad: Whether the tensor was part of an autograd graph.
    """

    array: np.ndarray
    dtype: str
    device: str
    requires_grad: bool = False

    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(self.array.shape)


class NotPlain:
    """Stands in for a value that could not be made plain (its type name)."""

    def __init__(self, type_name: str) -> None:
        self.type_name = type_name

    def __repr__(self) -> str:
        return f"<object of type {self.type_name}>"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, NotPlain) and other.type_name == self.type_name

    def __hash__(self) -> int:
        return hash(self.type_name)


def to_plain(value: Any, depth: int = 0) -> Any:
    """Convert a returned value into the plain vocabulary.

    Objects outside it become :class:`NotPlain` so that the comparison can
    say what type came back. Runs in the process that produced ``value``.
    """
    if depth > MAX_DEPTH:
        raise PlainDataError("value nested too deeply")
    if value is None or type(value) in (bool, int, str):
        return value
    if type(value) is float:
        return value
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return float(value)
    if isinstance(value, np.ndarray):
        return np.array(value, subok=False, copy=True)
    torch = _torch_if_loaded()
    if torch is not None and isinstance(value, torch.Tensor):
        return _tensor_to_plain(torch, value)
    if type(value) is tuple or (isinstance(value, tuple) and hasattr(value, "_fields")):
        return tuple(to_plain(v, depth + 1) for v in value)
    if type(value) is list:
        return [to_plain(v, depth + 1) for v in value]
    if type(value) is dict and all(type(k) is str for k in value):
        return {k: to_plain(v, depth + 1) for k, v in value.items()}
    return NotPlain(type(value).__name__)


def _torch_if_loaded():
    import sys

    return sys.modules.get("torch")


def _tensor_to_plain(torch, tensor) -> TensorData:
    t = torch.Tensor.detach(tensor)
    dtype = str(t.dtype).replace("torch.", "")
    device = t.device.type
    if t.dtype == torch.bfloat16:
        t = t.float()
    array = t.cpu().resolve_conj().resolve_neg().numpy().copy()
    return TensorData(array, dtype, device, bool(tensor.requires_grad))


# --- bytes ------------------------------------------------------------------


def encode(value: Any) -> bytes:
    """Encode plain data (as made by :func:`to_plain`) to bytes."""
    return json.dumps(_tag(value, 0), separators=(",", ":"), allow_nan=True).encode()


def _tag(value: Any, depth: int) -> Any:
    if depth > MAX_DEPTH:
        raise PlainDataError("value nested too deeply")
    if value is None:
        return ["n"]
    if type(value) is bool:
        return ["b", value]
    if type(value) is int:
        return ["i", str(value)]
    if type(value) is float:
        return ["f", _float_token(value)]
    if type(value) is str:
        return ["s", value]
    if type(value) is list:
        return ["l", [_tag(v, depth + 1) for v in value]]
    if type(value) is tuple:
        return ["t", [_tag(v, depth + 1) for v in value]]
    if type(value) is dict:
        return ["d", [[str(k), _tag(v, depth + 1)] for k, v in value.items()]]
    if type(value) is np.ndarray:
        return ["a", *_array_fields(value)]
    if type(value) is TensorData:
        return ["T", *_array_fields(value.array), value.dtype, value.device, value.requires_grad]
    if type(value) is NotPlain:
        return ["x", value.type_name]
    raise PlainDataError(f"cannot encode {type(value).__name__}")


def _float_token(x: float) -> Any:
    if math.isnan(x):
        return "nan"
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    return x


def _array_fields(array: np.ndarray) -> list:
    name = array.dtype.name
    if name not in DTYPES:
        raise PlainDataError(f"arrays of dtype {name} are not plain data")
    data = np.ascontiguousarray(array).tobytes()
    return [name, list(array.shape), base64.b64encode(data).decode("ascii")]


def scan(data: bytes, max_items: int = MAX_ITEMS) -> int:
    """Count the items ``json.loads`` could build from ``data``, without building any.

    Every ``[``, ``{`` and ``,`` counts, inside strings too: a cheap upper
    bound (a few passes in C, no copy) on the lists, dicts and values in
    ``data``. Legitimate strings (array payloads in base64, names, short
    messages) hold few of these characters. Run before decoding, so that a
    small frame of ``[[],[],...]`` cannot make the grader build millions of
    objects. Nesting needs no scan: ``json.loads`` stops at the interpreter's
    recursion limit, and :func:`decode` accepts only :data:`MAX_DEPTH` levels.

    Returns:
        The number of items.

    Raises:
        PlainDataError: when ``data`` is not ASCII (:func:`encode` writes
            ASCII only) or has more than ``max_items`` items.
    """
    if not data.isascii():
        raise PlainDataError("not ASCII JSON")
    items = data.count(b"[") + data.count(b"{") + data.count(b",")
    if items > max_items:
        raise PlainDataError(f"too many items (more than {max_items})")
    return items


def decode(data: bytes, max_items: int = MAX_ITEMS) -> Any:
    """Decode bytes from :func:`encode`, validating every field.

    The bytes are scanned (:func:`scan`) before any object is built.

    Raises:
        PlainDataError: for anything that is not well-formed plain data.
    """
    scan(data, max_items)
    try:
        tree = json.loads(data)
    except (ValueError, RecursionError) as exc:
        raise PlainDataError(f"not valid JSON: {str(exc)[:200]}") from None
    try:
        return _untag(tree, 0)
    except PlainDataError:
        raise
    except Exception as exc:  # whatever a crafted value makes the builders raise: still only malformed data
        raise PlainDataError(f"malformed value ({type(exc).__name__})") from None


def _untag(node: Any, depth: int) -> Any:
    if depth > MAX_DEPTH:
        raise PlainDataError("value nested too deeply")
    if type(node) is not list or not node or type(node[0]) is not str:
        raise PlainDataError("malformed value")
    tag, args = node[0], node[1:]
    if tag == "n" and not args:
        return None
    if tag == "b" and len(args) == 1 and type(args[0]) is bool:
        return args[0]
    if tag == "i" and len(args) == 1 and type(args[0]) is str and len(args[0]) < 400:
        try:
            return int(args[0])
        except ValueError:
            raise PlainDataError("malformed integer") from None
    if tag == "f" and len(args) == 1:
        return _untag_float(args[0])
    if tag == "s" and len(args) == 1 and type(args[0]) is str:
        if len(args[0]) > MAX_STRING:
            raise PlainDataError(f"string longer than {MAX_STRING} characters")
        return args[0]
    if tag in ("l", "t") and len(args) == 1 and type(args[0]) is list:
        items = [_untag(v, depth + 1) for v in args[0]]
        return items if tag == "l" else tuple(items)
    if tag == "d" and len(args) == 1 and type(args[0]) is list:
        out = {}
        for pair in args[0]:
            if type(pair) is not list or len(pair) != 2 or type(pair[0]) is not str:
                raise PlainDataError("malformed dict entry")
            if len(pair[0]) > MAX_KEY:
                raise PlainDataError(f"dict key longer than {MAX_KEY} characters")
            out[pair[0]] = _untag(pair[1], depth + 1)
        return out
    if tag == "a" and len(args) == 3:
        return _untag_array(*args)
    if tag == "T" and len(args) == 6:
        dtype, device, requires_grad = args[3:]
        if type(dtype) is not str or type(device) is not str or type(requires_grad) is not bool:
            raise PlainDataError("malformed tensor")
        if len(dtype) > 32 or len(device) > 32:
            raise PlainDataError("malformed tensor")
        return TensorData(_untag_array(*args[:3]), dtype, device, requires_grad)
    if tag == "x" and len(args) == 1 and type(args[0]) is str and len(args[0]) < 200:
        return NotPlain(args[0])
    raise PlainDataError(f"unknown or malformed tag {tag!r}")


def _untag_float(token: Any) -> float:
    if type(token) is float or (type(token) is int and abs(token) <= 2**1023):
        return float(token)
    if token in ("nan", "inf", "-inf"):
        return float(token)
    raise PlainDataError("malformed float")


def _untag_array(dtype: Any, shape: Any, payload: Any) -> np.ndarray:
    if type(dtype) is not str or dtype not in DTYPES:
        raise PlainDataError(f"array dtype {dtype!r} is not allowed")
    if (
        type(shape) is not list
        or len(shape) > MAX_DEPTH
        or not all(type(n) is int and 0 <= n <= MAX_ELEMENTS for n in shape)
    ):
        raise PlainDataError("malformed array shape")
    if type(payload) is not str:
        raise PlainDataError("malformed array payload")
    count = math.prod(shape)
    # An empty array's other dimensions must be bounded too: (0, 5e7, 5e7) holds nothing but cannot be built.
    if count > MAX_ELEMENTS or math.prod(n for n in shape if n) > MAX_ELEMENTS:
        raise PlainDataError("array too large")
    try:
        raw = base64.b64decode(payload, validate=True)
    except ValueError:
        raise PlainDataError("malformed array payload") from None
    np_dtype = np.dtype(dtype)
    if len(raw) != count * np_dtype.itemsize:
        raise PlainDataError("array payload does not match its shape")
    return np.frombuffer(raw, dtype=np_dtype).reshape(shape).copy()
