"""Merging an incoming series into the cached one: nothing cached is ever dropped.

An import never replaces a series' history with a shorter file. The incoming bars are
compared with the cached bars on the dates both hold; when every shared value agrees
(within :data:`MERGE_RELATIVE_TOLERANCE`), the new dates are added to the cached
history (:func:`merge_frames`). When some value differs, that is a *conflict*
(:func:`find_conflict`): the cached series is left as it is and the import reports the
file, the date, the field and both values. Only ``coverbt data import --replace``
replaces a cached series outright.

A qfq (forward-adjusted) file downloaded again after a dividend has a new adjustment
base, so *every* overlapping price differs: that is a conflict too, which the user
resolves with ``--replace`` (the new file then becomes the whole series).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

# Two values are the same bar when they differ by less than this, relative (vendors print
# prices with 2-4 decimals; a float round trip through CSV and parquet is far below this).
MERGE_RELATIVE_TOLERANCE = 1e-6
MERGE_ABSOLUTE_TOLERANCE = 1e-9


@dataclass(frozen=True)
class Conflict:
    """The first differing value on the dates two versions of a series share."""

    date: pd.Timestamp
    field: str
    cached: float
    new: float
    values: int  # how many shared values differ in all
    dates: int  # on how many dates

    def describe(self) -> str:
        """One line, e.g. ``2026-01-19 close: cached 43.1 vs new 45.0 (and 2 more ...)``.

        Examples
        --------
        >>> Conflict(pd.Timestamp("2026-01-19"), "close", 43.1, 45.0, 1, 1).describe()
        '2026-01-19 close: cached 43.1 vs new 45.0'
        """
        text = f"{self.date.date()} {self.field}: cached {self.cached!r} vs new {self.new!r}"
        if self.values > 1:
            text += f" (and {self.values - 1} more differing values on {self.dates} dates)"
        return text


def find_conflict(
    cached: pd.DataFrame, new: pd.DataFrame, columns: tuple[str, ...]
) -> Conflict | None:
    """The first value of ``columns`` that differs on a date both frames hold, or None.

    NaN equals NaN; NaN against a number differs.
    """
    shared = cached.index.intersection(new.index)
    if shared.empty:
        return None
    first: Conflict | None = None
    total, bad_days = 0, np.zeros(len(shared), dtype=bool)
    for column in columns:
        if column not in cached.columns or column not in new.columns:
            continue
        a = cached[column].reindex(shared).to_numpy(dtype=float, na_value=np.nan)
        b = new[column].reindex(shared).to_numpy(dtype=float, na_value=np.nan)
        same = np.isclose(
            a, b, rtol=MERGE_RELATIVE_TOLERANCE, atol=MERGE_ABSOLUTE_TOLERANCE, equal_nan=True
        )
        differ = np.flatnonzero(~same)
        if differ.size == 0:
            continue
        total += differ.size
        bad_days[differ] = True
        pos = int(differ[0])
        if first is None or shared[pos] < first.date:
            first = Conflict(shared[pos], column, float(a[pos]), float(b[pos]), 0, 0)
    if first is None:
        return None
    return Conflict(first.date, first.field, first.cached, first.new, total, int(bad_days.sum()))


def merge_frames(cached: pd.DataFrame, new: pd.DataFrame) -> pd.DataFrame:
    """The cached rows plus the rows of ``new`` on dates the cache lacks, in date order.

    Columns are the union of both (NaN where a version lacks one); shared dates keep the
    cached values (they agree, see :func:`find_conflict`).
    """
    added = new.loc[~new.index.isin(cached.index)]
    columns = list(cached.columns) + [c for c in new.columns if c not in cached.columns]
    frame = pd.concat([cached.reindex(columns=columns), added.reindex(columns=columns)])
    frame = frame.sort_index()
    frame.index = pd.DatetimeIndex(frame.index, name="date")
    return frame
