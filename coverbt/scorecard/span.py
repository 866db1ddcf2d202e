"""Entry, exit and the return path of one holding over one horizon (pure, no I/O).

Conventions (one place, used for stocks, the benchmark and the industry index):

- **entry** at the OPEN of the first session on or after the planned entry
  (:func:`coverbt.horizon.entry_session`) on which the security traded. A stock suspended on
  the planned day is entered at the first open after it resumes.
- **exit** at the CLOSE of the last session on or before the planned horizon end
  (:func:`coverbt.horizon.horizon_end`) on which it traded. A stock suspended at the horizon
  end is valued at its last close before.
- **return** = exit close / entry open - 1 on forward-adjusted (qfq) prices, so dividends
  count as reinvested. The benchmark return is taken over the SAME two dates with the same
  open-to-close convention (indexes are price indexes: no dividends).
- a day "traded" when it has a bar with a positive volume.
- data that does not reach the planned window (series ends before the horizon end or starts
  after the entry) gives a reason instead of a number: nothing is guessed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import SupportsFloat, cast

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class Span:
    """A holding from ``entry`` (open) to ``exit`` (close) and its closes in between."""

    entry: pd.Timestamp
    exit: pd.Timestamp
    entry_open: float
    exit_close: float
    closes: pd.Series  # close of every traded session in [entry, exit]

    @property
    def total_return(self) -> float:
        return self.exit_close / self.entry_open - 1.0

    def path(self) -> pd.Series:
        """Return since the entry open at every close of the span."""
        return self.closes / self.entry_open - 1.0


class NoSpan(ValueError):
    """The data cannot give a span; the message is the reason shown to the user."""


def _traded(frame: pd.DataFrame) -> pd.DataFrame:
    ok = (frame["volume"] > 0) & np.isfinite(frame["open"]) & np.isfinite(frame["close"])
    return frame.loc[ok]


def check_coverage(
    frame: pd.DataFrame, planned_entry: pd.Timestamp, planned_exit: pd.Timestamp, label: str
) -> None:
    """Raise :class:`NoSpan` unless the bars start by the entry and reach the horizon end."""
    if frame.empty:
        raise NoSpan(f"no daily bars for {label}")
    first, last = frame.index[0], frame.index[-1]
    if first > planned_entry:
        raise NoSpan(
            f"data for {label} starts {first.date()}, after the entry {planned_entry.date()}"
        )
    if last < planned_exit:
        raise NoSpan(
            f"data for {label} ends {last.date()}, before the horizon end {planned_exit.date()}"
        )


def security_span(
    frame: pd.DataFrame, planned_entry: pd.Timestamp, planned_exit: pd.Timestamp, label: str
) -> Span:
    """The span of one security's bars between the planned entry and exit.

    Parameters
    ----------
    frame : bars in coverbt's schema covering (at least) the window, unfiltered.
    planned_entry, planned_exit : sessions from :mod:`coverbt.horizon`.
    label : how to name the security in a reason ("300496", "benchmark 000300").

    Raises
    ------
    NoSpan
        with the reason when the data does not cover the window or nothing traded in it.
    """
    check_coverage(frame, planned_entry, planned_exit, label)
    window = _traded(frame.loc[(frame.index >= planned_entry) & (frame.index <= planned_exit)])
    if window.empty:
        raise NoSpan(
            f"{label} did not trade between {planned_entry.date()} and {planned_exit.date()}"
        )
    return Span(
        entry=window.index[0],
        exit=window.index[-1],
        entry_open=float(window["open"].iloc[0]),
        exit_close=float(window["close"].iloc[-1]),
        closes=window["close"].astype(float),
    )


def benchmark_span(frame: pd.DataFrame, holding: Span, label: str) -> Span:
    """The benchmark over exactly the holding's dates: open at its entry, close at its exit.

    Raises
    ------
    NoSpan
        when the benchmark has no bar on the holding's entry or exit date.
    """
    for day in (holding.entry, holding.exit):
        if day not in frame.index:
            raise NoSpan(f"{label} has no bar on {day.date()}")
    closes = frame["close"].astype(float).reindex(holding.closes.index)
    return Span(
        entry=holding.entry,
        exit=holding.exit,
        # pandas-stubs types ``.at`` as any scalar; bar prices are numeric
        entry_open=float(cast(SupportsFloat, frame.at[holding.entry, "open"])),
        exit_close=float(cast(SupportsFloat, frame.at[holding.exit, "close"])),
        closes=closes,
    )


def excess_path(holding: Span, benchmark: Span) -> pd.Series:
    """Excess return at every close: holding path minus benchmark path (NaN days dropped)."""
    return (holding.path() - benchmark.path()).dropna()
