"""Valuation after publication: PE TTM from the data, and a return decomposition.

PE TTM comes from :meth:`MarketData.valuation` (baostock ``peTTM``, akshare
``stock_value_em``). A missing PE is said, never filled in.

Decomposition: with ``P`` the close and ``E`` the next-twelve-months EPS known at the time
(:func:`coverbt.revisions.fiscal.ntm_eps`), ``log(P1/P0) = log(E1/E0) + log((P1/E1)/(P0/E0))``:
the change in forward EPS plus the change in the forward multiple. It needs a positive
forward EPS at both ends. Prices are forward-adjusted (qfq) closes, so the return includes
dividends and the forward P/E levels are approximate; the log *changes* are what matter.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import asdict, dataclass

import pandas as pd

from coverbt.data.provider import MarketData
from coverbt.errors import DataUnavailableError
from coverbt.revisions.fiscal import ntm_eps
from coverbt.revisions.ledger import latest_per_key
from coverbt.revisions.records import Kind

STALE_DAYS = 10  # a PE TTM older than this before the as-of date is flagged


@dataclass(frozen=True)
class PeTtm:
    """PE TTM at publication and on the as-of date, with a note when something is missing."""

    at_report: float | None
    at_report_date: dt.date | None
    now: float | None
    now_date: dt.date | None
    note: str | None

    def to_json(self) -> dict[str, object]:
        return {
            "pe_ttm_at_report": self.at_report,
            "pe_ttm_at_report_date": _iso(self.at_report_date),
            "pe_ttm_now": self.now,
            "pe_ttm_date": _iso(self.now_date),
            "pe_ttm_note": self.note,
        }


def pe_ttm_series(market: MarketData, code: str, end: dt.date) -> pd.Series:
    """Daily PE TTM up to ``end`` (NaN rows dropped); empty when the data has none."""
    frame = market.valuation(code, end=end)
    if "pe_ttm" not in frame.columns:
        return _empty_series("pe_ttm")
    return frame["pe_ttm"].dropna().astype(float)


def pe_ttm_view(market: MarketData, code: str, published: dt.date, as_of: dt.date) -> PeTtm:
    """PE TTM on the last session on or before ``published`` and ``as_of``."""
    series = pe_ttm_series(market, code, as_of)
    if series.empty:
        return PeTtm(None, None, None, None, f"no PE TTM in the data for {code}")
    notes = []
    before = series.loc[series.index <= pd.Timestamp(published)]
    at_report, at_report_date = _last(before)
    if at_report is None:
        notes.append(f"PE TTM data starts {series.index[0].date()}, after publication")
    now, now_date = _last(series)
    if now_date is not None and (as_of - now_date).days > STALE_DAYS:
        notes.append(f"latest PE TTM is of {now_date}, {(as_of - now_date).days} days old")
    if now is not None and now < 0:
        notes.append("negative PE TTM: trailing twelve months are a loss")
    return PeTtm(at_report, at_report_date, now, now_date, "; ".join(notes) or None)


@dataclass(frozen=True)
class Decomposition:
    """``log_return = dlog_eps + dlog_pe`` between ``start`` and ``end`` (None: not possible)."""

    start: dt.date | None
    end: dt.date | None
    log_return: float | None
    dlog_eps: float | None
    dlog_pe: float | None
    eps_start: float | None
    eps_end: float | None
    pe_start: float | None
    pe_end: float | None
    note: str | None

    def to_json(self) -> dict[str, object]:
        out = asdict(self)
        out["start"], out["end"] = _iso(self.start), _iso(self.end)
        return out


def decompose(
    closes: pd.Series,
    rows: pd.DataFrame,
    code: str,
    source: str,
    published: dt.date,
    as_of: dt.date,
) -> Decomposition:
    """Split the log return from the last close on/before ``published`` to the last close
    on/before ``as_of`` into forward-EPS and forward-P/E changes, using ``source``'s EPS as
    known at each end (point in time)."""
    p0, d0 = _last(closes.loc[closes.index <= pd.Timestamp(published)])
    p1, d1 = _last(closes.loc[closes.index <= pd.Timestamp(as_of)])
    if p0 is None or p1 is None or d0 is None or d1 is None or d1 <= d0:
        return _nothing(d0, d1, "no close on both dates")
    log_return = math.log(p1 / p0)
    # the start EPS is what the report said (known on publication, after the last close)
    e0 = ntm_eps(published, eps_by_year(rows, code, source, published))
    e1 = ntm_eps(d1, eps_by_year(rows, code, source, d1))
    if e0 is None or e1 is None or e0 <= 0 or e1 <= 0:
        return Decomposition(
            d0, d1, log_return, None, None, e0, e1, None, None,
            "not decomposable: forward EPS missing or not positive",
        )  # fmt: skip
    dlog_eps = math.log(e1 / e0)
    revised = _snapshots_after(rows, code, source, published, as_of)
    note = None if revised else "only the report's snapshot: forward EPS moved by roll-forward"
    return Decomposition(
        d0, d1, log_return, dlog_eps, log_return - dlog_eps, e0, e1, p0 / e0, p1 / e1, note
    )


def eps_by_year(rows: pd.DataFrame, code: str, source: str, date: dt.date) -> dict[int, float]:
    """``{fiscal_year: eps}`` of ``source`` for ``code`` as known on ``date``."""
    current = latest_per_key(rows)
    mask = (
        (current["code"] == code)
        & (current["source"] == source)
        & (current["kind"] == str(Kind.FORECAST))
        & (current["as_of"] <= pd.Timestamp(date))
    )
    found = current.loc[mask].sort_values("as_of")
    return {int(y): float(e) for y, e in zip(found["fiscal_year"], found["eps"], strict=True)}


def closes(market: MarketData, code: str, start: dt.date, end: dt.date) -> pd.Series:
    """Forward-adjusted closes in ``[start, end]``; empty when the data has none."""
    try:
        return market.bars(code, start=start, end=end).frame["close"]
    except DataUnavailableError:
        return _empty_series("close")


def _snapshots_after(
    rows: pd.DataFrame, code: str, source: str, published: dt.date, as_of: dt.date
) -> bool:
    stamps = rows.loc[(rows["code"] == code) & (rows["source"] == source), "as_of"]
    return bool(((stamps > pd.Timestamp(published)) & (stamps <= pd.Timestamp(as_of))).any())


def _empty_series(name: str) -> pd.Series:
    return pd.Series(dtype=float, name=name, index=pd.DatetimeIndex([], name="date"))


def _nothing(d0: dt.date | None, d1: dt.date | None, note: str) -> Decomposition:
    return Decomposition(d0, d1, None, None, None, None, None, None, None, note)


def _last(series: pd.Series) -> tuple[float | None, dt.date | None]:
    if series.empty:
        return None, None
    return float(series.iloc[-1]), series.index[-1].date()


def _iso(day: dt.date | None) -> str | None:
    return day.isoformat() if day else None
