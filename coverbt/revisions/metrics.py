"""Revision metrics: pure functions of a ledger frame (no I/O, inputs never modified).

A ledger frame has the columns of :data:`coverbt.revisions.ledger.COLUMNS`; it may hold
superseded corrections, which every function here drops first (latest ``seq`` per key).
Everything is point in time: a value "at" a date is the latest snapshot with
``as_of <= date``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import pandas as pd

from coverbt.horizon import parse_horizon
from coverbt.revisions.ledger import latest_per_key
from coverbt.revisions.records import Kind

FLAT_TOLERANCE = 1e-9  # relative EPS change below this counts as unchanged


def _forecasts(rows: pd.DataFrame, code: str, fiscal_year: int, source: str) -> pd.DataFrame:
    current = latest_per_key(rows)
    mask = (
        (current["code"] == code)
        & (current["fiscal_year"] == fiscal_year)
        & (current["source"] == source)
        & (current["kind"] == str(Kind.FORECAST))
    )
    return current.loc[mask].sort_values("as_of")


def eps_at(
    rows: pd.DataFrame, code: str, fiscal_year: int, source: str, date: dt.date
) -> float | None:
    """The EPS ``source`` had for ``code``/``fiscal_year`` as known on ``date``."""
    found = _forecasts(rows, code, fiscal_year, source)
    found = found.loc[found["as_of"] <= pd.Timestamp(date)]
    return None if found.empty else float(found["eps"].iloc[-1])


def relative_change(before: float | None, after: float | None) -> float | None:
    """``(after - before) / |before|``; None when either is missing or ``before`` is 0.

    Dividing by ``|before|`` keeps the sign meaningful for losses: -0.82 -> -0.26 is +68%.

    Examples
    --------
    >>> relative_change(1.0, 1.1) == (1.1 - 1.0) / 1.0
    True
    >>> round(relative_change(-0.82, -0.26), 4)
    0.6829
    """
    if before is None or after is None or before == 0:
        return None
    return (after - before) / abs(before)


def eps_change(
    rows: pd.DataFrame,
    code: str,
    fiscal_year: int,
    source: str,
    start: dt.date,
    end: dt.date,
) -> float | None:
    """Relative EPS change of one source between two dates (point in time at both ends)."""
    return relative_change(
        eps_at(rows, code, fiscal_year, source, start), eps_at(rows, code, fiscal_year, source, end)
    )


@dataclass(frozen=True)
class WindowChange:
    """An EPS change over a window, with the source and fiscal year it was measured on."""

    change: float | None
    source: str | None
    fiscal_year: int
    start: dt.date
    end: dt.date


def window_change(
    rows: pd.DataFrame,
    code: str,
    fiscal_year: int,
    end: dt.date,
    window: str,
    sources: Sequence[str],
) -> WindowChange:
    """EPS change over ``window`` (``"1M"``, ``"3M"``) ending on ``end``.

    The first source in ``sources`` that had a value at *both* ends is used, so a change is
    never a jump between two different sources. ``change`` is None when no source had both.
    """
    start = (pd.Timestamp(end) - parse_horizon(window)).date()
    for source in sources:
        change = eps_change(rows, code, fiscal_year, source, start, end)
        if change is not None:
            return WindowChange(change, source, fiscal_year, start, end)
    return WindowChange(None, None, fiscal_year, start, end)


def snapshot_changes(rows: pd.DataFrame, code: str, fiscal_year: int, source: str) -> pd.DataFrame:
    """Each snapshot of one source/code/year with its change from the previous snapshot."""
    found = _forecasts(rows, code, fiscal_year, source)[["as_of", "eps"]].reset_index(drop=True)
    previous = found["eps"].shift(1)
    found["change"] = [
        relative_change(b, a) if pd.notna(b) else None
        for b, a in zip(previous, found["eps"], strict=True)
    ]
    return found


@dataclass(frozen=True)
class Breadth:
    """Revision breadth ``(up - down) / n`` over the names with a measurable change."""

    value: float | None
    up: int
    down: int
    n: int


def revision_breadth(changes: Iterable[float | None]) -> Breadth:
    """Breadth across a coverage list; names without a measurable change are not counted.

    Examples
    --------
    >>> revision_breadth([0.1, -0.2, 0.0, None, 0.05])
    Breadth(value=0.25, up=2, down=1, n=4)
    """
    known = [c for c in changes if c is not None]
    up = sum(c > FLAT_TOLERANCE for c in known)
    down = sum(c < -FLAT_TOLERANCE for c in known)
    value = (up - down) / len(known) if known else None
    return Breadth(value, up, down, len(known))


def forecast_errors(rows: pd.DataFrame) -> pd.DataFrame:
    """Each source's last forecast made before the actual was announced, against the actual.

    Returns columns ``source, code, fiscal_year, forecast_as_of, forecast_eps, actual_as_of,
    actual_eps, error`` where ``error = (forecast - actual) / |actual|`` (positive: the
    forecast was too high). Forecasts dated on or after the announcement are ignored.
    """
    current = latest_per_key(rows)
    actual = current.loc[current["kind"] == str(Kind.ACTUAL)]
    actual = actual.sort_values("as_of").drop_duplicates(["code", "fiscal_year"], keep="first")
    forecasts = current.loc[current["kind"] == str(Kind.FORECAST)]
    merged = forecasts.merge(
        actual[["code", "fiscal_year", "as_of", "eps"]],
        on=["code", "fiscal_year"],
        suffixes=("", "_actual"),
    )
    merged = merged.loc[merged["as_of"] < merged["as_of_actual"]].sort_values("as_of")
    last = merged.drop_duplicates(["source", "code", "fiscal_year"], keep="last")
    out = pd.DataFrame(
        {
            "source": last["source"],
            "code": last["code"],
            "fiscal_year": last["fiscal_year"],
            "forecast_as_of": last["as_of"],
            "forecast_eps": last["eps"],
            "actual_as_of": last["as_of_actual"],
            "actual_eps": last["eps_actual"],
        }
    ).reset_index(drop=True)
    out["error"] = [
        relative_change(a, f) for a, f in zip(out["actual_eps"], out["forecast_eps"], strict=True)
    ]
    return out.sort_values(["code", "fiscal_year", "source"]).reset_index(drop=True)
