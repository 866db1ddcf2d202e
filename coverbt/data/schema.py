"""The one English schema every market-data frame has once it is inside coverbt.

Vendor column names (Chinese or English) are renamed at the edge, in the importers and
the live provider; nothing downstream sees a vendor's column name.

A bar frame has a tz-naive ``DatetimeIndex`` named ``date`` (unique, increasing) and the
float columns of :data:`BAR_COLUMNS`; optional columns are in :data:`OPTIONAL_COLUMNS`.
Units: prices in CNY (index points for an index), ``volume`` in shares, ``amount`` in
CNY, ``turnover`` in percent.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from enum import StrEnum

import pandas as pd

BAR_COLUMNS: tuple[str, ...] = ("open", "high", "low", "close", "volume", "amount")
OPTIONAL_COLUMNS: tuple[str, ...] = ("turnover", "pe_ttm", "pb", "is_st")
VALUATION_COLUMNS: tuple[str, ...] = ("pe_ttm", "pb")
SHARES_PER_LOT = 100
YI = 100_000_000  # 亿, the unit of Shenwan index volume and amount
THOUSAND = 1_000  # 千元, the unit of Tushare's amount


class SeriesKind(StrEnum):
    STOCK = "stock"
    INDEX = "index"
    # a stock's daily ``pe_ttm`` and ``pb`` alone (akshare ``stock_value_em``): cached
    # beside the bars, served by ``valuation()`` and never by ``bars()``
    VALUATION = "valuation"


class Adjust(StrEnum):
    NONE = "none"  # raw prices, or an index
    QFQ = "qfq"  # forward-adjusted: the latest bars are raw, history is scaled
    HFQ = "hfq"  # backward-adjusted


@dataclass(frozen=True)
class SeriesMeta:
    """Where a series came from and what it covers.

    ``adjust_base`` is the date at which a qfq series equals raw prices: the vendor's
    export date, which we take as the last date of the series when the vendor does not
    state it.
    """

    code: str
    kind: SeriesKind
    source: str
    adjust: Adjust
    adjust_base: dt.date | None
    retrieved_at: dt.datetime
    first: dt.date
    last: dt.date
    rows: int
    origin: str = ""

    def to_json(self) -> dict[str, object]:
        return {
            "code": self.code,
            "kind": str(self.kind),
            "source": self.source,
            "adjust": str(self.adjust),
            "adjust_base": self.adjust_base.isoformat() if self.adjust_base else None,
            "retrieved_at": self.retrieved_at.isoformat(timespec="seconds"),
            "first": self.first.isoformat(),
            "last": self.last.isoformat(),
            "rows": self.rows,
            "origin": self.origin,
        }


@dataclass(frozen=True)
class Series:
    """A validated bar frame with its metadata."""

    meta: SeriesMeta
    frame: pd.DataFrame

    def between(self, start: dt.date | None = None, end: dt.date | None = None) -> Series:
        """The rows with ``start <= date <= end`` (either bound optional)."""
        frame = self.frame
        if start is not None:
            frame = frame.loc[frame.index >= pd.Timestamp(start)]
        if end is not None:
            frame = frame.loc[frame.index <= pd.Timestamp(end)]
        if frame.empty:
            return Series(replace(self.meta, rows=0), frame)
        meta = replace(
            self.meta, first=frame.index[0].date(), last=frame.index[-1].date(), rows=len(frame)
        )
        return Series(meta, frame)


def meta_for(
    frame: pd.DataFrame,
    *,
    code: str,
    kind: SeriesKind,
    source: str,
    adjust: Adjust,
    retrieved_at: dt.datetime,
    origin: str = "",
    adjust_base: dt.date | None = None,
) -> SeriesMeta:
    """Build the metadata of a non-empty, validated frame."""
    first, last = frame.index[0].date(), frame.index[-1].date()
    if adjust is Adjust.QFQ and adjust_base is None:
        adjust_base = last
    return SeriesMeta(
        code=code,
        kind=kind,
        source=source,
        adjust=adjust,
        adjust_base=adjust_base,
        retrieved_at=retrieved_at,
        first=first,
        last=last,
        rows=len(frame),
        origin=origin,
    )
