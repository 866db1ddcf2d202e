"""Wide (session x code) panels of closes, amounts and valuations, as of one session.

The panel is pivoted once from the provider's per-code series; every factor is then a numpy
operation over its columns. Only bars dated on or before the as-of session are read.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import numpy as np
import pandas as pd

from coverbt.data.memory import choice_order
from coverbt.data.provider import MarketData
from coverbt.data.schema import Adjust, SeriesKind
from coverbt.errors import DataUnavailableError, InputError

# extra calendar days read before the first session so a suspended stock has a price to carry
CARRY_DAYS = 60
AMOUNT_RATIO_BOUNDS = (0.2, 5.0)  # vendor amount / (volume x close) outside this: a unit error
_LONG_COLUMNS = ("close", "volume", "amount", "is_st")
INDEX_GAP_SESSIONS = 5  # an index missing more sessions than this is stale, not flat
Progress = Callable[[int, int], None]


@dataclass
class Panel:
    """Aligned wide frames over ``sessions`` (the last one is the as-of session).

    ``close`` is carried forward over suspensions (a suspended stock keeps its price);
    ``traded`` marks sessions with a real bar; ``amount`` is the traded amount on those
    sessions (NaN otherwise); ``pe``/``pb`` are carried forward; ``missing`` maps codes
    without data to the reason.
    """

    sessions: pd.DatetimeIndex
    codes: list[str]
    close: pd.DataFrame
    traded: pd.DataFrame
    amount: pd.DataFrame
    pe: pd.DataFrame | None = None
    pb: pd.DataFrame | None = None
    is_st: pd.Series | None = None
    missing: dict[str, str] = field(default_factory=dict)

    @property
    def as_of(self) -> pd.Timestamp:
        return pd.Timestamp(self.sessions[-1])


def sessions_ending(market: MarketData, as_of: dt.date, count: int) -> pd.DatetimeIndex:
    """The last ``count`` sessions on or before ``as_of``."""
    span = dt.timedelta(days=int(count * 1.6) + 30)
    days = market.calendar(as_of - span, as_of)
    while len(days) < count:
        span *= 2
        days = market.calendar(as_of - span, as_of)
    if len(days) == 0:
        raise InputError(f"no trading session on or before {as_of}", field="as_of")
    return pd.DatetimeIndex(days[-count:])


def amount_of(close: np.ndarray, volume: np.ndarray, amount: np.ndarray) -> np.ndarray:
    """Traded amount in CNY; volume x close where the vendor's amount is missing or implausible.

    A vendor amount more than 5x away from volume x close is a unit error (Tushare reports
    thousands of CNY), so the estimate is used instead.

    Examples
    --------
    >>> amount_of(np.array([10.0, 10.0]), np.array([100.0, 100.0]), np.array([1.0, 990.0]))
    array([1000.,  990.])
    """
    estimate = volume * close
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = amount / np.where(estimate > 0, estimate, np.nan)
    plausible = (ratio > AMOUNT_RATIO_BOUNDS[0]) & (ratio < AMOUNT_RATIO_BOUNDS[1])
    return np.where(plausible, amount, estimate)


def build_panel(
    market: MarketData,
    codes: Sequence[str],
    as_of: dt.date,
    lookback: int,
    *,
    valuation: bool = False,
    progress: Progress | None = None,
) -> Panel:
    """Read ``codes`` from ``market`` up to ``as_of`` and pivot them into a :class:`Panel`.

    ``lookback`` is the number of sessions before the as-of session the factors need. The
    rows of every code are gathered into flat numpy arrays and scattered into the wide
    arrays in one step (no per-code pandas work). The cache is read column-wise in bulk
    (:meth:`~coverbt.data.store.CacheStore.read_long`); any other provider code by code.
    """
    sessions = sessions_ending(market, as_of, lookback + 1)
    start = (sessions[0] - pd.Timedelta(days=CARRY_DAYS)).date()
    end = sessions[-1].date()
    reader = _read_long if hasattr(market, "read_long") else _read_per_code
    held, code_of_row, flat = reader(market, codes, start, end, progress)
    has_rows = np.zeros(len(codes), dtype=bool)
    has_rows[code_of_row] = True
    present: list[str] = []
    missing: dict[str, str] = {}
    column_of = np.full(len(codes), -1, dtype=np.int64)
    for i, code in enumerate(codes):
        if code not in held:
            missing[code] = "no daily bars in the cache"
        elif not has_rows[i]:
            missing[code] = f"no bars between {start} and {end}"
        else:
            column_of[i] = len(present)
            present.append(code)
    flat["col"] = column_of[code_of_row]
    panel = _pivot(sessions, present, flat, missing)
    if valuation:
        panel.pe, panel.pb = _valuations(market, present, sessions, start, end)
    return panel


LongRows = tuple[set[str], np.ndarray, dict[str, np.ndarray]]


def _read_long(
    market: Any,
    codes: Sequence[str],
    start: dt.date,
    end: dt.date,
    progress: Progress | None,
) -> LongRows:
    """The cache's bars of ``codes`` in ``[start, end]`` as flat arrays, read in bulk.

    Each code's series is chosen exactly as ``market.bars`` chooses it
    (:func:`choice_order`). Returns the codes that have a series, each row's position in
    ``codes`` and the ``date`` (ns) and value columns.
    """
    position = {code: i for i, code in reversed(list(enumerate(codes)))}
    chosen = _chosen_entries(market.entries(), set(codes), start, end)
    long = market.read_long(chosen, _LONG_COLUMNS, start=start, end=end, progress=progress)
    entry_code = np.array([position[e.meta.code] for e in long.entries], dtype=np.int64)
    flat = dict(long.values)
    flat["date"] = long.date.astype("datetime64[ns]")
    return {e.meta.code for e in chosen}, entry_code[long.series], flat


def _read_per_code(
    market: MarketData,
    codes: Sequence[str],
    start: dt.date,
    end: dt.date,
    progress: Progress | None,
) -> LongRows:
    """The same rows as :func:`_read_long`, asked of any provider code by code."""
    lo_day, hi_day = np.datetime64(start, "ns"), np.datetime64(end, "ns")
    held: set[str] = set()
    chunks: dict[str, list[np.ndarray]] = {k: [] for k in ("date", "code", *_LONG_COLUMNS)}
    for i, code in enumerate(codes):
        if progress is not None:
            progress(i + 1, len(codes))
        try:
            frame = market.bars(code, kind=SeriesKind.STOCK, start=start, end=end).frame
        except DataUnavailableError:
            continue
        held.add(code)
        days = frame.index.to_numpy(dtype="datetime64[ns]")
        lo, hi = days.searchsorted(lo_day), days.searchsorted(hi_day, side="right")
        chunks["date"].append(days[lo:hi])
        chunks["code"].append(np.full(hi - lo, i, dtype=np.int64))
        for column in _LONG_COLUMNS:
            values = (
                frame[column].to_numpy(dtype=float, na_value=np.nan)
                if column in frame
                else np.full(len(frame), np.nan)
            )
            chunks[column].append(values[lo:hi])
    if not chunks["date"]:
        empty = {k: np.zeros(0) for k in _LONG_COLUMNS}
        return held, np.zeros(0, dtype=np.int64), {"date": np.zeros(0, "datetime64[ns]"), **empty}
    flat = {k: np.concatenate(v) for k, v in chunks.items()}
    return held, flat.pop("code"), flat


def _chosen_entries(
    entries: Iterable[Any], codes: set[str], start: dt.date, end: dt.date
) -> list[Any]:
    by_code: dict[str, list[Any]] = {}
    for entry in entries:
        meta = entry.meta
        if meta.kind is SeriesKind.STOCK and meta.adjust is Adjust.QFQ and meta.code in codes:
            by_code.setdefault(meta.code, []).append(entry)
    return [
        group[choice_order([e.meta for e in group], start, end)[0]] for group in by_code.values()
    ]


def _pivot(
    sessions: pd.DatetimeIndex,
    present: list[str],
    flat: dict[str, np.ndarray],
    missing: dict[str, str],
) -> Panel:
    if not present:
        empty = pd.DataFrame(index=sessions, columns=pd.Index([], dtype=object), dtype=float)
        return Panel(sessions, [], empty, empty.astype(bool), empty, missing=missing)
    days = np.union1d(np.unique(flat["date"]), sessions.to_numpy(dtype="datetime64[ns]"))
    rows = days.searchsorted(flat["date"])
    cols = flat["col"].astype(int)

    def wide(values: np.ndarray) -> np.ndarray:
        out = np.full((len(days), len(present)), np.nan)
        out[rows, cols] = values
        return out

    at = days.searchsorted(sessions.to_numpy(dtype="datetime64[ns]"))
    raw_close = wide(flat["close"])
    amount = wide(amount_of(flat["close"], flat["volume"], flat["amount"]))[at]
    close = pd.DataFrame(raw_close).ffill().to_numpy()[at]
    frame = partial(pd.DataFrame, index=sessions, columns=present)
    is_st = None
    st = wide(flat["is_st"])
    if not np.isnan(st).all():
        last = pd.DataFrame(st).ffill().to_numpy()[at][-1]
        is_st = pd.Series(last, index=present).map({1.0: True, 0.0: False}).astype("boolean")
    return Panel(
        sessions,
        present,
        frame(close),
        frame(~np.isnan(raw_close[at])),
        frame(amount),
        is_st=is_st,
        missing=missing,
    )


def _valuations(
    market: MarketData,
    codes: list[str],
    sessions: pd.DatetimeIndex,
    start: dt.date,
    end: dt.date,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """PE TTM and PB panels, carried forward over days without a value."""
    parts = []
    for code in codes:
        val = market.valuation(code, start=start, end=end)
        if not val.empty:
            parts.append(val.assign(code=code))
    if not parts:
        nan = pd.DataFrame(np.nan, index=sessions, columns=codes)
        return nan, nan.copy()
    long = pd.concat(parts)
    long.index.name = "date"
    pe, pb = (_carry(long, col, sessions, codes) for col in ("pe_ttm", "pb"))
    return pe, pb


def _carry(
    frame: pd.DataFrame, column: str, sessions: pd.DatetimeIndex, codes: list[str]
) -> pd.DataFrame:
    if column not in frame.columns:
        return pd.DataFrame(np.nan, index=sessions, columns=codes)
    wide = frame.pivot(columns="code", values=column).reindex(columns=codes)
    return wide.reindex(wide.index.union(sessions)).ffill().reindex(sessions)


def benchmark_close(market: MarketData, code: str, sessions: pd.DatetimeIndex) -> pd.Series:
    """Closes of an index over ``sessions``.

    A missing day is carried forward (at most :data:`INDEX_GAP_SESSIONS`); after that the
    index is treated as unknown rather than flat.
    """
    start = (sessions[0] - pd.Timedelta(days=CARRY_DAYS)).date()
    frame = market.bars(code, kind=SeriesKind.INDEX, start=start, end=sessions[-1].date()).frame
    close = frame["close"]
    return (
        close.reindex(close.index.union(sessions)).ffill(limit=INDEX_GAP_SESSIONS).reindex(sessions)
    )
