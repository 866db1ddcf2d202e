"""Run a plan on the compiled engine: the same fills, refusals and fees as backtrader.

:func:`run_fast` returns the :class:`~coverbt.backtest.result.EngineResult` that
:func:`coverbt.backtest.bt_engine.run_backtrader` returns for the same plan and panel (the
equality is a property test over generated plans and every shipped strategy), in a small
fraction of the time. :func:`prepare` does the per-panel work once, so a sweep that runs
many plans over one window pays it once (:class:`Prepared`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from coverbt.backtest.result import (
    EngineResult,
    Refusal,
    adjusted_ohlc,
    execution_prices,
    on_the_tick,
    scale_at,
)
from coverbt.engine.arrays import REASONS, MarketArrays, market_arrays
from coverbt.engine.kernel import run_kernel
from coverbt.market.corporate import ActionEffect, CorporateAction
from coverbt.market.execution import Fill
from coverbt.market.rules import Side
from coverbt.strategy.panel import Panel
from coverbt.strategy.plan import Plan

_SIDES = (Side.BUY, Side.SELL)
_START_CAPACITY = 1024


@dataclass(frozen=True)
class Prepared:
    """A plan's market arrays and its events, ready for the kernel."""

    arrays: MarketArrays
    actions: tuple[tuple[str, CorporateAction], ...]  # in kernel order
    ev_session: np.ndarray
    ev_group: np.ndarray
    ev_code: np.ndarray
    ev_cash: np.ndarray
    ev_ratio: np.ndarray
    # the qfq/raw scales fitted for the manifest so far, by (code, session): plans that
    # share these arrays share them too
    scales: dict[tuple[str, pd.Timestamp], float | None] = field(default_factory=dict)
    ohlc: dict[str, tuple[np.ndarray, bool]] = field(default_factory=dict)


@dataclass(frozen=True)
class FastRun:
    """The engine's result and its daily portfolio value (cash + holdings at the close)."""

    result: EngineResult
    equity: pd.Series


def prepare(plan: Plan, panel: Panel) -> Prepared:
    """Everything of ``plan`` that does not depend on its decisions (reusable by a sweep
    whose plans share instruments, window and profile)."""
    arrays = market_arrays(plan, panel)
    column = {code: j for j, code in enumerate(arrays.codes)}
    sessions = arrays.sessions
    rows: list[tuple[dt.date, int, int, str, CorporateAction]] = []
    for code, actions in panel.actions.items():
        if code not in column:
            continue
        for order, action in enumerate(actions):
            rows.append((action.ex_date, column[code], order, code, action))
    rows.sort(key=lambda r: (r[0], r[1], r[2]))
    days = [d.date() for d in sessions]
    credited, kept = [], []
    for row in rows:
        i = _credited_in(days, row[0])
        if i is not None:
            credited.append(i)
            kept.append(row)
    groups = {day: g for g, day in enumerate(sorted({r[0] for r in kept}))}
    return Prepared(
        arrays=arrays,
        actions=tuple((r[3], r[4]) for r in kept),
        ev_session=np.array(credited, np.int64),
        ev_group=np.array([groups[r[0]] for r in kept], np.int64),
        ev_code=np.array([r[1] for r in kept], np.int64),
        ev_cash=np.array([r[4].cash_per_share for r in kept], float),
        ev_ratio=np.array([r[4].share_ratio for r in kept], float),
    )


def _credited_in(days: list[dt.date], ex_date: dt.date) -> int | None:
    """The session whose open credits an ex-date: the first on or after it (the adapter
    credits every ex-date since the previous session), None outside the window."""
    for i, day in enumerate(days):
        if day >= ex_date:
            return i if i > 0 or day == ex_date else None
    return None


