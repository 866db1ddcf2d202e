"""The columnar bulk read of the cache gives exactly what the per-series path gives.

The cache here holds the report's stocks (akshare, baostock and Tushare side by side) and the
indexes from ``../shared/market-data``; the per-series reference is the same store seen
through a proxy that only offers the ``MarketData`` protocol (so ``build_panel`` asks it
code by code through ``bars``, which applies ``choice_order``).
"""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from coverbt.data.catalog import Entry
from coverbt.data.schema import SeriesKind
from coverbt.data.store import CacheStore, CorruptCacheError, open_store
from coverbt.screens.panel import build_panel
from coverbt.screens.run import run_screen
from coverbt.screens.spec import load_screen
from coverbt.universe.model import Universe

AS_OF = dt.date(2024, 12, 20)
COLUMNS = ("close", "volume", "amount", "is_st", "pe_ttm")


class PerCode:
    """The store behind the bare ``MarketData`` protocol (no bulk read)."""

    def __init__(self, store: CacheStore) -> None:
        self._store = store

    def bars(self, code, **kwargs):  # type: ignore[no-untyped-def]
        return self._store.bars(code, **kwargs)

    def valuation(self, code, **kwargs):  # type: ignore[no-untyped-def]
        return self._store.valuation(code, **kwargs)

    def calendar(self, start, end):  # type: ignore[no-untyped-def]
        return self._store.calendar(start, end)

    def code_names(self) -> pd.DataFrame:
        return self._store.code_names()

    def catalog(self):  # type: ignore[no-untyped-def]
        return self._store.catalog()


@pytest.fixture
def store(workspace_root: Path) -> CacheStore:
    return open_store(workspace_root / "data_cache")


def _codes(store: CacheStore) -> list[str]:
    return sorted({m.code for m in store.catalog() if m.kind is SeriesKind.STOCK})


def test_the_cache_really_has_several_sources_per_code(
    store: CacheStore, market_data_dir: Path
) -> None:
    # with ../shared the cache holds every vendor's file (the built-in sample has one each)
    per_code = pd.Series([e.meta.code for e in store.entries()]).value_counts()
    assert (per_code >= 2).sum() >= 10  # so the source choice is exercised below


@pytest.mark.parametrize(
    ("start", "end"), [(None, None), (dt.date(2024, 7, 1), dt.date(2024, 9, 30))]
)
def test_read_long_equals_read_for_every_series(
    store: CacheStore, start: dt.date | None, end: dt.date | None
) -> None:
    entries = store.entries()
    long = store.read_long(entries, COLUMNS, start=start, end=end)
    assert [e.key for e in long.entries] == [e.key for e in entries]
    for i, entry in enumerate(entries):
        frame = store.read(entry).between(start, end).frame
        rows = long.series == i
        assert np.array_equal(long.date[rows], frame.index.to_numpy(dtype="datetime64[us]"))
        for column in COLUMNS:
            expected = (
                frame[column].to_numpy(dtype=float)
                if column in frame
                else np.full(len(frame), np.nan)
            )
            assert np.array_equal(long.values[column][rows], expected, equal_nan=True), (
                entry.key,
                column,
            )
    assert len(long.date) == sum(len(store.read(e).between(start, end).frame) for e in entries)


@pytest.mark.parametrize("lookback", [20, 250])
def test_bulk_panel_is_identical_to_the_per_code_panel(store: CacheStore, lookback: int) -> None:
    codes = [*_codes(store), "999999"]  # one code the cache does not hold
    bulk = build_panel(store, codes, AS_OF, lookback)
    slow = build_panel(PerCode(store), codes, AS_OF, lookback)  # type: ignore[arg-type]
    assert bulk.codes == slow.codes and len(bulk.codes) >= 20
    assert bulk.missing == slow.missing == {"999999": "no daily bars in the cache"}
    pd.testing.assert_index_equal(bulk.sessions, slow.sessions)
    for name in ("close", "traded", "amount"):
        pd.testing.assert_frame_equal(getattr(bulk, name), getattr(slow, name), check_exact=True)
    assert (bulk.is_st is None) == (slow.is_st is None)
    if bulk.is_st is not None:
        pd.testing.assert_series_equal(bulk.is_st, slow.is_st)


def test_bulk_panel_uses_the_source_bars_would_serve(store: CacheStore) -> None:
    codes = _codes(store)
    panel = build_panel(store, codes, AS_OF, 60)
    start = (panel.sessions[0] - pd.Timedelta(days=60)).date()
    for code in codes:
        close = store.bars(code, start=start, end=AS_OF).frame["close"]
        on_sessions = close.reindex(panel.sessions).dropna()
        assert np.array_equal(
            panel.close.loc[on_sessions.index, code].to_numpy(), on_sessions.to_numpy()
        ), code


@pytest.mark.parametrize(
    "screen_file", ["coverage_cheap_strong.yaml", "liquid_momentum_cheap.yaml"]
)
def test_screen_results_are_identical(
    store: CacheStore, workspace_root: Path, universe: Universe, screen_file: str
) -> None:
    screen = load_screen(workspace_root / "strategies" / "screens" / screen_file)
    scope = screen.spec.universe
    bulk = run_screen(screen, store, as_of=AS_OF, scope=scope, universe=universe)
    slow = run_screen(screen, PerCode(store), as_of=AS_OF, scope=scope, universe=universe)  # type: ignore[arg-type]
    pd.testing.assert_frame_equal(bulk.table, slow.table, check_exact=True)
    assert bulk.rows() == slow.rows() and bulk.skipped == slow.skipped


def _damaged_copy(workspace_root: Path, tmp_path: Path) -> tuple[CacheStore, Entry, Path]:
    cache = tmp_path / "data_cache"
    shutil.copytree(workspace_root / "data_cache", cache)
    store = open_store(cache)
    entry = next(
        e
        for e in store.entries()
        if e.meta.kind is SeriesKind.STOCK and len(store.sources(e.meta.code)) == 1
    )
    path = cache / "segments" / entry.placement.segment
    assert path.exists()
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))
    return store, entry, path


def test_a_corrupt_segment_is_reported_not_read(workspace_root: Path, tmp_path: Path) -> None:
    store, entry, path = _damaged_copy(workspace_root, tmp_path)
    with pytest.raises(CorruptCacheError, match=str(path.name)):
        store.read_long([entry], ["close"])
    with pytest.raises(CorruptCacheError, match="checksum"):
        build_panel(open_store(path.parent.parent), [entry.meta.code], AS_OF, 20)


def test_a_truncated_segment_is_reported_not_read(workspace_root: Path, tmp_path: Path) -> None:
    cache = tmp_path / "data_cache"
    shutil.copytree(workspace_root / "data_cache", cache)
    store = open_store(cache)
    entry = store.entries()[0]
    path = cache / "segments" / entry.placement.segment
    path.write_bytes(path.read_bytes()[:-100])
    with pytest.raises(CorruptCacheError, match="truncated"):
        store.read_long(store.entries(), ["close"])


def test_read_long_rejects_unknown_columns(store: CacheStore) -> None:
    with pytest.raises(ValueError, match="not stored"):
        store.read_long(store.entries()[:1], ["closing_price"])
