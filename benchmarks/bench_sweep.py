"""Time a 1,000-point sweep over the report's 25 names x 1 year, in process and on Dask.

Usage: ``python benchmarks/bench_sweep.py [--points 1000] [--workers 2] [--skip-dask]``.

Sets up a temporary workspace (the repository's universe and strategies, a cache holding
``../shared/market-data``'s stock and index files), writes a sweep of
``coverage_invvol_monthly`` held 12 months (2024-06-24 .. 2025-06-24) over rebalance
frequency x weighting x cap x stop x capital, and runs it twice from scratch: in process and
on a LocalCluster of ``--workers`` processes. Prints both times, points per second, and
whether the two tables are identical.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from pathlib import Path

import pandas as pd
import yaml

from coverbt.data.store import import_path
from coverbt.sweep.evaluate import SweepContext
from coverbt.sweep.run import Backend, run_sweep
from coverbt.sweep.spec import load_sweep

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT.parent / "shared" / "market-data"
AXES: dict[str, list[object]] = {
    "act.rebalance": [None, "1M", "2M", "3M"],
    "weigh.method": ["equal", "inverse_vol"],
    "weigh.cap": [None, 0.06, 0.08, 0.10, 0.15],
    "exit.stop_loss": [None, -0.05, -0.10, -0.15, -0.20],
    "capital": [2_000_000, 5_000_000, 10_000_000, 20_000_000, 100_000_000],
    "costs": ["a_share_default", "no_costs"],
}


def grid(points: int) -> dict[str, list[object]]:
    """The first axes' values whose product reaches ``points`` (trimmed by ``sample``)."""
    out: dict[str, list[object]] = {"exit.horizon": ["12M"], "exit.default_horizon": ["12M"]}
    size = 1
    for key, values in AXES.items():
        if size >= points:
            break
        out[key] = values
        size *= len(values)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--points", type=int, default=1000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--skip-dask", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        ws = Path(tmp)
        shutil.copytree(ROOT / "universe", ws / "universe")
        shutil.copytree(ROOT / "strategies", ws / "strategies")
        for part in ("stock", "index"):
            import_path(ws / "data_cache", DATA / part)
        axes = grid(args.points)
        size = 1
        for values in axes.values():
            size *= len(values)
        spec_file = ws / "bench.yaml"
        spec = {"name": "bench", "strategy": "coverage_invvol_monthly", "grid": axes}
        if size > args.points:
            spec["sample"] = args.points
        spec_file.write_text(yaml.safe_dump(spec, allow_unicode=True), encoding="utf-8")
        sweep = load_sweep(spec_file)
        times: dict[str, float] = {}
        tables: dict[str, pd.DataFrame] = {}
        backends = [Backend()] + ([] if args.skip_dask else [Backend(workers=args.workers)])
        for backend in backends:
            strategy = ws / "strategies" / "coverage_invvol_monthly.yaml"
            ctx = SweepContext(ws / "data_cache", ws / "universe", strategy, spec_file)
            t0 = time.perf_counter()
            out = run_sweep(sweep, ctx, ws / "out" / backend.label.replace(" ", "_"))
            times[backend.label] = time.perf_counter() - t0
            tables[backend.label] = out.table
        n = len(next(iter(tables.values())))
        ok = int((next(iter(tables.values()))["status"] == "ok").sum())
        print(f"sweep: {n} points ({ok} ran), coverage_invvol_monthly x 12M, 25 names; axes: "
              + ", ".join(f"{k} ({len(v)})" for k, v in axes.items() if len(v) > 1))  # fmt: skip
        for label, seconds in times.items():
            print(f"  {label:32s}: {seconds:7.1f} s  ({n / seconds:6.1f} points/s)")
        if len(tables) == 2:
            a, b = tables.values()
            print(f"  identical tables: {a.equals(b)}")
            first, second = times.values()
            print(f"  ratio in process / dask: {first / second:.2f}x")
        best = next(iter(tables.values())).sort_values("total_return").tail(1)
        cols = [c for c in best.columns if c.startswith("param.")] + ["total_return"]
        print("  best point:", best[cols].to_dict("records")[0])


if __name__ == "__main__":
    main()
