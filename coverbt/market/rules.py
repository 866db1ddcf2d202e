"""A-share trading rules as typed, date-versioned data, and the pure functions that apply them.

Everything the exchanges or the tax office changed over time is a schedule of
:class:`Dated` values; :func:`in_force` picks the one valid on a day. Sources:

- Stamp duty, sells only: 0.1% since 2008-09-19 (seller-only from then); halved to 0.05%
  from 2023-08-28 (Ministry of Finance / State Taxation Administration announcement 2023
  No. 39).
- Transfer fee (过户费, CSDC), both sides, on traded value: 0.002% since 2015-08-01 (Shanghai
  and Shenzhen unified), 0.001% since 2022-04-29 (CSDC cut by 50%).
- Daily price limits: main boards 10% (5% for ST); ChiNext 20% since the registration reform
  of 2020-08-24 (10% before, 5% for ST before); STAR 20% since its launch on 2019-07-22;
  Beijing 30% since 2021-11-15. Not modelled: the first five sessions after an IPO (no
  limit), which never matter for a coverage list of listed names.
- Lots: main boards and ChiNext buy in multiples of 100 shares; STAR buys at least 200
  shares, then steps of 1; Beijing at least 100, then steps of 1. An odd remainder can only
  be sold by selling the whole position.

Prices in coverbt are forward-adjusted (qfq). The limit status of a price is therefore judged
by its **ratio to the previous close** with a tolerance of :data:`LIMIT_TOLERANCE`: on an
ex-dividend day the qfq previous close equals the exchange's ex-right reference price, so
the ratio is the one the exchange applies; the tolerance absorbs the rounding of raw limit
prices to 0.01 CNY.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Generic, TypeVar

from coverbt.universe.boards import Board

T = TypeVar("T")

# A price whose ratio to the previous close is within this distance of the limit counts as
# "at the limit" (a 10% limit on a 4.99 CNY stock is a ratio of 1.0982..1.1002 after the raw
# limit price is rounded to the fen).
LIMIT_TOLERANCE = 0.002
# A price farther than this outside the band is bad data, not a trade. Wider than
# LIMIT_TOLERANCE because akshare's qfq subtracts cash dividends, which stretches ratios:
# 603383 closed limit-up on 2024-09-30 at +10.00% raw but +10.31% in akshare's qfq series.
BAND_TOLERANCE = 0.02
# Buys keep this fraction of the budget back so float rounding never overdraws cash.
BUY_SLACK = 1e-10


class Side(StrEnum):
    BUY = "buy"
    SELL = "sell"


@dataclass(frozen=True)
class Dated(Generic[T]):
    """A value in force from ``since`` (inclusive) until the next entry of its schedule."""

    since: dt.date
    value: T


def in_force(schedule: Sequence[Dated[T]], day: dt.date) -> T:
    """The value of ``schedule`` (sorted by ``since``) in force on ``day``.

    Examples
    --------
    >>> in_force(STAMP_DUTY_SELL, dt.date(2023, 8, 25))
    0.001
    >>> in_force(STAMP_DUTY_SELL, dt.date(2023, 8, 28))
    0.0005
    """
    found: T | None = None
    for entry in schedule:
        if entry.since <= day:
            found = entry.value
        else:
            break
    if found is None:
        raise ValueError(f"no rule in force on {day} (the schedule starts {schedule[0].since})")
    return found


STAMP_DUTY_SELL: tuple[Dated[float], ...] = (
    Dated(dt.date(2008, 9, 19), 0.001),
    Dated(dt.date(2023, 8, 28), 0.0005),
)
TRANSFER_FEE: tuple[Dated[float], ...] = (
    Dated(dt.date(2015, 8, 1), 0.00002),
    Dated(dt.date(2022, 4, 29), 0.00001),
)

# (limit, ST limit) per board
PRICE_LIMITS: dict[Board, tuple[Dated[tuple[float, float]], ...]] = {
    Board.SH_MAIN: (Dated(dt.date(1996, 12, 16), (0.10, 0.05)),),
    Board.SZ_MAIN: (Dated(dt.date(1996, 12, 16), (0.10, 0.05)),),
    Board.CHINEXT: (
        Dated(dt.date(2009, 10, 30), (0.10, 0.05)),
        Dated(dt.date(2020, 8, 24), (0.20, 0.20)),
    ),
    Board.STAR: (Dated(dt.date(2019, 7, 22), (0.20, 0.20)),),
    Board.BSE: (Dated(dt.date(2021, 11, 15), (0.30, 0.30)),),
}


@dataclass(frozen=True)
class LotRule:
    """Buy sizes: at least ``minimum`` shares, then multiples of ``step``."""

    minimum: int
    step: int


LOT_RULES: dict[Board, LotRule] = {
    Board.SH_MAIN: LotRule(100, 100),
    Board.SZ_MAIN: LotRule(100, 100),
    Board.CHINEXT: LotRule(100, 100),
    Board.STAR: LotRule(200, 1),
    Board.BSE: LotRule(100, 1),
}


@dataclass(frozen=True)
class MarketProfile:
    """Costs and which market rules apply; chosen by name in a strategy file.

    ``enforce_limits`` switches off price-limit checks (suspended days are never tradeable).
    """

    name: str
    commission_rate: float
    min_commission: float
    stamp_duty: tuple[Dated[float], ...]
    transfer_fee: tuple[Dated[float], ...]
    enforce_limits: bool = True

    @property
    def free(self) -> bool:
        return (
            self.commission_rate == 0
            and self.min_commission == 0
            and not any(d.value for d in (*self.stamp_duty, *self.transfer_fee))
        )


_ZERO = (Dated(dt.date(1990, 1, 1), 0.0),)
PROFILES: dict[str, MarketProfile] = {
    # 万2.5 commission with the usual 5 CNY minimum per order
    "a_share_default": MarketProfile(
        "a_share_default", 0.00025, 5.0, STAMP_DUTY_SELL, TRANSFER_FEE
    ),
    # no fees, market rules (limits, suspensions, T+1, lots unless fractional) still apply
    "no_costs": MarketProfile("no_costs", 0.0, 0.0, _ZERO, _ZERO),
    # no fees and no price limits: the frictionless reference the vectorized path computes
    "frictionless": MarketProfile("frictionless", 0.0, 0.0, _ZERO, _ZERO, enforce_limits=False),
}


@dataclass(frozen=True)
class Costs:
    commission: float
    stamp_duty: float
    transfer_fee: float

    @property
    def total(self) -> float:
        return self.commission + self.stamp_duty + self.transfer_fee


def _fen(value: float) -> float:
    """Round a fee to the fen (0.01 CNY), half up."""
    return math.floor(value * 100 + 0.5 + 1e-9) / 100


def costs(side: Side, value: float, day: dt.date, profile: MarketProfile) -> Costs:
    """Fees of one order of ``value`` CNY on ``day`` (each rounded to the fen).

    Examples
    --------
    >>> p = PROFILES["a_share_default"]
    >>> costs(Side.SELL, 100_000, dt.date(2023, 8, 25), p)
    Costs(commission=25.0, stamp_duty=100.0, transfer_fee=1.0)
    >>> costs(Side.SELL, 100_000, dt.date(2023, 8, 28), p).stamp_duty
    50.0
    >>> costs(Side.BUY, 10_000, dt.date(2024, 6, 24), p)
    Costs(commission=5.0, stamp_duty=0.0, transfer_fee=0.1)
    """
    if value <= 0:
        return Costs(0.0, 0.0, 0.0)
    commission = max(value * profile.commission_rate, profile.min_commission)
    stamp = value * in_force(profile.stamp_duty, day) if side is Side.SELL else 0.0
    transfer = value * in_force(profile.transfer_fee, day)
    return Costs(_fen(commission), _fen(stamp), _fen(transfer))


def price_limit(board: Board, day: dt.date, *, is_st: bool = False) -> float:
    """The daily price limit (a fraction of the previous close) on ``day``.

    Examples
    --------
    >>> price_limit(Board.CHINEXT, dt.date(2020, 8, 21)), price_limit(Board.CHINEXT,
    ...     dt.date(2020, 8, 24))
    (0.1, 0.2)
    >>> price_limit(Board.SH_MAIN, dt.date(2024, 6, 24), is_st=True)
    0.05
    """
    if board not in PRICE_LIMITS:
        raise ValueError(f"no price-limit rule for board {board}")
    normal, st = in_force(PRICE_LIMITS[board], day)
    return st if is_st else normal


def at_limit_up(price: float, prev_close: float, limit: float) -> bool:
    """Whether ``price`` is at (or above) the upper limit of ``prev_close``."""
    return price / prev_close >= 1 + limit - LIMIT_TOLERANCE


def at_limit_down(price: float, prev_close: float, limit: float) -> bool:
    """Whether ``price`` is at (or below) the lower limit of ``prev_close``."""
    return price / prev_close <= 1 - limit + LIMIT_TOLERANCE


def within_limits(price: float, prev_close: float, limit: float) -> bool:
    """Whether ``price`` lies inside the day's price-limit band (with :data:`BAND_TOLERANCE`)."""
    ratio = price / prev_close
    return 1 - limit - BAND_TOLERANCE <= ratio <= 1 + limit + BAND_TOLERANCE


