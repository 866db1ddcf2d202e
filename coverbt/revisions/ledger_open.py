"""Opening the ledger's DuckDB file: wait for other processes, name what the disk refused.

DuckDB lets one process write a file, or several read it, never both at once: a reader that
opens the ledger while ``coverbt revisions ingest`` writes it gets "Could not set lock on
file", and so does a writer while a reader holds it. :func:`connect` waits with a bounded
exponential backoff (:data:`BACKOFF_START` doubling to :data:`BACKOFF_MAX`) until the other
process is done, and raises :class:`~coverbt.errors.LockedError` after ``timeout`` seconds.

DuckDB's own errors about the disk (no space, read-only, permission) and about a file that
is not a DuckDB database (emptied, truncated, overwritten) become one-line
:class:`~coverbt.errors.EnvironmentProblem` messages naming the file and the fix
(:func:`ledger_problem`).

A new ledger is created under a temporary name and renamed into place
(:func:`create_atomically`), so a process killed while creating it never leaves an empty or
half-written ``ledger.duckdb`` behind.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from contextlib import suppress
from pathlib import Path
from typing import TypeVar

import duckdb

from coverbt.atomic import temp_file
from coverbt.errors import EnvironmentProblem, LockedError

T = TypeVar("T")

BACKOFF_START = 0.02
BACKOFF_MAX = 0.5
_LOCK_CONFLICT = "Could not set lock"
_NOT_DUCKDB = "not a valid DuckDB database"
_DISK_MESSAGES: tuple[tuple[str, str, str], ...] = (
    (
        "No space left",
        "no space left on the device",
        "free disk space (df -h {folder}) and run the command again; the ledger keeps every "
        "committed row and nothing of the failed ingestion",
    ),
    (
        "Read-only file system",
        "the file system is read-only",
        "run in a writable workspace (--workspace DIR) or remount {folder} read-write",
    ),
    (
        "Permission denied",
        "permission denied",
        "make {folder} and the ledger writable for this user (chmod u+w)",
    ),
    (
        "Disk quota exceeded",
        "disk quota exceeded",
        "free space within your quota and run the command again",
    ),
)


def connect(
    path: Path,
    *,
    read_only: bool,
    timeout: float,
    what: str = "ledger",
    problem: Callable[[Path, duckdb.Error], Exception] | None = None,
) -> duckdb.DuckDBPyConnection:
    """A connection to ``path``, waiting up to ``timeout`` s while another process holds it.

    ``what`` names the file in messages; ``problem`` maps a DuckDB error that is no lock
    conflict to the error raised (default :func:`ledger_problem`).

    Raises
    ------
    LockedError
        when the file is still held after ``timeout`` seconds.
    EnvironmentProblem
        when the file is not a DuckDB database, or the disk refuses it.
    """
    deadline = time.monotonic() + timeout
    pause = BACKOFF_START
    while True:
        try:
            return duckdb.connect(str(path), read_only=read_only)
        except duckdb.Error as exc:
            if _LOCK_CONFLICT not in str(exc):
                raise (problem or ledger_problem)(path, exc) from None
            left = deadline - time.monotonic()
            if left <= 0:
                raise LockedError(
                    f"the {what} {path} is still in use by another coverbt process after "
                    f"{timeout:.0f} s ({'reading' if read_only else 'writing'} it). Fix: wait "
                    "for that process to finish and run this command again"
                ) from None
        time.sleep(min(pause, left))
        pause = min(pause * 2, BACKOFF_MAX)


def ledger_problem(path: Path, exc: duckdb.Error) -> Exception:
    """The :class:`EnvironmentProblem` of a DuckDB error on the ledger, or ``exc`` itself
    when it is none of the known environment failures (a bug, reported as such)."""
    text = str(exc)
    folder = Path(path).parent
    if _NOT_DUCKDB in text:
        return EnvironmentProblem(
            f"not a DuckDB database ({_size(path)}: emptied, truncated or overwritten)",
            path=path,
            fix=(
                f"move it aside (mv {path} {path}.damaged) and restore your backup of it; "
                "without one, `coverbt revisions ingest` re-creates the report's rows "
                "(consensus snapshots come back only from a backup)"
            ),
        )
    for marker, what, fix in _DISK_MESSAGES:
        if marker in text:
            return EnvironmentProblem(
                f"cannot write the ledger: {what}", path=path, fix=fix.format(folder=folder)
            )
    return exc


def write_in_transaction(
    path: Path,
    ddl: str,
    work: Callable[[duckdb.DuckDBPyConnection], T],
    *,
    timeout: float,
    what: str = "ledger",
    problem: Callable[[Path, duckdb.Error], Exception] | None = None,
) -> T:
    """Create ``path`` with ``ddl`` if needed, then run ``work`` in one transaction: all of
    it is committed or none (a failed commit or any exception rolls back). DuckDB errors
    become ``problem(path, exc)`` (default :func:`ledger_problem`). The caller holds the
    file's lock."""
    to_error = problem or ledger_problem
    create_atomically(path, ddl)
    con = connect(path, read_only=False, timeout=timeout, what=what, problem=to_error)
    try:
        con.execute(ddl)
        con.begin()
        try:
            out = work(con)
            con.commit()
        except BaseException:
            with suppress(duckdb.Error):  # a failed commit has ended the transaction
                con.rollback()
            raise
    except duckdb.Error as exc:  # a full or read-only disk: the transaction is undone
        raise to_error(path, exc) from None
    finally:
        con.close()
    return out


def fetch_one(con: duckdb.DuckDBPyConnection, sql: str) -> tuple:
    """The one row of an aggregate query."""
    row = con.execute(sql).fetchone()
    if row is None:  # an aggregate always returns one row
        raise RuntimeError(f"no row from {sql}")
    return tuple(row)


def create_atomically(path: Path, ddl: str) -> None:
    """Create the ledger file with its tables under a temporary name, then rename it to
    ``path`` (call under the ledger's write lock; a no-op when ``path`` exists)."""
    if path.exists():
        return
    tmp = temp_file(path.parent, prefix=f".{path.name}.", suffix=".tmp")
    tmp.unlink()  # DuckDB creates the file itself; an empty one is "not a database"
    try:
        try:
            con = duckdb.connect(str(tmp))
            try:
                con.execute(ddl)
                con.execute("CHECKPOINT")
            finally:
                con.close()
        except duckdb.Error as exc:
            raise ledger_problem(path, exc) from None
        with tmp.open("rb") as handle:
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
        Path(f"{tmp}.wal").unlink(missing_ok=True)


def _size(path: Path) -> str:
    try:
        size = Path(path).stat().st_size
    except OSError:
        return "size unknown"
    return "0 bytes" if size == 0 else f"{size:,} bytes"
