"""The scorecard's verdicts for every event at once, vectorised over a price panel (pure).

For each event and horizon this computes exactly what :func:`coverbt.scorecard.score_universe`
computes for one name (same entry, exit, suspension handling, coverage checks, benchmark
span, excess path and verdicts, under the same :class:`~coverbt.scorecard.Convention`), with
numpy index arithmetic instead of a loop: an event is a few array lookups, its excess path
one gather of at most a horizon's sessions. ``tests/events/test_scoring.py`` proves the two
equal on the shared report.

Verdicts need a band. An event whose scale states bands (a report's own scale, a broker
scale with definitions) gets all four; an event of a common scale (labels and steps only)
gets the direction verdict from the sign of its normalised step; an event whose label is
unknown gets numbers and its reason, no verdict.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from coverbt.events.panel import Panel, next_valid, prev_valid
from coverbt.horizon import parse_horizon
from coverbt.scorecard.convention import Convention

PATH_CHUNK = 8192  # events per gather of excess paths (bounds memory at ~16 MB an array)
_COVER = pd.Timedelta(days=30)
RESULT_COLUMNS = (
    "horizon", "entry_date", "exit_date", "ret", "benchmark_return", "excess", "max_excess",
    "min_excess", "band_hit", "threshold_hit", "direction_hit", "touch_hit", "reason",
)  # fmt: skip


@dataclass(frozen=True)
class Plan:
    """Session rows of each event on a panel's axis (-1 / T when off the axis)."""

    reference: np.ndarray  # last session before publication
    entry: np.ndarray  # first session after publication
    exit: np.ndarray  # last session on or before the horizon end
    off_axis: np.ndarray  # bool: the horizon ends beyond the panel's sessions


def plan(
    sessions: pd.DatetimeIndex, published: pd.Series, horizon: str, anchor: str = "entry"
) -> Plan:
    """Planned sessions of each event (:mod:`coverbt.horizon`'s rules, vectorised)."""
    days = pd.DatetimeIndex(pd.to_datetime(published)).normalize()
    axis = sessions.values
    reference = np.searchsorted(axis, days.values, side="left") - 1
    entry = np.searchsorted(axis, days.values, side="right")
    start = (
        days
        if anchor == "publication"
        else pd.DatetimeIndex(axis[np.minimum(entry, len(axis) - 1)])
    )
    target = start + parse_horizon(horizon)
    exit_ = np.searchsorted(axis, target.values, side="right") - 1
    off = (entry >= len(axis)) | (target.values > axis[-1]) | (reference < 0)
    return Plan(reference, entry, exit_, off)


def score_events(
    table: pd.DataFrame, panel: Panel, horizon: str, convention: Convention | None = None
) -> pd.DataFrame:
    """One row per event of ``table`` (same index): :data:`RESULT_COLUMNS`.

    ``table`` needs ``code``, ``published``, ``lower``, ``upper``, ``has_band``, ``step``
    and ``label_reason`` (see :func:`coverbt.events.actions.rating_table`).
    """
    conv = convention or Convention()
    n = len(table)
    out = _empty(table.index, horizon.strip().upper())
    if n == 0:
        return out
    p = plan(panel.sessions, table["published"], horizon, conv.anchor)
    cols = panel.code_index(table["code"])
    bench = panel.bench_index(conv.benchmark_code)
    reason = _reasons(table, panel, p, cols, bench, conv)
    ok = reason.isna().to_numpy()
    idx = np.flatnonzero(ok)
    nums = _numbers(panel, p, cols[idx], idx, bench, conv)
    ok_reason = nums.pop("reason")
    _write(out, idx, nums, ok_reason)
    out.loc[~ok, "reason"] = reason[~ok]
    _verdicts(out, table)
    return out


def _empty(index: pd.Index, horizon: str) -> pd.DataFrame:
    out = pd.DataFrame(index=index)
    out["horizon"] = horizon
    for column in ("entry_date", "exit_date"):
        out[column] = pd.NaT
    for column in ("ret", "benchmark_return", "excess", "max_excess", "min_excess"):
        out[column] = np.nan
    for column in ("band_hit", "threshold_hit", "direction_hit", "touch_hit"):
        out[column] = pd.array([None] * len(index), dtype="boolean")
    out["reason"] = pd.Series([None] * len(index), index=index, dtype=object)
    return out