@dataclass(frozen=True)
class Bar:
    """One session of one stock (``None`` in place of a bar means suspended)."""

    open: float
    high: float
    low: float
    close: float
    volume: float = 1.0
    is_st: bool = False

    @property
    def traded(self) -> bool:
        return self.volume > 0


def can_trade(
    side: Side,
    bar: Bar | None,
    price: float,
    prev_close: float | None,
    board: Board,
    day: dt.date,
    profile: MarketProfile,
) -> str | None:
    """``None`` when an order at ``price`` may fill on ``day``, else the reason it may not.

    Suspended (no bar, or no volume): never. Buying at limit-up or selling at limit-down:
    refused when the profile enforces limits. A price outside the bar's low..high: refused.

    Examples
    --------
    >>> p = PROFILES["a_share_default"]
    >>> bar = Bar(open=11.0, high=11.0, low=11.0, close=11.0)
    >>> can_trade(Side.BUY, bar, 11.0, 10.0, Board.SH_MAIN, dt.date(2024, 6, 24), p)
    'limit-up'
    >>> can_trade(Side.SELL, bar, 11.0, 10.0, Board.SH_MAIN, dt.date(2024, 6, 24), p) is None
    True
    >>> can_trade(Side.BUY, None, 11.0, 10.0, Board.SH_MAIN, dt.date(2024, 6, 24), p)
    'suspended'
    """
    if bar is None or not bar.traded:
        return "suspended"
    if not bar.low - 1e-9 <= price <= bar.high + 1e-9:
        return "price outside the day's range"
    if not profile.enforce_limits or prev_close is None or board not in PRICE_LIMITS:
        return None
    limit = price_limit(board, day, is_st=bar.is_st)
    if not within_limits(price, prev_close, limit):
        return "price outside the price-limit band (bad data?)"
    if side is Side.BUY and at_limit_up(price, prev_close, limit):
        return "limit-up"
    if side is Side.SELL and at_limit_down(price, prev_close, limit):
        return "limit-down"
    return None


