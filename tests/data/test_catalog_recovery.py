"""A lost or damaged catalog never costs a segment; ``verify --repair`` rebuilds it
(issue 11, case 2)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner

from coverbt.cli import app
from coverbt.data.cache import Cache
from coverbt.data.catalog import CATALOG_NAME
from coverbt.data.importer import ImportSummary
from coverbt.data.recover import CatalogDamagedError
from coverbt.data.store import import_path, open_store, verify_cache
from coverbt.data.trading_calendar import last_known_day

# The shared files end before the calendar's last known day: importing them must not depend
# on the day the tests run (the suite may run with the clock moved), so tests that are not
# about the date bound import with ``latest`` at that day.
ANY_DAY = last_known_day().date()


def _import(cache: Path, path: Path, **kwargs: bool) -> ImportSummary:
    return import_path(cache, path, latest=ANY_DAY, **kwargs)


def _remove(path: Path) -> None:
    for p in path.parent.glob(f"{path.name}*"):
        p.unlink()


def _empty(path: Path) -> None:
    _remove(path)
    path.write_bytes(b"")


def _garbage(path: Path) -> None:
    _remove(path)
    path.write_bytes(b"this is not a database\x00" * 300)


DAMAGE: dict[str, Callable[[Path], None]] = {
    "missing": _remove,
    "empty": _empty,
    "garbage": _garbage,
}


def _files(segments: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(segments.iterdir())}


def _rows(cache: Path) -> set[tuple[object, ...]]:
    return {
        (e.key, e.content_hash, e.meta.rows, e.meta.first, e.meta.last, e.suspended)
        for e in open_store(cache, seed=False).entries()
    }


@pytest.mark.parametrize("damage", sorted(DAMAGE))
def test_a_lost_catalog_stops_writes_and_is_rebuilt_from_the_segments(
    damage: str, tmp_path: Path, market_data_dir: Path
) -> None:
    cache = tmp_path / "data_cache"
    _import(cache, market_data_dir / "stock/tushare")
    _import(cache, market_data_dir / "stock/akshare/688041.csv")
    before, segments = _rows(cache), _files(cache / "segments")
    assert len(before) == 18 and len(segments) == 2
    DAMAGE[damage](cache / CATALOG_NAME)

    with pytest.raises(CatalogDamagedError, match="verify --repair"):
        _import(cache, market_data_dir / "index/csi300_000300.csv")
    assert _files(cache / "segments") == segments  # nothing deleted, nothing written
    with pytest.raises(CatalogDamagedError, match="verify --repair"):
        open_store(cache, seed=False)
    result = CliRunner().invoke(app, ["data", "verify", "--workspace", str(tmp_path)])
    assert result.exit_code == 1 and "verify--repair" in "".join(result.output.split())

    problems, dropped = verify_cache(cache, repair=True)
    assert "rebuilt the catalog from 2 segment(s): 18 series" in problems[CATALOG_NAME]
    assert dropped == []
    assert _rows(cache) == before and _files(cache / "segments") == segments
    assert verify_cache(cache) == ({}, [])
    assert _import(cache, market_data_dir / "index/csi300_000300.csv").ok
    assert len(_rows(cache)) == 19


def test_rebuild_takes_the_newest_version_of_each_series(
    tmp_path: Path, market_data_dir: Path
) -> None:
    cache = tmp_path / "data_cache"
    _import(cache, market_data_dir / "stock/akshare/688041.csv")
    series = open_store(cache, seed=False).sources("688041")[0]
    old_segment = cache / "segments" / series.placement.segment
    stale = old_segment.read_bytes()
    shorter = open_store(cache, seed=False).read(series).between(end=series.meta.first)
    with Cache(cache).writing() as writer:
        writer.put([shorter], replace=True)
    before = _rows(cache)
    assert not old_segment.exists()
    old_segment.write_bytes(stale)  # the superseded version, as if left behind
    _remove(cache / CATALOG_NAME)
    problems, _ = verify_cache(cache, repair=True)
    assert "1 superseded" in problems[CATALOG_NAME]
    assert _rows(cache) == before  # the newest (replaced) version wins
    assert old_segment.read_bytes() == stale  # and nothing was deleted


def test_unclaimed_segment_files_are_never_deleted(tmp_path: Path, market_data_dir: Path) -> None:
    """Only files the catalog claimed are removed as orphans; a stranger's file stays."""
    cache = tmp_path / "data_cache"
    _import(cache, market_data_dir / "stock/akshare/688041.csv")
    stranger = cache / "segments" / "seg-0123456789abcdef.parquet"
    stranger.write_bytes(b"not ours")
    _import(cache, market_data_dir / "index/csi300_000300.csv")
    assert stranger.read_bytes() == b"not ours"
