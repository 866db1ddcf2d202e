"""The same target-weight plan computed with numpy: no frictions, fractional shares.

The fast path for parameter sweeps. It agrees with the backtrader run of the same plan under
the ``frictionless`` profile with fractional sizing (a test holds them within 1e-6). It does
not model stops, lots, limits or fees; a plan that trades a name on a session without a bar
is refused (use the backtrader path). Names leaving on a rating change sell at the open of
their exit session, before that session's decision.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from coverbt.strategy.panel import Panel
from coverbt.strategy.plan import Plan


def run_vectorized(plan: Plan, panel: Panel) -> pd.Series:
    """Portfolio value at each session's close from ``plan.start`` to ``plan.end``."""
    if plan.stop_loss is not None:
        raise ValueError("the vectorized path does not model stop rules")
    codes = list(plan.instruments)
    window = (panel.sessions >= plan.start) & (panel.sessions <= plan.end)
    sessions = panel.sessions[window]
    opens = panel["open"].loc[sessions, codes].to_numpy()
    closes = panel["close"].loc[sessions, codes].ffill().fillna(0.0).to_numpy()
    row = {day: i for i, day in enumerate(sessions)}
    decisions = {
        row[d.date]: np.array([d.weights.get(c, 0.0) for c in codes]) for d in plan.decisions
    }
    exits: dict[int, np.ndarray] = {}
    at_open: dict[int, np.ndarray] = {}
    for j, code in enumerate(codes):
        rows = at_open if code in plan.rating_exits else exits
        rows.setdefault(row[plan.exits[code]], np.zeros(len(codes), dtype=bool))[j] = True
    shares = np.zeros(len(codes))
    cash = float(plan.capital)
    values = np.empty(len(sessions))
    prev = 0
    for e in sorted(set(decisions) | set(exits) | set(at_open)):
        values[prev:e] = cash + closes[prev:e] @ shares
        if e in at_open:
            cash, shares = _sell_at_open(cash, shares, opens[e], at_open[e], sessions[e])
        if e in decisions:
            cash, shares = _rebalance(cash, shares, opens[e], decisions[e], sessions[e])
        if e in exits:
            mask = exits[e]
            cash += float(shares[mask] @ closes[e, mask])
            shares = np.where(mask, 0.0, shares)
        values[e] = cash + closes[e] @ shares
        prev = e + 1
    values[prev:] = cash + closes[prev:] @ shares
    return pd.Series(values, index=sessions, name="portfolio")


def _sell_at_open(
    cash: float, shares: np.ndarray, opens: np.ndarray, mask: np.ndarray, day: pd.Timestamp
) -> tuple[float, np.ndarray]:
    selling = mask & (shares != 0)
    if np.isnan(opens[selling]).any():
        raise ValueError(f"a name sold on {day.date()} has no bar: use the backtrader path")
    cash += float(shares[selling] @ opens[selling])
    return cash, np.where(selling, 0.0, shares)


def _rebalance(
    cash: float, shares: np.ndarray, opens: np.ndarray, weights: np.ndarray, day: pd.Timestamp
) -> tuple[float, np.ndarray]:
    trading = (shares != 0) | (weights != 0)
    if np.isnan(opens[trading]).any():
        raise ValueError(f"a traded name has no bar on {day.date()}: use the backtrader path")
    price = np.where(trading, opens, 1.0)
    value = cash + float(shares @ np.where(trading, opens, 0.0))
    target = np.where(trading, weights * value / price, 0.0)
    return value - float(target @ np.where(trading, opens, 0.0)), target
