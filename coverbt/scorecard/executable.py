"""Paper vs executable: the return a single real position could have realised.

The **paper** return is the scorecard's (the chosen convention). The **executable** return
is what one position of ``notional`` CNY realises when it is bought through the engine's
own pure execution (:func:`coverbt.market.execution.fill`): at the open of the first
session after publication, in whole lots, refused at limit-up or while suspended (then
tried at the next session's open), with the ``a_share_default`` fees; sold at the close
of the horizon's last session (limit-down, suspension or T+1 push the sale to the next
session's close). Its return is on the whole notional (cash left by lot rounding earns 0).

The gap (executable - paper) splits exactly into three parts:

- **timing**: the position's gross return minus the paper return (a late entry or exit,
  or a paper convention that does not enter at the first open);
- **lot rounding**: the notional's uninvested share times the gross return;
- **fees**: commissions, transfer fee and stamp duty over the notional.

Pure: reads bars through :class:`~coverbt.scorecard.score.Frames`, no I/O.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd

from coverbt.data.schema import SeriesKind
from coverbt.data.trading_calendar import known_trading_days
from coverbt.errors import DataUnavailableError
from coverbt.market.execution import Account, fill
from coverbt.market.rules import PROFILES, Bar, MarketProfile, Side
from coverbt.scorecard.model import NameScore, Scorecard
from coverbt.scorecard.score import COVERAGE_MARGIN, Frames
from coverbt.universe.model import CoveredName, Universe

PROFILE = "a_share_default"
_PRICES = ("open", "high", "low", "close", "volume")


def default_capital() -> float:
    """The strategy default capital (:class:`coverbt.strategy.spec.StrategySpec`)."""
    from coverbt.strategy.spec import StrategySpec

    return float(StrategySpec.model_fields["capital"].default)


def default_notional(universe: Universe) -> float:
    """The strategy default capital split equally over the universe's A-shares."""
    count = sum(item.a_share for item in universe.names)
    return default_capital() / max(count, 1)


@dataclass(frozen=True)
class Executable:
    """One name's paper return, the realisable return and the gap with its reasons."""

    code: str
    name: str
    rating: str | None
    notional: float
    paper_return: float | None
    executable_return: float | None = None
    entry_date: dt.date | None = None
    entry_price: float | None = None
    shares: float | None = None
    exit_date: dt.date | None = None
    exit_price: float | None = None
    fees: float | None = None
    timing: float | None = None
    lot_rounding: float | None = None
    fee_cost: float | None = None
    reasons: list[str] = field(default_factory=list)

    @property
    def gap(self) -> float | None:
        if self.executable_return is None or self.paper_return is None:
            return None
        return self.executable_return - self.paper_return

    @property
    def summary(self) -> str:
        """The reasons in a few words: delays, then each part of the gap in pp."""
        if self.executable_return is None:
            return "; ".join(self.reasons)
        late = [r.split(":")[0] + f" ({r.split(': ')[1]})" for r in self.reasons if " late: " in r]
        parts = [("timing", self.timing), ("lots", self.lot_rounding), ("fees", self.fee_cost)]
        shown = [f"{k} {v * 100:+.2f}" for k, v in parts if v is not None and abs(v) >= 5e-5]
        return ", ".join([*late, *shown])

    def to_json(self) -> dict[str, Any]:
        day = {k: getattr(self, k) for k in ("entry_date", "exit_date")}
        return {
            "code": self.code,
            "name": self.name,
            "rating": self.rating,
            "notional": self.notional,
            "paper_return": self.paper_return,
            "executable_return": self.executable_return,
            "gap": self.gap,
            "gap_parts": {
                "timing": self.timing,
                "lot_rounding": self.lot_rounding,
                "fees": self.fee_cost,
            },
            **{k: (v.isoformat() if v else None) for k, v in day.items()},
            "entry_price": self.entry_price,
            "shares": self.shares,
            "exit_price": self.exit_price,
            "fees": self.fees,
            "reasons": self.reasons,
        }


def _bar(frame: pd.DataFrame, day: pd.Timestamp) -> Bar | None:
    if day not in frame.index:
        return None
    o, h, lo, c, v = frame.loc[frame.index == day, list(_PRICES)].to_numpy(dtype=float)[0]
    if not (v > 0 and np.isfinite(o) and np.isfinite(c)):
        return None
    is_st = False
    if "is_st" in frame.columns:
        is_st = bool(frame["is_st"].reindex([day]).fillna(False).astype(bool).iloc[0])
    return Bar(float(o), float(h), float(lo), float(c), float(v), is_st)


def _prev_close(frame: pd.DataFrame, day: pd.Timestamp) -> float | None:
    before = frame.loc[(frame.index < day) & (frame["volume"] > 0), "close"]
    return float(before.iloc[-1]) if len(before) else None


def _late(count: int, what: str, why: str) -> str:
    return f"{what} {count} session{'s' if count != 1 else ''} late: {why}"


@dataclass(frozen=True)
class _Trade:
    side: Side
    day: pd.Timestamp
    price: float
    shares: float
    fees: float
    delay: int
    why: str | None


