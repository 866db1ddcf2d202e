"""``coverbt daily [--offline] [--as-of DATE]``: the cron job (see :mod:`coverbt.daily`)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from coverbt.cli.console import console, print_json
from coverbt.cli.screen_cmd import _date
from coverbt.daily import FAILED, OK, Step, run_daily
from coverbt.workspace import Workspace

_COLOURS = {OK: "green", FAILED: "bold red"}


def _print_step(step: Step) -> None:
    colour = _COLOURS.get(step.status, "yellow")
    console.print(
        f"[{colour}]{step.status:>11}[/] {step.name} ({step.seconds:.1f} s): {step.detail}",
        highlight=False,
        soft_wrap=True,
    )


def daily(
    offline: Annotated[
        bool, typer.Option("--offline", help="Skip the data update and the consensus snapshot.")
    ] = False,
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="Date YYYY-MM-DD (default: today).")
    ] = None,
    universe: Annotated[
        Path | None, typer.Option("--universe", help="Universe file (default: the workspace's).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the summary as JSON.")] = False,
    workspace: Annotated[Path, typer.Option("--workspace", help="Workspace folder.")] = Path("."),
) -> None:
    """Update data, snapshot forecasts, run the screens, refresh the scorecard, the revision
    summary and the rating-event leaderboard; write reports/daily/<date>/. Exits non-zero
    when any step failed."""
    ws = Workspace.at(workspace)
    run = run_daily(
        ws,
        offline=offline,
        as_of=_date(as_of),
        universe_path=universe,
        report=None if as_json else _print_step,
    )
    if as_json:
        print_json(run.to_json())
    else:
        console.print(f"summary: {run.folder / 'summary.md'}")
        console.print(f"index: {ws.reports_dir / 'index.html'}", highlight=False)


def register(app: typer.Typer) -> None:
    app.command("daily")(daily)
