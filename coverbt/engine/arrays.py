"""A plan and its panel as plain arrays for the compiled engine, with every market rule applied
ahead of time by :mod:`coverbt.market.rules` itself (one source of truth).

What an order may do on a session depends on the session, the name, the side and whether it
fills at the open or the close, never on the portfolio: suspensions, a price outside the
day's range or the price-limit band, limit-up for a buy and limit-down for a sell. These are
decided here for every cell, as :func:`coverbt.market.rules.can_trade` decides them for the
backtrader adapter: the cheap tests (suspended, range, band) are the same float expressions
on whole arrays, and the limit test calls :func:`coverbt.market.rules.limit_reason` itself on
the few cells at the day's extreme (below the high a buy is never at limit-up). What depends
on the portfolio (lots, cash, fees by date, T+1) runs in the kernel from the rules' data:
:data:`~coverbt.market.rules.LOT_RULES`, the profile's fee schedules by session.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from coverbt.backtest.result import adjusted_ohlc, is_adjusted, on_the_tick, scale_at
from coverbt.market import rules
from coverbt.market.rules import (
    BAND_TOLERANCE,
    LOT_RULES,
    PRICE_LIMITS,
    PROFILES,
    Bar,
    Dated,
    MarketProfile,
    Side,
    in_force,
    limit_reason,
    price_limit,
)
from coverbt.strategy.panel import Panel, limit_reference_closes
from coverbt.strategy.plan import Plan

FRICTIONLESS = PROFILES["frictionless"]
_EPS = rules._EPS  # the rules' own comparison tolerance

# Why an order did not fill: the kernel's codes and the rules' words.
OK = 0
REASONS: dict[int, str] = {
    1: "suspended",
    2: "price outside the day's range",
    3: "price outside the price-limit band (bad data?)",
    4: "limit-up",
    5: "limit-down",
    6: "no bar",
    7: "T+1: bought today",
    8: "not held",
    9: "below one lot",
    10: "target below one lot ({wanted:.0f} shares wanted)",
    11: "cash below one lot",
    12: (
        "sale of {shares:g} {code} ({value:.2f} CNY) plus cash {cash:.2f} cannot pay its "
        "fees {fees:.2f}"
    ),
    13: "nothing to trade",
}
_LIMIT_CODES = {"limit-up": 4, "limit-down": 5}
# CNY: a price this far from its limit price is not at it, whatever the scale (near_limit)
LIMIT_MARGIN = 0.05
# order kinds: which price and side an order has (the kernel's first axis of ``refuse``)
BUY_OPEN, SELL_OPEN, SELL_CLOSE = 0, 1, 2
KINDS: tuple[tuple[Side, str], ...] = (
    (Side.BUY, "open"),
    (Side.SELL, "open"),
    (Side.SELL, "close"),
)


@dataclass(frozen=True)
class MarketArrays:
    """Sessions x codes arrays of one plan's window, codes in sorted order (the order the
    adapter visits holdings in)."""

    sessions: pd.DatetimeIndex
    codes: list[str]
    open: np.ndarray
    close: np.ndarray
    last_close: np.ndarray  # the execution close carried over suspensions
    has_bar: np.ndarray
    refuse: np.ndarray  # int8 (3, sessions, codes): 0 or a REASONS code, per KINDS
    extreme: np.ndarray  # bool (3, sessions, codes): the adapter fits a scale there
    lot_min: np.ndarray
    lot_step: np.ndarray
    has_board: np.ndarray
    profile_of: np.ndarray  # 0: the plan's profile, 1: frictionless (an index)
    commission_rate: np.ndarray  # per profile
    min_commission: np.ndarray
    free: np.ndarray
    stamp: np.ndarray  # (2, sessions): stamp duty on sells in force each session
    transfer: np.ndarray  # (2, sessions)


def window(plan: Plan, panel: Panel) -> pd.DatetimeIndex:
    """The sessions an engine runs: the panel's, from the entry to the end."""
    return panel.sessions[(panel.sessions >= plan.start) & (panel.sessions <= plan.end)]