def round_to_lot(shares: float, board: Board, side: Side, *, held: float = 0.0) -> float:
    """The largest admissible order size not above ``shares``.

    Buys follow :data:`LOT_RULES`. A sell of the whole holding is always admissible (odd
    lots included); a partial sell is rounded down like a buy (so a partial STAR sell is
    at least 200 shares).

    Examples
    --------
    >>> round_to_lot(1234.5, Board.SH_MAIN, Side.BUY)
    1200.0
    >>> round_to_lot(199, Board.STAR, Side.BUY), round_to_lot(250.7, Board.STAR, Side.BUY)
    (0.0, 250.0)
    >>> round_to_lot(150, Board.SZ_MAIN, Side.SELL, held=150)
    150.0
    >>> round_to_lot(120, Board.SZ_MAIN, Side.SELL, held=150)
    100.0
    """
    if shares <= 0:
        return 0.0
    if side is Side.SELL:
        if shares >= held - 1e-9:
            return float(held)
        shares = min(shares, held)
    rule = LOT_RULES.get(board)
    if rule is None:
        raise ValueError(f"no lot rule for board {board}")
    sized = math.floor(shares / rule.step + 1e-9) * rule.step
    return float(sized) if sized >= rule.minimum else 0.0


def max_affordable_value(cash: float, day: dt.date, profile: MarketProfile) -> float:
    """The largest buy value whose value plus fees does not exceed ``cash``."""
    if cash <= 0:
        return 0.0
    rate = profile.commission_rate + in_force(profile.transfer_fee, day)
    proportional = cash / (1 + rate)
    if proportional * profile.commission_rate >= profile.min_commission:
        value = proportional
    else:
        value = (cash - profile.min_commission) / (1 + in_force(profile.transfer_fee, day))
    if not profile.free:
        value -= 0.03  # fee rounding to the fen adds at most 0.01 per fee
    return max(value * (1 - BUY_SLACK), 0.0)
