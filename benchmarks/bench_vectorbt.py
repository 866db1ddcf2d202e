"""The compiled engine against vectorbt on the same frictionless portfolio.

Usage: ``python benchmarks/bench_vectorbt.py [--repeat 5] [--rebalance 1M]``
(needs ``pip install -e ".[bench]"``: vectorbt is an optional extra, never a runtime
dependency).

The portfolio: ``coverage_equal`` on the report's 25 names (``../shared`` vendor files),
rebalanced every ``--rebalance`` at the open, the frictionless profile, fractional shares
(no lots, no limits, no fees): what both engines model alike. vectorbt gets the plan's
target weights as ``targetpercent`` orders at the open (valued at the open, sells first,
cash shared), the closes for valuation. Prints both times (best of ``--repeat``, measured in
this one run; vectorbt's first call compiles and is not counted, nor is ours) and both final
values.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import pandas as pd

from coverbt.data.memory import provider_from_vendor_paths
from coverbt.engine import prepare, run_fast
from coverbt.market.rules import PROFILES
from coverbt.strategy.plan import build_plan
from coverbt.strategy.spec import load_strategy
from coverbt.universe.load import load_universe

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT.parent / "shared" / "market-data"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--rebalance", default="1M")
    args = parser.parse_args()
    try:
        import vectorbt as vbt
    except ImportError:
        print("vectorbt is not installed: pip install -e '.[bench]'")
        return
    market = provider_from_vendor_paths(DATA / "stock", DATA / "index")
    universe = load_universe(ROOT / "universe" / "pingan_computer_2024_midyear.yaml")
    spec = load_strategy(ROOT / "strategies" / "coverage_equal.yaml")
    act = spec.act.model_copy(update={"rebalance": args.rebalance})
    spec = spec.model_copy(update={"act": act})
    plan, panel = build_plan(spec, universe, market, profile=PROFILES["frictionless"])
    codes = sorted(plan.instruments)
    sessions = panel.sessions[(panel.sessions >= plan.start) & (panel.sessions <= plan.end)]
    opens = panel["open"].loc[sessions, codes]
    closes = panel["close"].loc[sessions, codes].ffill()
    size = pd.DataFrame(np.nan, index=sessions, columns=codes)
    for decision in plan.decisions:
        size.loc[decision.date] = [decision.weights.get(c, 0.0) for c in codes]

    def ours() -> float:
        return run_fast(plan, panel, fractional=True, prepared=prepared).result.final_value

    def ours_whole() -> float:  # the rule arrays built from the panel too
        return run_fast(plan, panel, fractional=True).result.final_value

    def theirs() -> float:
        pf = vbt.Portfolio.from_orders(
            close=closes, size=size, size_type="targetpercent", price=opens, val_price=opens,
            init_cash=plan.capital, group_by=True, cash_sharing=True, call_seq="auto",
            freq="1D",
        )  # fmt: skip
        return float(pf.value().iloc[-1])

    prepared = prepare(plan, panel)
    results = {}
    runs = (("vectorbt", theirs), ("coverbt fast", ours), ("coverbt whole", ours_whole))
    for label, func in runs:
        value = func()  # compile / warm up
        best = min(_timed(func) for _ in range(args.repeat))
        results[label] = (best, value)
    print(
        f"frictionless coverage_equal, rebalance {args.rebalance}: {len(codes)} names x "
        f"{len(sessions)} sessions, {len(plan.decisions)} decisions (best of {args.repeat})"
    )
    for label, (best, value) in results.items():
        print(f"  {label:13s}: {best * 1000:8.2f} ms   final value {value:,.2f}")
    (b, vb), (a, va), (w, _) = results.values()
    gap = abs(va - vb) / plan.capital
    print(f"  ratio vectorbt / coverbt: {b / a:.1f}x (prepared arrays), {b / w:.1f}x (whole "
          f"call); final values differ by {gap:.2e} of the capital")  # fmt: skip


def _timed(func) -> float:  # type: ignore[no-untyped-def]
    t0 = time.perf_counter()
    func()
    return time.perf_counter() - t0


if __name__ == "__main__":
    main()
