"""Wilson interval: hand-checked values and properties."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from coverbt.scorecard import wilson_interval


@st.composite
def _counts(draw: st.DrawFn) -> tuple[int, int]:
    n = draw(st.integers(min_value=1, max_value=10_000))
    return draw(st.integers(min_value=0, max_value=n)), n


@given(_counts())
def test_within_unit_interval_and_contains_p_hat(counts: tuple[int, int]) -> None:
    k, n = counts
    low, high = wilson_interval(k, n)
    assert 0.0 <= low <= k / n <= high <= 1.0


@given(_counts(), st.integers(min_value=2, max_value=50))
def test_narrows_with_n_at_the_same_proportion(counts: tuple[int, int], m: int) -> None:
    k, n = counts
    low, high = wilson_interval(k, n)
    low_m, high_m = wilson_interval(k * m, n * m)
    assert high_m - low_m < high - low


def test_hand_computed_value() -> None:
    # 5 of 10: p=0.5, z=1.96; centre 0.5, half = 1.96*sqrt(0.025+0.0096040)/1.38416
    z = 1.959963984540054
    half = z * math.sqrt(0.25 / 10 + z * z / 400) / (1 + z * z / 10)
    assert wilson_interval(5, 10) == pytest.approx((0.5 - half, 0.5 + half))
    assert wilson_interval(5, 10)[0] == pytest.approx(0.236593, abs=1e-6)


@pytest.mark.parametrize(("k", "n"), [(0, 0), (-1, 3), (4, 3)])
def test_rejects_impossible_counts(k: int, n: int) -> None:
    with pytest.raises(ValueError):
        wilson_interval(k, n)
