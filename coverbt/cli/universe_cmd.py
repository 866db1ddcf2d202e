"""``coverbt universe show|check|extract``."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from coverbt.cli.console import console, err_console, print_json
from coverbt.errors import InputError
from coverbt.universe.load import DEFAULT_UNIVERSE, load_universe
from coverbt.workspace import Workspace

if TYPE_CHECKING:
    from coverbt.universe.extract import Extraction

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
    from coverbt.universe.check import pe_mismatches

    universe = load_universe(file)
    warnings = pe_mismatches(universe)
    for warning in warnings:
        err_console.print(f"[yellow]warning:[/] {file}: {warning}", highlight=False)
    console.print(
        f"{file}: ok, {len(universe.names)} names "
        f"({', '.join(f'{k}: {v}' for k, v in universe.counts().items())}), "
        f"{len(warnings)} warning(s)"
    )


@universe_app.command("extract")
def extract(
    report: Annotated[Path, typer.Argument(help="The report converted to text (UTF-8).")],
    output: Annotated[Path, typer.Option("-o", "--output", help="Universe file to write.")],
    names: Annotated[
        Path | None,
        typer.Option("--names", help="Code/name list CSV (baostock code,tradeStatus,code_name)."),
    ] = None,
    cache: Annotated[
        Path | None, typer.Option("--cache", help="Use this cache's code/name list.")
    ] = None,
    online: Annotated[
        bool, typer.Option("--online/--offline", help="Ask akshare when no list is given.")
    ] = True,
    report_id: Annotated[
        str | None, typer.Option("--id", help="Report id (default: from the output name).")
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="Overwrite a different file.")] = False,
    workspace: Annotated[Path, typer.Option("--workspace", help="Workspace root.")] = Path("."),
) -> None:
    """Build a universe file from a report's text (table, rating scales, recommendations)."""
    from coverbt.atomic import atomic_write_text
    from coverbt.universe.dump import dump_universe
    from coverbt.universe.extract import extract_universe, slug
    from coverbt.universe.names import KNOWN_LISTINGS, primary_listings, read_known_listings

    ws = Workspace.at(workspace)
    primary = primary_listings(names, cache or ws.cache_dir, online=online)
    curated = read_known_listings(ws.universe_dir / KNOWN_LISTINGS)
    found = extract_universe(
        report, primary=primary, curated=curated, report_id=report_id or slug(output.stem)
    )
    _print_extraction(found)
    text = dump_universe(found.raise_if_unresolved())
    if output.exists() and output.read_text(encoding="utf-8") != text and not force:
        raise InputError(
            "the file exists and differs from the extraction",
            source=output,
            fix="pass --force to overwrite it, or write to another file and compare",
        )
    atomic_write_text(output, text)
    universe = load_universe(output)  # what was written reads back
    console.print(
        f"wrote {output}: {len(universe.names)} names "
        f"({', '.join(f'{k}: {v}' for k, v in universe.counts().items())})"
    )


def _print_extraction(found: Extraction) -> None:
    table = Table("name", "code", "exchange", "from", title="names only in the paragraph")
    for name, listing in found.prose_only.items():
        table.add_row(name, listing.code, str(listing.exchange), listing.source)
    for name, why in found.unresolved.items():
        table.add_row(name, "[red]unresolved[/]", "", why)
    console.print(table)
    for warning in found.warnings:
        err_console.print(f"[yellow]warning:[/] {found.source}: {warning}", highlight=False)


def _num(value: float | None) -> str:
    return "" if value is None else f"{value:g}"


def register(app: typer.Typer) -> None:
    app.add_typer(universe_app, name="universe")
