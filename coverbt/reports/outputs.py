"""What the other commands leave under ``reports/``, found and rendered for the index page.

Layouts (each written by its own command)::

    reports/screens/<screen>/<as_of>/screen.html|csv   coverbt screen (coverbt.screens.publish)
    reports/daily/<date>/summary.html|md|json          coverbt daily (coverbt.daily)
    reports/revisions/<as_of>/<code>.png               coverbt revisions (.revisions.report)
    reports/events/index.html|leaderboard.json|csv     coverbt hitrate --page, daily
                                                       (coverbt.reports.leaderboard)

Only folders named by an ISO date count as dated outputs; anything else (``history.jsonl``,
``cron.log``, lock files, stray folders) is ignored. Reading never raises on a damaged file:
the index shows what it could not read instead of failing the command that refreshes it.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from dataclasses import dataclass
from html import escape
from pathlib import Path
from urllib.parse import quote

from coverbt.atomic import atomic_write_text
from coverbt.reports.html import href, link, page, section

SCREENS, DAILY, REVISIONS = "screens", "daily", "revisions"
SCREEN_PAGE, SCREEN_CSV = "screen.html", "screen.csv"
DAILY_FILES: tuple[str, ...] = ("summary.html", "summary.md", "summary.json")
DAILY_EXTRAS: tuple[str, ...] = ("scorecard.json", "revisions.json")
REVISIONS_PAGE = "revisions.html"


def _is_date(name: str) -> bool:
    try:
        dt.date.fromisoformat(name)
    except ValueError:
        return False
    return len(name) == 10


def _dated(folder: Path, required: str | None = None) -> list[Path]:
    """Sub-folders of ``folder`` named YYYY-MM-DD (holding ``required``), newest first."""
    if not folder.is_dir():
        return []
    found = [
        p
        for p in folder.iterdir()
        if p.is_dir() and _is_date(p.name) and (required is None or (p / required).is_file())
    ]
    return sorted(found, key=lambda p: p.name, reverse=True)


# --- screens -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ScreenOutput:
    """One screen's rendered runs, newest as-of date first."""

    screen: str
    dates: list[str]
    selected: int | None  # rows of the latest screen.csv; None when missing or unreadable


def find_screens(reports_dir: Path) -> list[ScreenOutput]:
    """Every screen with at least one rendered run, by name."""
    root = Path(reports_dir) / SCREENS
    out = []
    for folder in sorted(p for p in root.iterdir() if p.is_dir()) if root.is_dir() else []:
        dates = [p.name for p in _dated(folder, SCREEN_PAGE)]
        if dates:
            out.append(ScreenOutput(folder.name, dates, _csv_rows(folder / dates[0] / SCREEN_CSV)))
    return out


def _csv_rows(path: Path) -> int | None:
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return None
    return max(len([line for line in lines if line.strip()]) - 1, 0)


def screens_section(screens: list[ScreenOutput]) -> str:
    rows = []
    for item in screens:
        latest = item.dates[0]
        rows.append(
            [
                escape(item.screen),
                link(href(SCREENS, item.screen, latest, SCREEN_PAGE), latest),
                "" if item.selected is None else str(item.selected),
                ""
                if item.selected is None
                else link(href(SCREENS, item.screen, latest, SCREEN_CSV), "csv"),
                " ".join(
                    link(href(SCREENS, item.screen, day, SCREEN_PAGE), day)
                    for day in item.dates[1:]
                ),
            ]
        )
    return section(
        "Screens", ["screen", "latest as of", "selected", "data", "older"], rows, numeric={2}
    )


# --- daily runs --------------------------------------------------------------------------------


@dataclass(frozen=True)
class DailyOutput:
    """One daily run folder."""

    date: str
    status: str  # "ok", "2 failed: ...", or why summary.json could not be read
    files: list[str]  # which of DAILY_FILES + DAILY_EXTRAS exist


def find_daily(reports_dir: Path) -> list[DailyOutput]:
    """Every daily run with a ``summary.html``, newest first."""
    return [
        DailyOutput(
            folder.name,
            _daily_status(folder / "summary.json"),
            [n for n in (*DAILY_FILES, *DAILY_EXTRAS) if (folder / n).is_file()],
        )
        for folder in _dated(Path(reports_dir) / DAILY, DAILY_FILES[0])
    ]


def _daily_status(path: Path) -> str:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        steps = data["steps"]
        failed = [str(s["name"]) for s in steps if s.get("status") == "failed"]
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return "summary.json unreadable"
    if failed:
        return f"{len(failed)} failed: " + ", ".join(failed)
    return f"ok ({len(steps)} steps)"


def daily_section(runs: list[DailyOutput]) -> str:
    rows = [
        [
            link(href(DAILY, run.date, DAILY_FILES[0]), run.date),
            escape(run.status),
            " ".join(link(href(DAILY, run.date, name), name) for name in run.files[1:]),
        ]
        for run in runs
    ]
    return section("Daily runs", ["date", "status", "files"], rows, numeric=set())


# --- sweeps ------------------------------------------------------------------------------------

SWEEPS = "sweeps"
SWEEP_PAGE = "index.html"
SWEEP_CSV = "results.csv"


@dataclass(frozen=True)
class SweepOutput:
    name: str
    points: int | None


def find_sweeps(reports_dir: Path) -> list[SweepOutput]:
    """Every sweep with a page (``reports/sweeps/<name>/index.html``), by name."""
    root = Path(reports_dir) / SWEEPS
    folders = sorted(p for p in root.iterdir() if p.is_dir()) if root.is_dir() else []
    return [
        SweepOutput(f.name, _csv_rows(f / SWEEP_CSV)) for f in folders if (f / SWEEP_PAGE).is_file()
    ]


