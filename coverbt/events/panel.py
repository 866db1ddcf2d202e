"""The price panel the vectorised event computations read: sessions x codes arrays.

Built once from a :class:`~coverbt.data.provider.MarketData` for the codes and the window
the events need (each series is the one the provider serves for that window, never a mix of
sources). Cells are NaN where the stock did not trade (no bar, zero volume or a missing
price): the conventions of :mod:`coverbt.scorecard.span`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from coverbt.data.provider import MarketData
from coverbt.data.schema import Adjust, SeriesKind
from coverbt.data.trading_calendar import last_known_day, trading_days
from coverbt.errors import DataUnavailableError
from coverbt.scorecard.convention import CLOSE_ONLY_TWINS

MARGIN = pd.DateOffset(days=30)  # as the scorecard's COVERAGE_MARGIN


@dataclass(frozen=True)
class Series2D:
    """Open and close of several series on the panel's sessions (NaN: not traded)."""

    open: np.ndarray  # (T, N)
    close: np.ndarray  # (T, N)
    has_bar: np.ndarray  # (T, N) bool: a bar exists (traded or not)

    @property
    def traded(self) -> np.ndarray:
        return np.isfinite(self.open) & np.isfinite(self.close)


@dataclass(frozen=True)
class Panel:
    """Stocks and benchmarks on one session axis.

    ``reasons`` holds, for each code without data, why (the provider's message).
    ``as_of`` is the last session a panel cut by :func:`known_until` may show (None: the
    whole axis).
    """

    sessions: pd.DatetimeIndex
    codes: tuple[str, ...]
    stocks: Series2D
    bench_codes: tuple[str, ...]
    benches: Series2D
    reasons: dict[str, str]
    as_of: pd.Timestamp | None = None

    def code_index(self, codes: Iterable[str]) -> np.ndarray:
        """Column of each code (-1 for a code the panel lacks)."""
        where = {code: i for i, code in enumerate(self.codes)}
        return np.array([where.get(str(c), -1) for c in codes], dtype=np.int64)

    def bench_index(self, code: str) -> int:
        return self.bench_codes.index(code)


def known_until(panel: Panel, day: dt.date | pd.Timestamp) -> Panel:
    """``panel`` without the sessions after ``day``: what was known at its close (point in
    time: a horizon ending later gets no verdict yet)."""
    last = pd.Timestamp(day).normalize()
    rows = int(panel.sessions.searchsorted(last, side="right"))

    def cut(s: Series2D) -> Series2D:
        return Series2D(s.open[:rows], s.close[:rows], s.has_bar[:rows])

    return Panel(panel.sessions[:rows], panel.codes, cut(panel.stocks), panel.bench_codes,
                 cut(panel.benches), panel.reasons, last)  # fmt: skip


def session_axis(start: dt.date | pd.Timestamp, end: dt.date | pd.Timestamp) -> pd.DatetimeIndex:
    """XSHG sessions from ``start`` to ``end``, capped at the calendar's last known day."""
    last = last_known_day()
    return trading_days(pd.Timestamp(start), min(pd.Timestamp(end), last))


def build_panel(
    market: MarketData,
    codes: Iterable[str],
    bench_codes: Iterable[str],
    start: pd.Timestamp,
    end: pd.Timestamp,
    optional_benches: Iterable[str] = (),
) -> Panel:
    """Read every code and benchmark for ``[start - 30 d, end + 30 d]`` onto one axis.

    ``optional_benches`` (industry indexes) are read when the provider has them; a missing
    one gets a reason in :attr:`Panel.reasons`, like a stock without data.

    Raises
    ------
    DataUnavailableError
        when a benchmark of ``bench_codes`` is missing.
    """
    lo, hi = pd.Timestamp(start) - MARGIN, pd.Timestamp(end) + MARGIN
    sessions = session_axis(lo, hi)
    wanted = tuple(dict.fromkeys(str(c) for c in codes))
    reasons: dict[str, str] = {}
    frames: dict[str, pd.DataFrame] = {}
    for code in wanted:
        try:
            frames[code] = market.bars(code, start=lo.date(), end=hi.date()).frame
        except DataUnavailableError as exc:
            reasons[code] = str(exc)
    bench_frames = {code: _index(market, code, lo, hi) for code in dict.fromkeys(bench_codes)}
    for code in dict.fromkeys(optional_benches):
        if code in bench_frames:
            continue
        try:
            bench_frames[code] = _index(market, code, lo, hi)
        except DataUnavailableError as exc:
            reasons[code] = str(exc)
    benches = tuple(bench_frames)
    return Panel(
        sessions=sessions,
        codes=wanted,
        stocks=_stack(frames, wanted, sessions, stock=True),
        bench_codes=benches,
        benches=_stack(bench_frames, benches, sessions, stock=False),
        reasons=reasons,
    )


def _index(market: MarketData, code: str, lo: pd.Timestamp, hi: pd.Timestamp) -> pd.DataFrame:
    frame = market.bars(code, kind=SeriesKind.INDEX, adjust=Adjust.NONE,
                        start=lo.date(), end=hi.date()).frame  # fmt: skip
    twin = CLOSE_ONLY_TWINS.get(code)
    if twin is None or ("open" in frame.columns and frame["open"].notna().all()):
        return frame
    price = _index(market, twin, lo, hi)
    out = frame.copy()
    out["open"] = out["close"] * (price["open"] / price["close"]).reindex(frame.index)
    return out


def _stack(
    frames: dict[str, pd.DataFrame],
    codes: tuple[str, ...],
    sessions: pd.DatetimeIndex,
    *,
    stock: bool,
) -> Series2D:
    shape = (len(sessions), len(codes))
    opens, closes = np.full(shape, np.nan), np.full(shape, np.nan)
    has_bar = np.zeros(shape, dtype=bool)
    for j, code in enumerate(codes):
        frame = frames.get(code)
        if frame is None or frame.empty:
            continue
        rows = sessions.get_indexer(frame.index)
        ok = rows >= 0
        rows = rows[ok]
        sub = frame.loc[ok]
        has_bar[rows, j] = True
        open_, close = sub["open"].to_numpy(float), sub["close"].to_numpy(float)
        if not stock:  # an index keeps what it has (a close-only index has no open)
            opens[rows, j], closes[rows, j] = open_, close
            continue
        volume = sub["volume"].to_numpy(float)
        traded = np.isfinite(open_) & np.isfinite(close) & (volume > 0)
        opens[rows[traded], j] = open_[traded]
        closes[rows[traded], j] = close[traded]
    return Series2D(opens, closes, has_bar)


def next_valid(valid: np.ndarray) -> np.ndarray:
    """For each cell, the row of the first valid cell at or after it (T when none)."""
    rows = np.where(valid, np.arange(valid.shape[0])[:, None], valid.shape[0])
    return np.minimum.accumulate(rows[::-1], axis=0)[::-1]


def prev_valid(valid: np.ndarray) -> np.ndarray:
    """For each cell, the row of the last valid cell at or before it (-1 when none)."""
    rows = np.where(valid, np.arange(valid.shape[0])[:, None], -1)
    return np.maximum.accumulate(rows, axis=0)
