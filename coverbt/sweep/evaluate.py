"""One sweep point, from strategy variant to its row: plan, compiled engine, metrics.

A :class:`SweepContext` is what every worker needs: where the cache and the workspace's
files are, and the base strategy. It is small and picklable; on first use in a process it
opens the parquet cache once and keeps, for the tasks that follow, every panel read
(:class:`~coverbt.strategy.panel.PanelMemo`), every prepared window
(:func:`coverbt.engine.prepare`) and every benchmark window. Dask scatters the context
once per worker, so a worker reads the cache once, never per task.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from coverbt.errors import CoverbtError
from coverbt.sweep.grid import Combo, variant

STATUS_OK = "ok"


@dataclass
class SweepContext:
    cache_dir: Path
    universe_dir: Path
    strategy_file: Path
    sweep_file: Path | None = None
    default_universe: str = "pingan_computer_2024_midyear"  # a file stem in universe_dir
    _state: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state["_state"] = {}  # caches stay in the process that built them
        return state

    def _get(self, key: str, make: Any) -> Any:
        if key not in self._state:
            self._state[key] = make()
        return self._state[key]

    @property
    def market(self) -> Any:
        from coverbt.data.store import open_store

        return self._get("market", lambda: open_store(self.cache_dir, seed=False))

    @property
    def base(self) -> Any:
        from coverbt.strategy.spec import load_strategy

        return self._get("base", lambda: load_strategy(self.strategy_file))

    def universe(self, stem: str) -> Any:
        from coverbt.universe.load import load_universe

        universes = self._get("universes", dict)
        if stem not in universes:
            universes[stem] = load_universe(self.universe_dir / f"{stem}.yaml")
        return universes[stem]

    @property
    def panels(self) -> Any:
        from coverbt.strategy.panel import PanelMemo

        return self._get("panels", PanelMemo)

    def ratings(self) -> Any:
        from coverbt.revisions.ledger import Ledger
        from coverbt.strategy.ratings import LedgerRatings

        return self._get("ratings", lambda: LedgerRatings(Ledger.in_cache(self.cache_dir)))


def evaluate(ctx: SweepContext, combo: Combo) -> dict[str, Any]:
    """The row of one point: its parameters, universe, period, status and metrics."""
    row: dict[str, Any] = {"combo_id": combo.id, "universe": combo.universe}
    row["period"] = combo.period.label
    row.update({f"param.{k}": cell(v) for k, v in combo.params})
    try:
        row.update(_run(ctx, combo))
        row["status"] = STATUS_OK
    except CoverbtError as exc:  # a point with no trade or no data is a result, not a crash
        row["status"] = f"error: {exc}"
    return row


def evaluate_chunk(ctx: SweepContext, combos: list[Combo]) -> list[dict[str, Any]]:
    """:func:`evaluate` of each of ``combos`` (one task)."""
    return [evaluate(ctx, combo) for combo in combos]


def cell(value: Any) -> str:
    """A parameter value as a parquet cell: text as it is, anything else as JSON (``null``,
    ``-0.1``), so one column holds one type whatever the grid lists."""
    return value if isinstance(value, str) else json.dumps(value)


def _run(ctx: SweepContext, combo: Combo) -> dict[str, Any]:
    from coverbt.backtest.run import benchmark_values
    from coverbt.engine import prepare, run_fast
    from coverbt.reports.window import sessions_per_year
    from coverbt.strategy.plan import build_plan
    from coverbt.sweep.metrics import run_metrics

    spec = variant(ctx.base, combo, ctx.sweep_file)
    ratings = ctx.ratings() if spec.exit.on_rating_change else None
    plan, panel = build_plan(
        spec,
        ctx.universe(combo.universe),
        ctx.market,
        start=combo.period.start,
        end=combo.period.end,
        ratings=ratings,
        panels=ctx.panels,
    )
    key = (
        id(panel), plan.start, plan.end, plan.profile.name,
        tuple((c, i.board) for c, i in sorted(plan.instruments.items())),
    )  # fmt: skip
    prepared = ctx._get("prepared", dict)
    if key not in prepared:
        prepared[key] = prepare(plan, panel)
    run = run_fast(plan, panel, prepared=prepared[key], provenance=False)
    bench = ctx._get("benchmarks", dict)
    window = (plan.start, plan.end)
    if window not in bench:
        sessions = pd.DatetimeIndex(run.equity.index)
        values, _meta = benchmark_values(ctx.market, plan.start, plan.end, sessions)
        per_year, _how = sessions_per_year(plan.start, plan.end)
        bench[window] = ({k: float(values[k].iloc[-1] - 1.0) for k in values}, per_year)
    totals, per_year = bench[window]
    names = len({c for d in plan.decisions for c, w in d.weights.items() if w > 0})
    out: dict[str, Any] = run_metrics(run.equity, plan.capital, totals, run.result, names, per_year)
    out["start"] = pd.Timestamp(plan.start).date().isoformat()
    out["end"] = pd.Timestamp(plan.end).date().isoformat()
    out["final_value"] = run.result.final_value
    return out
