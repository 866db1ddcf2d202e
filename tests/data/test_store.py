"""The cache: round trip, idempotence, source choice, suspensions, names, integrity, lock."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from filelock import FileLock

from coverbt.data.cache import LOCK_NAME
from coverbt.data.memory import InMemoryProvider
from coverbt.data.schema import Adjust, SeriesKind
from coverbt.data.store import CorruptCacheError, import_path, open_store
from coverbt.data.trading_calendar import trading_days
from coverbt.errors import DataUnavailableError, InputError, LockedError


@pytest.fixture(scope="module")
def cache(tmp_path_factory: pytest.TempPathFactory, market_data_dir: Path) -> Path:
    root = tmp_path_factory.mktemp("cache") / "data_cache"
    for part in ("stock", "index", "cross-section/baostock_stock_list.csv"):
        summary = import_path(root, market_data_dir / part)
        assert summary.ok, summary.errors
    return root


def _copy(cache: Path, tmp_path: Path) -> Path:
    target = tmp_path / "data_cache"
    shutil.copytree(cache, target)
    return target


def test_every_series_reads_back_exactly(cache: Path, shared_provider: InMemoryProvider) -> None:
    store = open_store(cache)
    held = {(m.code, m.kind, m.source, m.adjust) for m in store.catalog()}
    expected = {(m.code, m.kind, m.source, m.adjust) for m in shared_provider.catalog()}
    assert held == expected and len(held) == 48
    for entry in store.entries():
        m = entry.meta
        original = next(
            s for s in shared_provider.sources(m.code, m.kind) if s.meta.source == m.source
        )
        pd.testing.assert_frame_equal(store.read(entry).frame, original.frame, check_freq=False)
        assert (m.first, m.last, m.rows) == (
            original.meta.first,
            original.meta.last,
            original.meta.rows,
        )


def test_read_all_matches_read_one_by_one(cache: Path) -> None:
    store = open_store(cache)
    bulk = {(s.meta.code, s.meta.source): s.frame for s in store.read_all()}
    assert len(bulk) == len(store.entries())
    for entry in store.entries():
        one = store.read(entry).frame
        pd.testing.assert_frame_equal(bulk[(entry.meta.code, entry.meta.source)], one)


def test_importing_twice_changes_nothing(cache: Path, tmp_path: Path, market_data_dir: Path):
    root = _copy(cache, tmp_path)
    files = {p.name: (p.stat().st_mtime_ns, p.stat().st_size) for p in root.rglob("*.parquet")}
    before = [e for e in open_store(root).entries()]
    summary = import_path(root, market_data_dir / "stock")
    assert dict(summary.outcomes) == {"unchanged": 43}
    assert summary.names == 0
    after_files = {
        p.name: (p.stat().st_mtime_ns, p.stat().st_size) for p in root.rglob("*.parquet")
    }
    assert after_files == files
    assert open_store(root).entries() == before


def test_window_decides_before_source_preference(cache: Path) -> None:
    store = open_store(cache)
    # baostock has 002230 only from 2024-10-14: a request from 2024-06-07 gets Tushare's
    assert store.bars("002230", start=dt.date(2024, 6, 7)).meta.source == "tushare"
    assert store.bars("002230", start=dt.date(2024, 11, 1)).meta.source == "baostock"
    # all three cover the window: the documented preference baostock > tushare > akshare
    window = {"start": dt.date(2024, 6, 7), "end": dt.date(2024, 12, 31)}
    assert store.bars("600570", **window).meta.source == "baostock"
    assert store.bars("000034", **window).meta.source == "baostock"
    assert store.bars("688041", **window).meta.source == "akshare"  # its only source
    # no window: coverage first, and only akshare reaches back to 2018; then the preference
    assert [e.meta.source for e in store.sources("603019")] == ["akshare", "baostock", "tushare"]


def test_bars_window_and_kinds(cache: Path, market_data_dir: Path) -> None:
    store = open_store(cache)
    csi = store.bars("000300", kind=SeriesKind.INDEX, start="2024-06-07", end="2024-12-31")  # type: ignore[arg-type]
    assert len(csi.frame) == len(trading_days("2024-06-07", "2024-12-31")) == 140
    raw = pd.read_csv(market_data_dir / "index" / "csi300_000300.csv", index_col="date")
    assert csi.frame["close"].iloc[-1] == raw.loc["2024-12-31", "close"]
    with pytest.raises(DataUnavailableError, match="only akshare/qfq"):
        store.bars("688041", adjust=Adjust.HFQ)
    with pytest.raises(DataUnavailableError, match="coverbt data import"):
        store.bars("EH")


def test_valuation_and_code_names_come_from_the_cache(cache: Path, market_data_dir: Path):
    store = open_store(cache)
    pe = store.valuation("300496", start=dt.date(2023, 6, 5), end=dt.date(2023, 6, 5))
    assert pe["pe_ttm"].iloc[0] == pytest.approx(58.416815)
    assert store.valuation("688041").empty
    names = store.code_names()
    raw = pd.read_csv(market_data_dir / "cross-section" / "baostock_stock_list.csv", dtype=str)
    assert len(names) == raw["code"].nunique() == 1126
    assert names.set_index("code").loc["600570", "name"] == "恒生电子"


def test_suspensions_are_sessions_missing_from_the_file(cache: Path, market_data_dir: Path):
    store = open_store(cache)
    dates = pd.to_datetime(pd.read_csv(market_data_dir / "stock/akshare/603019.csv")["日期"])
    expected = trading_days(dates.iloc[0], dates.iloc[-1]).difference(pd.DatetimeIndex(dates))
    got = store.suspended_days("603019", source="akshare")
    assert got.equals(pd.DatetimeIndex(expected, name="date"))
    in_2025 = got[got.year == 2025]
    assert len(in_2025) == 10 and in_2025[0] == pd.Timestamp("2025-05-26")
    sw = store.suspended_days("801750", kind=SeriesKind.INDEX)
    assert pd.Timestamp("2023-09-08") in sw  # the Shenwan file lacks that session


def test_truncated_csv_is_reported_and_the_good_files_imported(
    tmp_path: Path, market_data_dir: Path
) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    shutil.copy(market_data_dir / "stock/tushare/300033.csv", folder / "300033.csv")
    lines = (market_data_dir / "stock/tushare/603019.csv").read_text().splitlines()
    cut = "\n".join(lines[:100]) + "\n" + lines[100][:14]  # the 101st line cut mid-field
    (folder / "603019.csv").write_text(cut)
    summary = import_path(tmp_path / "cache", folder)
    assert len(summary.errors) == 1
    message = str(summary.errors[0])
    assert f"{folder / '603019.csv'}:101" in message and "field" in message
    assert dict(summary.outcomes) == {"new": 1}
    assert [m.code for m in open_store(tmp_path / "cache").catalog()] == ["300033"]


def test_corrupt_segment_is_reported_never_read(cache: Path, tmp_path: Path) -> None:
    root = _copy(cache, tmp_path)
    store = open_store(root)
    entry = next(e for e in store.entries() if e.meta.code == "600570")
    segment = root / "segments" / entry.placement.segment
    data = bytearray(segment.read_bytes())
    data[len(data) // 2] ^= 0xFF  # same size, one byte flipped
    segment.write_bytes(bytes(data))
    with pytest.raises(CorruptCacheError, match=r"checksum.*coverbt data verify --repair"):
        open_store(root).read(entry)
    segment.write_bytes(bytes(data[: len(data) // 3]))  # truncated
    with pytest.raises(CorruptCacheError, match=rf"{segment.name} has .* bytes.*truncated"):
        open_store(root).bars("600570")
    assert segment.name in open_store(root).verify()


def test_second_writer_is_refused_while_the_lock_is_held(cache: Path, tmp_path: Path):
    root = _copy(cache, tmp_path)
    with (
        FileLock(root / LOCK_NAME, timeout=0),
        pytest.raises(LockedError, match="another coverbt process is writing"),
    ):
        import_path(root, Path(__file__))


def test_missing_cache_names_the_command(tmp_path: Path) -> None:
    with pytest.raises(DataUnavailableError, match="coverbt data import"):
        open_store(tmp_path / "nothing", seed=False)
    assert not (tmp_path / "nothing").exists()


def test_unknown_format_and_missing_path_are_input_errors(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="--format"):
        import_path(tmp_path / "c", tmp_path, fmt="excel")
    with pytest.raises(InputError, match="no such file"):
        import_path(tmp_path / "c", tmp_path / "missing.csv")


def test_stored_values_are_float_and_dates_unique(cache: Path) -> None:
    for series in open_store(cache).read_all():
        assert series.frame.index.is_monotonic_increasing and series.frame.index.is_unique
        assert all(np.issubdtype(t, np.floating) for t in series.frame.dtypes)


def _tar(path: Path, members: dict[str, bytes]) -> Path:
    import io
    import tarfile

    with tarfile.open(path, "w:gz") as archive:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return path


def test_bad_members_of_an_archive_are_reported_the_rest_imported(
    tmp_path: Path, market_data_dir: Path
) -> None:
    good = (market_data_dir / "stock/tushare/300033.csv").read_bytes()
    other = (market_data_dir / "stock/tushare/300474.csv").read_bytes()
    archive = _tar(
        tmp_path / "mixed.tar.gz",
        {
            "data/300033.csv": good,
            "data/000001.csv": "date,open,close,high,low,volume,amount\n".encode("utf-16"),
            "data/300474.csv": other[: len(other) // 2],  # cut mid-file
        },
    )
    summary = import_path(tmp_path / "cache", archive)
    messages = [str(e) for e in summary.errors]
    assert len(messages) == 2
    assert "mixed.tar.gz!data/000001.csv: not UTF-8" in messages[0]
    assert "mixed.tar.gz!data/300474.csv:" in messages[1]
    assert dict(summary.outcomes) == {"new": 1}


def test_a_truncated_archive_imports_nothing_and_names_the_last_member(
    tmp_path: Path, market_data_dir: Path
) -> None:
    """The whole archive is checked before anything from it is committed (issue 11)."""
    members = {
        f"data/{c}.csv": (market_data_dir / f"stock/tushare/{c}.csv").read_bytes()
        for c in ("000034", "000099", "000938", "000977")
    }
    whole = _tar(tmp_path / "whole.tar.gz", members).read_bytes()
    cut = tmp_path / "cut.tar.gz"
    cut.write_bytes(whole[: int(len(whole) * 0.6)])
    summary = import_path(tmp_path / "cache", cut)
    [error] = summary.errors
    assert str(error).startswith(f"{cut}: damaged or truncated archive")
    assert "after member data/" in str(error) and "nothing from it was imported" in str(error)
    assert summary.files == 0 and not summary.outcomes


def test_content_hash_ignores_nan_bit_patterns(shared_provider: InMemoryProvider) -> None:
    from dataclasses import replace as dc_replace

    from coverbt.data.cache import content_hash

    series = shared_provider.sources("300033")[-1]  # Tushare: amount mostly empty (NaN)
    frame = series.frame.copy()
    amount = frame["amount"].to_numpy(dtype=float).copy()
    bits = amount.view(np.uint64)
    bits[np.isnan(amount)] |= np.uint64(1 << 63)  # the same NaN with its sign bit set
    frame["amount"] = amount
    assert frame["amount"].isna().sum() > 0
    assert content_hash(dc_replace(series, frame=frame)) == content_hash(series)


def test_reimport_in_a_new_process_changes_nothing(tmp_path: Path, market_data_dir: Path):
    import subprocess
    import sys

    script = (
        "import sys, json; from pathlib import Path; from coverbt.data.store import import_path;"
        "print(json.dumps(dict(import_path(Path(sys.argv[1]), Path(sys.argv[2])).outcomes)))"
    )
    args = [sys.executable, "-c", script, str(tmp_path / "c"), str(market_data_dir / "stock")]
    first = subprocess.run(args, capture_output=True, text=True, check=True).stdout
    second = subprocess.run(args, capture_output=True, text=True, check=True).stdout
    assert first.strip() == '{"new": 43}' and second.strip() == '{"unchanged": 43}'


def test_readers_do_not_wait_for_a_writer(cache: Path, tmp_path: Path) -> None:
    import sqlite3
    import time

    from coverbt.data.catalog import CATALOG_NAME

    root = _copy(cache, tmp_path)
    writer = sqlite3.connect(root / CATALOG_NAME, isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")
    writer.execute("DELETE FROM series")  # uncommitted: readers still see every series
    try:
        t0 = time.perf_counter()
        store = open_store(root)
        assert len(store.catalog()) == 48 and len(store.code_names()) == 1126
        assert time.perf_counter() - t0 < 5  # not the 30 s lock timeout
    finally:
        writer.execute("ROLLBACK")
        writer.close()


def test_a_store_opened_before_an_update_reads_the_new_version(
    cache: Path, tmp_path: Path, shared_provider: InMemoryProvider
) -> None:
    """A store is a snapshot; when a writer has since deleted the segment a series was
    in, reading it re-reads the catalog instead of reporting a missing file."""
    from coverbt.data.cache import Cache

    root = _copy(cache, tmp_path)
    series = next(s for s in shared_provider.sources("600570") if s.meta.source == "akshare")
    with Cache(root).writing() as writer:  # 600570 alone in a segment
        writer.put([series.between(end=dt.date(2025, 6, 30))], replace=True)
    store = open_store(root)
    entry = next(e for e in store.sources("600570") if e.meta.source == "akshare")
    with Cache(root).writing() as writer:  # replaces it: that segment is deleted
        writer.put([series.between(end=dt.date(2024, 12, 31))], replace=True)
    assert not (root / "segments" / entry.placement.segment).exists()
    assert store.read(entry).meta.last == dt.date(2024, 12, 31)
