"""A lost or damaged catalog: detect it, and rebuild it from the segments.

Every segment file describes the series it holds (:func:`describe`, stored in its
parquet metadata by :func:`coverbt.data.segments.write_segment`). When
``catalog.sqlite`` is missing, empty or not a database while ``segments/`` holds files,
every command that writes stops (:func:`check_catalog`) instead of treating the
segments as orphans, and ``coverbt data verify --repair`` rebuilds the catalog
(:func:`rebuild_catalog`): for each series, the newest segment holding it wins (a
segment is immutable and a newer one always holds the whole series). Nothing is
deleted: the damaged catalog is kept beside as ``catalog.sqlite.damaged-<time>``,
superseded and unreadable segments stay where they are. Code names live only in the
catalog: import the stock list again after a rebuild.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd
import pyarrow as pa

from coverbt.data import catalog
from coverbt.data.catalog import Entry, SeriesKey
from coverbt.data.segments import (
    SEGMENT_PREFIX,
    SegmentInfo,
    SegmentReader,
    file_crc32,
    read_description,
)
from coverbt.data.suspensions import missing_sessions
from coverbt.errors import CoverbtError

if TYPE_CHECKING:
    from coverbt.data.cache import Cache

REBUILD_HINT = "run `coverbt data verify --repair` to rebuild the catalog from the segments"


class CatalogDamagedError(CoverbtError):
    """The catalog is missing or unreadable while segment files exist."""


@dataclass
class RebuildReport:
    """What :func:`rebuild_catalog` did."""

    series: int = 0
    segments: int = 0
    superseded: list[str] = field(default_factory=list)
    undescribed: list[str] = field(default_factory=list)
    unreadable: list[str] = field(default_factory=list)
    kept_as: str | None = None

    def describe(self) -> str:
        text = f"rebuilt the catalog from {self.segments} segment(s): {self.series} series"
        if self.kept_as:
            text += f"; the old catalog is kept as {self.kept_as}"
        skipped = len(self.superseded) + len(self.undescribed) + len(self.unreadable)
        if skipped:
            text += (
                f"; {skipped} segment file(s) left untouched ({len(self.superseded)} superseded,"
                f" {len(self.undescribed)} without a description, {len(self.unreadable)} "
                "unreadable)"
            )
        return text + "; code names are not in segments: import the stock list again"


def describe(entry: Entry) -> dict[str, object]:
    """The catalog row of ``entry`` as JSON-able data (stored in its segment)."""
    return {
        **entry.meta.to_json(),
        "columns": list(entry.columns),
        "content_hash": entry.content_hash,
        "suspended": entry.suspended,
    }


def segment_files(segment_dir: Path) -> list[Path]:
    """The segment files in ``segment_dir`` (not temporary ones)."""
    if not segment_dir.is_dir():
        return []
    return sorted(segment_dir.glob(f"{SEGMENT_PREFIX}*.parquet"))


def check_catalog(
    catalog_path: Path, segment_dir: Path, conn: sqlite3.Connection | None = None
) -> None:
    """Raise :class:`CatalogDamagedError` when segments exist but the catalog does not
    know any of them (missing, 0 bytes, or, given ``conn``, empty)."""
    files = segment_files(segment_dir)
    if not files:
        return
    if not catalog_path.exists() or catalog_path.stat().st_size == 0:
        state = "is missing" if not catalog_path.exists() else "is empty (0 bytes)"
    elif conn is not None and not _knows_any(conn):
        state = "lists no segment"
    else:
        return
    raise CatalogDamagedError(
        f"the cache catalog {catalog_path} {state}, but {segment_dir} holds {len(files)} "
        f"segment file(s); nothing was written or deleted: {REBUILD_HINT}"
    )


def _knows_any(conn: sqlite3.Connection) -> bool:
    if catalog.segments(conn):
        return True
    try:
        return bool(catalog.pending(conn))
    except sqlite3.OperationalError:  # a catalog older than the pending_files table
        return False


def connect_checked(catalog_path: Path) -> sqlite3.Connection:
    """:func:`catalog.connect`, with a damaged file reported as such."""
    try:
        return catalog.connect(catalog_path)
    except sqlite3.DatabaseError as exc:
        raise damaged(catalog_path, exc) from None


def check_readable(cache_root: Path) -> None:
    """Raise :class:`CatalogDamagedError` when the catalog cannot be read."""
    path = cache_root / catalog.CATALOG_NAME
    check_catalog(path, cache_root / "segments")
    if not path.exists():
        return
    try:
        with catalog.reading(path) as conn:
            conn.execute("SELECT COUNT(*) FROM segments").fetchone()
    except sqlite3.DatabaseError as exc:
        raise damaged(path, exc) from None


def damaged(catalog_path: Path, exc: Exception) -> CatalogDamagedError:
    return CatalogDamagedError(
        f"the cache catalog {catalog_path} is damaged ({exc}): {REBUILD_HINT}"
    )


def catalog_problem(cache_root: Path) -> str | None:
    """Why the catalog of ``cache_root`` cannot be used, or None."""
    path = cache_root / catalog.CATALOG_NAME
    try:
        check_readable(cache_root)
        if path.exists():
            with catalog.reading(path) as conn:
                check_catalog(path, cache_root / "segments", conn)
    except CatalogDamagedError as exc:
        return str(exc)
    return None


def rebuild_catalog(cache: Cache) -> RebuildReport:
    """Rebuild ``cache``'s catalog from its self-describing segments (see the module)."""
    report = RebuildReport()
    with cache.locked():
        chosen, written = _newest_per_series(segment_files(cache.segment_dir), report)
        if not chosen:
            raise CatalogDamagedError(
                f"no segment in {cache.segment_dir} describes its series (written by an older "
                "coverbt), so the catalog cannot be rebuilt; nothing was deleted. Fix: move "
                f"{cache.root} aside and import the vendor files again"
            )
        report.kept_as = _move_aside(cache.catalog_path)
        conn = catalog.connect(cache.catalog_path)
        try:
            by_segment: dict[Path, list[dict[str, object]]] = {}
            for path, description in chosen.values():
                by_segment.setdefault(path, []).append(description)
            for path in sorted(by_segment, key=lambda p: written[p]):
                _record(conn, path, by_segment[path])
                report.segments += 1
                report.series += len(by_segment[path])
            used = set(by_segment)
            report.superseded = sorted(p.name for p in written if p not in used)
        finally:
            conn.close()
    return report


