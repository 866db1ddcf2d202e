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
- Limit prices (SSE and SZSE trading rules): ``previous close x (1 +/- limit)``, rounded
  half up (四舍五入) to the 0.01 CNY tick; a lower limit that would round below one tick is
  one tick. The previous close is the exchange's reference price (on an ex-date the
  ex-right reference price). :func:`limit_prices` computes them.
- Lots: main boards and ChiNext buy in multiples of 100 shares; STAR buys at least 200
  shares, then steps of 1; Beijing at least 100, then steps of 1. An odd remainder can only
  be sold by selling the whole position.

**Which prices the limit test sees.** A buy is refused only at the limit-up price, a sell
only at the limit-down price; a price below the limit-up price is never refused.

- Raw (unadjusted) bars, :attr:`Bar.adjusted` false: the exchange's rule exactly. Price and
  previous close are on the tick; refused iff ``price >= limit_up`` (``<= limit_down``).
- Adjusted (qfq) bars, all the offline data: the exchange's grid is not in the data as
  such. A vendor's qfq series equals raw prices at its base date (2025/2026 for the shared
  data) and differs before it by the corporate actions in between, multiplicatively
  (Tushare, baostock: ratios exact, levels scaled by ``scale = qfq / raw``, constant
  between ex-dates) or by subtracting cash dividends (akshare: ratios stretched, 603383
  closed limit-up on 2024-09-30 at +10.00% raw, +10.31% in akshare's qfq). Three steps,
  each as exact as the data allow:

  1. **Exact, any adjustment (raw bars too):** a price strictly below the bar's high is
     below the day's limit-up price (the high never exceeds it, and an adjustment keeps the
     day's order), so it is never refused; likewise a price above the low for limit-down.
     301091 opened at 34.32 on 2024-10-08 under a high (and limit-up close) of 34.35.
  2. **At the day's extreme, scale known:** baostock's qfq prices carry 8-10 decimals, so
     the one scale that puts a few sessions' prices on the 0.01 tick recovers the raw
     prices exactly (:func:`grid_scale`; the backtrader adapter fits it on the session and
     the ones before it, back to the last ex-date). The test is then the exchange's rule
     on the recovered raw prices (:attr:`Bar.scale`). 000099 opened at its high on
     2024-10-08 at raw 20.55, one tick under its 20.56 limit: it trades.
  3. **At the day's extreme, scale unknown** (Tushare and akshare round their qfq prices to
     0.01, and an ex-date session has no earlier price of its scale): prices are taken at
     the base-date scale (qfq = raw), put on the tick and compared with
     :func:`limit_prices` of the previous close with :data:`ADJUSTED_SLACK_TICKS` of slack
     for the vendor's rounding (a Tushare qfq limit-up close of 34.35 over 28.63 is one
     tick under ``round(28.63 x 1.2) = 34.36``). Limits: a price at the day's high one tick
     under the limit may be refused; on akshare's additive qfq, a price at the day's high
     within about ``dividends x limit`` of the limit too (the cash paid between the session
     and the base date). Raw bars have neither limit.

  Fills, shares, lots and fees use the qfq levels as they are, so that a holding is valued
  on the series it was bought on. Where the scale is known the qfq fill is exactly the
  scale times a raw price on the tick (300496 bought at 48.70480092 on 2024-06-24 =
  0.995601 x 48.92); elsewhere a qfq price is not a price anyone paid, and putting it on
  the 0.01 tick would add noise, not realism. Raw bars (corporate actions as cash and share
  events, :mod:`coverbt.market.corporate`) fill on the tick because their prices are on it.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from typing import Generic, TypeVar

import numpy as np

from coverbt.universe.boards import Board

T = TypeVar("T")

# The A-share price tick (CNY): limit prices are rounded to it (as a float and as a Decimal).
TICK = 0.01
_TICK = Decimal("0.01")
# Adjusted (qfq) bars only: a price at the day's extreme within this many ticks of the limit
# price counts as at the limit (the vendor rounded its qfq prices; see the module docstring).
ADJUSTED_SLACK_TICKS = 1
# Adjusted bars: the scale (adjusted / raw) is searched down to this value (a 10-for-10
# bonus issue halves it, two of them quarter it), and a scale fits when it puts every price
# within _FIT_TOLERANCE CNY of the tick. baostock's qfq prices carry 8 to 10 decimals, so a
# fitting scale recovers the raw prices exactly; prices already on the tick (Tushare and
# akshare round their qfq to 0.01) say nothing about the scale.
MIN_SCALE = 0.2
_FIT_TOLERANCE = 1e-6
# Fewer distinct prices than this do not determine a scale (two prices fit many scales).
MIN_FIT_PRICES = 6
# A price farther than this outside the band (as a ratio to the previous close) is bad
# data, not a trade. Wide because akshare's qfq subtracts cash dividends, which stretches
# ratios: 603383 closed limit-up on 2024-09-30 at +10.00% raw but +10.31% in akshare's qfq.
BAND_TOLERANCE = 0.02
# Buys keep this fraction of the budget back so float rounding never overdraws cash.
BUY_SLACK = 1e-10
# float comparisons of prices already on the tick
_EPS = 1e-9


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


