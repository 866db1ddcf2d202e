"""Hit rates of scored events by broker, analyst, label, step, industry, month or action
(pure functions of the scored table).

Every group shows its count. A rate and its Wilson 95% interval are shown only from
``min_count`` scored events on (:data:`DEFAULT_MIN_COUNT`); below that the counts stand
alone. ``n`` counts events with a number (the others are in ``missing``, with their
reasons); the band, threshold and touch rates count only events whose scale states a band
(``n_band``), the direction rate every event with a known step (``n_direction``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from coverbt.scorecard.wilson import wilson_interval

DEFAULT_MIN_COUNT = 5
GROUPINGS: dict[str, str] = {
    "broker": "broker",
    "analyst": "analyst",
    "label": "label",
    "step": "step_name",
    "industry": "industry",
    "month": "month",
    "action": "action",
}


@dataclass(frozen=True)
class GroupRate:
    """Hits of one group at one horizon."""

    by: str
    group: str
    horizon: str
    events: int
    n: int
    missing: int
    n_band: int
    band_hits: int
    threshold_hits: int
    touch_hits: int
    n_direction: int
    direction_hits: int
    mean_excess: float | None
    band_rate: float | None
    band_ci: tuple[float, float] | None
    direction_rate: float | None
    direction_ci: tuple[float, float] | None

    def to_json(self) -> dict[str, Any]:
        return {
            "by": self.by, "group": self.group, "horizon": self.horizon,
            "events": self.events, "n": self.n, "missing": self.missing,
            "n_band": self.n_band, "band_hits": self.band_hits,
            "threshold_hits": self.threshold_hits, "touch_hits": self.touch_hits,
            "n_direction": self.n_direction, "direction_hits": self.direction_hits,
            "mean_excess": self.mean_excess,
            "band_hit_rate": self.band_rate,
            "band_ci": list(self.band_ci) if self.band_ci else None,
            "direction_hit_rate": self.direction_rate,
            "direction_ci": list(self.direction_ci) if self.direction_ci else None,
        }  # fmt: skip


def _rate(hits: int, n: int, min_count: int) -> tuple[float | None, tuple[float, float] | None]:
    if n < max(min_count, 1):
        return None, None
    return hits / n, wilson_interval(hits, n)


def group_rates(
    scored: pd.DataFrame, by: str, min_count: int = DEFAULT_MIN_COUNT
) -> list[GroupRate]:
    """One :class:`GroupRate` per group and horizon, groups by count (largest first).

    ``scored`` is a rating table joined with :func:`coverbt.events.scoring.score_events`'
    columns (one row per event and horizon).
    """
    if by not in GROUPINGS:
        raise ValueError(f"by must be one of {sorted(GROUPINGS)}, not {by!r}")
    frame = scored
    if by == "analyst":
        frame = scored.assign(analyst=scored["analyst_list"]).explode("analyst")
        frame["analyst"] = frame["analyst"].fillna("(no analyst named)")
    column = GROUPINGS[by]
    keys = frame[column].astype(object).where(frame[column].notna(), "(unknown)").astype(str)
    out: list[GroupRate] = []
    for (group, horizon), part in frame.groupby([keys, frame["horizon"]], sort=False):
        out.append(_summarise(by, str(group), str(horizon), part, min_count))
    order = {h: i for i, h in enumerate(dict.fromkeys(frame["horizon"]))}
    out.sort(key=lambda g: (order[g.horizon], -g.events, g.group))
    return out


def _summarise(by: str, group: str, horizon: str, part: pd.DataFrame, min_count: int) -> GroupRate:
    done = part["excess"].notna().to_numpy()
    band = part["band_hit"].notna().to_numpy() & done
    direction = part["direction_hit"].notna().to_numpy() & done
    n, n_band, n_dir = int(done.sum()), int(band.sum()), int(direction.sum())

    def hits(column: str, mask: np.ndarray) -> int:
        return int(part[column].to_numpy(dtype=object)[mask].astype(bool).sum())

    band_hits, dir_hits = hits("band_hit", band), hits("direction_hit", direction)
    band_rate, band_ci = _rate(band_hits, n_band, min_count)
    dir_rate, dir_ci = _rate(dir_hits, n_dir, min_count)
    return GroupRate(
        by=by, group=group, horizon=horizon, events=len(part), n=n, missing=len(part) - n,
        n_band=n_band, band_hits=band_hits, threshold_hits=hits("threshold_hit", band),
        touch_hits=hits("touch_hit", band), n_direction=n_dir, direction_hits=dir_hits,
        mean_excess=float(part["excess"].mean()) if n else None,
        band_rate=band_rate, band_ci=band_ci, direction_rate=dir_rate, direction_ci=dir_ci,
    )  # fmt: skip
