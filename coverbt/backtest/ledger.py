"""Accounting from fills: daily holdings, cash and value (pure, no backtrader)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import cast

import pandas as pd

from coverbt.market.corporate import ActionEffect
from coverbt.market.execution import Fill
from coverbt.market.rules import Side


def holdings(
    fills: Sequence[Fill],
    sessions: pd.DatetimeIndex,
    codes: Sequence[str],
    capital: float,
    events: Sequence[tuple[dt.date, ActionEffect]] = (),
) -> tuple[pd.DataFrame, pd.Series]:
    """End-of-session shares (sessions x codes) and cash implied by ``fills``.

    ``events``: corporate actions credited on raw-price holdings, each with the session it
    was credited in (new shares and net dividend cash).
    """
    moves: dict[tuple[pd.Timestamp, str], float] = {}
    flows: dict[pd.Timestamp, float] = {}
    for item in fills:
        day = pd.Timestamp(item.day)
        sign = 1.0 if item.side is Side.BUY else -1.0
        moves[(day, item.code)] = moves.get((day, item.code), 0.0) + sign * item.shares
        flows[day] = flows.get(day, 0.0) - sign * item.value - item.fees
    for credited, effect in events:
        day = pd.Timestamp(credited)
        moves[(day, effect.code)] = moves.get((day, effect.code), 0.0) + effect.shares_added
        flows[day] = flows.get(day, 0.0) + effect.cash_net
    delta = pd.DataFrame(0.0, index=sessions, columns=list(codes))
    for (day, code), amount in moves.items():
        delta.loc[day, code] = amount
    flow = pd.Series(flows, dtype=float).reindex(sessions, fill_value=0.0)
    shares = delta.cumsum()
    shares = shares.mask(shares.abs() < 1e-9, 0.0)
    return shares, capital + flow.cumsum()


def portfolio_value(shares: pd.DataFrame, cash: pd.Series, closes: pd.DataFrame) -> pd.Series:
    """Cash plus holdings at the last known close (a suspended stock keeps its last close)."""
    marks = closes.reindex(index=shares.index, columns=shares.columns).ffill()
    return cash + (shares * marks.fillna(0.0)).sum(axis=1)


def positions_frame(shares: pd.DataFrame, closes: pd.DataFrame, value: pd.Series) -> pd.DataFrame:
    """Long table ``date, code, shares, close, value, weight`` of non-zero holdings."""
    marks = closes.reindex(index=shares.index, columns=shares.columns).ffill()
    # one column level (the codes), so stack() gives a Series; pandas-stubs can't tell
    long = cast(pd.Series, shares.stack()).rename("shares").to_frame()
    long["close"] = marks.stack().reindex(long.index)
    long = long.loc[long["shares"] != 0].reset_index()
    long.columns = ["date", "code", "shares", "close"]
    long["value"] = long["shares"] * long["close"]
    long["weight"] = long["value"] / long["date"].map(value)
    return long
