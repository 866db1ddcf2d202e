"""The typed context a rule stack works on at one decision date.

The context is the only door to prices: :meth:`Context.closes` returns sessions strictly
before ``as_of`` (a decision taken at the open of ``as_of`` knows the previous close, not
today's). Fundamentals come from the universe, all known on ``report.published`` which is
before every decision date.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from coverbt.universe.model import CoveredName, Universe


@dataclass
class Context:
    """State passed through a rule stack (what bt keeps in an untyped ``temp`` dict).

    Attributes
    ----------
    as_of : the session whose open the decision trades at.
    universe : the coverage list (fundamentals dated ``report.published``).
    candidates : the names that may be chosen (A-shares with data), by code.
    selected : set by Select rules, read by Weigh rules.
    weights : set by Weigh rules; fractions of the portfolio value at the open.
    """

    as_of: pd.Timestamp
    universe: Universe
    candidates: dict[str, CoveredName]
    _closes: pd.DataFrame = field(repr=False)
    _valuation: dict[str, pd.DataFrame] = field(default_factory=dict, repr=False)
    selected: list[str] = field(default_factory=list)
    weights: dict[str, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.as_of <= pd.Timestamp(self.universe.report.published):
            raise ValueError(
                f"decision date {self.as_of.date()} is not after the publication "
                f"{self.universe.report.published}: the report was not known yet"
            )

    def closes(self, lookback: int | None = None) -> pd.DataFrame:
        """Closes of the candidates on sessions strictly before ``as_of`` (last ``lookback``)."""
        seen = self._closes.loc[self._closes.index < self.as_of]
        return seen if lookback is None else seen.iloc[-lookback:]

    def valuation(self) -> pd.DataFrame:
        """Last known ``pe_ttm`` and ``pb`` per candidate before ``as_of`` (index: code)."""
        rows = {}
        for code in self.candidates:
            frame = self._valuation.get(code)
            seen = None if frame is None else frame.loc[frame.index < self.as_of]
            rows[code] = seen.iloc[-1] if seen is not None and len(seen) else pd.Series(dtype=float)
        return pd.DataFrame.from_dict(rows, orient="index").reindex(columns=["pe_ttm", "pb"])