def _reasons(
    table: pd.DataFrame, panel: Panel, p: Plan, cols: np.ndarray, bench: int, conv: Convention
) -> pd.Series:
    """Why an event has no numbers (None where it has), in the scorecard's words."""
    codes = table["code"].astype(str).to_numpy()
    reason: list[str | None] = [None] * len(table)
    axis = panel.sessions
    off_axis = (
        "the horizon ends after the last session of the trading calendar"
        if panel.as_of is None
        else f"the horizon ends after {panel.as_of.date()}, the as-of date"
    )
    for i in np.flatnonzero(p.off_axis):
        reason[i] = off_axis
    for i in np.flatnonzero(cols < 0):
        if reason[i] is None:
            code = codes[i]
            reason[i] = panel.reasons.get(code) or (
                f"not an A-share ({code}): no A-share bars" if not code.isdigit() else
                f"no daily bars for {code}"
            )  # fmt: skip
    live = np.array([i for i, r in enumerate(reason) if r is None], dtype=np.int64)
    first = p.reference[live] if conv.entry == "prior_close" else p.entry[live]
    exit_ = p.exit[live]
    lo = np.searchsorted(axis.values, (axis[first] - _COVER).values, side="left")
    hi = np.searchsorted(axis.values, (axis[exit_] + _COVER).values, side="right") - 1
    bench_label = f"benchmark {conv.benchmark_code}"
    b_has = panel.benches.has_bar[:, [bench]]
    b_msg = _coverage(b_has, np.zeros(len(live), dtype=np.int64), lo, hi, first, exit_, axis,
                      [bench_label] * len(live))  # fmt: skip
    s_msg = _coverage(panel.stocks.has_bar, cols[live], lo, hi, first, exit_, axis,
                      list(codes[live]))  # fmt: skip
    for k, i in enumerate(live):
        reason[int(i)] = b_msg[k] or s_msg[k]
    return pd.Series(reason, index=table.index, dtype=object)


def _coverage(
    has_bar: np.ndarray,
    cols: np.ndarray,
    lo: np.ndarray,
    hi: np.ndarray,
    first: np.ndarray,
    exit_: np.ndarray,
    axis: pd.DatetimeIndex,
    labels: list[str],
) -> list[str | None]:
    """:func:`coverbt.scorecard.span.check_coverage` for many windows at once."""
    nxt, prv = next_valid(has_bar), prev_valid(has_bar)
    fb, lb = nxt[lo, cols], prv[hi, cols]
    out: list[str | None] = []
    for k, label in enumerate(labels):
        if fb[k] > hi[k]:
            out.append(f"no daily bars for {label}")
        elif fb[k] > first[k]:
            out.append(f"data for {label} starts {axis[fb[k]].date()}, after the entry "
                       f"{axis[first[k]].date()}")  # fmt: skip
        elif lb[k] < exit_[k]:
            out.append(f"data for {label} ends {axis[lb[k]].date()}, before the horizon end "
                       f"{axis[exit_[k]].date()}")  # fmt: skip
        else:
            out.append(None)
    return out


def _numbers(
    panel: Panel, p: Plan, cols: np.ndarray, rows: np.ndarray, bench: int, conv: Convention
) -> dict[str, np.ndarray]:
    """Entry, exit, returns and the excess path's extremes of the covered events."""
    stocks, benches, axis = panel.stocks, panel.benches, panel.sessions
    traded = stocks.traded
    nv, pv = next_valid(traded), prev_valid(traded)
    entry_plan, exit_plan, ref = p.entry[rows], p.exit[rows], p.reference[rows]
    entry = nv[entry_plan, cols]
    exit_ = pv[exit_plan, cols]
    reason = np.full(len(rows), None, dtype=object)
    silent = entry > exit_plan
    for k in np.flatnonzero(silent):
        reason[k] = (f"{panel.codes[cols[k]]} did not trade between "
                     f"{axis[entry_plan[k]].date()} and {axis[exit_plan[k]].date()}")  # fmt: skip
    entry, exit_ = np.where(silent, entry_plan, entry), np.where(silent, entry_plan, exit_)
    if conv.entry == "prior_close":
        start = pv[ref, cols]
        lo = np.searchsorted(axis.values, (axis[p.reference[rows]] - _COVER).values, side="left")
        none = (start < lo) & ~silent
        for k in np.flatnonzero(none):
            reason[k] = (f"{panel.codes[cols[k]]} has no traded close on or before "
                         f"{axis[ref[k]].date()}")  # fmt: skip
        start = np.where(none | silent, entry, start)
        price = stocks.close[start, cols]
        b_entry = benches.close[start, bench]
    else:
        start, price = entry, stocks.open[entry, cols]
        b_entry = benches.open[entry, bench]
    b_label = f"benchmark {conv.benchmark_code}"
    bars = benches.has_bar[:, bench]
    for k in np.flatnonzero(reason == None):  # noqa: E711 (an object array)
        for day in (start[k], exit_[k]):
            if not bars[day]:
                reason[k] = f"{b_label} has no bar on {axis[day].date()}"
                break
        else:
            if not np.isfinite(b_entry[k]):
                field = "close" if conv.entry == "prior_close" else "open"
                reason[k] = f"{b_label} has no {field} on {axis[start[k]].date()}"
    ret = stocks.close[exit_, cols] / price - 1.0
    bret = benches.close[exit_, bench] / b_entry - 1.0
    excess = conv.excess_of(ret, bret) if conv.excess == "difference" else (ret - bret) / (1 + bret)
    hi_ex, lo_ex = _path_extremes(stocks, benches.close[:, bench], cols, entry, exit_, price,
                                  b_entry, conv.excess == "ratio")  # fmt: skip
    hi_ex = np.where(np.isnan(hi_ex), excess, hi_ex)
    lo_ex = np.where(np.isnan(lo_ex), excess, lo_ex)
    return {"entry_date": axis[start].values, "exit_date": axis[exit_].values, "ret": ret,
            "benchmark_return": bret, "excess": excess, "max_excess": hi_ex,
            "min_excess": lo_ex, "reason": reason}  # fmt: skip


