"""The Wilson score interval of a hit rate (pure, no I/O)."""

from __future__ import annotations

import math

Z95 = 1.959963984540054  # two-sided 95% normal quantile


def wilson_interval(successes: int, n: int, z: float = Z95) -> tuple[float, float]:
    """Wilson score interval of the proportion ``successes / n``.

    Better than the normal approximation for the small samples of a coverage list
    (a rating with 3 names): it never leaves [0, 1] and is never empty at 0 or n hits.

    Parameters
    ----------
    successes : number of hits, ``0 <= successes <= n``.
    n : number of trials, positive.
    z : normal quantile of the confidence level (default 95%).

    Returns
    -------
    (low, high) : the interval, clipped to [0, 1].

    Examples
    --------
    >>> low, high = wilson_interval(1, 3)
    >>> round(low, 4), round(high, 4)
    (0.0615, 0.7923)
    """
    if n <= 0:
        raise ValueError(f"n must be positive, got {n}")
    if not 0 <= successes <= n:
        raise ValueError(f"successes must lie in [0, {n}], got {successes}")
    p = successes / n
    z2 = z * z
    denominator = 1.0 + z2 / n
    centre = (p + z2 / (2 * n)) / denominator
    half = z * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / denominator
    return max(0.0, min(p, centre - half)), min(1.0, max(p, centre + half))
