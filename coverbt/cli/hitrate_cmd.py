"""``coverbt hitrate``: did each rating keep its promise, under which convention, how robustly?"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from coverbt.cli.console import console, print_json
from coverbt.cli.convention_options import Anchor, Benchmark, Entry, Excess, chosen_convention
from coverbt.scorecard.convention import Convention, override
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
    by: Annotated[
        str | None,
        typer.Option(
            "--by",
            help="Score every rating event (the store's and the reports') and group the hit "
            "rates by broker, analyst, label, step, month, industry or action.",
        ),
    ] = None,
    since: Annotated[
        str | None, typer.Option("--since", help="With --by: first publication day, YYYY-MM-DD.")
    ] = None,
    until: Annotated[
        str | None, typer.Option("--until", help="With --by: last publication day, YYYY-MM-DD.")
    ] = None,
    min_count: Annotated[
        int, typer.Option("--min-count", min=1, help="With --by: events before a rate is shown.")
    ] = 5,
    page: Annotated[
        bool,
        typer.Option(
            "--page",
            help="Score every rating event (as --by) and also write the leaderboard "
            "reports/events/index.html: hit rates per broker, analyst and label at each "
            "horizon, sortable, with a mean CAR chart per label; refreshes reports/index.html.",
        ),
    ] = False,
    reports: Annotated[
        list[Path] | None,
        typer.Option(
            "--reports",
            help="With --by: universe files or folders read as reports (repeatable; default "
            "the workspace's universe/).",
        ),
    ] = None,
) -> None:
    """Score every rating of a universe: return, excess and verdicts per name, hit rates,
    each verdict under every other convention (fragile ones flagged), and paper vs
    executable returns.

    With --by (or --since/--until/--page): every rating event instead, grouped, with counts
    and Wilson intervals; --page also writes the leaderboard page reports/events/."""
    from coverbt.data.store import open_store

    ws = Workspace.at(workspace)
    wanted = parse_horizons(horizons)
    if by is not None or since is not None or until is not None or page:
        from coverbt.cli.events_hitrate import event_hitrate

        paths = list(reports or [ws.universe_dir]) + ([universe] if universe else [])
        event_hitrate(
            ws, by or "label", wanted, paths, since=since, until=until, min_count=min_count,
            convention=override(Convention(), anchor=anchor, entry=entry,
                                benchmark=benchmark, excess=excess),
            as_json=as_json, page=page,
        )  # fmt: skip
        return
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
