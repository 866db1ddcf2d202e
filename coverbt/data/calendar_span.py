"""The span of days the trading calendar knows, without importing it when it is not needed.

Importing exchange_calendars (and pandas with it) costs about half a second. Checking that a
universe file's dates lie in the calendar only needs its first and last day, and every date
up to :data:`SURELY_KNOWN_UNTIL` is known by every supported exchange_calendars (a test pins
``last_known_day() >= SURELY_KNOWN_UNTIL``): only a later date asks the calendar itself.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

FIRST_SESSION_DAY = dt.date(1990, 12, 19)  # the Shanghai Stock Exchange's first session
SURELY_KNOWN_UNTIL = dt.date(2025, 12, 31)


def known_span(days: Iterable[dt.date]) -> tuple[dt.date, dt.date]:
    """``(first, last)`` known day; the calendar is consulted only for a day past the bound.

    Examples
    --------
    >>> known_span([dt.date(2024, 6, 23)])
    (datetime.date(1990, 12, 19), datetime.date(2025, 12, 31))
    """
    if all(day <= SURELY_KNOWN_UNTIL for day in days):
        return FIRST_SESSION_DAY, SURELY_KNOWN_UNTIL
    from coverbt.data.trading_calendar import last_known_day

    return FIRST_SESSION_DAY, last_known_day().date()
