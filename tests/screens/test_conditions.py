"""The safe condition grammar: semantics, three-valued logic, rejections, error messages."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.pandas import column, data_frames

from coverbt.conditions import parse_condition
from coverbt.errors import InputError

FRAME = pd.DataFrame(
    {
        "pe_ttm": [12.0, 45.0, np.nan, 5.0],
        "ret_20d": [0.1, -0.2, 0.3, 0.0],
        "rating": ["推荐", "-", None, "强烈推荐"],
        "is_st": [False, True, False, False],
    },
    index=["a", "b", "c", "d"],
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("pe_ttm < 30", [True, False, False, True]),
        ("not (pe_ttm < 30)", [False, True, False, False]),  # missing PE passes neither
        ('rating in ["推荐", "强烈推荐"]', [True, False, False, True]),
        ('rating not in ["-"]', [True, False, False, True]),
        ("0 < pe_ttm <= 12", [True, False, False, True]),
        ("pe_ttm * 2 > 20 or ret_20d > 0.25", [True, True, True, False]),
        ("not is_st and ret_20d >= 0", [True, False, True, True]),
        ("is_st == False", [True, False, True, True]),
        ("-ret_20d > 0.1", [False, True, False, False]),
        ("pe_ttm / 0 > 1", [False, False, False, False]),  # division by zero is unknown
        ("ret_20d > -0.5 and rating == '强烈推荐'", [False, False, False, True]),
        ("1 < 2", [True, True, True, True]),
    ],
)
def test_semantics(text: str, expected: list[bool]) -> None:
    result = parse_condition(text).evaluate(FRAME)
    assert result.dtype == bool
    assert list(result.index) == list(FRAME.index)
    assert result.tolist() == expected


def test_kleene_truth_values() -> None:
    truth = parse_condition("pe_ttm < 30 or ret_20d > 0.25").truth(FRAME)
    assert truth.tolist() == [True, False, True, True]  # NaN or True = True
    unknown = parse_condition("pe_ttm < 30 and ret_20d > 0.25").truth(FRAME)
    assert unknown.isna().tolist() == [False, False, True, False]


def test_fields_and_text() -> None:
    cond = parse_condition("  pe_ttm < fy1_pe\n and rs_60d_csi300 > 0 ")
    assert cond.fields == frozenset({"pe_ttm", "fy1_pe", "rs_60d_csi300"})
    assert cond.text == "pe_ttm < fy1_pe  and rs_60d_csi300 > 0"


def test_input_frame_is_not_modified() -> None:
    before = FRAME.copy()
    parse_condition("pe_ttm < 30 and not is_st").evaluate(FRAME)
    pd.testing.assert_frame_equal(FRAME, before)


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("__import__('os').system('true')", "function calls are not allowed"),
        ("pe_ttm.real > 1", "attribute access"),
        ("__class__ == 1", "not a field"),
        ("_x < 1", "not a field"),
        ("pe_ttm[0] > 1", "indexing"),
        ("(lambda: 1)() == 1", "function calls"),
        ("[x for x in y]", "comprehensions"),
        ("pe_ttm if x else y", "if/else"),
        ("pe_ttm = 3", "invalid syntax"),
        ("pe_ttm < ", "invalid syntax"),
        ("a & b", "operator & is not allowed"),
        ("a | b", "operator | is not allowed"),
        ("~a", "~ is not an operator"),
        ("x in y", "`in` needs a list"),
        ("x in [y]", "only numbers or quoted text"),
        ("None == x", "constant None"),
        ("x is 1", "`is` is not allowed"),
        ("x ** 2 > 1", "only + - * /"),
        ("", "empty condition"),
        ("not " * 60 + "x", "nested"),
        ("(" * 300 + "x" + ")" * 300, "invalid syntax"),
    ],
)
def test_rejected_at_parse_time(text: str, problem: str) -> None:
    with pytest.raises(InputError) as info:
        parse_condition(text, source="s.yaml", line=7, field="conditions[1]")
    message = str(info.value)
    assert problem in message
    if text:
        assert message.startswith("s.yaml:7: field conditions[1]: ")


def test_caret_points_at_the_offending_token() -> None:
    with pytest.raises(InputError) as info:
        parse_condition("pe_ttm < 30 and os.system('x')", source="s.yaml", line=3)
    lines = str(info.value).splitlines()
    assert lines[-2].strip() == "pe_ttm < 30 and os.system('x')"
    caret = lines[-1]
    start = caret.index("^")
    assert lines[-2][start:].startswith("os.system")
    assert caret.strip() == "^" * len("os.system('x')")


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("pe_tm < 3", "unknown field 'pe_tm'"),
        ("rating > 3", "> needs numbers on both sides"),
        ('pe_ttm == "3"', "cannot compare a number with a text"),
        ("pe_ttm", "not true/false"),
        ("pe_ttm and is_st", "needs a bool"),
        ('pe_ttm in ["a"]', "the list holds text"),
        ("rating in [1]", "the list holds numbers"),
    ],
)
def test_type_errors_at_evaluation(text: str, problem: str) -> None:
    cond = parse_condition(text, source="s.yaml", line=2)
    with pytest.raises(InputError, match=r"s\.yaml:2") as info:
        cond.evaluate(FRAME)
    assert problem in str(info.value)


def test_unknown_field_suggests_the_closest() -> None:
    with pytest.raises(InputError, match="did you mean pe_ttm"):
        parse_condition("pe_tm < 3").evaluate(FRAME)


# --- properties ---------------------------------------------------------------------

_NUMBERS = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False, allow_infinity=False)
_FRAMES = data_frames(
    [column("x", elements=_NUMBERS), column("y", elements=_NUMBERS)],
    index=st.just(pd.RangeIndex(0)) | st.integers(1, 30).map(pd.RangeIndex),
)
_FRAMES_NAN = data_frames(
    [
        column("x", elements=_NUMBERS | st.just(float("nan"))),
        column("y", elements=_NUMBERS | st.just(float("nan"))),
    ],
    index=st.integers(1, 30).map(pd.RangeIndex),
)
_ATOMS = st.builds(
    lambda f, op, v: f"{f} {op} {v!r}",
    st.sampled_from(["x", "y", "x - y", "2 * x"]),
    st.sampled_from(["<", "<=", ">", ">=", "==", "!="]),
    st.floats(min_value=-1e3, max_value=1e3, allow_nan=False),
)
_CONDITIONS = st.recursive(
    _ATOMS,
    lambda inner: st.one_of(
        st.builds(lambda a, b: f"({a}) and ({b})", inner, inner),
        st.builds(lambda a, b: f"({a}) or ({b})", inner, inner),
        st.builds(lambda a: f"not ({a})", inner),
    ),
    max_leaves=6,
)


@settings(max_examples=60, deadline=None)
@given(frame=_FRAMES, text=_CONDITIONS)
def test_not_is_the_complement_without_missing_values(frame: pd.DataFrame, text: str) -> None:
    cond = parse_condition(text).evaluate(frame)
    negated = parse_condition(f"not ({text})").evaluate(frame)
    assert (cond ^ negated).all()


@settings(max_examples=60, deadline=None)
@given(frame=_FRAMES_NAN, a=_CONDITIONS, b=_CONDITIONS)
def test_and_implies_each_side_and_or_is_implied(frame: pd.DataFrame, a: str, b: str) -> None:
    both = parse_condition(f"({a}) and ({b})").evaluate(frame)
    either = parse_condition(f"({a}) or ({b})").evaluate(frame)
    left, right = parse_condition(a).evaluate(frame), parse_condition(b).evaluate(frame)
    assert not (both & ~left).any() and not (both & ~right).any()
    assert (either == (left | right)).all()


@settings(max_examples=60, deadline=None)
@given(frame=_FRAMES_NAN, text=_CONDITIONS)
def test_a_row_never_passes_both_c_and_not_c(frame: pd.DataFrame, text: str) -> None:
    truth = parse_condition(text).truth(frame)
    negated = parse_condition(f"not ({text})").truth(frame)
    assert (truth.isna() == negated.isna()).all()
    known = truth.notna()
    assert (truth[known] != negated[known]).all()


@settings(max_examples=40, deadline=None)
@given(frame=_FRAMES, threshold=_NUMBERS)
def test_matches_direct_pandas(frame: pd.DataFrame, threshold: float) -> None:
    got = parse_condition(f"x > {threshold!r} and not (y <= x)").evaluate(frame)
    expected = (frame["x"] > threshold) & (frame["y"] > frame["x"])
    assert got.tolist() == expected.tolist()


@settings(max_examples=80, deadline=None)
@given(
    name=st.sampled_from(["__import__", "__builtins__", "_secret", "__class__", "__dict__"]),
    wrap=st.sampled_from(["{} < 1", "{}('os')", "x.{}", "{}.mro() == 1", "f({})"]),
)
def test_never_executes_dunder_or_calls(name: str, wrap: str) -> None:
    with pytest.raises(InputError):
        parse_condition(wrap.format(name))
