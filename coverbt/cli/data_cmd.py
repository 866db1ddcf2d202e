"""``coverbt data import|status|verify|reconcile|update``: fill and inspect ``data_cache/``."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from coverbt.cli.console import console, err_console, print_json
from coverbt.data.akshare_live import AkshareLive
from coverbt.data.cache import Cache
from coverbt.data.coverage import OK, catalog_groups, universe_coverage
from coverbt.data.importer import FORMAT_CHOICES
from coverbt.data.reconcile import RETURN_GAP, label, reconcile
from coverbt.data.schema import SeriesKind
from coverbt.data.store import (
    CacheStore,
    import_path,
    open_store,
    reacquire_commands,
    verify_cache,
)
from coverbt.data.update import SKIPPED, universe_targets, update_cache
from coverbt.horizon import entry_session, horizon_end
from coverbt.universe.load import load_universe
from coverbt.workspace import Workspace

data_app = typer.Typer(help="Import, update and inspect market data.", no_args_is_help=True)

WorkspaceOpt = Annotated[
    Path, typer.Option("--workspace", help="Workspace folder (holds data_cache/).")
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON.")]
MAX_SERIES_ROWS = 60  # more series than this: one row per source instead


def _progress() -> Progress:
    return Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TextColumn("{task.fields[current]}", style="dim"),
        console=err_console,
        transient=True,
    )


@data_app.command("import")
def import_cmd(
    path: Annotated[Path, typer.Argument(help="A vendor CSV, a folder of them, or a .tar.gz.")],
    fmt: Annotated[
        str, typer.Option("--format", help=f"One of {', '.join(FORMAT_CHOICES)}.")
    ] = "auto",
    replace: Annotated[
        bool, typer.Option("--replace", help="Replace cached series even if they cover more.")
    ] = False,
    workspace: WorkspaceOpt = Path("."),
    as_json: JsonOpt = False,
) -> None:
    """Import vendor files into data_cache/. Bad files are listed; exit 2 if any."""
    with _progress() as bar:
        task = bar.add_task("import", total=None, current="")

        def step(origin: str, done: int, total: int) -> None:
            bar.update(task, completed=done, total=total, current=Path(origin).name[-40:])

        summary = import_path(
            Workspace.at(workspace).cache_dir, path, fmt, progress=step, replace=replace
        )
    if as_json:
        print_json(summary.to_json())
    else:
        counts = ", ".join(f"{k} {v}" for k, v in summary.outcome_counts().items())
        console.print(
            f"read {summary.files} files ({len(summary.errors)} bad): imported "
            f"{summary.rows:,} rows in {summary.seconds:.1f} s: "
            f"series {counts}; code names changed {summary.names}"
        )
    for error in summary.errors:
        err_console.print(f"[bold red]error:[/] {error}", highlight=False, soft_wrap=True)
    if summary.errors:
        err_console.print(f"{len(summary.errors)} bad file(s) skipped; the others were imported")
        raise typer.Exit(2)


@data_app.command("status")
def status(
    universe: Annotated[
        Path | None, typer.Option("--universe", help="Check coverage of this universe file.")
    ] = None,
    start: Annotated[
        str | None, typer.Option(help="Coverage window start (default: the price date).")
    ] = None,
    end: Annotated[
        str | None, typer.Option(help="Coverage window end (default: entry + 6 months).")
    ] = None,
    workspace: WorkspaceOpt = Path("."),
    as_json: JsonOpt = False,
) -> None:
    """List the cached series (and, with --universe, what the universe needs)."""
    store = open_store(Workspace.at(workspace).cache_dir)
    entries = store.entries()
    listed = [
        {**e.meta.to_json(), "suspended_days": e.suspended, "columns": list(e.columns)}
        for e in entries
    ]
    payload: dict[str, object] = {  # bars under "series", PE/PB series under "valuation"
        "series": [row for row in listed if row["kind"] != SeriesKind.VALUATION],
        "valuation": [row for row in listed if row["kind"] == SeriesKind.VALUATION],
        "code_names": len(store.code_names()),
    }
    if universe is not None:
        u = load_universe(universe)
        lo = _date(start, "--start") if start else u.report.price_date
        default_end = horizon_end(entry_session(u.report.published), "6M").date()
        hi = _date(end, "--end") if end else default_end
        rows = universe_coverage(store, u, lo, hi)
        payload["coverage"] = {
            "universe": str(universe),
            "start": lo.isoformat(),
            "end": hi.isoformat(),
            "names": [r.to_json() for r in rows],
        }
    if as_json:
        print_json(payload)
        return
    _print_series(store)
    if universe is not None:
        _print_coverage(payload["coverage"])  # type: ignore[arg-type]


def _date(text: str, option: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise typer.BadParameter(
            f"{text!r} is not a date like 2024-06-07", param_hint=option
        ) from None


def _print_series(store: CacheStore) -> None:
    entries = store.entries()
    if len(entries) <= MAX_SERIES_ROWS:
        table = Table("code", "kind", "source", "adjust", "first", "last", "rows", "suspended")
        for e in entries:
            m = e.meta
            table.add_row(
                m.code,
                str(m.kind),
                m.source,
                str(m.adjust),
                str(m.first),
                str(m.last),
                f"{m.rows:,}",
                str(e.suspended),
            )
    else:
        table = Table(
            "source",
            "kind",
            "adjust",
            "series",
            "rows",
            "first",
            "last",
            "suspended days",
            title=f"{len(entries):,} series in {store.root} (--json lists each)",
        )
        for g in catalog_groups(entries):
            table.add_row(
                g.source,
                g.kind,
                g.adjust,
                f"{g.series:,}",
                f"{g.rows:,}",
                g.first,
                g.last,
                f"{g.suspended_days:,}",
            )
    console.print(table)
    console.print(f"{len(store.code_names())} code names")


def _print_coverage(coverage: dict[str, object]) -> None:
    table = Table(
        "code",
        "name",
        "kind",
        "status",
        "source",
        "first",
        "last",
        "missing days",
        title=f"coverage {coverage['start']} .. {coverage['end']}",
    )
    names = coverage["names"]
    for row in names:  # type: ignore[attr-defined]
        style = "green" if row["status"] == OK else "yellow"
        table.add_row(
            row["code"],
            row["name"],
            row["kind"],
            f"[{style}]{row['status']}[/]",
            row["source"] or "",
            row["first"] or "",
            row["last"] or "",
            str(row["missing_sessions"]),
        )
    console.print(table)


@data_app.command("verify")
def verify(
    repair: Annotated[
        bool, typer.Option("--repair", help="Forget damaged files so they can be re-imported.")
    ] = False,
    workspace: WorkspaceOpt = Path("."),
) -> None:
    """Check every cache file against its size and checksum. Exit 1 if any is damaged."""
    problems, dropped = verify_cache(Workspace.at(workspace).cache_dir, repair=repair)
    for message in problems.values():
        err_console.print(f"[bold red]damaged:[/] {message}", highlight=False, soft_wrap=True)
    if not problems:
        console.print("every cache file matches its checksum")
        return
    if repair:
        console.print(f"forgot {len(dropped)} series; bring them back with:")
        for command in reacquire_commands(dropped):
            console.print(f"  {command}", highlight=False)
        return
    raise typer.Exit(1)


@data_app.command("reconcile")
def reconcile_cmd(
    code: Annotated[str, typer.Argument(help="Stock or index code, e.g. 600570.")],
    kind: Annotated[str, typer.Option(help="stock or index.")] = "stock",
    start: Annotated[str | None, typer.Option(help="First date (YYYY-MM-DD).")] = None,
    end: Annotated[str | None, typer.Option(help="Last date (YYYY-MM-DD).")] = None,
    workspace: WorkspaceOpt = Path("."),
    as_json: JsonOpt = False,
) -> None:
    """Compare every pair of sources of CODE: daily-return and level differences."""
    store = open_store(Workspace.at(workspace).cache_dir)
    lo = _date(start, "--start") if start else None
    hi = _date(end, "--end") if end else None
    series = [store.read(e) for e in store.sources(code, SeriesKind(_kind(kind)))]
    pairs = reconcile(series, lo, hi)
    if as_json:
        print_json(
            {
                "code": code,
                "sources": [label(s) for s in series],
                "pairs": [p.to_json() for p in pairs],
            }
        )
        return
    if len(series) < 2:
        console.print(f"{code}: {len(series)} source(s) in the cache, nothing to compare")
        return
    table = Table(
        "a",
        "b",
        "common days",
        "max |Δr|",
        "mean |Δr|",
        f"days > {RETURN_GAP:.1%}",
        "worst day",
        "level a/b (min..max)",
        title=f"{code}: daily returns and levels",
    )
    for p in pairs:
        table.add_row(
            p.a,
            p.b,
            str(p.common_days),
            f"{p.max_abs_return_diff:.4%}",
            f"{p.mean_abs_return_diff:.4%}",
            str(p.days_over_gap),
            str(p.worst_day),
            f"{p.level_ratio_min:.4f}..{p.level_ratio_max:.4f}",
        )
    console.print(table)


@data_app.command("update")
def update_cmd(
    universe: Annotated[
        Path | None,
        typer.Option(
            "--universe", help="Universe file whose A-shares to update (default: the workspace's)."
        ),
    ] = None,
    offline: Annotated[
        bool, typer.Option("--offline", help="Only show what would be fetched.")
    ] = False,
    retries: Annotated[int, typer.Option(min=1, help="Attempts per request.")] = 3,
    workspace: WorkspaceOpt = Path("."),
    as_json: JsonOpt = False,
) -> None:
    """Fetch the missing tail of every A-share (bars, PE/PB) and both benchmarks (akshare).

    Exit 1 if any name failed (the others are still stored).
    """
    targets = universe_targets(load_universe(universe or Workspace.at(workspace).default_universe))
    with _progress() as bar:
        task = bar.add_task("update", total=len(targets), current="")

        def step(code: str, done: int, total: int) -> None:
            bar.update(task, completed=done, total=total, current=code)

        results = update_cache(
            Cache(Workspace.at(workspace).cache_dir),
            AkshareLive(retries=retries),
            targets,
            offline=offline,
            progress=step,
        )
    if as_json:
        print_json({"results": [r.to_json() for r in results]})
    else:
        table = Table("code", "name", "kind", "status", "rows added", "first", "last")
        for r in results:
            style = "red" if r.failed else "green" if r.status != SKIPPED else "yellow"
            table.add_row(
                r.code,
                r.name,
                r.kind,
                f"[{style}]{r.status}[/]",
                str(r.rows_added),
                r.first or "",
                r.last or "",
            )
        console.print(table)
        for r in results:
            if r.failed or r.message:
                err_console.print(f"{r.code}: {r.message}", highlight=False, soft_wrap=True)
    if any(r.failed for r in results):
        raise typer.Exit(1)


def _kind(text: str) -> str:
    if text not in ("stock", "index"):
        raise typer.BadParameter(f"{text!r} is not stock or index", param_hint="--kind")
    return text


def register(app: typer.Typer) -> None:
    """Add the ``data`` command group."""
    app.add_typer(data_app, name="data")
