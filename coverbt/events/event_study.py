"""Event study of rating events: abnormal returns around publication (pure, vectorised).

**Event time.** Day 0 is the first session on or after the publication date (the day the
market can first react). The window runs from day ``-pre`` (default 5) to the horizon end:
the last session on or before day 0 + the horizon (1M, 3M, 6M, 12M).

**Abnormal returns.** A stock's daily return is close-to-close over the sessions it traded
(the day after a suspension spans it); the benchmark's return is taken over exactly the
same span. Market-adjusted: the benchmark is CSI 300 (000300); industry-adjusted: the SW
index of the stock (the event's ``industry_index``, when known). Returns are qfq, so
dividends count. AR = stock - benchmark; CAR is the sum of ARs over the window; BHAR is
the buy-and-hold return of the stock minus the benchmark's over it.

**Averages and t-statistics.** Each group (a rating label, an action: upgrade, downgrade...)
gets the mean CAR/BHAR, the cross-sectional t (which assumes independent events) and
``t_overlap``, which accounts for events whose windows overlap in calendar time: with
cross-sectional variance ``s^2`` the variance of the mean is taken as
``s^2 / n * (1 + K / n)``, ``K = sum over pairs i != j of c_ij * O_ij / sqrt(L_i L_j)``,
where ``O_ij`` is the number of sessions the two windows share, ``L`` their lengths,
``c_ij = 1`` for two events of the same stock and the average pairwise correlation of the
stocks' daily abnormal returns otherwise (clipped to [0, 1)). For events sharing one
date and window this is Kolari & Pynnönen's (2010) adjustment ``1 + (n - 1) rho``; for
events that never overlap it is 1.

**Calendar-time portfolios** (Barber, Lehavy, McNichols & Trueman 2001): per label, each
session holds, equally weighted, every stock whose rating was entered (the first session
after publication) before that session and whose horizon has not ended; its daily return
minus the benchmark's is the label's daily abnormal return series, its mean tested with a
Newey-West t-statistic.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from coverbt.data.provider import CSI300
from coverbt.events.panel import Panel, prev_valid
from coverbt.events.scoring import plan
from coverbt.horizon import parse_horizon

PRE_DAYS = 5
MIN_CORR_OBS = 20  # days a stock needs to enter the average correlation
_COVER = pd.Timedelta(days=30)
ADJUSTMENTS = ("market", "industry")


@dataclass(frozen=True)
class Window:
    """Session rows of each event's window on a panel's axis."""

    day0: np.ndarray
    start: np.ndarray
    end: np.ndarray
    off_axis: np.ndarray


def windows(sessions: pd.DatetimeIndex, published: pd.Series, horizon: str,
            pre: int = PRE_DAYS) -> Window:  # fmt: skip
    """Day 0, day ``-pre`` and the horizon end of each event."""
    axis = sessions.values
    days = pd.DatetimeIndex(pd.to_datetime(published)).normalize()
    day0 = np.searchsorted(axis, days.values, side="left")
    safe = np.minimum(day0, len(axis) - 1)
    target = pd.DatetimeIndex(axis[safe]) + parse_horizon(horizon)
    end = np.searchsorted(axis, target.values, side="right") - 1
    start = day0 - pre
    off = (day0 >= len(axis)) | (target.values > axis[-1]) | (start < 1)
    return Window(day0, start, end, off)


def abnormal_matrix(panel: Panel, bench: int) -> tuple[np.ndarray, np.ndarray]:
    """Daily abnormal returns of every stock against benchmark column ``bench`` (0 where the
    stock did not trade) and a matrix marking cells whose benchmark return is missing."""
    close = panel.stocks.close
    traded = panel.stocks.traded
    pv = prev_valid(traded)
    before = np.vstack([np.full((1, close.shape[1]), -1), pv[:-1]])
    has = traded & (before >= 0)
    cols = np.broadcast_to(np.arange(close.shape[1]), close.shape)
    safe = np.where(has, before, 0)
    r = np.where(has, close / close[safe, cols] - 1.0, 0.0)
    b = panel.benches.close[:, bench]
    rb = np.where(has, b[:, None] / b[safe] - 1.0, 0.0)
    bad = has & ~np.isfinite(rb)
    return np.where(bad, 0.0, r - rb), bad


def event_returns(
    table: pd.DataFrame,
    panel: Panel,
    horizon: str,
    adjustment: str = "market",
    pre: int = PRE_DAYS,
) -> pd.DataFrame:
    """CAR and BHAR of every event over ``[-pre, horizon]`` (same index as ``table``).

    Columns: ``horizon``, ``adjustment``, ``benchmark``, ``day0``, ``start``, ``end``,
    ``sessions``, ``car``, ``bhar``, ``reason``.
    """
    w = windows(panel.sessions, table["published"], horizon, pre)
    cols = panel.code_index(table["code"])
    benches = _bench_codes(table, adjustment)
    out = pd.DataFrame(index=table.index)
    out["horizon"], out["adjustment"], out["benchmark"] = horizon.upper(), adjustment, benches
    out["car"], out["bhar"] = np.nan, np.nan
    out["reason"] = _window_reasons(table, panel, w, cols, benches)
    axis = panel.sessions
    safe0, safe_s, safe_e = (np.clip(x, 0, len(axis) - 1) for x in (w.day0, w.start, w.end))
    out["day0"], out["start"], out["end"] = axis[safe0], axis[safe_s], axis[safe_e]
    out["sessions"] = w.end - w.start + 1
    for code in sorted({b for b in benches if b is not None}):
        rows = np.flatnonzero((benches == code) & out["reason"].isna().to_numpy())
        if len(rows):
            car, bhar, why = _car_bhar(panel, panel.bench_index(code), cols[rows],
                                       w.start[rows], w.end[rows])  # fmt: skip
            at = out.index[rows]
            out.loc[at, "car"] = car
            out.loc[at, "bhar"] = bhar
            out.loc[at, "reason"] = why
    return out


def _bench_codes(table: pd.DataFrame, adjustment: str) -> np.ndarray:
    if adjustment == "market":
        return np.full(len(table), CSI300, dtype=object)
    if adjustment != "industry":
        raise ValueError(f"adjustment must be one of {ADJUSTMENTS}, not {adjustment!r}")
    found = table["industry_index"] if "industry_index" in table else pd.Series(None, table.index)
    return np.array([v if isinstance(v, str) and v else None for v in found], dtype=object)


def _window_reasons(
    table: pd.DataFrame, panel: Panel, w: Window, cols: np.ndarray, benches: np.ndarray
) -> pd.Series:
    """Why an event's window cannot be measured (``None`` when it can), first reason first;
    vectorised: the checks are array lookups, only the reasons' texts are built per row."""
    n = len(table)
    codes = table["code"].astype(str).to_numpy()
    axis = panel.sessions.values
    last = len(axis) - 1
    no_bench = np.array([b is None for b in benches], dtype=bool)
    bench_known = set(panel.bench_codes)
    bench_absent = ~no_bench & np.array([b not in bench_known for b in benches], dtype=bool)
    no_col = cols < 0
    off = np.asarray(w.off_axis, dtype=bool)
    check = ~(off | no_bench | bench_absent | no_col)
    late_start = np.zeros(n, dtype=bool)
    early_end = np.zeros(n, dtype=bool)
    rows = np.flatnonzero(check)
    if len(rows):
        pv = prev_valid(panel.stocks.has_bar)
        start, end, col = w.start[rows], w.end[rows], cols[rows]
        lo = np.searchsorted(axis, axis[start] - _COVER.to_timedelta64())
        hi = np.minimum(last, np.searchsorted(axis, axis[end] + _COVER.to_timedelta64(),
                                              side="right") - 1)  # fmt: skip
        late_start[rows] = pv[start - 1, col] < lo
        early_end[rows] = ~late_start[rows] & (pv[hi, col] < end)
    reason = np.full(n, None, dtype=object)
    for i in np.flatnonzero(~check | late_start | early_end):
        code = codes[i]
        if off[i]:
            reason[i] = "the window leaves the trading calendar or the panel"
        elif no_bench[i]:
            reason[i] = "no industry index known for this event"
        elif bench_absent[i]:
            reason[i] = f"benchmark {benches[i]} is not in the panel"
        elif no_col[i]:
            reason[i] = panel.reasons.get(code, f"no daily bars for {code}")
        elif late_start[i]:
            reason[i] = f"data for {code} starts after the window start"
        else:
            reason[i] = f"data for {code} ends before the horizon end"
    return pd.Series(reason, index=table.index, dtype=object)


