"""Pure order execution on the A-share market: size an order, then fill it (or refuse).

:func:`size_order` is the one place that decides how many shares an order may trade; the
backtrader adapter calls it before it submits anything, and :func:`fill` applies it to a
plain :class:`Account` (what the property tests drive). No I/O, no backtrader.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace

from coverbt.market.rules import (
    Bar,
    MarketProfile,
    Side,
    can_trade,
    costs,
    max_affordable_value,
    round_to_lot,
)
from coverbt.universe.boards import Board


@dataclass(frozen=True)
class Account:
    """Cash, holdings and the day each holding was last bought (for T+1)."""

    cash: float
    shares: dict[str, float] = field(default_factory=dict)
    last_buy: dict[str, dt.date] = field(default_factory=dict)

    def held(self, code: str) -> float:
        return self.shares.get(code, 0.0)

    def sellable(self, code: str, day: dt.date) -> float:
        """Shares that may be sold on ``day``: none of a holding bought that same day (T+1).

        Holdings are not split into lots by purchase day: a holding topped up today is
        wholly locked until tomorrow (conservative).
        """
        return 0.0 if self.last_buy.get(code) == day else self.held(code)


@dataclass(frozen=True)
class Fill:
    day: dt.date
    code: str
    side: Side
    shares: float
    price: float
    commission: float
    stamp_duty: float
    transfer_fee: float

    @property
    def value(self) -> float:
        return self.shares * self.price

    @property
    def fees(self) -> float:
        return self.commission + self.stamp_duty + self.transfer_fee


@dataclass(frozen=True)
class Sized:
    """The outcome of :func:`size_order`: admissible shares, or 0 with the reason."""

    shares: float
    reason: str | None = None


def size_order(
    account: Account,
    code: str,
    side: Side,
    wanted: float,
    *,
    day: dt.date,
    bar: Bar | None,
    price: float,
    prev_close: float | None,
    board: Board | None,
    profile: MarketProfile,
    fractional: bool = False,
    cash: float | None = None,
) -> Sized:
    """How many of ``wanted`` shares may trade at ``price`` on ``day``.

    ``board=None`` marks an index (a benchmark reference, not tradeable on an exchange): no
    lots or price limits apply. ``cash`` overrides the account's cash (the adapter passes
    the cash it will have once earlier orders of the same session have filled).
    """
    if wanted <= 0:
        return Sized(0.0, "nothing to trade")
    if board is not None:
        refused = can_trade(side, bar, price, prev_close, board, day, profile)
        if refused:
            return Sized(0.0, refused)
    elif bar is None:
        return Sized(0.0, "no bar")
    if side is Side.SELL:
        available = account.sellable(code, day)
        if available <= 0:
            return Sized(0.0, "T+1: bought today" if account.held(code) > 0 else "not held")
        shares = min(wanted, available)
        if not fractional and board is not None:
            shares = round_to_lot(shares, board, side, held=available)
        return Sized(shares, None if shares > 0 else "below one lot")
    budget = max_affordable_value(account.cash if cash is None else cash, day, profile)
    if not fractional and board is not None and round_to_lot(wanted, board, side) <= 0:
        return Sized(0.0, f"target below one lot ({wanted:.0f} shares wanted)")
    shares = min(wanted, budget / price)
    if not fractional and board is not None:
        shares = round_to_lot(shares, board, side)
    return Sized(shares, None if shares > 0 else "cash below one lot")


def fill(
    account: Account,
    code: str,
    side: Side,
    wanted: float,
    *,
    day: dt.date,
    bar: Bar | None,
    price: float,
    prev_close: float | None,
    board: Board | None,
    profile: MarketProfile,
    fractional: bool = False,
) -> tuple[Account, Fill | None, str | None]:
    """Execute one order against ``account``: the new account, the fill, or the refusal."""
    sized = size_order(
        account,
        code,
        side,
        wanted,
        day=day,
        bar=bar,
        price=price,
        prev_close=prev_close,
        board=board,
        profile=profile,
        fractional=fractional,
    )
    if sized.shares <= 0:
        return account, None, sized.reason
    fees = costs(side, sized.shares * price, day, profile)
    if side is Side.SELL and account.cash + sized.shares * price < fees.total:
        # a sale worth less than its fees (the 5 CNY minimum commission) would leave the
        # account owing the broker: refuse it rather than let cash go negative
        return (
            account,
            None,
            (
                f"sale of {sized.shares:g} {code} ({sized.shares * price:.2f} CNY) plus cash "
                f"{account.cash:.2f} cannot pay its fees {fees.total:.2f}"
            ),
        )
    made = Fill(
        day, code, side, sized.shares, price, fees.commission, fees.stamp_duty, fees.transfer_fee
    )
    shares = dict(account.shares)
    last_buy = dict(account.last_buy)
    if side is Side.BUY:
        cash = account.cash - made.value - made.fees
        shares[code] = shares.get(code, 0.0) + sized.shares
        last_buy[code] = day
    else:
        cash = account.cash + made.value - made.fees
        left = shares.get(code, 0.0) - sized.shares
        if left <= 1e-9:
            shares.pop(code, None)
        else:
            shares[code] = left
    return replace(account, cash=cash, shares=shares, last_buy=last_buy), made, None
