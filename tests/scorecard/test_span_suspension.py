"""Suspensions, truncated data and the touch verdict on small synthetic series."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from coverbt.data.memory import InMemoryProvider
from coverbt.data.schema import Adjust, Series, SeriesKind, meta_for
from coverbt.data.trading_calendar import trading_days
from coverbt.scorecard.score import score_universe
from coverbt.universe.model import Universe

ENTRY, EXIT = pd.Timestamp("2024-06-24"), pd.Timestamp("2024-12-24")


def _series(code: str, kind: SeriesKind, closes: pd.Series) -> Series:
    frame = pd.DataFrame(
        {
            "open": closes.to_numpy() * 0.99,
            "high": closes.to_numpy() * 1.01,
            "low": closes.to_numpy() * 0.98,
            "close": closes.to_numpy(),
            "volume": 1e6,
            "amount": 1e7,
        },
        index=pd.DatetimeIndex(closes.index, name="date"),
    )
    adjust = Adjust.NONE if kind is SeriesKind.INDEX else Adjust.QFQ
    meta = meta_for(
        frame, code=code, kind=kind, source="test", adjust=adjust,
        retrieved_at=dt.datetime(2025, 1, 1),
    )  # fmt: skip
    return Series(meta, frame)


def _days(start: str = "2024-05-01", end: str = "2025-02-28") -> pd.DatetimeIndex:
    return trading_days(start, end)


def _flat(days: pd.DatetimeIndex, level: float = 100.0) -> pd.Series:
    return pd.Series(level, index=days)


def _provider(stock: pd.Series) -> InMemoryProvider:
    days = _days()
    return InMemoryProvider(
        [
            _series("300496", SeriesKind.STOCK, stock),
            _series("000300", SeriesKind.INDEX, _flat(days)),
            _series("801750", SeriesKind.INDEX, _flat(days)),
        ]
    )


def _one_name(universe: Universe) -> Universe:
    return universe.model_copy(update={"names": [universe.get("300496")]})


def test_suspended_on_entry_and_exit_days(universe: Universe) -> None:
    days = _days()
    closes = pd.Series(np.linspace(100, 130, len(days)), index=days)
    suspended = closes.drop([ENTRY, ENTRY + pd.Timedelta(days=1), EXIT])
    card = score_universe(_one_name(universe), _provider(suspended))
    name = card.names[0]
    assert name.entry_date == dt.date(2024, 6, 26)  # first open after resuming
    assert name.exit_date == dt.date(2024, 12, 23)  # last close on or before the end
    expected = closes[pd.Timestamp("2024-12-23")] / (closes[pd.Timestamp("2024-06-26")] * 0.99)
    assert name.ret == pytest.approx(expected - 1)
    assert name.benchmark_return == pytest.approx(100 / 99 - 1)  # same dates, open -> close


def test_truncated_data_gives_a_reason_not_a_number(universe: Universe) -> None:
    days = _days()
    closes = _flat(days).loc[: pd.Timestamp("2024-11-29")]
    card = score_universe(_one_name(universe), _provider(closes))
    name = card.names[0]
    assert name.ret is None and name.band_hit is None
    assert name.reason == "data for 300496 ends 2024-11-29, before the horizon end 2024-12-24"
    assert card.by_rating[0].n == 0 and card.by_rating[0].ci_low is None


def test_touch_hit_counts_an_intermediate_close(universe: Universe) -> None:
    days = _days()
    closes = _flat(days)
    closes[pd.Timestamp("2024-09-30")] = 130.0  # one close +30% over the flat benchmark
    card = score_universe(_one_name(universe), _provider(closes))
    name = card.names[0]  # 中科创达 is 强烈推荐: lower bound +20%
    assert name.excess == pytest.approx(0.0, abs=1e-12)
    assert (name.band_hit, name.threshold_hit, name.direction_hit) == (False, False, False)
    assert name.touch_hit is True


def test_inputs_are_not_modified(universe: Universe) -> None:
    days = _days()
    closes = pd.Series(np.linspace(100, 130, len(days)), index=days)
    provider = _provider(closes)
    before = provider.bars("300496").frame.copy()
    score_universe(_one_name(universe), provider)
    pd.testing.assert_frame_equal(provider.bars("300496").frame, before)
