"""The leaderboard of rating events: hit rates per broker, analyst and label at each
horizon, and each label's mean CAR path (what ``reports/events/`` shows).

:func:`build_leaderboard` computes it from a rating table (scored once, on one panel); the
page is :func:`coverbt.reports.leaderboard.write_leaderboard`'s.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from coverbt.data.provider import CSI300, MarketData
from coverbt.events.car_path import CarPath, car_paths
from coverbt.events.hitrates import DEFAULT_MIN_COUNT, GroupRate
from coverbt.events.panel import known_until
from coverbt.events.service import hit_rates, panel_for, score_set
from coverbt.scorecard.convention import Convention

BOARD_GROUPINGS: tuple[str, ...] = ("broker", "analyst", "label")
DEFAULT_HORIZONS: tuple[str, ...] = ("1M", "3M", "6M", "12M")
CSV_COLUMNS: tuple[str, ...] = (
    "by", "group", "horizon", "events", "n", "missing", "n_band", "band_hits",
    "threshold_hits", "touch_hits", "n_direction", "direction_hits", "mean_excess",
    "band_hit_rate", "band_ci_low", "band_ci_high", "direction_hit_rate",
    "direction_ci_low", "direction_ci_high",
)  # fmt: skip


@dataclass(frozen=True)
class Leaderboard:
    """Hit rates by every grouping of :data:`BOARD_GROUPINGS`, and the CAR paths by label."""

    horizons: tuple[str, ...]
    convention: Convention
    min_count: int
    events: int
    brokers: int
    first: dt.date | None
    last: dt.date | None
    as_of: dt.date | None
    rates: dict[str, list[GroupRate]]
    paths: list[CarPath]
    reasons: list[tuple[str, int]]  # why events have no verdict, most common first
    scored: pd.DataFrame

    def rows(self) -> list[dict[str, Any]]:
        """One flat row per group and horizon (:data:`CSV_COLUMNS`)."""
        out = []
        for by in BOARD_GROUPINGS:
            for g in self.rates[by]:
                row = g.to_json()
                for name in ("band", "direction"):
                    ci = row.pop(f"{name}_ci")
                    row[f"{name}_ci_low"], row[f"{name}_ci_high"] = ci or (None, None)
                out.append({c: row[c] for c in CSV_COLUMNS})
        return out

    def to_json(self) -> dict[str, Any]:
        day = _iso
        return {
            "as_of": day(self.as_of), "first_published": day(self.first),
            "last_published": day(self.last), "events": self.events, "brokers": self.brokers,
            "horizons": list(self.horizons), "min_count": self.min_count,
            "convention": self.convention.to_json(),
            "groups": [g.to_json() for by in BOARD_GROUPINGS for g in self.rates[by]],
            "car": [_path_json(p) for p in self.paths],
            "reasons": [{"reason": r, "count": c} for r, c in self.reasons],
        }  # fmt: skip


def _iso(day: dt.date | None) -> str | None:
    return day.isoformat() if day else None


def _path_json(path: CarPath) -> dict[str, Any]:
    a = path.average
    return {
        "label": path.group, "horizon": path.horizon, "adjustment": path.adjustment,
        "events": path.events, "n": a.n, "mean": a.mean, "t_cross": a.t_cross,
        "t_overlap": path.average.t_overlap, "inflation": a.inflation,
        "path": path.to_frame()[["day", "n", "mean", "low", "high"]].to_dict("records"),
    }  # fmt: skip


def build_leaderboard(
    table: pd.DataFrame,
    market: MarketData,
    horizons: Sequence[str] = DEFAULT_HORIZONS,
    convention: Convention | None = None,
    *,
    min_count: int = DEFAULT_MIN_COUNT,
    as_of: dt.date | None = None,
) -> Leaderboard:
    """Score ``table`` (a rating table, :func:`coverbt.events.service.load_event_set`) at
    each horizon, group it, and draw each label's CAR path, market-adjusted.

    With ``as_of`` the market is cut after that day (point in time): a horizon ending
    later has no verdict yet. ``table`` should then hold no later publication.
    """
    conv = convention or Convention()
    if table.empty:
        raise ValueError("no rating events: a leaderboard needs at least one")
    benches = tuple(dict.fromkeys((conv.benchmark_code, CSI300)))
    panel = panel_for(table, market, horizons, benches)
    if as_of is not None:
        panel = known_until(panel, as_of)
    scored = score_set(table, market, horizons, conv, panel=panel)
    published = pd.to_datetime(table["published"])
    return Leaderboard(
        horizons=tuple(h.upper() for h in horizons), convention=conv, min_count=min_count,
        events=len(table), brokers=int(table["broker"].nunique()),
        first=published.min().date(), last=published.max().date(), as_of=as_of,
        rates={by: hit_rates(scored, by, min_count) for by in BOARD_GROUPINGS},
        paths=[p for h in horizons for p in car_paths(table, panel, h)],
        reasons=Counter(r for r in scored["reason"] if isinstance(r, str)).most_common(),
        scored=scored,
    )  # fmt: skip
