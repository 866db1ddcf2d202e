"""The A-share trading calendar (Shanghai Stock Exchange sessions, offline).

The calendar is built with **explicit bounds**, so its answer never depends on the day the
program runs: from the exchange's first session, :data:`FIRST_SESSION` (1990-12-19), to the
last day whose holidays ``exchange_calendars`` knows (:func:`last_known_day`, the library's
``bound_max``; 2026-12-31 for exchange-calendars 4.13). ``exchange_calendars`` would by
default start at "today minus 20 years", which made results depend on the clock.

There were no sessions before 1990-12-19, so a window starting earlier is simply clipped.
Nothing is known after :func:`last_known_day`: a question about later sessions raises
:class:`CalendarRangeError`, which says so and how to fix it (a newer exchange-calendars),
instead of guessing holidays.
"""

from __future__ import annotations

import datetime as dt
import warnings
from functools import lru_cache

import exchange_calendars as xcals
import pandas as pd

from coverbt.data.calendar_span import FIRST_SESSION_DAY
from coverbt.errors import InputError

EXCHANGE = "XSHG"
FIRST_SESSION = pd.Timestamp(FIRST_SESSION_DAY)


class CalendarRangeError(InputError):
    """A date lies outside the sessions the trading calendar knows."""


@lru_cache(maxsize=1)
def _calendar() -> xcals.ExchangeCalendar:
    factory = xcals.calendar_utils.global_calendar_dispatcher._calendar_factories[EXCHANGE]
    end = factory.bound_max()
    if end is None:  # a calendar without a holiday horizon: bound it by its own data
        end = pd.Timestamp("2099-12-31")
    # exchange_calendars 4.x calls a pandas API that pandas 3.1 deprecates (Pandas4Warning,
    # raised with stacklevel=1 so it cannot be filtered by module): silence it here only.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", pd.errors.Pandas4Warning)
        return factory(start=FIRST_SESSION, end=pd.Timestamp(end))


def last_known_day() -> pd.Timestamp:
    """The last day the calendar knows (its holidays are recorded up to this day).

    Examples
    --------
    >>> last_known_day() >= pd.Timestamp("2026-12-31")
    True
    """
    return pd.Timestamp(_calendar().last_session)


def beyond_calendar_error(day: dt.date | str | pd.Timestamp, what: str = "date") -> InputError:
    """The error for a ``day`` after :func:`last_known_day` (``what`` names the date)."""
    last = last_known_day().date()
    return CalendarRangeError(
        f"{what} {pd.Timestamp(day).date()} lies after {last}, the last day whose XSHG "
        f"holidays exchange-calendars {xcals.__version__} knows, so its sessions are unknown",
        expected=f"a date up to {last}",
        fix="upgrade the calendar (`pip install -U exchange-calendars`) or choose an earlier date",
    )


def _check_known(day: pd.Timestamp, what: str) -> None:
    if day > last_known_day():
        raise beyond_calendar_error(day, what)


def trading_days(start: dt.date | str, end: dt.date | str) -> pd.DatetimeIndex:
    """Sessions in ``[start, end]`` as a tz-naive ``DatetimeIndex``.

    Raises
    ------
    CalendarRangeError
        when ``end`` lies after :func:`last_known_day`.

    Examples
    --------
    >>> len(trading_days("2024-06-07", "2024-12-31"))
    140
    >>> trading_days("1990-01-01", "1990-12-21").strftime("%Y-%m-%d").tolist()
    ['1990-12-19', '1990-12-20', '1990-12-21']
    """
    lo, hi = max(pd.Timestamp(start), FIRST_SESSION), pd.Timestamp(end)
    _check_known(hi, "end date")
    if lo > hi:
        return pd.DatetimeIndex([], name="date")
    sessions = _calendar().sessions_in_range(lo, hi)
    return pd.DatetimeIndex(sessions.tz_localize(None) if sessions.tz else sessions, name="date")


def known_trading_days(start: dt.date | str, end: dt.date | str) -> pd.DatetimeIndex:
    """Like :func:`trading_days`, but clipped at :func:`last_known_day` instead of raising:
    for callers that only need the sessions the calendar can vouch for."""
    return trading_days(start, min(pd.Timestamp(end), last_known_day()))


def next_session(day: dt.date | str, *, strictly_after: bool = True) -> pd.Timestamp:
    """The first session after ``day`` (or on it, when ``strictly_after`` is False).

    Examples
    --------
    >>> next_session("2024-06-23").date()
    datetime.date(2024, 6, 24)
    >>> next_session("1980-01-01").date()
    datetime.date(1990, 12, 19)
    """
    ts = max(pd.Timestamp(day), FIRST_SESSION - pd.Timedelta(days=1))
    later = trading_days(
        ts + pd.Timedelta(days=0 if not strictly_after else 1),
        min(ts + pd.Timedelta(days=40), last_known_day()),
    )
    if len(later) == 0:
        raise beyond_calendar_error(ts + pd.Timedelta(days=1), "the session after")
    return pd.Timestamp(later[0])


def periods_per_year(start: dt.date | str, end: dt.date | str) -> float:
    """Average number of sessions per calendar year over ``[start, end]`` (for annualising)."""
    days = trading_days(start, end)
    years = (pd.Timestamp(end) - pd.Timestamp(start)).days / 365.25
    if years <= 0 or len(days) == 0:
        raise ValueError("periods_per_year needs a window of positive length")
    return len(days) / years
