"""Property tests of the pure order execution: the market's invariants hold for any input."""

from __future__ import annotations

import datetime as dt

from hypothesis import given, settings
from hypothesis import strategies as st

from coverbt.market.execution import Account, fill
from coverbt.market.rules import PROFILES, Bar, Side, price_limit, within_limits
from coverbt.universe.boards import Board

BOARDS = [Board.SH_MAIN, Board.CHINEXT, Board.STAR]
START = dt.date(2023, 8, 21)


@st.composite
def sessions(draw: st.DrawFn) -> list[tuple[Bar | None, list[tuple[str, float, bool]]]]:
    """A few sessions of one stock: a bar (or None = suspended) and the day's orders."""
    days = []
    close = draw(st.floats(5, 200))
    for _ in range(draw(st.integers(1, 12))):
        if draw(st.booleans()) and draw(st.booleans()):
            days.append((None, draw(_orders())))
            continue
        ratios = draw(st.lists(st.floats(0.8, 1.2), min_size=4, max_size=4))
        prices = [close * r for r in ratios]
        bar = Bar(
            open=prices[0],
            high=max(prices),
            low=min(prices),
            close=prices[3],
            volume=draw(st.sampled_from([0.0, 1e5])),
            adjusted=draw(st.booleans()),
        )
        days.append((bar, draw(_orders())))
        close = bar.close
    return days


def _orders() -> st.SearchStrategy[list[tuple[str, float, bool]]]:
    order = st.tuples(st.sampled_from(["buy", "sell"]), st.floats(0, 5_000), st.booleans())
    return st.lists(order, max_size=4)


@settings(max_examples=200, deadline=None)
@given(
    days=sessions(),
    board=st.sampled_from(BOARDS),
    cash=st.floats(0, 500_000),
    fractional=st.booleans(),
    profile=st.sampled_from(["a_share_default", "no_costs"]),
)
def test_invariants(days, board, cash, fractional, profile) -> None:  # type: ignore[no-untyped-def]
    rules = PROFILES[profile]
    account = Account(cash=cash)
    prev_close: float | None = None
    for i, (bar, orders) in enumerate(days):
        day = START + dt.timedelta(days=i)
        bought_today = 0.0
        for side_text, wanted, at_open in orders:
            side = Side(side_text)
            price = (bar.open if at_open else bar.close) if bar else 10.0
            held_before = account.held("X")
            account, made, why = fill(
                account,
                "X",
                side,
                wanted,
                day=day,
                bar=bar,
                price=price,
                prev_close=prev_close,
                board=board,
                profile=rules,
                fractional=fractional,
            )
            assert account.cash >= -1e-6  # cash never negative
            # a limit refusal only at the day's extreme: a price short of it was short of
            # the limit price
            if why == "limit-up":
                assert bar is not None and price >= bar.high * (1 - 1e-9)
            if why == "limit-down":
                assert bar is not None and price <= bar.low * (1 + 1e-9)
            assert account.held("X") >= 0  # no negative position
            if made is None:
                continue
            assert bar is not None and bar.volume > 0  # no trade on a suspended day
            assert bar.low - 1e-9 <= made.price <= bar.high + 1e-9  # inside the day's range
            if prev_close is not None:
                assert within_limits(made.price, prev_close, price_limit(board, day))
            if side is Side.BUY:
                bought_today += made.shares
            else:  # T+1: what was bought today cannot be sold today
                assert bought_today == 0.0
                assert made.shares <= held_before + 1e-9
            if not fractional and side is Side.BUY:
                step = 1 if board is Board.STAR else 100
                assert made.shares % step == 0 and made.shares >= (200 if step == 1 else 100)
        if bar is not None:
            prev_close = bar.close


def test_a_sale_worth_less_than_its_fees_is_refused_not_overdrawn() -> None:
    """Regression found by test_invariants: 6 CNY of cash buys ~1 CNY of stock after the
    5 CNY minimum commission; selling it would cost another 5 CNY and leave cash at -4."""
    bar = Bar(open=5.0, high=5.0, low=5.0, close=5.0, volume=100_000.0, is_st=False)
    kwargs = {
        "bar": bar,
        "price": 5.0,
        "prev_close": 5.0,
        "board": Board.SH_MAIN,
        "profile": PROFILES["a_share_default"],
        "fractional": True,
    }
    account, bought, _ = fill(
        Account(cash=6.0), "X", Side.BUY, 1.0, day=dt.date(2024, 6, 24), **kwargs
    )
    assert bought is not None and account.cash >= 0
    after, sold, why = fill(account, "X", Side.SELL, 1.0, day=dt.date(2024, 6, 26), **kwargs)
    assert sold is None and after == account
    assert why is not None and "cannot pay its fees" in why
