"""Result frames from a hostile writer: bounded before anything is built."""

from __future__ import annotations

import os
import struct
import threading
import time

import numpy as np
import pytest

from grader import plain
from grader.process import channel
from grader.process.channel import Budget, Closed, FrameReader, write_frame

_WRITERS: list[threading.Thread] = []


@pytest.fixture
def pipe():
    read_fd, write_fd = os.pipe()
    yield read_fd, write_fd
    # The read end first: a writer still blocked gets EPIPE and ends. Only then may the write
    # end's number be reused, or a leftover writer would feed the next test's pipe.
    for fd in (read_fd,):
        try:
            os.close(fd)
        except OSError:
            pass
    while _WRITERS:
        _WRITERS.pop().join(10)
    try:
        os.close(write_fd)
    except OSError:
        pass


def send_raw(fd: int, data: bytes) -> threading.Thread:
    """Write ``data`` from a thread (the pipe holds only 64 KiB)."""

    def write():
        view = memoryview(data)
        try:
            while view:
                view = view[os.write(fd, view) :]
        except OSError:  # the reader closed its end
            pass

    thread = threading.Thread(target=write, daemon=True)
    thread.start()
    _WRITERS.append(thread)
    return thread


def frame(payload: bytes) -> bytes:
    return struct.pack(">I", len(payload)) + payload


def test_frames_round_trip_in_order(pipe):
    read_fd, write_fd = pipe
    reader = FrameReader(read_fd)
    for value in ({"kind": "case", "value": [1, 2.5]}, None, "x" * 100_000):
        thread = threading.Thread(target=write_frame, args=(write_fd, value))
        thread.start()
        assert reader.read(time.monotonic() + 5) == value
        thread.join()
    os.close(write_fd)
    with pytest.raises(Closed):
        reader.read(time.monotonic() + 5)


def test_several_frames_in_one_write_are_all_read(pipe):
    read_fd, write_fd = pipe
    reader = FrameReader(read_fd)
    send_raw(write_fd, b"".join(frame(plain.encode(i)) for i in range(50)))
    assert [reader.read(time.monotonic() + 5) for _ in range(50)] == list(range(50))


def test_an_oversized_frame_is_refused_from_its_header(pipe):
    read_fd, write_fd = pipe
    reader = FrameReader(read_fd)
    os.write(write_fd, struct.pack(">I", channel.MAX_FRAME + 1))  # no body follows
    with pytest.raises(Closed, match="at most 16 MiB"):
        reader.read(time.monotonic() + 5)


def test_the_budget_is_spent_across_frames_and_readers(pipe):
    read_fd, write_fd = pipe
    budget = Budget(100_000)
    reader = FrameReader(read_fd, budget=budget)
    send_raw(write_fd, b"".join(frame(plain.encode("x" * 30_000)) for _ in range(4)))
    for _ in range(3):
        reader.read(time.monotonic() + 5)
    with pytest.raises(Closed, match="sent more than 100000 bytes of results"):
        reader.read(time.monotonic() + 5)
    # A new reader on the same budget (a restarted process) starts where it ended.
    other_read, other_write = os.pipe()
    try:
        os.write(other_write, frame(plain.encode(1)))
        with pytest.raises(Closed, match="sent more than"):
            FrameReader(other_read, budget=budget).read(time.monotonic() + 5)
    finally:
        os.close(other_read)
        os.close(other_write)


def test_the_default_budget_is_64_mib(pipe):
    read_fd, write_fd = pipe
    reader = FrameReader(read_fd)
    chunk = frame(plain.encode(np.zeros(11 * 2**20, np.uint8)))  # 14.7 MiB of base64
    send_raw(write_fd, chunk * 5)
    for _ in range(4):
        assert reader.read(time.monotonic() + 30).shape == (11 * 2**20,)
    with pytest.raises(Closed, match="sent more than 64 MiB of results"):
        reader.read(time.monotonic() + 30)


def test_tiny_items_are_charged_to_the_budget(pipe):
    read_fd, write_fd = pipe
    payload = b'["l",[' + b'["n"],' * 99_999 + b'["n"]]]'
    reader = FrameReader(read_fd, budget=len(payload) + 100_000)  # bytes alone would fit
    send_raw(write_fd, frame(payload))
    with pytest.raises(Closed, match="sent more than"):
        reader.read(time.monotonic() + 5)


def test_too_many_items_are_refused_before_decoding(pipe, monkeypatch):
    read_fd, write_fd = pipe
    calls = []
    monkeypatch.setattr(channel.plain.json, "loads", lambda *a, **k: calls.append(1))
    reader = FrameReader(read_fd)
    send_raw(write_fd, frame(b'["l",[' + b'["n"],' * channel.MAX_ITEMS + b'["n"]]]'))
    with pytest.raises(Closed, match="too many items"):
        reader.read(time.monotonic() + 10)
    assert calls == []


def test_a_reader_never_buffers_more_than_one_frame(pipe):
    read_fd, write_fd = pipe
    reader = FrameReader(read_fd)
    send_raw(write_fd, frame(plain.encode([1.0] * 1000)) * 20)
    reader.read(time.monotonic() + 5)
    assert len(reader._buffer) == 0  # the next frames are still in the pipe


def cost(value) -> int:
    """What one frame of ``value`` costs a budget: its bytes plus ITEM_COST per JSON item."""
    payload = plain.encode(value)
    return len(payload) + channel.ITEM_COST * plain.scan(payload)


