"""Trading at raw prices, dividends and new shares as events, end to end on real bars.

The report's real qfq bars of three names are turned into raw bars by hypothetical events
(``raw = qfq * (1 + ratio) + cash`` before the ex-date, rounded to the 0.01 tick, as
eastmoney's forward adjustment is undone), and the qfq series is derived back from them
exactly. A provider with raw bars and events executes on raw prices; one without them on
qfq, as before.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import requests
import responses
from responses import matchers

from coverbt.backtest.bt_engine import actions_applied
from coverbt.backtest.run import BacktestResult, RunOptions, run_backtest
from coverbt.data.akshare_live import AkshareLive
from coverbt.data.cache import Cache
from coverbt.data.corporate_actions import ACTION_DIR, WithActions, load_actions, raw_execution
from coverbt.data.memory import InMemoryProvider
from coverbt.data.provider import BENCHMARKS
from coverbt.data.schema import Adjust, Series, SeriesKind
from coverbt.data.store import import_path, open_store
from coverbt.data.update import FAILED, NEW, Target, update_cache
from coverbt.market.corporate import CorporateAction, ex_reference_price
from coverbt.market.rules import Side
from coverbt.strategy.panel import load_panel
from coverbt.strategy.spec import StrategySpec
from tests.data import akshare_payloads as pay
from tests.data import fhps_payloads as fh

CAPITAL = 1_000_000.0
ENTRY, EXIT = pd.Timestamp("2024-06-24"), pd.Timestamp("2024-12-24")
# hypothetical events: (ex-date, cash per share, new shares per share)
EVENTS = {
    "600570": (dt.date(2024, 8, 15), 0.5, 0.0),  # 10派5
    "000977": (dt.date(2024, 9, 20), 0.1, 0.3),  # 10派1送3
    "300496": (dt.date(2024, 12, 24), 0.0, 0.4),  # 10转4 on the exit session
}
PRICES = ["open", "high", "low", "close"]


Event = tuple[dt.date, float, float]


def _frames(
    report_market: InMemoryProvider, code: str, event: Event | None = None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(raw, qfq) bars of ``code``: raw on the tick, qfq derived from raw exactly."""
    real = report_market.bars(code, start=dt.date(2024, 1, 2), end=dt.date(2024, 12, 31)).frame
    ex_date, cash, ratio = event or EVENTS[code]
    assert pd.Timestamp(ex_date) in real.index  # a session of the stock
    before = real.index < pd.Timestamp(ex_date)
    raw = real.copy()
    raw.loc[before, PRICES] = raw.loc[before, PRICES] * (1.0 + ratio) + cash
    raw[PRICES] = raw[PRICES].round(2)
    qfq = raw.copy()
    qfq.loc[before, PRICES] = (raw.loc[before, PRICES] - cash) / (1.0 + ratio)
    return raw, qfq


@pytest.fixture(scope="module")
def bars(report_market: InMemoryProvider) -> dict[str, tuple[pd.DataFrame, pd.DataFrame]]:
    return {code: _frames(report_market, code) for code in EVENTS}


def _market(
    report_market: InMemoryProvider,
    bars: dict[str, tuple[pd.DataFrame, pd.DataFrame]],
    *,
    raw: bool,
    events: dict[str, Event] = EVENTS,
) -> WithActions:
    series = []
    for code, (raw_frame, qfq_frame) in bars.items():
        like = report_market.bars(code)
        series.append(Series(replace(like.meta, adjust=Adjust.QFQ), qfq_frame))
        if raw:
            series.append(Series(replace(like.meta, adjust=Adjust.NONE), raw_frame))
    for code in BENCHMARKS.values():
        series.extend(report_market.sources(code, SeriesKind.INDEX))
    events = {
        code: pd.DataFrame(
            {"cash_per_share": [cash], "bonus_per_share": [ratio], "transfer_per_share": [0.0]},
            index=pd.DatetimeIndex([ex_date], name="ex_date"),
        )
        for code, (ex_date, cash, ratio) in events.items()
    }
    names = report_market.code_names()
    return WithActions(InMemoryProvider(series, names=names), events)


