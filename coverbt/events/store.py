"""The rating-event store: one append-only DuckDB file of every rating coverbt knows.

Rules (those of :mod:`coverbt.revisions.ledger`)
------------------------------------------------
* Rows are only ever INSERTed: no UPDATE, no DELETE.
* The key is (source, report_id, code). An event equal to the latest stored row of its key
  is a no-op; one with different values is a correction, appended with a larger ``seq``.
  Reads take the latest correction of each key.
* ``learned_at`` is when coverbt stored the row: :meth:`EventStore.known_at` answers what
  the store knew at a moment (``known_by``) about ratings published by a day.
* One ingestion is one transaction under a file lock: its events, the raw payloads they
  were parsed from and the fetch marks (which request was done) are committed together or
  not at all. A failure anywhere leaves the store exactly as it was.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow as pa
from filelock import FileLock, Timeout

from coverbt.errors import EnvironmentProblem, InputError, LockedError
from coverbt.events.model import EVENT_COLUMNS, KEY_COLUMNS, RatingEvent
from coverbt.revisions.ledger import IngestSummary, latest_per_key  # shared with the ledger
from coverbt.revisions.ledger_open import (
    connect,
    fetch_one,
    ledger_problem,
    write_in_transaction,
)

STORE_FILE = "events.duckdb"
LOCK_TIMEOUT_SECONDS = 30.0
COLUMNS: tuple[str, ...] = ("seq", *EVENT_COLUMNS, "learned_at", "origin")

_DDL = """
CREATE TABLE IF NOT EXISTS rating_events (
    seq BIGINT NOT NULL, source VARCHAR NOT NULL, report_id VARCHAR NOT NULL,
    code VARCHAR NOT NULL, broker VARCHAR NOT NULL, analysts VARCHAR NOT NULL,
    published DATE NOT NULL, published_at TIMESTAMP, name VARCHAR, label VARCHAR NOT NULL,
    previous_label VARCHAR, rating_change VARCHAR, target_low DOUBLE, target_high DOUBLE,
    eps VARCHAR NOT NULL, pe VARCHAR NOT NULL, industry VARCHAR, industry_index VARCHAR,
    scale VARCHAR, source_ref VARCHAR NOT NULL, content_hash VARCHAR NOT NULL,
    learned_at TIMESTAMP NOT NULL, origin VARCHAR NOT NULL
);
CREATE TABLE IF NOT EXISTS raw_payloads (
    payload_id VARCHAR NOT NULL, function VARCHAR NOT NULL, args VARCHAR NOT NULL,
    fetched_at TIMESTAMP NOT NULL, payload VARCHAR NOT NULL, stored_at TIMESTAMP NOT NULL
);
CREATE TABLE IF NOT EXISTS fetch_log (
    function VARCHAR NOT NULL, args VARCHAR NOT NULL, payload_id VARCHAR NOT NULL,
    events INTEGER NOT NULL, stored_at TIMESTAMP NOT NULL
);
"""

_BATCH_SCHEMA = pa.schema(
    [
        ("source", pa.string()), ("report_id", pa.string()), ("code", pa.string()),
        ("broker", pa.string()), ("analysts", pa.string()), ("published", pa.date32()),
        ("published_at", pa.timestamp("us")), ("name", pa.string()), ("label", pa.string()),
        ("previous_label", pa.string()), ("rating_change", pa.string()),
        ("target_low", pa.float64()), ("target_high", pa.float64()), ("eps", pa.string()),
        ("pe", pa.string()), ("industry", pa.string()), ("industry_index", pa.string()),
        ("scale", pa.string()), ("source_ref", pa.string()), ("content_hash", pa.string()),
    ]
)  # fmt: skip

_LATEST = f"""
SELECT * FROM (
    SELECT *, row_number() OVER (PARTITION BY {", ".join(KEY_COLUMNS)} ORDER BY seq DESC)
        AS _rank
    FROM rating_events
) WHERE _rank = 1
"""


@dataclass(frozen=True)
class RawPayload:
    """An answer as a source gave it (JSON text), kept beside the events parsed from it."""

    payload_id: str  # SHA-256 of the payload text
    function: str  # e.g. ``stock_research_report_em``
    args: str  # the call's arguments, canonical JSON
    fetched_at: dt.datetime
    payload: str


@dataclass(frozen=True)
class FetchMark:
    """One request done: a later incremental run does not repeat it."""

    function: str
    args: str
    payload_id: str
    events: int


class EventStore:
    """The rating events of a workspace, in ``data_cache/events.duckdb``.

    Examples
    --------
    >>> import tempfile
    >>> from coverbt.events.model import Source
    >>> store = EventStore(Path(tempfile.mkdtemp()) / STORE_FILE)
    >>> e = RatingEvent(Source.CSV, "r1", "300496", "某证券", ("张三",), dt.date(2024, 6, 3),
    ...                 "买入")
    >>> store.ingest([e], origin="doctest").added, store.ingest([e], origin="doctest").added
    (1, 0)
    """

    def __init__(self, path: Path, *, lock_timeout: float = LOCK_TIMEOUT_SECONDS) -> None:
        self.path = Path(path)
        self._timeout = lock_timeout
        self._lock = FileLock(str(self.path) + ".lock", timeout=lock_timeout)

    @classmethod
    def in_cache(cls, cache_dir: Path) -> EventStore:
        return cls(Path(cache_dir) / STORE_FILE)

    def ingest(
        self,
        events: Iterable[RatingEvent],
        *,
        origin: str,
        raw: Sequence[RawPayload] = (),
        fetches: Sequence[FetchMark] = (),
        now: dt.datetime | None = None,
    ) -> IngestSummary:
        """Append new and corrected events, the raw payloads and fetch marks: all or nothing.

        Raises
        ------
        InputError
            when one batch holds two different events for one key.
        LockedError
            when another process holds the store longer than the lock timeout.
        """
        batch = _dedupe(list(events), origin)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            with self._lock:
                return self._ingest_locked(batch, raw, fetches, origin, now or dt.datetime.now())
        except Timeout:
            raise LockedError(
                f"the event store {self.path} is locked by another coverbt process; wait "
                f"for it to finish (lock file {self._lock.lock_file})"
            ) from None

    def _ingest_locked(
        self,
        batch: list[RatingEvent],
        raw: Sequence[RawPayload],
        fetches: Sequence[FetchMark],
        origin: str,
        now: dt.datetime,
    ) -> IngestSummary:
        def work(con: duckdb.DuckDBPyConnection) -> IngestSummary:
            summary = _append(con, batch, origin, now)
            _append_raw(con, raw, fetches, now)
            return summary

        return write_in_transaction(
            self.path, _DDL, work, timeout=self._timeout, what="event store",
            problem=store_problem,
        )  # fmt: skip

    def rows(self) -> pd.DataFrame:
        """Every stored row, superseded corrections included, in store order."""
        return self._events("SELECT * FROM rating_events ORDER BY seq")

    def current(self) -> pd.DataFrame:
        """The latest correction of every key, in store order."""
        return self._events(f"SELECT * EXCLUDE (_rank) FROM ({_LATEST}) ORDER BY seq")

    def known_at(
        self, day: dt.date | None = None, *, known_by: dt.datetime | None = None
    ) -> pd.DataFrame:
        """Events published on or before ``day`` as the store knew them at ``known_by``
        (rows learned later are ignored; the latest correction per key before it wins)."""
        table = self.rows()
        if known_by is not None:
            table = table.loc[table["learned_at"] <= pd.Timestamp(known_by)]
        table = latest_per_key(table, KEY_COLUMNS)
        if day is not None:
            table = table.loc[table["published"] <= pd.Timestamp(day)]
        return table.reset_index(drop=True)

    def raw_payloads(self) -> pd.DataFrame:
        return self._query("SELECT * FROM raw_payloads ORDER BY stored_at, payload_id")

    def fetched(self, function: str) -> set[str]:
        """The argument sets of ``function`` already fetched and stored (``args`` JSON)."""
        table = self._query("SELECT args FROM fetch_log WHERE function = ?", [function])
        return set(table["args"]) if "args" in table else set()

    def _events(self, sql: str) -> pd.DataFrame:
        frame = self._query(sql)
        if frame.empty and "seq" not in frame:
            return empty_events()
        frame["published"] = pd.to_datetime(frame["published"])
        return frame[list(COLUMNS)]

    def _query(self, sql: str, params: list[object] | None = None) -> pd.DataFrame:
        if not self.path.exists():
            return pd.DataFrame()
        con = self._connect(read_only=True)
        try:
            return con.execute(sql, params).df()
        except duckdb.CatalogException:
            return pd.DataFrame()
        except duckdb.Error as exc:
            raise store_problem(self.path, exc) from None
        finally:
            con.close()

    def _connect(self, *, read_only: bool) -> duckdb.DuckDBPyConnection:
        return connect(
            self.path, read_only=read_only, timeout=self._timeout, what="event store",
            problem=store_problem,
        )  # fmt: skip


def store_problem(path: Path, exc: duckdb.Error) -> Exception:
    """The environment problem of a DuckDB error on the store (see ``ledger_problem``)."""
    found = ledger_problem(path, exc)
    if not isinstance(found, EnvironmentProblem):
        return found
    if "not a DuckDB database" in found.problem:
        return dataclasses.replace(
            found,
            fix=f"move it aside (mv {path} {path}.damaged) and restore your backup; without "
            "one, `coverbt reports ingest` re-creates the universe files' events and "
            "`coverbt reports fetch-em` / `fetch-cninfo` the feeds'",
        )
    return dataclasses.replace(found, problem=found.problem.replace("ledger", "event store"))


def empty_events() -> pd.DataFrame:
    frame = pd.DataFrame({c: pd.Series(dtype=object) for c in COLUMNS})
    frame["seq"] = frame["seq"].astype("int64")
    frame["published"] = pd.to_datetime(frame["published"])
    for column in ("target_low", "target_high"):
        frame[column] = frame[column].astype(float)
    return frame


def _append(
    con: duckdb.DuckDBPyConnection, batch: list[RatingEvent], origin: str, now: dt.datetime
) -> IngestSummary:
    if not batch:
        return IngestSummary(0, 0, 0, 0)
    table = pa.Table.from_pylist([e.to_row() for e in batch], schema=_BATCH_SCHEMA)
    con.register("batch", table)
    keys = " AND ".join(f"b.{c} = l.{c}" for c in KEY_COLUMNS)
    con.execute(
        f"""CREATE TEMP TABLE fresh AS
        SELECT b.*, l.content_hash IS NOT NULL AS is_correction, row_number() OVER () AS _n
        FROM batch b LEFT JOIN ({_LATEST}) l ON {keys}
        WHERE l.content_hash IS NULL OR l.content_hash <> b.content_hash"""
    )
    added, corrections = fetch_one(
        con, "SELECT count(*), count(*) FILTER (WHERE is_correction) FROM fresh"
    )
    last_seq, last_at = fetch_one(
        con, "SELECT coalesce(max(seq), 0), max(learned_at) FROM rating_events"
    )
    stamp = now if last_at is None or now > last_at else last_at + dt.timedelta(microseconds=1)
    values = ", ".join(EVENT_COLUMNS)
    con.execute(
        f"""INSERT INTO rating_events
        SELECT ? + _n AS seq, {values}, ? AS learned_at, ? AS origin FROM fresh ORDER BY _n""",
        [last_seq, stamp, origin],
    )
    con.execute("DROP TABLE fresh")
    con.unregister("batch")
    return IngestSummary(len(batch), added - corrections, corrections, len(batch) - added)


def _append_raw(
    con: duckdb.DuckDBPyConnection,
    raw: Sequence[RawPayload],
    fetches: Sequence[FetchMark],
    now: dt.datetime,
) -> None:
    stored = {row[0] for row in con.execute("SELECT payload_id FROM raw_payloads").fetchall()}
    for item in raw:
        if item.payload_id in stored:
            continue
        stored.add(item.payload_id)
        con.execute(
            "INSERT INTO raw_payloads VALUES (?, ?, ?, ?, ?, ?)",
            [item.payload_id, item.function, item.args, item.fetched_at, item.payload, now],
        )
    for mark in fetches:
        con.execute(
            "INSERT INTO fetch_log VALUES (?, ?, ?, ?, ?)",
            [mark.function, mark.args, mark.payload_id, mark.events, now],
        )


def _dedupe(events: list[RatingEvent], origin: str) -> list[RatingEvent]:
    """Drop exact repeats inside one batch; two different events for one key is an error."""
    seen: dict[tuple[str, str, str], RatingEvent] = {}
    for event in events:
        other = seen.setdefault(event.key, event)
        if other.content_hash != event.content_hash:
            raise InputError(
                f"two different events for {event.code} in report {event.report_id} "
                f"({event.source}): {other.label!r} and {event.label!r}",
                source=origin,
                expected="one event per (source, report_id, code) in one batch",
                fix="remove the duplicate row; a correction goes in a later ingestion",
            )
    return list(seen.values())
