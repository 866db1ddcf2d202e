"""Checks every frame passes before it enters coverbt (from a file, a site or a test)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from coverbt.data.schema import BAR_COLUMNS
from coverbt.errors import InputError

# Vendors round prices; the real files have a low above the open by up to 0.0075% (CSI 1000,
# 2015). Deviations up to this relative size are rounding, anything larger is an error.
OHLC_RELATIVE_TOLERANCE = 1e-4


def validate_bars(
    frame: pd.DataFrame,
    *,
    source: str,
    line_offset: int = 2,
    require: tuple[str, ...] = BAR_COLUMNS,
) -> pd.DataFrame:
    """Check a bar frame in the English schema and return it unchanged.

    ``line_offset`` converts a row position into the file's line number (header = line 1,
    so the first data row is line 2). Errors name the source, the line and the column.

    Raises
    ------
    InputError
        missing column, non-numeric or missing value, non-positive price, dates not
        strictly increasing, high below max(open, close) or low above min(open, close).
    """
    missing = [c for c in require if c not in frame.columns]
    if missing:
        raise InputError(
            f"columns {missing} are missing",
            source=source,
            line=1,
            expected=f"columns {list(require)} after renaming",
            fix="check the file's format (--format) or the vendor's schema",
        )
    if not isinstance(frame.index, pd.DatetimeIndex):
        raise InputError(
            "the frame has no date index",
            source=source,
            fix="parse the date column with pd.to_datetime",
        )
    if frame.empty:
        raise InputError(
            "no rows",
            source=source,
            expected="at least one dated bar",
            fix="check that the file is complete",
        )
    _check_dates(frame.index, source, line_offset)
    for column in require:
        values = frame[column].to_numpy(dtype=float, na_value=np.nan)
        bad = np.flatnonzero(~np.isfinite(values))
        if bad.size:
            raise InputError(
                f"missing or non-numeric value in column {column}",
                source=source,
                line=int(bad[0]) + line_offset,
                field=column,
                expected="a number",
                fix="repair or drop that line",
            )
    prices = [c for c in ("open", "high", "low", "close") if c in require]
    for column in prices:
        bad = np.flatnonzero(frame[column].to_numpy(dtype=float) <= 0)
        if bad.size:
            raise InputError(
                f"non-positive price {frame[column].iloc[bad[0]]}",
                source=source,
                line=int(bad[0]) + line_offset,
                field=column,
                expected="a price above 0",
                fix="repair or drop that line",
            )
    if {"open", "high", "low", "close"} <= set(require):
        _check_ohlc(frame, source, line_offset)
    return frame


def _check_dates(index: pd.DatetimeIndex, source: str, line_offset: int) -> None:
    if index.hasnans:
        pos = int(np.flatnonzero(index.isna())[0])
        raise InputError(
            "unreadable date",
            source=source,
            line=pos + line_offset,
            field="date",
            expected="a date such as 2024-06-07",
            fix="repair that line",
        )
    steps = np.diff(index.asi8)
    bad = np.flatnonzero(steps <= 0)
    if bad.size:
        pos = int(bad[0]) + 1
        raise InputError(
            f"date {index[pos].date()} is not after the previous row's {index[pos - 1].date()}",
            source=source,
            line=pos + line_offset,
            field="date",
            expected="dates strictly increasing and unique",
            fix="sort the file by date and drop duplicate rows",
        )


def _check_ohlc(frame: pd.DataFrame, source: str, line_offset: int) -> None:
    o, h, low, c = (frame[k].to_numpy(dtype=float) for k in ("open", "high", "low", "close"))
    tol = OHLC_RELATIVE_TOLERANCE * h
    bad_high = np.flatnonzero(h + tol < np.maximum(o, c))
    if bad_high.size:
        pos = int(bad_high[0])
        raise InputError(
            f"high {h[pos]} is below max(open, close) = {max(o[pos], c[pos])}",
            source=source,
            line=pos + line_offset,
            field="high",
            expected="high >= max(open, close)",
            fix="the columns may be in another order: check --format",
        )
    bad_low = np.flatnonzero(low - tol > np.minimum(o, c))
    if bad_low.size:
        pos = int(bad_low[0])
        raise InputError(
            f"low {low[pos]} is above min(open, close) = {min(o[pos], c[pos])}",
            source=source,
            line=pos + line_offset,
            field="low",
            expected="low <= min(open, close)",
            fix="the columns may be in another order: check --format",
        )
