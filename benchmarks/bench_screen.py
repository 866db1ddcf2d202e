"""Benchmark: a screen over the 3,020-stock Tushare cross-section, read from the cache.

Prints the time of the vectorised screen (cache read + factors + conditions + rank), its
rows/s, and the ratio against a naive per-stock pandas loop computing the same factors.
Both must give the same factor values and the same top 30 (checked here, not assumed).

Two timings: *cold* is the first screen in a fresh Python process (a child process started
here: nothing decoded, no segment checksummed yet; what a cron run pays, printed beside
that process's time to import coverbt), *warm* the best of ``--repeat`` further runs in
this process, each on a freshly opened store (the OS page cache is warm in both).

Usage::

    python benchmarks/bench_screen.py [--cache DIR] [--as-of 2025-06-30]

Without ``--cache`` the cross-section, the indexes and the code list are imported into a
temporary cache first (about a minute; not part of the timings).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from coverbt.data.provider import CSI300
from coverbt.data.schema import SeriesKind
from coverbt.data.store import import_path, open_store
from coverbt.data.trading_calendar import periods_per_year
from coverbt.screens.factors import STALE_AFTER_SESSIONS
from coverbt.screens.panel import AMOUNT_RATIO_BOUNDS, CARRY_DAYS, sessions_ending
from coverbt.screens.run import run_screen
from coverbt.screens.spec import load_screen

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared" / "market-data"
SCREEN = ROOT / "strategies" / "screens" / "liquid_momentum_cheap.yaml"
FACTORS = ["stale_days", "amount_20d", "ret_60d", "rs_60d_csi300", "ret_20d", "vol_60d"]


def naive_factors(store, codes: list[str], as_of: dt.date) -> pd.DataFrame:
    """The same factors, one stock at a time, with ordinary pandas operations."""
    sessions = sessions_ending(store, as_of, 61)
    start = (sessions[0] - pd.Timedelta(days=CARRY_DAYS)).date()
    index = store.bars(CSI300, kind=SeriesKind.INDEX, start=start, end=as_of).frame["close"]
    bench = index.reindex(index.index.union(sessions)).ffill(limit=5).reindex(sessions)
    ppy = periods_per_year(as_of - dt.timedelta(days=365), as_of)
    rows = {}
    for code in codes:
        try:
            frame = store.bars(code, start=start, end=as_of).frame
        except Exception:
            continue
        if frame.empty:
            continue
        close = frame["close"].reindex(frame.index.union(sessions)).ffill().reindex(sessions)
        traded = frame["close"].reindex(sessions).notna()
        estimate = frame["volume"] * frame["close"]
        ratio = frame["amount"] / estimate.where(estimate > 0)
        ok = (ratio > AMOUNT_RATIO_BOUNDS[0]) & (ratio < AMOUNT_RATIO_BOUNDS[1])
        amount = frame["amount"].where(ok, estimate).reindex(sessions)
        last20 = amount.iloc[-20:].where(traded.iloc[-20:], 0.0).where(close.iloc[-20:].notna())
        stale = len(sessions) - 1 - traded.to_numpy().nonzero()[0][-1] if traded.any() else 61
        ret60 = close.iloc[-1] / close.iloc[-61] - 1
        row = {
            "stale_days": float(stale),
            "amount_20d": last20.mean(),
            "ret_60d": ret60,
            "rs_60d_csi300": (1 + ret60) / (bench.iloc[-1] / bench.iloc[-61]) - 1,
            "ret_20d": close.iloc[-1] / close.iloc[-21] - 1,
            "vol_60d": close.iloc[-61:].pct_change(fill_method=None).iloc[1:].std() * np.sqrt(ppy),
        }
        if stale > STALE_AFTER_SESSIONS:
            row = {k: (v if k == "stale_days" else np.nan) for k, v in row.items()}
        rows[code] = row
    return pd.DataFrame.from_dict(rows, orient="index")


def naive_top(factors: pd.DataFrame, top: int) -> list[str]:
    f = factors
    passed = f.loc[
        (f["stale_days"] == 0)
        & (f["amount_20d"] > 1e8)
        & (f["ret_60d"] > 0)
        & (f["rs_60d_csi300"] > 0)
        & (f["ret_20d"] < 0.5)
    ].copy()
    score = (
        2 * f["rs_60d_csi300"].rank(pct=True)
        + f["ret_20d"].rank(pct=True)
        + f["vol_60d"].rank(pct=True, ascending=False)
    ) / 4
    passed["score"] = score.reindex(passed.index)
    passed["code"] = passed.index
    ordered = passed.sort_values(["score", "code"], ascending=[False, True])
    return list(ordered.index[:top])


def ensure_cache(cache: Path | None) -> Path:
    if cache is not None:
        return cache
    folder = Path(tempfile.mkdtemp(prefix="bench-screen-")) / "data_cache"
    print("importing the 3,020-stock cross-section into", folder, "(not timed) ...", flush=True)
    for item in (
        "cross-section/tushare_3020_stocks.tar.gz",
        "index",
        "cross-section/baostock_stock_list.csv",
    ):
        import_path(folder, SHARED / item)
    return folder


def cold_run(cache: Path, as_of: str) -> dict[str, float]:
    """Time the first screen of a fresh interpreter (see the module docstring)."""
    child = (
        "import json, sys, time; t0 = time.perf_counter()\n"
        "import datetime as dt; from pathlib import Path\n"
        "from coverbt.data.store import open_store\n"
        "from coverbt.screens.run import run_screen\n"
        "from coverbt.screens.spec import load_screen\n"
        "t1 = time.perf_counter()\n"
        "screen = load_screen(Path(sys.argv[1])); store = open_store(Path(sys.argv[2]))\n"
        "r = run_screen(screen, store, as_of=dt.date.fromisoformat(sys.argv[3]), scope='all')\n"
        "t2 = time.perf_counter()\n"
        "print(json.dumps({'import': t1 - t0, 'screen': t2 - t1, 'rows': len(r.table)}))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", child, str(SCREEN), str(cache), as_of],
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cache", type=Path, help="an existing data_cache with the cross-section")
    parser.add_argument("--as-of", default="2025-06-30")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    as_of = dt.date.fromisoformat(args.as_of)
    cache = ensure_cache(args.cache)
    screen = load_screen(SCREEN)
    cold = cold_run(cache, args.as_of)

    fast_times = []
    for _ in range(args.repeat):
        store = open_store(cache)  # a fresh store each time: no warm per-store file handles
        started = time.perf_counter()
        result = run_screen(screen, store, as_of=as_of, scope="all")
        fast_times.append(time.perf_counter() - started)
    fast = min(fast_times)
    n = len(result.table)

    store = open_store(cache)
    codes = list(result.table.index)
    started = time.perf_counter()
    naive = naive_factors(store, codes, as_of)
    slow = time.perf_counter() - started

    mine = result.table.loc[naive.index, FACTORS].astype(float)
    theirs = naive[FACTORS].astype(float)
    same = np.allclose(mine.to_numpy(), theirs.to_numpy(), rtol=1e-9, atol=1e-12, equal_nan=True)
    top_same = naive_top(naive.reindex(codes), screen.spec.top) == list(result.selected.index)
    print(
        f"screen {screen.name} --all as of {result.as_of}: {n} stocks, "
        f"{int(result.table['passed'].sum())} pass, top {len(result.selected)}"
    )
    print(
        f"vectorised, cold (fresh process): {cold['screen']:.3f} s = "
        f"{n / cold['screen']:,.0f} stocks/s (+ {cold['import']:.3f} s importing coverbt)"
    )
    print(
        f"vectorised, warm: {fast:.3f} s (best of {args.repeat}: "
        f"{', '.join(f'{t:.3f}' for t in fast_times)}) = {n / fast:,.0f} stocks/s"
    )
    print(f"naive per-stock pandas loop: {slow:.3f} s = {n / slow:,.0f} stocks/s")
    print(f"ratio naive / vectorised: {slow / cold['screen']:.1f}x cold, {slow / fast:.1f}x warm")
    worst = max(cold["screen"], fast)
    print(f"target < 2 s (cold and warm): {'met' if worst < 2 else 'NOT met'}")
    print(f"same factor values: {same}; same top {screen.spec.top}: {top_same}")
    if not (same and top_same):
        print("MISMATCH between the vectorised and the naive computation", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
