"""The ways into the store: universe files, a user's CSV, the two akshare feeds."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from coverbt.data.akshare_live import AkshareLive
from coverbt.data.trading_calendar import trading_days
from coverbt.events import ingest_cninfo, ingest_em
from coverbt.events.fetchrun import FeedRun, RateLimit, RunSummary, Unit
from coverbt.events.from_universe import ReportFile, check_unique_ids, read_reports
from coverbt.events.ingest_csv import read_csv_events
from coverbt.events.store import EventStore, IngestSummary


@dataclass(frozen=True)
class ReportRow:
    """One line of ``coverbt reports list``."""

    report_id: str
    broker: str
    published: dt.date | None
    title: str
    source: str  # the universe file, or the feed
    labels: dict[str, int]
    events: int  # rated names (file) or events (feed)
    stored: int  # events of this report in the store
    error: str | None = None

    def to_json(self) -> dict[str, object]:
        return {
            "report_id": self.report_id, "broker": self.broker,
            "published": self.published.isoformat() if self.published else None,
            "title": self.title, "source": self.source, "labels": self.labels,
            "events": self.events, "stored": self.stored, "error": self.error,
        }  # fmt: skip


def list_reports(store: EventStore, universe_dir: Path) -> list[ReportRow]:
    """Every universe file as a report (bad files with their error), then each feed's
    stored events summed up per source (a workspace without ``universe_dir`` has no
    files, only feeds)."""
    stored = store.current()
    per_report: dict[str, int] = (
        {str(k): int(v) for k, v in stored.groupby("report_id").size().items()}
        if len(stored)
        else {}
    )
    files = read_reports([universe_dir]) if Path(universe_dir).is_dir() else []
    rows = [_file_row(item, per_report) for item in files]
    feeds = stored.loc[stored["source"] != "report_file"] if len(stored) else stored
    for source, part in feeds.groupby("source", sort=True) if len(feeds) else []:
        rows.append(
            ReportRow(
                report_id=f"({part['report_id'].nunique()} reports)",
                broker=f"{part['broker'].nunique()} brokers",
                published=part["published"].max().date(),
                title=f"from {part['published'].min().date()} to {part['published'].max().date()}",
                source=str(source),
                labels={str(k): int(v) for k, v in part["label"].value_counts().items()},
                events=len(part),
                stored=len(part),
            )
        )
    return rows


def _file_row(item: ReportFile, per_report: dict[str, int]) -> ReportRow:
    if item.universe is None:
        return ReportRow("?", "?", None, "", f"universe/{item.path.name}", {}, 0, 0,
                         str(item.error))  # fmt: skip
    report = item.universe.report
    return ReportRow(
        report_id=report.id,
        broker=report.broker,
        published=report.published,
        title=report.title,
        source=f"universe/{item.path.name}",
        labels=item.labels,
        events=sum(item.labels.values()),
        stored=int(per_report.get(report.id, 0)),
    )


def ingest_reports(store: EventStore, paths: Sequence[Path]) -> tuple[IngestSummary, int]:
    """Store the events of every universe file given (files or folders), in one
    transaction; the first bad file stops it (nothing stored). Returns the summary and the
    number of files."""
    reports = read_reports(list(paths))
    for item in reports:
        if item.error is not None:
            raise item.error
    check_unique_ids(reports)
    events = [e for item in reports for e in item.events]
    return store.ingest(events, origin="coverbt reports ingest"), len(reports)


def import_csv(store: EventStore, path: Path) -> IngestSummary:
    """Store a user's CSV list (all rows or none)."""
    return store.ingest(read_csv_events(path), origin=f"coverbt reports import-csv {path.name}")


def fetch_em(
    store: EventStore,
    cache_dir: Path,
    codes: Sequence[str],
    *,
    live: AkshareLive | None = None,
    limit: RateLimit | None = None,
    today: dt.date | None = None,
    refresh: bool = False,
    now: Callable[[], dt.datetime] = dt.datetime.now,
) -> RunSummary:
    """东方财富's reports of each code; a code already fetched on ``today`` is skipped
    (a rerun the same day resumes), unless ``refresh``."""
    day = (today or dt.date.today()).isoformat()
    run = FeedRun(store, cache_dir, ingest_em.FUNCTION, ingest_em.fetcher(live or AkshareLive()),
                  ingest_em.em_events, limit=limit, now=now)  # fmt: skip
    units = [Unit({"symbol": c, "as_of": day}, c) for c in dict.fromkeys(codes)]
    return run.run(units, skip_stored=not refresh, origin="coverbt reports fetch-em")


def fetch_cninfo(
    store: EventStore,
    cache_dir: Path,
    since: dt.date,
    until: dt.date,
    *,
    live: AkshareLive | None = None,
    limit: RateLimit | None = None,
    refresh: bool = False,
    now: Callable[[], dt.datetime] = dt.datetime.now,
) -> RunSummary:
    """巨潮's ratings of every session in ``[since, until]``; days already stored are
    skipped (they are final), unless ``refresh``."""
    days = [d.date().isoformat() for d in trading_days(pd.Timestamp(since), pd.Timestamp(until))]
    run = FeedRun(store, cache_dir, ingest_cninfo.FUNCTION,
                  ingest_cninfo.fetcher(live or AkshareLive()), ingest_cninfo.cninfo_events,
                  limit=limit, now=now)  # fmt: skip
    units = [Unit({"date": d}, d) for d in days]
    return run.run(units, skip_stored=not refresh, origin="coverbt reports fetch-cninfo")
