"""Checks on a loaded universe that are warnings, not errors: PE against close / EPS."""

from __future__ import annotations

from dataclasses import dataclass

from coverbt.universe.model import Universe

EPS_HALF_STEP = 0.005  # EPS is printed to 2 decimals
PE_HALF_STEP = 0.05  # PE is printed to 1 decimal


@dataclass(frozen=True)
class PeMismatch:
    """A printed PE that no EPS consistent with the printed (rounded) EPS can produce."""

    index: int
    code: str
    name: str
    year: int
    printed_pe: float
    implied_low: float
    implied_high: float

    def __str__(self) -> str:
        return (
            f"names[{self.index}] {self.code} {self.name} {self.year}: PE {self.printed_pe} "
            f"is outside close/EPS = [{self.implied_low:.1f}, {self.implied_high:.1f}] "
            "allowed by the report's rounding"
        )


def implied_pe_range(close: float, eps: float) -> tuple[float, float]:
    """The PE range ``close / e`` for every ``e`` that rounds to ``eps`` (2 decimals).

    Examples
    --------
    >>> lo, hi = implied_pe_range(41.51, 0.28)
    >>> round(lo, 1), round(hi, 1)
    (145.6, 150.9)
    """
    a, b = close / (eps - EPS_HALF_STEP), close / (eps + EPS_HALF_STEP)
    if (eps - EPS_HALF_STEP) * (eps + EPS_HALF_STEP) <= 0:  # EPS may be 0: any PE fits
        return float("-inf"), float("inf")
    return min(a, b), max(a, b)


def pe_mismatches(universe: Universe) -> list[PeMismatch]:
    """Every (name, year) whose printed PE disagrees with close / EPS beyond rounding."""
    found: list[PeMismatch] = []
    for i, item in enumerate(universe.names):
        if item.close_at_price_date is None:
            continue
        for year, pe in sorted(item.pe.items()):
            eps = item.eps.get(year)
            if eps is None:
                continue
            low, high = implied_pe_range(item.close_at_price_date, eps)
            if not (low - PE_HALF_STEP <= pe <= high + PE_HALF_STEP):
                found.append(PeMismatch(i, item.code, item.name, year, pe, low, high))
    return found