def sweeps_section(sweeps: list[SweepOutput]) -> str:
    rows = [
        [
            link(href(SWEEPS, item.name, SWEEP_PAGE), item.name),
            "" if item.points is None else str(item.points),
            link(href(SWEEPS, item.name, SWEEP_CSV), "csv"),
        ]
        for item in sweeps
    ]
    return section("Parameter sweeps", ["sweep", "points", "data"], rows, numeric={1})


# --- revisions ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class RevisionsOutput:
    """One as-of date of revision charts."""

    as_of: str
    charts: list[str]  # PNG file names


def find_revisions(reports_dir: Path) -> list[RevisionsOutput]:
    """Every as-of folder holding at least one chart, newest first."""
    out = []
    for folder in _dated(Path(reports_dir) / REVISIONS):
        charts = sorted(p.name for p in folder.glob("*.png") if not p.name.startswith("."))
        if charts:
            out.append(RevisionsOutput(folder.name, charts))
    return out


def write_revisions_page(
    folder: Path, names: Mapping[str, str] | None = None, *, index: str = "../../index.html"
) -> Path:
    """Write ``revisions.html`` in ``folder``: every ``*.png`` in it, one section per chart.

    ``names`` maps a chart's stem (the stock code) to the stock name shown next to it.
    """
    folder = Path(folder)
    names = names or {}
    charts = sorted(p for p in folder.glob("*.png") if not p.name.startswith("."))
    contents = " · ".join(link(f"#{quote(p.stem, safe='')}", p.stem) for p in charts)
    sections = "\n".join(
        f'<h2 id="{escape(p.stem, quote=True)}">'
        f"{escape(' '.join(x for x in (p.stem, names.get(p.stem, '')) if x))}</h2>\n"
        f'<img src="{escape(quote(p.name, safe=""), quote=True)}" '
        f'alt="{escape(p.stem, quote=True)}: EPS per fiscal year and P/E">'
        for p in charts
    )
    body = (
        f"<p>{len(charts)} charts: the EPS known per fiscal year, and P/E TTM against the "
        f"report's P/E, as of {escape(folder.name)}.</p>\n<p>{contents}</p>\n{sections}\n"
        f"<p>{link(index, 'all reports')}</p>"
    )
    target = folder / REVISIONS_PAGE
    atomic_write_text(target, page(f"Revisions as of {folder.name}", body))
    return target


def ensure_revisions_pages(outputs: list[RevisionsOutput], reports_dir: Path) -> None:
    """Write the page of every revisions folder that has none (charts drawn before it existed,
    or by library code); pages written by ``coverbt revisions`` (with names) are kept."""
    for item in outputs:
        folder = Path(reports_dir) / REVISIONS / item.as_of
        if not (folder / REVISIONS_PAGE).is_file():
            write_revisions_page(folder)


def revisions_section(outputs: list[RevisionsOutput]) -> str:
    rows = [
        [
            link(href(REVISIONS, item.as_of, REVISIONS_PAGE), item.as_of),
            str(len(item.charts)),
        ]
        for item in outputs
    ]
    return section("Revisions", ["as of", "charts"], rows, numeric={1})


# --- rating events -----------------------------------------------------------------------------

EVENTS = "events"
EVENTS_PAGE, EVENTS_JSON, EVENTS_CSV = "index.html", "leaderboard.json", "leaderboard.csv"
CAR_CSV = "car_paths.csv"


def car_chart_name(horizon: str) -> str:
    """``car_6M.png``: the CAR chart of one horizon in ``reports/events/``."""
    return f"car_{horizon.upper()}.png"


@dataclass(frozen=True)
class EventsOutput:
    """The leaderboard page, read back from its JSON."""

    status: str  # "as of 2024-11-29, 2024-06-23 .. 2024-12-15", or why the JSON is unreadable
    events: int | None
    charts: list[str]  # horizons whose CAR chart exists
    data: list[str]  # which of EVENTS_CSV, EVENTS_JSON exist


def find_events(reports_dir: Path) -> EventsOutput | None:
    """The leaderboard of ``reports/events/``, or None when there is no page."""
    folder = Path(reports_dir) / EVENTS
    if not (folder / EVENTS_PAGE).is_file():
        return None
    data = [n for n in (EVENTS_CSV, EVENTS_JSON) if (folder / n).is_file()]
    try:
        payload = json.loads((folder / EVENTS_JSON).read_text(encoding="utf-8"))
        events = int(payload["events"])
        horizons = [str(h) for h in payload["horizons"]]
        span = f"{payload['first_published']} .. {payload['last_published']}"
        status = f"as of {payload['as_of']}, {span}" if payload.get("as_of") else span
    except (OSError, ValueError, KeyError, TypeError):
        return EventsOutput(f"{EVENTS_JSON} unreadable", None, [], data)
    charts = [h for h in horizons if (folder / car_chart_name(h)).is_file()]
    return EventsOutput(status, events, charts, data)


def events_section(found: EventsOutput | None) -> str:
    rows = []
    if found is not None:
        rows.append(
            [
                link(href(EVENTS, EVENTS_PAGE), "leaderboard"),
                escape(found.status),
                "" if found.events is None else str(found.events),
                " ".join(link(href(EVENTS, car_chart_name(h)), h) for h in found.charts),
                " ".join(link(href(EVENTS, n), n.rsplit(".", 1)[1]) for n in found.data),
            ]
        )
    return section(
        "Rating events",
        ["hit rates by broker, analyst, label", "published", "events", "CAR charts", "data"],
        rows,
        numeric={2},
    )
