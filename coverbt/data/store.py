"""The market-data cache as a :class:`~coverbt.data.provider.MarketData` provider.

``open_store(workspace.cache_dir)`` is how every command reads market data;
``import_path(cache_dir, path)`` fills the cache from vendor files (see
:mod:`coverbt.data.importer`) and ``coverbt data update`` from akshare.

Several sources per code
------------------------
The cache keeps every source of a code side by side (one series per code, kind, source
and adjustment). :meth:`CacheStore.bars` serves one of them, chosen by
:func:`coverbt.data.memory.choice_order`: a source covering the asked window beats one
that does not; then ``SOURCE_PREFERENCE`` = baostock > Tushare > akshare (the first two
scale by adjustment factors and agree with each other; akshare's qfq departs from both on
603383 by up to 0.44% a day; see :data:`coverbt.data.memory.SOURCE_PREFERENCE`); then the
longer series. Series are never mixed: qfq series of different vendors have different
adjustment bases (``coverbt data reconcile CODE`` shows by how much).

Valuation
---------
PE TTM and PB live in two places: the ``pe_ttm``/``pb`` columns of bar files (baostock)
and dedicated valuation series (kind ``valuation``, akshare ``stock_value_em``, filled
by ``coverbt data update``). :meth:`CacheStore.valuation` serves exactly one of them
(never a mix), chosen by the same rule as bars: the candidate covering the asked window
wins; among equal coverage baostock's bar-file columns beat akshare's valuation series
(``SOURCE_PREFERENCE``: baostock computes PE on the very closes :meth:`bars` serves);
then the longer series. So a window inside baostock's files gets baostock's PE, a STAR
name with only akshare data (688041) or a window past the last baostock bar (a fresh
update) gets akshare's. :meth:`CacheStore.valuation_source` says which one was used.

Integrity
---------
Each parquet segment's size and CRC-32 are checked before its first read; a mismatch or
an unreadable file raises :class:`CorruptCacheError` naming the file and the repair
(``coverbt data verify --repair``, then re-import). Nothing corrupt is read silently.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

from coverbt.data import catalog, recover, trading_calendar
from coverbt.data.cache import ORIGIN_SEPARATOR, SEGMENT_DIR, Cache
from coverbt.data.catalog import Entry
from coverbt.data.importer import ImportSummary, run_import
from coverbt.data.memory import choice_order
from coverbt.data.schema import VALUATION_COLUMNS, Adjust, Series, SeriesKind, SeriesMeta
from coverbt.data.segments import STORED_COLUMNS, SegmentInfo, SegmentReader, file_crc32
from coverbt.errors import CoverbtError, DataUnavailableError

IMPORT_HINT = (
    "`coverbt data import PATH` (vendor files), `coverbt data import --sample` (the built-in "
    "sample of the report's market) or `coverbt data update` (akshare)"
)
REPAIR_HINT = "run `coverbt data verify --repair`, then import or update the series again"


class CorruptCacheError(CoverbtError):
    """A cache file is truncated, altered or unreadable."""


@dataclass(frozen=True)
class LongBars:
    """The rows of many series as flat arrays, one element per bar (see
    :meth:`CacheStore.read_long`).

    ``series[i]`` is the position in ``entries`` of the series row ``i`` belongs to;
    ``date`` is ``datetime64[us]``; ``values`` maps each asked column to float64 values
    (NaN where the series has no such column). Rows of one series are consecutive and in
    date order.
    """

    entries: list[Entry]
    series: np.ndarray
    date: np.ndarray
    values: dict[str, np.ndarray]


def open_store(cache_dir: Path, *, seed: bool = True) -> CacheStore:
    """The cache in ``cache_dir`` as a read-only provider.

    An empty cache (nothing ever imported) is first seeded from the built-in sample
    (:func:`coverbt.data.sample.seed_if_empty`, which says so in one line), unless
    ``seed`` is False.

    Raises
    ------
    DataUnavailableError
        when nothing was ever imported into ``cache_dir`` and ``seed`` is False.
    """
    if seed:
        from coverbt.data.sample import seed_if_empty

        seed_if_empty(Path(cache_dir))
    recover.check_readable(Path(cache_dir))
    if not Cache(Path(cache_dir)).exists():
        raise DataUnavailableError(
            f"no market-data cache in {cache_dir}: fill it with {IMPORT_HINT}"
        )
    return CacheStore(Path(cache_dir))


@dataclass
class CacheStore:
    """Reads ``data_cache/`` (see the module docstring). Create with :func:`open_store`."""

    root: Path
    _entries: dict[tuple[str, SeriesKind], list[Entry]] = field(init=False, repr=False)
    _segments: dict[str, SegmentInfo] = field(init=False, repr=False)
    _readers: dict[str, SegmentReader] = field(init=False, repr=False, default_factory=dict)

    def __post_init__(self) -> None:
        self.refresh()

    def refresh(self) -> None:
        """Re-read the catalog (after another process wrote to the cache)."""
        with catalog.reading(self._catalog_path) as conn:
            entries = catalog.entries(conn)
            self._segments = catalog.segments(conn)
        grouped: dict[tuple[str, SeriesKind], list[Entry]] = defaultdict(list)
        for entry in entries:
            grouped[(entry.meta.code, entry.meta.kind)].append(entry)
        self._entries = dict(grouped)
        self._readers = {}

    @property
    def _catalog_path(self) -> Path:
        return self.root / catalog.CATALOG_NAME

    # --- MarketData -------------------------------------------------------------------

    def bars(
        self,
        code: str,
        *,
        kind: SeriesKind = SeriesKind.STOCK,
        adjust: Adjust = Adjust.QFQ,
        start: dt.date | None = None,
        end: dt.date | None = None,
    ) -> Series:
        kind, adjust = SeriesKind(kind), Adjust(adjust)
        if kind is SeriesKind.VALUATION:
            raise ValueError("valuation series have no bars: use valuation(code)")
        wanted = Adjust.NONE if kind is SeriesKind.INDEX else adjust
        found = [e for e in self._entries.get((code, kind), []) if e.meta.adjust is wanted]
        if not found:
            raise DataUnavailableError(self._missing_message(code, kind, wanted))
        metas = [e.meta for e in found]
        best = found[choice_order(metas, _day(start), _day(end))[0]]
        return self.read(best).between(start, end)

    def valuation(
        self, code: str, *, start: dt.date | None = None, end: dt.date | None = None
    ) -> pd.DataFrame:
        entry = self.valuation_source(code, start=start, end=end)
        if entry is None:
            return pd.DataFrame(
                columns=list(VALUATION_COLUMNS), index=pd.DatetimeIndex([], name="date")
            )
        frame = self.read(entry).between(start, end).frame
        return frame.reindex(columns=list(VALUATION_COLUMNS))

    def valuation_source(
        self, code: str, *, start: dt.date | None = None, end: dt.date | None = None
    ) -> Entry | None:
        """The series :meth:`valuation` reads for ``[start, end]`` (see the module
        docstring), or ``None`` when the cache has no PE/PB for ``code``."""
        found = [e for e in self.sources(code) if "pe_ttm" in e.columns]
        found += self._entries.get((code, SeriesKind.VALUATION), [])
        if not found:
            return None
        return found[choice_order([e.meta for e in found], _day(start), _day(end))[0]]

    def calendar(self, start: dt.date, end: dt.date) -> pd.DatetimeIndex:
        return trading_calendar.trading_days(start, end)

    def code_names(self) -> pd.DataFrame:
        with catalog.reading(self._catalog_path) as conn:
            return catalog.names(conn)

    def catalog(self) -> list[SeriesMeta]:
        return [e.meta for group in self._entries.values() for e in group]

    # --- beyond the protocol ------------------------------------------------------------

    def corporate_actions(self, code: str) -> pd.DataFrame | None:
        """``code``'s cached dividends/bonus/transfers (``None`` when never fetched); see
        :mod:`coverbt.data.corporate_actions`, whose files sit beside the segments."""
        from coverbt.data.corporate_actions import load_actions

        return load_actions(self.root, code)

    def entries(self) -> list[Entry]:
        """Every catalog entry (metadata, columns, placement, suspension count)."""
        return [e for group in self._entries.values() for e in group]

    def sources(self, code: str, kind: SeriesKind = SeriesKind.STOCK) -> list[Entry]:
        """Every cached series of ``code``, in the order :meth:`bars` would prefer them."""
        found = self._entries.get((code, SeriesKind(kind)), [])
        return [found[i] for i in choice_order([e.meta for e in found])]

    def suspended_days(
        self, code: str, kind: SeriesKind = SeriesKind.STOCK, source: str | None = None
    ) -> pd.DatetimeIndex:
        """Sessions missing from ``code``'s series (its preferred source, or ``source``)."""
        kind = SeriesKind(kind)
        found = [e for e in self.sources(code, kind) if source in (None, e.meta.source)]
        if not found:
            raise DataUnavailableError(self._missing_message(code, kind, None))
        with catalog.reading(self._catalog_path) as conn:
            return catalog.suspensions(conn, found[0].key)

    def read(self, entry: Entry) -> Series:
        """The full series of one catalog entry (integrity checked).

        If a writer replaced the series since this store read the catalog (its old
        segment is gone), the catalog is read again and the current version returned.
        """
        path = self.root / SEGMENT_DIR / entry.placement.segment
        if entry.placement.segment not in self._readers and not path.exists():
            self.refresh()
            current = next((e for e in self.entries() if e.key == entry.key), None)
            if current is not None and current.placement != entry.placement:
                return self.read(current)
        reader = self._reader(entry.placement.segment)
        try:
            frame = reader.series(entry.placement, entry.meta.rows, entry.columns)
        except (OSError, ValueError, pa.ArrowException) as exc:
            path = self.root / SEGMENT_DIR / entry.placement.segment
            raise self._corrupt(path, f"cannot be read ({exc})") from None
        return Series(entry.meta, frame)

    def read_all(self, accept: Callable[[Entry], bool] = lambda _e: True) -> Iterator[Series]:
        """Every accepted series, in storage order (each row group is decoded once)."""
        chosen = [e for e in self.entries() if accept(e)]
        chosen.sort(key=lambda e: (e.placement.segment, e.placement.row_group))
        for entry in chosen:
            yield self.read(entry)

    def read_long(
        self,
        entries: Sequence[Entry],
        columns: Sequence[str],
        *,
        start: dt.date | None = None,
        end: dt.date | None = None,
        progress: Callable[[int, int], None] | None = None,
    ) -> LongBars:
        """The ``columns`` of many series at once, as flat arrays, dated ``[start, end]``.

        The columnar twin of :meth:`read`: each segment is checked exactly as there (size
        and CRC-32 before its first read; a damaged file raises :class:`CorruptCacheError`),
        then only the row groups and columns asked for are decoded, and every series' rows
        are gathered with one numpy take per column (no per-series frames). Each
        ``entries[i]`` gives the same values :meth:`read` gives it. ``progress(done,
        total)`` is called per segment.
        """
        unknown = [c for c in columns if c not in STORED_COLUMNS]
        if unknown:
            raise ValueError(f"not stored columns: {unknown} (expected some of {STORED_COLUMNS})")
        chosen = self._current(list(entries))
        by_segment: dict[str, list[int]] = defaultdict(list)
        for i, entry in enumerate(chosen):
            by_segment[entry.placement.segment].append(i)
        window = (
            np.datetime64(_day(start) or dt.date.min, "us"),
            np.datetime64(_day(end) or dt.date.max, "us"),
        )
        parts = []
        for done, name in enumerate(sorted(by_segment), start=1):
            reader = self._reader(name)
            try:
                parts.append(_gather(reader, chosen, by_segment[name], list(columns), window))
            except (OSError, ValueError, IndexError, pa.ArrowException) as exc:
                raise self._corrupt(
                    self.root / SEGMENT_DIR / name, f"cannot be read ({exc})"
                ) from None
            if progress is not None:
                progress(done, len(by_segment))
        if not parts:
            empty = {c: np.zeros(0) for c in columns}
            return LongBars(chosen, np.zeros(0, np.int64), np.zeros(0, "datetime64[us]"), empty)
        series = np.concatenate([p[0] for p in parts])
        date = np.concatenate([p[1] for p in parts])
        values = {c: np.concatenate([p[2][c] for p in parts]) for c in columns}
        return LongBars(chosen, series, date, values)

    def _current(self, entries: list[Entry]) -> list[Entry]:
        """``entries``, re-read from the catalog if a writer replaced one of their segments
        since this store read it (as :meth:`read` does for one series)."""
        segments = {e.placement.segment for e in entries} - set(self._readers)
        gone = any(not (self.root / SEGMENT_DIR / name).exists() for name in segments)
        if not gone:
            return entries
        self.refresh()
        current = {e.key: e for e in self.entries()}
        return [current.get(e.key, e) for e in entries]

    def _reader(self, name: str) -> SegmentReader:
        reader = self._readers.get(name)
        if reader is None:
            path = self._checked(name)
            try:
                reader = SegmentReader(path)
            except (OSError, pa.ArrowException) as exc:
                raise self._corrupt(path, f"cannot be read ({exc})") from None
            self._readers[name] = reader
        return reader

    def verify(self) -> dict[str, str]:
        """Check every segment (presence, size, CRC-32, row groups); bad file -> why."""
        problems = {}
        for name in sorted(self._segments):
            try:
                path = self._checked(name, force=True)
                groups = SegmentReader(path).num_row_groups
                needed = [e for e in self.entries() if e.placement.segment == name]
                if any(e.placement.row_group >= groups for e in needed):
                    raise self._corrupt(path, f"has {groups} row groups, fewer than catalogued")
            except CorruptCacheError as exc:
                problems[name] = str(exc)
            except (OSError, pa.ArrowException) as exc:
                problems[name] = str(self._corrupt(self.root / SEGMENT_DIR / name, str(exc)))
        return problems

    def _checked(self, name: str, *, force: bool = False) -> Path:
        path = self.root / SEGMENT_DIR / name
        if name in self._readers and not force:
            return path
        info = self._segments.get(name)
        if info is None or not path.exists():
            raise self._corrupt(path, "is missing")
        size = path.stat().st_size
        if size != info.size:
            raise self._corrupt(path, f"has {size} bytes, catalog says {info.size} (truncated?)")
        if file_crc32(path) != info.crc32:
            raise self._corrupt(path, "does not match its checksum (altered on disk)")
        return path

    @staticmethod
    def _corrupt(path: Path, why: str) -> CorruptCacheError:
        return CorruptCacheError(f"cache file {path} {why}: {REPAIR_HINT}")

    def _missing_message(self, code: str, kind: SeriesKind, adjust: Adjust | None) -> str:
        held = [f"{e.meta.source}/{e.meta.adjust}" for e in self._entries.get((code, kind), [])]
        what = f"{adjust} daily bars" if adjust else "bars"
        have = f" (the cache has only {', '.join(held)})" if held else ""
        return f"no {what} for {kind} {code} in {self.root}{have}; fetch them with {IMPORT_HINT}"


