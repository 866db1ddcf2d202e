"""Writing to ``data_cache/``: locked, atomic, idempotent.

Layout::

    data_cache/
      catalog.sqlite        the catalog (:mod:`coverbt.data.catalog`)
      segments/seg-*.parquet  immutable parquet segments (:mod:`coverbt.data.segments`)
      .lock                 held by the one process writing

A write is: (1) take the lock, (2) write a new segment under a temporary name, fsync,
rename it into place, (3) point the catalog at it in one SQLite transaction, (4) delete
segments nothing refers to any more. A process killed at any step leaves the catalog
pointing at complete files; at worst an orphan segment remains, which the next write
removes.

When the cache already holds a series for the same (code, kind, source, adjust), the
incoming one replaces it only if its content differs and it reaches a later last date,
or the same last date with more rows (``replace=True`` forces it). So importing the same
files twice changes nothing, and a shorter file never silently shrinks a series.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

import numpy as np
import pandas as pd
from filelock import FileLock, Timeout

from coverbt.data import catalog
from coverbt.data.catalog import Entry, SeriesKey
from coverbt.data.schema import Series, SeriesMeta
from coverbt.data.segments import STORED_COLUMNS, write_segment
from coverbt.data.suspensions import missing_sessions
from coverbt.errors import LockedError

SEGMENT_DIR = "segments"
LOCK_NAME = ".lock"


class Outcome(StrEnum):
    NEW = "new"
    UPDATED = "updated"
    UNCHANGED = "unchanged"
    KEPT = "kept"  # the cached series covers more; the incoming one was not stored


def series_key(series: Series) -> SeriesKey:
    m = series.meta
    return (m.code, str(m.kind), m.source, str(m.adjust))


def content_hash(series: Series) -> str:
    """A digest of a series' identity, dates and values (not of when it was fetched)."""
    digest = hashlib.blake2b(digest_size=16)
    digest.update("|".join(series_key(series)).encode())
    digest.update(series.frame.index.to_numpy(dtype="datetime64[ns]").tobytes())
    for column in STORED_COLUMNS:
        if column in series.frame.columns:
            digest.update(column.encode())
            values = series.frame[column].to_numpy(dtype=float)
            # NaN has many bit patterns (parsers differ run to run); hash one of them
            digest.update(np.where(np.isnan(values), np.nan, values).tobytes())
    return digest.hexdigest()


@dataclass
class Cache:
    """The ``data_cache/`` folder, for writing. Use :meth:`writing` around every write."""

    root: Path

    @property
    def catalog_path(self) -> Path:
        return self.root / catalog.CATALOG_NAME

    @property
    def segment_dir(self) -> Path:
        return self.root / SEGMENT_DIR

    def exists(self) -> bool:
        return self.catalog_path.exists()

    @contextmanager
    def writing(self) -> Iterator[Writer]:
        """Hold the cache's lock for the duration; raises :class:`LockedError` if taken."""
        self.root.mkdir(parents=True, exist_ok=True)
        lock = FileLock(self.root / LOCK_NAME, timeout=0)
        try:
            lock.acquire()
        except Timeout:
            raise LockedError(
                f"another coverbt process is writing {self.root} (lock {lock.lock_file}); "
                "wait for it to finish and run the command again"
            ) from None
        try:
            conn = catalog.connect(self.catalog_path)
            try:
                writer = Writer(self, conn)
                writer.remove_orphans()
                yield writer
            finally:
                conn.close()
        finally:
            lock.release()


@dataclass
class Writer:
    """Writes series and names into a locked cache (see :meth:`Cache.writing`)."""

    cache: Cache
    conn: sqlite3.Connection

    def has_series(self) -> bool:
        """Whether the catalog holds any series yet."""
        return self.conn.execute("SELECT 1 FROM series LIMIT 1").fetchone() is not None

    def put(self, batch: Sequence[Series], *, replace: bool = False) -> list[Outcome]:
        """Store a batch of validated series as one segment; one outcome per series."""
        current = {e.key: e for e in catalog.entries(self.conn)}
        pending: dict[SeriesKey, tuple[Series, str]] = {}
        outcomes: list[Outcome] = []
        for series in batch:
            key, digest = series_key(series), content_hash(series)
            old = pending.get(key)
            held = (old[0].meta, old[1]) if old else None
            if held is None and key in current:
                held = (current[key].meta, current[key].content_hash)
            outcome = _decide(series, digest, held, replace)
            outcomes.append(outcome)
            if outcome in (Outcome.NEW, Outcome.UPDATED):
                pending[key] = (series, digest)
        if pending:  # stored in code order, so a loop over codes reads each group once
            self._write([pending[k] for k in sorted(pending)])
        return outcomes

    def _write(self, items: list[tuple[Series, str]]) -> None:
        before = set(catalog.segments(self.conn))
        info, placements = write_segment(self.cache.segment_dir, [s.frame for s, _ in items])
        entries: list[Entry] = []
        gaps: dict[SeriesKey, Sequence[dt.date]] = {}
        for (series, digest), placement in zip(items, placements, strict=True):
            missing = missing_sessions(pd.DatetimeIndex(series.frame.index))
            columns = tuple(c for c in STORED_COLUMNS if c in series.frame.columns)
            entries.append(Entry(series.meta, columns, digest, placement, len(missing)))
            gaps[series_key(series)] = [d.date() for d in missing]
        catalog.record(self.conn, info, entries, gaps)
        for name in before - set(catalog.segments(self.conn)):
            (self.cache.segment_dir / name).unlink(missing_ok=True)

    def put_names(self, names: pd.DataFrame, origin: str) -> int:
        """Store code/name pairs; returns how many changed."""
        return catalog.put_names(self.conn, names, origin)

    def drop_segments(self, names: Sequence[str]) -> list[Entry]:
        """Forget damaged segments and their series, delete the files; returns the series."""
        dropped = catalog.drop_segments(self.conn, names)
        for name in names:
            (self.cache.segment_dir / name).unlink(missing_ok=True)
        return dropped

    def remove_orphans(self) -> int:
        """Delete segment files the catalog does not know (left by a killed write)."""
        if not self.cache.segment_dir.exists():
            return 0
        known = set(catalog.segments(self.conn))
        removed = 0
        for path in self.cache.segment_dir.iterdir():
            if path.name not in known:
                path.unlink(missing_ok=True)
                removed += 1
        return removed


def _decide(
    series: Series, digest: str, held: tuple[SeriesMeta, str] | None, replace: bool
) -> Outcome:
    if held is None:
        return Outcome.NEW
    meta, held_digest = held
    if digest == held_digest:
        return Outcome.UNCHANGED
    if replace:
        return Outcome.UPDATED
    new = series.meta
    longer = (new.last, new.rows) > (meta.last, meta.rows)
    return Outcome.UPDATED if longer else Outcome.KEPT
