"""The cache's catalog: one SQLite file that says what ``data_cache/`` holds.

Tables
------
``segments``
    every parquet segment file with its size, CRC-32 and row count.
``series``
    one row per (code, kind, source, adjust): the :class:`SeriesMeta`, the series'
    columns, a content hash (so importing the same data twice changes nothing) and where
    it lives (segment, row group, first row).
``suspensions``
    sessions of the exchange calendar missing between a series' first and last date.
``code_names``
    code to name, from the vendors' code lists.
``history``
    one row per import or update run, append-only.
``pending_files``
    segment files this catalog made that are not part of the cache: being written (a
    killed write leaves one) or superseded by a newer segment. The next write deletes
    them. A segment file the catalog does not list in ``segments`` or here is never
    deleted (it may belong to a lost catalog: see :mod:`coverbt.data.recover`).

SQLite runs in WAL mode: a transaction is all or nothing even when the process is killed,
so the catalog always points at complete segment files.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from coverbt.data.schema import Adjust, SeriesKind, SeriesMeta
from coverbt.data.segments import Placement, SegmentInfo

CATALOG_NAME = "catalog.sqlite"
SeriesKey = tuple[str, str, str, str]  # code, kind, source, adjust

_DDL = """
CREATE TABLE IF NOT EXISTS segments (
    name TEXT PRIMARY KEY, size INTEGER NOT NULL, crc32 INTEGER NOT NULL,
    rows INTEGER NOT NULL, created_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS series (
    code TEXT NOT NULL, kind TEXT NOT NULL, source TEXT NOT NULL, adjust TEXT NOT NULL,
    adjust_base TEXT, retrieved_at TEXT NOT NULL, first TEXT NOT NULL, last TEXT NOT NULL,
    rows INTEGER NOT NULL, origin TEXT NOT NULL, columns TEXT NOT NULL,
    content_hash TEXT NOT NULL, segment TEXT NOT NULL REFERENCES segments(name),
    row_group INTEGER NOT NULL, row_offset INTEGER NOT NULL, suspended INTEGER NOT NULL,
    PRIMARY KEY (code, kind, source, adjust));
CREATE TABLE IF NOT EXISTS suspensions (
    code TEXT NOT NULL, kind TEXT NOT NULL, source TEXT NOT NULL, adjust TEXT NOT NULL,
    date TEXT NOT NULL, PRIMARY KEY (code, kind, source, adjust, date));
CREATE TABLE IF NOT EXISTS code_names (
    code TEXT PRIMARY KEY, name TEXT NOT NULL, origin TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS history (
    id INTEGER PRIMARY KEY AUTOINCREMENT, command TEXT NOT NULL, started_at TEXT NOT NULL,
    finished_at TEXT NOT NULL, summary TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS pending_files (name TEXT PRIMARY KEY, since TEXT NOT NULL);
"""


@dataclass(frozen=True)
class Entry:
    """A catalog row: a series' metadata, columns, content hash and placement."""

    meta: SeriesMeta
    columns: tuple[str, ...]
    content_hash: str
    placement: Placement
    suspended: int

    @property
    def key(self) -> SeriesKey:
        m = self.meta
        return (m.code, str(m.kind), m.source, str(m.adjust))


def connect(path: Path) -> sqlite3.Connection:
    """Open (and create if needed) the catalog at ``path`` for writing."""
    conn = sqlite3.connect(path, timeout=30, isolation_level=None)
    try:
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=FULL")
        conn.executescript(_DDL)
    except BaseException:
        conn.close()  # a damaged file: the caller reports it
        raise
    return conn


@contextmanager
def reading(path: Path) -> Iterator[sqlite3.Connection]:
    """A read-only connection: never takes the write lock, so reads never wait on an import
    (WAL readers see the last committed state)."""
    conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=30)
    try:
        yield conn
    finally:
        conn.close()


def entries(conn: sqlite3.Connection) -> list[Entry]:
    """Every series row, ordered by kind, code, source."""
    rows = conn.execute(
        "SELECT code, kind, source, adjust, adjust_base, retrieved_at, first, last, rows, "
        "origin, columns, content_hash, segment, row_group, row_offset, suspended "
        "FROM series ORDER BY kind, code, source, adjust"
    ).fetchall()
    return [_entry(row) for row in rows]


def _entry(row: Sequence[object]) -> Entry:
    code, kind, source, adjust, base, retrieved, first, last, rows, origin = row[:10]
    meta = SeriesMeta(
        code=str(code),
        kind=SeriesKind(str(kind)),
        source=str(source),
        adjust=Adjust(str(adjust)),
        adjust_base=dt.date.fromisoformat(str(base)) if base else None,
        retrieved_at=dt.datetime.fromisoformat(str(retrieved)),
        first=dt.date.fromisoformat(str(first)),
        last=dt.date.fromisoformat(str(last)),
        rows=int(rows),  # type: ignore[call-overload]
        origin=str(origin),
    )
    columns, content_hash, segment, group, offset, suspended = row[10:]
    return Entry(
        meta=meta,
        columns=tuple(json.loads(str(columns))),
        content_hash=str(content_hash),
        placement=Placement(str(segment), int(group), int(offset)),  # type: ignore[call-overload]
        suspended=int(suspended),  # type: ignore[call-overload]
    )


def segments(conn: sqlite3.Connection) -> dict[str, SegmentInfo]:
    """Every segment the catalog knows, by file name."""
    rows = conn.execute("SELECT name, size, crc32, rows FROM segments").fetchall()
    return {r[0]: SegmentInfo(r[0], int(r[1]), int(r[2]), int(r[3])) for r in rows}


def record(
    conn: sqlite3.Connection,
    segment: SegmentInfo,
    new: Iterable[Entry],
    gaps: dict[SeriesKey, Sequence[dt.date]],
) -> None:
    """Add a segment and point the given series at it; one transaction.

    Segments no series refers to any more are dropped from the catalog and listed in
    ``pending_files`` (the caller deletes the files after this commits, or the next write
    does).
    """
    now = _now()
    conn.execute("BEGIN IMMEDIATE")
    try:
        conn.execute(
            "INSERT INTO segments VALUES (?, ?, ?, ?, ?)",
            (segment.name, segment.size, segment.crc32, segment.rows, now),
        )
        for entry in new:
            conn.execute("INSERT OR REPLACE INTO series VALUES " + _PLACEHOLDERS, _row(entry))
            conn.execute(
                "DELETE FROM suspensions WHERE code=? AND kind=? AND source=? AND adjust=?",
                entry.key,
            )
            conn.executemany(
                "INSERT INTO suspensions VALUES (?, ?, ?, ?, ?)",
                [(*entry.key, day.isoformat()) for day in gaps.get(entry.key, ())],
            )
        conn.execute("DELETE FROM pending_files WHERE name=?", (segment.name,))
        unused = "FROM segments WHERE name NOT IN (SELECT DISTINCT segment FROM series)"
        conn.execute(f"INSERT OR IGNORE INTO pending_files SELECT name, ? {unused}", (now,))
        conn.execute(f"DELETE {unused}")
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise


def _now() -> str:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None).isoformat(timespec="seconds")


def add_pending(conn: sqlite3.Connection, name: str) -> None:
    """Claim a segment file about to be written (committed before the file exists)."""
    conn.execute("INSERT OR IGNORE INTO pending_files VALUES (?, ?)", (name, _now()))


def pending(conn: sqlite3.Connection) -> set[str]:
    """Segment files this catalog claimed that are not part of the cache."""
    known = set(segments(conn))
    return {r[0] for r in conn.execute("SELECT name FROM pending_files")} - known


def clear_pending(conn: sqlite3.Connection, names: Iterable[str]) -> None:
    """Forget claimed files once they are deleted."""
    conn.executemany("DELETE FROM pending_files WHERE name=?", [(n,) for n in names])


_PLACEHOLDERS = "(" + ", ".join("?" * 16) + ")"


def _row(entry: Entry) -> tuple[object, ...]:
    m = entry.meta
    return (
        m.code,
        str(m.kind),
        m.source,
        str(m.adjust),
        m.adjust_base.isoformat() if m.adjust_base else None,
        m.retrieved_at.isoformat(timespec="seconds"),
        m.first.isoformat(),
        m.last.isoformat(),
        m.rows,
        m.origin,
        json.dumps(list(entry.columns)),
        entry.content_hash,
        entry.placement.segment,
        entry.placement.row_group,
        entry.placement.row_offset,
        entry.suspended,
    )


def suspensions(conn: sqlite3.Connection, key: SeriesKey) -> pd.DatetimeIndex:
    """Recorded suspension days of one series."""
    rows = conn.execute(
        "SELECT date FROM suspensions WHERE code=? AND kind=? AND source=? AND adjust=? "
        "ORDER BY date",
        key,
    ).fetchall()
    return pd.DatetimeIndex(pd.to_datetime([r[0] for r in rows]), name="date")


def put_names(conn: sqlite3.Connection, names: pd.DataFrame, origin: str) -> int:
    """Insert or update code/name pairs; returns how many rows changed."""
    before = conn.total_changes
    conn.execute("BEGIN IMMEDIATE")
    conn.executemany(
        "INSERT INTO code_names VALUES (?, ?, ?) ON CONFLICT(code) DO UPDATE SET "
        "name=excluded.name, origin=excluded.origin WHERE name != excluded.name",
        [(c, n, origin) for c, n in zip(names["code"], names["name"], strict=True)],
    )
    conn.execute("COMMIT")
    return conn.total_changes - before


def names(conn: sqlite3.Connection) -> pd.DataFrame:
    """Columns ``code`` and ``name``, sorted by code."""
    rows = conn.execute("SELECT code, name FROM code_names ORDER BY code").fetchall()
    return pd.DataFrame(rows, columns=["code", "name"], dtype=str)


def log_run(
    conn: sqlite3.Connection, command: str, started: dt.datetime, summary: dict[str, object]
) -> None:
    """Append one run to the history (never updated or deleted)."""
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    conn.execute(
        "INSERT INTO history (command, started_at, finished_at, summary) VALUES (?, ?, ?, ?)",
        (
            command,
            started.isoformat(timespec="seconds"),
            now.isoformat(timespec="seconds"),
            json.dumps(summary, ensure_ascii=False, default=str),
        ),
    )


def drop_segments(conn: sqlite3.Connection, names: Sequence[str]) -> list[Entry]:
    """Forget the given segments and every series stored in them; one transaction."""
    dropped = [e for e in entries(conn) if e.placement.segment in set(names)]
    conn.execute("BEGIN IMMEDIATE")
    try:
        for entry in dropped:
            conn.execute(
                "DELETE FROM series WHERE code=? AND kind=? AND source=? AND adjust=?", entry.key
            )
            conn.execute(
                "DELETE FROM suspensions WHERE code=? AND kind=? AND source=? AND adjust=?",
                entry.key,
            )
        conn.executemany("DELETE FROM segments WHERE name=?", [(n,) for n in names])
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    return dropped


def entry_from_row(row: Sequence[object]) -> Entry:
    """An :class:`Entry` from the 16 values of a ``series`` row (in table order)."""
    return _entry(row)
