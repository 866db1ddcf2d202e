"""What an engine returns, whichever engine ran: fills, refusals, final value, provenance.

Both engines (backtrader, :mod:`coverbt.backtest.bt_engine`, and the compiled one,
:mod:`coverbt.engine`) fill orders through the same market rules and return an
:class:`EngineResult`; the ledger, reports and omissions read only this.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from coverbt.data.schema import Adjust
from coverbt.market.corporate import ActionEffect
from coverbt.market.execution import Fill
from coverbt.market.rules import _FIT_TOLERANCE as FIT_TOLERANCE
from coverbt.market.rules import EXECUTION_PRICES, TICK, Side, grid_scale
from coverbt.strategy.panel import Panel
from coverbt.strategy.plan import Plan

_INDEX_PRICES = "index levels: a benchmark reference, no lots, price limits or fees"
# Sessions (first, last, relative to the order's) whose prices fit the qfq/raw scale with
# it: the most first, fewer when an ex-date falls among them (their scale differs). The last
# window, the session and the three after it, serves a session with no usable earlier one
# (the panel's first, or one after a holiday of one-price days): the scale only decodes the
# day's raw prices, which a trader saw that day; no later price enters the limit test.
SCALE_WINDOWS = ((-10, 0), (-3, 0), (-1, 0), (0, 3))


@dataclass(frozen=True)
class Refusal:
    day: dt.date
    code: str
    side: Side
    reason: str


@dataclass
class EngineResult:
    fills: list[Fill]
    refusals: list[Refusal]
    final_value: float
    held_at_end: dict[str, float] = field(default_factory=dict)
    execution_prices: dict[str, object] = field(default_factory=dict)
    # corporate actions credited: (the session credited in, its effect), raw-price codes only
    corporate_actions: list[tuple[dt.date, ActionEffect]] = field(default_factory=list)
    engine: str = "backtrader"


def is_adjusted(panel: Panel, code: str) -> bool:
    """Whether ``code`` executes on adjusted (qfq) prices rather than raw ones."""
    meta = panel.execution_meta.get(code) or panel.meta.get(code)
    return meta is None or meta.adjust is not Adjust.NONE


def session_scale(panel: Panel, code: str, day: pd.Timestamp) -> float | None:
    """The session's qfq/raw scale, when the adjusted prices determine it (see
    :data:`SCALE_WINDOWS` and :func:`coverbt.market.rules.grid_scale`)."""
    at = int(panel.sessions.searchsorted(day))  # sessions are unique, sorted
    return scale_at(adjusted_ohlc(panel, code), at)


def adjusted_ohlc(panel: Panel, code: str) -> np.ndarray:
    """The adjusted open, high, low and close of ``code`` (panel sessions x 4)."""
    fields = ("open", "high", "low", "close")
    return np.column_stack([panel[f][code].to_numpy(float) for f in fields])


def on_the_tick(ohlc: np.ndarray) -> bool:
    """Whether every price of ``ohlc`` is on the 0.01 tick already (a vendor that rounds its
    qfq prices): :func:`~coverbt.market.rules.grid_scale` then finds no scale in any
    window of them, so :func:`scale_at` is ``None`` everywhere."""
    prices = ohlc[~np.isnan(ohlc)]
    cents = prices / TICK
    return bool(np.all(np.abs(cents - np.round(cents)) < FIT_TOLERANCE))


def scale_at(ohlc: np.ndarray, at: int, *, rounded: bool | None = None) -> float | None:
    """:func:`session_scale` on the row ``at`` of :func:`adjusted_ohlc`'s array
    (``rounded``: :func:`on_the_tick` of the array, when the caller knows it)."""
    if rounded:
        return None
    for first, last in SCALE_WINDOWS:
        rows = ohlc[max(at + first, 0) : at + last + 1]
        prices = rows.T.ravel()  # opens, then highs, lows, closes
        found = grid_scale(prices[~np.isnan(prices)].tolist())
        if found is not None:
            return found
    return None


def execution_prices(
    plan: Plan, panel: Panel, scales: dict[tuple[str, pd.Timestamp], float | None]
) -> dict[str, object]:
    """How the run's fills and limit prices were derived (the manifest's entry).

    Per price basis (the series' adjustment): the codes, how, and for adjusted series how
    many orders at a day's extreme had their raw prices recovered (``scale_found``) or
    were judged at the base-date scale with slack (``scale_unknown``).
    """
    codes: dict[str, list[str]] = {}
    for code in sorted(c for c, i in plan.instruments.items() if i.board is not None):
        meta = panel.execution_meta.get(code) or panel.meta.get(code)
        basis = str(meta.adjust) if meta is not None else str(Adjust.QFQ)
        codes.setdefault("raw" if basis == str(Adjust.NONE) else basis, []).append(code)
    out: dict[str, object] = {
        basis: {"codes": listed, "how": EXECUTION_PRICES[basis != "raw"]}
        for basis, listed in codes.items()
    }
    if panel.raw_rejected:
        out["raw_not_used"] = dict(sorted(panel.raw_rejected.items()))
    indexes = sorted(c for c, i in plan.instruments.items() if i.board is None)
    if indexes:
        out["index"] = {"codes": indexes, "how": _INDEX_PRICES}
    if set(codes) - {"raw"}:
        found = sum(v is not None for v in scales.values())
        out["limit_tests_at_day_extreme"] = {
            "scale_found": found,
            "scale_unknown": len(scales) - found,
        }
    return out


def actions_applied(result: EngineResult) -> list[dict[str, object]]:
    """The corporate actions credited on holdings (the manifest's entry), oldest first."""
    return [
        {
            "date": day.isoformat(),
            "code": e.code,
            "ex_date": e.action.ex_date.isoformat(),
            "cash_per_share": e.action.cash_per_share,
            "new_shares_per_share": e.action.share_ratio,
            "shares_before": e.shares_before,
            "shares_added": e.shares_added,
            "cash": e.cash_net,
            "tax": e.tax,
        }
        for day, e in result.corporate_actions
    ]