def market_arrays(plan: Plan, panel: Panel) -> MarketArrays:
    """Every rule that depends on the session and the name only, as arrays."""
    sessions = window(plan, panel)
    codes = sorted(plan.instruments)
    frame = {
        f: panel.execution(f).reindex(index=sessions, columns=codes).to_numpy(float)
        for f in ("open", "high", "low", "close", "volume")
    }
    has_bar = panel["close"].reindex(index=sessions, columns=codes).notna().to_numpy()
    prev = limit_reference_closes(panel).reindex(index=sessions, columns=codes).to_numpy(float)
    is_st = panel.is_st.reindex(index=sessions, columns=codes).fillna(False)
    st = is_st.to_numpy(bool)
    boards = [plan.instruments[c].board for c in codes]
    refuse = np.zeros((3, len(sessions), len(codes)), dtype=np.int8)
    extreme = np.zeros_like(refuse, dtype=bool)
    index = np.array([b is None for b in boards])
    refuse[:, :, index] = np.where(has_bar[:, index], 0, 6)  # an index: only a missing bar
    cells = _Cells(frame, has_bar, prev, st, boards, sessions, panel, codes)
    for k, (side, when) in enumerate(KINDS):
        refuse[k], extreme[k] = _refusals(side, frame[when], cells, plan.profile)
        refuse[k][:, index] = np.where(has_bar[:, index], 0, 6)
        extreme[k][:, index] = False
    lots = [LOT_RULES.get(b) if b is not None else None for b in boards]
    profiles = (plan.profile, FRICTIONLESS)
    days = [d.date() for d in sessions]
    return MarketArrays(
        sessions=sessions,
        codes=codes,
        open=frame["open"],
        close=frame["close"],
        last_close=panel.execution("close")
        .ffill()
        .reindex(index=sessions, columns=codes)
        .to_numpy(float),
        has_bar=has_bar,
        refuse=refuse,
        extreme=extreme,
        lot_min=np.array([r.minimum if r else 0 for r in lots], float),
        lot_step=np.array([r.step if r else 1 for r in lots], float),
        has_board=np.array([b is not None for b in boards]),
        profile_of=np.array([0 if b is not None else 1 for b in boards], np.int64),
        commission_rate=np.array([p.commission_rate for p in profiles]),
        min_commission=np.array([p.min_commission for p in profiles]),
        free=np.array([p.free for p in profiles]),
        stamp=np.array([_by_session(p.stamp_duty, days) for p in profiles]),
        transfer=np.array([_by_session(p.transfer_fee, days) for p in profiles]),
    )


def _by_session(schedule: Sequence[Dated[float]], days: list[dt.date]) -> np.ndarray:
    """:func:`~coverbt.market.rules.in_force` of ``schedule`` on each of ``days`` (a
    schedule is constant between its entries: one call per entry in force)."""
    starts = [entry.since for entry in schedule]
    at = np.searchsorted(np.array(starts, "datetime64[D]"), np.array(days, "datetime64[D]"),
                         side="right") - 1  # fmt: skip
    values = {k: in_force(schedule, max(starts[k], days[0])) for k in set(at.tolist())}
    if days and at.min() < 0:
        in_force(schedule, days[int(np.argmin(at))])  # raises: no rule in force that day
    return np.array([values[k] for k in at.tolist()], float)


def _limits(board: rules.Board, sessions: pd.DatetimeIndex) -> tuple[np.ndarray, np.ndarray]:
    """:func:`~coverbt.market.rules.price_limit` of every session, without and with ST."""
    key = (board, sessions[0], sessions[-1], len(sessions))
    if key not in _LIMIT_CACHE:
        days = [d.date() for d in sessions]
        _LIMIT_CACHE[key] = (
            np.array([price_limit(board, d) for d in days]),
            np.array([price_limit(board, d, is_st=True) for d in days]),
        )
    return _LIMIT_CACHE[key]


_LIMIT_CACHE: dict[tuple[object, ...], tuple[np.ndarray, np.ndarray]] = {}