def _car_bhar(
    panel: Panel, bench: int, cols: np.ndarray, start: np.ndarray, end: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    ar, bad = abnormal_matrix(panel, bench)
    zero = np.zeros((1, ar.shape[1]))
    cum = np.vstack([zero, np.cumsum(ar, axis=0)])  # cum[t + 1] = sum of rows 0..t
    nbad = np.vstack([zero, np.cumsum(bad, axis=0)])
    car = cum[end + 1, cols] - cum[start, cols]
    broken = (nbad[end + 1, cols] - nbad[start, cols]) > 0
    pv = prev_valid(panel.stocks.traded)
    s, x = pv[start - 1, cols], pv[end, cols]
    close, b = panel.stocks.close, panel.benches.close[:, bench]
    ok = (s >= 0) & (x >= 0)
    s, x = np.where(ok, s, 0), np.where(ok, x, 0)
    bhar = np.where(ok, close[x, cols] / close[s, cols] - b[x] / b[s], np.nan)
    why = np.array([None] * len(cols), dtype=object)
    why[broken | ~np.isfinite(bhar)] = "the benchmark has no close on a session of the window"
    car = np.where(why == None, car, np.nan)  # noqa: E711 (an object array)
    bhar = np.where(why == None, bhar, np.nan)  # noqa: E711
    return car, bhar, why


# --- averages with overlap-aware t-statistics ---------------------------------------------


def average_correlation(panel: Panel, bench: int, cols: np.ndarray, rows: slice) -> float:
    """Average pairwise correlation of the daily abnormal returns of stocks ``cols`` over
    sessions ``rows`` (pooled from z-scores; clipped to [0, 1))."""
    cols = np.unique(cols[cols >= 0])
    if len(cols) < 2:
        return 0.0
    ar, bad = abnormal_matrix(panel, bench)
    traded = panel.stocks.traded
    x = np.where(traded & ~bad, ar, np.nan)[rows][:, cols]
    counts = np.isfinite(x).sum(axis=0)
    x = x[:, counts >= MIN_CORR_OBS]
    if x.shape[1] < 2:
        return 0.0
    z = (x - np.nanmean(x, axis=0)) / np.nanstd(x, axis=0)
    z = np.where(np.isfinite(z), z, 0.0)
    k = (z != 0).sum(axis=1)
    pairs = float((k * (k - 1)).sum())
    if pairs <= 0:
        return 0.0
    total = float(((z.sum(axis=1) ** 2) - (z**2).sum(axis=1)).sum())
    return float(min(max(total / pairs, 0.0), 1.0 - 1e-9))


def overlap_k(
    start: np.ndarray, end: np.ndarray, cols: np.ndarray, n_rows: int, rho: float
) -> float:
    """``K`` of the module docstring: overlap of the windows, weighted by correlation."""
    a = 1.0 / np.sqrt(end - start + 1.0)
    g, q = np.zeros(n_rows + 1), np.zeros(n_rows + 1)
    np.add.at(g, start, a)
    np.add.at(g, end + 1, -a)
    np.add.at(q, start, a * a)
    np.add.at(q, end + 1, -a * a)
    g, q = np.cumsum(g)[:-1], np.cumsum(q)[:-1]
    k_all = float((g * g - q).sum())
    uniq, which = np.unique(cols, return_inverse=True)
    gc = np.zeros((n_rows + 1, len(uniq)))
    qc = np.zeros((n_rows + 1, len(uniq)))
    np.add.at(gc, (start, which), a)
    np.add.at(gc, (end + 1, which), -a)
    np.add.at(qc, (start, which), a * a)
    np.add.at(qc, (end + 1, which), -a * a)
    gc, qc = np.cumsum(gc, axis=0)[:-1], np.cumsum(qc, axis=0)[:-1]
    k_code = float((gc * gc - qc).sum())
    return rho * k_all + (1.0 - rho) * k_code


@dataclass(frozen=True)
class Average:
    """A group's mean, its cross-sectional and overlap-aware t-statistics."""

    n: int
    mean: float | None
    std: float | None
    t_cross: float | None
    t_overlap: float | None
    inflation: float | None  # 1 + K / n


def average(values: np.ndarray, start: np.ndarray, end: np.ndarray, cols: np.ndarray,
            n_rows: int, rho: float) -> Average:  # fmt: skip
    """Mean of ``values`` (NaN dropped) with both t-statistics (pure)."""
    ok = np.isfinite(values)
    v, s, e, c = values[ok], start[ok], end[ok], cols[ok]
    n = len(v)
    if n == 0:
        return Average(0, None, None, None, None, None)
    mean = float(v.mean())
    if n < 2:
        return Average(n, mean, None, None, None, None)
    sd = float(v.std(ddof=1))
    inflation = 1.0 + overlap_k(s, e, c, n_rows, rho) / n
    if sd == 0:
        return Average(n, mean, sd, None, None, inflation)
    se = sd / math.sqrt(n)
    return Average(n, mean, sd, mean / se, mean / (se * math.sqrt(inflation)), inflation)


# --- calendar-time portfolios -----------------------------------------------------------------


def calendar_portfolio(table: pd.DataFrame, panel: Panel, horizon: str, bench: int) -> pd.DataFrame:
    """Daily equal-weight return of the stocks held (entered, horizon not ended) minus the
    benchmark's; columns ``holdings``, ``portfolio``, ``benchmark``, ``excess``, indexed by
    session (only sessions holding at least one stock)."""
    p = plan(panel.sessions, table["published"], horizon)
    cols = panel.code_index(table["code"])
    ok = (cols >= 0) & ~p.off_axis & (p.exit > p.entry)
    t_rows, n_cols = panel.stocks.close.shape
    count = np.zeros((t_rows + 1, n_cols))
    np.add.at(count, (p.entry[ok] + 1, cols[ok]), 1.0)
    np.add.at(count, (p.exit[ok] + 1, cols[ok]), -1.0)
    count = np.cumsum(count, axis=0)[:-1]
    close, traded = panel.stocks.close, panel.stocks.traded
    pv = prev_valid(traded)
    before = np.vstack([np.full((1, n_cols), -1), pv[:-1]])
    has = traded & (before >= 0)
    safe = np.where(has, before, 0)
    r = np.where(has, close / close[safe, np.arange(n_cols)] - 1.0, 0.0)
    weight = np.where(has, count, 0.0)
    held = weight.sum(axis=1)
    b = panel.benches.close[:, bench]
    rb = np.concatenate([[np.nan], b[1:] / b[:-1] - 1.0])
    port = np.divide((weight * r).sum(axis=1), held, out=np.full(t_rows, np.nan), where=held > 0)
    frame = pd.DataFrame(
        {"holdings": held, "portfolio": port, "benchmark": rb, "excess": port - rb},
        index=panel.sessions,
    )
    return frame.loc[held > 0]


def newey_west_t(series: pd.Series, lags: int | None = None) -> tuple[float | None, int]:
    """t-statistic of the mean of ``series`` with a Newey-West (Bartlett) standard error;
    ``lags`` defaults to ``floor(4 (T / 100) ^ (2 / 9))``."""
    x = series.dropna().to_numpy(float)
    t = len(x)
    if t < 3:
        return None, 0
    lag = lags if lags is not None else int(4 * (t / 100) ** (2 / 9))
    e = x - x.mean()
    var = float(e @ e) / t
    for k in range(1, min(lag, t - 1) + 1):
        var += 2 * (1 - k / (lag + 1)) * float(e[k:] @ e[:-k]) / t
    if var <= 0:
        return None, lag
    return float(x.mean() / math.sqrt(var / t)), lag
