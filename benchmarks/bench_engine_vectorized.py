"""Time the backtrader run and the vectorized numpy path of the same target-weight plan.

Usage: ``python benchmarks/bench_engine_vectorized.py [--repeat N] [--rebalance 1M]``.
Prints both times (best of N, measured in this one run), their ratio, and the largest
difference between the two value curves (must be below 1e-6 of the capital).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from coverbt.backtest.bt_engine import run_backtrader
from coverbt.backtest.ledger import holdings, portfolio_value
from coverbt.backtest.vectorized import run_vectorized
from coverbt.data.memory import provider_from_vendor_paths
from coverbt.market.rules import PROFILES
from coverbt.strategy.plan import build_plan
from coverbt.strategy.spec import load_strategy
from coverbt.universe.load import load_universe

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT.parent / "shared" / "market-data"


def best_of(repeat: int, func):  # type: ignore[no-untyped-def]
    times, out = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = func()
        times.append(time.perf_counter() - t0)
    return min(times), out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--rebalance", default="1M")
    args = parser.parse_args()
    market = provider_from_vendor_paths(DATA / "stock", DATA / "index")
    universe = load_universe(ROOT / "universe" / "pingan_computer_2024_midyear.yaml")
    spec = load_strategy(ROOT / "strategies" / "coverage_equal.yaml")
    spec = spec.model_copy(
        update={"act": spec.act.model_copy(update={"rebalance": args.rebalance})}
    )
    plan, panel = build_plan(spec, universe, market, profile=PROFILES["frictionless"])
    slow_t, engine = best_of(args.repeat, lambda: run_backtrader(plan, panel, fractional=True))
    fast_t, fast = best_of(args.repeat, lambda: run_vectorized(plan, panel))
    shares, cash = holdings(engine.fills, fast.index, list(plan.instruments), plan.capital)
    slow = portfolio_value(shares, cash, panel["close"])
    gap = float(((fast - slow).abs() / plan.capital).max())
    print(
        f"plan: {len(plan.instruments)} names, {len(plan.decisions)} decisions, "
        f"{len(fast)} sessions (best of {args.repeat})"
    )
    print(f"backtrader : {slow_t * 1000:9.2f} ms")
    print(f"vectorized : {fast_t * 1000:9.2f} ms")
    print(f"ratio      : {slow_t / fast_t:9.1f}x")
    print(f"max |difference| / capital: {gap:.2e}")


if __name__ == "__main__":
    main()
