"""The compiled engine equals backtrader: every shipped strategy, and generated plans.

Equal means the same fills (day, code, side, shares, price, every fee, bit for bit), the same
refusals with the same words, the same holdings and provenance, and the final value within
1e-9 of the capital (:func:`coverbt.engine.differences`). Plans are generated over the
report's real bars: random names (main board, ChiNext, STAR), weights, decision days,
capital, stops, rating exits, profiles, and windows that cross the real limit-up sessions of
late September and October 2024, and the stamp-duty cut of 2023-08-28.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from coverbt.backtest.bt_engine import run_backtrader
from coverbt.backtest.ledger import holdings, portfolio_value
from coverbt.backtest.run import EngineMismatchError, RunOptions, execute
from coverbt.data.schema import SeriesKind
from coverbt.engine import differences, prepare, run_fast
from coverbt.engine.arrays import near_limit
from coverbt.market.rules import PROFILES, Bar, Side, limit_reason
from coverbt.strategy.panel import Panel, load_panel
from coverbt.strategy.plan import Decision, Instrument, Plan, build_plan
from coverbt.strategy.ratings import RatingExit
from coverbt.strategy.spec import load_strategy
from coverbt.universe.boards import classify_a_share

STRATEGIES = sorted(Path(__file__).resolve().parents[2].joinpath("strategies").glob("*.yaml"))
OCT8 = dt.date(2024, 10, 8)


def _same(plan: Plan, panel: Panel, *, fractional: bool = False) -> None:
    slow = run_backtrader(plan, panel, fractional=fractional)
    fast = run_fast(plan, panel, fractional=fractional)
    assert differences(slow, fast.result, plan.capital) == []
    # the kernel's daily value is the ledger's value of the same fills
    sessions = fast.equity.index
    shares, cash = holdings(
        slow.fills, sessions, list(plan.instruments), plan.capital, slow.corporate_actions
    )
    ledger = portfolio_value(shares, cash, panel.execution("close"))
    assert float((ledger - fast.equity).abs().max()) <= 1e-9 * plan.capital


@pytest.mark.slow
@pytest.mark.parametrize("path", STRATEGIES, ids=lambda p: p.stem)
@pytest.mark.parametrize(
    "options",
    [
        {},
        {"start": OCT8},
        {"capital": 1_000_000.0},
        {"capital": 300_000.0, "start": dt.date(2024, 9, 30)},
    ],
    ids=["default", "oct8-limits", "one-million", "small-sep30"],
)
def test_every_shipped_strategy_runs_the_same_on_both_engines(
    path: Path, options: dict, universe, report_market
) -> None:  # type: ignore[no-untyped-def]
    spec = load_strategy(path)
    if "capital" in options:
        spec = spec.model_copy(update={"capital": options["capital"]})
    plan, panel = build_plan(spec, universe, report_market, start=options.get("start"))
    _same(plan, panel)


@pytest.mark.parametrize("variant", ["no_costs", "frictionless-fractional", "fractional"])
def test_costs_and_fractional_variants_run_the_same(variant: str, universe, report_market):  # type: ignore[no-untyped-def]
    spec = load_strategy(next(p for p in STRATEGIES if p.stem == "coverage_invvol_monthly"))
    profile = {"no_costs": PROFILES["no_costs"], "frictionless-fractional": PROFILES[
        "frictionless"]}.get(variant)  # fmt: skip
    plan, panel = build_plan(spec, universe, report_market, profile=profile)
    _same(plan, panel, fractional=variant != "no_costs")


def test_engine_both_returns_the_reference_and_refuses_a_difference(universe, report_market):  # type: ignore[no-untyped-def]
    spec = load_strategy(next(p for p in STRATEGIES if p.stem == "coverage_equal"))
    plan, panel = build_plan(spec, universe, report_market, start=OCT8)
    both = execute(plan, panel, RunOptions(engine="both"))
    assert both.engine == "backtrader" and both.refusals  # Oct 8 had limit-up opens
    assert execute(plan, panel, RunOptions(engine="fast")).engine == "fast"
    # a plan the engines would run differently cannot exist; a broken result must be caught
    broken = run_fast(plan, panel).result
    broken.fills[0] = type(broken.fills[0])(**{**broken.fills[0].__dict__, "shares": 1.0})
    assert differences(run_backtrader(plan, panel), broken, plan.capital)
    with pytest.raises(ValueError, match="unknown engine"):
        execute(plan, panel, RunOptions(engine="zipline"))
    assert issubclass(EngineMismatchError, RuntimeError)


# --- generated plans ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def report_panel(universe, report_market) -> Panel:  # type: ignore[no-untyped-def]
    codes = {n.code: SeriesKind.STOCK for n in universe.names if n.a_share}
    panel, missing = load_panel(report_market, codes, dt.date(2023, 6, 1), dt.date(2024, 12, 31))
    assert not missing
    return panel


@st.composite
def plans(draw: st.DrawFn, panel: Panel) -> tuple[Plan, bool]:
    # from 2023-07: windows cross the stamp-duty cut of 2023-08-28 and the limit days of 2024
    sessions = panel.sessions[panel.sessions >= pd.Timestamp("2023-07-03")]
    codes = draw(st.lists(st.sampled_from(sorted(panel.codes)), min_size=1, max_size=8,
                          unique=True))  # fmt: skip
    start_at = draw(st.integers(0, len(sessions) - 10))
    length = draw(st.integers(5, min(90, len(sessions) - start_at - 1)))
    window = sessions[start_at : start_at + length + 1]
    picks = draw(st.lists(st.integers(0, len(window) - 2), min_size=1, max_size=5, unique=True))
    decisions = []
    for k, at in enumerate(sorted({0, *picks})):
        raw = draw(st.lists(st.floats(0.0, 1.0), min_size=len(codes), max_size=len(codes)))
        total = draw(st.floats(0.3, 1.0)) / max(sum(raw), 1e-9)
        weights = {c: w * total for c, w in zip(codes, raw, strict=True) if w > 0.05}
        decisions.append(Decision(window[at], weights, f"generated {k}"))
    exits = {c: window[draw(st.integers(1, len(window) - 1))] for c in codes}
    rating_exits = {}
    for c in codes:
        if draw(st.booleans()) and draw(st.booleans()):
            day = exits[c]
            rating_exits[c] = RatingExit(day, day.date(), "generated", "推荐", "中性")
    instruments = {}
    for c in codes:
        classified = classify_a_share(c)
        assert classified is not None
        instruments[c] = Instrument(c, c, SeriesKind.STOCK, classified[1])
    plan = Plan(
        strategy="generated",
        instruments=instruments,
        decisions=tuple(decisions),
        exits=exits,
        start=window[0],
        end=window[-1],
        profile=PROFILES[draw(st.sampled_from(["a_share_default", "no_costs", "frictionless"]))],
        capital=draw(st.sampled_from([50_000.0, 300_000.0, 1_000_000.0, 5_000_000.0])),
        stop_loss=draw(st.one_of(st.none(), st.floats(-0.3, -0.02))),
        rating_exits=rating_exits,
    )
    return plan, draw(st.booleans())


@pytest.mark.slow
@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_generated_plans_run_the_same_on_both_engines(report_panel: Panel, data) -> None:  # type: ignore[no-untyped-def]
    plan, fractional = data.draw(plans(report_panel))
    _same(plan, report_panel, fractional=fractional)


def test_a_prepared_panel_serves_many_plans(report_panel: Panel) -> None:
    """A sweep prepares once: the result is the same as preparing per plan."""
    codes = sorted(report_panel.codes)[:6]
    sessions = report_panel.sessions[report_panel.sessions >= pd.Timestamp("2024-06-24")][:60]
    base = Plan(
        "p", {c: Instrument(c, c, SeriesKind.STOCK, classify_a_share(c)[1]) for c in codes},  # type: ignore[index]
        (Decision(sessions[0], {c: 1 / 6 for c in codes}, "entry"),),
        dict.fromkeys(codes, sessions[-1]), sessions[0], sessions[-1],
        PROFILES["a_share_default"], 1_000_000.0,
    )  # fmt: skip
    prepared = prepare(base, report_panel)
    for capital in (200_000.0, 2_000_000.0):
        plan = Plan(**{**base.__dict__, "capital": capital})
        again = run_fast(plan, report_panel, prepared=prepared).result
        assert differences(run_fast(plan, report_panel).result, again, capital) == []


@settings(max_examples=400, deadline=None)
@given(
    prev=st.floats(0.5, 900.0),
    move=st.floats(-0.35, 0.35),
    limit=st.sampled_from([0.05, 0.10, 0.20, 0.30]),
    scale=st.one_of(st.none(), st.floats(0.2, 1.0)),
    adjusted=st.booleans(),
    side=st.sampled_from([Side.BUY, Side.SELL]),
)
def test_near_limit_never_hides_a_limit(prev, move, limit, scale, adjusted, side) -> None:  # type: ignore[no-untyped-def]
    """Where the pre-filter says "not near", the rules' limit test finds no limit."""
    price = prev * (1 + move)
    bar = Bar(open=price, high=price, low=price, close=price, adjusted=adjusted,
              scale=scale if adjusted else None)  # fmt: skip
    near = near_limit(side, np.array([price]), np.array([prev]), np.array([limit]))[0]
    if not near:
        assert limit_reason(side, bar, price, prev, limit) is None