def near_limit(side: Side, price: np.ndarray, prev: np.ndarray, limit: np.ndarray) -> np.ndarray:
    """False where :func:`~coverbt.market.rules.limit_reason` cannot find a limit, whatever
    the scale: a price more than :data:`LIMIT_MARGIN` CNY short of ``prev x (1 +/- limit)``.

    Why it is safe: the limit test compares ``to_tick(p / s)`` with ``to_tick(prev / s) x
    (1 + limit)`` rounded, for one scale ``0 < s <= 1`` (1 without a known scale) and at
    most :data:`~coverbt.market.rules.ADJUSTED_SLACK_TICKS` of slack; the roundings move
    each side by at most half a tick of ``s x 0.01``, so the test fails for any ``p`` under
    ``prev x (1 + limit) - 0.03``. A property test holds the claim over generated prices.
    """
    with np.errstate(invalid="ignore"):
        if side is Side.BUY:
            return price >= prev * (1 + limit) - LIMIT_MARGIN
        return price <= prev * (1 - limit) + LIMIT_MARGIN


@dataclass(frozen=True)
class _Cells:
    """The session x code inputs of the tests that do not depend on the order's side."""

    frame: dict[str, np.ndarray]
    has_bar: np.ndarray
    prev: np.ndarray
    st: np.ndarray
    boards: list[rules.Board | None]
    sessions: pd.DatetimeIndex
    panel: Panel
    codes: list[str]


def _refusals(
    side: Side, price: np.ndarray, c: _Cells, profile: MarketProfile
) -> tuple[np.ndarray, np.ndarray]:
    """:func:`~coverbt.market.rules.can_trade` for every cell at once (indexes excluded by
    the caller): the same tests in the same order: suspended, outside the day's range, then
    (limits enforced, a previous close known) outside the band, then the limit test."""
    high, low, volume = c.frame["high"], c.frame["low"], c.frame["volume"]
    out = np.zeros(price.shape, dtype=np.int8)
    adjusted = np.array([is_adjusted(c.panel, code) for code in c.codes])
    with np.errstate(invalid="ignore", divide="ignore"):
        suspended = ~c.has_bar | ~(volume > 0)
        in_range = (low - _EPS <= price) & (price <= high + _EPS)
        extreme = c.has_bar & adjusted[None, :] & ~((low < price) & (price < high))
        out[~suspended & ~in_range] = 2
        out[suspended] = 1
        if not profile.enforce_limits:
            return out, extreme
        limited = np.array([b is not None and b in PRICE_LIMITS for b in c.boards])
        limit = np.full(price.shape, np.nan)
        for board in {b for b in c.boards if b is not None and b in PRICE_LIMITS}:
            columns = np.array([b == board for b in c.boards])
            normal, for_st = _limits(board, c.sessions)
            limit[:, columns] = np.where(c.st[:, columns], for_st[:, None], normal[:, None])
        ratio = price / c.prev
        band = (1 - limit - BAND_TOLERANCE <= ratio) & (ratio <= 1 + limit + BAND_TOLERANCE)
        tested = (out == 0) & ~np.isnan(c.prev) & limited[None, :]
        out[tested & ~band] = 3
        tested &= band
        # short of the day's high (low) a buy (sell) is never at the limit: limit_reason's
        # own first test, so only the cells at the extreme are handed to it, and of those
        # only the ones near the limit (:func:`near_limit`)
        if side is Side.BUY:
            tested &= ~(price < high * (1 - _EPS))
        else:
            tested &= ~(price > low * (1 + _EPS))
        tested &= near_limit(side, price, c.prev, limit)
    ohlc: dict[int, tuple[np.ndarray, bool]] = {}
    first = int(c.panel.sessions.searchsorted(c.sessions[0])) if len(c.sessions) else 0
    for i, j in zip(*np.nonzero(tested), strict=True):
        scale = None
        if extreme[i, j]:
            if j not in ohlc:
                prices = adjusted_ohlc(c.panel, c.codes[j])
                ohlc[j] = (prices, on_the_tick(prices))
            scale = scale_at(ohlc[j][0], first + int(i), rounded=ohlc[j][1])
        bar = Bar(
            open=float(c.frame["open"][i, j]),
            high=float(high[i, j]),
            low=float(low[i, j]),
            close=float(c.frame["close"][i, j]),
            volume=float(volume[i, j]),
            is_st=bool(c.st[i, j]),
            adjusted=bool(adjusted[j]),
            scale=scale,
        )
        found = limit_reason(side, bar, float(price[i, j]), float(c.prev[i, j]),
                             float(limit[i, j]))  # fmt: skip
        if found is not None:
            out[i, j] = _LIMIT_CODES[found]
    return out, extreme
