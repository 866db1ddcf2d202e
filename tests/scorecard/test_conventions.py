"""Conventions as data: each reading of the promise, pinned against plain pandas.

Reference numbers are computed here from the vendor CSV files with ``pandas.read_csv``
(no coverbt reader). The report was published on Sunday 2024-06-23: the last session
before is 2024-06-21 (prior close), the first after is 2024-06-24 (entry open). A 6M
horizon from the entry session ends 2024-12-24; from the publication date, 2024-12-23.
H00300 (CSI 300 total return) has closes only: its open is its close scaled by 000300's
open / close of the same session.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from coverbt.errors import InputError
from coverbt.scorecard import score_universe
from coverbt.scorecard.convention import Convention, alternatives, override
from coverbt.scorecard.robustness import robust_scorecard

PRIOR, ENTRY, EXIT_ENTRY, EXIT_PUB = "2024-06-21", "2024-06-24", "2024-12-24", "2024-12-23"


def _stock(market: Path, code: str) -> pd.DataFrame:
    prefix = "sh" if code.startswith("6") else "sz"
    frame = pd.read_csv(market / "stock" / "baostock" / f"{prefix}.{code}.csv")
    return frame[frame["tradestatus"] == 1].set_index("date")


def _csi300(market: Path) -> pd.DataFrame:
    return pd.read_csv(market / "index" / "csi300_000300.csv").set_index("date")


def _h00300(market: Path) -> pd.DataFrame:
    return pd.read_csv(market / "index" / "csi300_total_return_h00300.csv").set_index("date")


def _tr_return(market: Path, exit_day: str) -> float:
    tr, px = _h00300(market), _csi300(market)
    tr_open = tr.at[ENTRY, "close"] * px.at[ENTRY, "open"] / px.at[ENTRY, "close"]
    return float(tr.at[exit_day, "close"] / tr_open - 1)


def _open_close(frame: pd.DataFrame, exit_day: str) -> float:
    return float(frame.at[exit_day, "close"] / frame.at[ENTRY, "open"] - 1)


@pytest.fixture(scope="module")
def by_publication(universe, report_market):  # type: ignore[no-untyped-def]
    return score_universe(universe, report_market, convention=Convention(anchor="publication"))


def test_publication_anchor_300496_in_band_two_of_three(
    by_publication, market_data_dir: Path
) -> None:
    stock = _open_close(_stock(market_data_dir, "300496"), EXIT_PUB)
    bench = _open_close(_csi300(market_data_dir), EXIT_PUB)
    got = next(s for s in by_publication.names if s.code == "300496")
    assert str(got.exit_date) == EXIT_PUB and str(by_publication.planned_exit) == EXIT_PUB
    assert got.excess == pytest.approx(stock - bench, rel=1e-12)
    assert stock - bench > 0.20  # 强烈推荐 promises more than +20%
    assert got.band_hit is True
    strong = next(r for r in by_publication.by_rating if r.rating == "强烈推荐")
    assert (strong.band_hits, strong.n) == (2, 3)
    assert by_publication.to_json()["convention"]["anchor"] == "publication"


def test_default_one_of_three_and_300496_is_fragile(universe, report_market) -> None:
    card = robust_scorecard(universe, report_market, "6M", Convention())
    strong = next(r for r in card.by_rating if r.rating == "强烈推荐")
    assert (strong.band_hits, strong.n) == (1, 3)
    assert card.robustness is not None
    assert card.robustness.name("300496").fragile
    assert not card.robustness.name("600570").fragile  # +49% excess: in band everywhere
    span = card.robustness.rating("强烈推荐")
    assert (span.chosen, span.low, span.high) == pytest.approx((1 / 3, 1 / 3, 2 / 3))
    assert span.high_at is not None and span.high_at.startswith("publication/")
    assert len(card.robustness.conventions) == 16 and not card.robustness.skipped
    data = card.to_json()["robustness"]
    assert "300496" in data["fragile"]
    assert data["conventions"][0]["tag"] == "entry/next_open/csi300/difference"


def test_total_return_benchmark_flips_000977(universe, report_market, market_data_dir) -> None:
    stock = _open_close(_stock(market_data_dir, "000977"), EXIT_PUB)
    price = _open_close(_csi300(market_data_dir), EXIT_PUB)
    total = _tr_return(market_data_dir, EXIT_PUB)
    assert 0.02 < total - price < 0.03  # dividends: about 2.4 pp over the window
    tr = score_universe(
        universe, report_market, convention=Convention(anchor="publication", benchmark="csi300_tr")
    )
    got = next(s for s in tr.names if s.code == "000977")
    assert tr.benchmark_code == "H00300"
    assert got.benchmark_return == pytest.approx(total, rel=1e-12)
    assert got.excess == pytest.approx(stock - total, rel=1e-12)
    band = universe.rating_scale.band("推荐")  # 10%..20%
    assert band.contains(stock - total) and not band.contains(stock - price)
    assert got.band_hit is True
    price_card = score_universe(universe, report_market, convention=Convention("publication"))
    assert next(s for s in price_card.names if s.code == "000977").band_hit is False
    for a, b in zip(price_card.names, tr.names, strict=True):
        if a.excess is not None and b.excess is not None:
            assert a.excess - b.excess == pytest.approx(total - price, rel=1e-9)


def test_prior_close_entry(universe, report_market, market_data_dir: Path) -> None:
    card = score_universe(universe, report_market, convention=Convention(entry="prior_close"))
    stock, px = _stock(market_data_dir, "600570"), _csi300(market_data_dir)
    got = next(s for s in card.names if s.code == "600570")
    ret = stock.at[EXIT_ENTRY, "close"] / stock.at[PRIOR, "close"] - 1
    bench = px.at[EXIT_ENTRY, "close"] / px.at[PRIOR, "close"] - 1
    assert str(got.entry_date) == PRIOR
    assert got.ret == pytest.approx(ret, rel=1e-12)
    assert got.excess == pytest.approx(ret - bench, rel=1e-12)


def test_ratio_excess(universe, report_market, market_data_dir: Path) -> None:
    card = score_universe(universe, report_market, convention=Convention(excess="ratio"))
    ret = _open_close(_stock(market_data_dir, "600570"), EXIT_ENTRY)
    bench = _open_close(_csi300(market_data_dir), EXIT_ENTRY)
    got = next(s for s in card.names if s.code == "600570")
    assert got.excess == pytest.approx((1 + ret) / (1 + bench) - 1, rel=1e-12)


def test_default_convention_is_todays(universe, report_market) -> None:
    stated = score_universe(universe, report_market)
    explicit = score_universe(universe, report_market, "6M", "csi300", convention=Convention())
    assert stated.to_json() == explicit.to_json()
    assert stated.convention == Convention()


def test_alternatives_cover_the_cross_product() -> None:
    chosen = Convention(benchmark="csi300_tr", excess="ratio")
    items = alternatives(chosen)
    assert items[0] == chosen and len(set(items)) == len(items) == 16
    assert {c.benchmark for c in items} == {"csi300", "csi300_tr"}
    industry = alternatives(Convention(benchmark="sw_computer"))
    assert len(industry) == 8 and {c.benchmark for c in industry} == {"sw_computer"}


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ({"entry": "prior-close"}, Convention(entry="prior_close")),
        ({"benchmark": "industry"}, Convention(benchmark="sw_computer")),
        ({"anchor": "Publication"}, Convention(anchor="publication")),
    ],
)
def test_override_spellings(given: dict[str, str], expected: Convention) -> None:
    assert override(Convention(), **given) == expected


@pytest.mark.parametrize("option", ["anchor", "entry", "benchmark", "excess"])
def test_override_rejects_unknown_values(option: str) -> None:
    with pytest.raises(InputError) as caught:
        override(Convention(), **{option: "bogus"})
    assert f"--{option}" in str(caught.value)


def test_universe_file_states_the_convention(universe_file: Path, tmp_path: Path) -> None:
    from coverbt.universe.load import load_universe

    text = universe_file.read_text(encoding="utf-8")
    line = "  convention: {anchor: entry, entry: next_open, benchmark: csi300, excess: difference}"
    assert line in text
    stated = tmp_path / "stated.yaml"
    stated.write_text(text.replace(line, "  convention: {anchor: publication, entry: prior-close}"))
    convention = load_universe(stated).rating_scale.convention
    assert (convention.anchor, convention.entry, convention.excess) == (
        "publication", "prior_close", "difference",
    )  # fmt: skip
    absent = tmp_path / "absent.yaml"
    absent.write_text(text.replace(line + "\n", ""))
    assert Convention.stated(load_universe(absent).rating_scale.convention) == Convention()
    bad = tmp_path / "bad.yaml"
    bad.write_text(text.replace(line, "  convention: {anchor: report_day}"))
    with pytest.raises(InputError) as caught:
        load_universe(bad)
    assert "anchor" in str(caught.value)


def test_shared_reads_give_the_same_numbers(universe, report_market) -> None:
    from coverbt.scorecard.full import full_scorecards

    alone = score_universe(universe, report_market, "6M")
    shared = full_scorecards(universe, report_market, ["3M", "6M"])[1]
    assert [n.to_json() for n in shared.names] == [n.to_json() for n in alone.names]
    assert shared.industry == alone.industry


@given(
    st.floats(min_value=-0.99, max_value=10.0, allow_nan=False),
    st.floats(min_value=-0.99, max_value=10.0, allow_nan=False),
)
def test_ratio_and_difference_agree_in_sign(ret: float, bench: float) -> None:
    diff = Convention(excess="difference").excess_of(ret, bench)
    ratio = Convention(excess="ratio").excess_of(ret, bench)
    assert (diff > 0) == (ratio > 0) and (diff < 0) == (ratio < 0)
    assert abs(ratio) <= abs(diff) / (1 + bench) + 1e-12