def _day(value: dt.date | None) -> dt.date | None:
    return None if value is None else pd.Timestamp(value).date()


def _gather(
    reader: SegmentReader,
    entries: list[Entry],
    which: list[int],
    columns: list[str],
    window: tuple[np.datetime64, np.datetime64],
) -> tuple[np.ndarray, np.ndarray, dict[str, np.ndarray]]:
    """Rows of ``entries[i] for i in which`` (all in ``reader``'s segment) dated inside
    ``window`` (both ends included), as flat arrays."""
    meta = reader.file.metadata
    groups = sorted({entries[i].placement.row_group for i in which})
    sizes = {g: meta.row_group(g).num_rows for g in groups}
    base, offset = {}, 0
    for g in groups:
        base[g], offset = offset, offset + sizes[g]
    starts = np.empty(len(which), dtype=np.int64)
    lengths = np.empty(len(which), dtype=np.int64)
    for k, i in enumerate(which):
        place, rows = entries[i].placement, entries[i].meta.rows
        if place.row_offset + rows > sizes[place.row_group]:
            raise ValueError(f"row group {place.row_group} has only {sizes[place.row_group]} rows")
        starts[k], lengths[k] = base[place.row_group] + place.row_offset, rows
    table = reader.file.read_row_groups(groups, columns=["date", *columns], use_threads=False)
    ends = np.cumsum(lengths)
    total = int(ends[-1]) if len(ends) else 0
    positions = np.arange(total) + np.repeat(starts - ends + lengths, lengths)
    row_of = np.repeat(np.arange(len(which)), lengths)
    dates = table.column("date").to_numpy()[positions]
    keep = (dates >= window[0]) & (dates <= window[1])
    positions, row_of, dates = positions[keep], row_of[keep], dates[keep]
    values = {}
    for column in columns:
        data = table.column(column).to_numpy()[positions]
        lacking = np.array([column not in entries[i].columns for i in which])
        if lacking.any():
            data[lacking[row_of]] = np.nan
        values[column] = data
    return np.asarray(which, dtype=np.int64)[row_of], dates, values


