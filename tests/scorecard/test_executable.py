"""Paper vs executable: one real position through the engine's pure execution."""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
import pytest

from coverbt.market.rules import PROFILES, Side, costs
from coverbt.scorecard.convention import Convention
from coverbt.scorecard.executable import default_notional, simulate
from coverbt.scorecard.full import full_scorecards
from coverbt.scorecard.model import NameScore
from coverbt.universe.model import CoveredName

DAYS = pd.DatetimeIndex(["2024-06-21", "2024-06-24", "2024-06-25", "2024-06-26", "2024-06-27"])


def _frame(opens: list[float], closes: list[float], volumes: list[float]) -> pd.DataFrame:
    return pd.DataFrame(
        {"open": opens, "high": [max(o, c) for o, c in zip(opens, closes, strict=True)],
         "low": [min(o, c) for o, c in zip(opens, closes, strict=True)], "close": closes,
         "volume": volumes},
        index=DAYS.rename("date"),
    )  # fmt: skip


def _name() -> CoveredName:
    return CoveredName(code="600570", name="恒生电子", exchange="SH", rating="推荐")


def test_limit_up_entry_is_taken_next_session_and_gap_splits_exactly() -> None:
    # 06-24 opens at the +10% limit (10.00 -> 11.00): refused; 06-25 opens 11.50 (limit 12.10)
    frame = _frame(
        [10.0, 11.0, 11.5, 11.8, 12.0], [10.0, 11.0, 11.6, 11.9, 12.5], [1e6, 1e6, 1e6, 1e6, 1e6]
    )
    paper = NameScore("600570", "恒生电子", "推荐", True, ret=12.5 / 11.0 - 1)
    got = simulate(
        _name(), paper, frame, (DAYS[1], DAYS[4]), 100_000.0, PROFILES["a_share_default"]
    )
    assert str(got.entry_date) == "2024-06-25" and got.entry_price == 11.5
    assert got.reasons[0] == "entered 1 session late: limit-up"
    buy_fees = costs(Side.BUY, got.shares * 11.5, DAYS[2].date(), PROFILES["a_share_default"])
    assert got.shares == math.floor((100_000 - buy_fees.total) / 11.5 / 100) * 100
    sell = costs(Side.SELL, got.shares * 12.5, DAYS[4].date(), PROFILES["a_share_default"])
    cash = 100_000 - got.shares * 11.5 - buy_fees.total + got.shares * 12.5 - sell.total
    assert got.executable_return == pytest.approx(cash / 100_000 - 1, rel=1e-12)
    assert got.gap == pytest.approx(
        (got.timing or 0) + (got.lot_rounding or 0) + (got.fee_cost or 0), abs=1e-12
    )
    assert got.timing == pytest.approx(12.5 / 11.5 - 12.5 / 11.0, rel=1e-12)


def test_suspended_at_exit_sells_at_the_next_close() -> None:
    frame = _frame(
        [10.0, 10.1, 10.2, 10.3, 10.4], [10.0, 10.1, 10.2, 10.3, 10.5], [1e6, 1e6, 1e6, 0.0, 1e6]
    )
    paper = NameScore("600570", "恒生电子", "推荐", True, ret=10.2 / 10.1 - 1)
    got = simulate(_name(), paper, frame, (DAYS[1], DAYS[3]), 50_000.0, PROFILES["a_share_default"])
    assert str(got.exit_date) == "2024-06-27" and got.exit_price == 10.5
    assert "exited 1 session late: suspended" in got.reasons


def test_report_names_paper_vs_executable(universe, report_market, market_data_dir: Path) -> None:
    card = full_scorecards(universe, report_market, ["6M"], Convention())[0]
    rows = {item.code: item for item in card.executable or []}
    notional = default_notional(universe)
    for item in rows.values():
        if item.executable_return is not None:
            parts = (item.timing or 0) + (item.lot_rounding or 0) + (item.fee_cost or 0)
            assert item.gap == pytest.approx(parts, abs=1e-12), item.code
    # 300496 bought at the 2024-06-24 open (baostock qfq), whole lots of 100
    frame = pd.read_csv(market_data_dir / "stock" / "baostock" / "sz.300496.csv").set_index("date")
    open_ = float(frame.at["2024-06-24", "open"])
    strong = rows["300496"]
    assert strong.entry_price == pytest.approx(open_, rel=1e-12)
    assert strong.shares is not None and strong.shares % 100 == 0
    assert strong.shares * open_ <= notional < (strong.shares + 100) * open_ + 10
    # the default notional buys a STAR name's 200-share minimum lot
    star = pd.read_csv(market_data_dir / "stock" / "akshare" / "688256.csv", encoding="utf-8-sig")
    star_open = float(star.set_index("日期").at["2024-06-24", "开盘"])
    assert 200 * star_open < notional and rows["688256"].executable_return is not None
    # a notional below that minimum is never bought, and says why
    small = full_scorecards(universe, report_market, ["6M"], Convention(), notional=40_000.0)[0]
    assert 200 * star_open > 40_000.0
    starved = {item.code: item for item in small.executable or []}["688256"]
    assert starved.executable_return is None
    assert "below one lot" in starved.reasons[0]
    data = card.to_json()["executable"]
    assert {"paper_return", "executable_return", "gap", "gap_parts", "reasons"} <= set(data[0])
