"""EPS and valuation revisions after publication (issue 6): ledger, sources, metrics."""

from coverbt.revisions.ledger import Ledger, forecasts_known_at
from coverbt.revisions.records import ForecastRecord, Kind

__all__ = ["ForecastRecord", "Kind", "Ledger", "forecasts_known_at"]
