"""Where sources of one code disagree: daily returns and price levels, pair by pair.

Two qfq series of one stock from different vendors should have the same daily returns
(up to rounding) but different levels: each vendor scaled history to its own base date,
so the ratio of their closes is a constant between dividends and steps at each dividend
paid between the two bases. :func:`reconcile` measures both over the dates the two
series share. Pure functions, no I/O.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass
from itertools import combinations

import numpy as np
import pandas as pd

from coverbt.data.schema import Series

RETURN_GAP = 0.001  # a daily-return difference above 0.1% is counted as a disagreement


@dataclass(frozen=True)
class PairDifference:
    """How series ``a`` and ``b`` of one code differ over their common dates."""

    a: str
    b: str
    first: dt.date | None
    last: dt.date | None
    common_days: int
    max_abs_return_diff: float
    mean_abs_return_diff: float
    days_over_gap: int
    worst_day: dt.date | None
    level_ratio_first: float
    level_ratio_last: float
    level_ratio_min: float
    level_ratio_max: float

    def to_json(self) -> dict[str, object]:
        out = asdict(self)
        for key in ("first", "last", "worst_day"):
            out[key] = out[key].isoformat() if out[key] else None
        return out


def label(series: Series) -> str:
    """``source/adjust`` of a series, e.g. ``akshare/qfq``."""
    return f"{series.meta.source}/{series.meta.adjust}"


def compare(a: Series, b: Series, gap: float = RETURN_GAP) -> PairDifference:
    """Daily-return and level differences of two series of one code (``a`` over ``b``).

    Returns are close-to-close over consecutive *common* dates, so a day one vendor
    lacks does not show up as a difference.

    Examples
    --------
    >>> idx = pd.DatetimeIndex(["2024-06-07", "2024-06-11", "2024-06-12"], name="date")
    >>> from coverbt.data.schema import Adjust, SeriesKind, meta_for
    >>> def s(src, closes):
    ...     f = pd.DataFrame({"close": closes}, index=idx)
    ...     return Series(meta_for(f, code="1", kind=SeriesKind.STOCK, source=src,
    ...                   adjust=Adjust.QFQ, retrieved_at=dt.datetime(2024, 1, 1)), f)
    >>> d = compare(s("x", [10.0, 11.0, 12.1]), s("y", [5.0, 5.5, 6.05]))
    >>> (d.common_days, round(d.max_abs_return_diff, 12), d.level_ratio_first)
    (3, 0.0, 2.0)
    """
    closes = pd.concat(
        [a.frame["close"].rename("a"), b.frame["close"].rename("b")], axis=1, join="inner"
    )
    if closes.empty:
        nan = float("nan")
        return PairDifference(
            label(a), label(b), None, None, 0, nan, nan, 0, None, nan, nan, nan, nan
        )
    returns = closes.pct_change().iloc[1:]
    diff = (returns["a"] - returns["b"]).abs()
    ratio = closes["a"] / closes["b"]
    worst = pd.Timestamp(diff.idxmax()) if len(diff) else None  # type: ignore[arg-type]
    return PairDifference(
        a=label(a),
        b=label(b),
        first=closes.index[0].date(),
        last=closes.index[-1].date(),
        common_days=len(closes),
        max_abs_return_diff=float(diff.max()) if len(diff) else 0.0,
        mean_abs_return_diff=float(diff.mean()) if len(diff) else 0.0,
        days_over_gap=int(np.count_nonzero(diff.to_numpy() > gap)),
        worst_day=worst.date() if worst is not None else None,
        level_ratio_first=float(ratio.iloc[0]),
        level_ratio_last=float(ratio.iloc[-1]),
        level_ratio_min=float(ratio.min()),
        level_ratio_max=float(ratio.max()),
    )


def reconcile(
    series: list[Series],
    start: dt.date | None = None,
    end: dt.date | None = None,
    gap: float = RETURN_GAP,
) -> list[PairDifference]:
    """:func:`compare` every pair of ``series`` (restricted to ``[start, end]``)."""
    clipped = [s.between(start, end) for s in series]
    return [compare(a, b, gap) for a, b in combinations(clipped, 2)]
