"""Time backtrader and the compiled engine on the same plans, with costs, lots and limits.

Usage::

    python benchmarks/bench_fast_engine.py                  # coverage_equal + 1,000 x 3 years
    python benchmarks/bench_fast_engine.py --names 200      # a smaller cross-section
    python benchmarks/bench_fast_engine.py --skip-large

Two plans, each run on both engines in this one process, side by side:

1. ``coverage_equal`` on the report's 25 names (``../shared`` vendor files), the shipped
   strategy as it is: a_share_default costs, lots, limits, 5,000,000 CNY.
2. ``--names`` stocks of the Tushare cross-section (the first in code order with bars on
   the first session), 2022-01-04 .. 2024-12-31 (three years), equal weight rebalanced
   monthly, with costs, lots and limits, 100,000,000 CNY.

For each it prints both times (best of ``--repeat``), the ratio, and the equality check
(:func:`coverbt.engine.differences`: fills, refusals, fees identical, final value within
1e-9 of the capital). "fast" is the whole call (arrays from the panel, kernel, result);
"kernel" the compiled loop alone, which a sweep pays per point once the arrays are made.
"""

from __future__ import annotations

import argparse
import tarfile
import tempfile
from pathlib import Path

import pandas as pd
from bench_engine_vectorized import best_of  # the scripts' one timer (benchmarks/ is on the path)

from coverbt.backtest.bt_engine import run_backtrader
from coverbt.data.memory import provider_from_vendor_paths
from coverbt.data.schema import SeriesKind
from coverbt.engine import differences, prepare, run_fast
from coverbt.market.rules import PROFILES
from coverbt.strategy.panel import Panel, load_panel
from coverbt.strategy.plan import Decision, Instrument, Plan, build_plan
from coverbt.strategy.spec import load_strategy
from coverbt.universe.boards import classify_a_share
from coverbt.universe.load import load_universe

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT.parent / "shared" / "market-data"
LARGE_START, LARGE_END = pd.Timestamp("2022-01-04"), pd.Timestamp("2024-12-31")
LARGE_CAPITAL = 100_000_000.0


def compare(label: str, plan: Plan, panel: Panel, repeat: int, slow_repeat: int) -> None:
    run_fast(plan, panel)  # compile (numba caches to disk; the first call of a process loads)
    slow_t, slow = best_of(slow_repeat, lambda: run_backtrader(plan, panel))
    fast_t, fast = best_of(repeat, lambda: run_fast(plan, panel))
    prepared = prepare(plan, panel)
    kernel_t, _ = best_of(repeat, lambda: run_fast(plan, panel, prepared=prepared))
    found = differences(slow, fast.result, plan.capital)
    sessions = len(fast.equity)
    print(f"\n{label}: {len(plan.instruments)} names x {sessions} sessions, "
          f"{len(plan.decisions)} decisions, {len(slow.fills)} fills, "
          f"{len(slow.refusals)} refusals")  # fmt: skip
    print(f"  backtrader      : {slow_t * 1000:10.1f} ms (best of {slow_repeat})")
    print(f"  fast (whole)    : {fast_t * 1000:10.1f} ms (best of {repeat})  "
          f"ratio {slow_t / fast_t:8.1f}x")  # fmt: skip
    print(f"  fast (prepared) : {kernel_t * 1000:10.2f} ms                 "
          f"ratio {slow_t / kernel_t:8.1f}x")  # fmt: skip
    print(f"  final value     : {slow.final_value:,.2f} vs {fast.result.final_value:,.2f}")
    print(f"  equal           : {'yes' if not found else 'NO: ' + '; '.join(found)}")


def report_plan() -> tuple[Plan, Panel]:
    market = provider_from_vendor_paths(DATA / "stock", DATA / "index")
    universe = load_universe(ROOT / "universe" / "pingan_computer_2024_midyear.yaml")
    spec = load_strategy(ROOT / "strategies" / "coverage_equal.yaml")
    return build_plan(spec, universe, market)


def large_plan(names: int, folder: Path) -> tuple[Plan, Panel]:
    with tarfile.open(DATA / "cross-section" / "tushare_3020_stocks.tar.gz") as archive:
        archive.extractall(folder, filter="data")
    files = sorted((folder / "data").glob("*.csv"))
    market = provider_from_vendor_paths(*files[: int(names * 1.3)])
    codes = [m.code for m in market.catalog() if m.first <= LARGE_START.date()]
    codes = sorted(c for c in codes if classify_a_share(c))[:names]
    wanted = dict.fromkeys(codes, SeriesKind.STOCK)
    panel, _missing = load_panel(market, wanted, LARGE_START.date(), LARGE_END.date())
    sessions = panel.sessions
    month_firsts = sessions.to_series().groupby(sessions.to_period("M")).first()
    decisions = []
    for day in month_firsts:
        alive = [c for c in codes if pd.notna(panel["close"].at[day, c])]
        decisions.append(Decision(day, {c: 1 / len(alive) for c in alive}, "monthly"))
    instruments = {
        c: Instrument(c, c, SeriesKind.STOCK, classify_a_share(c)[1])  # type: ignore[index]
        for c in codes
    }
    plan = Plan(
        "large_equal_monthly", instruments, tuple(decisions),
        dict.fromkeys(codes, sessions[-1]), sessions[0], sessions[-1],
        PROFILES["a_share_default"], LARGE_CAPITAL,
    )  # fmt: skip
    return plan, panel


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--names", type=int, default=1000)
    parser.add_argument("--skip-large", action="store_true")
    args = parser.parse_args()
    compare("coverage_equal (shipped, costs + lots)", *report_plan(), args.repeat, args.repeat)
    if not args.skip_large:
        with tempfile.TemporaryDirectory() as tmp:
            plan, panel = large_plan(args.names, Path(tmp))
            compare("cross-section, equal weight monthly, costs + lots", plan, panel,
                    repeat=3, slow_repeat=1)  # fmt: skip


if __name__ == "__main__":
    main()
