"""``coverbt run``: the main job (data, default strategies, scorecard, reports, summary)."""

from __future__ import annotations

import shlex
import sys
from pathlib import Path
from typing import Annotated, cast

import typer
from rich.table import Table

from coverbt.cli.console import console
from coverbt.cli.progress import progress_bar
from coverbt.scorecard.tables import pct, ratings_table
from coverbt.workspace import Workspace


def run(
    universe: Annotated[
        Path | None,
        typer.Option("--universe", "-u", help="Universe file (default: the workspace's)."),
    ] = None,
    offline: Annotated[
        bool, typer.Option("--offline", help="Never touch the network; use the cache only.")
    ] = False,
    strategies: Annotated[
        str, typer.Option("--strategies", help="Comma list of strategies (default: all).")
    ] = "",
    horizons: Annotated[
        str, typer.Option("--horizons", help="Scorecard horizons.")
    ] = "1M,3M,6M,12M",
    workspace: Annotated[Path, typer.Option("--workspace", help="Workspace folder.")] = Path("."),
) -> None:
    """Check the data, run the default strategies, score the ratings, write the reports."""
    from coverbt.pipeline import akshare_update, run_pipeline
    from coverbt.scorecard.score import parse_horizons

    ws = Workspace.at(workspace)
    wanted = parse_horizons(horizons)
    names = [s.strip() for s in strategies.split(",") if s.strip()]
    with progress_bar("run: starting") as update:

        def step(label: str, done: int, total: int) -> None:
            update(f"run: {label}", done, total)

        result = run_pipeline(
            ws,
            universe or ws.default_universe,
            offline=offline,
            update=None if offline else akshare_update,
            horizons=wanted,
            strategies=names,
            progress=step,
            command=shlex.join(["coverbt", *sys.argv[1:]]),
        )
    table = Table("strategy", "total return", "vs CSI 300", "vs SW Computer", title="backtests")
    for item in result.runs:
        # the ``coverbt backtest --json`` summary: total_return a float, excess floats by key
        excess = cast(dict[str, float], item.summary.get("excess") or {})
        table.add_row(
            item.strategy,
            pct(cast("float | None", item.summary.get("total_return"))),
            pct(excess.get("csi300")),
            pct(excess.get("sw_computer")),
        )
    console.print(table)
    card = next((c for c in result.scorecards if c.horizon == "6M"), result.scorecards[-1])
    console.print(ratings_table(card))
    console.print(f"scorecard: {result.scorecard_dir}", highlight=False)
    console.print(f"[bold]open {result.index}[/]", highlight=False)


def register(app: typer.Typer) -> None:
    app.command("run")(run)
