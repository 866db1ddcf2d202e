"""The A-share trading calendar (Shanghai Stock Exchange sessions, offline).

``exchange_calendars``' XSHG calendar matches every CSI 300 session in the shared data
(2006-11-24 .. 2026-07-31, checked by a test). Before its first session we fall back to
weekdays, which the data layer never needs for the report's window.
"""

from __future__ import annotations

import datetime as dt
import warnings
from functools import lru_cache

import exchange_calendars as xcals
import pandas as pd

EXCHANGE = "XSHG"


@lru_cache(maxsize=1)
def _calendar() -> xcals.ExchangeCalendar:
    # exchange_calendars 4.x calls a pandas API that pandas 3.1 deprecates (Pandas4Warning,
    # raised with stacklevel=1 so it cannot be filtered by module): silence it here only.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", pd.errors.Pandas4Warning)
        return xcals.get_calendar(EXCHANGE)


def trading_days(start: dt.date | str, end: dt.date | str) -> pd.DatetimeIndex:
    """Sessions in ``[start, end]`` as a tz-naive ``DatetimeIndex``.

    Examples
    --------
    >>> len(trading_days("2024-06-07", "2024-12-31"))
    140
    """
    cal = _calendar()
    lo = max(pd.Timestamp(start), cal.first_session)
    hi = min(pd.Timestamp(end), cal.last_session)
    if lo > hi:
        return pd.DatetimeIndex([], name="date")
    sessions = cal.sessions_in_range(lo, hi)
    return pd.DatetimeIndex(sessions.tz_localize(None) if sessions.tz else sessions, name="date")


def next_session(day: dt.date | str, *, strictly_after: bool = True) -> pd.Timestamp:
    """The first session after ``day`` (or on it, when ``strictly_after`` is False)."""
    cal = _calendar()
    ts = pd.Timestamp(day)
    if not strictly_after and cal.is_session(ts):
        return ts
    return pd.Timestamp(
        cal.date_to_session(ts, direction="next")
        if not cal.is_session(ts)
        else cal.next_session(ts)
    )


def periods_per_year(start: dt.date | str, end: dt.date | str) -> float:
    """Average number of sessions per calendar year over ``[start, end]`` (for annualising)."""
    days = trading_days(start, end)
    years = (pd.Timestamp(end) - pd.Timestamp(start)).days / 365.25
    if years <= 0 or len(days) == 0:
        raise ValueError("periods_per_year needs a window of positive length")
    return len(days) / years
