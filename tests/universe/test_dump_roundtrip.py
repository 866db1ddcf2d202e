"""Properties: the canonical writer round-trips any valid universe; code classification."""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from coverbt.universe.boards import (
    A_SHARE_EXCHANGES,
    Exchange,
    board_of,
    classify_a_share,
    valid_prefixes,
)
from coverbt.universe.dump import dump_universe
from coverbt.universe.load import load_universe
from coverbt.universe.model import WATCH, CoveredName, Universe

# free text as users and reports write it: CJK, ASCII, YAML indicators, quotes, controls
_text = st.one_of(
    st.text(
        alphabet=st.one_of(
            st.sampled_from(list("算力推荐：，、 -#:'\"[]{}!&*|>%@`?\n\t")),
            st.characters(codec="utf-8", exclude_categories=("Cs",)),
        ),
        min_size=1,
        max_size=16,
    ),
    st.sampled_from(["null", "yes", "No", "1.5", "~", "- x", "a: b", "2024-06-23", "0x1F"]),
)
_finite = st.floats(allow_nan=False, allow_infinity=False, width=64, min_value=-1e6, max_value=1e6)
_years = st.dictionaries(st.integers(2000, 2040), _finite, max_size=4)
BASE = load_universe(
    Path(__file__).resolve().parents[2] / "universe" / "pingan_computer_2024_midyear.yaml"
)
_prefix = st.sampled_from(["600", "601", "603", "688", "000", "002", "300", "301"])


@st.composite
def _a_share(draw: st.DrawFn, i: int, labels: list[str]) -> CoveredName:
    prefix = draw(_prefix)
    code = prefix + f"{i:03d}"
    exchange = classify_a_share(code)[0]  # type: ignore[index]
    eps = draw(_years)
    return CoveredName(
        code=code,
        name=f"n{i}" + draw(_text),
        exchange=exchange,
        rating=draw(st.none() | st.sampled_from(labels)),
        in_table=draw(st.booleans()),
        prose=draw(st.none() | st.sampled_from([*labels, WATCH])),
        theme=draw(st.none() | _text),
        chain=draw(st.none() | _text),
        close_at_price_date=draw(st.none() | st.floats(0.01, 1e5, allow_nan=False)),
        eps=eps,
        pe=draw(_years),
        actual_years=sorted(draw(st.sets(st.sampled_from(sorted(eps) or [2023])))),
        note=draw(st.none() | _text),
    )


@st.composite
def _universes(draw: st.DrawFn, base: Universe) -> Universe:
    labels = base.rating_scale.labels()
    n = draw(st.integers(0, 6))
    names = [draw(_a_share(i, labels)) for i in range(n)]
    if draw(st.booleans()):
        names.append(base.get("EH"))
    report = base.report.model_copy(
        update={"title": draw(_text), "broker": draw(_text), "industry": draw(_text)}
    )
    return Universe(report=report, rating_scale=base.rating_scale, names=names)


@settings(max_examples=40, deadline=None)
@given(data=st.data())
def test_dump_then_load_gives_the_same_universe(data: st.DataObject) -> None:
    universe = data.draw(_universes(BASE))
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "u.yaml"
        path.write_text(dump_universe(universe), encoding="utf-8")
        assert load_universe(path) == universe


@given(st.from_regex(r"\A[0-9]{6}\Z"))
def test_classified_codes_are_valid_on_their_exchange(code: str) -> None:
    hit = classify_a_share(code)
    if hit is None:
        return
    exchange, board = hit
    assert exchange in A_SHARE_EXCHANGES
    assert board_of(code, exchange) is board
    assert any(code.startswith(p) for p in valid_prefixes(exchange))
    for other in A_SHARE_EXCHANGES - {exchange}:
        assert not any(code.startswith(p) for p in valid_prefixes(Exchange(other)))
