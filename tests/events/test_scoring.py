"""Vectorised event scoring equals the scorecard, name by name, under every convention."""

from __future__ import annotations

import pandas as pd
import pytest

from coverbt.events.hitrates import group_rates
from coverbt.events.service import panel_for, score_set
from coverbt.scorecard.convention import Convention
from coverbt.scorecard.score import score_universe

HORIZONS = ["1M", "3M", "6M", "12M"]
CONVENTIONS = [
    Convention(),
    Convention(anchor="publication"),
    Convention(entry="prior_close", excess="ratio"),
    Convention(benchmark="csi300_tr"),
    Convention(benchmark="sw_computer"),
]
VERDICTS = ("band_hit", "threshold_hit", "direction_hit", "touch_hit")


def _opt(value: object) -> object:
    return None if pd.isna(value) else value  # type: ignore[call-overload]


@pytest.mark.parametrize("convention", CONVENTIONS, ids=str)
def test_events_of_the_report_score_as_its_scorecard(
    report_market, event_set, universe_file, universe, convention: Convention
) -> None:  # type: ignore[no-untyped-def]
    table = event_set(universe_file).table
    assert len(table) == 12  # 3 强烈推荐 + 9 推荐: the rated rows (no "-", no 建议关注)
    panel = panel_for(table, report_market, HORIZONS, (convention.benchmark_code,))
    scored = score_set(table, report_market, HORIZONS, convention, panel=panel)
    for horizon in HORIZONS:
        card = {n.code: n for n in score_universe(universe, report_market, horizon,
                                                  convention=convention).names}  # fmt: skip
        part = scored.loc[scored["horizon"] == horizon]
        for row in part.itertuples(index=False):
            name = card[row.code]
            assert (name.excess is None) == pd.isna(row.excess), (horizon, row.code, row.reason)
            if name.excess is None:
                assert row.reason == name.reason
                continue
            assert row.ret == pytest.approx(name.ret, abs=1e-13)
            assert row.excess == pytest.approx(name.excess, abs=1e-13)
            assert row.max_excess == pytest.approx(name.max_excess, abs=1e-13)
            assert pd.Timestamp(row.entry_date).date() == name.entry_date
            assert pd.Timestamp(row.exit_date).date() == name.exit_date
            for verdict in VERDICTS:
                assert _opt(getattr(row, verdict)) == getattr(name, verdict), (horizon, verdict)


def test_hit_rates_by_label_count_the_two_reports(report_market, event_set, universe_file,
                                                  later_report, universe) -> None:  # type: ignore[no-untyped-def]  # fmt: skip
    found = event_set(universe_file, later_report)
    scored = score_set(found.table, report_market, ["6M"])
    rates = {g.group: g for g in group_rates(scored, "label", min_count=5)}
    assert rates["强烈推荐"].events == 6 and rates["推荐"].events == 18
    # the first report's part equals its scorecard's per-rating hits
    first = score_universe(universe, report_market, "6M")
    mine = scored.loc[scored["report_id"] == universe.report.id]
    for summary in first.by_rating:
        part = mine.loc[mine["label"] == summary.rating]
        assert int(part["band_hit"].sum()) == summary.band_hits
        assert int(part["direction_hit"].sum()) == summary.direction_hits
    strong = rates["强烈推荐"]
    low, high = strong.band_ci or (None, None)
    assert strong.band_rate == strong.band_hits / strong.n_band and low <= strong.band_rate <= high


def test_a_rate_needs_min_count_events_and_keeps_its_count(report_market, event_set,
                                                           universe_file) -> None:  # type: ignore[no-untyped-def]  # fmt: skip
    scored = score_set(event_set(universe_file).table, report_market, ["6M"])
    rates = {g.group: g for g in group_rates(scored, "label", min_count=5)}
    assert rates["强烈推荐"].n == 3 and rates["强烈推荐"].band_rate is None
    assert rates["强烈推荐"].band_ci is None and rates["推荐"].band_rate is not None
    by_analyst = group_rates(scored, "analyst", min_count=1)
    assert {g.group for g in by_analyst} == {
        "闫磊",
        "黄韦涵",
    }  # the research assistant is no author
    assert all(g.events == 12 for g in by_analyst)


def test_upgrade_and_downgrade_of_the_later_report(event_set, universe_file, later_report) -> None:  # type: ignore[no-untyped-def]
    table = event_set(universe_file, later_report).table
    later = table.loc[table["published"] == pd.Timestamp("2024-12-15")].set_index("code")
    assert later.at["000977", "action"] == "upgrade" and later.at["000977", "prior_label"] == "推荐"
    assert later.at["002439", "action"] == "downgrade"
    assert (later.drop(index=["000977", "002439"])["action"] == "maintain").all()
    first = table.loc[table["published"] == pd.Timestamp("2024-06-23")]
    assert (first["action"] == "initiate").all()  # nothing earlier: never a later rating


def test_inputs_are_not_modified(report_market, event_set, universe_file) -> None:  # type: ignore[no-untyped-def]
    table = event_set(universe_file).table
    before = table.copy()
    score_set(table, report_market, ["3M"])
    pd.testing.assert_frame_equal(table, before)
