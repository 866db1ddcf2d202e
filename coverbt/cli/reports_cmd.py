"""``coverbt reports``: the reports and rating events coverbt knows, and the ways in."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated

import typer

from coverbt.cli.console import console, print_json
from coverbt.errors import InputError
from coverbt.workspace import Workspace

reports_app = typer.Typer(
    help="Reports and rating events: list, ingest, import, fetch, study.", no_args_is_help=True
)

WorkspaceOpt = Annotated[
    Path, typer.Option("--workspace", help="Workspace folder (holds universe/, data_cache/).")
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON.")]
SinceOpt = Annotated[str | None, typer.Option("--since", help="First publication day, YYYY-MM-DD.")]
UntilOpt = Annotated[str | None, typer.Option("--until", help="Last publication day, YYYY-MM-DD.")]
IntervalOpt = Annotated[
    float, typer.Option("--interval", min=0.0, help="Seconds between requests to the site.")
]
RefreshOpt = Annotated[
    bool, typer.Option("--refresh", help="Ask again for what was already stored.")
]


def parse_day(text: str | None, option: str) -> dt.date | None:
    """``YYYY-MM-DD`` of an option, or an :class:`InputError` naming the option."""
    if text is None:
        return None
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError:
        raise InputError(f"invalid date {text!r}", field=option, expected="YYYY-MM-DD",
                         fix="write the date like 2024-12-31") from None  # fmt: skip


def _store(ws: Workspace):
    from coverbt.events.store import EventStore

    return EventStore.in_cache(ws.cache_dir)


def _report_dirs(ws: Workspace) -> list[Path]:
    """The workspace's universe/ folder, when it has one (a workspace of feeds and CSV
    lists only has none)."""
    return [ws.universe_dir] if ws.universe_dir.is_dir() else []


def _workspace_events(ws: Workspace, since: str | None, until: str | None):
    """The workspace's events (store and universe files) published in [since, until]."""
    from coverbt.events.service import load_event_set

    return load_event_set(
        _store(ws),
        _report_dirs(ws),
        ws.universe_dir,
        since=parse_day(since, "--since"),
        until=parse_day(until, "--until"),
    )


@reports_app.command("list")
def list_cmd(as_json: JsonOpt = False, workspace: WorkspaceOpt = Path(".")) -> None:
    """Every universe file under universe/ as a report, and the feeds' stored events."""
    from coverbt.events.feeds import list_reports
    from coverbt.events.tables import reports_table

    ws = Workspace.at(workspace)
    rows = list_reports(_store(ws), ws.universe_dir)
    if as_json:
        print_json([row.to_json() for row in rows])
    else:
        console.print(reports_table(rows))
    bad = [row for row in rows if row.error]
    if bad:
        raise InputError(f"{len(bad)} universe file(s) failed validation: {bad[0].error}")


@reports_app.command("ingest")
def ingest_cmd(
    paths: Annotated[
        list[Path] | None,
        typer.Argument(help="Universe files or folders (default: the workspace's universe/)."),
    ] = None,
    workspace: WorkspaceOpt = Path("."),
) -> None:
    """Store the rating events of universe files (one per rated name); idempotent."""
    from coverbt.events.feeds import ingest_reports

    ws = Workspace.at(workspace)
    summary, files = ingest_reports(_store(ws), paths or [ws.universe_dir])
    console.print(
        f"{files} report file(s), {summary.received} rating event(s): {summary.new_keys} new, "
        f"{summary.corrections} corrected, {summary.unchanged} unchanged",
        highlight=False,
    )


@reports_app.command("import-csv")
def import_csv_cmd(
    path: Annotated[Path, typer.Argument(help="CSV: code,broker,published,label[,...].")],
    workspace: WorkspaceOpt = Path("."),
) -> None:
    """Store a rating list of your own (a CSV file; all rows or none)."""
    from coverbt.events.feeds import import_csv

    summary = import_csv(_store(Workspace.at(workspace)), path)
    console.print(
        f"{path}: {summary.received} rating event(s): {summary.new_keys} new, "
        f"{summary.corrections} corrected, {summary.unchanged} unchanged",
        highlight=False,
    )


def _print_run(summary) -> None:
    stored = summary.stored
    console.print(
        f"{summary.function}: {summary.asked} asked, {summary.fetched} fetched, "
        f"{summary.from_staging} resumed from staged answers, {summary.skipped} already "
        f"stored; {summary.events} event(s): {stored.new_keys} new, {stored.corrections} "
        f"corrected, {stored.unchanged} unchanged",
        highlight=False,
    )


@reports_app.command("fetch-em")
def fetch_em_cmd(
    codes: Annotated[
        str | None, typer.Option("--codes", help="Comma list of codes (default: the universe's).")
    ] = None,
    universe: Annotated[
        Path | None, typer.Option("--universe", "-u", help="Universe file whose codes to fetch.")
    ] = None,
    interval: IntervalOpt = 1.0,
    refresh: RefreshOpt = False,
    workspace: WorkspaceOpt = Path("."),
) -> None:
    """东方财富's research reports of each stock (akshare stock_research_report_em)."""
    from coverbt.events.feeds import fetch_em
    from coverbt.events.fetchrun import RateLimit
    from coverbt.universe.load import load_universe

    ws = Workspace.at(workspace)
    if codes:
        wanted = [c.strip() for c in codes.split(",") if c.strip()]
    else:
        loaded = load_universe(universe or ws.default_universe)
        wanted = [n.code for n in loaded.names if n.a_share]
    summary = fetch_em(_store(ws), ws.cache_dir, wanted, limit=RateLimit(interval),
                       refresh=refresh)  # fmt: skip
    _print_run(summary)


