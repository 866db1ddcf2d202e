"""What "this year" and "next year" mean on a date: fiscal-year roll-forward.

A-share fiscal years are calendar years. FY1 on a date is the first fiscal year whose annual
report is not yet published. Without per-company announcement dates we use the legal deadline:
annual reports must be out by **April 30** of the following year. So from May 1 of year Y,
FY1 = Y; up to April 30, FY1 = Y - 1. An actual recorded in the ledger (announced earlier than
the deadline) rolls FY1 forward as soon as it is known.

Forward (next-twelve-months) EPS blends the two calendar years a 12-month window spans:
``NTM = w * EPS(Y) + (1 - w) * EPS(Y + 1)`` with ``w`` the share of year Y still ahead. It
moves every day even when no forecast changes: that drift is roll-forward, not revision.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping

ANNUAL_REPORT_DEADLINE = (4, 30)  # (month, day) of the year after the fiscal year


def fiscal_year_ahead(
    date: dt.date, ahead: int = 1, *, actual_years_known: Iterable[int] = ()
) -> int:
    """FY1 (``ahead=1``), FY2 (``ahead=2``), ... on ``date``.

    Examples
    --------
    >>> fiscal_year_ahead(dt.date(2024, 6, 23))
    2024
    >>> fiscal_year_ahead(dt.date(2024, 4, 30)), fiscal_year_ahead(dt.date(2024, 5, 1), 2)
    (2023, 2025)
    >>> fiscal_year_ahead(dt.date(2025, 3, 20), actual_years_known=[2024])
    2025
    """
    if ahead < 1:
        raise ValueError("ahead must be 1 (FY1) or more")
    month, day = ANNUAL_REPORT_DEADLINE
    fy1 = date.year if (date.month, date.day) > (month, day) else date.year - 1
    known = [y for y in actual_years_known if y >= fy1]
    if known:
        fy1 = max(known) + 1
    return fy1 + ahead - 1


def ntm_weight(date: dt.date) -> float:
    """Share of the calendar year of ``date`` still ahead (weight of EPS(Y) in NTM EPS).

    Examples
    --------
    >>> round(ntm_weight(dt.date(2024, 7, 2)), 4)
    0.5
    """
    start = dt.date(date.year, 1, 1)
    end = dt.date(date.year + 1, 1, 1)
    return (end - date).days / (end - start).days


def ntm_eps(date: dt.date, eps_by_year: Mapping[int, float]) -> float | None:
    """Next-twelve-months EPS on ``date``; None when either year's EPS is missing.

    Examples
    --------
    >>> ntm_eps(dt.date(2024, 7, 2), {2024: 1.0, 2025: 2.0})
    1.5
    """
    this, following = eps_by_year.get(date.year), eps_by_year.get(date.year + 1)
    if this is None or following is None:
        return None
    weight = ntm_weight(date)
    return weight * this + (1.0 - weight) * following
