"""Nothing dated after today enters the append-only ledger.

"The future" is today + 2 years, whatever day the suite runs on (the clock may be moved).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from coverbt.errors import InputError
from coverbt.revisions.actuals import read_actuals
from coverbt.revisions.ledger import Ledger
from coverbt.revisions.service import ingest_universe

FUTURE = dt.date.today() + dt.timedelta(days=2 * 365)


def test_a_universe_published_in_the_future(tmp_path: Path, universe, universe_file) -> None:  # type: ignore[no-untyped-def]
    report = universe.report.model_copy(update={"published": FUTURE})
    later = universe.model_copy(update={"report": report})
    ledger = Ledger(tmp_path / "ledger.duckdb")
    with pytest.raises(InputError, match="after today") as info:
        ingest_universe(ledger, later, universe_file)
    assert (info.value.source, info.value.field) == (universe_file, "report.published")
    assert not ledger.path.exists() or ledger.rows().empty


def test_actuals_announced_in_the_future(tmp_path: Path) -> None:
    path = tmp_path / "actuals.csv"
    path.write_text(
        f"code,fiscal_year,eps,published\n300496,2023,0.12,2024-04-25\n"
        f"300496,{FUTURE.year - 1},0.09,{FUTURE}\n",
        encoding="utf-8",
    )
    with pytest.raises(InputError, match="up to today") as info:
        read_actuals(path)
    assert (info.value.line, info.value.field) == (3, "published")