def _run(
    market: WithActions, universe, stop: float | None = None, **options: bool
) -> BacktestResult:  # type: ignore[no-untyped-def]
    spec = StrategySpec.model_validate(
        {
            "name": "raw_prices",
            "select": {"codes": sorted(EVENTS)},
            "exit": {"horizon": "6M", "stop_loss": stop},
            "capital": CAPITAL,
        }
    )
    # "both": every run here is also run on the compiled engine, which must agree exactly
    return run_backtest(spec, universe, market, RunOptions(engine="both", **options))


def _weight_values(
    bars: dict[str, tuple[pd.DataFrame, pd.DataFrame]], sessions: pd.DatetimeIndex
) -> tuple[pd.Series, pd.Series]:
    """By hand: the raw-price and the qfq buy-and-hold values of CAPITAL / 3 per name,
    fractional, no costs. On raw prices a holder keeps the dividend as cash and gets the
    new shares on the ex-date; on qfq the event is in the price."""
    raw_total = pd.Series(0.0, index=sessions)
    qfq_total = pd.Series(0.0, index=sessions)
    money = CAPITAL / len(bars)
    for code, (raw, qfq) in bars.items():
        ex_date, cash, ratio = EVENTS[code]
        shares = money / raw.at[ENTRY, "open"]
        after = sessions >= pd.Timestamp(ex_date)
        close = raw["close"].reindex(sessions)
        raw_total += shares * np.where(after, close * (1 + ratio) + cash, close)
        qfq_total += money * qfq["close"].reindex(sessions) / qfq.at[ENTRY, "open"]
    return raw_total, qfq_total


def test_fractional_raw_run_keeps_events_as_cash_and_shares(
    report_market: InMemoryProvider,
    bars: dict[str, tuple[pd.DataFrame, pd.DataFrame]],
    universe,  # type: ignore[no-untyped-def]
) -> None:
    raw_run = _run(_market(report_market, bars, raw=True), universe, no_costs=True, fractional=True)
    qfq_run = _run(
        _market(report_market, bars, raw=False), universe, no_costs=True, fractional=True
    )
    sessions = raw_run.equity.index[1:]
    assert sessions[0] == ENTRY and sessions[-1] == EXIT
    raw_value, qfq_value = _weight_values(bars, pd.DatetimeIndex(sessions))
    # every session: the ledger (fills + events at raw closes) against the hand computation
    np.testing.assert_allclose(raw_run.equity["portfolio"].iloc[1:] * CAPITAL, raw_value, rtol=1e-9)
    np.testing.assert_allclose(qfq_run.equity["portfolio"].iloc[1:] * CAPITAL, qfq_value, rtol=1e-9)
    # 300496 has only new shares: raw and qfq agree exactly; the cash dividends differ by
    # holding the cash instead of subtracting it from every earlier price (qfq)
    money = CAPITAL / 3
    gap = 0.0
    for code in ("600570", "000977"):
        raw, qfq = bars[code]
        ex_date, cash, ratio = EVENTS[code]
        last = raw.at[EXIT, "close"]
        gap += money * (
            (last * (1 + ratio) + cash) / raw.at[ENTRY, "open"] - last / qfq.at[ENTRY, "open"]
        )
    final_gap = (raw_run.total_return() - qfq_run.total_return()) * CAPITAL
    assert final_gap == pytest.approx(gap, rel=1e-6)
    assert abs(gap) < 0.01 * CAPITAL  # a few basis points per dividend, not a different run

    # the events, credited on their ex-dates, fractions kept in a fractional run
    applied = {e["code"]: e for e in actions_applied(raw_run.engine)}
    assert set(applied) == set(EVENTS)
    for code, (ex_date, cash, ratio) in EVENTS.items():
        held = money / bars[code][0].at[ENTRY, "open"]
        item = applied[code]
        assert item["date"] == item["ex_date"] == ex_date.isoformat()
        assert item["shares_before"] == pytest.approx(held, rel=1e-9)
        assert item["shares_added"] == pytest.approx(held * ratio, rel=1e-9)
        assert item["cash"] == pytest.approx(held * cash, rel=1e-9)
    prices = raw_run.engine.execution_prices
    assert prices["raw"] == {"codes": sorted(EVENTS), "how": prices["raw"]["how"]}  # type: ignore[index]
    assert "raw" not in qfq_run.engine.execution_prices
    assert "limit_tests_at_day_extreme" not in prices


