"""Run a screen as of one session: factors, conditions, score, rank, top N.

:func:`run_screen` takes a :class:`~coverbt.data.provider.MarketData` (tests pass the shared
in-memory provider; the CLI passes the cache) and returns a :class:`ScreenResult` whose
``table`` holds every stock of the screen's universe with its field values, one pass/fail
column per condition, the score and the rank: enough to explain later why a name entered or
left.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd

from coverbt.data import trading_calendar
from coverbt.data.provider import BENCHMARKS, MarketData
from coverbt.data.schema import SeriesKind
from coverbt.data.store import IMPORT_HINT
from coverbt.errors import DataUnavailableError, InputError
from coverbt.screens.factors import (
    STALE_AFTER_SESSIONS,
    market_factors,
    universe_factors,
)
from coverbt.screens.fields import FieldRequest, parse_fields
from coverbt.screens.panel import Progress, benchmark_close, build_panel
from coverbt.screens.revisions import eps_revisions
from coverbt.screens.spec import Screen
from coverbt.universe.model import Universe

Scope = Literal["coverage", "all"]
ID_FIELDS = ("code", "name")


@dataclass
class ScreenResult:
    """The outcome of one screen run; ``table`` is indexed by code."""

    screen: str
    digest: str
    as_of: dt.date
    scope: Scope
    top: int
    conditions: list[str]
    value_fields: list[str]
    table: pd.DataFrame
    skipped: dict[str, str] = field(default_factory=dict)

    @property
    def selected(self) -> pd.DataFrame:
        """The top-N passing rows, best first."""
        chosen = self.table.loc[self.table["selected"]]
        return chosen.sort_values("rank")

    def rows(self) -> list[dict[str, Any]]:
        """The ``rows`` of the ``--json`` contract."""
        return [
            {
                "code": code,
                "name": row["name"] if isinstance(row["name"], str) else None,
                "score": plain(row["score"]),
                "values": {f: plain(row[f]) for f in self.value_fields},
            }
            for code, row in self.selected.iterrows()
        ]


def plain(value: Any) -> Any:
    """A JSON-friendly scalar (NaN/NA -> None, numpy -> Python)."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    if isinstance(value, np.bool_ | bool):
        return bool(value)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating | float):
        return float(value)
    return value


def format_value(value: Any, *, missing: str = "–", spec: str = ",.4g") -> str:
    """A screen value as text: ``missing`` for NaN/None, floats by ``spec``.

    Examples
    --------
    >>> format_value(float("nan")), format_value(12345.678), format_value("推荐")
    ('–', '1.235e+04', '推荐')
    """
    value = plain(value)
    if value is None:
        return missing
    if isinstance(value, float):
        return format(value, spec)
    return str(value)


def universe_codes(
    scope: Scope, market: MarketData, universe: Universe | None
) -> tuple[list[str], dict[str, str]]:
    """Codes a screen covers, and the names it skips with the reason."""
    skipped: dict[str, str] = {}
    if scope == "all":
        codes = sorted({m.code for m in market.catalog() if m.kind is SeriesKind.STOCK})
        if not codes:
            raise DataUnavailableError(
                f"the cache holds no stock series; import some with {IMPORT_HINT}"
            )
        return codes, skipped
    if universe is None:
        raise InputError(
            "a coverage screen needs a universe file",
            field="--universe",
            fix="pass --universe FILE or use --all",
        )
    codes = []
    for item in universe.names:
        if item.a_share:
            codes.append(item.code)
        else:
            skipped[item.code] = f"not an A-share ({item.exchange} listing): not screened"
    return codes, skipped


def _last_bars(market: MarketData, codes: Sequence[str]) -> list[dt.date]:
    """The last-bar date of each of ``codes`` in the cache, sorted."""
    wanted = set(codes)
    last: dict[str, dt.date] = {}
    for meta in market.catalog():
        if meta.kind is SeriesKind.STOCK and meta.code in wanted:
            last[meta.code] = max(last.get(meta.code, meta.last), meta.last)
    if not last:
        raise DataUnavailableError(
            "none of the screen's stocks is in the cache; run `coverbt data import` first"
        )
    return sorted(last.values())


