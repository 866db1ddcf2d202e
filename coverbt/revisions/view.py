"""The ``coverbt revisions`` view: per name, what was known on a date and how it moved.

:func:`build_view` composes the ledger, the universe and the market data into the JSON
contract of ``coverbt revisions --json``; it reads nothing but its arguments.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, SupportsFloat, SupportsInt, cast

import pandas as pd

from coverbt.data.provider import MarketData
from coverbt.revisions.fiscal import fiscal_year_ahead
from coverbt.revisions.from_universe import report_source
from coverbt.revisions.ledger import latest_per_key
from coverbt.revisions.metrics import revision_breadth, window_change
from coverbt.revisions.records import EM_CONSENSUS, THS_CONSENSUS, Kind
from coverbt.revisions.valuation import closes, decompose, pe_ttm_view
from coverbt.universe.model import CoveredName, Universe

WINDOWS: tuple[str, ...] = ("1M", "3M")
PRICE_LOOKBACK_DAYS = 31  # enough history to find the last close on/before publication


def change_sources(universe: Universe) -> list[str]:
    """Sources tried, in order, for EPS changes: consensus first, then the report itself."""
    return [THS_CONSENSUS, EM_CONSENSUS, report_source(universe)]


def build_view(
    universe: Universe, rows: pd.DataFrame, market: MarketData, as_of: dt.date
) -> dict[str, Any]:
    """The ``revisions --json`` contract on ``as_of`` (only rows with ``as_of <= as_of``)."""
    known = latest_per_key(rows)
    known = known.loc[known["as_of"] <= pd.Timestamp(as_of)]
    names = [_name_view(item, known, universe, market, as_of) for item in universe.names]
    out: dict[str, Any] = {"as_of": as_of.isoformat(), "names": names}
    for window in WINDOWS:
        tag = window.lower()
        breadth = revision_breadth(n[f"eps_change_{tag}"] for n in names)
        out[f"breadth_{tag}"] = breadth.value
        out[f"breadth_{tag}_counts"] = {"up": breadth.up, "down": breadth.down, "n": breadth.n}
    out["report_source"] = report_source(universe)
    out["published"] = universe.report.published.isoformat()
    out["notes"] = _notes(known, universe)
    return out


def _name_view(
    item: CoveredName, known: pd.DataFrame, universe: Universe, market: MarketData, as_of: dt.date
) -> dict[str, Any]:
    mine = known.loc[known["code"] == item.code]
    actual_years = mine.loc[mine["kind"] == str(Kind.ACTUAL), "fiscal_year"].astype(int)
    fy1 = fiscal_year_ahead(as_of, actual_years_known=actual_years)
    view: dict[str, Any] = {
        "code": item.code,
        "name": item.name,
        "rating": item.rating_text or item.prose,
        "fy1": fy1,
        "forecasts": _forecasts(mine),
    }
    for window in WINDOWS:
        change = window_change(known, item.code, fy1, as_of, window, change_sources(universe))
        view[f"eps_change_{window.lower()}"] = change.change
        view[f"eps_change_{window.lower()}_source"] = change.source
    published = universe.report.published
    report_fy1 = fiscal_year_ahead(published)
    view["pe_at_report"] = item.pe.get(report_fy1)
    view["pe_at_report_fiscal_year"] = report_fy1 if report_fy1 in item.pe else None
    view["pe_at_report_trailing"] = item.pe.get(report_fy1 - 1)
    if not item.a_share:
        view.update(_not_a_share(item))
        return view
    view.update(pe_ttm_view(market, item.code, published, as_of).to_json())
    prices = closes(market, item.code, published - dt.timedelta(PRICE_LOOKBACK_DAYS), as_of)
    parts = decompose(prices, known, item.code, report_source(universe), published, as_of)
    view["decomposition"] = parts.to_json()
    if not item.eps:
        view["note"] = "prose mention only: the report gives no EPS forecast"
    return view


def _forecasts(mine: pd.DataFrame) -> list[dict[str, Any]]:
    """The latest snapshot of each (source, fiscal year, kind) known on the date."""
    latest = mine.sort_values(["as_of", "seq"]).drop_duplicates(
        ["source", "fiscal_year", "kind"], keep="last"
    )
    latest = latest.sort_values(["source", "fiscal_year"])
    # pandas-stubs types itertuples() fields as any scalar; the ledger's columns are typed
    return [
        {
            "source": r.source,
            "as_of": cast(pd.Timestamp, r.as_of).date().isoformat(),
            "fiscal_year": int(cast(SupportsInt, r.fiscal_year)),
            "eps": float(cast(SupportsFloat, r.eps)),
            "kind": r.kind,
            "mark": r.mark,
        }
        for r in latest.itertuples()
    ]


def _not_a_share(item: CoveredName) -> dict[str, Any]:
    return {
        "pe_ttm_at_report": None,
        "pe_ttm_at_report_date": None,
        "pe_ttm_now": None,
        "pe_ttm_date": None,
        "pe_ttm_note": f"{item.code} is listed on {item.exchange}, not an A-share: no data",
        "decomposition": None,
        "note": f"not an A-share ({item.exchange})",
    }


def _notes(known: pd.DataFrame, universe: Universe) -> list[str]:
    notes = []
    later = known.loc[known["as_of"] > pd.Timestamp(universe.report.published)]
    if later.empty:
        notes.append(
            "the ledger holds no snapshot after the report: EPS changes are 0 or null, and "
            "forward EPS moves only by fiscal-year roll-forward; record consensus daily with "
            "`coverbt revisions snapshot`"
        )
    if known.empty:
        notes.append("no forecast was known on this date (the report was not yet published)")
    return notes
