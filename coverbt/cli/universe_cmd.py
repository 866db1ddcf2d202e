"""``coverbt universe show|check|extract``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from coverbt.cli.console import console, err_console, print_json
from coverbt.universe.check import pe_mismatches
from coverbt.universe.load import DEFAULT_UNIVERSE, load_universe

universe_app = typer.Typer(
    help="Show, check and extract coverage lists (universe files).", no_args_is_help=True
)

FileArg = Annotated[Path, typer.Argument(help="Universe file (YAML).")]


@universe_app.command("show")
def show(
    file: FileArg = DEFAULT_UNIVERSE,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Print the coverage list of a universe file."""
    universe = load_universe(file)
    if as_json:
        print_json(universe.to_contract())
        return
    report = universe.report
    console.print(f"[bold]{report.broker}[/] {report.title}")
    console.print(
        f"published {report.published}, prices of {report.price_date}, industry "
        f"{report.industry} {report.industry_rating} ({report.industry_rating_action})"
    )
    table = Table("code", "name", "board", "rating", "theme", "close", "EPS 24E", "PE 24E")
    for item in universe.names:
        table.add_row(
            item.code,
            item.name,
            str(item.board),
            item.rating_text or item.prose or "",
            " > ".join(filter(None, [item.theme, item.chain])),
            _num(item.close_at_price_date),
            _num(item.eps.get(2024)),
            _num(item.pe.get(2024)),
        )
    console.print(table)
    console.print(", ".join(f"{k}: {v}" for k, v in universe.counts().items()))


@universe_app.command("check")
def check(file: FileArg = DEFAULT_UNIVERSE) -> None:
    """Validate a universe file; PE that disagrees with close / EPS is a warning."""
    universe = load_universe(file)
    warnings = pe_mismatches(universe)
    for warning in warnings:
        err_console.print(f"[yellow]warning:[/] {file}: {warning}", highlight=False)
    console.print(
        f"{file}: ok, {len(universe.names)} names "
        f"({', '.join(f'{k}: {v}' for k, v in universe.counts().items())}), "
        f"{len(warnings)} warning(s)"
    )


def _num(value: float | None) -> str:
    return "" if value is None else f"{value:g}"


def register(app: typer.Typer) -> None:
    app.add_typer(universe_app, name="universe")
