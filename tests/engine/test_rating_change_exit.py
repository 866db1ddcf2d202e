"""``exit: {on_rating_change: ...}``: leave at the open after a later rating, no look-ahead."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from coverbt.backtest.run import RunOptions, run_backtest
from coverbt.backtest.vectorized import run_vectorized
from coverbt.data.memory import InMemoryProvider
from coverbt.data.schema import SeriesKind
from coverbt.data.trading_calendar import trading_days
from coverbt.errors import InputError
from coverbt.market.rules import PROFILES
from coverbt.revisions.from_universe import report_source, universe_records
from coverbt.revisions.ledger import Ledger
from coverbt.revisions.records import ForecastRecord
from coverbt.strategy.plan import build_plan
from coverbt.strategy.ratings import LedgerRatings, RatingEvent, RecordRatings
from coverbt.strategy.spec import load_strategy

PINGAN = "平安证券:闫磊,黄韦涵"
OTHER = "中信证券:某某"
CODES = ["300496", "600570", "000977", "603019"]  # 强烈推荐, 强烈推荐, 推荐, 推荐
ENTRY, LAST = pd.Timestamp("2024-06-24"), pd.Timestamp("2024-08-23")  # a 2M horizon
DAYS = trading_days("2024-05-06", "2024-09-30")


def _bars(k: int) -> pd.DataFrame:
    """Open != close every day, so a sale at the open is told apart from one at the close."""
    t = np.arange(len(DAYS), dtype=float)
    opens = 10.0 + k + 0.05 * t * (1 + k)
    closes = opens * (1.01 if k % 2 else 0.99)
    frame = pd.DataFrame(
        {
            "open": opens,
            "high": np.maximum(opens, closes),
            "low": np.minimum(opens, closes),
            "close": closes,
            "volume": 1e6,
        },
        index=pd.DatetimeIndex(DAYS, name="date"),
    )
    frame["amount"] = frame["close"] * 1e6
    return frame.astype(float)


@pytest.fixture(scope="module")
def market(make_series) -> InMemoryProvider:  # type: ignore[no-untyped-def]
    flat = _bars(0).assign(open=3500.0, high=3500.0, low=3500.0, close=3500.0)
    series = [make_series(c, SeriesKind.STOCK, _bars(k)) for k, c in enumerate(CODES)]
    series += [make_series(i, SeriesKind.INDEX, flat) for i in ("000300", "801750")]
    return InMemoryProvider(series)


def _strategy(tmp_path: Path, mode: str = "downgrade") -> Path:
    path = tmp_path / f"exit_{mode}.yaml"
    path.write_text(
        f"name: exit_{mode}\n"
        f"select: {{codes: {CODES}}}\n"
        f"exit: {{horizon: 2M, on_rating_change: {mode}}}\n",
        encoding="utf-8",
    )
    return path


def _history(universe, *later: tuple[str, str, str, str | None]) -> RecordRatings:  # type: ignore[no-untyped-def]
    """The report's own ratings plus ``later`` = (source, as_of, code, rating) records."""
    records = universe_records(universe)
    records += [
        ForecastRecord(src, dt.date.fromisoformat(day), code, 2025, 1.0, rating=rating)
        for src, day, code, rating in later
    ]
    return RecordRatings.from_records(records)


LATER = (
    (PINGAN, "2024-07-10", "300496", "推荐"),  # a downgrade on Wednesday: sold Thursday's open
    (PINGAN, "2024-07-10", "000977", "强烈推荐"),  # an upgrade: kept
    (OTHER, "2024-07-05", "600570", "回避"),  # another broker's downgrade: kept
    (PINGAN, "2024-08-24", "603019", "中性"),  # a downgrade after the horizon's end: nothing
)


def test_the_source_of_the_report_is_the_ledger_s(universe) -> None:  # type: ignore[no-untyped-def]
    assert report_source(universe) == PINGAN
    rated = {r.code: r.rating for r in universe_records(universe)}
    assert rated["300496"] == "强烈推荐" and rated["000977"] == "推荐"


