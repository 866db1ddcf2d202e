"""The whole scorecard of ``coverbt hitrate``: the chosen convention, its robustness across
every other convention, and paper vs executable returns (one read of each series)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from coverbt.data.provider import MarketData
from coverbt.scorecard.convention import Convention
from coverbt.scorecard.executable import executable_scores
from coverbt.scorecard.model import Scorecard
from coverbt.scorecard.robustness import robust_scorecard
from coverbt.scorecard.score import check_horizon, frames_for, resolve
from coverbt.universe.model import Universe


def full_scorecards(
    universe: Universe,
    market: MarketData,
    horizons: Sequence[str],
    convention: Convention | None = None,
    *,
    notional: float | None = None,
) -> list[Scorecard]:
    """One scorecard per horizon with ``robustness`` and ``executable`` filled in.

    ``convention`` defaults to the universe file's; ``notional`` (CNY per name) to the
    strategy default capital over the number of A-share names
    (:func:`~coverbt.scorecard.executable.default_notional`).
    """
    chosen = resolve(universe, None, convention)
    for horizon in horizons:
        check_horizon(horizon)
    frames = frames_for(universe, market, horizons)
    out: list[Scorecard] = []
    for horizon in horizons:
        card = robust_scorecard(universe, market, horizon, chosen, frames=frames)
        paper = executable_scores(universe, card, frames, notional=notional)
        out.append(replace(card, executable=paper))
    return out