def _newest_per_series(
    files: list[Path], report: RebuildReport
) -> tuple[dict[SeriesKey, tuple[Path, dict[str, object]]], dict[Path, int]]:
    chosen: dict[SeriesKey, tuple[Path, dict[str, object]]] = {}
    written: dict[Path, int] = {}
    described = []
    for path in files:
        try:
            found = read_description(path)
        except (OSError, ValueError, pa.ArrowException):
            report.unreadable.append(path.name)
            continue
        if found is None:
            report.undescribed.append(path.name)
            continue
        written[path] = found[0]
        described.append((found[0], path, found[1]))
    for _ns, path, items in sorted(described, key=lambda t: (t[0], t[1].name)):
        for item in items:
            key = (str(item["code"]), str(item["kind"]), str(item["source"]), str(item["adjust"]))
            chosen[key] = (path, item)
    return chosen, written


def _move_aside(catalog_path: Path) -> str | None:
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S")
    kept = None
    for suffix in ("", "-wal", "-shm"):
        path = catalog_path.with_name(catalog_path.name + suffix)
        if path.exists():
            target = catalog_path.with_name(f"{catalog_path.name}.damaged-{stamp}{suffix}")
            path.replace(target)
            kept = kept or target.name
    return kept


def _record(conn: sqlite3.Connection, path: Path, items: list[dict[str, object]]) -> None:
    reader = SegmentReader(path)
    entries: list[Entry] = []
    gaps: dict[SeriesKey, Sequence[dt.date]] = {}
    for item in items:
        row = (
            item["code"], item["kind"], item["source"], item["adjust"], item["adjust_base"],
            item["retrieved_at"], item["first"], item["last"], item["rows"], item["origin"],
            json.dumps(item["columns"]), item["content_hash"], path.name, item["row_group"],
            item["row_offset"], item["suspended"],
        )  # fmt: skip
        entry = catalog.entry_from_row(row)
        dates = reader.series(entry.placement, entry.meta.rows, ()).index
        gaps[entry.key] = [d.date() for d in missing_sessions(pd.DatetimeIndex(dates))]
        entries.append(entry)
    rows = int(reader.file.metadata.num_rows)
    info = SegmentInfo(path.name, path.stat().st_size, file_crc32(path), rows)
    catalog.record(conn, info, entries, gaps)
