"""``coverbt report RUN``: tearsheets, charts and pages of a run; ``reports/index.html``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from coverbt.cli.console import console
from coverbt.workspace import Workspace


def report(
    run: Annotated[
        str | None,
        typer.Argument(help="Run folder, or a run id under reports/. Omit to rebuild the index."),
    ] = None,
    workspace: Annotated[
        Path, typer.Option("--workspace", help="Workspace folder (holds reports/).")
    ] = Path("."),
) -> None:
    """Build the report of one backtest run (quantstats vs both benchmarks, PNG charts)."""
    from coverbt.reports import build_run_report, write_index

    ws = Workspace.at(workspace)
    if run is not None:
        folder = Path(run) if Path(run).is_dir() else ws.reports_dir / run
        with console.status(f"building the report of {folder.name}"):
            built = build_run_report(folder)
        for path in [built.page, *built.tearsheets, *built.charts]:
            console.print(f"wrote {path}", highlight=False)
    console.print(f"index: {write_index(ws.reports_dir)}", highlight=False)


def register(app: typer.Typer) -> None:
    app.command("report")(report)
