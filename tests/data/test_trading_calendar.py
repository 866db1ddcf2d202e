"""The trading calendar has explicit bounds: its answers never depend on the day it runs."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
import time_machine

from coverbt.data import trading_calendar
from coverbt.data.trading_calendar import (
    FIRST_SESSION,
    CalendarRangeError,
    known_trading_days,
    last_known_day,
    next_session,
    trading_days,
)
from coverbt.horizon import horizon_end

CLOCKS = [dt.datetime(2024, 7, 1, tzinfo=dt.UTC), dt.datetime(2031, 6, 30, tzinfo=dt.UTC)]


@pytest.mark.parametrize("clock", CLOCKS, ids=["2024-07-01", "2031-06-30"])
def test_bounds_and_sessions_do_not_move_with_the_clock(clock: dt.datetime) -> None:
    before = trading_days("2006-11-24", "2026-07-31")
    trading_calendar._calendar.cache_clear()
    try:
        with time_machine.travel(clock):
            assert dt.date.today() == clock.date()
            again = trading_days("2006-11-24", "2026-07-31")
            assert again.equals(before) and again[0] == pd.Timestamp("2006-11-24")
            assert trading_calendar._calendar().first_session == FIRST_SESSION
            assert last_known_day() >= pd.Timestamp("2026-12-31")
    finally:
        trading_calendar._calendar.cache_clear()


def test_the_first_sessions_are_the_exchanges() -> None:
    assert trading_days("1980-01-01", "1990-12-24")[:4].strftime("%Y-%m-%d").tolist() == [
        "1990-12-19", "1990-12-20", "1990-12-21", "1990-12-24"
    ]  # fmt: skip
    assert next_session("1970-01-01") == FIRST_SESSION


def test_a_date_beyond_the_calendar_is_a_clear_error() -> None:
    later = last_known_day() + pd.Timedelta(days=30)
    with pytest.raises(CalendarRangeError) as info:
        trading_days("2024-06-07", later)
    text = str(info.value)
    assert f"{later.date()} lies after {last_known_day().date()}" in text
    assert "pip install -U exchange-calendars" in text
    with pytest.raises(CalendarRangeError):
        next_session(last_known_day())
    with pytest.raises(CalendarRangeError):
        horizon_end(last_known_day() - pd.Timedelta(days=10), "1M")
    # callers that only need what the calendar vouches for clip instead
    assert known_trading_days("2026-12-20", later)[-1] == last_known_day()
