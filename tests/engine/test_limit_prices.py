"""Limit prices follow the exchange's rounding, and no price short of the limit is refused.

The shared cases are read straight from the vendor CSVs with pandas; the expected values in
the comments were worked out by hand from those rows.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from coverbt.backtest.run import RunOptions, run_backtest
from coverbt.market.rules import (
    EXECUTION_PRICES,
    PROFILES,
    Bar,
    LimitPrices,
    Side,
    can_trade,
    grid_scale,
    limit_prices,
    price_limit,
    to_tick,
)
from coverbt.strategy.spec import StrategySpec
from coverbt.universe.boards import Board, classify_a_share

DEFAULT = PROFILES["a_share_default"]
OCT8 = dt.date(2024, 10, 8)
WINDOW = ("2024-06-07", "2024-12-31")
_AKSHARE = {"日期": "date", "开盘": "open", "收盘": "close", "最高": "high", "最低": "low"}


@pytest.mark.parametrize(
    ("prev", "limit", "down", "up"),
    [
        (28.62, 0.20, 22.90, 34.34),  # 34.344 -> 34.34; 22.896 -> 22.90
        (28.63, 0.20, 22.90, 34.36),  # 34.356 -> 34.36; 22.904 -> 22.90
        (4.99, 0.10, 4.49, 5.49),  # 5.489 -> 5.49; 4.491 -> 4.49
        (10.05, 0.10, 9.05, 11.06),  # 11.055 is a half: up (the float is 11.05499..)
        (3.33, 0.05, 3.16, 3.50),  # ST: 3.4965 -> 3.50; 3.1635 -> 3.16
        (25.05, 0.20, 20.04, 30.06),  # 30.06 exactly; 20.04 exactly
        (0.02, 0.30, 0.01, 0.03),  # 0.014 -> 0.01; 0.026 -> 0.03
        (0.01, 0.30, 0.01, 0.01),  # 0.007 would round to 0.01 anyway; never below one tick
    ],
)
def test_limit_prices_round_half_up_to_the_fen(
    prev: float, limit: float, down: float, up: float
) -> None:
    assert limit_prices(prev, limit) == LimitPrices(down, up)


# a limit and the board (ST or not) that has it
BOARD_OF_LIMIT = {
    0.05: (Board.SH_MAIN, True),
    0.10: (Board.SZ_MAIN, False),
    0.20: (Board.STAR, False),
    0.30: (Board.BSE, False),
}


@given(
    fen=st.integers(50, 100_000),  # previous close 0.50 .. 1000.00 CNY
    limit=st.sampled_from(sorted(BOARD_OF_LIMIT)),
    below=st.integers(1, 40),
)
def test_raw_prices_short_of_the_limit_always_trade(fen: int, limit: float, below: int) -> None:
    prev = fen / 100
    board, is_st = BOARD_OF_LIMIT[limit]
    band = limit_prices(prev, limit)

    def one_price(price: float) -> Bar:  # the worst case: the price is the day's high and low
        return Bar(open=price, high=price, low=price, close=price, is_st=is_st)

    buy = round(band.up - below / 100, 2)
    sell = round(band.down + below / 100, 2)
    if buy > band.down:
        assert can_trade(Side.BUY, one_price(buy), buy, prev, board, OCT8, DEFAULT) is None
    if sell < band.up:
        assert can_trade(Side.SELL, one_price(sell), sell, prev, board, OCT8, DEFAULT) is None
    up = can_trade(Side.BUY, one_price(band.up), band.up, prev, board, OCT8, DEFAULT)
    down = can_trade(Side.SELL, one_price(band.down), band.down, prev, board, OCT8, DEFAULT)
    assert up == "limit-up"
    # a 0.01 floor on a sub-yuan close can sit outside the band: bad data, refused anyway
    assert down in ("limit-down", "price outside the price-limit band (bad data?)")


@given(
    prev=st.floats(1.0, 500.0),
    ratio=st.floats(0.81, 1.19),
    high_over=st.floats(1e-6, 0.01),
    adjusted=st.booleans(),
)
def test_a_price_below_the_days_high_is_never_limit_up(
    prev: float, ratio: float, high_over: float, adjusted: bool
) -> None:
    price = prev * ratio
    high = price * (1 + high_over)
    bar = Bar(open=price, high=high, low=price * 0.99, close=high, adjusted=adjusted)
    assert can_trade(Side.BUY, bar, price, prev, Board.STAR, OCT8, DEFAULT) is None
    low = Bar(open=price, high=price * 1.01, low=price / (1 + high_over), close=price)
    assert can_trade(Side.SELL, low, price, prev, Board.STAR, OCT8, DEFAULT) is None


# --- the shared data -----------------------------------------------------------------------


def board_of(code: str) -> Board:
    hit = classify_a_share(code)
    assert hit is not None, code
    return hit[1]


def _bars(path: Path) -> pd.DataFrame:
    frame = pd.read_csv(path, encoding="utf-8-sig").rename(columns=_AKSHARE)
    frame["date"] = pd.to_datetime(frame["date"])
    frame = frame.set_index("date")[["open", "high", "low", "close"]].astype(float)
    frame["prev"] = frame["close"].shift(1)
    return frame


def _decide(
    frame: pd.DataFrame, code: str, at: str, day: str, scale: float | None = None
) -> str | None:
    row = frame.loc[day]
    bar = Bar(row.open, row.high, row.low, row.close, adjusted=True, scale=scale)
    price = float(row[at])
    return can_trade(Side.BUY, bar, price, float(row.prev), board_of(code), OCT8, DEFAULT)


def test_301091_opened_below_its_limit_on_2024_10_08_and_trades(market_data_dir: Path) -> None:
    bars = _bars(market_data_dir / "stock" / "tushare" / "301091.csv")
    row = bars.loc["2024-10-08"]
    # Tushare qfq: prev close 28.63, open 34.32, high = close = 34.35 (it closed limit-up)
    assert (row.prev, row.open, row.high, row.close) == (28.63, 34.32, 34.35, 34.35)
    assert _decide(bars, "301091", "open", "2024-10-08") is None
    assert _decide(bars, "301091", "close", "2024-10-08") == "limit-up"


def test_688568_opened_one_tick_under_its_limit_close_and_trades(market_data_dir: Path) -> None:
    bars = _bars(market_data_dir / "stock" / "akshare" / "688568.csv")
    row = bars.loc["2024-10-08"]
    # akshare qfq: prev close 25.05, open 30.07, high = close = 30.08 (+20.08% in the
    # additive qfq: the raw close was exactly at the limit)
    assert (row.prev, row.open, row.high, row.close) == (25.05, 30.07, 30.08, 30.08)
    assert _decide(bars, "688568", "open", "2024-10-08") is None
    assert _decide(bars, "688568", "close", "2024-10-08") == "limit-up"


@pytest.mark.parametrize(
    ("vendor", "file", "code"),
    [
        ("tushare", "300496.csv", "300496"),  # 52.49 -> opened and closed 62.99 (+20.00%)
        ("tushare", "603383.csv", "603383"),  # 36.95 -> 40.65 all day (+10.01%)
        ("akshare", "603383.csv", "603383"),  # 36.70 -> 40.47 all day (+10.27%, additive)
        ("akshare", "688631.csv", "688631"),  # 72.42 -> 86.98 all day (+20.10%, additive)
    ],
)
def test_a_limit_up_open_is_still_refused(
    market_data_dir: Path, vendor: str, file: str, code: str
) -> None:
    bars = _bars(market_data_dir / "stock" / vendor / file)
    row = bars.loc["2024-10-08"]
    assert row.open == row.high == row.close  # opened at the limit, closed there
    assert _decide(bars, code, "open", "2024-10-08") == "limit-up"


def _window_scale(bars: pd.DataFrame, day: str, back: int) -> float | None:
    at = int(bars.index.get_loc(pd.Timestamp(day)))
    rows = bars.iloc[at - back : at + 1][["open", "high", "low", "close"]]
    return grid_scale(list(rows.to_numpy().ravel()))


def test_baostock_decimals_give_back_the_raw_prices(market_data_dir: Path) -> None:
    """000099 opened at its high on 2024-10-08, one tick under the limit: it trades."""
    bars = _bars(market_data_dir / "stock" / "baostock" / "sz.000099.csv")
    scale = _window_scale(bars, "2024-10-08", back=10)
    assert scale is not None
    row = bars.loc["2024-10-08"]
    # raw: prev close 18.69, open = high 20.55; limit round(18.69 x 1.1 = 20.559) = 20.56
    assert (to_tick(row.prev / scale), to_tick(row.open / scale)) == (18.69, 20.55)
    assert row.open == row.high
    assert limit_prices(18.69, 0.10).up == 20.56
    assert _decide(bars, "000099", "open", "2024-10-08", scale) is None
    # without the scale the one-tick slack for rounded vendors would refuse it
    assert _decide(bars, "000099", "open", "2024-10-08") == "limit-up"
    # and a real one-price limit-up open in the same vendor's data stays refused
    bars = _bars(market_data_dir / "stock" / "baostock" / "sh.603383.csv")
    scale = _window_scale(bars, "2024-10-08", back=10)
    assert scale is not None
    row = bars.loc["2024-10-08"]
    # raw 37.70 -> 41.47 = round(37.70 x 1.1 = 41.47)
    assert (to_tick(row.prev / scale), to_tick(row.open / scale)) == (37.70, 41.47)
    assert _decide(bars, "603383", "open", "2024-10-08", scale) == "limit-up"


def test_no_open_below_the_days_high_is_refused_in_any_shared_series(
    market_data_dir: Path,
) -> None:
    """Every buy at an open short of the day's high is admitted; every open at a limit-up
    close (open = high = close at the limit ratio, within 0.5%) is refused."""
    admitted = refused = 0
    for path in sorted((market_data_dir / "stock").glob("*/*.csv")):
        code = path.stem.split(".")[-1]
        bars = _bars(path).loc[WINDOW[0] : WINDOW[1]].dropna()
        board = board_of(code)
        for day, row in bars.iterrows():
            limit = price_limit(board, day.date())
            bar = Bar(row.open, row.high, row.low, row.close, adjusted=True)
            why = can_trade(Side.BUY, bar, row.open, row.prev, board, day.date(), DEFAULT)
            if row.open < row.high:
                assert why is None or "band" in why, (path.name, day, why)
                admitted += 1
            elif row.open == row.close and abs(row.close / row.prev - 1 - limit) < 0.005:
                assert why == "limit-up", (path.name, day)
                refused += 1
    assert admitted > 3000 and refused >= 20


def test_the_engine_buys_the_opens_short_of_the_limit_on_2024_10_08(
    universe,  # type: ignore[no-untyped-def]
    report_market,
) -> None:
    """The first session after the 2024 National Day holiday, when most names opened at
    the limit: 301091 (Tushare), 688568 (akshare) and 000099 (baostock, raw 20.55 under a
    20.56 limit) opened short of it and are bought at the open; 603383 (baostock, raw 41.47
    = its limit) and 688631 (akshare, one price all day) are refused."""
    codes = ["000099", "301091", "603383", "688568", "688631"]
    spec = StrategySpec.model_validate(
        {"name": "oct8", "select": {"codes": codes}, "exit": {"horizon": "5D"}}
    )
    result = run_backtest(spec, universe, report_market, RunOptions(start=OCT8))
    buys = {f.code: (f.day, f.price) for f in result.engine.fills if f.side is Side.BUY}
    assert buys["301091"] == (OCT8, 34.32)
    assert buys["688568"] == (OCT8, 30.07)
    assert buys["000099"] == (OCT8, 20.38615485)
    refused = {(r.code, r.reason) for r in result.engine.refusals if r.day == OCT8}
    assert refused == {("603383", "limit-up"), ("688631", "limit-up")}
    basis = result.engine.execution_prices
    assert basis["qfq"] == {"codes": codes, "how": EXECUTION_PRICES[True]}
    # 000099 and 603383: baostock's decimals give the raw prices back; akshare rounds its
    # qfq prices to the fen, so 688631's scale stays unknown
    # (later orders at a day's high or low are counted too)
    tests = basis["limit_tests_at_day_extreme"]
    assert isinstance(tests, dict) and tests["scale_found"] >= 2 and tests["scale_unknown"] >= 1
