"""Tearsheets that fit the run's window (issue 12, item 7).

On a 6-month run quantstats' own page showed empty rolling volatility/Sharpe/Sortino panels
(its windows are 6 and 12 months), a flat-then-spiking rolling beta, "CAGR 100.76%" as the
second line of its metrics and "Periods/Year: 249.4877049180328". The run here is the
conftest's 6-month equal-weight run (2024-06-24 to 2024-12-31).
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from coverbt.data import trading_calendar
from coverbt.reports.run_folder import load_run
from coverbt.reports.tearsheet import write_tearsheet
from coverbt.reports.tearsheet_metrics import HEADLINE_ROW, shape_metrics
from coverbt.reports.window import (
    fit_window,
    rolling_beta,
    rolling_sharpe,
    rolling_sortino,
    rolling_volatility,
    sessions_per_year,
)

SHORT_RUN_SESSIONS = 30  # fewer than two 1-month windows


def _sessions_in_data(market_data_dir: Path, year: int) -> int:
    """Sessions of ``year`` counted from the CSI 300 file (independent of the calendar)."""
    frame = pd.read_csv(market_data_dir / "index" / "csi300_000300.csv", parse_dates=["date"])
    return int((frame["date"].dt.year == year).sum())


@pytest.fixture(scope="module")
def returns(run_dir: Path) -> pd.DataFrame:
    return load_run(run_dir).returns


@pytest.fixture(scope="module")
def page(returns: pd.DataFrame, tmp_path_factory) -> str:
    path = tmp_path_factory.mktemp("tearsheet") / "tearsheet_csi300.html"
    write_tearsheet(returns, "csi300", path, "six-month run vs CSI300")
    return path.read_text(encoding="utf-8")


def _div(html: str, div_id: str) -> str:
    match = re.search(rf'<div id="{div_id}">(.*?)</div>', html, re.S)
    assert match, f"no div#{div_id}"
    return match.group(1)


def _rows(table_html: str) -> list[list[str]]:
    rows = re.findall(r"<tr>(.*?)</tr>", table_html, re.S)
    cells = [re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", row, re.S) for row in rows]
    return [[re.sub(r"<[^>]+>", "", c).strip() for c in row] for row in cells]


def test_periods_per_year_is_the_real_session_count(page: str, market_data_dir: Path) -> None:
    sessions_2024 = _sessions_in_data(market_data_dir, 2024)
    assert f"Periods/Year: {sessions_2024} " in page
    assert not re.search(r"Periods/Year: \d+\.\d", page)  # no 249.4877049180328


def test_headline_is_the_total_return_over_the_window(
    page: str, run_dir: Path, returns: pd.DataFrame
) -> None:
    equity = pd.read_csv(run_dir / "equity.csv", index_col="date")
    strategy = equity["portfolio"].iloc[-1] - 1.0  # equity starts at the entry open (1.0)
    csi300 = equity["csi300"].iloc[-1] - 1.0
    headline = dict(row for row in _rows(_div(page, "headline")) if len(row) == 2)
    assert headline["Strategy"] == f"{strategy:+.2%}"
    assert headline["CSI300"] == f"{csi300:+.2%}"
    assert headline["Strategy - CSI300"] == f"{(strategy - csi300) * 100:+.2f} pp"
    assert f"{len(returns)} XSHG sessions" in _div(page, "headline")
    # the metrics table starts with the window's total return, not CAGR
    metrics = page[page.index("Key Performance Metrics") :]
    first = _rows(metrics)[1]
    assert first[0] == HEADLINE_ROW and first[2] == f"{strategy:.2%}"


def test_annual_figures_are_secondary_and_labelled(page: str) -> None:
    names = [row[0] for row in _rows(page[page.index("Key Performance Metrics") :])]
    section = next(i for i, n in enumerate(names) if n.startswith("Annualised from"))
    assert "extrapolated" in names[section]
    assert names.index("CAGR (extrapolated)") > section
    assert names.index("Sharpe (ann.)") > section and names.index("Volatility (ann.)") > section
    assert "CAGR\ufe6a" not in names and "Sharpe" not in names
    # periods the run does not cover, or one partial year, are not shown under their names
    for absent in ("1Y", "YTD", "3Y (ann.)", "5Y (ann.)", "10Y (ann.)", "All-time (ann.)",
                   "Expected Yearly", "Best Year", "Worst Year"):  # fmt: skip
        assert absent not in names, absent
    assert "6M" in names and "3M" in names  # the run covers these


def _max_vertices(svg: str) -> int:
    return max(d.count("L") for d in re.findall(r'<path[^>]* d="([^"]*)"', svg))


def test_rolling_panels_are_drawn_over_windows_that_fit(page: str, returns: pd.DataFrame) -> None:
    rolling = _div(page, "rolling")
    svgs = re.findall(r"<svg.*?</svg>", rolling, re.S)
    assert len(svgs) == 4  # beta, volatility, Sharpe, Sortino
    window = fit_window(pd.DatetimeIndex(returns.index))
    longest = window.rolling[0].sessions
    assert longest * 2 <= len(returns)  # quantstats' 126-session window left 5 of 130 points
    for svg in svgs:  # each panel has a line over the part of the run after its first window
        assert _max_vertices(svg) >= len(returns) - longest - 1
    assert "Rolling Volatility (6-Months)" not in page and "6-Months" not in page
    assert "Rolling beta to CSI300" in page and f"{longest}-session" in page


def test_a_run_too_short_for_rolling_panels_says_so(returns: pd.DataFrame, tmp_path) -> None:
    path = tmp_path / "tearsheet_sw_computer.html"
    write_tearsheet(returns.iloc[:SHORT_RUN_SESSIONS], "sw_computer", path, "short")
    rolling = _div(path.read_text(encoding="utf-8"), "rolling")
    assert "<svg" not in rolling
    assert f"the run has {SHORT_RUN_SESSIONS} sessions" in rolling


@pytest.mark.parametrize(
    ("start", "end", "sessions", "months"),
    [
        ("2024-06-24", "2024-12-24", 125, (3, 1)),
        ("2024-06-24", "2024-08-02", 30, ()),
        ("2023-01-03", "2024-12-31", 484, (6, 3, 1)),
    ],
)
def test_rolling_windows_are_at_most_half_the_run(start, end, sessions, months) -> None:
    window = fit_window(trading_calendar.trading_days(start, end))
    assert window.sessions == sessions
    assert tuple(r.months for r in window.rolling) == months
    assert all(2 * r.sessions <= sessions for r in window.rolling)
    assert window.under_one_year == (sessions < window.sessions_per_year)


def test_sessions_per_year_counts_the_calendar_years(market_data_dir: Path) -> None:
    counts = [_sessions_in_data(market_data_dir, y) for y in (2023, 2024)]
    assert sessions_per_year(pd.Timestamp("2024-06-24"), pd.Timestamp("2024-12-24")) == (
        counts[1],
        "XSHG sessions in 2024",
    )
    per_year, basis = sessions_per_year(pd.Timestamp("2023-03-01"), pd.Timestamp("2024-03-01"))
    assert per_year == round(sum(counts) / 2) and "2023-2024" in basis


def test_rolling_statistics_match_a_hand_computation(returns: pd.DataFrame) -> None:
    r, b = returns["portfolio"], returns["csi300"]
    before = returns.copy()
    window, per_year = 20, 242
    tail_r, tail_b = r.iloc[-window:].to_numpy(), b.iloc[-window:].to_numpy()
    beta = np.cov(tail_r, tail_b, ddof=1)[0, 1] / np.var(tail_b, ddof=1)
    assert rolling_beta(r, b, window).iloc[-1] == pytest.approx(beta, rel=1e-10)
    vol = np.std(tail_r, ddof=1) * np.sqrt(per_year)
    assert rolling_volatility(r, window, per_year).iloc[-1] == pytest.approx(vol, rel=1e-10)
    sharpe = tail_r.mean() / np.std(tail_r, ddof=1) * np.sqrt(per_year)
    assert rolling_sharpe(r, window, per_year).iloc[-1] == pytest.approx(sharpe, rel=1e-10)
    downside = np.sqrt(np.mean(np.minimum(tail_r, 0.0) ** 2))
    sortino = tail_r.mean() / downside * np.sqrt(per_year)
    assert rolling_sortino(r, window, per_year).iloc[-1] == pytest.approx(sortino, rel=1e-10)
    assert rolling_beta(r, b, window).iloc[: window - 1].isna().all()  # no flat 0 head
    pd.testing.assert_frame_equal(returns, before)  # inputs untouched


def test_a_run_over_a_year_keeps_cagr_next_to_the_headline() -> None:
    window = fit_window(trading_calendar.trading_days("2023-01-03", "2024-12-31"))
    names = ["Cumulative Return", "CAGR\ufe6a", "", "Sharpe", "", "1Y", "3Y (ann.)", "Best Year"]
    table = pd.DataFrame({"Strategy": [str(i) for i in range(len(names))]}, index=names)
    shaped = shape_metrics(table, window)
    assert list(shaped.index) == [HEADLINE_ROW, "CAGR\ufe6a", "", "Sharpe", "", "1Y", "Best Year"]
    assert list(table.index) == names  # the input is not modified
