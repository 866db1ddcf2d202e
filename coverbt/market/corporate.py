"""Dividends, bonus shares and transfers as events on raw (unadjusted) prices.

What RQAlpha does, and what the exchanges publish: a holding keeps its raw share count
until an ex-date (除权除息日); on that day each share receives ``cash_per_share`` CNY and
``bonus_per_share + transfer_per_share`` new shares (送股 + 转增), and the exchange sets the
day's reference previous close (除权除息参考价) to

    ``(prev_close - cash_per_share) / (1 + bonus_per_share + transfer_per_share)``

rounded to 0.01 CNY (Shanghai and Shenzhen trading rules; rights issues are not modelled).
The day's price limits are computed from that reference price.

Conventions (documented choices):

- **Cash is credited pre-tax, on the ex-date** (RQAlpha credits pre-tax cash too, on the
  payable date). Pass ``tax_rate`` to withhold a flat rate, or use
  :func:`individual_dividend_tax_rate` for the differential rate an individual investor
  pays by holding period (20% up to one month, 10% up to one year, 0 beyond: Ministry of
  Finance announcement 2015 No. 101).
- **New shares are credited on the ex-date**, rounded down to whole shares (the exchange
  allocates fractions by its own rules; dropping them is the conservative choice);
  ``whole_shares=False`` keeps fractions for fractional backtests. They may be sold the
  same session (the exchanges list bonus shares from the next session: a simplification
  that only matters for a sale on the ex-date itself).

Multiplicative ("ratio") adjustment factors follow from the same events: on an ex-date a
holding that reinvests its cash at the unrounded reference price is worth exactly what it
was worth at the previous close, so :func:`total_return_index` equals a ratio-adjusted
(hfq-style) close series. akshare's qfq *subtracts* the cash instead, which differs by a
few basis points per dividend.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from decimal import ROUND_HALF_UP, Decimal

import pandas as pd

from coverbt.market.execution import Account

TICK = Decimal("0.01")  # the A-share price tick, CNY
SHARES_PER_TEN = 10.0  # vendors quote events per 10 shares (10派3.5, 10送2, 10转4)
# Differential dividend tax of individuals (财税〔2015〕101号): (max days held, rate)
INDIVIDUAL_TAX_SCHEDULE: tuple[tuple[int, float], ...] = ((30, 0.20), (365, 0.10))


@dataclass(frozen=True)
class CorporateAction:
    """One implemented dividend/bonus/transfer event of a stock, per share held.

    Examples
    --------
    >>> a = CorporateAction.per_ten(dt.date(2024, 6, 14), cash=3.5, bonus=2, transfer=4)
    >>> a.cash_per_share, round(a.share_ratio, 10)
    (0.35, 0.6)
    """

    ex_date: dt.date
    cash_per_share: float = 0.0
    bonus_per_share: float = 0.0  # 送股
    transfer_per_share: float = 0.0  # 转增

    def __post_init__(self) -> None:
        values = (self.cash_per_share, self.bonus_per_share, self.transfer_per_share)
        if not all(math.isfinite(v) and v >= 0 for v in values):
            raise ValueError(f"a corporate action needs finite, non-negative amounts: {self}")

    @classmethod
    def per_ten(
        cls, ex_date: dt.date, *, cash: float = 0.0, bonus: float = 0.0, transfer: float = 0.0
    ) -> CorporateAction:
        """An event quoted per 10 shares, as vendors and announcements state it."""
        return cls(
            ex_date,
            cash / SHARES_PER_TEN,
            bonus / SHARES_PER_TEN,
            transfer / SHARES_PER_TEN,
        )

    @property
    def share_ratio(self) -> float:
        """New shares per share held (送股 + 转增)."""
        return self.bonus_per_share + self.transfer_per_share


@dataclass(frozen=True)
class ActionEffect:
    """What one event did to one holding."""

    code: str
    action: CorporateAction
    shares_before: float
    shares_added: float
    cash_gross: float
    tax: float

    @property
    def cash_net(self) -> float:
        return self.cash_gross - self.tax


def round_price(value: float) -> float:
    """Round a price to the 0.01 CNY tick, halves up (as the exchanges publish prices).

    >>> round_price(12.345), round_price(9.994999), round_price(2.675)
    (12.35, 9.99, 2.68)
    """
    return float(Decimal(repr(value)).quantize(TICK, rounding=ROUND_HALF_UP))


def unrounded_reference(prev_close: float, action: CorporateAction) -> float:
    """``(prev_close - cash) / (1 + bonus + transfer)``, not rounded."""
    return (prev_close - action.cash_per_share) / (1.0 + action.share_ratio)


def ex_reference_price(prev_close: float, action: CorporateAction) -> float:
    """The exchange's ex-right reference price (除权除息参考价), rounded to 0.01 CNY.

    Examples
    --------
    10派3.5 and 10转4 after a close of 25.00: (25 - 0.35) / 1.4 = 17.607... -> 17.61.

    >>> ex_reference_price(25.0, CorporateAction.per_ten(dt.date(2024, 6, 14), cash=3.5,
    ...                                                  transfer=4))
    17.61
    >>> ex_reference_price(10.0, CorporateAction(dt.date(2024, 6, 14)))
    10.0
    """

    def dec(value: float) -> Decimal:
        return Decimal(repr(float(value)))

    ratio = dec(action.bonus_per_share) + dec(action.transfer_per_share)
    ref = (dec(prev_close) - dec(action.cash_per_share)) / (1 + ratio)
    return float(ref.quantize(TICK, rounding=ROUND_HALF_UP))


def _on(actions: Iterable[CorporateAction], day: dt.date) -> list[CorporateAction]:
    return [a for a in actions if a.ex_date == day]


def reference_prev_close(
    raw_close: pd.Series, actions: Sequence[CorporateAction], day: dt.date
) -> float | None:
    """The previous close the exchange uses for ``day``'s price limits.

    The raw close of the last session before ``day`` with a bar, replaced by the ex-right
    reference price when an ex-date falls after that session and on or before ``day``
    (a stock suspended over its ex-date resumes from the reference price). ``None`` when
    no earlier close is known.

    >>> closes = pd.Series([20.0, 16.0], index=pd.to_datetime(["2024-06-13", "2024-06-14"]))
    >>> act = CorporateAction.per_ten(dt.date(2024, 6, 14), cash=5, bonus=2)
    >>> reference_prev_close(closes, [act], dt.date(2024, 6, 14))
    16.25
    >>> reference_prev_close(closes, [act], dt.date(2024, 6, 17))
    16.0
    """
    before = raw_close.loc[raw_close.index < pd.Timestamp(day)].dropna()
    if before.empty:
        return None
    prev = float(before.iloc[-1])
    last = pd.Timestamp(before.index[-1]).date()
    for action in sorted(actions, key=lambda a: a.ex_date):
        if last < action.ex_date <= day:  # an ex-date while suspended counts on resumption
            prev = ex_reference_price(prev, action)
    return prev


def reference_prev_closes(raw_close: pd.Series, actions: Sequence[CorporateAction]) -> pd.Series:
    """:func:`reference_prev_close` for every date of ``raw_close`` at once (NaN first).

    The previous session's raw close (suspended sessions carried forward), replaced on
    ex-dates by the exchange's reference price: the ``prev_close`` a raw-price engine
    hands to the limit rules.

    >>> closes = pd.Series([20.0, 16.0, 16.5],
    ...                    index=pd.to_datetime(["2024-06-13", "2024-06-14", "2024-06-17"]))
    >>> act = CorporateAction.per_ten(dt.date(2024, 6, 14), cash=5, bonus=2)
    >>> reference_prev_closes(closes, [act]).tolist()
    [nan, 16.25, 16.0]
    """
    closes = raw_close.astype(float)
    prev = closes.ffill().shift(1)
    traded = closes.index[closes.notna().to_numpy()]
    for action in sorted(actions, key=lambda a: a.ex_date):
        after = traded[traded >= pd.Timestamp(action.ex_date)]
        if len(after) and pd.notna(prev.loc[after[0]]):  # on resumption if suspended
            prev.loc[after[0]] = ex_reference_price(float(prev.loc[after[0]]), action)
    return prev


def individual_dividend_tax_rate(days_held: int) -> float:
    """The dividend tax rate of an individual by holding period (财税〔2015〕101号).

    >>> individual_dividend_tax_rate(10), individual_dividend_tax_rate(200)
    (0.2, 0.1)
    >>> individual_dividend_tax_rate(366)
    0.0
    """
    for max_days, rate in INDIVIDUAL_TAX_SCHEDULE:
        if days_held <= max_days:
            return rate
    return 0.0


def apply_action(
    code: str,
    shares: float,
    action: CorporateAction,
    *,
    tax_rate: float = 0.0,
    whole_shares: bool = True,
) -> ActionEffect:
    """The cash and shares one holding of ``shares`` receives from ``action``.

    >>> e = apply_action("600570", 150, CorporateAction.per_ten(dt.date(2024, 6, 14),
    ...                                                       cash=3.5, transfer=3))
    >>> e.shares_added, round(e.cash_gross, 2), e.tax
    (45.0, 52.5, 0.0)
    >>> apply_action("600570", 101, CorporateAction.per_ten(dt.date(2024, 6, 14),
    ...                                                   bonus=3)).shares_added
    30.0
    """
    if not 0.0 <= tax_rate < 1.0:
        raise ValueError(f"tax_rate must be in [0, 1), got {tax_rate}")
    added = shares * action.share_ratio
    if whole_shares:
        added = float(math.floor(added + 1e-9))
    gross = shares * action.cash_per_share
    return ActionEffect(code, action, shares, added, gross, gross * tax_rate)


def apply_events(
    account: Account,
    actions: Mapping[str, Sequence[CorporateAction]],
    day: dt.date,
    *,
    tax_rate: float = 0.0,
    whole_shares: bool = True,
) -> tuple[Account, list[ActionEffect]]:
    """The account after every event with ex-date ``day`` on its holdings, and the effects.

    Call once per session, before the session's orders (holders of record on the day
    before the ex-date receive the event). Pure: ``account`` is not modified.

    >>> acct = Account(cash=0.0, shares={"600570": 1000.0})
    >>> acts = {"600570": [CorporateAction.per_ten(dt.date(2024, 6, 14), cash=2, bonus=1)]}
    >>> after, effects = apply_events(acct, acts, dt.date(2024, 6, 14))
    >>> after.cash, after.shares, len(effects)
    (200.0, {'600570': 1100.0}, 1)
    >>> apply_events(acct, acts, dt.date(2024, 6, 17))[0] == acct
    True
    """
    cash = account.cash
    shares = dict(account.shares)
    effects: list[ActionEffect] = []
    for code, held in account.shares.items():
        for action in _on(actions.get(code, ()), day):
            if held <= 0:
                continue
            effect = apply_action(
                code, shares[code], action, tax_rate=tax_rate, whole_shares=whole_shares
            )
            shares[code] += effect.shares_added
            cash += effect.cash_net
            effects.append(effect)
    if not effects:
        return account, []
    return replace(account, cash=cash, shares=shares), effects


def total_return_index(raw_close: pd.Series, actions: Sequence[CorporateAction]) -> pd.Series:
    """Value of one share bought at the first close, every event reinvested.

    Cash and new shares are reinvested at the day's unrounded reference price (the holding
    is worth at that price exactly what it was worth at the previous close), fractions
    kept. The result is a ratio-adjusted (hfq-style) close series scaled to start at the
    first raw close.

    >>> closes = pd.Series([20.0, 16.5], index=pd.to_datetime(["2024-06-13", "2024-06-14"]))
    >>> act = CorporateAction.per_ten(dt.date(2024, 6, 14), cash=5, bonus=2)
    >>> idx = total_return_index(closes, [act])
    >>> round(float(idx.iloc[-1] / idx.iloc[0] - 1), 6)  # 16.5 / 16.25 - 1
    0.015385
    """
    closes = raw_close.dropna().astype(float)
    held = 1.0
    values: list[float] = []
    prev: float | None = None
    for stamp, close in zip(pd.DatetimeIndex(closes.index), closes.tolist(), strict=True):
        day = stamp.date()
        for action in _on(actions, day):
            if prev is None:
                continue
            ref = unrounded_reference(prev, action)
            effect = apply_action("", held, action, whole_shares=False)
            held += effect.shares_added + effect.cash_gross / ref
            prev = ref
        values.append(held * close)
        prev = close
    return pd.Series(values, index=closes.index, name="total_return", dtype=float)
