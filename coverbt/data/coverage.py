"""Does the cache hold what a universe needs? One row per name and per benchmark.

A name is ``ok`` when the series :meth:`bars` would serve covers every session of the
window (its first bar on or before the window's first session, its last bar on or after
the window's last session); ``short`` when it exists but does not; ``missing`` when the
cache has nothing; ``not an A-share`` (skipped, never an error) for a name listed
elsewhere, such as 亿航智能 EH on NASDAQ.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import asdict, dataclass

import pandas as pd

from coverbt.data.catalog import Entry
from coverbt.data.provider import BENCHMARKS, MarketData
from coverbt.data.schema import SeriesKind
from coverbt.errors import DataUnavailableError
from coverbt.universe.model import Universe

OK = "ok"
SHORT = "short"
MISSING = "missing"
NOT_A_SHARE = "not an A-share, skipped"


@dataclass(frozen=True)
class Coverage:
    """Whether one code is covered over the window."""

    code: str
    name: str
    kind: str
    status: str
    source: str | None = None
    first: str | None = None
    last: str | None = None
    missing_sessions: int = 0

    def to_json(self) -> dict[str, object]:
        return asdict(self)


def universe_coverage(
    market: MarketData, universe: Universe, start: dt.date, end: dt.date
) -> list[Coverage]:
    """Coverage of every name of ``universe`` and of both benchmarks over ``[start, end]``."""
    sessions = market.calendar(start, end)
    rows = []
    for item in universe.names:
        if not item.a_share:
            rows.append(Coverage(item.code, item.name, "stock", NOT_A_SHARE))
            continue
        rows.append(_one(market, item.code, item.name, SeriesKind.STOCK, start, end, sessions))
    for label, code in BENCHMARKS.items():
        rows.append(_one(market, code, label, SeriesKind.INDEX, start, end, sessions))
    return rows


def _one(
    market: MarketData,
    code: str,
    name: str,
    kind: SeriesKind,
    start: dt.date,
    end: dt.date,
    sessions: pd.DatetimeIndex,
) -> Coverage:
    try:
        series = market.bars(code, kind=kind, start=start, end=end)
    except DataUnavailableError:
        return Coverage(code, name, str(kind), MISSING)
    index = series.frame.index
    if len(index) == 0:
        return Coverage(code, name, str(kind), SHORT, source=series.meta.source)
    complete = len(sessions) == 0 or (index[0] <= sessions[0] and index[-1] >= sessions[-1])
    return Coverage(
        code,
        name,
        str(kind),
        OK if complete else SHORT,
        source=series.meta.source,
        first=series.meta.first.isoformat(),
        last=series.meta.last.isoformat(),
        missing_sessions=len(sessions.difference(pd.DatetimeIndex(index))),
    )


@dataclass(frozen=True)
class Group:
    """Series of one source, kind and adjustment, summed up."""

    source: str
    kind: str
    adjust: str
    series: int
    rows: int
    first: str
    last: str
    suspended_days: int


def catalog_groups(entries: Sequence[Entry]) -> list[Group]:
    """One :class:`Group` per (source, kind, adjust), sorted."""
    groups: dict[tuple[str, str, str], list[Entry]] = {}
    for e in entries:
        groups.setdefault((e.meta.source, str(e.meta.kind), str(e.meta.adjust)), []).append(e)
    return [
        Group(
            *key,
            series=len(items),
            rows=sum(e.meta.rows for e in items),
            first=min(e.meta.first for e in items).isoformat(),
            last=max(e.meta.last for e in items).isoformat(),
            suspended_days=sum(e.suspended for e in items),
        )
        for key, items in sorted(groups.items())
    ]
