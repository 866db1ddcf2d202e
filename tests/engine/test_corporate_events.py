"""Dividends, bonus shares and transfers on raw prices (coverbt.market.corporate)."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from coverbt.market.corporate import (
    CorporateAction,
    apply_action,
    apply_events,
    ex_reference_price,
    individual_dividend_tax_rate,
    reference_prev_close,
    reference_prev_closes,
    round_price,
    total_return_index,
    unrounded_reference,
)
from coverbt.market.execution import Account

DAY = dt.date(2024, 6, 14)

prices = st.floats(min_value=1.0, max_value=500.0, allow_nan=False).map(lambda p: round(p, 2))
per_ten_cash = st.floats(min_value=0.0, max_value=8.0, allow_nan=False).map(lambda c: round(c, 2))
per_ten_shares = st.sampled_from([0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 10.0])


@st.composite
def actions(draw: st.DrawFn, day: dt.date = DAY) -> CorporateAction:
    return CorporateAction.per_ten(
        day, cash=draw(per_ten_cash), bonus=draw(per_ten_shares), transfer=draw(per_ten_shares)
    )


@pytest.mark.parametrize(
    ("prev", "cash10", "bonus10", "transfer10", "expected"),
    [
        (10.00, 1.0, 5.0, 0.0, 6.60),  # (10 - 0.1) / 1.5
        (25.00, 3.5, 0.0, 4.0, 17.61),  # (25 - 0.35) / 1.4 = 17.6071
        (53.61, 2.3, 0.0, 0.0, 53.38),  # a cash dividend alone
        (9.99, 0.0, 0.0, 10.0, 5.00),  # 9.99 / 2 = 4.995 rounds half up
        (12.30, 0.0, 0.0, 0.0, 12.30),
    ],
)
def test_ex_reference_price_by_hand(
    prev: float, cash10: float, bonus10: float, transfer10: float, expected: float
) -> None:
    action = CorporateAction.per_ten(DAY, cash=cash10, bonus=bonus10, transfer=transfer10)
    assert ex_reference_price(prev, action) == expected


@given(prices, actions())
def test_reference_price_is_the_unrounded_one_on_the_tick(prev: float, action: CorporateAction):
    ref = ex_reference_price(prev, action)
    assert abs(ref - unrounded_reference(prev, action)) <= 0.005 + 1e-9
    assert round(ref * 100) == pytest.approx(ref * 100, abs=1e-6)
    assert round_price(ref) == ref


@given(prices, actions(), st.floats(min_value=0.0, max_value=1e6, allow_nan=False))
def test_an_event_conserves_value_at_the_unrounded_reference(
    prev: float, action: CorporateAction, held: float
) -> None:
    effect = apply_action("x", held, action, whole_shares=False)
    after = (held + effect.shares_added) * unrounded_reference(prev, action) + effect.cash_gross
    assert after == pytest.approx(held * prev, rel=1e-9, abs=1e-6)


@given(st.integers(min_value=0, max_value=10**7), actions(), st.sampled_from([0.0, 0.1, 0.2]))
def test_whole_shares_are_rounded_down_and_tax_withheld(
    held: int, action: CorporateAction, tax: float
) -> None:
    effect = apply_action("x", held, action, tax_rate=tax)
    exact = held * action.share_ratio
    assert effect.shares_added == math.floor(effect.shares_added)
    assert exact - 1 < effect.shares_added <= exact + 1e-6
    assert effect.cash_net == pytest.approx(held * action.cash_per_share * (1 - tax))


def test_apply_events_touches_only_holdings_with_an_event_that_day() -> None:
    acct = Account(cash=1000.0, shares={"600570": 1000.0, "300496": 500.0, "688256": 0.0})
    acts = {
        "600570": [CorporateAction.per_ten(DAY, cash=1.1, transfer=3)],
        "300496": [CorporateAction.per_ten(DAY + dt.timedelta(days=3), cash=2.3)],
        "688256": [CorporateAction.per_ten(DAY, cash=5)],  # not held: nothing paid
    }
    after, effects = apply_events(acct, acts, DAY, tax_rate=0.2)
    assert after.shares == {"600570": 1300.0, "300496": 500.0, "688256": 0.0}
    assert after.cash == pytest.approx(1000.0 + 1000 * 0.11 * 0.8)
    assert [e.code for e in effects] == ["600570"] and effects[0].tax == pytest.approx(22.0)
    assert acct.shares["600570"] == 1000.0  # the input is not modified
    assert apply_events(acct, acts, DAY + dt.timedelta(days=1)) == (acct, [])


def test_individual_tax_schedule_edges() -> None:
    assert [individual_dividend_tax_rate(d) for d in (1, 30, 31, 365, 366)] == [
        0.2,
        0.2,
        0.1,
        0.1,
        0.0,
    ]


@st.composite
def raw_series(draw: st.DrawFn) -> tuple[pd.Series, list[CorporateAction]]:
    """Raw closes with events: the day after an event starts near its reference price."""
    n = draw(st.integers(min_value=5, max_value=60))
    days = pd.bdate_range("2024-01-02", periods=n)
    moves = draw(st.lists(st.floats(-0.1, 0.1), min_size=n, max_size=n))
    ex_days = sorted(draw(st.sets(st.integers(1, n - 1), max_size=3)))
    events: list[CorporateAction] = []
    closes: list[float] = []
    price = draw(prices)
    for i in range(n):
        if i in ex_days:
            event = draw(actions(days[i].date()))
            if unrounded_reference(price, event) < 0.5:  # cash above the price: no such stock
                event = CorporateAction(days[i].date())
            events.append(event)
            price = ex_reference_price(price, event)
        price = max(0.01, round(price * (1 + moves[i]), 2))
        closes.append(price)
    return pd.Series(closes, index=days), events


def _hfq_by_factors(raw: pd.Series, events: list[CorporateAction]) -> pd.Series:
    """Textbook ratio adjustment: multiply by prev_close / reference at every ex-date."""
    factor = pd.Series(1.0, index=raw.index)
    for event in events:
        at = pd.Timestamp(event.ex_date)
        prev = float(raw.loc[raw.index < at].iloc[-1])
        factor.loc[raw.index >= at] *= prev / unrounded_reference(prev, event)
    return raw * factor


@settings(max_examples=150, deadline=None)
@given(raw_series())
def test_reinvested_holding_reproduces_the_ratio_adjusted_return(
    case: tuple[pd.Series, list[CorporateAction]],
) -> None:
    raw, events = case
    index = total_return_index(raw, events)
    hfq = _hfq_by_factors(raw, events)
    np.testing.assert_allclose(index / index.iloc[0], hfq / hfq.iloc[0], rtol=1e-9)


@settings(max_examples=100, deadline=None)
@given(raw_series())
def test_an_account_reinvesting_through_apply_events_matches(
    case: tuple[pd.Series, list[CorporateAction]],
) -> None:
    """Engine-style: apply_events each session, buy with the cash at the reference price."""
    raw, events = case
    code = "600570"
    acct = Account(cash=0.0, shares={code: 1.0})
    prev = float(raw.iloc[0])
    values = []
    for stamp, close in raw.items():
        day = pd.Timestamp(stamp).date()
        acct, effects = apply_events(acct, {code: events}, day, whole_shares=False)
        for effect in effects:
            ref = unrounded_reference(prev, effect.action)
            acct = Account(cash=0.0, shares={code: acct.shares[code] + acct.cash / ref})
            prev = ref
        values.append(acct.shares[code] * close)
        prev = close
    expected = total_return_index(raw, events)
    np.testing.assert_allclose(values, expected.to_numpy(), rtol=1e-9)


@given(raw_series())
def test_reference_prev_close_on_and_off_ex_dates(
    case: tuple[pd.Series, list[CorporateAction]],
) -> None:
    raw, events = case
    for i in range(1, len(raw)):
        day = raw.index[i].date()
        on = [e for e in events if e.ex_date == day]
        expected = float(raw.iloc[i - 1])
        for event in on:
            expected = ex_reference_price(expected, event)
        assert reference_prev_close(raw, events, day) == expected
    assert reference_prev_close(raw, events, raw.index[0].date()) is None


@given(raw_series())
def test_vectorised_reference_closes_agree_with_the_scalar_ones(
    case: tuple[pd.Series, list[CorporateAction]],
) -> None:
    raw, events = case
    vector = reference_prev_closes(raw, events)
    assert pd.isna(vector.iloc[0])
    assert vector.iloc[1:].tolist() == [
        reference_prev_close(raw, events, d.date()) for d in raw.index[1:]
    ]


def test_an_ex_date_inside_a_suspension_applies_on_resumption() -> None:
    days = pd.to_datetime(["2024-06-12", "2024-06-13", "2024-06-14", "2024-06-17"])
    raw = pd.Series([20.0, np.nan, np.nan, 13.0], index=days)  # suspended 13th and 14th
    act = CorporateAction.per_ten(DAY, cash=2, transfer=5)  # ex-date the 14th
    assert reference_prev_close(raw, [act], dt.date(2024, 6, 17)) == 13.2  # (20 - 0.2) / 1.5
    assert reference_prev_closes(raw, [act]).iloc[-1] == 13.2
    assert reference_prev_close(raw, [act], dt.date(2024, 6, 13)) == 20.0
