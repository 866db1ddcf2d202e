"""``coverbt data import|status|verify|reconcile|update``: fill and inspect ``data_cache/``."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from coverbt.cli.console import console, err_console, print_json
from coverbt.cli.progress import import_step, progress_bar
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
from coverbt.data.update import (
    SKIPPED,
    UpdateResult,
    failure_summary,
    universe_targets,
    unreachable,
    update_cache,
)
from coverbt.data.validate import import_horizon
from coverbt.errors import EXIT_UNREACHABLE, InputError
from coverbt.horizon import entry_session, horizon_end
from coverbt.universe.load import load_universe
from coverbt.workspace import Workspace

data_app = typer.Typer(help="Import, update and inspect market data.", no_args_is_help=True)

WorkspaceOpt = Annotated[
    Path, typer.Option("--workspace", help="Workspace folder (holds data_cache/).")
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON.")]
MAX_SERIES_ROWS = 60  # more series than this: one row per source instead


@data_app.command("import")
def import_cmd(
    path: Annotated[
        Path | None, typer.Argument(help="A vendor CSV, a folder of them, or a .tar.gz.")
    ] = None,
    sample: Annotated[
        bool, typer.Option("--sample", help="Import coverbt's built-in sample instead.")
    ] = False,
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
    if sample or path is None:
        _import_sample(Workspace.at(workspace).cache_dir, path, sample, as_json)
        return
    with progress_bar(f"import: counting the files of {path.name}", quiet=as_json) as update:
        summary = import_path(
            Workspace.at(workspace).cache_dir,
            path,
            fmt,
            progress=import_step(update),
            replace=replace,
            latest=import_horizon(),  # no bar after the calendar's last known day
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


def _import_sample(cache_dir: Path, path: Path | None, sample: bool, as_json: bool) -> None:
    from coverbt.data.sample import describe, seed_cache

    if path is not None or not sample:
        raise typer.BadParameter(
            "give a PATH to vendor files, or --sample for the built-in sample (not both)",
            param_hint="PATH / --sample",
        )
    written = seed_cache(cache_dir)
    if as_json:
        print_json({"sample": describe(), "series_written": written})
    else:
        console.print(f"imported {describe()}: {written} series written", highlight=False)


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
    if not (len(code) == 6 and code.isascii() and code.isdigit()):
        raise InputError(
            f"not a 6-digit code: {code!r}",
            field="CODE",
            expected="a 6-digit stock or index code such as 603383 or 000300",
            fix="pass the code without exchange prefix or suffix",
        )
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
    raw_prices: Annotated[
        bool,
        typer.Option(
            "--raw-prices",
            help="Also fetch each A-share's raw (unadjusted) bars and its dividends, bonus "
            "shares and transfers: backtests then trade at raw prices.",
        ),
    ] = False,
    workspace: WorkspaceOpt = Path("."),
    as_json: JsonOpt = False,
) -> None:
    """Fetch the missing tail of every A-share (bars, PE/PB) and both benchmarks (akshare).

    Failures are summed up in one line per class (DNS, refused, timeout, HTTP 5xx, empty
    answer, schema change); --json lists each series. Exit 1 if any series failed (the
    others are still stored); exit 3 if the vendors could not be reached at all (nothing
    was fetched; gives up within about 20 s of failed requests).
    """
    targets = universe_targets(load_universe(universe or Workspace.at(workspace).default_universe))
    with progress_bar("update", quiet=as_json) as update:  # drawn on a terminal only

        def step(code: str, done: int, total: int) -> None:
            update("update", done, total, code)

        results = update_cache(
            Cache(Workspace.at(workspace).cache_dir),
            AkshareLive(retries=retries),
            targets,
            offline=offline,
            progress=step,
            raw_prices=raw_prices,
        )
    _report_update(results, as_json)


def _report_update(results: list[UpdateResult], as_json: bool) -> None:
    """Print the update's results (a table, or JSON), then one line per failure class;
    exit 3 when the vendors were unreachable, 1 when any series failed."""
    lost = unreachable(results)
    if as_json:
        print_json(
            {
                "results": [r.to_json() for r in results],
                "failures": failure_summary(results),
                "unreachable": lost,
            }
        )
    elif not lost:
        console.print(_update_table(results))
        for r in results:
            if r.message and not r.failed:
                err_console.print(f"{r.code}: {r.message}", highlight=False, soft_wrap=True)
    if not as_json:
        for line in failure_summary(results):
            err_console.print(f"[bold red]error:[/] {line}", highlight=False, soft_wrap=True)
    if lost:
        if not as_json:
            err_console.print("nothing was fetched; the cache was not changed")
        raise typer.Exit(EXIT_UNREACHABLE)
    if any(r.failed for r in results):
        raise typer.Exit(1)


def _update_table(results: list[UpdateResult]) -> Table:
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
    return table


def _kind(text: str) -> str:
    if text not in ("stock", "index"):
        raise typer.BadParameter(f"{text!r} is not stock or index", param_hint="--kind")
    return text


def register(app: typer.Typer) -> None:
    """Add the ``data`` command group."""
    app.add_typer(data_app, name="data")
