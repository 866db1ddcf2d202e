"""The names a run did not hold as planned: never bought, or cut short (pure, no I/O).

A name is *not held* at a decision when the plan gave it a positive target weight and the
portfolio ended up holding materially less until the next decision: its buy was refused
(a lot the target could not reach, limit-up at the open, a suspension, cash) or filled
short by more than lot rounding explains. The weight left in cash is the target weight
minus the weight achieved, both valued at the decision's open::

    target shares   = target weight x value at the open / open
    achieved shares = the most shares held from the decision's open to the next decision
    cash weight     = target weight - achieved shares x open / value at the open

"Materially" means a shortfall of at least one lot step (100 shares on the main boards,
1 share on STAR) worth at least :data:`MATERIAL_WEIGHT` of the portfolio, or nothing held
at all while the engine refused the buy (a target below one lot). Lot rounding alone (a
main-board target of 450 shares filled with 400) is not an omission. Names the plan skipped
before trading (no data) are listed too, without weight.

Examples
--------
On the report's market at 1,000,000 CNY, ``coverage_equal`` wants 163 shares of 688111 (a
STAR lot is 200): ``not_held`` lists it as never held, reason "target below one lot (163
shares wanted)", target weight 0.04 and cash weight 0.04.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd

from coverbt.backtest.bt_engine import Refusal
from coverbt.market.execution import Fill
from coverbt.market.rules import LOT_RULES, Side
from coverbt.strategy.plan import Plan

NEVER_HELD, CUT, NOT_TRADED = "never held", "cut", "not traded"
CASH_SHORT = "cash ran short (earlier buys, fees or holdings too small to trim used it)"
_EPS = 1e-9
# a shortfall under 0.1% of the portfolio is rounding noise (fees, cash order), not an omission
MATERIAL_WEIGHT = 0.001


@dataclass(frozen=True)
class Shortfall:
    """One decision at which a name held less than its target."""

    date: dt.date
    target_weight: float
    cash_weight: float
    reason: str

    def to_json(self) -> dict[str, object]:
        return {
            "date": self.date.isoformat(),
            "target_weight": self.target_weight,
            "cash_weight": self.cash_weight,
            "reason": self.reason,
        }


@dataclass(frozen=True)
class NotHeld:
    """A name never held, or held short of its target, with why and what stayed in cash.

    ``target_weight`` and ``cash_weight`` are those of the first decision it fell short at
    (``None`` for a name skipped before trading); ``decisions`` lists every one.
    """

    code: str
    name: str
    status: str  # NEVER_HELD, CUT or NOT_TRADED
    reason: str
    target_weight: float | None
    cash_weight: float | None
    decisions: tuple[Shortfall, ...] = ()

    def to_json(self) -> dict[str, object]:
        return {
            "code": self.code,
            "name": self.name,
            "status": self.status,
            "reason": self.reason,
            "target_weight": self.target_weight,
            "cash_weight": self.cash_weight,
            "dates": [d.date.isoformat() for d in self.decisions],
            "decisions": [d.to_json() for d in self.decisions],
        }


def not_held(
    plan: Plan,
    refusals: Sequence[Refusal],
    fills: Sequence[Fill],
    prices: pd.DataFrame,
    *,
    fractional: bool = False,
) -> list[NotHeld]:
    """Every name of ``plan`` that was never held or cut, in code order.

    ``prices`` holds the opens (sessions x codes) the decisions traded at; a missing open
    (a suspension) falls back to the last earlier open. ``fractional``: no lots, so any
    shortfall of at least :data:`MATERIAL_WEIGHT` counts.
    """
    bought = {f.code for f in fills if f.side is Side.BUY}
    out = [
        NotHeld(s.code, s.name, NOT_TRADED, s.reason, None, None)
        for s in plan.skipped
        if not s.reason.startswith("not an A-share")
    ]
    found: dict[str, list[Shortfall]] = {}
    days = [d.date for d in plan.decisions]
    for i, decision in enumerate(plan.decisions):
        until = days[i + 1] if i + 1 < len(days) else plan.end + pd.Timedelta(days=1)
        for code, weight in sorted(decision.weights.items()):
            short = _shortfall(plan, code, weight, decision.date, until, refusals, fills, prices,
                               fractional)  # fmt: skip
            if short is not None:
                found.setdefault(code, []).append(short)
    for code, shorts in found.items():
        reasons = list(dict.fromkeys(s.reason for s in shorts))
        out.append(
            NotHeld(
                code,
                plan.instruments[code].name,
                CUT if code in bought else NEVER_HELD,
                "; ".join(reasons),
                shorts[0].target_weight,
                shorts[0].cash_weight,
                tuple(shorts),
            )
        )
    return sorted(out, key=lambda item: item.code)


def _shortfall(
    plan: Plan,
    code: str,
    weight: float,
    day: pd.Timestamp,
    until: pd.Timestamp,
    refusals: Sequence[Refusal],
    fills: Sequence[Fill],
    prices: pd.DataFrame,
    fractional: bool,
) -> Shortfall | None:
    if weight <= 0 or plan.exits.get(code, day) <= day:
        return None
    value = _value_at_open(plan.capital, fills, prices, day)
    price = _open(prices, code, day)
    if value <= 0 or not price > 0:
        return None
    target = weight * value / price
    held = _most_held(fills, code, day, until)
    refused = [
        r.reason
        for r in refusals
        if r.code == code and r.side is Side.BUY and day.date() <= r.day < until.date()
    ]
    board = plan.instruments[code].board
    rule = LOT_RULES.get(board) if board is not None else None
    step = 0.0 if fractional or rule is None else float(rule.step)
    missing = target - held
    if missing <= _EPS * max(target, 1.0):
        return None
    cash_weight = weight - held * price / value
    material = missing >= step - _EPS and cash_weight >= MATERIAL_WEIGHT
    if not (material or (held <= _EPS and refused)):
        return None
    reason = "; ".join(dict.fromkeys(refused)) if refused else CASH_SHORT
    return Shortfall(day.date(), weight, cash_weight, reason)


def _open(prices: pd.DataFrame, code: str, day: pd.Timestamp) -> float:
    if code not in prices:
        return float("nan")
    known = prices[code].loc[:day].dropna()
    return float(known.iloc[-1]) if len(known) else float("nan")


def _value_at_open(
    capital: float, fills: Sequence[Fill], prices: pd.DataFrame, day: pd.Timestamp
) -> float:
    """Cash plus holdings at ``day``'s open, from the fills of earlier sessions."""
    cash = capital
    shares: dict[str, float] = {}
    for item in fills:
        if item.day >= day.date():
            continue
        sign = 1.0 if item.side is Side.BUY else -1.0
        shares[item.code] = shares.get(item.code, 0.0) + sign * item.shares
        cash -= sign * item.value + item.fees
    return cash + sum(n * _open(prices, c, day) for c, n in shares.items() if abs(n) > _EPS)


def _most_held(fills: Sequence[Fill], code: str, day: pd.Timestamp, until: pd.Timestamp) -> float:
    """The most shares of ``code`` held from ``day``'s open until before ``until``."""
    held = 0.0
    most: float | None = None
    for item in sorted((f for f in fills if f.code == code), key=lambda f: f.day):
        if item.day >= until.date():
            break
        if item.day >= day.date() and most is None:
            most = held  # what the decision's open started from
        held += item.shares if item.side is Side.BUY else -item.shares
        if most is not None:
            most = max(most, held)
    return held if most is None else most
