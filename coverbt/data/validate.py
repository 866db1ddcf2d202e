"""Checks every frame passes before it enters coverbt (from a file, a site or a test).

Bounds
------
A bar is refused when it is dated before the exchange's first session
(:data:`~coverbt.data.trading_calendar.FIRST_SESSION`) or after the last day the trading
calendar knows (:func:`~coverbt.data.trading_calendar.last_known_day`), or after
``latest`` when the caller gives one (:func:`import_horizon` says why an import is not
bound by today); when a value is infinite; when a price is not in
``(0, MAX_PRICE]``; or when a volume or amount is negative or above :data:`MAX_QUANTITY`.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from coverbt.data import trading_calendar
from coverbt.data.schema import BAR_COLUMNS, VALUATION_COLUMNS
from coverbt.errors import InputError

# No A-share price, index level or back-adjusted (hfq) price comes near a million (the
# dearest share has traded near 2,600 CNY, hfq series reach tens of thousands, indexes
# some 20,000 points): a larger price is a unit or parsing error.
MAX_PRICE = 1e6
# Shares or CNY in one bar: the whole market trades about 1e12 CNY a day, so 1e15 for one
# security is a unit or parsing error.
MAX_QUANTITY = 1e15
_PRICES = ("open", "high", "low", "close")
_QUANTITIES = ("volume", "amount")

# Vendors round prices; the real files have a low above the open by up to 0.0075% (CSI 1000,
# 2015). Deviations up to this relative size are rounding, anything larger is an error.
OHLC_RELATIVE_TOLERANCE = 1e-4


def validate_bars(
    frame: pd.DataFrame,
    *,
    source: str,
    line_offset: int = 2,
    require: tuple[str, ...] = BAR_COLUMNS,
    latest: dt.date | None = None,
) -> pd.DataFrame:
    """Check a bar frame in the English schema and return it unchanged.

    ``line_offset`` converts a row position into the file's line number (header = line 1,
    so the first data row is line 2). Errors name the source, the line and the column.
    ``latest`` is the last acceptable date (default: the calendar's last known day; see
    the module docstring for every bound).

    Raises
    ------
    InputError
        missing column, non-numeric or missing value, infinite value, price out of
        bounds, dates out of bounds or not strictly increasing, high below
        max(open, close) or low above min(open, close).
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
            field="date",
            fix="parse the date column with pd.to_datetime",
        )
    if frame.empty:
        raise InputError(
            "no rows",
            source=source,
            line=line_offset,
            expected="at least one dated bar",
            fix="check that the file is complete",
        )
    _check_dates(frame.index, source, line_offset)
    _check_date_bounds(frame.index, source, line_offset, latest)
    for column in require:
        values = frame[column].to_numpy(dtype=float, na_value=np.nan)
        bad = np.flatnonzero(np.isnan(values))  # infinite ones: see _check_values
        if bad.size:
            raise InputError(
                f"missing or non-numeric value in column {column}",
                source=source,
                line=int(bad[0]) + line_offset,
                field=column,
                expected="a number",
                fix="repair or drop that line",
            )
    _check_values(frame, source, line_offset)
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


def import_horizon() -> dt.date:
    """The last date an import accepts: the trading calendar's last known day.

    Deliberately not today: what an import accepts must not depend on the day it runs (the
    suite runs with the clock moved to 2024 and 2031, and a snapshot dated after a wrong
    system clock is still real data). A bar past the calendar cannot be checked against
    the sessions, so it is refused; a caller may pass a tighter ``latest`` itself.
    """
    return trading_calendar.last_known_day().date()


def _check_date_bounds(
    index: pd.DatetimeIndex, source: str, line_offset: int, latest: dt.date | None
) -> None:
    calendar_end = trading_calendar.last_known_day().date()
    last = min(latest or calendar_end, calendar_end)
    first = trading_calendar.FIRST_SESSION.date()
    early = np.flatnonzero(index < pd.Timestamp(first))
    late = np.flatnonzero(index > pd.Timestamp(last))
    if early.size:
        pos, why = int(early[0]), f"before {first}, the exchange's first session"
        fix = "drop that line (a mistyped year?)"
    elif late.size:
        pos = int(late[0])
        beyond = last == calendar_end
        why = (
            f"after {last}, the last day the trading calendar knows"
            if beyond
            else f"after {last}, the last date this import accepts"
        )
        fix = (
            "drop that line, or upgrade exchange-calendars (pip install -U exchange-calendars)"
            if beyond
            else "drop that line (a mistyped year?)"
        )
    else:
        return
    raise InputError(
        f"date {index[pos].date()} lies {why}",
        source=source,
        line=pos + line_offset,
        field="date",
        expected=f"dates from {first} to {last}",
        fix=fix,
    )


def _check_values(frame: pd.DataFrame, source: str, line_offset: int) -> None:
    """Every value finite (or missing, in optional columns) and inside its bounds."""
    for column in frame.columns:
        values = frame[column].to_numpy(dtype=float, na_value=np.nan)
        if column in _PRICES:
            bad, want = ~((values > 0) & (values <= MAX_PRICE)), f"a price in (0, {MAX_PRICE:g}]"
            bad &= ~np.isnan(values)
        elif column in _QUANTITIES:
            bad = (values < 0) | (values > MAX_QUANTITY)
            want = f"a quantity in [0, {MAX_QUANTITY:g}]"
        else:
            bad, want = np.isinf(values), "a finite number or nothing"
        found = np.flatnonzero(bad)
        if found.size:
            pos = int(found[0])
            raise InputError(
                f"value {float(values[pos])!r} is out of bounds",
                source=source,
                line=pos + line_offset,
                field=column,
                expected=want,
                fix="repair or drop that line (a unit or parsing error?)",
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
