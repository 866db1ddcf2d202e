"""Property: every CSV importer format either parses hostile text or raises an InputError
that names the file and a line or field; never another exception (issue 11, case 7)."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from coverbt.data.schema import Series
from coverbt.data.vendor import FORMATS, parse_vendor_csv
from coverbt.errors import InputError

ORIGIN = "fuzz/sh.600570.csv"  # the file name carries a code, for formats without a column

HOSTILE_CELLS = ["", " ", "nan", "NaN", "inf", "-inf", "1e308", "-1e308", "1e400", "-1", "0",
                 "abc", "2024-13-45", "2024-02-30", "9999-12-31", "0001-01-01", "２０２４",
                 "sh.", ".", "\ufeff", '"', "1,5", "None", "TRUE"]  # fmt: skip
PLAUSIBLE = {
    "date": st.dates(dt.date(2023, 1, 1), dt.date(2023, 1, 31)).map(dt.date.isoformat),
    "number": st.floats(1.0, 100.0, allow_nan=False).map(lambda x: f"{x:.2f}"),
}

cell = st.one_of(
    st.sampled_from(HOSTILE_CELLS),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.integers(-(10**25), 10**25).map(str),
    st.dates(dt.date(1800, 1, 1), dt.date(2300, 1, 1)).map(dt.date.isoformat),
    st.text(max_size=6),
    PLAUSIBLE["number"],
)


@st.composite
def header(draw: st.DrawFn, signature: tuple[str, ...]) -> list[str]:
    names = list(signature)
    mangle = draw(st.sampled_from(["keep", "keep", "drop", "swap", "dup", "rename", "random"]))
    if mangle == "drop":
        names.pop(draw(st.integers(0, len(names) - 1)))
    elif mangle == "swap":
        i, j = draw(st.integers(0, len(names) - 1)), draw(st.integers(0, len(names) - 1))
        names[i], names[j] = names[j], names[i]
    elif mangle == "dup":
        names.append(draw(st.sampled_from(names)))
    elif mangle == "rename":
        names[draw(st.integers(0, len(names) - 1))] = draw(st.text(max_size=5))
    elif mangle == "random":
        names = draw(st.lists(st.text(max_size=6), max_size=8))
    return names


@st.composite
def row(draw: st.DrawFn, names: list[str]) -> list[str]:
    """A row that is plausible (dates in January 2023, prices 1..100) with hostile cells."""
    cells = []
    for name in names:
        if draw(st.integers(0, 4)) == 0:
            cells.append(draw(cell))
        elif name in ("date", "日期"):
            cells.append(draw(PLAUSIBLE["date"]))
        elif name in ("code", "股票代码", "代码"):
            cells.append(draw(st.sampled_from(["sh.600570", "600570", "801750", ""])))
        elif name == "adjustflag":
            cells.append(draw(st.sampled_from(["1", "2", "3", "x"])))
        else:
            cells.append(draw(PLAUSIBLE["number"]))
    return cells[: len(cells) + draw(st.integers(-1, 1))] if draw(st.booleans()) else cells


@st.composite
def vendor_text(draw: st.DrawFn, fmt: str) -> str:
    if draw(st.integers(0, 9)) == 0:
        return draw(st.text(max_size=200))  # random characters, no structure at all
    names = draw(header(FORMATS[fmt].signature))
    rows = draw(st.lists(row(names), max_size=6))
    text = "\n".join(",".join(r) for r in [names, *rows])
    return ("\ufeff" if draw(st.booleans()) else "") + text + ("\n" if draw(st.booleans()) else "")


def _check(text: str, fmt: str, given_fmt: str) -> None:
    try:
        series = parse_vendor_csv(text, ORIGIN, given_fmt)
    except InputError as exc:
        assert exc.source == ORIGIN, exc
        assert exc.line is not None or exc.field is not None, exc
        assert str(exc).startswith(ORIGIN)
        return
    assert isinstance(series, Series) and series.meta.rows == len(series.frame) > 0


FUZZ = settings(
    max_examples=40,
    deadline=dt.timedelta(seconds=2),
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    derandomize=True,
)


@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_each_format_parses_or_says_where_it_failed(fmt: str) -> None:
    @FUZZ
    @given(text=vendor_text(fmt), explicit=st.booleans())
    def check(text: str, explicit: bool) -> None:
        _check(text, fmt, fmt if explicit else "auto")

    check()
