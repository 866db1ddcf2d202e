"""``coverbt hitrate``: did each rating keep its promise, under which convention, how robustly?"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from coverbt.cli.console import console, print_json
from coverbt.cli.convention_options import Anchor, Benchmark, Entry, Excess, chosen_convention
from coverbt.scorecard.full import full_scorecards
from coverbt.scorecard.score import parse_horizons
from coverbt.scorecard.tables import executable_table, names_table, ratings_table
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
    anchor: Anchor = None,
    entry: Entry = None,
    benchmark: Benchmark = None,
    excess: Excess = None,
    notional: Annotated[
        float | None,
        typer.Option(
            "--notional",
            min=1.0,
            help="CNY per name for the executable returns (default: the strategy default "
            "capital / the number of A-share names).",
        ),
    ] = None,
    as_json: Annotated[
        bool,
        typer.Option("--json", help="Print JSON: one object, or a list for several horizons."),
    ] = False,
    workspace: Annotated[
        Path, typer.Option("--workspace", help="Workspace folder (holds data_cache/).")
    ] = Path("."),
) -> None:
    """Score every rating of a universe: return, excess and verdicts per name, hit rates,
    each verdict under every other convention (fragile ones flagged), and paper vs
    executable returns."""
    from coverbt.data.store import open_store

    ws = Workspace.at(workspace)
    wanted = parse_horizons(horizons)
    loaded = load_universe(universe or ws.default_universe)
    chosen = chosen_convention(
        loaded, anchor=anchor, entry=entry, benchmark=benchmark, excess=excess
    )
    cards = full_scorecards(loaded, open_store(ws.cache_dir), wanted, chosen, notional=notional)
    if as_json:
        payload = [card.to_json() for card in cards]
        print_json(payload[0] if len(payload) == 1 else payload)
        return
    for card in cards:
        console.print(names_table(card))
        console.print(ratings_table(card))
        console.print(executable_table(card))


def register(app: typer.Typer) -> None:
    app.command("hitrate")(hitrate)
