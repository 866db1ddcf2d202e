"""What a sweep records of one run: pure functions of its daily values and its fills."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from coverbt.backtest.result import EngineResult
from coverbt.market.rules import Side

METRICS = (
    "total_return", "excess_csi300", "excess_sw_computer", "volatility", "sharpe",
    "max_drawdown", "trades", "fees", "refusals", "held", "names",
)  # fmt: skip


def max_drawdown(values: np.ndarray) -> float:
    """The largest fall from a running peak, as a fraction (<= 0).

    >>> max_drawdown(np.array([1.0, 1.2, 0.9, 1.3, 1.17]))
    -0.25
    """
    if values.size == 0:
        return 0.0
    peak = np.maximum.accumulate(values)
    return float(np.min(values / peak - 1.0))


def annualised(returns: np.ndarray, per_year: int) -> tuple[float, float]:
    """Volatility and Sharpe ratio (risk-free 0) of daily ``returns``, ``per_year`` sessions.

    >>> vol, sharpe = annualised(np.array([0.01, -0.01, 0.02, 0.0]), 242)
    >>> round(vol, 4), round(sharpe, 3)
    (0.2008, 6.025)
    """
    if returns.size < 2:
        return float("nan"), float("nan")
    sd = float(np.std(returns, ddof=1))
    vol = sd * math.sqrt(per_year)
    sharpe = float(np.mean(returns)) / sd * math.sqrt(per_year) if sd > 0 else float("nan")
    return vol, sharpe


def run_metrics(
    equity: pd.Series,
    capital: float,
    benchmarks: dict[str, float],
    result: EngineResult,
    names: int,
    per_year: int,
) -> dict[str, float]:
    """The sweep's row for one run (see :data:`METRICS`).

    ``equity``: the portfolio value at each session's close (CNY); the run starts from
    ``capital`` the session before. ``benchmarks``: each benchmark's total return over the
    same window (bought at the entry open, as the backtest's own comparison).
    """
    values = np.concatenate([[capital], equity.to_numpy(float)]) / capital
    total = float(values[-1] - 1.0)
    vol, sharpe = annualised(np.diff(values) / values[:-1], per_year)
    bought = {f.code for f in result.fills if f.side is Side.BUY}
    return {
        "total_return": total,
        "excess_csi300": total - benchmarks.get("csi300", float("nan")),
        "excess_sw_computer": total - benchmarks.get("sw_computer", float("nan")),
        "volatility": vol,
        "sharpe": sharpe,
        "max_drawdown": max_drawdown(values),
        "trades": float(len(result.fills)),
        "fees": float(sum(f.fees for f in result.fills)),
        "refusals": float(len(result.refusals)),
        "held": float(len(bought)),
        "names": float(names),
    }