def _trade(
    account: Account,
    item: CoveredName,
    frame: pd.DataFrame,
    sessions: list[pd.Timestamp],
    side: Side,
    profile: MarketProfile,
) -> tuple[Account, _Trade | str]:
    """Try ``side`` on each session in turn (open to buy, close to sell)."""
    first_refusal: str | None = None
    for delay, day in enumerate(sessions):
        bar = _bar(frame, day)
        refusal = "suspended"
        if bar is not None:
            price = bar.open if side is Side.BUY else bar.close
            wanted = account.cash / price if side is Side.BUY else account.held(item.code)
            after, made, refused = fill(
                account, item.code, side, wanted, day=day.date(), bar=bar, price=price,
                prev_close=_prev_close(frame, day), board=item.board, profile=profile,
            )  # fmt: skip
            if made is not None:
                why = first_refusal if delay else None
                return after, _Trade(side, day, price, made.shares, made.fees, delay, why)
            refusal = refused or "refused"
            if side is Side.BUY and ("lot" in refusal or "cash" in refusal):
                return account, f"never bought: {refusal} at {account.cash:,.0f} CNY"
        first_refusal = first_refusal or refusal
    verb = "bought" if side is Side.BUY else "sold"
    return account, f"never {verb} in the window: {first_refusal}"


def simulate(
    item: CoveredName,
    paper: NameScore,
    frame: pd.DataFrame,
    window: tuple[pd.Timestamp, pd.Timestamp],
    notional: float,
    profile: MarketProfile,
) -> Executable:
    """One position of ``notional`` CNY over ``window`` (planned entry, planned exit)."""
    base = Executable(item.code, item.name, paper.rating, notional, paper.ret)
    entry, exit_ = window
    days = [pd.Timestamp(d) for d in known_trading_days(entry, exit_ + COVERAGE_MARGIN)]
    days = [d for d in days if d <= frame.index.max()] if len(frame) else []
    buying = [d for d in days if d <= exit_]
    account, bought = _trade(Account(cash=notional), item, frame, buying, Side.BUY, profile)
    if isinstance(bought, str):
        return _with(base, reasons=[bought])
    selling = [d for d in days if d >= max(exit_, bought.day)]
    account, sold = _trade(account, item, frame, selling, Side.SELL, profile)
    if isinstance(sold, str):
        return _with(base, reasons=[sold])
    realised = account.cash / notional - 1.0
    gross = sold.price / bought.price - 1.0
    invested = bought.shares * bought.price / notional
    fees = bought.fees + sold.fees
    parts = {
        "timing": None if paper.ret is None else gross - paper.ret,
        "lot_rounding": (invested - 1.0) * gross,
        "fee_cost": -fees / notional,
    }
    return _with(
        base,
        executable_return=realised,
        entry_date=bought.day.date(),
        entry_price=bought.price,
        shares=bought.shares,
        exit_date=sold.day.date(),
        exit_price=sold.price,
        fees=fees,
        reasons=_reasons(paper, bought, sold, invested, parts),
        **parts,
    )


def _with(base: Executable, **changes: Any) -> Executable:
    return replace(base, **changes)


def _reasons(
    paper: NameScore, bought: _Trade, sold: _Trade, invested: float, parts: dict[str, float | None]
) -> list[str]:
    out: list[str] = []
    if bought.delay:
        out.append(_late(bought.delay, "entered", bought.why or "refused"))
    if paper.entry_date is not None and paper.entry_date < bought.day.date():
        out.append(f"paper enters at the {paper.entry_date} close, the engine at an open")
    if sold.delay:
        out.append(_late(sold.delay, "exited", sold.why or "refused"))
    timing = parts["timing"]
    if (bought.delay or sold.delay) and timing is not None:
        out.append(f"timing {timing * 100:+.2f} pp")
    lot = parts["lot_rounding"] or 0.0
    out.append(
        f"lot rounding {lot * 100:+.2f} pp ({1 - invested:.2%} of the notional in cash, "
        f"{bought.shares:g} shares)"
    )
    out.append(f"fees {(parts['fee_cost'] or 0.0) * 100:+.2f} pp")
    return out


def executable_scores(
    universe: Universe,
    card: Scorecard,
    frames: Frames,
    *,
    notional: float | None = None,
    profile: str = PROFILE,
) -> list[Executable]:
    """Paper vs executable for every name of ``card`` that has a paper return."""
    size = notional if notional is not None else default_notional(universe)
    window = (pd.Timestamp(card.planned_entry), pd.Timestamp(card.planned_exit))
    out: list[Executable] = []
    for item, paper in zip(universe.names, card.names, strict=True):
        if paper.ret is None:
            continue
        try:
            frame = frames.get(item.code, SeriesKind.STOCK, window)
        except DataUnavailableError as exc:
            out.append(Executable(item.code, item.name, paper.rating, size, paper.ret,
                                  reasons=[str(exc)]))  # fmt: skip
            continue
        out.append(simulate(item, paper, frame, window, size, PROFILES[profile]))
    return out
