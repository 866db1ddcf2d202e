"""Days a series is missing against the exchange calendar (suspensions, or vendor gaps).

Between a series' first and last bar every session of the exchange calendar should have
a bar; a missing session is a suspension (the stock did not trade) or a gap in the
vendor's file (the Shenwan file lacks 2023-09-08). The cache records them per series.
"""

from __future__ import annotations

from functools import lru_cache

import pandas as pd

from coverbt.data.trading_calendar import trading_days

_CALENDAR_START = "1990-12-19"  # the Shanghai exchange's first session
_CALENDAR_END = "2035-12-31"


@lru_cache(maxsize=1)
def _all_sessions() -> pd.DatetimeIndex:
    return trading_days(_CALENDAR_START, _CALENDAR_END)


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
