"""A real import of the 3,020-stock archive, killed with SIGKILL mid-way, leaves a readable
cache; a re-run finishes it."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from coverbt.data.catalog import CATALOG_NAME
from coverbt.data.importer import BATCH_SIZE
from coverbt.data.store import import_path, open_store, verify_cache

ARCHIVE = "cross-section/tushare_3020_stocks.tar.gz"


def _committed(cache: Path) -> int:
    path = cache / CATALOG_NAME
    if not path.exists():
        return 0
    try:
        with sqlite3.connect(path, timeout=5) as conn:
            return int(conn.execute("SELECT COUNT(*) FROM series").fetchone()[0])
    except sqlite3.OperationalError:  # the importer is creating the tables
        return 0


@pytest.mark.slow
def test_sigkill_mid_import_leaves_a_readable_cache(tmp_path: Path, market_data_dir: Path):
    workspace = tmp_path
    cache = workspace / "data_cache"
    script = (
        "import sys; from pathlib import Path; from coverbt.data.store import import_path; "
        "import_path(Path(sys.argv[1]), Path(sys.argv[2]))"
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", script, str(cache), str(market_data_dir / ARCHIVE)]
    )
    deadline = time.monotonic() + 120
    while _committed(cache) < BATCH_SIZE and time.monotonic() < deadline:
        assert proc.poll() is None, "the import ended before it could be killed"
        time.sleep(0.05)
    time.sleep(0.7)  # land somewhere inside the next batch
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert proc.returncode == -signal.SIGKILL

    committed = _committed(cache)
    assert BATCH_SIZE <= committed < 3020
    store = open_store(cache)
    assert len(store.catalog()) == committed
    assert sum(1 for _ in store.read_all()) == committed
    assert verify_cache(cache) == ({}, [])
    status = subprocess.run(
        [
            Path(sys.executable).parent / "coverbt",
            "data",
            "status",
            "--json",
            "--workspace",
            str(workspace),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert status.returncode == 0, status.stderr
    assert len(json.loads(status.stdout)["series"]) == committed

    summary = import_path(cache, market_data_dir / ARCHIVE)
    assert summary.ok and summary.outcomes["unchanged"] == committed
    assert summary.outcomes["new"] == 3020 - committed
    store = open_store(cache)
    assert len(store.catalog()) == 3020
    catalogued = {e.placement.segment for e in store.entries()}
    assert {p.name for p in (cache / "segments").iterdir()} == catalogued  # no orphan left


def test_crash_between_segment_and_catalog_leaves_the_old_state(
    tmp_path: Path, market_data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The worst moment to die: the new segment is in place, the catalog not yet updated.
    Readers see the previous state; the next write deletes the orphan file."""
    from coverbt.data import catalog

    cache = tmp_path / "data_cache"
    import_path(cache, market_data_dir / "stock/akshare")
    before = {p.name for p in (cache / "segments").iterdir()}

    def die(*_args: object, **_kw: object) -> None:
        raise KeyboardInterrupt("killed")

    monkeypatch.setattr(catalog, "record", die)
    with pytest.raises(KeyboardInterrupt):
        import_path(cache, market_data_dir / "stock/tushare")
    monkeypatch.undo()
    orphans = {p.name for p in (cache / "segments").iterdir()} - before
    assert len(orphans) == 1
    store = open_store(cache)
    assert {m.source for m in store.catalog()} == {"akshare"} and len(store.catalog()) == 11
    assert verify_cache(cache) == ({}, [])
    summary = import_path(cache, market_data_dir / "stock/tushare")
    assert summary.outcomes["new"] == 17
    assert not orphans & {p.name for p in (cache / "segments").iterdir()}
