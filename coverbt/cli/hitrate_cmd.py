"""``coverbt hitrate``: did each rating keep its promise?"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from coverbt.cli.console import console, print_json
from coverbt.scorecard.score import benchmark_code, parse_horizons, score_horizons
from coverbt.scorecard.tables import names_table, ratings_table
from coverbt.universe.load import load_universe
from coverbt.workspace import Workspace


def hitrate(
    universe: Annotated[
        Path | None,
        typer.Option("--universe", "-u", help="Universe file (default: the workspace's)."),
    ] = None,
    horizons: Annotated[
        str, typer.Option("--horizons", help="Comma list of horizons, e.g. 1M,3M,6M,12M.")
    ] = "6M",
    benchmark: Annotated[
        str, typer.Option("--benchmark", help="csi300 or sw_computer.")
    ] = "csi300",
    as_json: Annotated[
        bool,
        typer.Option("--json", help="Print JSON: one object, or a list for several horizons."),
    ] = False,
    workspace: Annotated[
        Path, typer.Option("--workspace", help="Workspace folder (holds data_cache/).")
    ] = Path("."),
) -> None:
    """Score every rating of a universe: return, excess and verdicts per name, hit rates."""
    from coverbt.data.store import open_store

    ws = Workspace.at(workspace)
    benchmark_code(benchmark)
    wanted = parse_horizons(horizons)
    cards = score_horizons(
        load_universe(universe or ws.default_universe),
        open_store(ws.cache_dir),
        wanted,
        benchmark,
    )
    if as_json:
        payload = [card.to_json() for card in cards]
        print_json(payload[0] if len(payload) == 1 else payload)
        return
    for card in cards:
        console.print(names_table(card))
        console.print(ratings_table(card))


def register(app: typer.Typer) -> None:
    app.command("hitrate")(hitrate)