def run_fast(
    plan: Plan,
    panel: Panel,
    *,
    fractional: bool = False,
    prepared: Prepared | None = None,
    provenance: bool = True,
) -> FastRun:
    """Execute ``plan`` on the compiled engine (see the module docstring).

    ``provenance=False`` leaves the result's ``execution_prices`` (the manifest's account
    of how limit prices were derived) empty: a sweep, which writes no manifest, saves the
    scale fits it needs."""
    prep = prepared or prepare(plan, panel)
    a = prep.arrays
    index = {code: j for j, code in enumerate(a.codes)}
    sessions = a.sessions
    dec_session, dec_ptr, dec_codes, dec_weights = _decisions(plan, sessions, index)
    exit_idx = np.array([sessions.searchsorted(plan.exits[c]) for c in a.codes], np.int64)
    rating_idx = np.array(
        [
            sessions.searchsorted(plan.rating_exits[c].day) if c in plan.rating_exits else -1
            for c in a.codes
        ],
        np.int64,
    )
    frac = np.array([fractional or plan.instruments[c].board is None for c in a.codes])
    stop = float("nan") if plan.stop_loss is None else float(plan.stop_loss)
    capacity = _START_CAPACITY + 4 * len(a.codes) * (len(plan.decisions) + 4)
    while True:
        out = run_kernel(
            a.open, a.close, a.last_close, a.has_bar, a.refuse, a.extreme,
            a.lot_min, a.lot_step, a.has_board, frac, a.profile_of,
            a.commission_rate, a.min_commission, a.free, a.stamp, a.transfer,
            exit_idx, rating_idx, dec_session, dec_ptr, dec_codes, dec_weights,
            stop, float(plan.capital),
            prep.ev_session, prep.ev_group, prep.ev_code, prep.ev_cash, prep.ev_ratio,
            not fractional, capacity,
        )  # fmt: skip
        if not out[-1]:
            break
        capacity *= 4
    return _result(plan, panel, prep, out, provenance)


def _decisions(
    plan: Plan, sessions: pd.DatetimeIndex, index: dict[str, int]
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    where = {day: i for i, day in enumerate(sessions)}
    ptr, codes, weights, at = [0], [], [], []
    for decision in plan.decisions:
        at.append(where.get(decision.date, -1))
        for code, weight in decision.weights.items():
            codes.append(index[code])
            weights.append(weight)
        ptr.append(len(codes))
    return (
        np.array(at, np.int64),
        np.array(ptr, np.int64),
        np.array(codes, np.int64),
        np.array(weights, float),
    )


def _result(plan: Plan, panel: Panel, prep: Prepared, out: tuple, provenance: bool) -> FastRun:
    f_int, f_num, r_int, r_num, x_int, e_int, e_num, equity, _cash, shares, seq, _ = out
    a = prep.arrays
    days = [d.date() for d in a.sessions]
    fills = [
        Fill(days[i], a.codes[j], _SIDES[s], float(n[0]), float(n[1]), float(n[2]),
             float(n[3]), float(n[4]))
        for (i, j, s), n in zip(f_int.tolist(), f_num, strict=True)
    ]  # fmt: skip
    refusals = [
        Refusal(days[i], a.codes[j], _SIDES[s], _reason(r, a.codes[j], n))
        for (i, j, s, r), n in zip(r_int.tolist(), r_num.tolist(), strict=True)
    ]
    scales: dict[tuple[str, pd.Timestamp], float | None] = {}
    stamps = list(a.sessions) if provenance else []
    first = int(panel.sessions.searchsorted(a.sessions[0])) if len(a.sessions) else 0
    for i, j in x_int.tolist() if provenance else []:
        key = (a.codes[j], stamps[i])
        if key not in prep.scales:
            if key[0] not in prep.ohlc:
                prices = adjusted_ohlc(panel, key[0])
                prep.ohlc[key[0]] = (prices, on_the_tick(prices))
            at = first + i
            prices, rounded = prep.ohlc[key[0]]
            prep.scales[key] = scale_at(prices, at, rounded=rounded)
        scales[key] = prep.scales[key]
    effects = [
        (days[i], ActionEffect(prep.actions[q][0], prep.actions[q][1], float(n[0]),
                               float(n[1]), float(n[2]), float(n[2]) * 0.0))
        for (i, q), n in zip(e_int.tolist(), e_num, strict=True)
    ]  # fmt: skip
    held_order = sorted((int(seq[j]), j) for j in range(len(a.codes)) if seq[j] >= 0)
    held = {a.codes[j]: float(shares[j]) for _, j in held_order if shares[j] > 0}
    final = float(equity[-1]) if len(equity) else float(plan.capital)
    result = EngineResult(
        fills,
        refusals,
        final,
        held,
        execution_prices(plan, panel, scales) if provenance else {},
        effects,
        engine="fast",
    )
    return FastRun(result, pd.Series(equity, index=a.sessions, name="portfolio"))


def _reason(code: int, name: str, numbers: list[float]) -> str:
    text = REASONS[code]
    if code == 10:
        return text.format(wanted=numbers[0])
    if code == 12:
        return text.format(
            shares=numbers[0], code=name, value=numbers[1], cash=numbers[2], fees=numbers[3]
        )
    return text