@reports_app.command("fetch-cninfo")
def fetch_cninfo_cmd(
    since: Annotated[str, typer.Option("--since", help="First day, YYYY-MM-DD.")],
    until: UntilOpt = None,
    interval: IntervalOpt = 1.0,
    refresh: RefreshOpt = False,
    workspace: WorkspaceOpt = Path("."),
) -> None:
    """巨潮's daily rating lists (akshare stock_rank_forecast_cninfo), one request a session."""
    from coverbt.events.feeds import fetch_cninfo
    from coverbt.events.fetchrun import RateLimit

    ws = Workspace.at(workspace)
    first = parse_day(since, "--since") or dt.date.today()
    last = parse_day(until, "--until") or dt.date.today()
    if last < first:
        raise InputError(f"--until {last} is before --since {first}", field="--until",
                         expected="a day on or after --since", fix="swap the two days")  # fmt: skip
    summary = fetch_cninfo(_store(ws), ws.cache_dir, first, last, limit=RateLimit(interval),
                           refresh=refresh)  # fmt: skip
    _print_run(summary)


@reports_app.command("events")
def events_cmd(
    broker: Annotated[str | None, typer.Option("--broker", help="Only this broker.")] = None,
    code: Annotated[str | None, typer.Option("--code", help="Only this stock.")] = None,
    since: SinceOpt = None,
    until: UntilOpt = None,
    limit: Annotated[int, typer.Option("--limit", min=1, help="Rows shown in the table.")] = 50,
    as_json: JsonOpt = False,
    workspace: WorkspaceOpt = Path("."),
) -> None:
    """The distinct ratings: label, normalised step, previous rating and action."""
    from coverbt.events.tables import events_table

    ws = Workspace.at(workspace)
    found = _workspace_events(ws, since, until)
    table = found.table
    if broker:
        table = table.loc[table["broker"] == broker]
    if code:
        table = table.loc[table["code"] == code]
    if as_json:
        print_json(_event_json(table))
        return
    console.print(events_table(table, limit))
    if found.duplicates:
        console.print(f"{found.duplicates} row(s) were the same rating from another source "
                      "(kept once)", highlight=False)  # fmt: skip


def _event_json(table) -> list[dict[str, object]]:
    columns = ["source", "report_id", "code", "name", "broker", "analyst_list", "published",
               "label", "scale_id", "step", "prior_label", "prior_stated", "action",
               "target_low", "target_high", "label_reason"]  # fmt: skip
    out = []
    for row in table[columns].to_dict("records"):
        row["published"] = row["published"].date().isoformat()
        row["step"] = (
            None if row["step"] is None or row["step"] != row["step"] else int(row["step"])
        )
        row["analysts"] = row.pop("analyst_list")
        out.append({k: (None if v is not None and v != v else v) for k, v in row.items()})
    return out


@reports_app.command("labels")
def labels_cmd(as_json: JsonOpt = False, workspace: WorkspaceOpt = Path(".")) -> None:
    """Labels no scale defines (or defines two ways): reported, never guessed."""
    from coverbt.events.service import load_event_set
    from coverbt.events.tables import labels_table

    ws = Workspace.at(workspace)
    unknown = load_event_set(_store(ws), _report_dirs(ws), ws.universe_dir).unknown_labels()
    if as_json:
        print_json(unknown.to_dict("records"))
        return
    if unknown.empty:
        console.print("every label has a step on the normalised scale")
        return
    console.print(labels_table(unknown))


@reports_app.command("study")
def study_cmd(
    horizons: Annotated[str, typer.Option("--horizons", help="e.g. 1M,3M,6M,12M.")] = "6M",
    since: SinceOpt = None,
    until: UntilOpt = None,
    calendar_out: Annotated[
        Path | None,
        typer.Option("--calendar-out", help="Folder for each label's daily calendar-time CSV."),
    ] = None,
    as_json: JsonOpt = False,
    workspace: WorkspaceOpt = Path("."),
) -> None:
    """Event study: CAR and BHAR from day -5 to each horizon, market- and industry-adjusted,
    by label and by action, and each label's calendar-time portfolio."""
    from coverbt.data.store import open_store
    from coverbt.events.service import run_study, write_calendar
    from coverbt.events.tables import study_table
    from coverbt.scorecard.score import parse_horizons

    ws = Workspace.at(workspace)
    wanted = parse_horizons(horizons)
    found = _workspace_events(ws, since, until)
    if found.table.empty:
        raise InputError("no rating events", fix="run `coverbt reports ingest` or fetch a feed")
    study = run_study(found.table, open_store(ws.cache_dir), wanted)
    if calendar_out is not None:
        write_calendar(study, calendar_out)
    if as_json:
        print_json({"groups": [g.to_json() for g in study.groups],
                    "calendar": [{"label": k[0], "horizon": k[1], "t_newey_west": v,
                                  "days": len(study.calendar[k]),
                                  "mean_daily_excess": float(study.calendar[k]["excess"].mean())
                                  if len(study.calendar[k]) else None}
                                 for k, v in study.calendar_t.items()]})  # fmt: skip
        return
    for horizon in wanted:
        for adjustment in ("market", "industry"):
            console.print(study_table(study.groups, horizon, adjustment))


def register(app: typer.Typer) -> None:
    app.add_typer(reports_app, name="reports")