def _path_extremes(
    stocks: object,
    bench_close: np.ndarray,
    cols: np.ndarray,
    entry: np.ndarray,
    exit_: np.ndarray,
    price: np.ndarray,
    b_entry: np.ndarray,
    ratio: bool,
) -> tuple[np.ndarray, np.ndarray]:
    """Max and min of the excess at every traded close in ``[entry, exit]`` (NaN: none)."""
    close = stocks.close  # type: ignore[attr-defined]
    n = len(cols)
    hi, lo = np.full(n, np.nan), np.full(n, np.nan)
    last = close.shape[0] - 1
    for a in range(0, n, PATH_CHUNK):
        b = min(n, a + PATH_CHUNK)
        length = np.maximum(exit_[a:b] - entry[a:b] + 1, 0)
        width = int(length.max()) if b > a else 0
        if width == 0:
            continue
        steps = np.arange(width)
        rows = np.minimum(entry[a:b, None] + steps, last)
        inside = steps < length[:, None]
        r = close[rows, cols[a:b, None]] / price[a:b, None] - 1.0
        m = bench_close[rows] / b_entry[a:b, None] - 1.0
        path = (r - m) / (1.0 + m) if ratio else r - m
        path = np.where(inside & np.isfinite(path), path, np.nan)
        any_ = np.asarray(np.isfinite(path).any(axis=1))
        filled = np.where(any_[:, None], path, 0.0)
        hi[a:b] = np.where(any_, np.nanmax(filled, axis=1), np.nan)
        lo[a:b] = np.where(any_, np.nanmin(filled, axis=1), np.nan)
    return hi, lo


def _write(out: pd.DataFrame, idx: np.ndarray, nums: dict[str, np.ndarray], reason: np.ndarray):
    good = np.array([r is None for r in reason], dtype=bool)
    rows = out.index[idx[good]]
    for key, values in nums.items():
        out.loc[rows, key] = values[good]
    bad = out.index[idx[~good]]
    out.loc[bad, "reason"] = reason[~good]


def _verdicts(out: pd.DataFrame, table: pd.DataFrame) -> None:
    """Band, threshold, direction and touch (as :func:`coverbt.scorecard.verdicts.judge`)."""
    ex = out["excess"].to_numpy(float)
    done = np.isfinite(ex)
    lower = table["lower"].to_numpy(float)
    upper = table["upper"].to_numpy(float)
    banded = table["has_band"].to_numpy(bool) & done
    step = table["step"].astype("Float64").to_numpy(dtype=float, na_value=np.nan)
    sign = np.where(
        banded,
        np.where(np.isfinite(lower) & (lower >= 0), 1, np.where(np.isfinite(upper) & (upper <= 0),
                                                                 -1, 0)),
        np.sign(np.nan_to_num(step)),
    )  # fmt: skip
    known = done & (banded | np.isfinite(step))
    direction = np.where(sign != 0, ex * sign > 0, False)
    _set(out, "direction_hit", known & (sign != 0), direction)
    inside = (~np.isfinite(lower) | (ex > lower)) & (~np.isfinite(upper) | (ex <= upper))
    _set(out, "band_hit", banded, inside)
    up = sign > 0
    meets = np.where(up, ex >= lower, ex <= upper)
    thresh_ok = banded & (((sign > 0) & np.isfinite(lower)) | ((sign < 0) & np.isfinite(upper)))
    _set(out, "threshold_hit", thresh_ok, meets)
    best = np.where(up, out["max_excess"].to_numpy(float), out["min_excess"].to_numpy(float))
    touched = np.where(up, best >= lower, best <= upper) | meets
    _set(out, "touch_hit", thresh_ok, touched)
    unknown = done & ~known
    current = out["reason"].to_numpy(object).copy()
    current[unknown] = table["label_reason"].to_numpy(object)[unknown]
    out["reason"] = current


def _set(out: pd.DataFrame, column: str, where: np.ndarray, values: np.ndarray) -> None:
    result = pd.array([None] * len(out), dtype="boolean")
    result[where] = values[where]
    out[column] = result
