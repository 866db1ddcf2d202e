"""Checks every frame passes before it enters coverbt (from a file, a site or a test)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from coverbt.data.schema import BAR_COLUMNS, VALUATION_COLUMNS
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


def validate_valuation(frame: pd.DataFrame, *, source: str, line_offset: int = 2) -> pd.DataFrame:
    """Check a valuation frame and return its ``pe_ttm`` and ``pb`` as floats.

    Dates must be readable, strictly increasing and unique. A value may be missing (NaN:
    kept as missing, never turned into 0) or negative (a loss-making company's PE TTM),
    but not text or infinite, and some value must be present (an answer with no number
    at all is a changed schema, not a valuation).

    Raises
    ------
    InputError
        missing column, no rows, bad or unordered date, non-numeric or infinite value,
        or not a single value.

    Examples
    --------
    >>> f = pd.DataFrame({"pe_ttm": [-12.5, None], "pb": ["3.1", 2.9]},
    ...                  index=pd.DatetimeIndex(["2024-06-07", "2024-06-11"], name="date"))
    >>> validate_valuation(f, source="x").to_numpy().tolist()
    [[-12.5, 3.1], [nan, 2.9]]
    """
    missing = [c for c in VALUATION_COLUMNS if c not in frame.columns]
    if missing or not isinstance(frame.index, pd.DatetimeIndex) or frame.empty:
        raise InputError(
            f"columns {missing} are missing" if missing else "no dated rows",
            source=source,
            expected=f"a date index and columns {list(VALUATION_COLUMNS)}",
            fix="the site or file changed its schema: upgrade akshare or import vendor files",
        )
    _check_dates(frame.index, source, line_offset)
    out = pd.DataFrame(index=frame.index)
    for column in VALUATION_COLUMNS:
        raw = frame[column]
        values = pd.to_numeric(raw, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
        text = np.flatnonzero(raw.notna().to_numpy() & np.isnan(values))
        infinite = np.flatnonzero(np.isinf(values))
        bad = np.concatenate([text, infinite])
        if bad.size:
            pos = int(bad.min())
            raise InputError(
                f"value {str(raw.iloc[pos])!r} is not a finite number",
                source=source,
                line=pos + line_offset,
                field=column,
                expected="a number (negative allowed) or empty for unknown",
                fix="the site or file changed its schema: upgrade akshare or import vendor files",
            )
        out[column] = values
    if out.isna().all(axis=None):
        raise InputError(
            "not a single PE or PB value",
            source=source,
            field="pe_ttm",
            expected="numbers in pe_ttm or pb",
            fix="the site changed its answer: upgrade akshare (pip install -U akshare)",
        )
    return out


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
