"""Length-prefixed frames of plain data over a pipe, read with deadlines.

The writing side (a student's process) may be hostile: the reader bounds the
size of every frame, never blocks past its deadline, and reports malformed
input instead of raising.
"""

from __future__ import annotations

import os
import select
import struct
import time
from typing import Any

from grader import plain

MAX_FRAME = 256 * 2**20
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


class FrameReader:
    """Reads frames from a non-blocking file descriptor."""

    def __init__(self, fd: int) -> None:
        self.fd = fd
        os.set_blocking(fd, False)
        self._buffer = bytearray()
        self._eof = False

    @property
    def eof(self) -> bool:
        """Whether the writer has closed its end."""
        return self._eof

    def read(self, deadline: float) -> Any:
        """Return the next frame's value.

        Raises:
            Timeout: when ``time.monotonic()`` passes ``deadline`` first.
            Closed: when the pipe closed, or the frame was malformed (the
                exception's message says which).
        """
        while True:
            frame = self._take()
            if frame is not None:
                try:
                    return plain.decode(frame)
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
        if len(self._buffer) < _HEADER.size:
            return None
        (size,) = _HEADER.unpack_from(self._buffer)
        if size > MAX_FRAME:
            raise Closed(f"sent a frame of {size} bytes")
        if len(self._buffer) < _HEADER.size + size:
            return None
        frame = bytes(self._buffer[_HEADER.size : _HEADER.size + size])
        del self._buffer[: _HEADER.size + size]
        return frame

    def _fill(self) -> None:
        try:
            chunk = os.read(self.fd, 1 << 20)
        except BlockingIOError:
            return
        if not chunk:
            self._eof = True
        elif len(self._buffer) + len(chunk) > MAX_FRAME + _HEADER.size:
            raise Closed("sent more data than a frame may hold")
        else:
            self._buffer += chunk
