"""EPS revision fields of a screen, from the revision ledger (:mod:`coverbt.revisions`).

``eps_rev_1m`` / ``eps_rev_3m``: relative change of the FY1 EPS known on the as-of session
against the one known a month / three months earlier, measured on one source (consensus
first, then the report) by :func:`coverbt.revisions.metrics.window_change`. Point in time:
only ledger rows with ``as_of`` on or before the session are read.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import pandas as pd

from coverbt.revisions.fiscal import fiscal_year_ahead
from coverbt.revisions.ledger import latest_per_key
from coverbt.revisions.metrics import window_change
from coverbt.revisions.records import EM_CONSENSUS, THS_CONSENSUS, Kind
from coverbt.revisions.view import change_sources
from coverbt.universe.model import Universe

WINDOWS: dict[str, str] = {"eps_rev_1m": "1M", "eps_rev_3m": "3M"}


def eps_revisions(
    rows: pd.DataFrame, codes: Sequence[str], universe: Universe | None, as_of: dt.date
) -> pd.DataFrame:
    """One row per code in ``codes`` with the revision fields (missing when not measurable)."""
    known = latest_per_key(rows)
    known = known.loc[known["as_of"] <= pd.Timestamp(as_of)]
    sources = change_sources(universe) if universe else [THS_CONSENSUS, EM_CONSENSUS]
    extra = sorted(set(known["source"]) - set(sources))
    out = pd.DataFrame(index=pd.Index(list(codes)), columns=list(WINDOWS), dtype=float)
    for code in sorted(set(known["code"]) & set(codes)):
        mine = known.loc[known["code"] == code]
        actuals = mine.loc[mine["kind"] == str(Kind.ACTUAL), "fiscal_year"].astype(int)
        fy1 = fiscal_year_ahead(as_of, actual_years_known=actuals)
        for field, window in WINDOWS.items():
            change = window_change(known, code, fy1, as_of, window, [*sources, *extra])
            out.at[code, field] = change.change
    return out
