"""Days a series is missing against the exchange calendar (suspensions, or vendor gaps).

Between a series' first and last bar every session of the exchange calendar should have
a bar; a missing session is a suspension (the stock did not trade) or a gap in the
vendor's file (the Shenwan file lacks 2023-09-08). The cache records them per series.
"""

from __future__ import annotations

from functools import lru_cache

import pandas as pd

from coverbt.data.trading_calendar import FIRST_SESSION, last_known_day, trading_days


@lru_cache(maxsize=1)
def _all_sessions() -> pd.DatetimeIndex:
    """Every session the calendar knows (days after its last known day count as none)."""
    return trading_days(FIRST_SESSION, last_known_day())


def missing_sessions(index: pd.DatetimeIndex) -> pd.DatetimeIndex:
    """Sessions in ``[index[0], index[-1]]`` that ``index`` lacks.

    Examples
    --------
    >>> days = pd.DatetimeIndex(["2024-06-07", "2024-06-12"])
    >>> [d.date().isoformat() for d in missing_sessions(days)]
    ['2024-06-11']
    """
    if len(index) == 0:
        return pd.DatetimeIndex([], name="date")
    sessions = _all_sessions()
    lo = sessions.searchsorted(index[0], side="left")
    hi = sessions.searchsorted(index[-1], side="right")
    window = sessions[lo:hi]
    return pd.DatetimeIndex(window.difference(index), name="date")
