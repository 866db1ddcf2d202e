"""What a run's window allows a tearsheet to show (pure, offline).

* **Sessions per year** are counted, not assumed: the XSHG sessions in each full calendar
  year the window touches (2024 had 242), averaged and rounded to a whole number. That
  integer is the tearsheet's ``Periods/Year`` and every annualisation uses it.
* **Rolling windows fit the run.** quantstats draws rolling panels over 6 months (and beta
  over 12), which leaves them empty on a 6-month run. A rolling window here is the longest of
  6, 3 or 1 months (in sessions) that is at most half the run, so each line covers at least
  half of the run; a run shorter than two 1-month windows gets no rolling panels, and a note.
* **Under one year** (fewer sessions than a year holds) an annual figure is an extrapolation:
  the tearsheet's headline is the total return over the window instead.

Examples
--------
>>> idx = trading_calendar.trading_days("2024-06-24", "2024-12-24")
>>> w = fit_window(idx)
>>> (w.sessions, w.sessions_per_year, w.basis, w.under_one_year)
(125, 242, 'XSHG sessions in 2024', True)
>>> [r.label for r in w.rolling]
['61-session (3-month)', '20-session (1-month)']
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import pandas as pd

from coverbt.data import trading_calendar

# used only when no full calendar year of the window is known to the calendar
FALLBACK_SESSIONS_PER_YEAR = 242
ROLLING_MONTHS: tuple[int, ...] = (6, 3, 1)  # candidate rolling windows, longest first
MIN_WINDOWS_PER_RUN = 2  # a rolling window is at most 1/2 of the run: its line covers >= 1/2
MONTHS_PER_YEAR = 12


@dataclass(frozen=True)
class RollingWindow:
    """A rolling window of ``sessions`` sessions, about ``months`` months long."""

    months: int
    sessions: int

    @property
    def label(self) -> str:
        return f"{self.sessions}-session ({self.months}-month)"


@dataclass(frozen=True)
class TearsheetWindow:
    """The run's window as the tearsheet sees it.

    Attributes
    ----------
    start, end : the first and last session with a return.
    sessions : the number of returns (one per session).
    sessions_per_year : the whole number of XSHG sessions per year used to annualise.
    basis : where ``sessions_per_year`` comes from, in words.
    rolling : rolling windows that fit the run, longest first (empty: too short for any).
    """

    start: pd.Timestamp
    end: pd.Timestamp
    sessions: int
    sessions_per_year: int
    basis: str
    rolling: tuple[RollingWindow, ...]

    @property
    def under_one_year(self) -> bool:
        """Whether the run holds fewer sessions than a year (annual figures extrapolate)."""
        return self.sessions < self.sessions_per_year

    @property
    def rolling_note(self) -> str:
        """Why the rolling panels look as they do (or are absent)."""
        if not self.rolling:
            shortest = _sessions(min(ROLLING_MONTHS), self.sessions_per_year)
            return (
                f"Rolling panels omitted: the run has {self.sessions} sessions, fewer than "
                f"{MIN_WINDOWS_PER_RUN} x {shortest} (two 1-month windows)."
            )
        return (
            f"Rolling windows fit the run: {self.rolling[0].label}, at most 1/"
            f"{MIN_WINDOWS_PER_RUN} of its {self.sessions} sessions; each line starts once "
            "its first window is full."
        )


def sessions_per_year(start: pd.Timestamp, end: pd.Timestamp) -> tuple[int, str]:
    """XSHG sessions per year over the calendar years ``start`` to ``end`` touch.

    Only years the calendar knows in full count (not 1990, the exchange's first, partial
    year, nor a year past :func:`~coverbt.data.trading_calendar.last_known_day`).

    Examples
    --------
    >>> sessions_per_year(pd.Timestamp("2023-06-01"), pd.Timestamp("2024-03-01"))
    (242, 'mean of XSHG sessions in 2023-2024 (242, 242)')
    """
    last = trading_calendar.last_known_day()
    first_full = trading_calendar.FIRST_SESSION.year + 1
    years = [
        y
        for y in range(start.year, end.year + 1)
        if y >= first_full and pd.Timestamp(year=y, month=12, day=31) <= last
    ]
    if not years:
        return FALLBACK_SESSIONS_PER_YEAR, "fallback (no full calendar year known)"
    counts = [len(trading_calendar.trading_days(f"{y}-01-01", f"{y}-12-31")) for y in years]
    mean = round(sum(counts) / len(counts))
    if len(years) == 1:
        return mean, f"XSHG sessions in {years[0]}"
    listed = ", ".join(str(c) for c in counts)
    return mean, f"mean of XSHG sessions in {years[0]}-{years[-1]} ({listed})"


def _sessions(months: int, per_year: int) -> int:
    return max(1, math.floor(per_year * months / MONTHS_PER_YEAR + 0.5))


def fit_window(index: pd.DatetimeIndex) -> TearsheetWindow:
    """The :class:`TearsheetWindow` of a run whose returns are dated by ``index``."""
    start, end = pd.Timestamp(index[0]), pd.Timestamp(index[-1])
    per_year, basis = sessions_per_year(start, end)
    fitting = tuple(
        RollingWindow(months, _sessions(months, per_year))
        for months in ROLLING_MONTHS
        if _sessions(months, per_year) * MIN_WINDOWS_PER_RUN <= len(index)
    )
    return TearsheetWindow(start, end, len(index), per_year, basis, fitting)


def rolling_volatility(returns: pd.Series, window: int, per_year: int) -> pd.Series:
    """Annualised standard deviation of ``returns`` over each ``window`` sessions."""
    return returns.rolling(window).std() * math.sqrt(per_year)


def rolling_sharpe(returns: pd.Series, window: int, per_year: int) -> pd.Series:
    """Annualised mean over standard deviation of each ``window`` sessions (risk-free 0)."""
    rolled = returns.rolling(window)
    spread = rolled.std()
    return rolled.mean() / spread.where(spread > 0) * math.sqrt(per_year)


def rolling_sortino(returns: pd.Series, window: int, per_year: int) -> pd.Series:
    """Annualised mean over downside deviation, ``sqrt(mean(min(r, 0)^2))``, per window."""
    downside = (returns.clip(upper=0.0) ** 2).rolling(window).mean() ** 0.5
    return returns.rolling(window).mean() / downside.where(downside > 0) * math.sqrt(per_year)


def rolling_beta(returns: pd.Series, benchmark: pd.Series, window: int) -> pd.Series:
    """``cov(r, b) / var(b)`` over each ``window`` sessions (NaN until the window is full)."""
    spread = benchmark.rolling(window).var()
    return returns.rolling(window).cov(benchmark) / spread.where(spread > 0)
