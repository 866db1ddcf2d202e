"""Did the report's ratings keep their promises? Pure scoring of a universe.

Public API: :func:`score_universe` and its result :class:`Scorecard` (``.to_json()`` is the
``coverbt hitrate --json`` contract), plus :func:`wilson_interval`.
"""

from coverbt.scorecard.model import IndustryScore, NameScore, RatingSummary, Scorecard
from coverbt.scorecard.score import score_universe
from coverbt.scorecard.wilson import wilson_interval

__all__ = [
    "IndustryScore",
    "NameScore",
    "RatingSummary",
    "Scorecard",
    "score_universe",
    "wilson_interval",
]
