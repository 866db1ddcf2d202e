"""`data update`: only the missing tail, qfq base changes re-fetched, failures isolated."""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import replace
from pathlib import Path
from urllib.parse import urlsplit

import pandas as pd
import pytest
import responses
import typer
from typer.testing import CliRunner

from coverbt.cli import app
from coverbt.cli.data_cmd import _report_update
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
    failure_summary,
    to_fetch,
    unreachable,
    update_cache,
)
from coverbt.errors import EXIT_UNREACHABLE, FetchError
from tests.data.network_errors import KLINE_HOST, dns_failure

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


def _update_cli(tmp_path: Path, universe_file: Path, *extra: str):
    args = ["data", "update", "--universe", str(universe_file), "--workspace", str(tmp_path)]
    return CliRunner().invoke(app, [*args, *extra])


@responses.activate
def test_cli_update_with_no_site_answering_exits_3(
    tmp_path: Path, universe_file: Path, no_akshare_sleep: None
) -> None:
    """No site answers (responses refuses every request): every A-share fails, EH is
    skipped, the command exits 3 (vendors unreachable) and writes nothing."""
    result = _update_cli(tmp_path, universe_file, "--retries", "1", "--json")
    assert result.exit_code == EXIT_UNREACHABLE == 3, result.output
    answer = json.loads(result.stdout)
    statuses = {r["code"]: r["status"] for r in answer["results"]}
    assert statuses.pop("EH") == SKIPPED
    assert len(statuses) == 27 and set(statuses.values()) == {FAILED}
    assert answer["unreachable"] is True and len(answer["failures"]) == 1
    assert answer["failures"][0].startswith("network: network error for 52 series")
    cache = Cache(tmp_path / "data_cache")  # nothing stored (and no sample seeded to look)
    assert not cache.exists() or open_store(cache.root, seed=False).catalog() == []


@responses.activate
def test_cli_update_without_dns_fails_fast_with_one_line(
    tmp_path: Path, universe_file: Path, no_akshare_sleep: None
) -> None:
    """No DNS: one summary line, exit 3, and no series is retried: the kline site is asked
    once, the valuation and Shenwan sites never (the run's circuit opened)."""
    for host in (KLINE_HOST, "80.push2.eastmoney.com", "datacenter-web.eastmoney.com",
                 "www.swsresearch.com"):  # fmt: skip
        responses.get(re.compile(f"https://{re.escape(host)}/.*"), body=dns_failure(host))
    result = _update_cli(tmp_path, universe_file)
    assert result.exit_code == EXIT_UNREACHABLE, result.output
    lines = result.stderr.strip().splitlines()
    # past the calendar's last known day (a clock moved to 2031) one note says where the
    # fetch stops; it is not about the network
    lines = [line for line in lines if not line.startswith("note: today ")]
    assert lines == [
        "error: network: DNS lookup failed for 52 series (80.push2.eastmoney.com, "
        f"{KLINE_HOST}; 50 not tried after that): no route to the vendors. Fix: check the "
        "connection, or run with --offline",
        "nothing was fetched; the cache was not changed",
    ]
    asked = [urlsplit(call.request.url or "").hostname for call in responses.calls]
    assert asked.count(KLINE_HOST) == 1
    assert "datacenter-web.eastmoney.com" not in asked and "www.swsresearch.com" not in asked
    assert result.stdout == ""  # no table of 52 failed rows


def test_cli_update_partial_failure_exits_1_with_one_line_per_class(
    cache: Cache, shared_provider
) -> None:
    """Stored what it could; each failure class is one line; exit 1."""
    live = FakeLive([_akshare(shared_provider, "600570")], failing=frozenset({"603019"}))
    results = update_cache(cache, live, _targets("600570", "603019"), today=TODAY)
    assert [r.status for r in results] == [APPENDED, FAILED] and not unreachable(results)
    assert failure_summary(results) == [
        "network: network error for 1 series: the connection broke. Fix: check the "
        "connection, or run with --offline"
    ]
    with pytest.raises(typer.Exit) as done:
        _report_update(results, as_json=True)
    assert done.value.exit_code == 1


def test_cache_covering_the_day_needs_no_fetch(cache: Cache) -> None:
    targets = [
        *_targets("600570", "603019", "801750"),
        Target("EH", "亿航智能", SeriesKind.STOCK, False),
    ]
    assert to_fetch(cache, targets, CUT) == []
    assert to_fetch(cache, targets, dt.date(2024, 10, 7)) == []  # a holiday week: 09-30 covers
    assert [t.code for t in to_fetch(cache, targets, dt.date(2024, 10, 8))] == [
        "600570",
        "603019",
        "801750",
    ]
    valuation = Target("600570", "恒生电子", SeriesKind.VALUATION)
    assert to_fetch(cache, [valuation], CUT) == [valuation]  # no PE/PB cached
    assert to_fetch(Cache(cache.root.parent / "empty"), targets, CUT) == targets[:3]
