"""``coverbt sweep``: run a parameter sweep (grid or sample) on the compiled engine."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from coverbt.cli.console import console
from coverbt.cli.progress import progress_bar
from coverbt.workspace import Workspace

SWEEP_HELP = (
    "Run a parameter sweep (a grid or a random sample of strategy settings x universes x\n"
    "periods) on the compiled engine, in process or on Dask; resumable. Results and a page\n"
    "with heatmaps go to reports/sweeps/<name>/."
)


def sweep(
    sweep_file: Annotated[Path, typer.Argument(help="Sweep file (strategies/sweeps/*.yaml).")],
    workers: Annotated[
        int,
        typer.Option(
            "--workers",
            min=0,
            max=256,
            help="Run on a local Dask cluster of N worker processes (0: in process).",
        ),
    ] = 0,
    scheduler: Annotated[
        str | None,
        typer.Option(
            "--scheduler",
            help="Run on an existing Dask cluster (tcp://HOST:PORT); its workers "
            "must see this workspace's data_cache/.",
        ),
    ] = None,
    fresh: Annotated[
        bool, typer.Option("--fresh", help="Delete earlier results of this sweep and start over.")
    ] = False,
    workspace: Annotated[Path, typer.Option("--workspace", help="Workspace folder.")] = Path("."),
) -> None:
    """Run a parameter sweep (a grid or a random sample of strategy settings x universes x
    periods) on the compiled engine, in process or on Dask; resumable. Results and a page
    with heatmaps go to reports/sweeps/<name>/."""
    from coverbt.backtest.folder import resolve_strategy
    from coverbt.data.store import open_store
    from coverbt.reports import write_index
    from coverbt.sweep.evaluate import SweepContext
    from coverbt.sweep.page import write_page
    from coverbt.sweep.run import Backend, failures, run_sweep
    from coverbt.sweep.spec import load_sweep

    ws = Workspace.at(workspace)
    spec = load_sweep(sweep_file)
    open_store(ws.cache_dir)  # seeds an empty cache from the built-in sample, as run does
    ctx = SweepContext(
        cache_dir=ws.cache_dir,
        universe_dir=ws.universe_dir,
        strategy_file=resolve_strategy(spec.strategy, ws.strategies_dir),
        sweep_file=sweep_file,
        default_universe=ws.default_universe.stem,
    )
    backend = Backend(workers=workers, scheduler=scheduler)
    with progress_bar(f"sweep {spec.name}") as update:
        outcome = run_sweep(
            spec, ctx, ws.reports_dir / "sweeps", backend=backend, fresh=fresh, progress=update
        )
    note = (
        f"{spec.name}: {outcome.total} points of {spec.strategy} "
        f"({'a sample of ' + str(spec.size) if spec.sample else 'the full grid'}), "
        f"compiled engine, {outcome.backend}; {outcome.computed} computed now, "
        f"{outcome.total - outcome.computed} resumed."
    )
    page = write_page(outcome.folder, outcome.table, f"Sweep {spec.name}", note)
    write_index(ws.reports_dir)
    table = outcome.table
    ok = table.loc[table["status"] == "ok"] if "status" in table else table.iloc[0:0]
    console.print(note, highlight=False)
    if not ok.empty:
        best = ok.sort_values("total_return", ascending=False).head(5)
        params = [c for c in table.columns if c.startswith("param.")]
        view = Table(*[c.removeprefix("param.") for c in params], "total return", "max dd",
                     title="best points")  # fmt: skip
        for _, row in best.iterrows():
            view.add_row(*[str(row[c]) for c in params], f"{row['total_return']:+.2%}",
                         f"{row['max_drawdown']:+.2%}")  # fmt: skip
        console.print(view)
    bad = failures(table)
    if not bad.empty:
        console.print(f"[yellow]{len(bad)} points produced no run[/] (listed on the page)")
    console.print(f"written to {page}")


def register(app: typer.Typer) -> None:
    app.command("sweep")(sweep)