def test_lots_fees_and_limits_on_raw_prices(
    report_market: InMemoryProvider,
    bars: dict[str, tuple[pd.DataFrame, pd.DataFrame]],
    universe,  # type: ignore[no-untyped-def]
) -> None:
    result = _run(_market(report_market, bars, raw=True), universe)
    trades = result.trades
    assert not result.engine.refusals
    assert set(trades["side"]) == {"buy", "sell"} and len(trades) == 2 * len(EVENTS)
    for row in trades.itertuples():
        raw = bars[row.code][0]
        day = pd.Timestamp(row.date)
        price = raw.at[day, "open" if row.side == "buy" else "close"]
        assert row.price == price  # the raw price, on the 0.01 tick
        assert math.isclose(round(row.price * 100), row.price * 100, abs_tol=1e-6)
        assert row.value == pytest.approx(row.shares * price)
    buys = trades.loc[trades["side"] == str(Side.BUY)].set_index("code")
    money = CAPITAL / len(EVENTS)
    for code, row in buys.iterrows():
        lots = math.floor(money / bars[str(code)][0].at[ENTRY, "open"] / 100)
        assert row["shares"] == lots * 100  # sized on the raw open
    # new shares on the ex-date, rounded down to whole shares; the dividend as cash
    applied = {e["code"]: e for e in actions_applied(result.engine)}
    sells = trades.loc[trades["side"] == str(Side.SELL)].set_index("code")["shares"]
    for code, (_, cash, ratio) in EVENTS.items():
        held = float(buys.at[code, "shares"])
        added = math.floor(held * ratio + 1e-9)
        assert applied[code]["shares_added"] == added
        assert applied[code]["cash"] == pytest.approx(held * cash)
        assert sells[code] == held + added  # the exit sells the new shares too
    # 300496 sells on its ex-date at a close ~29% under the previous raw close: below the
    # -20% limit of the raw prev close, inside the limits of the ex-right reference price
    raw = bars["300496"][0]
    prev = float(raw["close"].loc[: EXIT - pd.Timedelta(days=1)].iloc[-1])
    close = float(raw.at[EXIT, "close"])
    reference = ex_reference_price(prev, CorporateAction(EVENTS["300496"][0], 0.0, 0.4))
    assert close / prev - 1 < -0.2 < close / reference - 1
    assert sells["300496"] > 0
    # the ledger (with events) agrees with backtrader's broker (checked inside the run)
    # and its positions are valued at raw closes
    pos = result.positions.set_index(["date", "code"])
    day = pd.Timestamp(EVENTS["600570"][0])
    assert pos.at[(day, "600570"), "close"] == bars["600570"][0].at[day, "close"]


def test_the_stop_loss_sees_through_new_shares(
    report_market: InMemoryProvider,
    universe,  # type: ignore[no-untyped-def]
) -> None:
    """A 10-for-10 transfer halves the raw price; the cost basis halves with it, so a
    -25% stop fires on the same sessions as on qfq prices (300496 on 2024-08-28)."""
    events = {code: (dt.date(2024, 8, 15), 0.0, 1.0) for code in EVENTS}
    bars = {code: _frames(report_market, code, events[code]) for code in EVENTS}
    runs = [
        _run(_market(report_market, bars, raw=raw, events=events), universe, stop=-0.25)
        for raw in (True, False)
    ]
    sells = [
        run.trades.loc[run.trades["side"] == "sell", ["date", "code"]].to_numpy().tolist()
        for run in runs
    ]
    assert sells[0] == sells[1]
    assert [day for day, _ in sells[0]].count("2024-12-24") == 2  # two held to the horizon
    assert all(day > "2024-08-16" for day, _ in sells[0])  # no false stop after the transfer
    assert len(actions_applied(runs[0].engine)) == len(EVENTS)


