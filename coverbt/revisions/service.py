"""Ingestion jobs: the universe's rows, announced actuals, and today's akshare snapshot."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

from coverbt.errors import CoverbtError
from coverbt.revisions import consensus
from coverbt.revisions.actuals import read_actuals
from coverbt.revisions.from_universe import universe_records
from coverbt.revisions.ledger import IngestSummary, Ledger
from coverbt.revisions.records import ForecastRecord
from coverbt.universe.model import Universe


def ingest_universe(ledger: Ledger, universe: Universe, path: Path) -> IngestSummary:
    """Store the report's table rows (idempotent: a second run adds nothing)."""
    return ledger.ingest(universe_records(universe), origin=f"universe:{path}")


def ingest_actuals(ledger: Ledger, path: Path) -> IngestSummary:
    """Store announced results from a CSV (validated before anything is written)."""
    return ledger.ingest(read_actuals(path), origin=f"actuals:{path}")


@dataclass
class SnapshotResult:
    summary: IngestSummary
    records: int
    problems: list[str] = field(default_factory=list)


Step = Callable[[str], None]


def take_snapshot(
    ledger: Ledger,
    codes: Iterable[str],
    today: dt.date,
    *,
    fetchers: dict[str, consensus.Fetch] | None = None,
    progress: Step | None = None,
) -> SnapshotResult:
    """Fetch today's consensus and research-report forecasts for ``codes`` and store them
    in one transaction. A source that fails is reported in ``problems``; the others are kept.
    """
    fetchers = fetchers or {}
    codes = list(codes)
    records: list[ForecastRecord] = []
    problems: list[str] = []

    def attempt(label: str, job: Callable[[], list[ForecastRecord]]) -> None:
        if progress:
            progress(label)
        try:
            records.extend(job())
        except CoverbtError as exc:
            problems.append(f"{label}: {exc}")

    for code in codes:
        ths, report = fetchers.get("ths"), fetchers.get("em_report")
        attempt(f"ths {code}", partial(consensus.ths_records, code, today, ths))
        attempt(f"em_report {code}", partial(consensus.em_report_records, code, today, report))
    em = fetchers.get("em")
    attempt("em_consensus", lambda: consensus.em_consensus_records(codes, today, em))
    summary = ledger.ingest(records, origin=f"snapshot:{today.isoformat()}")
    return SnapshotResult(summary, len(records), problems)
