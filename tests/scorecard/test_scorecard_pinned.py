"""The 6M scorecard vs CSI 300 of the report's 13 table rows, pinned against plain pandas.

The reference numbers are computed here by a separate code path: the vendor CSV files are
read with ``pandas.read_csv`` directly (no coverbt reader), entry = open of 2024-06-24 (the
first session after the Sunday 2024-06-23 publication), exit = close of 2024-12-24 (the last
session on or before entry + 6 months). None of the 13 names was suspended on either day.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from coverbt.scorecard import score_universe

ENTRY, EXIT = "2024-06-24", "2024-12-24"


def _direct_open_close(market: Path, code: str) -> tuple[float, float]:
    """Entry open and exit close from the vendor file the provider prefers for ``code``.

    Preference (coverbt.data.memory.SOURCE_PREFERENCE): baostock, then Tushare, then
    akshare, skipping a file that does not cover the window (five baostock files start
    2024-10-14).
    """
    prefix = "sh" if code.startswith("6") else "sz"
    candidates = [
        (market / "stock" / "baostock" / f"{prefix}.{code}.csv", {}),
        (market / "stock" / "tushare" / f"{code}.csv", {}),
        (market / "stock" / "akshare" / f"{code}.csv",
         {"日期": "date", "开盘": "open", "收盘": "close"}),
    ]  # fmt: skip
    frame = pd.DataFrame()
    for path, rename in candidates:
        if not path.exists():
            continue
        frame = pd.read_csv(path, encoding="utf-8-sig").rename(columns=rename)
        if "tradestatus" in frame.columns:
            frame = frame[frame["tradestatus"] == 1]
        if frame["date"].min() <= ENTRY:
            break
    frame = frame.set_index("date")
    return float(frame.at[ENTRY, "open"]), float(frame.at[EXIT, "close"])


def _direct_index(path: Path, date_col: str, open_col: str, close_col: str) -> float:
    frame = pd.read_csv(path).set_index(date_col)
    return float(frame.at[EXIT, close_col]) / float(frame.at[ENTRY, open_col]) - 1


@pytest.fixture(scope="module")
def card(universe, report_market):
    return score_universe(universe, report_market, horizon="6M", benchmark="csi300")


def test_thirteen_table_rows_match_plain_pandas(card, universe, market_data_dir: Path) -> None:
    csi300 = _direct_index(market_data_dir / "index" / "csi300_000300.csv", "date", "open", "close")
    table = [item for item in universe.names if item.in_table]
    assert len(table) == 13
    scores = {s.code: s for s in card.names}
    for item in table:
        entry_open, exit_close = _direct_open_close(market_data_dir, item.code)
        expected = exit_close / entry_open - 1
        got = scores[item.code]
        assert str(got.entry_date) == ENTRY and str(got.exit_date) == EXIT, item.code
        assert got.ret == pytest.approx(expected, rel=1e-12), item.code
        assert got.benchmark_return == pytest.approx(csi300, rel=1e-12)
        assert got.excess == pytest.approx(expected - csi300, rel=1e-12), item.code
        if item.rating is None:
            assert got.band_hit is None and got.rating == "-"
        else:
            band = universe.rating_scale.band(item.rating)
            lower, upper = band.lower, band.upper
            excess = expected - csi300
            assert got.band_hit == (excess > lower and (upper is None or excess <= upper))
            assert got.threshold_hit == (excess >= lower)
            assert got.direction_hit == (excess > 0)


def test_literal_pins(card) -> None:
    scores = {s.code: s for s in card.names}
    # 300496 中科创达, baostock sz.300496.csv: close 2024-12-24 62.86096579 / open
    # 2024-06-24 48.70480092 - 1; CSI 300 3983.6882 / 3473.6392 - 1 (index/csi300_000300.csv)
    assert scores["300496"].ret == pytest.approx(0.2906523505403953, rel=1e-12)
    assert scores["300496"].benchmark_return == pytest.approx(0.14683419049393498, rel=1e-12)
    assert scores["300496"].excess == pytest.approx(0.1438181600464603, rel=1e-12)
    assert scores["300496"].band_hit is False  # 强烈推荐 promises > +20%
    # 600570 恒生电子, baostock sh.600570.csv: close 2024-12-24 29.5417182 / open 2024-06-24
    # 18.0338988 - 1 (akshare's own qfq file gives 29.55 / 18.0 - 1 = 0.641667: see
    # SOURCE_PREFERENCE for why baostock is served)
    assert scores["600570"].ret == pytest.approx(29.5417182 / 18.0338988 - 1, rel=1e-12)
    assert scores["600570"].band_hit is True


def test_by_rating_counts_and_wilson(card) -> None:
    rows = {r.rating: r for r in card.by_rating}
    assert set(rows) == {"强烈推荐", "推荐"}
    strong, buy = rows["强烈推荐"], rows["推荐"]
    assert (strong.n, strong.band_hits, strong.direction_hits) == (3, 1, 2)
    assert (buy.n, buy.band_hits, buy.threshold_hits, buy.direction_hits) == (9, 0, 5, 8)
    # Wilson 95% of 1/3, computed by hand: centre 0.42698, half-width 0.36543
    assert strong.ci_low == pytest.approx(0.0614919, abs=1e-6)
    assert strong.ci_high == pytest.approx(0.7923404, abs=1e-6)
    assert buy.ci_low == 0.0 and buy.ci_high == pytest.approx(0.2991450, abs=1e-6)


def test_industry_rating_sw_computer_vs_csi300(card, market_data_dir: Path) -> None:
    index = market_data_dir / "index"
    sw = _direct_index(index / "sw_computer_801750.csv", "日期", "开盘", "收盘")
    csi = _direct_index(index / "csi300_000300.csv", "date", "open", "close")
    assert card.industry.index_return == pytest.approx(sw, rel=1e-12)
    assert card.industry.benchmark_return == pytest.approx(csi, rel=1e-12)
    assert card.industry.hit is (sw - csi > 0.05)
    assert card.industry.rating == "强于大市"


def test_every_name_is_listed_and_eh_has_a_reason(card, universe) -> None:
    assert [s.code for s in card.names] == [item.code for item in universe.names]
    eh = next(s for s in card.names if s.code == "EH")
    assert eh.ret is None and eh.band_hit is None
    assert "not an A-share" in (eh.reason or "")
    watch = [s for s in card.names if s.rating == "建议关注"]
    assert watch and all(s.band_hit is None for s in watch)
    assert all(s.excess is not None for s in watch if s.code != "EH")


def test_json_contract_keys(card) -> None:
    data = card.to_json()
    assert data["horizon"] == "6M" and data["benchmark"] == "csi300"
    name_keys = {"code", "name", "rating", "entry_date", "exit_date", "return",
                 "benchmark_return", "excess", "band_hit", "threshold_hit",
                 "direction_hit", "touch_hit"}  # fmt: skip
    assert all(name_keys <= set(n) for n in data["names"])
    rating_keys = {"rating", "n", "band_hits", "threshold_hits", "direction_hits",
                   "band_hit_rate", "ci_low", "ci_high"}  # fmt: skip
    assert all(rating_keys <= set(r) for r in data["by_rating"])
    assert {"rating", "index_return", "benchmark_return", "excess", "hit"} <= set(data["industry"])


def test_12m_runs_to_june_2025(universe, report_market) -> None:
    card = score_universe(universe, report_market, horizon="12M", benchmark="sw_computer")
    assert str(card.planned_exit) == "2025-06-24"
    assert card.industry.reason is None  # SW Computer ends 2025-06-30, after the exit
    assert all(s.reason is None for s in card.names if s.code != "EH")


def test_18m_beyond_sw_computer_gives_reasons(universe, report_market) -> None:
    # entry + 18M = 2025-12-24; SW Computer ends 2025-06-30: every name says so
    card = score_universe(universe, report_market, horizon="18M", benchmark="sw_computer")
    assert all(s.ret is None for s in card.names)
    expected = "data for benchmark 801750 ends 2025-06-30, before the horizon end 2025-12-24"
    assert all(s.reason == expected for s in card.names if s.code != "EH")
    assert card.industry.hit is None and "801750 ends 2025-06-30" in (card.industry.reason or "")
    assert all(r.n == 0 and r.ci_low is None for r in card.by_rating)
