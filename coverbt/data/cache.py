"""Writing to ``data_cache/``: locked, atomic, idempotent.

Layout::

    data_cache/
      catalog.sqlite        the catalog (:mod:`coverbt.data.catalog`)
      segments/seg-*.parquet  immutable parquet segments (:mod:`coverbt.data.segments`)
      .lock                 held by the one process writing

A write is: (1) take the lock, (2) claim the new segment's name in the catalog
(``pending_files``), write it under a temporary name, fsync, rename it into place,
(3) point the catalog at it in one SQLite transaction, (4) delete segments nothing refers
to any more. A process killed at any step leaves the catalog pointing at complete files;
at worst a claimed file remains, which the next write removes. A segment file the catalog
does not own is never deleted: when the catalog is missing or damaged, writing stops
(:func:`coverbt.data.recover.check_catalog`) until ``coverbt data verify --repair``
rebuilds it from the self-describing segments.

When the cache already holds a series for the same (code, kind, source, adjust), the
incoming one is *merged* into it (:mod:`coverbt.data.merge`): new dates are added, the
dates both hold must agree, and nothing cached is dropped. A disagreement is a
conflict: the cached series is left unchanged and the conflict is listed in
:attr:`Writer.conflicts` (file, date, field, both values). ``replace=True`` replaces the
cached series outright. So importing the same files twice changes nothing, and a shorter
file never shrinks a series.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from enum import StrEnum
from pathlib import Path

import numpy as np
import pandas as pd
from filelock import FileLock, Timeout

from coverbt.data import catalog, recover
from coverbt.data.catalog import Entry, SeriesKey
from coverbt.data.merge import MERGE_RELATIVE_TOLERANCE, find_conflict, merge_frames
from coverbt.data.schema import Series, meta_for
from coverbt.data.segments import (
    STORED_COLUMNS,
    Placement,
    SegmentReader,
    file_crc32,
    new_segment_name,
    temp_name,
    write_segment,
)
from coverbt.data.suspensions import missing_sessions
from coverbt.errors import InputError, LockedError

SEGMENT_DIR = "segments"
LOCK_NAME = ".lock"


class Outcome(StrEnum):
    NEW = "new"
    UPDATED = "updated"
    UNCHANGED = "unchanged"
    KEPT = "kept"  # the cached series already holds every incoming bar; nothing stored
    CONFLICT = "conflict"  # incoming bars differ from cached ones; nothing stored


ORIGIN_SEPARATOR = " + "  # a merged series' origins, oldest first


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
    def locked(self) -> Iterator[None]:
        """Hold the cache's lock; raises :class:`LockedError` if another process has it."""
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
            yield
        finally:
            lock.release()

    @contextmanager
    def writing(self) -> Iterator[Writer]:
        """Hold the cache's lock for the duration; raises :class:`LockedError` if taken,
        :class:`~coverbt.data.recover.CatalogDamagedError` if the catalog is lost."""
        with self.locked():
            recover.check_catalog(self.catalog_path, self.segment_dir)
            conn = recover.connect_checked(self.catalog_path)
            try:
                recover.check_catalog(self.catalog_path, self.segment_dir, conn)
                writer = Writer(self, conn)
                writer.remove_orphans()
                yield writer
            finally:
                conn.close()


