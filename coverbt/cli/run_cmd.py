"""``coverbt run``: the main job (data, default strategies, scorecard, reports, summary)."""

from __future__ import annotations

import shlex
import sys
from pathlib import Path
from typing import Annotated, cast

import typer
from rich.table import Table

from coverbt.cli.console import console
from coverbt.cli.convention_options import Anchor, Benchmark, Entry, Excess, chosen_convention
from coverbt.cli.engine_option import EngineChoice
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
    capital: Annotated[
        float | None,
        typer.Option(
            "--capital",
            min=0.01,
            help="Starting cash in CNY for every strategy (default: each file's).",
        ),
    ] = None,
    anchor: Anchor = None,
    entry: Entry = None,
    benchmark: Benchmark = None,
    excess: Excess = None,
    engine: Annotated[
        EngineChoice,
        typer.Option(
            "--engine",
            help="fast (compiled, proven equal to backtrader; the default here), backtrader "
            "(the reference) or both (run the two and stop on any difference).",
        ),
    ] = EngineChoice.FAST,
) -> None:
    """Check the data, run the default strategies, score the ratings, write the reports.

    The scorecard uses the universe file's convention; --anchor, --entry, --benchmark and
    --excess override it (as in ``coverbt hitrate``)."""
    from coverbt.pipeline import akshare_update, run_pipeline
    from coverbt.scorecard.score import parse_horizons
    from coverbt.universe.load import load_universe

    ws = Workspace.at(workspace)
    wanted = parse_horizons(horizons)
    universe_file = universe or ws.default_universe
    convention = chosen_convention(
        load_universe(universe_file), anchor=anchor, entry=entry, benchmark=benchmark, excess=excess
    )
    names = [s.strip() for s in strategies.split(",") if s.strip()]
    with progress_bar("run: starting") as update:

        def step(label: str, done: int, total: int) -> None:
            update(f"run: {label}", done, total)

        result = run_pipeline(
            ws,
            universe_file,
            offline=offline,
            update=None if offline else akshare_update,
            horizons=wanted,
            strategies=names,
            progress=step,
            command=shlex.join(["coverbt", *sys.argv[1:]]),
            capital=capital,
            convention=convention,
            engine=engine.value,
        )
    table = Table(
        "strategy", "total return", "vs CSI 300", "vs SW Computer", "held", title="backtests"
    )
    for item in result.runs:
        # the ``coverbt backtest --json`` summary: total_return a float, excess floats by key
        beat = cast(dict[str, float], item.summary.get("excess") or {})
        table.add_row(
            item.strategy,
            pct(cast("float | None", item.summary.get("total_return"))),
            pct(beat.get("csi300")),
            pct(beat.get("sw_computer")),
            f"{item.summary.get('held', '?')} of {item.summary.get('names', '?')}",
        )
    console.print(table)
    for item in result.runs:
        for line in not_held_lines(item.summary):
            console.print(
                f"[yellow]not held as planned[/] {item.strategy}: {line}", highlight=False
            )
    card = next((c for c in result.scorecards if c.horizon == "6M"), result.scorecards[-1])
    console.print(ratings_table(card))
    console.print(f"scorecard: {result.scorecard_dir}", highlight=False)
    console.print(f"[bold]open {result.index}[/]", highlight=False)


def not_held_lines(summary: dict[str, object]) -> list[str]:
    """``688111 金山办公 never held: target below one lot (...), 4.00% left in cash``."""
    rows = summary.get("not_held") or []
    out = []
    for row in rows if isinstance(rows, list) else []:
        cash = row.get("cash_weight")
        left = "" if cash is None else f", {cash:.2%} left in cash"
        dates = row.get("dates") or []
        when = f" at {len(dates)} decisions" if len(dates) > 1 else ""
        out.append(
            f"{row.get('code')} {row.get('name')} {row.get('status')}{when}: "
            f"{row.get('reason')}{left}"
        )
    return out


def register(app: typer.Typer) -> None:
    app.command("run")(run)
