"""Length-prefixed frames of plain data over a pipe, read with deadlines.

The writing side (a student's process) may be hostile: the reader bounds the
size of every frame, the items in it and the bytes a writer sends in all,
counts items before decoding anything, never blocks past its deadline, and
reports malformed or oversized input as :class:`Closed` instead of raising
anything else.
"""

from __future__ import annotations

import os
import select
import struct
import time
from typing import Any

from grader import plain

#: The largest frame a reader accepts by default. A student's frame carries one
#: case's result: the largest the built-in exercises send is about 21 KB (the
#: reference's frame, every case of an exercise at once, about 110 KB).
MAX_FRAME = 16 * 2**20
#: Bytes of results one writer may send in all (see :class:`Budget`).
BUDGET = 64 * 2**20
#: The most JSON items one frame may hold (the largest student frame has about
#: 800, the largest reference frame about 11 000).
MAX_ITEMS = 250_000
#: What each JSON item costs on top of its bytes: decoded, an item takes
#: tens of bytes of memory, so tiny items must not be nearly free.
ITEM_COST = 16
_HEADER = struct.Struct(">I")


def write_frame(fd: int, value: Any) -> None:
    """Encode plain data and write it as one frame (blocking)."""
    payload = plain.encode(value)
    data = _HEADER.pack(len(payload)) + payload
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]


class Timeout(Exception):
    """No complete frame arrived before the deadline."""


class Closed(Exception):
    """The writer closed the pipe (or sent something malformed)."""


class Budget:
    """How many bytes of results a writer may still send.

    Every frame costs its length plus :data:`ITEM_COST` per JSON item in it.
    Share one budget among the readers of all processes that run one
    exercise, so that restarting a process does not refill it.
    """

    def __init__(self, limit: int = BUDGET) -> None:
        self.limit = limit
        self.used = 0

    def charge(self, cost: int) -> None:
        """Spend ``cost`` bytes.

        Raises:
            Closed: when that goes past the limit.
        """
        self.used += cost
        if self.used > self.limit:
            raise Closed(f"sent more than {_mib(self.limit)} of results")


def _mib(n: int) -> str:
    return f"{n >> 20} MiB" if n >= 1 << 20 else f"{n} bytes"


class FrameReader:
    """Reads frames from a non-blocking file descriptor, within bounds.

    Args:
        fd: The read end of the pipe.
        max_frame: The largest frame accepted, in bytes.
        budget: What the writer may send in all: a :class:`Budget` (shared),
            a number of bytes (this reader's own budget) or ``None`` (no
            limit but the per-frame one: for trusted writers only).
        max_items: The most JSON items one frame may hold
            (see :func:`grader.plain.scan`).

    A frame's size is checked against ``max_frame`` and the budget as soon as
    its header arrives, before its body is read; its items are counted and
    charged before it is decoded. No more than one frame is ever buffered.
    """

    def __init__(
        self,
        fd: int,
        *,
        max_frame: int = MAX_FRAME,
        budget: Budget | int | None = BUDGET,
        max_items: int = MAX_ITEMS,
    ) -> None:
        self.fd = fd
        os.set_blocking(fd, False)
        self.max_frame = max_frame
        self.budget = Budget(budget) if isinstance(budget, int) else budget
        self.max_items = max_items
        self._buffer = bytearray()
        self._size: int | None = None
        self._eof = False

    @property
    def eof(self) -> bool:
        """Whether the writer has closed its end."""
        return self._eof

    def read(self, deadline: float) -> Any:
        """Return the next frame's value.

        Raises:
            Timeout: when ``time.monotonic()`` passes ``deadline`` first.
            Closed: when the pipe closed, or the frame was malformed or over
                a bound (the exception's message says which).
        """
        while True:
            frame = self._take()
            if frame is not None:
                try:
                    items = plain.scan(frame, self.max_items)
                    if self.budget is not None:
                        self.budget.charge(ITEM_COST * items)
                    return plain.decode(frame, self.max_items)
                except plain.PlainDataError as exc:
                    raise Closed(f"sent malformed data ({exc})") from None
            if self._eof:
                raise Closed("")
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise Timeout()
            ready, _, _ = select.select([self.fd], [], [], remaining)
            if ready:
                self._fill()

    def _take(self) -> bytes | None:
        if self._size is None:
            if len(self._buffer) < _HEADER.size:
                return None
            (size,) = _HEADER.unpack_from(self._buffer)
            if size > self.max_frame:
                raise Closed(f"sent a result of {size} bytes (at most {_mib(self.max_frame)} are accepted)")
            if self.budget is not None:
                self.budget.charge(size)
            del self._buffer[: _HEADER.size]
            self._size = size
        if len(self._buffer) < self._size:
            return None
        frame = bytes(self._buffer)
        self._buffer.clear()
        self._size = None
        return frame

    def _fill(self) -> None:
        wanted = _HEADER.size if self._size is None else self._size
        try:
            chunk = os.read(self.fd, min(1 << 20, max(1, wanted - len(self._buffer))))
        except BlockingIOError:
            return
        if not chunk:
            self._eof = True
        else:
            self._buffer += chunk