@dataclass
class Writer:
    """Writes series and names into a locked cache (see :meth:`Cache.writing`).

    ``conflicts`` collects one :class:`InputError` per incoming series that disagreed
    with the cached one (see the module docstring).
    """

    cache: Cache
    conn: sqlite3.Connection
    conflicts: list[InputError] = field(default_factory=list)

    def has_series(self) -> bool:
        """Whether the catalog holds any series yet."""
        return self.conn.execute("SELECT 1 FROM series LIMIT 1").fetchone() is not None

    def put(self, batch: Sequence[Series], *, replace: bool = False) -> list[Outcome]:
        """Store a batch of validated series as one segment; one outcome per series."""
        current = {e.key: e for e in catalog.entries(self.conn)}
        pending: dict[SeriesKey, tuple[Series, str]] = {}
        readers: dict[str, SegmentReader] = {}
        outcomes: list[Outcome] = []
        for series in batch:
            key, digest = series_key(series), content_hash(series)
            if key not in pending and key not in current:
                outcome, stored = Outcome.NEW, series
            elif digest == (pending[key][1] if key in pending else current[key].content_hash):
                outcome, stored = Outcome.UNCHANGED, None
            elif replace:
                outcome, stored = Outcome.UPDATED, series
            else:
                held = pending[key][0] if key in pending else self._read(current[key], readers)
                outcome, stored = (
                    self._merge(held, series) if held is not None else (Outcome.CONFLICT, None)
                )
            outcomes.append(outcome)
            if stored is not None:
                pending[key] = (stored, content_hash(stored) if stored is not series else digest)
        if pending:  # stored in code order, so a loop over codes reads each group once
            self._write([pending[k] for k in sorted(pending)])
        return outcomes

    def _merge(self, held: Series, series: Series) -> tuple[Outcome, Series | None]:
        conflict = find_conflict(held.frame, series.frame, STORED_COLUMNS)
        if conflict is not None:
            self.conflicts.append(
                InputError(
                    f"differs from the cached {series.meta.source} series of "
                    f"{series.meta.code} on {conflict.describe()}; the cached series was "
                    "left unchanged",
                    source=series.meta.origin,
                    field=conflict.field,
                    expected=f"the cached values on shared dates (within "
                    f"{MERGE_RELATIVE_TOLERANCE:g} relative)",
                    fix="if the new file is right, import it again with --replace (a qfq "
                    "file downloaded again after a dividend has a new adjustment base and "
                    "differs on every shared date: --replace is the way to take it)",
                )
            )
            return Outcome.CONFLICT, None
        if series.frame.index.isin(held.frame.index).all():
            return Outcome.KEPT, None
        frame = merge_frames(held.frame, series.frame)
        origins = held.meta.origin.split(ORIGIN_SEPARATOR)
        if series.meta.origin not in origins:
            origins.append(series.meta.origin)
        m = series.meta
        meta = meta_for(
            frame,
            code=m.code,
            kind=m.kind,
            source=m.source,
            adjust=m.adjust,
            retrieved_at=m.retrieved_at,
            origin=ORIGIN_SEPARATOR.join(o for o in origins if o),
        )
        return Outcome.UPDATED, Series(meta, frame)

    def _read(self, entry: Entry, readers: dict[str, SegmentReader]) -> Series | None:
        """The cached series of ``entry`` (its segment checked), or None (with a conflict
        recorded) when its segment is damaged."""
        name = entry.placement.segment
        path = self.cache.segment_dir / name
        try:
            if name not in readers:
                info = catalog.segments(self.conn).get(name)
                if info is None or path.stat().st_size != info.size:
                    raise OSError("missing, or not the size the catalog says")
                if file_crc32(path) != info.crc32:
                    raise OSError("does not match its checksum")
                readers[name] = SegmentReader(path)
            frame = readers[name].series(entry.placement, entry.meta.rows, entry.columns)
        except (OSError, ValueError) as exc:
            self.conflicts.append(
                InputError(
                    f"cannot merge into the cached series: its file {path} is damaged ({exc})",
                    source=entry.meta.origin,
                    fix="run `coverbt data verify --repair`, then import again",
                )
            )
            return None
        return Series(entry.meta, frame)

    def _write(self, items: list[tuple[Series, str]]) -> None:
        name = new_segment_name()
        catalog.add_pending(self.conn, name)  # claimed before the file exists
        entries: list[Entry] = []
        gaps: dict[SeriesKey, Sequence[dt.date]] = {}
        for series, digest in items:
            missing = missing_sessions(pd.DatetimeIndex(series.frame.index))
            columns = tuple(c for c in STORED_COLUMNS if c in series.frame.columns)
            entries.append(Entry(series.meta, columns, digest, _NOWHERE, len(missing)))
            gaps[series_key(series)] = [d.date() for d in missing]
        info, placements = write_segment(
            self.cache.segment_dir,
            [s.frame for s, _ in items],
            [recover.describe(e) for e in entries],
            name=name,
        )
        entries = [replace(e, placement=p) for e, p in zip(entries, placements, strict=True)]
        catalog.record(self.conn, info, entries, gaps)
        self.remove_orphans()

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
        """Delete the segment files the catalog claimed but does not use (left by a killed
        write, or superseded). Files the catalog never claimed are left alone."""
        claimed = catalog.pending(self.conn)
        for name in claimed:
            (self.cache.segment_dir / name).unlink(missing_ok=True)
            (self.cache.segment_dir / temp_name(name)).unlink(missing_ok=True)
        catalog.clear_pending(self.conn, claimed)
        return len(claimed)


_NOWHERE = Placement("", 0, 0)