@settings(max_examples=200, deadline=None)
@given(
    cents=st.lists(st.integers(100, 100_000), min_size=8, max_size=60),
    scale=st.one_of(st.just(1.0), st.floats(0.2, 1.0)),
)
def test_the_on_the_tick_shortcut_is_the_full_fit(cents: list[int], scale: float) -> None:
    """Skipping the fit where every price is on the tick changes no scale."""
    from coverbt.backtest.result import on_the_tick, scale_at

    prices = np.array(cents, float).reshape(-1, 1).repeat(4, axis=1)[: len(cents) // 4 * 4]
    prices = prices / 100 * scale
    rounded = on_the_tick(prices)
    for at in range(0, len(prices), 3):
        assert scale_at(prices, at, rounded=rounded) == scale_at(prices, at)


def test_fee_schedules_by_session_are_in_force_of_each_day() -> None:
    """Across the stamp-duty cut of 2023-08-28 and the transfer-fee cut of 2022-04-29."""
    from coverbt.engine.arrays import _by_session
    from coverbt.market.rules import STAMP_DUTY_SELL, TRANSFER_FEE, in_force

    days = [d.date() for d in pd.bdate_range("2022-04-20", "2023-09-05")]
    for schedule in (STAMP_DUTY_SELL, TRANSFER_FEE):
        assert _by_session(schedule, days).tolist() == [in_force(schedule, d) for d in days]
    with pytest.raises(ValueError, match="no rule in force"):
        _by_session(STAMP_DUTY_SELL, [dt.date(2001, 1, 2)])
