"""An in-memory provider: makes tests trivial and serves vendor files read in place."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from pathlib import Path

import pandas as pd

from coverbt.data import trading_calendar
from coverbt.data.schema import VALUATION_COLUMNS, Adjust, Series, SeriesKind, SeriesMeta
from coverbt.errors import DataUnavailableError

# When several sources cover a window equally, the first in this order wins. baostock and
# Tushare first: both scale history by adjustment factors, and they agree with each other
# (600570, 603019, 603383: daily returns within 0.075%, price ratio near-constant).
# akshare's qfq is the vendor's own; on 603383 it departs from both by up to 0.44% a day
# (45 days above 0.1% in 2024-06-07..2024-12-31; `coverbt data reconcile 603383`), so it
# is used where it is the only source (the STAR names) or the only one covering the window
# (a fresh `coverbt data update` tail). The built-in sample (:mod:`coverbt.data.sample`)
# comes last: any real import covering the window wins over it.
SOURCE_PREFERENCE: tuple[str, ...] = ("baostock", "tushare", "akshare", "sample")


def preference_rank(source: str) -> int:
    """Position of ``source`` in :data:`SOURCE_PREFERENCE` (unknown sources last)."""
    base = source.split(":", 1)[0]
    return SOURCE_PREFERENCE.index(base) if base in SOURCE_PREFERENCE else len(SOURCE_PREFERENCE)


def choice_order(
    metas: Sequence[SeriesMeta], start: dt.date | None = None, end: dt.date | None = None
) -> list[int]:
    """Positions of ``metas`` from the one to use first to the one to use last.

    Coverage first, whatever the rank: a source reaching back to ``start`` (or as far back
    as any candidate does) beats one that starts later, then one reaching ``end`` (or the
    latest candidate's last day) beats one that stops earlier. Baostock has 002230 only
    from 2024-10-14, so a request from 2024-06-07 gets Tushare's series rather than a
    silently short one. Among equal coverage :data:`SOURCE_PREFERENCE` decides, then the
    longer series.
    """
    if not metas:
        return []
    earliest = min(m.first for m in metas)
    latest = max(m.last for m in metas)
    want_first = max(start, earliest) if start is not None else earliest
    want_last = min(end, latest) if end is not None else latest

    def key(i: int) -> tuple[bool, bool, int, int]:
        m = metas[i]
        return (m.first > want_first, m.last < want_last, preference_rank(m.source), -m.rows)

    return sorted(range(len(metas)), key=key)


def pick_preferred(
    candidates: Iterable[Series], start: dt.date | None = None, end: dt.date | None = None
) -> Series:
    """The candidate to serve for ``[start, end]`` (see :func:`choice_order`)."""
    found = list(candidates)
    if not found:
        raise ValueError("no candidates")
    return found[choice_order([s.meta for s in found], start, end)[0]]


class InMemoryProvider:
    """Holds validated :class:`Series` objects; several sources per code are allowed.

    Examples
    --------
    >>> provider = InMemoryProvider([])
    >>> provider.catalog()
    []
    """

    def __init__(self, series: Iterable[Series], names: pd.DataFrame | None = None) -> None:
        self._series: dict[tuple[str, SeriesKind], list[Series]] = {}
        for item in series:
            self._series.setdefault((item.meta.code, item.meta.kind), []).append(item)
        self._names = names if names is not None else pd.DataFrame(columns=["code", "name"])

    def sources(self, code: str, kind: SeriesKind = SeriesKind.STOCK) -> list[Series]:
        """Every series held for ``code``, preferred first."""
        found = self._series.get((code, kind), [])
        return sorted(found, key=lambda s: (preference_rank(s.meta.source), -s.meta.rows))

    def bars(
        self,
        code: str,
        *,
        kind: SeriesKind = SeriesKind.STOCK,
        adjust: Adjust = Adjust.QFQ,
        start: dt.date | None = None,
        end: dt.date | None = None,
    ) -> Series:
        wanted = Adjust.NONE if kind is SeriesKind.INDEX else adjust
        found = [s for s in self._series.get((code, kind), []) if s.meta.adjust is wanted]
        if not found:
            raise DataUnavailableError(
                f"no {wanted} daily bars for {kind} {code} in memory; "
                f"import them with `coverbt data import`"
            )
        return pick_preferred(found, _day(start), _day(end)).between(start, end)

    def valuation(
        self, code: str, *, start: dt.date | None = None, end: dt.date | None = None
    ) -> pd.DataFrame:
        # a bar file's own PE/PB first, then a valuation series (the sample's, for example)
        for item in self.sources(code) + self.sources(code, SeriesKind.VALUATION):
            if "pe_ttm" in item.frame.columns and item.frame["pe_ttm"].notna().any():
                cols = [c for c in VALUATION_COLUMNS if c in item.frame.columns]
                return item.between(start, end).frame[cols].copy()
        return pd.DataFrame(
            columns=list(VALUATION_COLUMNS), index=pd.DatetimeIndex([], name="date")
        )

    def calendar(self, start: dt.date, end: dt.date) -> pd.DatetimeIndex:
        return trading_calendar.trading_days(start, end)

    def code_names(self) -> pd.DataFrame:
        return self._names.copy()

    def catalog(self) -> list[SeriesMeta]:
        return [s.meta for group in self._series.values() for s in group]


def _day(value: dt.date | None) -> dt.date | None:
    """``value`` as a plain date (callers may pass a Timestamp or datetime)."""
    return None if value is None else pd.Timestamp(value).date()


def provider_from_vendor_paths(*paths: Path) -> InMemoryProvider:
    """Read vendor files in place (no cache) into an :class:`InMemoryProvider`.

    Code/name lists found among the files become the provider's :meth:`code_names`.
    """
    from coverbt.data.vendor import iter_vendor_path, read_code_names

    lists: list[str] = []
    series = [s for p in paths for s in iter_vendor_path(p, on_skip=lambda o, _w: lists.append(o))]
    names = [read_code_names(Path(o)) for o in lists if "!" not in o]
    frame = pd.concat(names, ignore_index=True).drop_duplicates("code") if names else None
    return InMemoryProvider(series, names=frame)
