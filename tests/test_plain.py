"""The plain-data boundary: round trips, and strict rejection of anything else."""

import numpy as np
import pytest
import torch

from grader.plain import MAX_KEY, MAX_STRING, NotPlain, PlainDataError, TensorData, decode, encode, scan, to_plain


def roundtrip(value):
    return decode(encode(to_plain(value)))


def test_scalars_and_containers_round_trip():
    value = {"a": [1, 2.5, None, True, "s"], "b": (3, -0.0), "c": float("inf"), "n": float("nan")}
    back = roundtrip(value)
    assert back["a"] == [1, 2.5, None, True, "s"]
    assert back["b"] == (3, -0.0) and isinstance(back["b"], tuple)
    assert back["c"] == float("inf") and np.isnan(back["n"])


def test_numpy_scalars_become_python_numbers():
    assert type(roundtrip(np.float64(1.5))) is float
    assert type(roundtrip(np.int64(3))) is int
    assert type(roundtrip(np.bool_(True))) is bool


@pytest.mark.parametrize("dtype", ["float64", "float32", "int64", "bool", "uint8"])
def test_arrays_keep_dtype_and_shape(dtype):
    array = (np.arange(6).reshape(2, 3) % 2).astype(dtype)
    back = roundtrip(array)
    assert type(back) is np.ndarray and back.dtype == array.dtype and back.shape == (2, 3)
    assert np.array_equal(back, array)


def test_tensors_keep_dtype_device_and_grad_flag():
    t = torch.arange(4, dtype=torch.float64).reshape(2, 2).requires_grad_()
    back = roundtrip(t * 2)
    assert isinstance(back, TensorData)
    assert back.dtype == "float64" and back.device == "cpu" and back.requires_grad
    assert np.array_equal(back.array, [[0, 2], [4, 6]])


def test_bfloat16_tensors_are_widened_but_named():
    back = roundtrip(torch.ones(2, dtype=torch.bfloat16))
    assert back.dtype == "bfloat16" and back.array.dtype == np.float32


def test_subclasses_lose_their_behaviour():
    class Liar(float):
        def __eq__(self, other):
            return True

    class LyingArray(np.ndarray):
        pass

    assert type(roundtrip(Liar(1.0))) is float
    assert type(roundtrip(np.zeros(2).view(LyingArray))) is np.ndarray


def test_unknown_objects_become_not_plain():
    class Thing:
        pass

    assert roundtrip(Thing()) == NotPlain("Thing")
    assert roundtrip({1: 2}) == NotPlain("dict")


@pytest.mark.parametrize(
    "data",
    [
        b"not json",
        b'["z", 1]',
        b'["a", "object", [1], "AAAA"]',
        b'["a", "float64", [2], "AAAA"]',
        b'["a", "float64", [-1], ""]',
        b'["i", "1e5"]',
        b'["d", [[1, ["n"]]]]',
        b'["T", "float64", [0], "", "float64", "cpu", "yes"]',
        b"[" * 5000 + b"]" * 5000,
    ],
)
def test_malformed_data_is_rejected(data):
    with pytest.raises(PlainDataError):
        decode(data)


def test_scan_counts_items_without_decoding():
    assert scan(encode(to_plain([1, 2, 3]))) == 11  # '["l",[["i","1"],["i","2"],["i","3"]]]': 5 [ and 6 ,
    assert scan(encode("[,{")) == 5  # an upper bound: characters inside strings count too
    assert scan(encode(np.zeros((100, 100)))) < 10  # array payloads are base64: no items


@pytest.mark.parametrize(
    "data, why",
    [
        (b'["l",[' + b'["n"],' * 300 + b'["n"]]]', "too many items"),
        (b'{"a":' * 600 + b"1" + b"}" * 600, "too many items"),
        (b'["s","\xc3\xa9"]', "not ASCII"),
    ],
)
def test_scan_refuses_before_building(data, why, monkeypatch):
    import json

    monkeypatch.setattr(json, "loads", lambda *a, **k: pytest.fail("decoded"))
    with pytest.raises(PlainDataError, match=why):
        decode(data, max_items=500)


def test_deep_nesting_is_refused():
    for depth in (40, 400, 100_000):
        data = b'["l",[' * depth + b'["n"]' + b"]]" * depth
        with pytest.raises(PlainDataError, match="nested too deeply|not valid JSON"):
            decode(data, max_items=10**6)


def test_long_strings_and_keys_are_refused():
    with pytest.raises(PlainDataError, match="string longer"):
        decode(encode("x" * (MAX_STRING + 1)))
    assert len(decode(encode("x" * MAX_STRING))) == MAX_STRING
    with pytest.raises(PlainDataError, match="dict key longer"):
        decode(encode({"k" * (MAX_KEY + 1): 1}))
    assert decode(encode({"k" * MAX_KEY: 1})) == {"k" * MAX_KEY: 1}


def test_decoding_mutated_frames_raises_nothing_but_plain_data_errors():
    """Whatever bytes arrive, the decoder either returns plain data or raises PlainDataError."""
    import json
    import random

    from grader.plain import PlainDataError, decode, encode

    rng = random.Random(7)
    seeds = [
        encode({"a": [1, 2.5, None, True, "x"], "b": (np.arange(6.0).reshape(2, 3), -3)}),
        encode([np.zeros((0, 4)), np.ones(3, dtype=np.int64), float("nan"), 10**30]),
    ]
    tokens = [b"1e999", b"-1e999", b"9" * 400, b"[]", b"{}", b'"f"', b'"a"', b"0", b"5e7", b'"float64"', b"null"]
    crafted = [
        json.dumps(["f", int("9" * 400)]).encode(),
        json.dumps(["a", "float64", [0, 50000000, 50000000, 50000000, 50000000], ""]).encode(),
    ]
    for data in crafted:
        with pytest.raises(PlainDataError):
            decode(data)
    for _ in range(3000):
        data = bytearray(rng.choice(seeds))
        for _ in range(rng.randint(1, 4)):
            at = rng.randrange(len(data))
            if rng.random() < 0.5:
                data[at : at + rng.randint(1, 6)] = rng.choice(tokens)
            else:
                data[at] = rng.randrange(32, 127)
        try:
            decode(bytes(data))
        except PlainDataError:
            pass
