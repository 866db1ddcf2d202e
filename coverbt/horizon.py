"""When a recommendation is entered and when its horizon ends (one definition for all).

No look-ahead: a report published on day ``P`` (a Sunday for the shared report) can only
be acted on at the **open of the first session strictly after P**. A horizon of N months
ends at the **close of the last session on or before entry + N months**.
"""

from __future__ import annotations

import datetime as dt
import re

import pandas as pd

from coverbt.data.trading_calendar import next_session, trading_days

_HORIZON = re.compile(r"^\s*(\d+)\s*([MWD])\s*$", re.IGNORECASE)
MAX_HORIZON_YEARS = 30  # longer than any rating promise; keeps dates inside pandas' range
_PER_YEAR = {"M": 12, "W": 52, "D": 366}
_LOOKBACK_DAYS = 40  # longer than any exchange closure (Spring Festival, 2020s)


def entry_session(published: dt.date | str) -> pd.Timestamp:
    """First session strictly after the publication date.

    Examples
    --------
    >>> entry_session("2024-06-23").date()
    datetime.date(2024, 6, 24)
    """
    return next_session(published, strictly_after=True)


def parse_horizon(text: str) -> pd.DateOffset:
    """``"6M"`` -> 6 months, ``"2W"`` -> 2 weeks, ``"10D"`` -> 10 calendar days."""
    match = _HORIZON.match(text)
    if not match:
        raise ValueError(f"horizon {text!r} is not like 1M, 3M, 6M, 12M, 2W or 10D")
    n, unit = int(match.group(1)), match.group(2).upper()
    if n <= 0:
        raise ValueError(f"horizon {text!r} must be positive")
    if n > MAX_HORIZON_YEARS * _PER_YEAR[unit]:
        raise ValueError(
            f"horizon {text!r} is longer than {MAX_HORIZON_YEARS} years "
            f"(at most {MAX_HORIZON_YEARS * _PER_YEAR[unit]}{unit})"
        )
    return {"M": pd.DateOffset(months=n), "W": pd.DateOffset(weeks=n), "D": pd.DateOffset(days=n)}[
        unit
    ]


def horizon_end(entry: pd.Timestamp | dt.date | str, horizon: str | pd.DateOffset) -> pd.Timestamp:
    """Last session on or before ``entry + horizon``.

    Examples
    --------
    >>> horizon_end("2024-06-24", "6M").date()
    datetime.date(2024, 12, 24)
    """
    offset = parse_horizon(horizon) if isinstance(horizon, str) else horizon
    start = pd.Timestamp(entry)
    target = start + offset
    sessions = trading_days(start, target)
    if len(sessions) == 0:
        raise ValueError(f"no session between {start.date()} and {target.date()}")
    return pd.Timestamp(sessions[-1])


def session_before(published: dt.date | str) -> pd.Timestamp:
    """Last session strictly before the publication date (whose close a ``prior_close``
    entry uses).

    Examples
    --------
    >>> session_before("2024-06-23").date()
    datetime.date(2024, 6, 21)
    """
    day = pd.Timestamp(published)
    sessions = trading_days(day - pd.DateOffset(days=_LOOKBACK_DAYS), day - pd.Timedelta(days=1))
    if len(sessions) == 0:
        raise ValueError(f"no session in the {_LOOKBACK_DAYS} days before {day.date()}")
    return pd.Timestamp(sessions[-1])


def planned_exit(
    published: dt.date | str, horizon: str | pd.DateOffset, *, anchor: str = "entry"
) -> pd.Timestamp:
    """The horizon end counted from the entry session (``anchor="entry"``, the default) or
    from the publication date (``anchor="publication"``).

    Examples
    --------
    >>> planned_exit("2024-06-23", "6M").date(), planned_exit(
    ...     "2024-06-23", "6M", anchor="publication").date()
    (datetime.date(2024, 12, 24), datetime.date(2024, 12, 23))
    """
    start = entry_session(published) if anchor == "entry" else pd.Timestamp(published)
    return horizon_end(start, horizon)