def test_without_raw_bars_nothing_changes(
    report_market: InMemoryProvider,
    bars: dict[str, tuple[pd.DataFrame, pd.DataFrame]],
) -> None:
    """Events but no raw bars (or no events): the panel executes on qfq as before."""
    market = _market(report_market, bars, raw=False)
    wanted = dict.fromkeys(EVENTS, SeriesKind.STOCK)
    panel, _ = load_panel(market, wanted, ENTRY.date(), EXIT.date())
    assert panel.execution_fields == {} and panel.actions == {}
    assert panel.execution("close") is panel["close"]
    with_raw, _ = load_panel(
        _market(report_market, bars, raw=True), wanted, ENTRY.date(), EXIT.date()
    )
    assert with_raw.raw_codes == sorted(EVENTS)
    pd.testing.assert_frame_equal(with_raw["close"], panel["close"])  # signals stay on qfq
    assert with_raw.execution("close").at[ENTRY, "600570"] == bars["600570"][0].at[ENTRY, "close"]
    off, _ = load_panel(
        _market(report_market, bars, raw=True), wanted, ENTRY.date(), EXIT.date(), raw=False
    )
    assert off.execution_fields == {}


def test_raw_bars_on_other_sessions_are_not_used_and_the_manifest_says_why(
    report_market: InMemoryProvider,
    bars: dict[str, tuple[pd.DataFrame, pd.DataFrame]],
    universe,  # type: ignore[no-untyped-def]
) -> None:
    """A raw series that stops before the qfq one (an update that fetched only the qfq
    tail) is not mixed in: the name trades on qfq and ``execution_prices`` names it."""
    short = dict(bars)
    raw, qfq = bars["600570"]
    short["600570"] = (raw.loc[: pd.Timestamp("2024-11-29")], qfq)
    result = _run(_market(report_market, short, raw=True), universe)
    assert result.panel.raw_codes == ["000977", "300496"]
    assert set(result.panel.raw_rejected) == {"600570"}
    prices = result.engine.execution_prices
    assert "600570" in prices["raw_not_used"]  # type: ignore[operator]
    assert "600570" in prices["qfq"]["codes"]  # type: ignore[index]


# --- through `data update` with intercepted akshare answers -------------------------------
UPDATE_EVENTS = [(dt.date(2024, 6, 20), 0.11, 0.0), (dt.date(2024, 9, 10), 0.05, 0.5)]


@pytest.fixture
def akshare_instant(monkeypatch: pytest.MonkeyPatch) -> None:
    """akshare's own retry loops sleep: make them instant (as tests/data's fixture does)."""
    import akshare.request
    import akshare.utils.func
    import akshare.utils.request

    for module in (akshare.request, akshare.utils.request, akshare.utils.func):
        monkeypatch.setattr(module.time, "sleep", lambda _s: None)


def _site(csv: Path, *, actions_fail: bool = False) -> None:
    """eastmoney answers for 600570: qfq klines (fqt=1), raw klines (fqt=0), dividends."""
    first, last = "2024-01-02", "2024-12-31"
    responses.get(
        pay.KLINE_URL,
        json=pay.stock_klines(csv, first, last),
        match=[matchers.query_param_matcher({"fqt": "1"}, strict_match=False)],
    )
    responses.get(
        pay.KLINE_URL,
        json=fh.raw_klines(csv, UPDATE_EVENTS, first, last),
        match=[matchers.query_param_matcher({"fqt": "0"}, strict_match=False)],
    )
    if actions_fail:
        responses.get(fh.DATACENTER_URL, body=requests.exceptions.ConnectionError("reset"))
        return
    records = [fh.fhps_record("600570", day, cash10=cash * 10, bonus10=ratio * 10)
               for day, cash, ratio in UPDATE_EVENTS]  # fmt: skip
    responses.get(fh.DATACENTER_URL, json=fh.fhps_answer(records))


