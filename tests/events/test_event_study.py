"""The event study, pinned against a direct pandas computation from the vendor CSVs."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from coverbt.events import event_study as es
from coverbt.events.service import panel_for, run_study

PUBLISHED = pd.Timestamp("2024-06-23")  # the report's date (a Sunday)
# the series the cache serves for the report's window (baostock > Tushare > akshare among
# those covering it): baostock's 002439 starts only on 2024-10-14, so Tushare serves it
STRONG_BUY = {"300496": "baostock", "600570": "baostock", "002439": "tushare"}


def _vendor_bars(root: Path, code: str, vendor: str) -> pd.DataFrame:
    """Date-indexed close and volume of one vendor file, read with pandas alone."""
    if vendor == "baostock":
        prefix = "sh" if code.startswith("6") else "sz"
        raw = pd.read_csv(root / f"stock/baostock/{prefix}.{code}.csv", encoding="utf-8-sig")
    else:
        raw = pd.read_csv(root / f"stock/tushare/{code}.csv")
    raw["date"] = pd.to_datetime(raw["date"])
    return raw.set_index("date").sort_index()[["close", "volume"]]


def _direct_car_bhar(
    root: Path, code: str, vendor: str, horizon_months: int
) -> tuple[float, float]:
    """CAR and BHAR, day -5 .. horizon, market-adjusted, from the CSVs with pandas."""
    csi = pd.read_csv(root / "index/csi300_000300.csv", parse_dates=["date"]).set_index("date")
    sessions = csi.index.sort_values()
    day0 = sessions[sessions >= PUBLISHED][0]
    start = sessions[sessions.get_loc(day0) - 5]
    end = sessions[sessions <= day0 + pd.DateOffset(months=horizon_months)][-1]
    bars = _vendor_bars(root, code, vendor)
    traded = bars.loc[bars["volume"] > 0, "close"]
    stock_r = traded.pct_change()
    bench_r = csi["close"].reindex(traded.index).pct_change()
    inside = (traded.index >= start) & (traded.index <= end)
    car = float((stock_r - bench_r)[inside].sum())
    bhar = float((1 + stock_r[inside]).prod() - (1 + bench_r[inside]).prod())
    return car, bhar


@pytest.mark.parametrize("months", [6, 3])
def test_strong_buy_car_equals_direct_pandas(
    market_data_dir: Path, report_market, event_set, universe_file: Path, months: int
) -> None:  # type: ignore[no-untyped-def]
    table = event_set(universe_file).table
    horizon = f"{months}M"
    panel = panel_for(table, report_market, [horizon])
    for code, vendor in STRONG_BUY.items():  # the panel holds exactly the vendor file's closes
        col = panel.codes.index(code)
        bars = _vendor_bars(market_data_dir, code, vendor)
        traded = bars.loc[bars["volume"] > 0, "close"]
        mine = pd.Series(panel.stocks.close[:, col], index=panel.sessions).dropna()
        pd.testing.assert_series_equal(mine, traded.reindex(mine.index), check_names=False)
    got = es.event_returns(table, panel, horizon)
    strong = table["label"] == "强烈推荐"
    assert sorted(table.loc[strong, "code"]) == sorted(STRONG_BUY)
    direct = {c: _direct_car_bhar(market_data_dir, c, v, months) for c, v in STRONG_BUY.items()}
    for i in table.index[strong]:
        car, bhar = direct[table.at[i, "code"]]
        assert got.at[i, "car"] == pytest.approx(car, abs=1e-12)
        assert got.at[i, "bhar"] == pytest.approx(bhar, abs=1e-12)
    expected_mean = float(np.mean([v[0] for v in direct.values()]))
    study = run_study(table, report_market, [horizon], panel=panel)
    group = next(g for g in study.groups if g.by == "label" and g.group == "强烈推荐"
                 and g.adjustment == "market")  # fmt: skip
    assert group.car.n == 3
    assert abs(group.car.mean - expected_mean) < 1e-9
    if months == 6:
        print(f"强烈推荐 6M CAR (day -5 .. 2024-12-24, vs CSI 300): {group.car.mean:.12f}")


def test_industry_adjusted_uses_sw_computer(market_data_dir: Path, report_market, event_set,
                                            universe_file: Path) -> None:  # type: ignore[no-untyped-def]  # fmt: skip
    table = event_set(universe_file).table
    panel = panel_for(table, report_market, ["6M"])
    got = es.event_returns(table, panel, "6M", "industry")
    assert set(got["benchmark"]) == {"801750"} and got["reason"].isna().all()
    sw = pd.read_csv(market_data_dir / "index/sw_computer_801750.csv", dtype={"代码": str})
    sw = sw.assign(date=pd.to_datetime(sw["日期"])).set_index("date")["收盘"].sort_index()
    i = table.index[table["code"] == "300496"][0]
    bars = _vendor_bars(market_data_dir, "300496", "baostock")
    traded = bars.loc[bars["volume"] > 0, "close"]
    inside = (traded.index >= got.at[i, "start"]) & (traded.index <= got.at[i, "end"])
    ar = traded.pct_change() - sw.reindex(traded.index).pct_change()
    assert got.at[i, "car"] == pytest.approx(float(ar[inside].sum()), abs=1e-12)


def test_upgrade_and_downgrade_are_groups_of_their_own(report_market, event_set, universe_file,
                                                       later_report) -> None:  # type: ignore[no-untyped-def]  # fmt: skip
    table = event_set(universe_file, later_report).table
    study = run_study(table, report_market, ["3M"])
    actions = {(g.group, g.adjustment): g.car.n for g in study.groups if g.by == "action"}
    assert actions[("upgrade", "market")] == 1 and actions[("downgrade", "market")] == 1
    assert actions[("initiate", "market")] == 12 and actions[("maintain", "market")] == 10


def test_calendar_portfolio_matches_a_direct_mean(market_data_dir: Path, report_market,
                                                  event_set, universe_file: Path) -> None:  # type: ignore[no-untyped-def]  # fmt: skip
    table = event_set(universe_file).table
    part = table.loc[table["label"] == "强烈推荐"]
    panel = panel_for(table, report_market, ["1M"])
    series = es.calendar_portfolio(part, panel, "1M", panel.bench_index("000300"))
    # entered at the 2024-06-24 session (bought at its close), held to 2024-07-24
    assert series.index[0] == pd.Timestamp("2024-06-25")
    assert series.index[-1] == pd.Timestamp("2024-07-24")
    returns = pd.DataFrame({
        c: _vendor_bars(market_data_dir, c, v).query("volume > 0")["close"].pct_change()
        for c, v in STRONG_BUY.items()
    }).reindex(series.index)  # fmt: skip
    pd.testing.assert_series_equal(series["portfolio"], returns.mean(axis=1), check_names=False,
                                   atol=1e-12)  # fmt: skip
    assert (series["holdings"] == 3).all()


def test_overlap_inflation_is_kolari_pynnonen_for_one_shared_window() -> None:
    n, rho = 12, 0.3
    start, end = np.full(n, 10), np.full(n, 130)
    k = es.overlap_k(start, end, np.arange(n), 200, rho)
    assert 1 + k / n == pytest.approx(1 + (n - 1) * rho)
    same_stock = es.overlap_k(start, end, np.zeros(n, dtype=int), 200, rho)
    assert 1 + same_stock / n == pytest.approx(n)  # copies of one event add no information


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 150), st.integers(1, 60), st.integers(0, 4)),
                min_size=2, max_size=25), st.floats(0.0, 0.9))  # fmt: skip
def test_overlap_k_equals_the_pairwise_sum(windows: list[tuple[int, int, int]], rho: float) -> None:
    start = np.array([w[0] for w in windows])
    end = start + np.array([w[1] for w in windows]) - 1
    cols = np.array([w[2] for w in windows])
    pairwise = 0.0
    for i in range(len(windows)):
        for j in range(len(windows)):
            if i == j:
                continue
            shared = max(0, min(end[i], end[j]) - max(start[i], start[j]) + 1)
            weight = 1.0 if cols[i] == cols[j] else rho
            pairwise += weight * shared / np.sqrt((end[i] - start[i] + 1) * (end[j] - start[j] + 1))
    assert es.overlap_k(start, end, cols, 300, rho) == pytest.approx(pairwise, rel=1e-9, abs=1e-9)


def test_disjoint_windows_need_no_adjustment() -> None:
    values = np.array([0.1, -0.05, 0.2, 0.03])
    start, end = np.array([0, 50, 100, 150]), np.array([40, 90, 140, 190])
    got = es.average(values, start, end, np.arange(4), 300, 0.5)
    assert got.inflation == pytest.approx(1.0) and got.t_overlap == pytest.approx(got.t_cross)
    assert got.mean == pytest.approx(values.mean())
