"""``coverbt screen SCREEN [--universe FILE | --all] [--as-of DATE] [--json]``."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import Progress
from rich.table import Table

from coverbt.cli.console import console, err_console, print_json
from coverbt.errors import InputError
from coverbt.screens.fields import describe_fields
from coverbt.screens.publish import Outcome
from coverbt.screens.run import format_value
from coverbt.screens.service import configured_screens, screen_in_workspace
from coverbt.workspace import Workspace


def _date(text: str | None) -> dt.date | None:
    if text is None:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise InputError(
            f"not a date: {text!r}", field="--as-of", expected="YYYY-MM-DD", fix="e.g. 2024-09-30"
        ) from None


def screen(
    name: Annotated[
        str | None, typer.Argument(help="Screen name in strategies/screens, or a YAML path.")
    ] = None,
    universe: Annotated[
        Path | None, typer.Option("--universe", help="Screen this coverage list (YAML).")
    ] = None,
    all_stocks: Annotated[
        bool, typer.Option("--all", help="Screen every stock in the cache.")
    ] = False,
    as_of: Annotated[str | None, typer.Option("--as-of", help="Session date YYYY-MM-DD.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    fields: Annotated[bool, typer.Option("--fields", help="List the fields and exit.")] = False,
    workspace: Annotated[Path, typer.Option("--workspace", help="Workspace folder.")] = Path("."),
) -> None:
    """Rank the stocks that pass a screen's conditions; show who entered or left since the
    previous stored run, and why. Results go to reports/screens/<screen>/<as_of>/."""
    ws = Workspace.at(workspace)
    if fields:
        for key, text in describe_fields().items():
            console.print(f"[bold]{key}[/]: {text}", highlight=False)
        return
    if name is None:
        raise InputError(
            "no screen given",
            expected="one of: " + (", ".join(configured_screens(ws)) or "(none)"),
            fix="coverbt screen NAME",
        )
    if universe is not None and all_stocks:
        raise InputError("--universe and --all exclude each other", fix="pass one of them")
    with Progress(console=err_console, transient=True, disable=as_json) as bar:
        task = bar.add_task("reading bars", total=None)
        outcome = screen_in_workspace(
            ws,
            name,
            universe_path=universe,
            all_stocks=all_stocks,
            as_of=_date(as_of),
            progress=lambda i, n: bar.update(task, completed=i, total=n),
        )
    from coverbt.reports import write_index

    index = write_index(ws.reports_dir)
    if as_json:
        print_json(outcome.to_json())
        return
    _print(outcome)
    console.print(f"index: {index}", highlight=False)


def _print(outcome: Outcome) -> None:
    result = outcome.result
    table = Table(
        "#",
        "code",
        "name",
        "score",
        *result.value_fields,
        title=(
            f"{result.screen} as of {result.as_of}: {int(result.table['passed'].sum())} of "
            f"{len(result.table)} pass, top {result.top}"
        ),
    )
    for code, row in result.selected.iterrows():
        values = [format_value(row[f]) for f in result.value_fields]
        table.add_row(
            str(int(row["rank"])),
            str(code),
            format_value(row["name"]),
            format_value(row["score"]),
            *values,
        )
    console.print(table)
    since = outcome.diff.previous_as_of or "no previous run"
    for label, changes, colour in (
        ("entered", outcome.diff.entered, "green"),
        ("left", outcome.diff.left, "red"),
    ):
        console.print(f"[bold {colour}]{label}[/] since {since}: {len(changes)}")
        for change in changes:
            console.print(f"  {change.code} {change.name or ''}: {change.why}", highlight=False)
    state = "stored" if outcome.new else "already stored (identical result): nothing written"
    console.print(f"{state}: {outcome.folder}")
    if result.skipped:
        console.print(f"[yellow]not screened:[/] {len(result.skipped)} (see screen.html)")
        for code, reason in list(result.skipped.items())[:5]:
            console.print(f"  {code}: {reason}", highlight=False)


def register(app: typer.Typer) -> None:
    app.command("screen")(screen)
