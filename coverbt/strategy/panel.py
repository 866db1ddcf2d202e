"""Bars of several instruments aligned on the exchange calendar (NaN where suspended)."""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass
from typing import SupportsFloat, cast

import pandas as pd

from coverbt.data.provider import MarketData
from coverbt.data.schema import Adjust, SeriesKind, SeriesMeta
from coverbt.errors import DataUnavailableError

FIELDS: tuple[str, ...] = ("open", "high", "low", "close", "volume")


@dataclass(frozen=True)
class Panel:
    """One DataFrame per field (sessions x codes); a missing bar is a suspended session.

    ``meta`` holds, per code, the metadata of the series read (clipped to the window) and
    ``digest`` a SHA-256 of the bars used, so a manifest can prove a rerun saw the same data.
    """

    sessions: pd.DatetimeIndex
    fields: dict[str, pd.DataFrame]
    is_st: pd.DataFrame
    meta: dict[str, SeriesMeta]
    digest: dict[str, str]

    @property
    def codes(self) -> list[str]:
        return list(self.fields["close"].columns)

    def __getitem__(self, name: str) -> pd.DataFrame:
        return self.fields[name]

    def has_bar(self, code: str, day: pd.Timestamp) -> bool:
        value = value_at(self.fields["close"], day, code)
        return bool(pd.notna(value))


def value_at(frame: pd.DataFrame, day: pd.Timestamp, code: str) -> float:
    """``frame.at[day, code]`` of a numeric sessions x codes frame, as a float (NaN if missing).

    pandas-stubs types ``.at`` as any scalar (its frames carry no dtype); a panel's frames
    and the frames derived from them hold float64.
    """
    return float(cast(SupportsFloat, frame.at[day, code]))


def load_panel(
    market: MarketData,
    wanted: dict[str, SeriesKind],
    start: dt.date,
    end: dt.date,
) -> tuple[Panel, dict[str, str]]:
    """Read ``wanted`` codes over the sessions of ``[start, end]``.

    Returns the panel of every code with at least one bar in the window and, for the others,
    the reason they are missing (the provider's message).
    """
    sessions = market.calendar(start, end)
    columns: dict[str, dict[str, pd.Series]] = {f: {} for f in FIELDS}
    is_st: dict[str, pd.Series] = {}
    metas: dict[str, SeriesMeta] = {}
    digests: dict[str, str] = {}
    missing: dict[str, str] = {}
    for code, kind in wanted.items():
        try:
            series = market.bars(code, kind=kind, adjust=Adjust.QFQ, start=start, end=end)
        except DataUnavailableError as exc:
            missing[code] = str(exc)
            continue
        if series.meta.rows == 0:
            missing[code] = f"no bars between {start} and {end}"
            continue
        frame = series.frame.reindex(sessions)
        for name in FIELDS:
            columns[name][code] = frame[name].astype(float)
        flag = frame["is_st"] if "is_st" in frame.columns else pd.Series(0.0, index=sessions)
        is_st[code] = flag.fillna(0).astype(bool)
        metas[code] = series.meta
        digests[code] = _digest(series.frame)
    fields = {name: pd.DataFrame(columns[name], index=sessions, dtype=float) for name in FIELDS}
    flags = pd.DataFrame(is_st, index=sessions, dtype=bool)
    return Panel(sessions, fields, flags, metas, digests), missing


def _digest(frame: pd.DataFrame) -> str:
    cols = [c for c in FIELDS if c in frame.columns]
    text = frame[cols].to_csv(float_format="%.10g", lineterminator="\n")
    return hashlib.sha256(text.encode()).hexdigest()
