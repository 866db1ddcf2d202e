"""The report's own forecasts, from a universe file, as ledger records.

Every EPS of a table row becomes one record, known on the report's publication date.

The report prints 2023 as ``2023A``: by June 2024 the companies had published their 2023
annual reports and the broker copied those figures. We store these rows like the other years,
``kind=forecast`` under the report's source, but with ``mark="A"`` (the report's own marking).
``kind=actual`` is reserved for a company's announced result, dated by its announcement and
entered with ``coverbt revisions add-actuals``; a broker's transcription of an actual is never
mistaken for the filing itself, and the report's 13 x 4 rows live in one source and one kind.
"""

from __future__ import annotations

from coverbt.revisions.records import ForecastRecord, Kind
from coverbt.universe.model import Universe

ACTUAL_MARK = "A"
ESTIMATE_MARK = "E"


def report_source(universe: Universe) -> str:
    """``<broker>:<analyst>,<analyst>`` (research assistants are not authors of ratings).

    Examples
    --------
    >>> from coverbt.universe.load import load_universe
    >>> report_source(load_universe())
    '平安证券:闫磊,黄韦涵'
    """
    report = universe.report
    analysts = [a.name for a in report.analysts if a.role == "analyst"] or [
        a.name for a in report.analysts
    ]
    return f"{report.broker}:{','.join(analysts)}"


def universe_records(universe: Universe) -> list[ForecastRecord]:
    """One record per table row and fiscal year, ``as_of`` = the publication date."""
    source = report_source(universe)
    published = universe.report.published
    records = []
    for item in universe.names:
        if not item.in_table:
            continue
        for year, eps in sorted(item.eps.items()):
            records.append(
                ForecastRecord(
                    source=source,
                    as_of=published,
                    code=item.code,
                    fiscal_year=year,
                    eps=eps,
                    kind=Kind.FORECAST,
                    rating=item.rating,
                    mark=ACTUAL_MARK if year in item.actual_years else ESTIMATE_MARK,
                )
            )
    return records
