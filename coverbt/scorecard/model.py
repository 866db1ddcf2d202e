"""The scorecard's typed result and its JSON contract (``coverbt hitrate --json``)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from coverbt.scorecard.convention import Convention

if TYPE_CHECKING:
    from coverbt.scorecard.executable import Executable
    from coverbt.scorecard.robustness import Robustness


def _day(value: dt.date | None) -> str | None:
    return value.isoformat() if value is not None else None


@dataclass(frozen=True)
class NameScore:
    """One covered name over one horizon. Numbers are ``None`` when ``reason`` says why."""

    code: str
    name: str
    rating: str | None  # the scale label, "-" for an unrated table row, 建议关注 for prose only
    scored: bool  # True when ``rating`` is a label of the scale (verdicts apply)
    entry_date: dt.date | None = None
    exit_date: dt.date | None = None
    ret: float | None = None
    benchmark_return: float | None = None
    excess: float | None = None
    band_hit: bool | None = None
    threshold_hit: bool | None = None
    direction_hit: bool | None = None
    touch_hit: bool | None = None
    max_excess: float | None = None  # best excess at any close (drives the touch verdict)
    reason: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "name": self.name,
            "rating": self.rating,
            "entry_date": _day(self.entry_date),
            "exit_date": _day(self.exit_date),
            "return": self.ret,
            "benchmark_return": self.benchmark_return,
            "excess": self.excess,
            "band_hit": self.band_hit,
            "threshold_hit": self.threshold_hit,
            "direction_hit": self.direction_hit,
            "touch_hit": self.touch_hit,
            "reason": self.reason,
        }


@dataclass(frozen=True)
class RatingSummary:
    """Hits of one label; ``n`` counts the names with data (others are in ``missing``)."""

    rating: str
    n: int
    band_hits: int
    threshold_hits: int
    direction_hits: int
    touch_hits: int
    missing: int
    ci_low: float | None
    ci_high: float | None

    @property
    def band_hit_rate(self) -> float | None:
        return self.band_hits / self.n if self.n else None

    def to_json(self) -> dict[str, Any]:
        return {
            "rating": self.rating,
            "n": self.n,
            "band_hits": self.band_hits,
            "threshold_hits": self.threshold_hits,
            "direction_hits": self.direction_hits,
            "touch_hits": self.touch_hits,
            "band_hit_rate": self.band_hit_rate,
            "ci_low": self.ci_low,
            "ci_high": self.ci_high,
        }


@dataclass(frozen=True)
class IndustryScore:
    """The industry rating: the industry index against the market over the same horizon."""

    rating: str
    index_code: str
    benchmark_code: str
    index_return: float | None = None
    benchmark_return: float | None = None
    excess: float | None = None
    hit: bool | None = None
    reason: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "rating": self.rating,
            "index": self.index_code,
            "index_return": self.index_return,
            "benchmark_return": self.benchmark_return,
            "excess": self.excess,
            "hit": self.hit,
            "reason": self.reason,
        }


@dataclass(frozen=True)
class Scorecard:
    """Every name's verdicts, the per-rating hit rates and the industry verdict."""

    report_id: str
    horizon: str
    benchmark: str
    benchmark_code: str
    planned_entry: dt.date
    planned_exit: dt.date
    names: list[NameScore]
    by_rating: list[RatingSummary]
    industry: IndustryScore
    bands: dict[str, tuple[float | None, float | None]] = field(default_factory=dict)
    convention: Convention = field(default_factory=Convention)
    robustness: Robustness | None = None  # verdicts under every convention
    executable: list[Executable] | None = None  # paper vs executable, per name

    @property
    def caption(self) -> str:
        """Which convention the numbers rest on, in one line."""
        return f"convention {self.convention}: {self.convention.describe()}"

    def to_json(self) -> dict[str, Any]:
        """The ``coverbt hitrate --json`` contract (issue 5) plus ``reason`` fields."""
        return {
            "report": self.report_id,
            "horizon": self.horizon,
            "benchmark": self.benchmark,
            "benchmark_code": self.benchmark_code,
            "names": [item.to_json() for item in self.names],
            "by_rating": [item.to_json() for item in self.by_rating],
            "industry": self.industry.to_json(),
            "convention": self.convention.to_json(),
            **({"robustness": self.robustness.to_json()} if self.robustness else {}),
            **(
                {"executable": [item.to_json() for item in self.executable]}
                if self.executable is not None
                else {}
            ),
        }