def import_path(
    cache_dir: Path,
    path: Path,
    fmt: str = "auto",
    progress: Callable[[str, int, int], None] | None = None,
    *,
    replace: bool = False,
    latest: dt.date | None = None,
) -> ImportSummary:
    """Import a vendor file, folder or ``.tar.gz`` into the cache (see the importer)."""
    return run_import(
        Cache(Path(cache_dir)), Path(path), fmt, progress, replace=replace, latest=latest
    )


LIVE_ORIGIN_PREFIX = "akshare:"


def reacquire_commands(dropped: list[Entry]) -> list[str]:
    """The commands that bring back series forgotten by ``verify --repair``.

    Vendor files are imported again from where they came; series fetched live (origin
    ``akshare:...``) come back with ``coverbt data update``.

    Examples
    --------
    >>> from types import SimpleNamespace as N
    >>> reacquire_commands([N(meta=N(origin="/d/x.tar.gz!data/1.csv")),
    ...                     N(meta=N(origin="akshare:stock_value_em(688041)"))])
    ['coverbt data import /d/x.tar.gz', 'coverbt data update']
    """
    origins = [o for e in dropped for o in e.meta.origin.split(ORIGIN_SEPARATOR)]
    files = sorted({o.split("!")[0] for o in origins if not o.startswith(LIVE_ORIGIN_PREFIX)})
    live = any(o.startswith(LIVE_ORIGIN_PREFIX) for o in origins)
    return [f"coverbt data import {path}" for path in files] + (
        ["coverbt data update"] if live else []
    )


def verify_cache(cache_dir: Path, *, repair: bool = False) -> tuple[dict[str, str], list[Entry]]:
    """Check every segment of the cache; with ``repair``, forget the damaged ones.

    Returns the problems (segment file -> message) and, when repairing, the series that
    were dropped (their ``meta.origin`` says what to import again). A missing or damaged
    catalog is a problem under the key ``catalog.sqlite``; repairing rebuilds it from the
    segments (:func:`coverbt.data.recover.rebuild_catalog`).
    """
    lost = recover.catalog_problem(Path(cache_dir))
    if lost is not None:
        if not repair:
            return {catalog.CATALOG_NAME: lost}, []
        rebuilt = recover.rebuild_catalog(Cache(Path(cache_dir)))
        found, forgot = verify_cache(cache_dir, repair=True)
        return {catalog.CATALOG_NAME: f"{lost} -> {rebuilt.describe()}", **found}, forgot
    store = open_store(cache_dir, seed=False)
    problems = store.verify()
    dropped: list[Entry] = []
    if repair and problems:
        with Cache(Path(cache_dir)).writing() as writer:
            dropped = writer.drop_segments(sorted(problems))
    return problems, dropped
