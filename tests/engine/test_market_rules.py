"""A-share rules: fees and stamp duty by date, price limits by board, lots, suspensions."""

from __future__ import annotations

import datetime as dt

import pytest

from coverbt.market.rules import (
    PROFILES,
    Bar,
    Side,
    can_trade,
    costs,
    max_affordable_value,
    price_limit,
    round_to_lot,
)
from coverbt.universe.boards import Board

DEFAULT = PROFILES["a_share_default"]
DAY = dt.date(2024, 6, 24)


def test_sell_before_and_after_the_stamp_duty_cut_pinned_by_hand() -> None:
    # 1,000 shares sold at 25.00 CNY = 25,000 CNY.
    # 2023-08-25 (Fri): commission 25,000 x 0.00025 = 6.25; stamp 25,000 x 0.1% = 25.00;
    #                   transfer 25,000 x 0.001% = 0.25
    # 2023-08-28 (Mon): stamp halves to 0.05% = 12.50; the rest unchanged
    before = costs(Side.SELL, 25_000.0, dt.date(2023, 8, 25), DEFAULT)
    after = costs(Side.SELL, 25_000.0, dt.date(2023, 8, 28), DEFAULT)
    assert (before.commission, before.stamp_duty, before.transfer_fee) == (6.25, 25.0, 0.25)
    assert (after.commission, after.stamp_duty, after.transfer_fee) == (6.25, 12.5, 0.25)
    assert before.total == pytest.approx(31.5) and after.total == pytest.approx(19.0)


def test_buys_pay_no_stamp_duty_and_at_least_five_yuan_commission() -> None:
    small = costs(Side.BUY, 4_000.0, DAY, DEFAULT)  # 4,000 x 0.00025 = 1.00 < 5 minimum
    assert (small.commission, small.stamp_duty, small.transfer_fee) == (5.0, 0.0, 0.04)


def test_transfer_fee_halved_on_2022_04_29() -> None:
    assert costs(Side.BUY, 1e6, dt.date(2022, 4, 28), DEFAULT).transfer_fee == 20.0
    assert costs(Side.BUY, 1e6, dt.date(2022, 4, 29), DEFAULT).transfer_fee == 10.0


def test_no_costs_profile_is_free() -> None:
    assert costs(Side.SELL, 1e6, DAY, PROFILES["no_costs"]).total == 0.0


@pytest.mark.parametrize(
    ("board", "day", "st", "limit"),
    [
        (Board.SH_MAIN, DAY, False, 0.10),
        (Board.SZ_MAIN, DAY, True, 0.05),
        (Board.CHINEXT, dt.date(2020, 8, 21), False, 0.10),
        (Board.CHINEXT, dt.date(2020, 8, 24), False, 0.20),
        (Board.CHINEXT, DAY, True, 0.20),
        (Board.STAR, DAY, False, 0.20),
    ],
)
def test_price_limits_by_board_and_date(board: Board, day: dt.date, st: bool, limit: float) -> None:
    assert price_limit(board, day, is_st=st) == limit


def test_no_buy_at_limit_up_no_sell_at_limit_down() -> None:
    up = Bar(open=11.0, high=11.0, low=11.0, close=11.0)
    down = Bar(open=9.0, high=9.0, low=9.0, close=9.0)
    assert can_trade(Side.BUY, up, 11.0, 10.0, Board.SH_MAIN, DAY, DEFAULT) == "limit-up"
    assert can_trade(Side.SELL, up, 11.0, 10.0, Board.SH_MAIN, DAY, DEFAULT) is None
    assert can_trade(Side.SELL, down, 9.0, 10.0, Board.SH_MAIN, DAY, DEFAULT) == "limit-down"
    assert can_trade(Side.BUY, down, 9.0, 10.0, Board.SH_MAIN, DAY, DEFAULT) is None
    # +10% is limit-up on the main board but not on ChiNext (20%)
    assert can_trade(Side.BUY, up, 11.0, 10.0, Board.CHINEXT, DAY, DEFAULT) is None
    # the exchange rounds the limit price half up to the fen: 4.99 x 1.1 = 5.489 -> 5.49
    rounded = Bar(open=5.49, high=5.49, low=5.49, close=5.49)
    assert can_trade(Side.BUY, rounded, 5.49, 4.99, Board.SH_MAIN, DAY, DEFAULT) == "limit-up"
    # one tick short of it is no limit-up, even as the day's only price
    short = Bar(open=5.48, high=5.48, low=5.48, close=5.48)
    assert can_trade(Side.BUY, short, 5.48, 4.99, Board.SH_MAIN, DAY, DEFAULT) is None
    # the frictionless profile ignores limits; nobody ignores a suspension
    assert can_trade(Side.BUY, up, 11.0, 10.0, Board.SH_MAIN, DAY, PROFILES["frictionless"]) is None
    assert can_trade(Side.BUY, None, 11.0, 10.0, Board.SH_MAIN, DAY, DEFAULT) == "suspended"
    halted = Bar(open=10.0, high=10.0, low=10.0, close=10.0, volume=0.0)
    assert can_trade(Side.SELL, halted, 10.0, 10.0, Board.SH_MAIN, DAY, DEFAULT) == "suspended"


def test_st_stock_limit_is_five_percent() -> None:
    st = Bar(open=10.5, high=10.5, low=10.5, close=10.5, is_st=True)
    assert can_trade(Side.BUY, st, 10.5, 10.0, Board.SH_MAIN, DAY, DEFAULT) == "limit-up"


def test_lots() -> None:
    assert round_to_lot(199.0, Board.CHINEXT, Side.BUY) == 100.0
    assert round_to_lot(99.0, Board.SZ_MAIN, Side.BUY) == 0.0
    assert round_to_lot(199.0, Board.STAR, Side.BUY) == 0.0
    assert round_to_lot(201.9, Board.STAR, Side.BUY) == 201.0
    # odd lots only when the whole holding goes
    assert round_to_lot(250.0, Board.SH_MAIN, Side.SELL, held=250.0) == 250.0
    assert round_to_lot(249.0, Board.SH_MAIN, Side.SELL, held=250.0) == 200.0
    assert round_to_lot(150.0, Board.STAR, Side.SELL, held=250.0) == 0.0
    assert round_to_lot(150.0, Board.STAR, Side.SELL, held=150.0) == 150.0


def test_affordable_value_leaves_room_for_fees() -> None:
    for cash in (1_000.0, 20_000.0, 123_456.78, 5e6):
        value = max_affordable_value(cash, DAY, DEFAULT)
        assert value + costs(Side.BUY, value, DAY, DEFAULT).total <= cash
        assert value > cash * 0.99 - 6
