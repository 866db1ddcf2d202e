"""``coverbt revisions [ingest|snapshot|add-actuals]``: the EPS and valuation revision ledger."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from coverbt.cli.console import console, err_console, print_json
from coverbt.errors import InputError
from coverbt.revisions.ledger import IngestSummary, Ledger
from coverbt.revisions.report import run_revisions
from coverbt.revisions.service import ingest_actuals, ingest_universe, take_snapshot
from coverbt.universe.load import load_universe
from coverbt.workspace import Workspace

revisions_app = typer.Typer(
    help="EPS and valuation revisions after publication, point in time.",
    invoke_without_command=True,
)

UniverseOpt = Annotated[
    Path | None, typer.Option("--universe", help="Universe file (default: the workspace's).")
]
WorkspaceOpt = Annotated[
    Path, typer.Option("--workspace", help="Workspace folder (holds data_cache/, reports/).")
]


@revisions_app.callback()
def revisions(
    ctx: typer.Context,
    universe: UniverseOpt = None,
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="Date YYYY-MM-DD (default: today).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    charts: Annotated[bool, typer.Option("--charts/--no-charts", help="Write PNGs.")] = True,
    workspace: WorkspaceOpt = Path("."),
) -> None:
    """Per name: the forecasts known on a date, their revisions and the valuation path."""
    if ctx.invoked_subcommand is not None:
        return
    from coverbt.data.store import open_store

    ws = Workspace.at(workspace)
    path = universe or ws.default_universe
    day = _date(as_of)
    run = run_revisions(
        Ledger.in_cache(ws.cache_dir),
        load_universe(path),
        path,
        open_store(ws.cache_dir),
        day,
        ws.reports_dir / "revisions" / day.isoformat() if charts else None,
    )
    if charts:
        from coverbt.reports import write_index

        write_index(ws.reports_dir)
    if as_json:
        print_json(run.view)
        return
    if run.ingested.added:
        err_console.print(_summary_text("ingested the universe", run.ingested))
    _print_view(run.view)
    if run.charts:
        console.print(f"{len(run.charts)} charts in {run.charts[0].parent}")
        console.print(f"index: {ws.reports_dir / 'index.html'}", highlight=False)


@revisions_app.command("ingest")
def ingest(universe: UniverseOpt = None, workspace: WorkspaceOpt = Path(".")) -> None:
    """Store the universe's forecast rows in the ledger (idempotent)."""
    ws = Workspace.at(workspace)
    path = universe or ws.default_universe
    summary = ingest_universe(Ledger.in_cache(ws.cache_dir), load_universe(path), path)
    console.print(_summary_text(f"{path}", summary))


@revisions_app.command("add-actuals")
def add_actuals(
    file: Annotated[Path, typer.Argument(help="CSV: code,fiscal_year,eps,published")],
    workspace: WorkspaceOpt = Path("."),
) -> None:
    """Store announced results (actual EPS, dated by announcement) from a CSV."""
    summary = ingest_actuals(Ledger.in_cache(Workspace.at(workspace).cache_dir), file)
    console.print(_summary_text(f"{file}", summary))


@revisions_app.command("snapshot")
def snapshot(universe: UniverseOpt = None, workspace: WorkspaceOpt = Path(".")) -> None:
    """Record today's akshare consensus and research-report EPS (run it daily)."""
    ws = Workspace.at(workspace)
    loaded = load_universe(universe or ws.default_universe)
    codes = [item.code for item in loaded.names if item.a_share]
    with console.status("fetching") as status:
        result = take_snapshot(
            Ledger.in_cache(ws.cache_dir),
            codes,
            dt.date.today(),
            progress=lambda label: status.update(f"fetching {label}"),
        )
    for line in result.failure_lines():  # one line per failure class, not per request
        err_console.print(f"[yellow]warning:[/] {line}", highlight=False, soft_wrap=True)
    console.print(_summary_text(f"snapshot of {len(codes)} codes", result.summary))
    if result.problems:
        raise typer.Exit(2 if result.records == 0 else 1)


def _date(text: str | None) -> dt.date:
    if text is None:
        return dt.date.today()
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise InputError(
            f"invalid date {text!r}",
            source="--as-of",
            expected="YYYY-MM-DD",
            fix="write the date like 2024-12-31",
        ) from None


def _summary_text(what: str, summary: IngestSummary) -> str:
    return (
        f"{what}: {summary.received} rows received, {summary.new_keys} new, "
        f"{summary.corrections} corrections, {summary.unchanged} already in the ledger"
    )


def _print_view(view: dict[str, Any]) -> None:
    table = Table(
        "code", "name", "FY1", "EPS FY1", "chg 1M", "chg 3M", "PE rpt", "PE TTM rpt", "PE TTM",
        "dlog EPS", "dlog PE", title=f"revisions as of {view['as_of']}",
    )  # fmt: skip
    for item in view["names"]:
        fy1 = [f for f in item["forecasts"] if f["fiscal_year"] == item["fy1"]]
        parts = item.get("decomposition") or {}
        table.add_row(
            item["code"], item["name"], str(item["fy1"]),
            "; ".join(f"{f['eps']:g}" for f in fy1),
            _pct(item["eps_change_1m"]), _pct(item["eps_change_3m"]),
            _num(item["pe_at_report"]), _num(item["pe_ttm_at_report"]), _num(item["pe_ttm_now"]),
            _num(parts.get("dlog_eps"), 3), _num(parts.get("dlog_pe"), 3),
        )  # fmt: skip
    console.print(table)
    for item in view["names"]:
        if item.get("pe_ttm_note"):
            console.print(f"  {item['code']}: {item['pe_ttm_note']}", style="dim")
    counts = view["breadth_1m_counts"]
    console.print(
        f"breadth 1M {_num(view['breadth_1m'], 2)} (up {counts['up']}, down {counts['down']}, "
        f"n {counts['n']}), 3M {_num(view['breadth_3m'], 2)}"
    )
    for note in view["notes"]:
        console.print(f"note: {note}", style="yellow")


def _pct(value: float | None) -> str:
    return "" if value is None else f"{value:+.1%}"


def _num(value: float | None, digits: int = 1) -> str:
    return "" if value is None else f"{value:.{digits}f}"


def register(app: typer.Typer) -> None:
    app.add_typer(revisions_app, name="revisions")
