"""Factor values of many stocks as of one session, computed on wide panels (no per-stock loop).

Pure functions of a :class:`~coverbt.screens.panel.Panel` (market fields), a universe
(coverage fields) and a revision ledger frame (EPS revisions). Definitions live in
:mod:`coverbt.screens.fields`. A stock whose last bar is more than
:data:`STALE_AFTER_SESSIONS` sessions old has no market fields (they are missing, so every
condition on them fails) but keeps ``stale_days``.
"""

from __future__ import annotations

import datetime as dt
import warnings
from collections.abc import Sequence

import numpy as np
import pandas as pd

from coverbt.revisions.fiscal import fiscal_year_ahead
from coverbt.screens.fields import FieldRequest
from coverbt.screens.panel import Panel
from coverbt.universe.boards import classify_a_share
from coverbt.universe.model import Universe

STALE_AFTER_SESSIONS = 20
MIN_HISTORY_SHARE = 0.5  # a percentile needs at least half its window observed


def _nanmean(values: np.ndarray) -> np.ndarray:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN columns give NaN: wanted
        return np.nanmean(values, axis=0)


def _nanstd(values: np.ndarray) -> np.ndarray:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return np.nanstd(values, axis=0, ddof=1)


def stale_days(traded: np.ndarray) -> np.ndarray:
    """Sessions since the last traded session per column (``len(traded)`` when none)."""
    rows = traded.shape[0]
    flipped = traded[::-1]
    last = np.argmax(flipped, axis=0)
    return np.where(flipped.any(axis=0), last, rows).astype(float)


def window_return(close: np.ndarray, window: int) -> np.ndarray:
    """``close[-1] / close[-1 - window] - 1`` per column (NaN without enough history)."""
    if window >= close.shape[0]:
        return np.full(close.shape[1], np.nan)
    with np.errstate(divide="ignore", invalid="ignore"):
        return close[-1] / close[-1 - window] - 1.0


def average_amount(
    amount: np.ndarray, traded: np.ndarray, close: np.ndarray, window: int
) -> np.ndarray:
    """Mean traded amount over the last ``window`` sessions; a listed, untraded day counts 0."""
    amt, tr, listed = amount[-window:], traded[-window:], ~np.isnan(close[-window:])
    values = np.where(tr, amt, np.where(listed, 0.0, np.nan))
    return _nanmean(values)


def volatility(close: np.ndarray, window: int, periods: float) -> np.ndarray:
    """Annualised standard deviation of the last ``window`` daily returns."""
    if window + 1 > close.shape[0]:
        return np.full(close.shape[1], np.nan)
    tail = close[-window - 1 :]
    with np.errstate(divide="ignore", invalid="ignore"):
        daily = tail[1:] / tail[:-1] - 1.0
    return _nanstd(daily) * np.sqrt(periods)


def own_percentile(values: np.ndarray, window: int) -> np.ndarray:
    """Share of the last ``window`` positive values at or below the latest one (0..1].

    Missing when the latest value is not positive or fewer than half the window is observed.
    """
    tail = values[-window:]
    positive = np.where(tail > 0, tail, np.nan)
    latest = values[-1]
    observed = np.sum(~np.isnan(positive), axis=0)
    with np.errstate(invalid="ignore"):
        at_or_below = np.sum(positive <= latest, axis=0)
        share = at_or_below / np.where(observed > 0, observed, np.nan)
    ok = (latest > 0) & (observed >= MIN_HISTORY_SHARE * window)
    return np.where(ok, share, np.nan)


def market_factors(
    panel: Panel,
    requests: Sequence[FieldRequest],
    benchmarks: dict[str, pd.Series],
    periods_per_year: float,
) -> pd.DataFrame:
    """Market fields of every code in ``panel`` (one row per code)."""
    close = panel.close.to_numpy(dtype=float)
    traded = panel.traded.to_numpy(dtype=bool)
    stale = stale_days(traded)
    out: dict[str, np.ndarray] = {"stale_days": stale}
    for req in requests:
        if req.family == "ret":
            out[req.name] = window_return(close, req.window or 0)
        elif req.family == "rs":
            stock = window_return(close, req.window or 0)
            bench = benchmarks[req.benchmark or ""].to_numpy(dtype=float)
            bench_ret = window_return(bench[:, None], req.window or 0)[0]
            out[req.name] = (1.0 + stock) / (1.0 + bench_ret) - 1.0
        elif req.family == "amount":
            out[req.name] = average_amount(
                panel.amount.to_numpy(dtype=float), traded, close, req.window or 0
            )
        elif req.family == "vol":
            out[req.name] = volatility(close, req.window or 0, periods_per_year)
        elif req.family == "pe_pct":
            pe = _values(panel.pe, close.shape)
            out[req.name] = own_percentile(pe, req.window or 0)
        elif req.name == "close":
            out["close"] = close[-1]
        elif req.name in ("pe_ttm", "pb"):
            out[req.name] = _values(panel.pe if req.name == "pe_ttm" else panel.pb, close.shape)[-1]
    frame = pd.DataFrame(out, index=pd.Index(panel.codes, name="code"))
    fresh = frame["stale_days"] <= STALE_AFTER_SESSIONS
    market_cols = [c for c in frame.columns if c != "stale_days"]
    frame[market_cols] = frame[market_cols].where(fresh)
    if any(r.name == "is_st" for r in requests):
        is_st = panel.is_st.reindex(panel.codes) if panel.is_st is not None else None
        frame["is_st"] = (
            pd.array(is_st.to_numpy(), dtype="boolean")
            if is_st is not None
            else pd.array([pd.NA] * len(frame), dtype="boolean")
        )
    return frame


def _values(frame: pd.DataFrame | None, shape: tuple[int, ...]) -> np.ndarray:
    if frame is None:
        return np.full(shape, np.nan)
    return frame.to_numpy(dtype=float)


def universe_factors(
    codes: Sequence[str], universe: Universe | None, as_of: dt.date, names: pd.Series
) -> pd.DataFrame:
    """Identity and coverage fields (code, name, board, rating, theme, FY1/FY2 forecasts)."""
    fy1 = fiscal_year_ahead(as_of)
    index = pd.Index(list(codes), name="code")
    boards = [classify_a_share(c) for c in codes]
    frame = pd.DataFrame(
        {
            "code": list(codes),
            "name": names.reindex(index).to_numpy(dtype=object),
            "board": [str(b[1]) if b else None for b in boards],
            "covered": False,
            "fy1": float(fy1),
        },
        index=index,
    )
    for column in ("rating", "prose", "theme", "chain"):
        frame[column] = pd.Series([None] * len(index), index=index, dtype=object)
    for column in ("fy1_eps", "fy2_eps", "fy1_pe", "fy2_pe"):
        frame[column] = np.nan
    if universe is None or as_of < universe.report.published:
        return frame  # no look-ahead: the report's view is unknown before its publication
    for item in universe.names:
        if item.code not in frame.index:
            continue
        row = {
            "covered": True,
            "rating": item.rating_text,
            "prose": item.prose,
            "theme": item.theme,
            "chain": item.chain,
            "fy1_eps": item.eps.get(fy1, np.nan),
            "fy2_eps": item.eps.get(fy1 + 1, np.nan),
            "fy1_pe": item.pe.get(fy1, np.nan),
            "fy2_pe": item.pe.get(fy1 + 1, np.nan),
        }
        if not isinstance(frame.at[item.code, "name"], str):
            row["name"] = item.name
        for key, value in row.items():
            frame.at[item.code, key] = value
    return frame