def test_a_downgrade_sells_at_the_next_open_and_nothing_else_does(
    tmp_path, universe, market, engines_gap
) -> None:  # type: ignore[no-untyped-def]
    spec = load_strategy(_strategy(tmp_path))
    assert spec.exit.on_rating_change == "downgrade"
    ratings = _history(universe, *LATER)
    plan, panel = build_plan(spec, universe, market, ratings=ratings)
    sell_day = pd.Timestamp("2024-07-11")
    assert list(plan.rating_exits) == ["300496"]
    change = plan.rating_exits["300496"]
    assert (change.day, change.as_of, change.old, change.new) == (
        sell_day,
        dt.date(2024, 7, 10),
        "强烈推荐",
        "推荐",
    )
    assert plan.exits == {"300496": sell_day, "600570": LAST, "000977": LAST, "603019": LAST}
    options = RunOptions(no_costs=True, fractional=True, engine="both")  # both engines agree
    result = run_backtest(spec, universe, market, options, ratings)
    trades = sorted((t.date, t.code, t.side, t.price) for t in result.trades.itertuples())
    opens, closes = panel["open"], panel["close"]
    assert trades == [
        ("2024-06-24", c, "buy", pytest.approx(opens.at[ENTRY, c])) for c in sorted(CODES)
    ] + [
        ("2024-07-11", "300496", "sell", pytest.approx(opens.at[sell_day, "300496"])),
    ] + [
        ("2024-08-23", c, "sell", pytest.approx(closes.at[LAST, c]))
        for c in ["000977", "600570", "603019"]
    ]
    # by hand: a quarter in each name from the entry open; cash after 300496's sale
    legs = [opens.at[sell_day, "300496"] / opens.at[ENTRY, "300496"]]
    legs += [closes.at[LAST, c] / opens.at[ENTRY, c] for c in CODES[1:]]
    expected = float(np.mean(legs)) - 1
    assert result.total_return() == pytest.approx(expected, abs=1e-9)
    # the vectorized path sells at the same open and agrees with backtrader
    fast_plan, fast_panel = build_plan(
        spec, universe, market, profile=PROFILES["frictionless"], ratings=ratings
    )
    fast = run_vectorized(fast_plan, fast_panel)
    assert fast.iloc[-1] / plan.capital - 1 == pytest.approx(expected, abs=1e-9)
    assert engines_gap(fast_plan, fast_panel) < 1e-9
    # the test could fail: without the history every name is held to the horizon
    kept, _ = build_plan(spec, universe, market, ratings=_history(universe))
    assert kept.rating_exits == {} and set(kept.exits.values()) == {LAST}


def test_any_change_leaves_on_an_upgrade_too_but_not_on_another_broker(
    tmp_path, universe, market
) -> None:  # type: ignore[no-untyped-def]
    spec = load_strategy(_strategy(tmp_path, "any"))
    plan, _ = build_plan(spec, universe, market, ratings=_history(universe, *LATER))
    assert {c: e.day for c, e in plan.rating_exits.items()} == {
        "300496": pd.Timestamp("2024-07-11"),
        "000977": pd.Timestamp("2024-07-11"),
    }
    # a weekend report is acted on at Monday's open; a move to unrated counts for ``any``
    later = ((PINGAN, "2024-07-13", "603019", None),)
    plan, _ = build_plan(spec, universe, market, ratings=_history(universe, *later))
    assert plan.rating_exits["603019"].day == pd.Timestamp("2024-07-15")
    down = load_strategy(_strategy(tmp_path, "downgrade"))
    plan, _ = build_plan(down, universe, market, ratings=_history(universe, *later))
    assert plan.rating_exits == {}


class _Spy:
    """A history that records every date it is asked about."""

    def __init__(self, inner: RecordRatings) -> None:
        self.inner = inner
        self.asked: list[tuple[str, dt.date]] = []

    def ratings_known_at(self, code: str, date: dt.date) -> list[RatingEvent]:
        self.asked.append((code, date))
        return self.inner.ratings_known_at(code, date)


