"""Omissions are loud: every name never held or cut is listed with why and the cash it left.

The pure function (:func:`coverbt.backtest.omissions.not_held`) is checked on a hand-made
plan whose numbers are worked out in the test; the report's market then pins which names a
1,000,000 CNY equal-weight portfolio cannot buy, from the opens of 2024-06-24 and the lot
rules, independently of the engine.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pandas as pd
import pytest

from coverbt.backtest.bt_engine import Refusal
from coverbt.backtest.omissions import CASH_SHORT, CUT, NEVER_HELD, not_held
from coverbt.backtest.run import RunOptions, run_backtest
from coverbt.data.schema import SeriesKind
from coverbt.market.execution import Fill
from coverbt.market.rules import LOT_RULES, PROFILES, Side
from coverbt.strategy.plan import Decision, Instrument, Plan
from coverbt.strategy.spec import StrategySpec, load_strategy
from coverbt.universe.boards import Board

D1, D2, END = pd.Timestamp("2024-01-02"), pd.Timestamp("2024-02-01"), pd.Timestamp("2024-02-29")
OPENS = pd.DataFrame(
    {"688001": [100.0, 100.0, 100.0], "600001": [9.0, 10.0, 10.0], "600002": [7.0, 7.0, 7.0]},
    index=pd.DatetimeIndex([D1, D2, D2 + pd.Timedelta(days=1)]),
)
WEIGHTS = {"688001": 0.1, "600001": 0.45, "600002": 0.45}


def _plan() -> Plan:
    boards = {"688001": Board.STAR, "600001": Board.SH_MAIN, "600002": Board.SH_MAIN}
    return Plan(
        strategy="hand",
        instruments={c: Instrument(c, f"name {c}", SeriesKind.STOCK, b) for c, b in boards.items()},
        decisions=(Decision(D1, WEIGHTS, "entry"), Decision(D2, WEIGHTS, "rebalance")),
        exits=dict.fromkeys(boards, END),
        start=D1,
        end=END,
        profile=PROFILES["no_costs"],
        capital=100_000.0,
    )


def _buy(day: pd.Timestamp, code: str, shares: float) -> Fill:
    return Fill(day.date(), code, Side.BUY, shares, float(OPENS.at[day, code]), 0.0, 0.0, 0.0)


def _refused(day: pd.Timestamp, code: str, reason: str) -> Refusal:
    return Refusal(day.date(), code, Side.BUY, reason)


# at D1: 100,000 CNY; 688001 wants 10,000 / 100 = 100 shares (a STAR lot is 200): refused;
# 600001 buys 45,000 / 9 = 5,000; 600002 wants 6,428.6 and buys 6,400 (lot rounding, no
# omission). At D2 the value at the open is 10,200 cash + 5,000 x 10 + 6,400 x 7 = 105,000:
# 600002 wants 0.45 x 105,000 / 7 = 6,750 shares, 350 more, refused at the limit-up.
FILLS = [_buy(D1, "600001", 5000), _buy(D1, "600002", 6400)]
REFUSALS = [
    _refused(D1, "688001", "target below one lot (100 shares wanted)"),
    _refused(D2, "688001", "target below one lot (95 shares wanted)"),
    _refused(D2, "600002", "limit-up"),
]


def test_never_held_and_cut_with_the_cash_they_left() -> None:
    found = {item.code: item for item in not_held(_plan(), REFUSALS, FILLS, OPENS)}
    assert set(found) == {"688001", "600002"}  # 600001 held; 600002 at D1 only rounded
    star = found["688001"]
    assert star.status == NEVER_HELD and star.target_weight == star.cash_weight == 0.1
    assert [s.date for s in star.decisions] == [D1.date(), D2.date()]
    assert star.reason == (
        "target below one lot (100 shares wanted); target below one lot (95 shares wanted)"
    )
    cut = found["600002"]
    assert cut.status == CUT and cut.reason == "limit-up"
    assert [s.date for s in cut.decisions] == [D2.date()]
    assert cut.cash_weight == pytest.approx(0.45 - 6400 * 7 / 105_000, abs=1e-12)
    as_json = cut.to_json()
    assert {"code", "name", "reason", "target_weight", "cash_weight", "dates"} <= set(as_json)


def test_a_refused_buy_filled_the_next_session_is_no_omission() -> None:
    later = [*FILLS, _buy(D2 + pd.Timedelta(days=1), "600002", 300)]  # 6,700 of 6,750
    codes = [item.code for item in not_held(_plan(), REFUSALS, later, OPENS)]
    assert codes == ["688001"]


def test_fractional_runs_count_any_material_shortfall() -> None:
    found = {i.code: i for i in not_held(_plan(), [], FILLS, OPENS, fractional=True)}
    # no lots: 600002's 6,400 of 6,428.6 shares at D1 leave 0.45 - 44,800 / 100,000 in cash
    assert set(found) == {"688001", "600002"}
    first = found["600002"].decisions[0]
    assert first.date == D1.date() and first.reason == CASH_SHORT
    assert first.cash_weight == pytest.approx(0.45 - 6400 * 7 / 100_000, abs=1e-12)


def _expected_below_one_lot(universe, market, capital: float) -> set[str]:  # type: ignore[no-untyped-def]
    """A-shares whose equal weight of ``capital`` at the 2024-06-24 open buys no lot."""
    names = [item for item in universe.names if item.a_share]
    out = set()
    for item in names:
        frame = market.bars(item.code, start=dt.date(2024, 6, 24), end=dt.date(2024, 6, 24)).frame
        wanted = capital / len(names) / float(frame["open"].iloc[0])
        if wanted < LOT_RULES[item.board].minimum:
            out.add(item.code)
    return out


@pytest.fixture(scope="module")
def coverage(repo_root: Path) -> StrategySpec:
    return load_strategy(repo_root / "strategies" / "coverage_equal.yaml")


def test_report_names_below_one_lot_at_one_million(coverage, universe, report_market) -> None:  # type: ignore[no-untyped-def]
    expected = _expected_below_one_lot(universe, report_market, 1_000_000.0)
    assert expected == {"688111", "688256"}  # the two STAR names of the issue
    result = run_backtest(coverage, universe, report_market, RunOptions(capital=1_000_000.0))
    summary = result.summary("id", "dir")
    assert summary["capital"] == 1_000_000.0
    assert (summary["held"], summary["names"]) == (23, 25)
    rows = summary["not_held"]
    assert isinstance(rows, list) and {r["code"] for r in rows} == expected
    for row in rows:
        assert row["status"] == NEVER_HELD and "below one lot" in row["reason"]
        assert row["target_weight"] == row["cash_weight"] == pytest.approx(1 / 25)


def test_default_capital_holds_every_name(coverage, universe, report_market) -> None:  # type: ignore[no-untyped-def]
    assert _expected_below_one_lot(universe, report_market, coverage.capital) == set()
    result = run_backtest(coverage, universe, report_market)
    assert result.not_held == () and result.held_count() == len(result.plan.instruments) == 25


def test_capital_option_overrides_the_file(tmp_path: Path, universe, report_market) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "tiny.yaml"
    path.write_text("name: tiny\ncapital: 0.01\n", encoding="utf-8")
    spec = load_strategy(path)
    result = run_backtest(spec, universe, report_market, RunOptions(capital=1_000_000.0))
    assert result.plan.capital == 1_000_000.0 and len(result.trades) > 0
    assert result.spec.capital == 0.01  # the file's spec, as read, stays in the result


# --- the command line: --capital, --json and the terminal table ----------------------------


def test_cli_capital_option_and_not_held(backtest_cli, workspace: Path) -> None:
    done = backtest_cli(
        workspace, "coverage_equal", "--capital", "1000000", "--json", "--no-report"
    )
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout)
    assert summary["capital"] == 1_000_000.0
    assert [r["code"] for r in summary["not_held"]] == ["688111", "688256"]
    manifest = json.loads((workspace / summary["report_dir"] / "manifest.json").read_text("utf-8"))
    assert manifest["parameters"]["capital"] == 1_000_000.0
    assert [r["code"] for r in manifest["not_held"]] == ["688111", "688256"]
    text = backtest_cli(workspace, "coverage_equal", "--capital", "1000000", "--no-report").stdout
    assert "held 23 of 25 names" in text and "capital 1,000,000 CNY" in text
    assert "target below one lot (163 shares wanted)" in text
    default = json.loads(backtest_cli(workspace, "coverage_equal", "--json", "--no-report").stdout)
    assert default["run_id"] != summary["run_id"]  # the capital is part of the run id
    assert default["not_held"] == [] and default["held"] == 25


def test_cli_refuses_a_capital_that_is_not_positive(backtest_cli, workspace: Path) -> None:
    done = backtest_cli(workspace, "coverage_equal", "--capital", "0")
    assert done.returncode == 2 and "Traceback" not in done.stderr


SHIPPED = sorted(p.stem for p in (Path(__file__).parents[2] / "strategies").glob("*.yaml"))


@pytest.mark.slow
@pytest.mark.parametrize("name", SHIPPED)
def test_every_shipped_strategy_buys_every_name_at_the_default(
    name: str, repo_root: Path, universe, report_market
) -> None:  # type: ignore[no-untyped-def]
    spec = load_strategy(repo_root / "strategies" / f"{name}.yaml")
    assert "capital" not in (repo_root / "strategies" / f"{name}.yaml").read_text("utf-8")
    result = run_backtest(spec, universe, report_market)
    assert result.held_count() == len(result.targeted())
    assert not [i for i in result.not_held if i.status == NEVER_HELD or "lot" in i.reason]
