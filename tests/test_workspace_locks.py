"""Writers of ``reports/`` and of the revision ledger wait for each other (issue 11).

Another process holds the lock (a real subprocess: flock is per process); the writer here
waits with one "waiting" line naming the holder's pid, then proceeds, or fails with a
:class:`LockedError` after its timeout. Ledger readers wait for DuckDB's single writer.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from coverbt.errors import LockedError
from coverbt.locks import LOCK_NAME, reports_lock, sweep_temporaries
from coverbt.reports import write_index
from coverbt.revisions.ledger import Ledger
from coverbt.revisions.records import ForecastRecord

_HOLD_REPORTS = """
import sys, time
from pathlib import Path
from coverbt.locks import reports_lock
with reports_lock(Path(sys.argv[1])):
    Path(sys.argv[2]).touch()
    time.sleep(float(sys.argv[3]))
"""

_HOLD_LEDGER = """
import sys, time
from pathlib import Path
import duckdb
con = duckdb.connect(sys.argv[1], read_only=sys.argv[4] == "read")
Path(sys.argv[2]).touch()
time.sleep(float(sys.argv[3]))
con.close()
"""


@contextmanager
def _holder(script: str, target: Path, seconds: float, *extra: str) -> Iterator[int]:
    """A subprocess holding ``target`` for ``seconds``; yields its pid once it holds it."""
    ready = target.parent / f"ready-{time.monotonic_ns()}"
    proc = subprocess.Popen(
        [sys.executable, "-c", script, str(target), str(ready), str(seconds), *extra]
    )
    try:
        deadline = time.monotonic() + 60
        while not ready.exists():
            assert proc.poll() is None, "the lock holder ended before it held the lock"
            assert time.monotonic() < deadline, "the lock holder never took the lock"
            time.sleep(0.02)
        yield proc.pid
    finally:
        proc.kill()
        proc.wait()


def test_second_writer_waits_with_one_line_then_proceeds(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    reports = tmp_path / "reports"
    with _holder(_HOLD_REPORTS, reports, 1.5) as pid:
        started = time.monotonic()
        with caplog.at_level(logging.INFO, logger="coverbt"):
            index = write_index(reports)
        waited = time.monotonic() - started
    assert index.read_text(encoding="utf-8").rstrip().endswith("</html>")
    waiting = [r.getMessage() for r in caplog.records if "waiting" in r.getMessage()]
    assert len(waiting) == 1 and f"pid {pid}" in waiting[0] and str(reports) in waiting[0]
    assert waited > 0.5


def test_writer_gives_up_with_locked_error_after_its_timeout(tmp_path: Path) -> None:
    reports = tmp_path / "reports"
    with _holder(_HOLD_REPORTS, reports, 30) as pid:  # noqa: SIM117 (pid is needed below)
        with pytest.raises(LockedError, match=f"pid {pid}") as caught:
            with reports_lock(reports, timeout=0.3, notify=lambda _m: None):
                pytest.fail("the lock was taken twice")
    assert str(reports / LOCK_NAME) in str(caught.value)


def test_lock_is_free_again_once_its_holder_is_killed(tmp_path: Path) -> None:
    reports = tmp_path / "reports"
    with _holder(_HOLD_REPORTS, reports, 30):
        pass  # the holder is killed (SIGKILL) on leaving the block
    with reports_lock(reports, timeout=5, notify=lambda _m: None):
        assert (reports / LOCK_NAME).exists()


def test_sweep_moves_back_a_run_folder_left_aside_by_a_killed_writer(tmp_path: Path) -> None:
    reports = tmp_path / "reports"
    run_id = "coverage_equal-0123456789ab"
    aside = reports / f".{run_id}.old.5d3a84bfcf4ef93c" / run_id
    aside.mkdir(parents=True)
    (aside / "manifest.json").write_text("{}", encoding="utf-8")
    half = reports / f".{run_id}.0f3a84bfcf4ef93c"
    half.mkdir()
    stale = reports / ".index.html.0f3a84bfcf4ef93c.tmp"
    stale.write_text("<html", encoding="utf-8")
    keep = reports / "screens"
    keep.mkdir()
    with reports_lock(reports):
        removed = sweep_temporaries(reports)
    assert (reports / run_id / "manifest.json").is_file()
    assert sorted(p.name for p in reports.iterdir()) == sorted(
        [run_id, "screens", LOCK_NAME, ".coverbt.lock.owner"]
    )
    assert len(removed) == 3


def _ledger_with_a_row(path: Path) -> Ledger:
    ledger = Ledger(path, lock_timeout=20)
    ledger.ingest(
        [ForecastRecord("demo", dt.date(2024, 6, 23), "300496", 2024, 1.48)], origin="test"
    )
    return ledger


@pytest.mark.parametrize("holder", ["write", "read"])
def test_ledger_waits_for_the_other_process(tmp_path: Path, holder: str) -> None:
    """A reader waits for a writer, and a writer for a reader (DuckDB: one writer xor
    several readers), instead of failing with "Could not set lock on file"."""
    ledger = _ledger_with_a_row(tmp_path / "ledger.duckdb")
    with _holder(_HOLD_LEDGER, ledger.path, 1.0, holder):
        started = time.monotonic()
        if holder == "write":
            assert len(ledger.rows()) == 1
        else:
            record = ForecastRecord("demo", dt.date(2024, 7, 23), "300496", 2024, 1.5)
            assert ledger.ingest([record], origin="test").added == 1
        assert time.monotonic() - started > 0.3
    assert len(ledger.rows()) == 1 + (holder == "read")


def test_ledger_reader_gives_up_with_locked_error(tmp_path: Path) -> None:
    ledger = _ledger_with_a_row(tmp_path / "ledger.duckdb")
    impatient = Ledger(ledger.path, lock_timeout=0.3)
    with (
        _holder(_HOLD_LEDGER, ledger.path, 30, "write"),
        pytest.raises(LockedError, match="still in use by another coverbt process"),
    ):
        impatient.rows()


def test_new_ledger_is_created_atomically(tmp_path: Path) -> None:
    """Creating the file leaves no temporary behind and never an empty ``ledger.duckdb``."""
    ledger = _ledger_with_a_row(tmp_path / "cache" / "ledger.duckdb")
    names = sorted(os.listdir(ledger.path.parent))
    assert names == ["ledger.duckdb", "ledger.duckdb.lock"] or names == ["ledger.duckdb"]
