"""``coverbt backtest STRATEGY``: run a rule file on a universe and write reports/<run-id>/."""

from __future__ import annotations

import datetime as dt
import shlex
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from coverbt.cli.console import console, err_console, print_json
from coverbt.cli.engine_option import EngineChoice
from coverbt.workspace import Workspace


def backtest(
    strategy: Annotated[str, typer.Argument(help="Strategy file, or a name in strategies/.")],
    universe: Annotated[
        Path | None, typer.Option("--universe", help="Universe file (default: the report's).")
    ] = None,
    start: Annotated[
        dt.datetime | None,
        typer.Option("--start", formats=["%Y-%m-%d"], help="Enter on this session or later."),
    ] = None,
    end: Annotated[
        dt.datetime | None,
        typer.Option("--end", formats=["%Y-%m-%d"], help="Leave at this close at the latest."),
    ] = None,
    no_costs: Annotated[bool, typer.Option("--no-costs", help="No fees or taxes.")] = False,
    fractional: Annotated[
        bool, typer.Option("--fractional", help="Fractional shares (no lots).")
    ] = False,
    capital: Annotated[
        float | None,
        typer.Option(
            "--capital",
            min=0.01,
            help="Starting cash in CNY (default: the strategy file's capital, else 5,000,000).",
        ),
    ] = None,
    engine: Annotated[
        EngineChoice,
        typer.Option(
            "--engine",
            help="backtrader (the reference), fast (compiled, proven equal to it) or both "
            "(run the two and stop on any difference).",
        ),
    ] = EngineChoice.BACKTRADER,
    as_json: Annotated[bool, typer.Option("--json", help="Print the summary as JSON.")] = False,
    workspace: Annotated[
        Path, typer.Option("--workspace", help="Workspace folder (data_cache/, reports/).")
    ] = Path("."),
    report: Annotated[
        bool,
        typer.Option("--report/--no-report", help="Build tearsheets, charts and the index page."),
    ] = True,
) -> None:
    """Backtest STRATEGY on the coverage list; write trades, equity and a manifest."""
    # the engine and the reports (backtrader, matplotlib) load only when a backtest runs
    from coverbt.backtest.folder import backtest_file, resolve_strategy
    from coverbt.backtest.run import RunOptions
    from coverbt.data.store import open_store
    from coverbt.reports import build_run_report, write_index
    from coverbt.revisions.ledger import Ledger
    from coverbt.strategy.ratings import LedgerRatings

    ws = Workspace.at(workspace)
    options = RunOptions(
        start=start.date() if start else None,
        end=end.date() if end else None,
        no_costs=no_costs,
        fractional=fractional,
        capital=capital,
        engine=engine.value,
    )
    strategy_file = resolve_strategy(strategy, ws.strategies_dir)
    market = open_store(ws.cache_dir)
    command = shlex.join(["coverbt", *sys.argv[1:]])
    with err_console.status(f"backtesting {strategy_file.name}"):
        result, folder, summary = backtest_file(
            strategy_file,
            universe or ws.default_universe,
            market,
            ws.reports_dir,
            options,
            command,
            LedgerRatings(Ledger.in_cache(ws.cache_dir)),
        )
    if report:
        with err_console.status(f"building the report of {folder.name}"):
            build_run_report(folder)
            write_index(ws.reports_dir)
    if as_json:
        print_json(summary)
        return
    table = Table("", "total return", "excess")
    table.add_row("portfolio", f"{summary['total_return']:+.2%}", "")
    for key, value in summary["benchmarks"].items():  # type: ignore[attr-defined]
        table.add_row(key, f"{value:+.2%}", f"{summary['excess'][key]:+.2%}")  # type: ignore[index]
    console.print(
        f"[bold]{result.spec.name}[/] {summary['start']} open -> {summary['end']} close, "
        f"held {summary['held']} of {summary['names']} names, {summary['trades']} trades, "
        f"capital {result.plan.capital:,.0f} CNY, "
        f"profile {result.plan.profile.name}{', fractional' if fractional else ''}"
    )
    console.print(table)
    omitted = not_held_table(summary)
    if omitted is not None:
        console.print(omitted)
    for item in result.plan.skipped:
        console.print(f"[yellow]skipped[/] {item.code} {item.name}: {item.reason}")
    for refusal in result.engine.refusals:
        console.print(
            f"[yellow]refused[/] {refusal.day} {refusal.side} {refusal.code}: {refusal.reason}"
        )
    console.print(f"written to {folder}")


def not_held_table(summary: dict[str, object]) -> Table | None:
    """The ``not_held`` list of a backtest summary as a table (None when every name held)."""
    rows = summary.get("not_held") or []
    if not isinstance(rows, list) or not rows:
        return None
    table = Table(
        "code", "name", "status", "target", "in cash", "decisions", "why",
        title="[yellow]not held as planned[/]",
    )  # fmt: skip
    for row in rows:
        target, cash = row.get("target_weight"), row.get("cash_weight")
        table.add_row(
            str(row.get("code", "")),
            str(row.get("name", "")),
            str(row.get("status", "")),
            "" if target is None else f"{target:.2%}",
            "" if cash is None else f"{cash:.2%}",
            _dates(row.get("dates") or []),
            str(row.get("reason", "")),
        )
    return table


def _dates(dates: list[str]) -> str:
    """``2024-06-24``, or ``2024-06-24 +5`` for a name short at six decisions."""
    if not dates:
        return ""
    return dates[0] + (f" +{len(dates) - 1}" if len(dates) > 1 else "")


def register(app: typer.Typer) -> None:
    app.command("backtest")(backtest)
