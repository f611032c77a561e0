"""Cap the total memory and the number of processes of one sandbox (cgroups).

An address-space limit binds each process separately, so a submission that
forks could still take all the machine's memory or process slots. Where the
grader may create control groups (as root, or with a delegated cgroup), each
exercise's sandbox joins a fresh group with a process count and a memory
limit that cover it and everything it starts. Elsewhere nothing is created
and the report says "process count capped" is not active.

Both layouts are handled: cgroup v1 (one hierarchy per controller, e.g.
``/sys/fs/cgroup/pids``) and cgroup v2 (one unified hierarchy, used only
where the ``pids`` and ``memory`` controllers can be enabled below the
grader's own group).
"""

from __future__ import annotations

import itertools
import os
import re
import time
from pathlib import Path

from grader import policy

ROOT = Path("/sys/fs/cgroup")
_SERIAL = itertools.count()  # thread-safe enough: next() on a count is atomic in CPython
_NAME = re.compile(r"grader-(\d+)-")
_swept = False  # a process sweeps once, before its first group


def _own_groups() -> dict[str, str]:
    """Controller (or ``""`` for v2) -> this process's group path."""
    groups = {}
    try:
        for line in Path("/proc/self/cgroup").read_text().splitlines():
            _, controllers, path = line.split(":", 2)
            for controller in controllers.split(",") if controllers else [""]:
                groups[controller] = path
    except (OSError, ValueError):
        pass
    return groups


def _settings(memory_bytes: int, pids: int) -> list[tuple[Path, dict[str, str]]]:
    """Where to make groups and what to write there, for this machine's layout."""
    groups = _own_groups()
    v1 = (
        [
            (ROOT / "pids" / groups["pids"].lstrip("/"), {"pids.max": str(pids)}),
            (ROOT / "memory" / groups["memory"].lstrip("/"), {"memory.limit_in_bytes": str(memory_bytes)}),
        ]
        if "pids" in groups and "memory" in groups
        else []
    )
    if v1 and all(base.is_dir() for base, _ in v1):
        return v1
    if "" in groups and (ROOT / "cgroup.controllers").is_file():
        base = ROOT / groups[""].lstrip("/")
        try:
            enabled = (base / "cgroup.subtree_control").read_text().split()
            if not {"pids", "memory"} <= set(enabled):
                (base / "cgroup.subtree_control").write_text("+pids +memory")
        except OSError:
            return []
        return [(base, {"pids.max": str(pids), "memory.max": str(memory_bytes)})]
    return []


def create(tag: str, memory_bytes: int, pids: int = policy.PROCESS_CAP) -> tuple[str, ...]:
    """Make the groups for one sandbox; ``()`` where that is not possible.

    Args:
        tag: Distinguishes this sandbox's groups (the exercise's name).
        memory_bytes: Memory the sandbox's processes may use in total.
        pids: How many processes and threads it may have at once.
    """
    global _swept
    if not ROOT.is_dir():
        return ()
    made: list[str] = []
    try:
        settings = _settings(memory_bytes, pids)
        if not _swept:
            _swept = True
            sweep([base for base, _ in settings])
        for base, values in settings:
            folder = base / f"grader-{os.getpid()}-{tag}-{next(_SERIAL)}"
            folder.mkdir()  # never shared: two sandboxes of one exercise (batch lanes) get two groups
            made.append(str(folder))
            for name, value in values.items():
                (folder / name).write_text(value)
    except OSError:
        remove(tuple(made))
        return ()
    return tuple(made)


def join(folders: tuple[str, ...]) -> bool:
    """Move the calling process into ``folders`` (its children follow)."""
    try:
        for folder in folders:
            Path(folder, "cgroup.procs").write_text(str(os.getpid()))
    except OSError:
        return False
    return bool(folders)


def remove(folders: tuple[str, ...], wait: float = 2.0) -> None:
    """Delete the groups once their processes are gone (retrying briefly)."""
    deadline = time.monotonic() + wait
    for folder in folders:
        while True:
            try:
                os.rmdir(folder)
                break
            except FileNotFoundError:
                break
            except OSError:
                if time.monotonic() > deadline:
                    break
                time.sleep(0.01)


def sweep(bases) -> int:
    """Remove the empty groups of graders that are gone; how many were removed.

    A grader killed with SIGKILL cannot remove its groups. The next grader on
    the machine removes those whose creator (the process id in the name) no
    longer exists; a group that still holds a process is left alone (the
    kernel refuses to remove it), as is every group of a live grader.
    """
    removed = 0
    for base in bases:
        try:
            names = os.listdir(base)
        except OSError:
            continue
        for name in names:
            match = _NAME.match(name)
            if match is None or _alive(int(match.group(1))):
                continue
            try:
                os.rmdir(os.path.join(base, name))
                removed += 1
            except OSError:
                pass
    return removed


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # there, someone else's
        pass
    return True
