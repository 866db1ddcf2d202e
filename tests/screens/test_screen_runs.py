"""The shipped screens on the real data: coverage list, whole cross-section, pinned factors."""

from __future__ import annotations

import datetime as dt
import io
import tarfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from coverbt.data.memory import InMemoryProvider
from coverbt.data.store import open_store
from coverbt.screens.panel import build_panel
from coverbt.screens.run import run_screen
from coverbt.screens.spec import load_screen
from coverbt.universe.model import Universe

AS_OF = dt.date(2024, 9, 30)


@pytest.fixture(scope="module")
def coverage_screen(repo_root: Path):
    return load_screen(repo_root / "strategies" / "screens" / "coverage_cheap_strong.yaml")


@pytest.fixture(scope="module")
def market_screen(repo_root: Path):
    return load_screen(repo_root / "strategies" / "screens" / "liquid_momentum_cheap.yaml")


def _closes_on_sessions(close: pd.Series, sessions: pd.Index) -> pd.Series:
    return close.reindex(close.index.union(sessions)).ffill().reindex(sessions)


def _csi300(market_data_dir: Path) -> pd.Series:
    raw = pd.read_csv(market_data_dir / "index" / "csi300_000300.csv", parse_dates=["date"])
    return raw.set_index("date")["close"]


def test_coverage_screen_pins_against_direct_pandas(
    coverage_screen, shared_provider: InMemoryProvider, universe: Universe, market_data_dir: Path
) -> None:
    result = run_screen(coverage_screen, shared_provider, as_of=AS_OF, universe=universe)
    assert result.as_of == AS_OF
    assert result.skipped == {"EH": "not an A-share (NASDAQ listing): not screened"}
    assert len(result.table) == 25

    # 688111 is served from the akshare file; recompute its fields straight from the CSVs
    raw = pd.read_csv(market_data_dir / "stock" / "akshare" / "688111.csv", encoding="utf-8-sig")
    close = raw.assign(date=pd.to_datetime(raw["日期"])).set_index("date")["收盘"]
    csi = _csi300(market_data_dir)
    sessions = csi.loc[: pd.Timestamp(AS_OF)].index[-21:]
    stock = _closes_on_sessions(close, sessions)
    bench = csi.reindex(sessions)
    rs = (stock.iloc[-1] / stock.iloc[0]) / (bench.iloc[-1] / bench.iloc[0]) - 1.0
    row = result.table.loc["688111"]
    assert row["rs_20d_csi300"] == pytest.approx(rs, rel=1e-12)
    base = close.loc[: pd.Timestamp(universe.report.price_date)].iloc[-1]
    assert row["pe_fy1_now"] == pytest.approx(69.6 * close.loc["2024-09-30"] / base, rel=1e-12)
    assert row["rating"] == "推荐" and row["fy1_pe"] == 69.6

    # every selected row passes every condition; the rest do not make the list
    selected = result.selected
    assert list(selected.index) == ["300496", "688111", "002230", "002439", "000034", "000938"]
    assert (selected["rating"].isin(["强烈推荐", "推荐"])).all()
    assert (selected["pe_fy1_now"] <= 1.1 * selected["fy1_pe"]).all()
    assert (selected["rs_20d_csi300"] > 0).all()
    assert selected["score"].is_monotonic_decreasing
    assert result.table.loc[~result.table["selected"], "passed"].sum() == 0  # top 10 not binding


def test_no_look_ahead_truncated_data_gives_the_same_table(
    coverage_screen, report_market: InMemoryProvider, universe: Universe
) -> None:
    """Bars after the as-of session change nothing: cut them off and compare."""
    truncated = InMemoryProvider(
        [s.between(None, AS_OF) for s in _all_series(report_market)],
        report_market.code_names(),
    )
    full = run_screen(coverage_screen, report_market, as_of=AS_OF, universe=universe)
    cut = run_screen(coverage_screen, truncated, as_of=AS_OF, universe=universe)
    pd.testing.assert_frame_equal(full.table, cut.table)


def _all_series(provider: InMemoryProvider):
    for meta in provider.catalog():
        for series in provider.sources(meta.code, meta.kind):
            if series.meta == meta:
                yield series


def test_report_view_unknown_before_publication(
    coverage_screen, report_market: InMemoryProvider, universe: Universe
) -> None:
    result = run_screen(
        coverage_screen, report_market, as_of=dt.date(2024, 6, 21), universe=universe
    )
    assert result.table["rating"].isna().all()
    assert result.table["fy1_pe"].isna().all()
    assert not result.table["passed"].any()


def test_cache_bulk_read_matches_the_per_code_provider(
    workspace_root: Path, report_market: InMemoryProvider, universe: Universe
) -> None:
    codes = [n.code for n in universe.names if n.a_share]
    store = open_store(workspace_root / "data_cache")
    from_cache = build_panel(store, codes, AS_OF, 60)
    in_memory = build_panel(report_market, codes, AS_OF, 60)
    pd.testing.assert_frame_equal(from_cache.close, in_memory.close)
    pd.testing.assert_frame_equal(from_cache.amount, in_memory.amount)
    pd.testing.assert_frame_equal(from_cache.traded, in_memory.traded)


def _tushare_csv(market_data_dir: Path, code: str) -> pd.DataFrame:
    with tarfile.open(market_data_dir / "cross-section" / "tushare_3020_stocks.tar.gz") as tar:
        member = tar.extractfile(f"data/{code}.csv")
        assert member is not None
        raw = pd.read_csv(io.BytesIO(member.read()), parse_dates=["date"])
    return raw.set_index("date").sort_index()


@pytest.mark.slow
def test_whole_cross_section_screen(
    market_screen, tushare_market: InMemoryProvider, universe: Universe, market_data_dir: Path
) -> None:
    as_of = dt.date(2025, 6, 30)
    result = run_screen(market_screen, tushare_market, as_of=as_of, scope="all", universe=universe)
    assert len(result.table) == 3020
    assert 0 < int(result.table["passed"].sum()) < 3020
    assert len(result.selected) == 30
    reasons = set(result.skipped.values())
    assert all(r.startswith(("no bars between", "no bar in the last 20")) for r in reasons)
    stale = result.table["stale_days"] > 20
    assert not result.table.loc[stale, "passed"].any()

    # pin 600519: amount is empty in this file, so amount_20d = mean(volume lots x 100 x close)
    raw = _tushare_csv(market_data_dir, "600519")
    csi = _csi300(market_data_dir)
    sessions = csi.loc[: pd.Timestamp(as_of)].index
    window = raw.loc[sessions[-20] : pd.Timestamp(as_of)]
    assert window["amount"].isna().all() and len(window) == 20
    expected_amount = float((window["volume"] * 100 * window["close"]).mean())
    row = result.table.loc["600519"]
    assert row["amount_20d"] == pytest.approx(expected_amount, rel=1e-12)
    close = _closes_on_sessions(raw["close"], sessions[-61:])
    assert row["ret_60d"] == pytest.approx(close.iloc[-1] / close.iloc[0] - 1, rel=1e-12)
    daily = close.iloc[1:].to_numpy() / close.iloc[:-1].to_numpy() - 1
    assert row["ret_20d"] == pytest.approx(close.iloc[-1] / close.iloc[-21] - 1, rel=1e-12)
    assert np.isfinite(daily).all()
    passes = (
        row["stale_days"] == 0
        and row["amount_20d"] > 1e8
        and row["ret_60d"] > 0
        and row["rs_60d_csi300"] > 0
        and row["ret_20d"] < 0.5
    )
    assert bool(row["passed"]) == passes
