"""Entry, exit and the return path of one holding over one horizon (pure, no I/O).

Conventions (one place, used for stocks, the benchmark and the industry index):

- **entry** (default, ``next_open``) at the OPEN of the first session on or after the planned entry
  (:func:`coverbt.horizon.entry_session`) on which the security traded. A stock suspended on
  the planned day is entered at the first open after it resumes. With the ``prior_close``
  convention (:mod:`coverbt.scorecard.convention`) the entry price is instead the close of
  the last session before publication (:func:`prior_close_span`).
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
    ok = _traded_mask(frame)
    return frame if ok.all() else frame.loc[ok]


def _traded_mask(frame: pd.DataFrame) -> np.ndarray:
    volume = frame["volume"].to_numpy(dtype=float, na_value=np.nan)
    opens = frame["open"].to_numpy(dtype=float, na_value=np.nan)
    closes = frame["close"].to_numpy(dtype=float, na_value=np.nan)
    return (volume > 0) & np.isfinite(opens) & np.isfinite(closes)


def _between(frame: pd.DataFrame, first: pd.Timestamp, last: pd.Timestamp) -> pd.DataFrame:
    """Rows of a date-sorted frame with ``first <= date <= last`` (two binary searches)."""
    days = frame.index
    lo = days.searchsorted(first, side="left")
    hi = days.searchsorted(last, side="right")
    return frame.iloc[lo:hi]


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
    window = _traded(_between(frame, planned_entry, planned_exit))
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


def prior_close_span(
    frame: pd.DataFrame,
    reference: pd.Timestamp,
    planned_entry: pd.Timestamp,
    planned_exit: pd.Timestamp,
    label: str,
) -> Span:
    """A span priced from the close of ``reference`` (the last session before publication).

    The entry price is the last traded close on or before ``reference`` (a stock suspended
    that day keeps its last close); ``entry`` is that close's date. The path and the exit
    are the traded closes in ``[planned_entry, planned_exit]``, as in :func:`security_span`.

    Raises
    ------
    NoSpan
        when the data does not cover the window or no close precedes the publication.
    """
    check_coverage(frame, reference, planned_exit, label)
    before = _traded(frame.iloc[: frame.index.searchsorted(reference, side="right")])
    if before.empty:
        raise NoSpan(f"{label} has no traded close on or before {reference.date()}")
    later = security_span(frame, planned_entry, planned_exit, label)
    return Span(
        entry=before.index[-1],
        exit=later.exit,
        entry_open=float(before["close"].iloc[-1]),
        exit_close=later.exit_close,
        closes=later.closes,
    )


def benchmark_span(
    frame: pd.DataFrame, holding: Span, label: str, *, entry_field: str = "open"
) -> Span:
    """The benchmark over exactly the holding's dates: ``entry_field`` at its entry (the
    open, or the close for a prior-close entry), close at its exit.

    Raises
    ------
    NoSpan
        when the benchmark has no bar on the holding's entry or exit date.
    """
    for day in (holding.entry, holding.exit):
        if day not in frame.index:
            raise NoSpan(f"{label} has no bar on {day.date()}")
    closes = frame["close"].astype(float).reindex(holding.closes.index)
    # pandas-stubs types ``.at`` as any scalar; bar prices are numeric
    entry_value = float(cast(SupportsFloat, frame.at[holding.entry, entry_field]))
    if not np.isfinite(entry_value):
        raise NoSpan(f"{label} has no {entry_field} on {holding.entry.date()}")
    return Span(
        entry=holding.entry,
        exit=holding.exit,
        entry_open=entry_value,
        exit_close=float(cast(SupportsFloat, frame.at[holding.exit, "close"])),
        closes=closes,
    )


def excess_path(holding: Span, benchmark: Span, *, ratio: bool = False) -> pd.Series:
    """Excess return at every close: holding path minus benchmark path (NaN days dropped);
    with ``ratio`` the path of ``(1 + r) / (1 + b) - 1``."""
    if ratio:
        bench = benchmark.path()
        return ((holding.path() - bench) / (1.0 + bench)).dropna()
    return (holding.path() - benchmark.path()).dropna()
