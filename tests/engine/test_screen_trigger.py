"""``act: {trigger: screen}``: a screen picks the names at each decision, with no look-ahead."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from coverbt.backtest.run import RunOptions, run_backtest
from coverbt.backtest.vectorized import run_vectorized
from coverbt.data.memory import InMemoryProvider
from coverbt.data.schema import Series, SeriesKind
from coverbt.data.trading_calendar import trading_days
from coverbt.errors import InputError
from coverbt.market.rules import PROFILES
from coverbt.screens.run import run_screen
from coverbt.screens.spec import load_screen
from coverbt.strategy.plan import build_plan
from coverbt.strategy.spec import load_strategy

SHIPPED = "screen_cheap_strong_monthly"


@pytest.fixture(scope="module")
def shipped(repo_root: Path):  # type: ignore[no-untyped-def]
    return load_strategy(repo_root / "strategies" / f"{SHIPPED}.yaml")


def _rebuilt(market: InMemoryProvider, change) -> InMemoryProvider:  # type: ignore[no-untyped-def]
    """A copy of ``market`` with ``change(series) -> Series`` applied to every series."""
    keys = {(m.code, m.kind) for m in market.catalog()}
    series = [change(s) for code, kind in sorted(keys) for s in market.sources(code, kind)]
    return InMemoryProvider(series, market.code_names())


def _truncated(market: InMemoryProvider, last: pd.Timestamp) -> InMemoryProvider:
    return _rebuilt(market, lambda s: s.between(None, last.date()))


def _wild_from(market: InMemoryProvider, day: pd.Timestamp) -> InMemoryProvider:
    """Bars and valuations on and after ``day`` scrambled: some names x3, others / 3."""

    def change(series: Series) -> Series:
        frame = series.frame.copy()
        later = frame.index >= day
        factor = 3.0 if int(series.meta.code[-1]) % 2 else 1 / 3
        cols = [c for c in ("open", "high", "low", "close", "pe_ttm", "pb") if c in frame]
        frame.loc[later, cols] = frame.loc[later, cols] * factor
        return Series(series.meta, frame)

    return _rebuilt(market, change)


def _chosen(plan) -> dict[pd.Timestamp, list[str]]:  # type: ignore[no-untyped-def]
    return {d.date: sorted(d.weights) for d in plan.decisions}


def test_decisions_equal_the_screen_on_data_cut_at_the_previous_close(
    shipped, repo_root, universe, report_market
) -> None:  # type: ignore[no-untyped-def]
    plan, _ = build_plan(shipped, universe, report_market)
    assert plan.screen_file == repo_root / "strategies" / "screens" / "coverage_cheap_strong.yaml"
    screen = load_screen(plan.screen_file)
    assert len(plan.decisions) == 6
    # the entry (Monday 06-24) sees Friday's close and the report of Sunday 06-23, which the
    # screen would hide as of Friday: the report is dated Friday for that run
    friday = pd.Timestamp("2024-06-21").date()
    report = universe.report.model_copy(update={"published": friday})
    known = {friday: universe.model_copy(update={"report": report})}
    for decision in plan.decisions:
        before = trading_days(decision.date - pd.Timedelta(days=20), decision.date)[-2]
        cut = _truncated(report_market, before)
        seen = known.get(before.date(), universe)
        direct = run_screen(screen, cut, as_of=before.date(), scope="coverage", universe=seen)
        assert sorted(decision.weights) == sorted(direct.selected.index), decision.date
        assert f"{before.date()} close" in decision.reason
    assert plan.decisions[0].weights
    # every name chosen is equal-weighted, the others hold nothing
    for decision in plan.decisions:
        if decision.weights:
            n = len(decision.weights)
            assert list(decision.weights.values()) == pytest.approx([1 / n] * n)


def test_bars_on_or_after_a_decision_do_not_change_it(shipped, universe, report_market) -> None:  # type: ignore[no-untyped-def]
    base, _ = build_plan(shipped, universe, report_market)
    day = base.decisions[3].date  # 2024-09-24
    changed, _ = build_plan(shipped, universe, _wild_from(report_market, day))
    before = {d: w for d, w in _chosen(base).items() if d <= day}
    assert before == {d: w for d, w in _chosen(changed).items() if d <= day}
    assert [d.weights for d in base.decisions[:4]] == [d.weights for d in changed.decisions[:4]]
    # the change is visible to later decisions: the test could fail
    assert _chosen(base) != _chosen(changed)


def _bars(closes: pd.Series) -> pd.DataFrame:
    frame = pd.DataFrame(
        {"open": closes, "high": closes, "low": closes, "close": closes, "volume": 1e6},
        index=pd.DatetimeIndex(closes.index, name="date"),
    )
    frame["amount"] = frame["close"] * 1e6
    return frame.astype(float)


def test_a_hand_made_market_trades_what_the_screen_passes(tmp_path, universe, make_series) -> None:  # type: ignore[no-untyped-def]
    days = trading_days("2024-05-06", "2024-08-30")
    turn = days.searchsorted(pd.Timestamp("2024-07-11"))
    step = np.where(np.arange(len(days)) < turn, 0.01, -0.01)
    a = pd.Series(10.0 * np.cumprod(1 + step), index=days)  # up until 07-10, then down
    b = pd.Series(10.0 * np.cumprod(1 - step), index=days)  # down until 07-10, then up
    c = pd.Series(10.0, index=days)  # flat: ret_5d == 0 never passes
    market = InMemoryProvider(
        [
            make_series("600570", SeriesKind.STOCK, _bars(a)),
            make_series("300496", SeriesKind.STOCK, _bars(b)),
            make_series("000977", SeriesKind.STOCK, _bars(c)),
            make_series("000300", SeriesKind.INDEX, _bars(pd.Series(3500.0, index=days))),
            make_series("801750", SeriesKind.INDEX, _bars(pd.Series(4000.0, index=days))),
        ]
    )
    (tmp_path / "screens").mkdir()
    (tmp_path / "screens" / "rising.yaml").write_text(
        "name: rising\nconditions: [ret_5d > 0]\nscore: {field: ret_5d}\ntop: 5\n",
        encoding="utf-8",
    )
    path = tmp_path / "rising_monthly.yaml"
    path.write_text(
        "name: rising_monthly\n"
        "act: {trigger: screen, screen: rising, rebalance: 1M}\n"
        "select: {codes: ['600570', '300496', '000977']}\n"
        "exit: {horizon: 2M}\n",
        encoding="utf-8",
    )
    spec = load_strategy(path)
    entry, second, last = (pd.Timestamp(x) for x in ("2024-06-24", "2024-07-24", "2024-08-23"))
    plan, _ = build_plan(spec, universe, market)
    assert [(d.date, d.weights) for d in plan.decisions] == [
        (entry, {"600570": 1.0}),  # a rose into the 06-21 close, b fell, c is flat
        (second, {"300496": 1.0}),  # by the 07-23 close a falls and b rises
    ]
    assert plan.end == last
    result = run_backtest(spec, universe, market, RunOptions(no_costs=True, fractional=True))
    trades = [(t.date, t.code, t.side) for t in result.trades.itertuples()]
    assert trades == [
        ("2024-06-24", "600570", "buy"),
        ("2024-07-24", "600570", "sell"),  # it stopped passing: sold at that open
        ("2024-07-24", "300496", "buy"),
        ("2024-08-23", "300496", "sell"),  # the horizon's close
    ]
    expected = a[second] / a[entry] * b[last] / b[second] - 1  # open == close on these bars
    assert result.total_return() == pytest.approx(expected, abs=1e-9)
    fast = run_vectorized(*build_plan(spec, universe, market, profile=PROFILES["frictionless"]))
    assert fast.iloc[-1] / plan.capital - 1 == pytest.approx(expected, abs=1e-9)


def test_shipped_screen_strategy_agrees_across_engines(
    shipped, universe, report_market, engines_gap
) -> None:  # type: ignore[no-untyped-def]
    plan, panel = build_plan(shipped, universe, report_market, profile=PROFILES["frictionless"])
    assert all(d.weights for d in plan.decisions)  # the screen passes names on every date
    assert len({tuple(sorted(d.weights)) for d in plan.decisions}) > 1  # and the set changes
    assert engines_gap(plan, panel) < 1e-6
    fast = run_vectorized(plan, panel)
    result = run_backtest(
        shipped, universe, report_market, RunOptions(no_costs=True, fractional=True)
    )
    assert result.total_return() == pytest.approx(fast.iloc[-1] / plan.capital - 1, abs=1e-6)
    sold = result.trades.loc[result.trades["side"] == "sell"]
    assert (sold["date"] < "2024-12-24").any()  # names that stopped passing left early


def test_unknown_screen_names_the_strategy_file_line_and_field(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(
        "name: bad\ndescription: x\nact: {trigger: screen, screen: no_such_screen}\n",
        encoding="utf-8",
    )
    with pytest.raises(InputError) as info:
        load_strategy(path)
    err = info.value
    assert (err.source, err.line, err.field) == (path, 3, "act.screen")
    assert "no_such_screen" in str(err)
    path.write_text("name: bad\nact:\n  trigger: screen\n", encoding="utf-8")
    with pytest.raises(InputError, match="needs screen") as info:
        load_strategy(path)
    assert (info.value.line, info.value.field) == (3, "act")
    path.write_text("name: bad\nact: {trigger: publication, screen: x}\n", encoding="utf-8")
    with pytest.raises(InputError, match="trigger: screen only"):
        load_strategy(path)