@pytest.mark.usefixtures("akshare_instant")
@responses.activate
def test_data_update_raw_prices_then_a_backtest_on_them(
    tmp_path: Path,
    market_data_dir: Path,
    universe,  # type: ignore[no-untyped-def]
) -> None:
    csv = market_data_dir / "stock/akshare/600570.csv"
    _site(csv)
    cache = Cache(tmp_path / "data_cache")
    live = AkshareLive(retries=1, sleep=lambda _: None)
    target = Target("600570", "恒生电子", SeriesKind.STOCK)
    results = update_cache(cache, live, [target], today=dt.date(2024, 12, 31), raw_prices=True)
    assert [(r.kind, r.status) for r in results] == [("stock", NEW), ("stock_raw", NEW)]
    assert "2 corporate action(s)" in results[1].message
    import_path(cache.root, market_data_dir / "index")  # the benchmarks
    store = open_store(cache.root, seed=False)
    found = raw_execution(store, "600570")
    assert found is not None and [a.ex_date for a in found.actions] == [e[0] for e in UPDATE_EVENTS]

    spec = StrategySpec.model_validate(
        {"name": "raw_cache", "select": {"codes": ["600570"]}, "exit": {"horizon": "6M"}}
    )
    result = run_backtest(spec, universe, store, RunOptions())
    assert result.engine.execution_prices["raw"]["codes"] == ["600570"]  # type: ignore[index]
    raw = found.bars.frame
    buy, sell = result.trades.itertuples()
    assert (buy.date, buy.price) == ("2024-06-24", raw.at[ENTRY, "open"])
    assert buy.shares % 100 == 0 and buy.shares * buy.price <= result.plan.capital
    assert (buy.shares + 100) * buy.price > 0.99 * result.plan.capital  # lots on the raw open
    (applied,) = actions_applied(result.engine)  # 2024-06-20 is before the entry
    assert applied["date"] == "2024-09-10"
    assert applied["shares_added"] == math.floor(buy.shares * 0.5)
    assert applied["cash"] == pytest.approx(buy.shares * 0.05)
    assert (sell.date, sell.price) == ("2024-12-24", raw.at[EXIT, "close"])
    assert sell.shares == buy.shares + applied["shares_added"]
    fees = result.trades[["commission", "stamp_duty", "transfer_fee"]].to_numpy().sum()
    cash = sell.value - buy.value - fees + applied["cash"]
    assert result.total_return() == pytest.approx(cash / result.plan.capital, rel=1e-9)


@pytest.mark.usefixtures("akshare_instant")
@responses.activate
def test_raw_bars_are_not_stored_without_their_events(
    tmp_path: Path, market_data_dir: Path
) -> None:
    _site(market_data_dir / "stock/akshare/600570.csv", actions_fail=True)
    cache = Cache(tmp_path / "data_cache")
    live = AkshareLive(retries=1, sleep=lambda _: None)
    target = Target("600570", "恒生电子", SeriesKind.STOCK)
    results = update_cache(cache, live, [target], today=dt.date(2024, 12, 31), raw_prices=True)
    assert [(r.kind, r.status) for r in results] == [("stock", NEW), ("stock_raw", FAILED)]
    assert results[1].message.startswith("corporate actions:")
    store = open_store(cache.root, seed=False)
    assert [e.meta.adjust for e in store.sources("600570", SeriesKind.STOCK)] == [Adjust.QFQ]
    assert load_actions(cache.root, "600570") is None
    assert not (cache.root / ACTION_DIR).exists()


def test_cli_update_plans_raw_prices_offline(tmp_path: Path, universe_file: Path) -> None:
    """`data update --raw-prices --offline` plans each A-share's raw bars (and events)."""
    from typer.testing import CliRunner

    from coverbt.cli import app

    args = ["data", "update", "--universe", str(universe_file), "--workspace", str(tmp_path)]
    plain = CliRunner().invoke(app, [*args, "--offline", "--json"])
    raw = CliRunner().invoke(app, [*args, "--offline", "--json", "--raw-prices"])
    assert plain.exit_code == raw.exit_code == 0, raw.output
    kinds = [r["kind"] for r in json.loads(raw.stdout)["results"]]
    stocks = [r["code"] for r in json.loads(plain.stdout)["results"] if r["kind"] == "stock"]
    assert "stock_raw" not in [r["kind"] for r in json.loads(plain.stdout)["results"]]
    assert kinds.count("stock_raw") == len(stocks) - 1  # every A-share (not EH)
