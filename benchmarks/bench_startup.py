"""Benchmark: CLI start-up, ``coverbt --help`` and ``coverbt universe show``.

Each command runs ``--runs`` times in a fresh interpreter (the same as the console script:
``python -c "from coverbt.cli import main; main()" ...``); the median, the fastest and the
slowest wall time are printed, beside a bare ``python -c pass`` for the interpreter's own
start. ``-X importtime`` on the same command shows where a slow start goes.

Usage::

    python benchmarks/bench_startup.py [--runs 11]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ENTRY = "from coverbt.cli import main; main()"
COMMANDS: dict[str, list[str]] = {
    "python -c pass": ["-c", "pass"],
    "coverbt --help": ["-c", ENTRY, "--help"],
    "coverbt universe show": ["-c", ENTRY, "universe", "show"],
}


def wall_times(args: list[str], runs: int) -> list[float]:
    """Wall seconds of ``runs`` fresh interpreters running ``python ARGS`` (from ROOT)."""
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(
            [sys.executable, *args],
            cwd=ROOT,
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        times.append(time.perf_counter() - start)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=11, help="runs per command (default 11)")
    runs = parser.parse_args().runs
    wall_times(COMMANDS["coverbt --help"][:], 1)  # warm the OS page cache and .pyc files
    print(f"{'command':<24} {'median':>8} {'min':>8} {'max':>8}   ({runs} runs)")
    for label, args in COMMANDS.items():
        times = wall_times(args, runs)
        print(
            f"{label:<24} {statistics.median(times):>7.3f}s {min(times):>7.3f}s {max(times):>7.3f}s"
        )


if __name__ == "__main__":
    main()
