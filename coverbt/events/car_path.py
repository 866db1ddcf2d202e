"""The mean CAR path of a group of events in event time, with a confidence band (pure).

Day ``-pre`` .. the horizon end, market-adjusted by default (the abnormal returns of
:mod:`coverbt.events.event_study`): an event's path at day ``k`` is the sum of its abnormal
returns from day ``-pre`` to day ``k``, so its last point is its CAR. Horizons are calendar
spans, so windows differ by a few sessions (holidays): a group's path stops at its shortest
window, so that every day averages the same events (``n``) and the line never jumps where
an event drops out. The band is ``mean +/- z * s / sqrt(n) * sqrt(inflation)``,
with the group's overlap inflation of the CAR at the horizon (``1 + K / n``, see
:func:`coverbt.events.event_study.average`): events that share calendar days widen it.
"""

from __future__ import annotations

from dataclasses import dataclass
from statistics import NormalDist

import numpy as np
import pandas as pd

from coverbt.data.provider import CSI300
from coverbt.events import event_study as es
from coverbt.events.panel import Panel

LEVEL = 0.95
_CHUNK = 4096  # events per gather of paths (bounds memory at ~8 MB an array for 12M)


@dataclass(frozen=True)
class CarPath:
    """One group's mean CAR per event day (arrays of one length, ``days[0] == -pre``)."""

    group: str
    horizon: str
    adjustment: str
    events: int  # events of the group (with or without a CAR)
    average: es.Average  # of the CAR at the horizon, with both t-statistics
    days: np.ndarray
    n: np.ndarray
    mean: np.ndarray
    low: np.ndarray
    high: np.ndarray

    def to_frame(self) -> pd.DataFrame:
        """``group, horizon, adjustment, day, n, mean, low, high``: one row per event day."""
        return pd.DataFrame(
            {"group": self.group, "horizon": self.horizon, "adjustment": self.adjustment,
             "day": self.days, "n": self.n, "mean": self.mean, "low": self.low,
             "high": self.high}
        )  # fmt: skip


def event_paths(
    table: pd.DataFrame,
    panel: Panel,
    horizon: str,
    adjustment: str = "market",
    pre: int = es.PRE_DAYS,
) -> tuple[pd.DataFrame, np.ndarray]:
    """Every event's returns (:func:`~coverbt.events.event_study.event_returns`) and its CAR
    path: an ``(events, days)`` array, NaN past its window's end or without a CAR."""
    got = es.event_returns(table, panel, horizon, adjustment, pre)
    axis = panel.sessions
    start = axis.get_indexer(pd.DatetimeIndex(got["start"]))
    length = (axis.get_indexer(pd.DatetimeIndex(got["end"])) - start + 1).clip(min=0)
    ok = got["car"].notna().to_numpy()
    width = int(length[ok].max()) if ok.any() else 0
    paths = np.full((len(table), width), np.nan)
    cols = panel.code_index(table["code"])
    benches = got["benchmark"].to_numpy(object)
    for code in sorted({b for b in benches[ok]}):
        ar, _bad = es.abnormal_matrix(panel, panel.bench_index(str(code)))
        cum = np.vstack([np.zeros((1, ar.shape[1])), np.cumsum(ar, axis=0)])
        rows = np.flatnonzero(ok & (benches == code))
        for chunk in np.array_split(rows, max(1, len(rows) // _CHUNK + 1)):
            offset = np.arange(width)
            at = np.minimum(start[chunk, None] + offset + 1, len(cum) - 1)
            path = cum[at, cols[chunk, None]] - cum[start[chunk], cols[chunk]][:, None]
            paths[chunk] = np.where(offset < length[chunk, None], path, np.nan)
    return got, paths


def car_paths(
    table: pd.DataFrame,
    panel: Panel,
    horizon: str,
    *,
    by: str = "label",
    adjustment: str = "market",
    pre: int = es.PRE_DAYS,
    level: float = LEVEL,
) -> list[CarPath]:
    """The mean CAR path of each group of ``table[by]``, groups by event count (largest
    first, then by name); see the module docstring for the band."""
    got, paths = event_paths(table, panel, horizon, adjustment, pre)
    axis = panel.sessions
    start = axis.get_indexer(pd.DatetimeIndex(got["start"]))
    end = axis.get_indexer(pd.DatetimeIndex(got["end"]))
    cols = panel.code_index(table["code"])
    rho = es.average_correlation(panel, panel.bench_index(CSI300), cols, slice(None))
    z = NormalDist().inv_cdf(0.5 + level / 2)
    car = got["car"].to_numpy(float)
    out = []
    for group, found in table.groupby(by, sort=True).indices.items():
        idx = np.asarray(found, dtype=np.int64)
        average = es.average(car[idx], start[idx], end[idx], cols[idx], len(axis), rho)
        out.append(_summarise(str(group), horizon, adjustment, paths[idx], average, pre, z))
    out.sort(key=lambda p: (-p.events, p.group))
    return out


def _summarise(group: str, horizon: str, adjustment: str, paths: np.ndarray,
               average: es.Average, pre: int, z: float) -> CarPath:  # fmt: skip
    valid = np.isfinite(paths)
    n = valid.sum(axis=0)
    keep = (n > 0) & (n == (n[0] if len(n) else 0))  # the days every event reaches
    paths, valid, n = paths[:, keep], valid[:, keep], n[keep]
    total = np.where(valid, paths, 0.0).sum(axis=0)
    mean = total / np.maximum(n, 1)
    dev = np.where(valid, paths - mean, 0.0)
    var = np.divide((dev**2).sum(axis=0), n - 1, out=np.full(len(n), np.nan), where=n > 1)
    half = z * np.sqrt(var / np.maximum(n, 1) * (average.inflation or 1.0))
    days = np.arange(len(n)) - pre
    return CarPath(group, horizon.upper(), adjustment, len(paths), average, days,
                   n, mean, mean - half, mean + half)  # fmt: skip