def to_tick(price: float) -> float:
    """``price`` rounded half up (四舍五入) to the 0.01 CNY tick.

    Decimal arithmetic on the shortest text of the float, as the exchange computes.

    Examples
    --------
    >>> to_tick(34.356), to_tick(5.489), to_tick(11.055), to_tick(48.70480092)
    (34.36, 5.49, 11.06, 48.7)
    """
    return float(Decimal(repr(float(price))).quantize(_TICK, rounding=ROUND_HALF_UP))


@dataclass(frozen=True)
class LimitPrices:
    """The day's lowest and highest admissible prices (CNY, on the tick)."""

    down: float
    up: float


def limit_prices(prev_close: float, limit: float) -> LimitPrices:
    """The exchange's limit prices of a previous (reference) close: ``prev x (1 +/- limit)``.

    Each rounded half up to the tick; the lower one never below one tick. ``prev_close``
    is taken as it is (put it on the tick first if it is not).

    Examples
    --------
    >>> limit_prices(28.62, 0.20)  # 34.344 -> 34.34, 22.896 -> 22.90
    LimitPrices(down=22.9, up=34.34)
    >>> limit_prices(4.99, 0.10)  # 5.489 -> 5.49, 4.491 -> 4.49
    LimitPrices(down=4.49, up=5.49)
    >>> limit_prices(10.05, 0.10)  # 11.055 rounds half up, whatever the float says
    LimitPrices(down=9.05, up=11.06)
    >>> limit_prices(0.01, 0.30).down
    0.01
    """
    prev = Decimal(repr(float(prev_close)))
    rate = Decimal(repr(float(limit)))
    up = (prev * (1 + rate)).quantize(_TICK, rounding=ROUND_HALF_UP)
    down = max((prev * (1 - rate)).quantize(_TICK, rounding=ROUND_HALF_UP), _TICK)
    return LimitPrices(float(down), float(up))


def grid_scale(prices: Sequence[float]) -> float | None:
    """The scale ``adjusted / raw`` that puts every one of ``prices`` on the 0.01 CNY tick.

    ``prices`` are adjusted prices of sessions with one scale (no ex-date among them). The
    largest scale in ``[MIN_SCALE, 1]`` that fits is the answer (a scale divided by a whole
    number fits too). ``None`` when the prices do not determine it: fewer than
    :data:`MIN_FIT_PRICES` distinct prices, all prices already on the tick (rounded vendor
    data), or no scale fits.

    Examples
    --------
    000099 in baostock's qfq, 2024-09-30 and 2024-10-08: raw closes 18.69, 20.35 ...

    >>> qfq = [17.76720357, 18.72946976, 17.15214683, 18.54098463,
    ...        20.38615485, 20.38615485, 17.82672519, 20.18774945]
    >>> scale = grid_scale(qfq)
    >>> [to_tick(p / scale) for p in qfq[3:5]], round(scale, 6)
    ([18.69, 20.55], 0.992027)
    >>> grid_scale([18.69, 20.55, 20.55, 17.97, 20.35, 18.0]) is None  # on the tick already
    True
    """
    values = np.unique(np.asarray([p for p in prices if p > 0 and math.isfinite(p)], float))
    cents = values / TICK
    if values.size < MIN_FIT_PRICES or np.abs(cents - np.round(cents)).max() < _FIT_TOLERANCE:
        return None
    top = float(values.max())
    # candidate raw prices of the highest price, in cents: top / scale for scale <= 1
    first = math.ceil(top / TICK - _FIT_TOLERANCE / TICK)
    candidates = np.arange(first, math.floor(top / MIN_SCALE / TICK) + 1, dtype=float)
    scales = top / (candidates * TICK)
    for value in values:  # each price keeps only the scales that put it on the tick
        raw = value / scales
        scales = scales[np.abs(raw - np.round(raw / TICK) * TICK) < _FIT_TOLERANCE]
    return float(scales[0]) if scales.size else None  # the largest: candidates ascend


def at_limit_up(price: float, prev_close: float, limit: float, *, slack_ticks: int = 0) -> bool:
    """Whether ``price`` is at (or above) the limit-up price of ``prev_close``, on the tick.

    ``slack_ticks`` widens "at" downwards (adjusted prices only, see the module docstring).

    Examples
    --------
    >>> at_limit_up(34.34, 28.62, 0.20), at_limit_up(34.33, 28.62, 0.20)
    (True, False)
    """
    up = limit_prices(to_tick(prev_close), limit).up
    return to_tick(price) >= up - slack_ticks * TICK - _EPS


def at_limit_down(price: float, prev_close: float, limit: float, *, slack_ticks: int = 0) -> bool:
    """Whether ``price`` is at (or below) the limit-down price of ``prev_close``, on the tick.

    Examples
    --------
    >>> at_limit_down(22.90, 28.62, 0.20), at_limit_down(22.91, 28.62, 0.20)
    (True, False)
    """
    down = limit_prices(to_tick(prev_close), limit).down
    return to_tick(price) <= down + slack_ticks * TICK + _EPS