def test_budget_charges_up_to_its_limit_exactly():
    budget = Budget(100)
    budget.charge(60)
    budget.charge(40)  # exactly the limit is still allowed
    assert budget.used == 100
    with pytest.raises(Closed, match="^sent more than 100 bytes of results$"):
        budget.charge(1)
    with pytest.raises(Closed, match="^sent more than 2 MiB of results$"):
        Budget(2 * 2**20).charge(2 * 2**20 + 1)


@pytest.mark.parametrize("spare", [0, -1])
def test_a_frame_that_costs_exactly_the_budget_is_the_last_one(pipe, spare):
    read_fd, write_fd = pipe
    value = {"kind": "case", "value": [1.5, 2.5, "x" * 100]}
    reader = FrameReader(read_fd, budget=cost(value) + spare)
    send_raw(write_fd, frame(plain.encode(value)) + frame(plain.encode(None)))
    if spare < 0:
        with pytest.raises(Closed, match="sent more than"):
            reader.read(time.monotonic() + 5)
        return
    assert reader.read(time.monotonic() + 5) == value
    with pytest.raises(Closed, match="sent more than"):
        reader.read(time.monotonic() + 5)  # even a frame of 4 bytes is over


def test_a_frame_over_the_budget_is_refused_from_its_header(pipe):
    read_fd, write_fd = pipe
    reader = FrameReader(read_fd, budget=1000)
    os.write(write_fd, struct.pack(">I", 1001))  # its body never comes: the header alone is enough
    started = time.monotonic()
    with pytest.raises(Closed, match="sent more than 1000 bytes of results"):
        reader.read(time.monotonic() + 5)
    assert time.monotonic() - started < 1


def test_without_a_budget_only_the_frame_size_is_bounded(pipe):
    read_fd, write_fd = pipe
    reader = FrameReader(read_fd, budget=None, max_frame=2000)
    value = "y" * 1500
    send_raw(write_fd, frame(plain.encode(value)) * 30)  # 45 KB: over any budget of a few frames
    assert [reader.read(time.monotonic() + 5) for _ in range(30)] == [value] * 30


@pytest.mark.parametrize("extra", [0, 1])
def test_the_frame_size_limit_is_inclusive(pipe, extra):
    read_fd, write_fd = pipe
    payload = plain.encode("z" * 500)
    reader = FrameReader(read_fd, max_frame=len(payload) - extra)
    send_raw(write_fd, frame(payload))
    if extra:
        with pytest.raises(Closed, match=f"^sent a result of {len(payload)} bytes \\(at most {len(payload) - 1} bytes"):
            reader.read(time.monotonic() + 5)
    else:
        assert reader.read(time.monotonic() + 5) == "z" * 500


def test_nothing_arriving_is_a_timeout_at_the_deadline(pipe):
    read_fd, _ = pipe
    reader = FrameReader(read_fd)
    started = time.monotonic()
    with pytest.raises(channel.Timeout):
        reader.read(started + 0.3)
    took = time.monotonic() - started
    assert 0.3 <= took < 2
    started = time.monotonic()
    with pytest.raises(channel.Timeout):
        reader.read(started - 1)  # a deadline already past does not wait at all
    assert time.monotonic() - started < 0.1


@pytest.mark.parametrize("cut", [2, 4, 10])  # inside the header, right after it, inside the body
def test_a_partial_frame_times_out_and_is_completed_later(pipe, cut):
    read_fd, write_fd = pipe
    reader = FrameReader(read_fd)
    data = frame(plain.encode({"kind": "case", "value": "w" * 50}))
    os.write(write_fd, data[:cut])
    with pytest.raises(channel.Timeout):
        reader.read(time.monotonic() + 0.2)
    assert not reader.eof
    os.write(write_fd, data[cut:] + frame(plain.encode(7)))
    assert reader.read(time.monotonic() + 5) == {"kind": "case", "value": "w" * 50}
    assert reader.read(time.monotonic() + 5) == 7


@pytest.mark.parametrize("cut", [0, 3, 4, 10])
def test_a_writer_that_closes_mid_frame_is_closed_not_a_timeout(pipe, cut):
    read_fd, write_fd = pipe
    reader = FrameReader(read_fd)
    os.write(write_fd, frame(plain.encode("v" * 50))[:cut])
    os.close(write_fd)
    started = time.monotonic()
    with pytest.raises(Closed, match="^$"):
        reader.read(time.monotonic() + 5)
    assert reader.eof
    assert time.monotonic() - started < 1  # it does not wait for the deadline


@pytest.mark.parametrize(
    ("payload", "why"),
    [
        (b"not json", "sent malformed data"),
        (b'["q"]', "sent malformed data"),  # JSON, but no tag plain data uses
        ('["s","caf\u00e9"]'.encode(), "sent malformed data \\(not ASCII JSON\\)"),
    ],
)
def test_a_malformed_frame_is_closed_and_names_why(pipe, payload, why):
    read_fd, write_fd = pipe
    reader = FrameReader(read_fd)
    os.write(write_fd, frame(payload))
    with pytest.raises(Closed, match=f"^{why}"):
        reader.read(time.monotonic() + 5)


def test_a_custom_item_limit_is_inclusive(pipe):
    read_fd, write_fd = pipe
    small, large = plain.encode([1] * 5), plain.encode([1] * 6)
    limit = plain.scan(small)
    assert plain.scan(large) > limit
    reader = FrameReader(read_fd, max_items=limit)
    send_raw(write_fd, frame(small) + frame(large))
    assert reader.read(time.monotonic() + 5) == [1] * 5
    with pytest.raises(Closed, match=f"too many items \\(more than {limit}\\)"):
        reader.read(time.monotonic() + 5)
