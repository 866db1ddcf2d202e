"""A real import of the 3,020-stock archive, killed with SIGKILL mid-way, leaves a readable
cache; a re-run finishes it."""

from __future__ import annotations

import datetime as dt
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


KILL_SCRIPT = """
import sys, time
from pathlib import Path
import coverbt.data.importer as importer
from coverbt.data.store import import_path
from coverbt.data.trading_calendar import last_known_day
importer.BATCH_SIZE = 4  # many small commits, so kills land between and inside them
print("ready", flush=True)
import_path(Path(sys.argv[1]), Path(sys.argv[2]), progress=lambda *_a: time.sleep(0.02),
            latest=last_known_day().date())
"""
KILLS = 20


def _state(cache: Path) -> set[tuple[object, ...]]:
    from coverbt.data.store import open_store

    return {
        (e.key, e.content_hash, e.meta.rows, e.meta.first, e.meta.last)
        for e in open_store(cache, seed=False).entries()
    }


def _dates(cache: Path) -> dict[tuple[str, str, str, str], set[object]]:
    from coverbt.data.store import open_store

    store = open_store(cache, seed=False)
    return {e.key: set(store.read(e).frame.index) for e in store.entries()}


def _seed(cache: Path, market_data_dir: Path) -> None:
    """A cache holding part of what the import brings (merged into) and more besides."""
    from coverbt.data.cache import Cache
    from coverbt.data.memory import provider_from_vendor_paths

    market = provider_from_vendor_paths(
        market_data_dir / "stock/akshare/688041.csv",
        market_data_dir / "stock/tushare/600570.csv",
        market_data_dir / "index/csi300_000300.csv",
    )
    halves = [s.between(end=s.frame.index[len(s.frame) // 2]) for c in ("688041", "600570")
              for s in market.sources(c)]  # fmt: skip
    with Cache(cache).writing() as writer:
        writer.put(halves)
    import_path(cache, market_data_dir / "index/csi300_000300.csv", latest=_any_day())


def _any_day() -> dt.date:
    """Import the shared files whatever the clock says (they end before this day)."""
    from coverbt.data.trading_calendar import last_known_day

    return last_known_day().date()


@pytest.mark.slow
@pytest.mark.kill_loop
def test_sigkill_at_random_points_never_loses_a_row(tmp_path: Path, market_data_dir: Path):
    """20 imports of a 48-file folder, each SIGKILLed at a random moment: every series and
    every date cached before survives, the cache stays readable, and the re-run gives the
    clean result."""
    import random
    import shutil

    folder = tmp_path / "folder"
    for part in ("stock", "index"):
        shutil.copytree(market_data_dir / part, folder / part)
    seeded = tmp_path / "seeded"
    _seed(seeded, market_data_dir)
    before = _dates(seeded)
    clean = tmp_path / "clean"
    shutil.copytree(seeded, clean)
    assert import_path(clean, folder, latest=_any_day()).ok
    expected = _state(clean)
    rng = random.Random(11)
    killed_mid = 0
    for attempt in range(KILLS):
        cache = tmp_path / f"run{attempt}"
        shutil.copytree(seeded, cache)
        proc = subprocess.Popen(
            [sys.executable, "-c", KILL_SCRIPT, str(cache), str(folder)],
            stdout=subprocess.PIPE,
            text=True,
        )
        with proc.stdout if proc.stdout is not None else open(os.devnull) as out:
            assert out.readline().strip() == "ready"
            time.sleep(rng.uniform(0.0, 1.6))
            if proc.poll() is None:  # still importing (an exited child is already reaped)
                killed_mid += 1
                proc.send_signal(signal.SIGKILL)
            proc.wait()
        after = _dates(cache)
        for key, dates in before.items():
            assert dates <= after[key], f"kill {attempt} lost rows of {key}"
        assert verify_cache(cache) == ({}, [])
        assert import_path(cache, folder, latest=_any_day()).ok
        assert _state(cache) == expected, f"kill {attempt}: the re-run differs"
        shutil.rmtree(cache)
    assert killed_mid >= KILLS // 2  # most kills landed inside the import
