"""The committed universe file matches the report (values read from the report by hand)."""

from __future__ import annotations

import datetime as dt

from coverbt.universe.boards import Board
from coverbt.universe.check import pe_mismatches
from coverbt.universe.model import Universe


def test_counts_match_the_report(universe: Universe) -> None:
    assert universe.counts() == {"强烈推荐": 3, "推荐": 9, "-": 1, "建议关注": 14}
    # 莱斯信息 is both the table's unrated row and a 建议关注 name: 26 distinct names
    assert len(universe.names) == 26
    assert universe.get("688631").rating is None and universe.get("688631").watch


def test_report_metadata(universe: Universe) -> None:
    report = universe.report
    assert report.published == dt.date(2024, 6, 23)
    assert report.price_date == dt.date(2024, 6, 7)
    assert report.industry_rating == "强于大市" and report.industry_rating_action == "维持"
    assert [a.name for a in report.analysts] == ["闫磊", "黄韦涵", "王佳一"]


def test_rating_scale_promises(universe: Universe) -> None:
    scale = universe.rating_scale
    strong = scale.band("强烈推荐")
    assert (strong.lower, strong.upper, strong.horizon_months, strong.benchmark) == (
        0.2,
        None,
        6,
        "000300",
    )
    assert strong.contains(0.21) and not strong.contains(0.2)
    assert scale.band("推荐").contains(0.15) and not scale.band("推荐").contains(0.25)
    assert scale.band("回避").direction == -1 and scale.band("中性").direction == 0
    assert scale.band("强于大市", industry=True).lower == 0.05


def test_rows_as_printed(universe: Universe) -> None:
    loongson = universe.get("688047")
    assert loongson.eps == {2023: -0.82, 2024: -0.26, 2025: 0.11, 2026: 0.39}
    assert loongson.pe[2025] == 874.0 and loongson.board is Board.STAR
    assert universe.get("300496").close_at_price_date == 53.61
    assert "Wind" in (universe.get("688631").note or "")


def test_ehang_is_not_an_a_share(universe: Universe) -> None:
    ehang = universe.get("EH")
    assert not ehang.a_share and ehang.board is Board.FOREIGN
    assert ehang.themes == ["低空经济", "低空经济/eVTOL整机厂商"]
    assert sum(1 for n in universe.names if n.a_share) == 25


def test_printed_pe_agrees_with_close_over_eps(universe: Universe) -> None:
    assert pe_mismatches(universe) == []
