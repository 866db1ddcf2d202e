"""`data update`: only the missing tail, qfq base changes re-fetched, failures isolated."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import replace
from pathlib import Path

import pandas as pd
import pytest
import responses
from typer.testing import CliRunner

from coverbt.cli import app
from coverbt.data.cache import Cache
from coverbt.data.memory import InMemoryProvider
from coverbt.data.schema import Adjust, Series, SeriesKind
from coverbt.data.store import open_store
from coverbt.data.trading_calendar import trading_days
from coverbt.data.update import (
    APPENDED,
    FAILED,
    NEW,
    PLANNED,
    REFETCHED,
    SKIPPED,
    UP_TO_DATE,
    Target,
    update_cache,
)
from coverbt.errors import FetchError

TODAY = dt.date(2024, 12, 31)
CUT = dt.date(2024, 9, 30)


class FakeLive:
    """A live source serving fixed series; records calls; some codes fail."""

    def __init__(self, series: list[Series], failing: frozenset[str] = frozenset()) -> None:
        self.memory = InMemoryProvider(series)
        self.failing = failing
        self.calls: list[tuple[str, dt.date | None, dt.date | None]] = []

    def bars(self, code, *, kind=SeriesKind.STOCK, adjust=Adjust.QFQ, start=None, end=None):
        self.calls.append((code, start, end))
        if code in self.failing:
            raise FetchError(f"akshare.stock_zh_a_hist({code}) failed 3 times")
        return self.memory.bars(code, kind=kind, adjust=adjust, start=start, end=end)


def _akshare(shared: InMemoryProvider, code: str, kind=SeriesKind.STOCK) -> Series:
    return next(s for s in shared.sources(code, kind) if s.meta.source == "akshare")


def _scaled(series: Series, factor: float) -> Series:
    frame = series.frame.copy()
    for column in ("open", "high", "low", "close"):
        frame[column] = frame[column] * factor
    return Series(series.meta, frame)


@pytest.fixture
def cache(tmp_path: Path, shared_provider: InMemoryProvider) -> Cache:
    """A cache whose akshare 600570 and 603019 and the SW index stop on 2024-09-30."""
    cache = Cache(tmp_path / "data_cache")
    seeds = [_akshare(shared_provider, c).between(end=CUT) for c in ("600570", "603019")]
    seeds.append(_akshare(shared_provider, "801750", SeriesKind.INDEX).between(end=CUT))
    with cache.writing() as writer:
        writer.put(seeds)
    return cache


def _targets(*codes: str) -> list[Target]:
    return [
        Target(c, c, SeriesKind.INDEX if c.startswith("8") else SeriesKind.STOCK) for c in codes
    ]


def test_tail_is_appended_and_equals_the_full_series(cache: Cache, shared_provider) -> None:
    full = _akshare(shared_provider, "600570")
    live = FakeLive([full])
    [result] = update_cache(cache, live, _targets("600570"), today=TODAY)
    expected_rows = len(trading_days(CUT + dt.timedelta(days=1), TODAY))
    assert (result.status, result.rows_added) == (APPENDED, expected_rows)
    assert live.calls == [("600570", CUT, TODAY)]  # only the tail, from the overlap day
    stored = open_store(cache.root).bars("600570")
    pd.testing.assert_frame_equal(stored.frame, full.between(end=TODAY).frame)
    assert stored.meta.last == TODAY


def test_changed_qfq_base_refetches_the_whole_series(cache: Cache, shared_provider) -> None:
    # a dividend after 2024-09-30 rescales the vendor's whole qfq history by 0.98
    rebased = _scaled(_akshare(shared_provider, "603019"), 0.98)
    live = FakeLive([rebased])
    [result] = update_cache(cache, live, _targets("603019"), today=TODAY)
    assert result.status == REFETCHED
    first = open_store(cache.root).bars("603019").meta.first
    assert [c[1] for c in live.calls] == [CUT, first]  # the tail, then everything
    stored = open_store(cache.root).bars("603019")
    pd.testing.assert_frame_equal(stored.frame, rebased.between(end=TODAY).frame)


def test_one_failure_does_not_stop_the_others(cache: Cache, shared_provider) -> None:
    before = open_store(cache.root).bars("603019").frame
    live = FakeLive(
        [
            _akshare(shared_provider, "600570"),
            _akshare(shared_provider, "801750", SeriesKind.INDEX),
        ],
        failing=frozenset({"603019"}),
    )
    targets = [
        *_targets("603019", "600570", "801750"),
        Target("EH", "亿航智能", SeriesKind.STOCK, False),
    ]
    results = {r.code: r for r in update_cache(cache, live, targets, today=TODAY)}
    assert results["603019"].status == FAILED and "failed 3 times" in results["603019"].message
    assert results["600570"].status == APPENDED and results["801750"].status == APPENDED
    assert results["EH"].status == SKIPPED
    store = open_store(cache.root)
    pd.testing.assert_frame_equal(store.bars("603019").frame, before)  # untouched
    assert store.bars("801750", kind=SeriesKind.INDEX).meta.last == TODAY


def test_up_to_date_fetches_nothing_and_offline_only_plans(cache: Cache, shared_provider) -> None:
    live = FakeLive([])
    [result] = update_cache(cache, live, _targets("600570"), today=dt.date(2024, 10, 7))
    assert result.status == UP_TO_DATE and live.calls == []  # 10-01..10-07 is a holiday
    results = update_cache(cache, live, _targets("600570", "300496"), today=TODAY, offline=True)
    assert [r.status for r in results] == [PLANNED, PLANNED] and live.calls == []


def test_a_code_without_akshare_series_is_fetched_whole(cache: Cache, shared_provider) -> None:
    series = replace(_akshare(shared_provider, "688041"))
    live = FakeLive([series])
    [result] = update_cache(cache, live, _targets("688041"), today=TODAY)
    assert result.status == NEW and live.calls[0][1] == dt.date(2018, 1, 1)
    assert open_store(cache.root).bars("688041").meta.first == series.meta.first


@responses.activate
def test_cli_update_reports_failures_and_exits_1(
    tmp_path: Path, universe_file: Path, no_akshare_sleep: None
) -> None:
    """No site answers (responses refuses every request): every A-share fails, EH is
    skipped, the command exits 1 and writes nothing."""
    result = CliRunner().invoke(
        app,
        [
            "data",
            "update",
            "--universe",
            str(universe_file),
            "--retries",
            "1",
            "--json",
            "--workspace",
            str(tmp_path),
        ],
    )
    assert result.exit_code == 1, result.output
    payload = json.loads(result.stdout)["results"]
    statuses = {r["code"]: r["status"] for r in payload}
    assert statuses.pop("EH") == SKIPPED
    assert len(statuses) == 27 and set(statuses.values()) == {FAILED}
    assert open_store(tmp_path / "data_cache").catalog() == []