def within_limits(price: float, prev_close: float, limit: float) -> bool:
    """Whether ``price`` lies inside the day's price-limit band (with :data:`BAND_TOLERANCE`)."""
    ratio = price / prev_close
    return 1 - limit - BAND_TOLERANCE <= ratio <= 1 + limit + BAND_TOLERANCE


# How execution prices and limit prices were derived, for the run manifest.
EXECUTION_PRICES: dict[bool, str] = {
    True: (
        "qfq levels: fills, shares, lots and fees at the vendor's forward-adjusted prices. "
        "Limit prices = reference (previous) close x (1 +/- limit), rounded half up to 0.01 "
        "CNY, on raw prices derived from the qfq ones: a price below the day's high (above "
        "its low) is never at limit-up (limit-down); at the day's extreme, by the scale "
        "qfq/raw that puts the session's and the preceding sessions' prices on the 0.01 tick "
        "when the data carry enough decimals (baostock; exact), else at the base-date scale "
        f"(qfq = raw) with {ADJUSTED_SLACK_TICKS} tick of slack for the vendor's rounding"
    ),
    False: (
        "raw prices: fills, shares, lots and fees at unadjusted prices on the 0.01 CNY tick; "
        "limit prices = reference (previous) close x (1 +/- limit), rounded half up to 0.01 "
        "CNY, as the exchanges compute them"
    ),
}


@dataclass(frozen=True)
class Bar:
    """One session of one stock (``None`` in place of a bar means suspended).

    ``adjusted``: the prices are forward- or backward-adjusted (qfq/hfq), not the exchange's
    raw prices; the limit test then works as the module docstring explains. ``scale``:
    adjusted / raw prices of this session when the data determine it (:func:`grid_scale`).
    """

    open: float
    high: float
    low: float
    close: float
    volume: float = 1.0
    is_st: bool = False
    adjusted: bool = False
    scale: float | None = None

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

    Suspended (no bar, or no volume): never. A price outside the bar's low..high: refused.
    Buying at the limit-up price or selling at the limit-down price: refused when the
    profile enforces limits (:func:`limit_reason`); any price short of the limit trades.

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
    if not bar.low - _EPS <= price <= bar.high + _EPS:
        return "price outside the day's range"
    if not profile.enforce_limits or prev_close is None or board not in PRICE_LIMITS:
        return None
    limit = price_limit(board, day, is_st=bar.is_st)
    if not within_limits(price, prev_close, limit):
        return "price outside the price-limit band (bad data?)"
    return limit_reason(side, bar, price, prev_close, limit)


def limit_reason(side: Side, bar: Bar, price: float, prev_close: float, limit: float) -> str | None:
    """``"limit-up"`` for a buy at the limit-up price, ``"limit-down"`` for a sell at the
    limit-down price, else ``None``.

    A price short of the day's high (low) is never at limit-up (limit-down). A price at it
    is compared on the tick with the limit price of the previous close: exactly for raw
    bars and for adjusted bars of known :attr:`Bar.scale`, else with
    :data:`ADJUSTED_SLACK_TICKS` of slack (module docstring).

    Examples
    --------
    301091 (ChiNext, 20%) on 2024-10-08 in Tushare's qfq: previous close 28.63, open 34.32,
    high = close = 34.35 (a limit-up close).

    >>> day = Bar(open=34.32, high=34.35, low=30.41, close=34.35, adjusted=True)
    >>> limit_reason(Side.BUY, day, 34.32, 28.63, 0.20) is None
    True
    >>> limit_reason(Side.BUY, day, 34.35, 28.63, 0.20)
    'limit-up'

    000099 (main board, 10%) on 2024-10-08 in baostock's qfq (scale 0.992027): it opened at
    its high, raw 20.55, one tick under the limit of ``round(18.69 x 1.1) = 20.56``.

    >>> day = Bar(open=20.38615485, high=20.38615485, low=17.82672519, close=20.18774945,
    ...           adjusted=True, scale=0.992027)
    >>> limit_reason(Side.BUY, day, day.open, 18.54098463, 0.10) is None
    True
    """
    # a price short of the day's high was short of the limit-up price, whatever the
    # adjustment: the high never exceeds it and an adjustment keeps the day's order
    slack = 0
    if bar.adjusted and bar.scale is not None:  # back to the raw prices, exactly
        price, prev_close = price / bar.scale, prev_close / bar.scale
    elif bar.adjusted:
        slack = ADJUSTED_SLACK_TICKS
    if side is Side.BUY:
        if price < bar.high * (1 - _EPS):
            return None
        return "limit-up" if at_limit_up(price, prev_close, limit, slack_ticks=slack) else None
    if price > bar.low * (1 + _EPS):
        return None
    return "limit-down" if at_limit_down(price, prev_close, limit, slack_ticks=slack) else None


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
