"""Did one rating keep its promise? Four verdicts from a band and an excess (pure).

- **band hit**: the excess lies inside the label's band (lower exclusive, upper inclusive,
  as :meth:`~coverbt.universe.model.RatingBand.contains`).
- **threshold hit**: the excess is at least as good as the band's near bound: ``>= lower``
  for a positive label, ``<= upper`` for a negative one; ``None`` for a neutral label.
- **direction hit**: the excess has the promised sign (``> 0`` / ``< 0``); ``None`` if neutral.
- **touch hit**: the threshold was reached at ANY close within the horizon; ``None`` if
  neutral.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from coverbt.universe.model import RatingBand


@dataclass(frozen=True)
class Verdicts:
    band_hit: bool
    threshold_hit: bool | None
    direction_hit: bool | None
    touch_hit: bool | None


def _meets(band: RatingBand, excess: float) -> bool | None:
    if band.direction > 0 and band.lower is not None:
        return excess >= band.lower
    if band.direction < 0 and band.upper is not None:
        return excess <= band.upper
    return None


def judge(band: RatingBand, excess: float, path: pd.Series) -> Verdicts:
    """The four verdicts of a name with final ``excess`` and daily excess ``path``.

    Examples
    --------
    >>> band = RatingBand(label="推荐", horizon_months=6, benchmark="000300",
    ...                   lower=0.1, upper=0.2)
    >>> judge(band, 0.05, pd.Series([0.0, 0.12, 0.05]))
    Verdicts(band_hit=False, threshold_hit=False, direction_hit=True, touch_hit=True)
    """
    direction = None if band.direction == 0 else (excess * band.direction > 0)
    touched = None
    if band.direction != 0:
        touched = any(bool(_meets(band, float(value))) for value in path) or bool(
            _meets(band, excess)
        )
    return Verdicts(
        band_hit=band.contains(excess),
        threshold_hit=_meets(band, excess),
        direction_hit=direction,
        touch_hit=touched,
    )
