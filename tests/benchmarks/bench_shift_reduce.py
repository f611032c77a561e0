"""Benchmark: batched shift-reduce against a Python loop over the batch.

Times the reference ``solutions.shift_reduce.batched_shift_reduce`` with a
``TreeLSTMReduce(size)`` against a loop that runs ``shift_reduce`` on one
sentence at a time, on random binary trees of about 20 words, under
``torch.no_grad()``. Prints one table row per device and batch size with the
median time of each and their ratio, and checks the catalog's promise: at
batch 64 on the CPU the batched machine is at least ``--require`` times
faster (exit status 1 if not).

This is a script, not a test (pytest does not collect ``bench_*.py``)::

    python tests/benchmarks/bench_shift_reduce.py
    python tests/benchmarks/bench_shift_reduce.py --batch-sizes 1 64 --repeats 3 --devices cpu

``--json PATH`` also writes the measurements as JSON, the data of the
speed-up figure in the documentation (``docs/_data/bench_shift_reduce.json``).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from solutions.shift_reduce import TreeLSTMReduce, batched_shift_reduce, shift_reduce  # noqa: E402


def random_transitions(rng: np.random.Generator, leaves: int) -> list[str]:
    """Transitions of a uniformly split random binary tree with ``leaves`` words."""
    if leaves == 1:
        return ["S"]
    left = int(rng.integers(1, leaves))
    return random_transitions(rng, left) + random_transitions(rng, leaves - left) + ["R"]


def packed_reduce(cell: TreeLSTMReduce):
    """``reduce`` on items ``[h | c]`` of width ``2 * size``, for both machines."""

    def reduce(left: torch.Tensor, right: torch.Tensor) -> torch.Tensor:
        h, c = cell(left.chunk(2, dim=1), right.chunk(2, dim=1))
        return torch.cat([h, c], dim=1)

    return reduce


def loop_over_batch(buffers, transitions, reduce) -> torch.Tensor:
    """The baseline: one sentence at a time, one reduce call per reduction."""
    finals = [shift_reduce(list(buffer.split(1)), ops, reduce) for buffer, ops in zip(buffers, transitions)]
    return torch.cat(finals)


def median_seconds(fn, repeats: int, device: torch.device, clock=time.perf_counter) -> float:
    fn()  # warm-up (allocator, kernels, lazy initialisation)
    times = []
    for _ in range(repeats):
        if device.type == "cuda":
            torch.cuda.synchronize(device)
        start = clock()
        fn()
        if device.type == "cuda":
            torch.cuda.synchronize(device)
        times.append(clock() - start)
    return statistics.median(times)


def bench(device: torch.device, batch: int, args, rng: np.random.Generator) -> tuple[float, float]:
    lengths = rng.integers(max(1, args.tokens - 5), args.tokens + 6, size=batch)
    transitions = [random_transitions(rng, int(n)) for n in lengths]
    width = 2 * args.size
    buffers = [torch.randn(int(n), width, device=device) for n in lengths]
    torch.manual_seed(0)
    reduce = packed_reduce(TreeLSTMReduce(args.size).to(device))
    with torch.no_grad():
        expected = loop_over_batch(buffers, transitions, reduce)
        got = batched_shift_reduce(buffers, transitions, reduce)
        if not torch.allclose(expected, got, rtol=1e-4, atol=1e-5):
            raise SystemExit(f"batched_shift_reduce disagrees with the loop on {device}, batch {batch}")
        clock = time.process_time if args.clock == "cpu" else time.perf_counter
        loop = median_seconds(lambda: loop_over_batch(buffers, transitions, reduce), args.repeats, device, clock)
        batched = median_seconds(
            lambda: batched_shift_reduce(buffers, transitions, reduce), args.repeats, device, clock
        )
    return loop, batched


def write_json(args, rows: list[dict]) -> None:
    """The measurements and the conditions they were taken in, for the docs' figure."""
    data = {
        "torch": torch.__version__,
        "python": platform.python_version(),
        "machine": platform.machine(),
        "processor": platform.processor() or platform.machine(),
        "cpu_count": os.cpu_count(),
        "threads": torch.get_num_threads(),
        "cuda_device": torch.cuda.get_device_name(0) if torch.cuda.is_available() else None,
        "size": args.size,
        "tokens": args.tokens,
        "repeats": args.repeats,
        "clock": args.clock,
        "date": time.strftime("%Y-%m-%d", time.gmtime()),
        "rows": rows,
    }
    args.json.write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--batch-sizes", type=int, nargs="+", default=[1, 8, 64, 256])
    parser.add_argument("--size", type=int, default=300, help="TreeLSTM size (items are 2 * size wide)")
    parser.add_argument("--tokens", type=int, default=20, help="mean sentence length (+-5)")
    parser.add_argument("--repeats", type=int, default=5, help="timed runs per measurement (median)")
    parser.add_argument("--devices", nargs="+", default=None, help="default: cpu, and cuda when available")
    parser.add_argument("--require", type=float, default=5.0, help="minimum speed-up at batch 64 on the CPU")
    parser.add_argument("--threads", type=int, default=None, help="CPU threads for torch (default: torch's)")
    parser.add_argument(
        "--clock",
        choices=("wall", "cpu"),
        default="wall",
        help="wall: elapsed time; cpu: this process's CPU time (steadier on a busy machine, "
        "meaningful with --threads 1 on the CPU only)",
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", type=Path, default=None, metavar="PATH", help="also write the rows as JSON to PATH")
    args = parser.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)

    devices = args.devices or ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])
    print(
        f"torch {torch.__version__}, {torch.get_num_threads()} CPU threads, size {args.size}, "
        f"~{args.tokens} tokens per sentence, median {args.clock} time of {args.repeats} runs"
    )
    print(f"{'device':<8}{'batch':>6}{'loop (ms)':>12}{'batched (ms)':>14}{'speed-up':>10}")
    speedups = {}
    rows = []
    for name in devices:
        device = torch.device(name)
        for batch in args.batch_sizes:
            rng = np.random.default_rng(args.seed + batch)
            loop, batched = bench(device, batch, args, rng)
            speedups[(device.type, batch)] = loop / batched
            rows.append(
                {
                    "device": name,
                    "batch": batch,
                    "loop_ms": loop * 1e3,
                    "batched_ms": batched * 1e3,
                    "speedup": loop / batched,
                }
            )
            print(f"{name:<8}{batch:>6}{loop * 1e3:>12.2f}{batched * 1e3:>14.2f}{loop / batched:>9.1f}x")
    if args.json is not None:
        write_json(args, rows)
    measured = speedups.get(("cpu", 64))
    if measured is None:
        return 0
    verdict = "ok" if measured >= args.require else "TOO SLOW"
    print(f"batch 64 on cpu: {measured:.1f}x faster than the loop (required {args.require:g}x): {verdict}")
    return 0 if measured >= args.require else 1


if __name__ == "__main__":
    sys.exit(main())
