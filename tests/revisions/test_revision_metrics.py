"""Revision metrics on small hand-made ledgers with known answers."""

from __future__ import annotations

import datetime as dt
import math

import pandas as pd
import pytest

from coverbt.revisions.fiscal import fiscal_year_ahead, ntm_eps
from coverbt.revisions.ledger import Ledger
from coverbt.revisions.metrics import (
    eps_at,
    forecast_errors,
    revision_breadth,
    snapshot_changes,
    window_change,
)
from coverbt.revisions.records import ForecastRecord, Kind
from coverbt.revisions.valuation import decompose

D = dt.date


@pytest.fixture(scope="module")
def rows(tmp_path_factory) -> pd.DataFrame:
    ledger = Ledger(tmp_path_factory.mktemp("ledger") / "ledger.duckdb")
    ledger.ingest(
        [
            ForecastRecord("rpt", D(2024, 6, 23), "A", 2024, 1.00),
            ForecastRecord("rpt", D(2024, 6, 23), "A", 2025, 2.00),
            ForecastRecord("ths_consensus", D(2024, 7, 1), "A", 2024, 1.10),
            ForecastRecord("ths_consensus", D(2024, 8, 1), "A", 2024, 1.21),
            ForecastRecord("ths_consensus", D(2024, 8, 1), "B", 2024, 0.50),
            ForecastRecord("ths_consensus", D(2024, 7, 1), "B", 2024, 0.40),
            ForecastRecord("rpt", D(2024, 6, 23), "C", 2024, 3.00),
            ForecastRecord("actual", D(2025, 4, 20), "A", 2024, 1.00, kind=Kind.ACTUAL),
        ],
        origin="hand",
    )
    # a correction of a typo: A's 2025 figure was 2.20, not 2.00
    ledger.ingest([ForecastRecord("rpt", D(2024, 6, 23), "A", 2025, 2.20)], origin="hand")
    return ledger.rows()


def test_point_in_time_value_and_corrections(rows):
    assert eps_at(rows, "A", 2024, "ths_consensus", D(2024, 6, 30)) is None
    assert eps_at(rows, "A", 2024, "ths_consensus", D(2024, 7, 31)) == 1.10
    assert eps_at(rows, "A", 2024, "ths_consensus", D(2024, 8, 1)) == 1.21
    assert eps_at(rows, "A", 2025, "rpt", D(2024, 7, 1)) == 2.20  # the correction wins


def test_window_change_uses_one_source_at_both_ends(rows):
    copy = rows.copy()
    one = window_change(rows, "A", 2024, D(2024, 8, 15), "1M", ["ths_consensus", "rpt"])
    assert one.source == "ths_consensus"
    assert one.change == pytest.approx(1.21 / 1.10 - 1)
    # 3M back from 2024-08-15 is before any consensus snapshot: fall back to the report
    three = window_change(rows, "A", 2024, D(2024, 8, 15), "3M", ["ths_consensus", "rpt"])
    assert (three.source, three.change) == (None, None)
    down = window_change(rows, "B", 2024, D(2024, 8, 15), "1M", ["ths_consensus"])
    assert down.change == pytest.approx(0.50 / 0.40 - 1)
    flat = window_change(rows, "C", 2024, D(2024, 12, 31), "1M", ["ths_consensus", "rpt"])
    assert (flat.source, flat.change) == ("rpt", 0.0)
    pd.testing.assert_frame_equal(rows, copy)  # input never modified


def test_snapshot_changes(rows):
    path = snapshot_changes(rows, "A", 2024, "ths_consensus")
    assert path["eps"].tolist() == [1.10, 1.21]
    assert pd.isna(path["change"].iloc[0])
    assert path["change"].iloc[1] == pytest.approx(0.1)


def test_breadth():
    result = revision_breadth([0.1, 0.2, -0.05, 0.0, None])
    assert (result.up, result.down, result.n) == (2, 1, 4)
    assert result.value == pytest.approx((2 - 1) / 4)
    assert revision_breadth([None]).value is None


def test_forecast_error_uses_last_forecast_before_announcement(rows):
    errors = forecast_errors(rows)
    by_source = errors.set_index("source")["error"].to_dict()
    assert by_source["ths_consensus"] == pytest.approx((1.21 - 1.00) / 1.00)
    assert by_source["rpt"] == pytest.approx(0.0)
    assert set(errors["code"]) == {"A"}


@pytest.mark.parametrize(
    ("day", "ahead", "known", "expected"),
    [
        (D(2024, 6, 23), 1, (), 2024),
        (D(2024, 6, 23), 2, (), 2025),
        (D(2025, 4, 30), 1, (), 2024),  # the 2024 annual report may still be pending
        (D(2025, 5, 1), 1, (), 2025),
        (D(2025, 3, 28), 1, (2024,), 2025),  # announced early: rolls forward at once
        (D(2025, 3, 28), 1, (2022,), 2024),  # an old actual changes nothing
    ],
)
def test_fiscal_year_roll_forward(day, ahead, known, expected):
    assert fiscal_year_ahead(day, ahead, actual_years_known=known) == expected


def test_ntm_eps_blends_by_days_left_in_the_year():
    assert ntm_eps(D(2024, 1, 1), {2024: 1.0, 2025: 2.0}) == 1.0
    assert ntm_eps(D(2024, 12, 31), {2024: 1.0, 2025: 2.0}) == pytest.approx(1 + 365 / 366)
    assert ntm_eps(D(2024, 6, 1), {2024: 1.0}) is None


def test_decomposition_adds_up_and_says_roll_forward_only(rows):
    closes = pd.Series(
        [10.0, 12.0], index=pd.DatetimeIndex(["2024-06-21", "2024-12-31"], name="date")
    )
    parts = decompose(closes, rows, "A", "rpt", D(2024, 6, 23), D(2024, 12, 31))
    e0 = ntm_eps(D(2024, 6, 23), {2024: 1.0, 2025: 2.2})
    e1 = ntm_eps(D(2024, 12, 31), {2024: 1.0, 2025: 2.2})
    assert parts.log_return == pytest.approx(math.log(1.2))
    assert parts.dlog_eps == pytest.approx(math.log(e1 / e0))
    assert parts.dlog_eps + parts.dlog_pe == pytest.approx(parts.log_return)
    assert parts.pe_start == pytest.approx(10.0 / e0)
    assert "roll-forward" in parts.note
    missing = decompose(closes, rows, "C", "rpt", D(2024, 6, 23), D(2024, 12, 31))
    assert missing.dlog_eps is None and "not decomposable" in missing.note