def test_a_change_known_later_cannot_touch_earlier_decisions(tmp_path, universe, market) -> None:  # type: ignore[no-untyped-def]
    spec = load_strategy(_strategy(tmp_path))
    options = RunOptions(no_costs=True, fractional=True)
    base = run_backtest(spec, universe, market, options, _history(universe))
    d = pd.Timestamp("2024-07-10")
    spy = _Spy(_history(universe, (PINGAN, d.date().isoformat(), "300496", "中性")))
    changed = run_backtest(spec, universe, market, options, spy)
    # everything up to and including d is the same; the sale is the first session after d
    assert changed.equity.loc[:d].equals(base.equity.loc[:d])
    early = base.trades.loc[base.trades["date"] <= "2024-07-10"]
    assert changed.trades.loc[changed.trades["date"] <= "2024-07-10"].equals(early)
    assert changed.plan.rating_exits["300496"].day == pd.Timestamp("2024-07-11")
    assert not changed.equity.equals(base.equity)  # the test could fail
    # deciding 300496's sale at the 07-11 open read nothing dated 07-11 or later
    assert max(day for code, day in spy.asked if code == "300496") == dt.date(2024, 7, 10)
    # the same report dated one day later moves the sale one session later
    later = _history(universe, (PINGAN, "2024-07-11", "300496", "中性"))
    plan, _ = build_plan(spec, universe, market, ratings=later)
    assert plan.rating_exits["300496"].day == pd.Timestamp("2024-07-12")


def test_the_ledger_is_a_rating_history(tmp_path, universe, market) -> None:  # type: ignore[no-untyped-def]
    ledger = Ledger(tmp_path / "ledger.duckdb")
    ledger.ingest(universe_records(universe), origin="universe")
    later = universe.report.model_copy(update={"published": dt.date(2024, 7, 10)})
    names = [
        n.model_copy(update={"rating": "中性"}) if n.code == "300496" else n for n in universe.names
    ]
    second = universe.model_copy(update={"report": later, "names": names})
    ledger.ingest(universe_records(second), origin="later.yaml")
    ratings = LedgerRatings(ledger)
    known = ratings.ratings_known_at("300496", dt.date(2024, 7, 9))
    assert [e.rating for e in known] == ["强烈推荐"]
    known = ratings.ratings_known_at("300496", dt.date(2024, 7, 10))
    assert [(e.as_of, e.source, e.rating) for e in known] == [
        (dt.date(2024, 6, 23), PINGAN, "强烈推荐"),
        (dt.date(2024, 7, 10), PINGAN, "中性"),
    ]
    spec = load_strategy(_strategy(tmp_path))
    plan, _ = build_plan(spec, universe, market, ratings=ratings)
    assert {c: e.day for c, e in plan.rating_exits.items()} == {
        "300496": pd.Timestamp("2024-07-11")
    }


def test_a_bad_on_rating_change_names_file_line_and_field(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("name: bad\nexit:\n  horizon: 6M\n  on_rating_change: sell\n", encoding="utf-8")
    with pytest.raises(InputError) as info:
        load_strategy(path)
    err = info.value
    assert (err.source, err.line, err.field) == (path, 4, "exit.on_rating_change")
    assert "downgrade" in str(err) and "any" in str(err)
    path.write_text("name: bad\nexit: {on_rating_change: true}\n", encoding="utf-8")
    with pytest.raises(InputError, match="downgrade or any"):
        load_strategy(path)
    path.write_text("name: ok\nexit: {on_rating_change: false}\n", encoding="utf-8")
    assert load_strategy(path).exit.on_rating_change is None


def test_shipped_exit_on_downgrade_equals_coverage_equal_with_one_report(
    repo_root, universe, report_market
) -> None:  # type: ignore[no-untyped-def]
    strategies = repo_root / "strategies"
    spec = load_strategy(strategies / "coverage_exit_on_downgrade.yaml")
    assert spec.exit.on_rating_change == "downgrade"
    ratings = RecordRatings.from_records(universe_records(universe))
    mine = run_backtest(spec, universe, report_market, ratings=ratings)
    equal = run_backtest(load_strategy(strategies / "coverage_equal.yaml"), universe, report_market)
    assert mine.plan.rating_exits == {}
    assert mine.trades.equals(equal.trades)
    assert mine.equity.equals(equal.equity)
    assert len(mine.trades) > 0
