"""Ingestion jobs: the universe's rows, announced actuals, and today's akshare snapshot."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

from coverbt.data.netfail import Failed, FetchGuard, failure_of, summary_lines
from coverbt.errors import CoverbtError, FetchError, FetchFailure, InputError
from coverbt.revisions import consensus
from coverbt.revisions.actuals import read_actuals
from coverbt.revisions.from_universe import universe_records
from coverbt.revisions.ledger import IngestSummary, Ledger
from coverbt.revisions.records import ForecastRecord
from coverbt.universe.model import Universe


def ingest_universe(ledger: Ledger, universe: Universe, path: Path) -> IngestSummary:
    """Store the report's table rows (idempotent: a second run adds nothing).

    A report published after today is refused: the ledger would keep it for ever.
    """
    today = dt.date.today()
    if universe.report.published > today:
        raise InputError(
            f"the report is published {universe.report.published}, after today ({today}); "
            "the ledger is append-only and would keep its forecasts for ever",
            source=path,
            field="report.published",
            expected=f"a date up to {today}",
            fix="correct report.published (a typo in the year?) and ingest again",
        )
    return ledger.ingest(universe_records(universe), origin=f"universe:{path}")


def ingest_actuals(ledger: Ledger, path: Path) -> IngestSummary:
    """Store announced results from a CSV (validated before anything is written)."""
    return ledger.ingest(read_actuals(path), origin=f"actuals:{path}")


@dataclass
class SnapshotResult:
    """What a snapshot stored, and what failed: ``problems`` holds one line per failed
    request, ``failures`` their classes and hosts (see :meth:`failure_lines`)."""

    summary: IngestSummary
    records: int
    problems: list[str] = field(default_factory=list)
    failures: list[Failed] = field(default_factory=list)

    def failure_lines(self) -> list[str]:
        """One line per failure class, with the count of requests, hosts and the fix; then
        each schema (or unclassified) problem, since each names its own function and field."""
        own = [
            problem
            for (failure, _host, _tried), problem in zip(self.failures, self.problems, strict=True)
            if failure in (FetchFailure.SCHEMA, None)
        ]
        return summary_lines(self.failures, units=("request", "requests")) + own


Step = Callable[[str], None]


def take_snapshot(
    ledger: Ledger,
    codes: Iterable[str],
    today: dt.date,
    *,
    fetchers: dict[str, consensus.Fetch] | None = None,
    progress: Step | None = None,
    guard: FetchGuard | None = None,
) -> SnapshotResult:
    """Fetch today's consensus and research-report forecasts for ``codes`` and store them
    in one transaction. A source that fails is reported in ``problems``; the others are kept.

    All requests share ``guard`` (default: a new one): after a DNS failure or a refused
    connection the rest fail at once, and the run gives up once its failure budget is spent.
    """
    fetchers = fetchers or {}
    guard = guard or FetchGuard()
    codes = list(codes)
    records: list[ForecastRecord] = []
    problems: list[str] = []
    failures: list[Failed] = []

    def attempt(label: str, job: Callable[[], list[ForecastRecord]]) -> None:
        if progress:
            progress(label)
        try:
            records.extend(job())
        except CoverbtError as exc:
            problems.append(f"{label}: {exc}")
            fetch = exc if isinstance(exc, FetchError) else None
            host = fetch.host if fetch else None
            failures.append((failure_of(exc), host, fetch.tried if fetch else True))

    for code in codes:
        ths, report = fetchers.get("ths"), fetchers.get("em_report")
        attempt(f"ths {code}", partial(consensus.ths_records, code, today, ths, guard))
        attempt(
            f"em_report {code}", partial(consensus.em_report_records, code, today, report, guard)
        )
    em = fetchers.get("em")
    attempt("em_consensus", lambda: consensus.em_consensus_records(codes, today, em, guard))
    summary = ledger.ingest(records, origin=f"snapshot:{today.isoformat()}")
    return SnapshotResult(summary, len(records), problems, failures)
