"""The append-only revision ledger: a DuckDB table of forecast snapshots.

Rules
-----
* Rows are only ever INSERTed: no UPDATE, no DELETE.
* Ingestion is idempotent on the key (source, as_of, code, fiscal_year, kind): a record whose
  content equals the latest stored row of its key is a no-op; a record with *different* values
  for a stored key is a correction, appended with a larger ``seq`` and a later
  ``ingested_at``. Reads take the latest correction of each key.
* Each ingestion runs in one transaction under a file lock (one writer at a time).
* Readers and writers wait for each other (DuckDB lets one process write, or several read):
  :func:`coverbt.revisions.ledger_open.connect` retries with a bounded backoff. A ledger that
  is not a DuckDB file, or a disk that refuses a write, is an
  :class:`~coverbt.errors.EnvironmentProblem` naming the file and the fix.
* Point in time: :meth:`Ledger.known_at` returns only rows with ``as_of <= date``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow as pa
from filelock import FileLock, Timeout

from coverbt.errors import InputError, LockedError
from coverbt.revisions.ledger_open import (
    connect,
    fetch_one,
    ledger_problem,
    write_in_transaction,
)
from coverbt.revisions.records import ForecastRecord

LEDGER_FILE = "ledger.duckdb"
LOCK_TIMEOUT_SECONDS = 30.0
KEY_COLUMNS: tuple[str, ...] = ("source", "as_of", "code", "fiscal_year", "kind")
VALUE_COLUMNS: tuple[str, ...] = ("eps", "net_profit", "rating", "target_price", "mark")
COLUMNS: tuple[str, ...] = (
    "seq",
    *KEY_COLUMNS,
    *VALUE_COLUMNS,
    "content_hash",
    "ingested_at",
    "origin",
)

_DDL = """
CREATE TABLE IF NOT EXISTS forecasts (
    seq BIGINT NOT NULL,
    source VARCHAR NOT NULL,
    as_of DATE NOT NULL,
    code VARCHAR NOT NULL,
    fiscal_year INTEGER NOT NULL,
    kind VARCHAR NOT NULL,
    eps DOUBLE NOT NULL,
    net_profit DOUBLE,
    rating VARCHAR,
    target_price DOUBLE,
    mark VARCHAR,
    content_hash VARCHAR NOT NULL,
    ingested_at TIMESTAMP NOT NULL,
    origin VARCHAR
)
"""

_BATCH_SCHEMA = pa.schema(
    [
        ("source", pa.string()),
        ("as_of", pa.date32()),
        ("code", pa.string()),
        ("fiscal_year", pa.int32()),
        ("kind", pa.string()),
        ("eps", pa.float64()),
        ("net_profit", pa.float64()),
        ("rating", pa.string()),
        ("target_price", pa.float64()),
        ("mark", pa.string()),
        ("content_hash", pa.string()),
    ]
)

_LATEST = f"""
SELECT * FROM (
    SELECT *, row_number() OVER (
        PARTITION BY {", ".join(KEY_COLUMNS)} ORDER BY seq DESC) AS _rank
    FROM forecasts
) WHERE _rank = 1
"""


@dataclass(frozen=True)
class IngestSummary:
    """What one ingestion did: ``added = new_keys + corrections``; the rest were no-ops."""

    received: int
    new_keys: int
    corrections: int
    unchanged: int

    @property
    def added(self) -> int:
        return self.new_keys + self.corrections


class Ledger:
    """The revision ledger stored in one DuckDB file.

    Examples
    --------
    >>> import tempfile
    >>> ledger = Ledger(Path(tempfile.mkdtemp()) / LEDGER_FILE)
    >>> rec = ForecastRecord("demo", dt.date(2024, 6, 23), "300496", 2024, 1.48)
    >>> ledger.ingest([rec], origin="doctest").added, ledger.ingest([rec], origin="doctest").added
    (1, 0)
    """

    def __init__(self, path: Path, *, lock_timeout: float = LOCK_TIMEOUT_SECONDS) -> None:
        self.path = Path(path)
        self._timeout = lock_timeout
        self._lock = FileLock(str(self.path) + ".lock", timeout=lock_timeout)

    @classmethod
    def in_cache(cls, cache_dir: Path) -> Ledger:
        """The ledger of a workspace: ``<cache_dir>/ledger.duckdb``."""
        return cls(Path(cache_dir) / LEDGER_FILE)

    def ingest(
        self, records: Iterable[ForecastRecord], *, origin: str, now: dt.datetime | None = None
    ) -> IngestSummary:
        """Append the records that are new or that correct a stored key, in one transaction."""
        batch = _dedupe(list(records), origin)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            with self._lock:
                return self._ingest_locked(batch, origin, now or dt.datetime.now())
        except Timeout:
            raise LockedError(
                f"the ledger {self.path} is locked by another coverbt process; wait for it "
                f"to finish (lock file {self._lock.lock_file})"
            ) from None

    def _ingest_locked(
        self, batch: list[ForecastRecord], origin: str, now: dt.datetime
    ) -> IngestSummary:
        return write_in_transaction(
            self.path, _DDL, lambda con: _append(con, batch, origin, now), timeout=self._timeout
        )

    def rows(self) -> pd.DataFrame:
        """Every stored row, superseded corrections included, in ledger order (``seq``)."""
        return self._query("SELECT * FROM forecasts ORDER BY seq")

    def current(self) -> pd.DataFrame:
        """The latest correction of every key."""
        return self._query(f"SELECT * EXCLUDE (_rank) FROM ({_LATEST}) ORDER BY seq")

    def known_at(
        self, date: dt.date, *, code: str | None = None, known_by: dt.datetime | None = None
    ) -> pd.DataFrame:
        """Rows with ``as_of <= date`` (latest correction per key), optionally for one code.

        ``known_by`` additionally drops rows ingested after that moment (audit: what the
        ledger said then).
        """
        table = self.rows()
        if known_by is not None:
            table = table.loc[table["ingested_at"] <= pd.Timestamp(known_by)]
        table = latest_per_key(table)
        mask = table["as_of"] <= pd.Timestamp(date)
        if code is not None:
            mask &= table["code"] == code
        return table.loc[mask].reset_index(drop=True)

    def _query(self, sql: str) -> pd.DataFrame:
        if not self.path.exists():
            return _empty()
        con = connect(self.path, read_only=True, timeout=self._timeout)
        try:
            frame = con.execute(sql).df()
        except duckdb.CatalogException:  # the file exists but nothing was ingested yet
            return _empty()
        except duckdb.Error as exc:
            raise ledger_problem(self.path, exc) from None
        finally:
            con.close()
        frame["as_of"] = pd.to_datetime(frame["as_of"])
        return frame[list(COLUMNS)]


def forecasts_known_at(ledger: Ledger, code: str, date: dt.date) -> pd.DataFrame:
    """Forecasts and actuals of ``code`` that were known on ``date`` (``as_of <= date``)."""
    return ledger.known_at(date, code=code)


def latest_per_key(rows: pd.DataFrame, keys: Sequence[str] = KEY_COLUMNS) -> pd.DataFrame:
    """The row with the largest ``seq`` of each key (a pure function of a ledger frame, or
    of any append-only store's rows with their ``keys``)."""
    if rows.empty:
        return rows.copy()
    ordered = rows.sort_values("seq")
    return ordered.drop_duplicates(list(keys), keep="last").reset_index(drop=True)


def _append(
    con: duckdb.DuckDBPyConnection, batch: list[ForecastRecord], origin: str, now: dt.datetime
) -> IngestSummary:
    if not batch:
        return IngestSummary(0, 0, 0, 0)
    table = pa.Table.from_pylist([_as_row(r) for r in batch], schema=_BATCH_SCHEMA)
    con.register("batch", table)
    keys = " AND ".join(f"b.{c} = l.{c}" for c in KEY_COLUMNS)
    con.execute(
        f"""CREATE TEMP TABLE fresh AS
        SELECT b.*, l.content_hash IS NOT NULL AS is_correction
        FROM batch b LEFT JOIN ({_LATEST}) l ON {keys}
        WHERE l.content_hash IS NULL OR l.content_hash <> b.content_hash"""
    )
    added, corrections = fetch_one(
        con, "SELECT count(*), count(*) FILTER (WHERE is_correction) FROM fresh"
    )
    last_seq, last_at = fetch_one(
        con, "SELECT coalesce(max(seq), 0), max(ingested_at) FROM forecasts"
    )
    stamp = now if last_at is None or now > last_at else last_at + dt.timedelta(microseconds=1)
    con.execute(
        f"""INSERT INTO forecasts
        SELECT ? + row_number() OVER () AS seq, {", ".join(KEY_COLUMNS)},
               {", ".join(VALUE_COLUMNS)}, content_hash, ? AS ingested_at, ? AS origin
        FROM fresh""",
        [last_seq, stamp, origin],
    )
    con.execute("DROP TABLE fresh")
    con.unregister("batch")
    return IngestSummary(len(batch), added - corrections, corrections, len(batch) - added)


def _as_row(record: ForecastRecord) -> dict[str, object]:
    return {
        "source": record.source,
        "as_of": record.as_of,
        "code": record.code,
        "fiscal_year": record.fiscal_year,
        "kind": str(record.kind),
        "eps": record.eps,
        "net_profit": record.net_profit,
        "rating": record.rating,
        "target_price": record.target_price,
        "mark": record.mark,
        "content_hash": record.content_hash,
    }


def _dedupe(records: list[ForecastRecord], origin: str) -> list[ForecastRecord]:
    """Drop exact repeats inside one batch; two different values for one key is an error."""
    seen: dict[tuple[object, ...], ForecastRecord] = {}
    for record in records:
        other = seen.setdefault(record.key, record)
        if other.content_hash != record.content_hash:
            raise InputError(
                f"two different values for {record.code} FY{record.fiscal_year} from "
                f"{record.source} as of {record.as_of}: {other.eps} and {record.eps}",
                source=origin,
                expected="one value per (source, as_of, code, fiscal_year, kind) in one batch",
                fix="remove the duplicate; a later correction goes in a later ingestion",
            )
    return list(seen.values())


def _empty() -> pd.DataFrame:
    frame = pd.DataFrame({c: pd.Series(dtype=object) for c in COLUMNS})
    frame["as_of"] = pd.to_datetime(frame["as_of"])
    frame["seq"] = frame["seq"].astype("int64")
    frame["fiscal_year"] = frame["fiscal_year"].astype("int64")
    frame["eps"] = frame["eps"].astype(float)
    return frame
