"""Time one sandbox start: fork, ``enter``, fork, ``confine_student``, exit.

Compares the allow-list view with the older deny-list and with no
namespaces at all, from a process that has imported torch (as the zygote
has). Prints the median of ``--runs`` starts for each, and the time the
view's assembly itself takes inside ``enter``.

    python tests/benchmarks/bench_sandbox.py --runs 50
"""

from __future__ import annotations

import argparse
import os
import statistics
import struct
import time
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent


def start_once(plan, sandbox) -> tuple[float, float]:
    """Seconds for one sandbox start, and seconds ``enter`` took inside it."""
    read_fd, write_fd = os.pipe()
    started = time.perf_counter()
    pid = os.fork()
    if pid == 0:
        try:
            t0 = time.perf_counter()
            active, pid_namespace = sandbox.enter(plan)
            entered = time.perf_counter() - t0
            inner = os.fork()
            if inner == 0:
                sandbox.confine_student(plan, active, pid_namespace)
                os.write(write_fd, struct.pack("d", entered))
                os._exit(0)
            os.waitpid(inner, 0)
        finally:
            os._exit(0)
    os.close(write_fd)
    data = os.read(read_fd, 8)
    os.close(read_fd)
    os.waitpid(pid, 0)
    return time.perf_counter() - started, struct.unpack("d", data)[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args()
    import torch

    torch.set_num_threads(1)
    from grader.process import sandbox, view

    hide = (str(ROOT / "solutions"), str(ROOT / "tests/plugins/toy_solutions"))
    deny = sandbox.Plan(hide=hide)
    plans = {
        "allow-list view": replace(deny, view=view.view_paths(["grader", "tests.plugins.toy"])),
        "view, torch hidden": replace(
            deny, view=view.view_paths(["grader", "tests.plugins.toy"]), hide=hide + view.torch_paths()
        ),
        "deny-list": deny,
    }
    for name, plan in plans.items():
        times = [start_once(plan, sandbox) for _ in range(args.runs)]
        total = statistics.median(t for t, _ in times) * 1000
        enter = statistics.median(e for _, e in times) * 1000
        print(f"{name:20s} start {total:6.1f} ms   enter {enter:5.1f} ms   (median of {args.runs})")
    os.environ["GRADER_SANDBOX"] = "off"
    times = [start_once(deny, sandbox) for _ in range(args.runs)]
    print(f"{'no namespaces':20s} start {statistics.median(t for t, _ in times) * 1000:6.1f} ms")


if __name__ == "__main__":
    main()
