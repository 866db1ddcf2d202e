"""An import merges into the cached series and never drops history (issue 11, case 1)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from coverbt.cli import app
from coverbt.data.cache import Cache
from coverbt.data.importer import ImportSummary
from coverbt.data.store import import_path, open_store
from coverbt.data.trading_calendar import last_known_day

# The shared files end before the calendar's last known day: importing them must not depend
# on the day the tests run (the suite may run with the clock moved), so tests that are not
# about the date bound import with ``latest`` at that day.
ANY_DAY = last_known_day().date()


def _import(cache: Path, path: Path, **kwargs: bool) -> ImportSummary:
    return import_path(cache, path, latest=ANY_DAY, **kwargs)


AKSHARE_688041 = "stock/akshare/688041.csv"


def _series(cache: Path, code: str = "688041"):  # type: ignore[no-untyped-def]
    store = open_store(cache, seed=False)
    [entry] = [e for e in store.entries() if e.meta.code == code]
    return store.read(entry)


def _tail_file(market_data_dir: Path, folder: Path, *, close_shift: float = 0.0) -> Path:
    """The last 3 rows of 688041 (with the header) plus one row dated the next session."""
    lines = (market_data_dir / AKSHARE_688041).read_text(encoding="utf-8-sig").splitlines()
    header, tail = lines[0], lines[-3:]
    last = tail[-1].split(",")
    nxt = (dt.date.fromisoformat(last[0]) + dt.timedelta(days=1)).isoformat()
    rows = [*tail, ",".join([nxt, *last[1:]])]
    if close_shift:
        cells = rows[1].split(",")
        cells[3] = f"{float(cells[3]) + close_shift:.2f}"  # 收盘 (close), inside [low, high]
        rows[1] = ",".join(cells)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "688041.csv"
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def cache_688041(tmp_path: Path, market_data_dir: Path) -> Path:
    cache = tmp_path / "data_cache"
    assert _import(cache, market_data_dir / AKSHARE_688041).ok
    return cache


def test_a_short_file_ending_later_is_appended_not_replacing_history(
    cache_688041: Path, market_data_dir: Path, tmp_path: Path
) -> None:
    before = _series(cache_688041)
    assert before.meta.rows == 824
    summary = _import(cache_688041, _tail_file(market_data_dir, tmp_path / "new"))
    assert summary.ok and dict(summary.outcomes) == {"updated": 1}
    after = _series(cache_688041)
    assert after.meta.rows == 825 and after.meta.first == before.meta.first
    assert after.meta.last == before.meta.last + dt.timedelta(days=1)
    pd.testing.assert_frame_equal(after.frame.iloc[:-1], before.frame, check_freq=False)
    assert str(market_data_dir / AKSHARE_688041) in after.meta.origin  # both origins kept
    again = _import(cache_688041, tmp_path / "new" / "688041.csv")
    assert dict(again.outcomes) == {"kept": 1}  # every bar is cached already


def test_a_file_inside_the_cached_span_is_kept_as_is(
    cache_688041: Path, market_data_dir: Path, tmp_path: Path
) -> None:
    lines = (market_data_dir / AKSHARE_688041).read_text(encoding="utf-8-sig").splitlines()
    part = tmp_path / "part" / "688041.csv"
    part.parent.mkdir()
    part.write_text("\n".join(lines[:1] + lines[100:110]) + "\n", encoding="utf-8")
    summary = _import(cache_688041, part)
    assert summary.ok and dict(summary.outcomes) == {"kept": 1}
    assert _series(cache_688041).meta.rows == 824


def test_a_conflicting_overlap_is_reported_and_changes_nothing(
    cache_688041: Path, market_data_dir: Path, tmp_path: Path
) -> None:
    before = _series(cache_688041)
    bad = _tail_file(market_data_dir, tmp_path / "bad", close_shift=-3.0)
    summary = _import(cache_688041, bad)
    assert dict(summary.outcomes) == {"conflict": 1}
    [error] = summary.errors
    day = before.frame.index[-2].date()
    cached = float(before.frame["close"].iloc[-2])
    assert error.source == str(bad) and error.field == "close"
    assert f"{day} close: cached {cached!r} vs new {cached - 3.0!r}" in str(error)
    assert "--replace" in str(error) and "adjustment base" in str(error)
    after = _series(cache_688041)
    assert after.meta == before.meta
    pd.testing.assert_frame_equal(after.frame, before.frame)

    result = CliRunner().invoke(
        app, ["data", "import", str(bad), "--workspace", str(cache_688041.parent)]
    )
    assert result.exit_code == 2 and "688041.csv" in result.output  # (any clock)

    replaced = _import(cache_688041, bad, replace=True)  # the user's explicit choice
    assert replaced.ok and dict(replaced.outcomes) == {"updated": 1}
    assert _series(cache_688041).meta.rows == 4


def test_a_rebased_qfq_file_conflicts_until_replace(
    cache_688041: Path, market_data_dir: Path, tmp_path: Path
) -> None:
    """A qfq export with a new adjustment base moves every shared price: a conflict."""
    raw = pd.read_csv(market_data_dir / AKSHARE_688041, dtype={"股票代码": str})
    for column in ("开盘", "收盘", "最高", "最低"):
        raw[column] = (raw[column] * 0.98).round(2)
    path = tmp_path / "rebased" / "688041.csv"
    path.parent.mkdir()
    raw.to_csv(path, index=False)
    summary = _import(cache_688041, path)
    [error] = summary.errors
    assert "more differing values on 824 dates" in str(error)
    assert _series(cache_688041).meta.rows == 824
    assert _import(cache_688041, path, replace=True).outcomes["updated"] == 1


def test_update_tail_write_with_replace_still_replaces(cache_688041: Path) -> None:
    """``coverbt data update`` writes a checked, whole series with replace=True."""
    series = _series(cache_688041)
    with Cache(cache_688041).writing() as writer:
        assert [str(o) for o in writer.put([series.between(end=dt.date(2025, 6, 30))],
                                          replace=True)] == ["updated"]  # fmt: skip
    assert _series(cache_688041).meta.last == dt.date(2025, 6, 30)
