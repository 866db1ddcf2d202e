"""``coverbt revisions``: ingest the universe if needed, build the view, draw the charts."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from coverbt.data.provider import MarketData
from coverbt.reports.fonts import name_label
from coverbt.revisions.charts import name_chart
from coverbt.revisions.from_universe import report_source
from coverbt.revisions.ledger import IngestSummary, Ledger
from coverbt.revisions.service import ingest_universe
from coverbt.revisions.valuation import pe_ttm_series
from coverbt.revisions.view import build_view
from coverbt.universe.model import Universe


@dataclass
class RevisionsRun:
    view: dict[str, Any]
    ingested: IngestSummary
    charts: list[Path]


def run_revisions(
    ledger: Ledger,
    universe: Universe,
    universe_path: Path,
    market: MarketData,
    as_of: dt.date,
    chart_dir: Path | None,
) -> RevisionsRun:
    """Ingest the universe's rows (a no-op when present), build the view on ``as_of`` and,
    when ``chart_dir`` is given, write one PNG per A-share name into it and a page showing
    them all (``revisions.html``)."""
    ingested = ingest_universe(ledger, universe, universe_path)
    rows = ledger.rows()
    view = build_view(universe, rows, market, as_of)
    charts = []
    if chart_dir is not None:
        source = report_source(universe)
        for item in universe.names:
            if not item.a_share:
                continue
            charts.append(
                name_chart(
                    chart_dir / f"{item.code}.png",
                    title=f"{name_label(item.code, item.name)}: EPS known per fiscal year, and P/E",
                    report_source=source,
                    rows=rows,
                    code=item.code,
                    pe_ttm=pe_ttm_series(market, item.code, as_of),
                    pe_report=dict(item.pe),
                    published=universe.report.published,
                    as_of=as_of,
                )
            )
        from coverbt.reports.outputs import write_revisions_page

        write_revisions_page(chart_dir, {item.code: item.name for item in universe.names})
    return RevisionsRun(view, ingested, charts)
