"""The backtrader adapter obeys the market: limit-up, suspension and T+1 on synthetic bars."""

from __future__ import annotations

import pandas as pd

from coverbt.backtest.run import RunOptions, run_backtest
from coverbt.data.memory import InMemoryProvider
from coverbt.data.schema import SeriesKind
from coverbt.data.trading_calendar import trading_days
from coverbt.market.rules import Side
from coverbt.strategy.spec import StrategySpec


def _flat(days: pd.DatetimeIndex, price: float = 10.0) -> pd.DataFrame:
    frame = pd.DataFrame(
        {"open": price, "high": price, "low": price, "close": price, "volume": 1e6, "amount": 1e7},
        index=days,
    )
    frame.index.name = "date"
    return frame


def test_limit_up_suspension_and_t_plus_one(universe, make_series) -> None:  # type: ignore[no-untyped-def]
    days = trading_days("2024-06-03", "2024-07-05")
    entry, nxt = pd.Timestamp("2024-06-24"), pd.Timestamp("2024-06-25")
    last = pd.Timestamp("2024-06-26")  # horizon_end(entry, "2D")
    limit_up = _flat(days)
    limit_up.loc[entry, ["open", "high", "low", "close"]] = 11.0  # one-price limit-up day
    limit_up.loc[nxt:, ["open", "high", "low", "close"]] = 11.0
    suspended = _flat(days).drop(index=last)  # no bar on the exit session
    market = InMemoryProvider(
        [
            make_series("600570", SeriesKind.STOCK, limit_up),
            make_series("300496", SeriesKind.STOCK, suspended),
            make_series("000300", SeriesKind.INDEX, _flat(days, 3500.0)),
            make_series("801750", SeriesKind.INDEX, _flat(days, 4000.0)),
        ]
    )
    spec = StrategySpec.model_validate(
        {"name": "frictions", "select": {"codes": ["600570", "300496"]}, "exit": {"horizon": "2D"}}
    )
    result = run_backtest(spec, universe, market, RunOptions(engine="both"))  # both agree
    refused = {(r.day, r.code, r.side, r.reason) for r in result.engine.refusals}
    assert (entry.date(), "600570", Side.BUY, "limit-up") in refused
    assert (last.date(), "300496", Side.SELL, "suspended") in refused
    trades = result.trades.set_index(["code", "side"])["date"].to_dict()
    assert trades == {
        ("300496", "buy"): "2024-06-24",
        ("600570", "buy"): "2024-06-25",  # retried at the next open
        ("600570", "sell"): "2024-06-26",
    }
    assert set(result.engine.held_at_end) == {"300496"}  # suspended at its exit: still held
    assert result.plan.end == last
