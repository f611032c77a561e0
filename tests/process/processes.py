"""Finding a zygote's live children from the outside, for the process tests."""

from __future__ import annotations

from pathlib import Path


def forked_from(zygote, label: str) -> list[int]:
    """Live processes forked from ``zygote`` (they share its command line, with its ``label``)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and int(entry.name) != zygote.pid:
            try:
                command = (entry / "cmdline").read_bytes()
            except OSError:
                continue
            if label.encode() in command.split(b"\0"):
                found.append(int(entry.name))
    return found
