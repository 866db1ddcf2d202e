"""Headline numbers of a run, computed from its equity curve (pure)."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd


def total_return(values: pd.Series) -> float:
    """Last value over first value, minus one.

    Examples
    --------
    >>> total_return(pd.Series([1.0, 1.1, 1.25]))
    0.25
    """
    return float(values.iloc[-1] / values.iloc[0] - 1.0)


def max_drawdown(values: pd.Series) -> float:
    """Deepest fall from a running peak (a negative number, 0 when none).

    Examples
    --------
    >>> max_drawdown(pd.Series([1.0, 1.2, 0.9, 1.3]))
    -0.25
    """
    return float((values / values.cummax() - 1.0).min())


@dataclass(frozen=True)
class RunSummary:
    start: str
    end: str
    total_return: float
    csi300_return: float
    sw_computer_return: float
    max_drawdown: float

    @property
    def excess_csi300(self) -> float:
        return self.total_return - self.csi300_return

    @property
    def excess_sw_computer(self) -> float:
        return self.total_return - self.sw_computer_return


def summarise_equity(equity: pd.DataFrame, start: str | None = None) -> RunSummary:
    """The :class:`RunSummary` of an ``equity.csv`` frame (portfolio, csi300, sw_computer).

    ``start`` is the first session held (the manifest's ``start``). ``equity.csv``'s first
    row is the 1.0 baseline dated the session *before* the entry open, so its date is not
    when the run started trading; it is used only when no ``start`` is given.
    """
    return RunSummary(
        start=start or equity.index[0].date().isoformat(),
        end=equity.index[-1].date().isoformat(),
        total_return=total_return(equity["portfolio"]),
        csi300_return=total_return(equity["csi300"]),
        sw_computer_return=total_return(equity["sw_computer"]),
        max_drawdown=max_drawdown(equity["portfolio"]),
    )
