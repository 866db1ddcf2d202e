"""Does a verdict survive another reading of the promise? Verdicts under every convention.

Each name is scored under every convention of
:func:`~coverbt.scorecard.convention.alternatives` (anchor x entry price x excess x the CSI
300 price and total-return benchmarks: 16 readings). A name whose band verdict is a hit
under some readings and a miss under others is **fragile**. Each rating's band-hit rate is
given as the range (min..max) across the readings, beside the chosen convention's rate.

Pure: reads only through :class:`~coverbt.scorecard.score.Frames`.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from coverbt.data.provider import MarketData
from coverbt.errors import DataUnavailableError
from coverbt.scorecard.convention import Convention, alternatives
from coverbt.scorecard.model import Scorecard
from coverbt.scorecard.score import Frames, frames_for, score_universe
from coverbt.universe.model import Universe


@dataclass(frozen=True)
class NameRobustness:
    """One name's band verdict under each convention (by tag); ``None`` = no verdict."""

    code: str
    rating: str | None
    verdicts: dict[str, bool | None]
    excess: dict[str, float | None]

    @property
    def hits(self) -> int:
        return sum(v is True for v in self.verdicts.values())

    @property
    def judged(self) -> int:
        return sum(v is not None for v in self.verdicts.values())

    @property
    def fragile(self) -> bool:
        """A hit under some conventions and a miss under others."""
        return 0 < self.hits < self.judged

    def to_json(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "rating": self.rating,
            "fragile": self.fragile,
            "band_hits": self.hits,
            "judged": self.judged,
            "band_hit": self.verdicts,
            "excess": self.excess,
        }


@dataclass(frozen=True)
class RatingRange:
    """A rating's band-hit rate under the chosen convention and its range across all."""

    rating: str
    chosen: float | None
    low: float | None
    high: float | None
    low_at: str | None  # tag of a convention giving the low
    high_at: str | None
    counts: dict[str, tuple[int, int]]  # tag -> (band hits, n)

    def to_json(self) -> dict[str, Any]:
        return {
            "rating": self.rating,
            "band_hit_rate": self.chosen,
            "low": self.low,
            "high": self.high,
            "low_at": self.low_at,
            "high_at": self.high_at,
            "band_hits": {tag: {"hits": h, "n": n} for tag, (h, n) in self.counts.items()},
        }


@dataclass(frozen=True)
class Robustness:
    conventions: list[Convention]
    names: list[NameRobustness]
    ratings: list[RatingRange]
    skipped: dict[str, str]  # tag -> why a convention could not be scored

    def name(self, code: str) -> NameRobustness:
        return next(item for item in self.names if item.code == code)

    def rating(self, label: str) -> RatingRange:
        return next(item for item in self.ratings if item.rating == label)

    @property
    def fragile(self) -> list[str]:
        return [item.code for item in self.names if item.fragile]

    def to_json(self) -> dict[str, Any]:
        return {
            "conventions": [c.to_json() for c in self.conventions],
            "fragile": self.fragile,
            "names": [item.to_json() for item in self.names if item.judged],
            "by_rating": [item.to_json() for item in self.ratings],
            "skipped": self.skipped,
        }


def _rate(hits: int, n: int) -> float | None:
    return hits / n if n else None


def _ranges(cards: dict[str, Scorecard], chosen: str) -> list[RatingRange]:
    out: list[RatingRange] = []
    for row in cards[chosen].by_rating:
        counts = {
            tag: next(
                ((r.band_hits, r.n) for r in card.by_rating if r.rating == row.rating), (0, 0)
            )
            for tag, card in cards.items()
        }
        rated = {tag: _rate(*hn) for tag, hn in counts.items() if hn[1]}
        low_at = min(rated, key=lambda t: rated[t] or 0.0) if rated else None
        high_at = max(rated, key=lambda t: rated[t] or 0.0) if rated else None
        out.append(
            RatingRange(
                rating=row.rating,
                chosen=row.band_hit_rate,
                low=rated[low_at] if low_at else None,
                high=rated[high_at] if high_at else None,
                low_at=low_at,
                high_at=high_at,
                counts=counts,
            )
        )
    return out


def assess(cards: dict[str, Scorecard], chosen: str, skipped: dict[str, str]) -> Robustness:
    """Robustness from scorecards keyed by convention tag (``chosen`` is one of the tags)."""
    names = [
        NameRobustness(
            code=item.code,
            rating=item.rating,
            verdicts={tag: card.names[i].band_hit for tag, card in cards.items()},
            excess={tag: card.names[i].excess for tag, card in cards.items()},
        )
        for i, item in enumerate(cards[chosen].names)
    ]
    return Robustness(
        conventions=[card.convention for card in cards.values()],
        names=names,
        ratings=_ranges(cards, chosen),
        skipped=skipped,
    )


def robust_scorecard(
    universe: Universe,
    market: MarketData,
    horizon: str,
    chosen: Convention,
    *,
    frames: Frames | None = None,
) -> Scorecard:
    """The scorecard under ``chosen`` with its :class:`Robustness` attached.

    A convention whose benchmark is missing from the data (an old cache without H00300)
    is skipped and named in ``robustness.skipped``; the chosen one must score.
    """
    frames = frames or frames_for(universe, market, [horizon])
    card = score_universe(universe, market, horizon, convention=chosen, frames=frames)
    cards = {str(chosen): card}
    skipped: dict[str, str] = {}
    for other in alternatives(chosen)[1:]:
        try:
            cards[str(other)] = score_universe(
                universe, market, horizon, convention=other, frames=frames
            )
        except DataUnavailableError as exc:
            skipped[str(other)] = str(exc)
    return replace(card, robustness=assess(cards, str(chosen), skipped))
