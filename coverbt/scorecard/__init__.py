"""Did the report's ratings keep their promises? Pure scoring of a universe.

Public API: :func:`score_universe` and its result :class:`Scorecard` (``.to_json()`` is the
``coverbt hitrate --json`` contract), the :class:`Convention` it rests on,
:func:`full_scorecards` (with robustness across conventions and paper vs executable
returns), plus :func:`wilson_interval`.
"""

from coverbt.scorecard.convention import Convention
from coverbt.scorecard.full import full_scorecards
from coverbt.scorecard.model import IndustryScore, NameScore, RatingSummary, Scorecard
from coverbt.scorecard.score import score_universe
from coverbt.scorecard.wilson import wilson_interval

__all__ = [
    "Convention",
    "IndustryScore",
    "NameScore",
    "RatingSummary",
    "Scorecard",
    "full_scorecards",
    "score_universe",
    "wilson_interval",
]