def default_as_of(market: MarketData, codes: Sequence[str]) -> dt.date:
    """The median last-bar date of ``codes`` (so most stocks have fresh data), a session."""
    ordered = _last_bars(market, codes)
    return ordered[(len(ordered) - 1) // 2]


def _check_as_of(market: MarketData, codes: Sequence[str], as_of: dt.date) -> None:
    """Refuse an ``as_of`` after the last bar any of ``codes`` has in the cache."""
    last = _last_bars(market, codes)[-1]
    if as_of > last:
        raise InputError(
            f"{as_of} is after the last session in the cache ({last})",
            field="--as-of",
            expected=f"a date up to {last}",
            fix="pass an earlier --as-of, or fetch later bars with `coverbt data update`",
        )


def _score(table: pd.DataFrame, screen: Screen) -> pd.Series:
    spec = screen.spec.score
    if spec.field is not None:
        return table[spec.field].astype(float)
    total = pd.Series(0.0, index=table.index)
    weights = 0.0
    for term in spec.ranks or []:
        ranks = table[term.field].astype(float).rank(pct=True, ascending=term.higher_is_better)
        total = total + term.weight * ranks
        weights += term.weight
    return total / weights


def _rank(table: pd.DataFrame, higher_is_better: bool) -> pd.Series:
    passed = table.loc[table["passed"]].copy()
    passed["_key"] = passed["score"] if higher_is_better else -passed["score"]
    ordered = passed.sort_values(["_key", "code"], ascending=[False, True], na_position="last")
    rank = pd.Series(np.nan, index=table.index)
    rank.loc[ordered.index] = np.arange(1, len(ordered) + 1, dtype=float)
    return rank


def run_screen(
    screen: Screen,
    market: MarketData,
    *,
    as_of: dt.date | None = None,
    scope: Scope | None = None,
    universe: Universe | None = None,
    ledger_rows: pd.DataFrame | None = None,
    progress: Progress | None = None,
) -> ScreenResult:
    """Screen the universe as of ``as_of`` (default: the median last-bar date of its stocks).

    ``ledger_rows`` is the revision ledger (latest correction per key) for the EPS revision
    fields; ``None`` makes those fields unavailable.
    """
    scope = scope or screen.spec.universe
    codes, skipped = universe_codes(scope, market, universe)
    if as_of is not None:
        _check_as_of(market, codes, as_of)
    requested = as_of or default_as_of(market, codes)
    sessions = trading_calendar.trading_days(requested - dt.timedelta(days=15), requested)
    if len(sessions) == 0:
        raise InputError(f"no trading session on or before {requested}", field="--as-of")
    session = sessions[-1].date()
    requests = parse_fields(screen.fields)
    if any(r.family == "report_pe" for r in requests):
        requests = parse_fields([*screen.fields, "close", "fy1_pe"])
    table = _factor_table(market, codes, session, requests, universe, ledger_rows, progress)
    for code, reason in _no_data(table, codes).items():
        skipped.setdefault(code, reason)
    for i, cond in enumerate(screen.conditions):
        table[f"pass_{i}"] = cond.evaluate(table)
    pass_cols = [f"pass_{i}" for i in range(len(screen.conditions))]
    table["passed"] = table[pass_cols].all(axis=1)
    table["score"] = _score(table, screen)
    score_spec = screen.spec.score
    table["rank"] = _rank(table, score_spec.higher_is_better if score_spec.field else True)
    table["selected"] = table["rank"] <= screen.spec.top
    values = [f for f in screen.fields if f not in ID_FIELDS]
    return ScreenResult(
        screen=screen.name,
        digest=screen.digest,
        as_of=session,
        scope=scope,
        top=screen.spec.top,
        conditions=[c.text for c in screen.conditions],
        value_fields=values,
        table=table,
        skipped=skipped,
    )


def _factor_table(
    market: MarketData,
    codes: list[str],
    session: dt.date,
    requests: list[FieldRequest],
    universe: Universe | None,
    ledger_rows: pd.DataFrame | None,
    progress: Progress | None,
) -> pd.DataFrame:
    lookback = max([STALE_AFTER_SESSIONS, *(r.lookback for r in requests)])
    needs_valuation = any(r.family in ("valuation", "pe_pct") for r in requests)
    panel = build_panel(
        market, codes, session, lookback, valuation=needs_valuation, progress=progress
    )
    benchmarks = {
        r.benchmark: benchmark_close(market, BENCHMARKS[r.benchmark], panel.sessions)
        for r in requests
        if r.family == "rs" and r.benchmark
    }
    ppy = trading_calendar.periods_per_year(session - dt.timedelta(days=365), session)
    market_part = market_factors(panel, requests, benchmarks, ppy).reindex(codes)
    names = market.code_names()
    name_of = pd.Series(names["name"].to_numpy(), index=names["code"].astype(str))
    name_of = name_of[~name_of.index.duplicated()]
    table = universe_factors(codes, universe, session, name_of).join(market_part)
    table["stale_days"] = table["stale_days"].astype(float)
    if any(r.family == "report_pe" for r in requests):
        table["pe_fy1_now"] = _pe_fy1_now(market, table, universe, session)
    if any(r.family == "revisions" for r in requests):
        table = table.join(_revisions(ledger_rows, codes, universe, session), how="left")
    table.index.name = None  # the code is also a column (a field conditions can read)
    table.attrs["missing"] = dict(panel.missing)
    return table


def _pe_fy1_now(
    market: MarketData, table: pd.DataFrame, universe: Universe | None, session: dt.date
) -> pd.Series:
    """``fy1_pe * close(as_of) / close(price date)`` for covered names (same series for both)."""
    out = pd.Series(np.nan, index=table.index)
    if universe is None or "close" not in table.columns:
        return out
    price_date = universe.report.price_date
    for code in table.index[table["covered"] & table["fy1_pe"].notna() & table["close"].notna()]:
        try:
            bars = market.bars(code, start=price_date - dt.timedelta(days=20), end=price_date)
        except DataUnavailableError:
            continue
        if not bars.frame.empty:
            base = float(bars.frame["close"].iloc[-1])
            now = float(table["close"].astype(float)[code])
            out[code] = float(table["fy1_pe"].astype(float)[code]) * now / base
    return out


def _revisions(
    ledger_rows: pd.DataFrame | None,
    codes: list[str],
    universe: Universe | None,
    session: dt.date,
) -> pd.DataFrame:
    if ledger_rows is None:
        raise DataUnavailableError(
            "the EPS revision fields (eps_rev_1m, eps_rev_3m) need the revision ledger "
            "data_cache/ledger.duckdb, which is missing; run `coverbt revisions ingest` first"
        )
    return eps_revisions(ledger_rows, codes, universe, session)


def _no_data(table: pd.DataFrame, codes: list[str]) -> dict[str, str]:
    out = dict(table.attrs.get("missing", {}))
    stale = table["stale_days"] > STALE_AFTER_SESSIONS
    for code in table.index[stale.fillna(False)]:
        if code not in out:
            out[code] = f"no bar in the last {STALE_AFTER_SESSIONS} sessions: market fields missing"
    return out
