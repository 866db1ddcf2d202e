"""Bring the cache's akshare series up to date: fetch only the missing tail.

For each code the cache's akshare series (qfq for a stock, the index itself otherwise)
is extended from its last cached date: the live provider is asked for
``[last, today]``, *including* the last cached day. That overlap day decides:

* its close agrees (relative ``OVERLAP_TOLERANCE``): the new rows are appended;
* it disagrees: for a qfq series the adjustment base moved (a dividend or split since the
  last fetch rescaled all history), so appending would splice two bases together. The
  whole series is fetched again and replaces the cached one.

A code the cache has no akshare series for is fetched whole (from the earliest date any
other cached source has, else :data:`~coverbt.data.akshare_live.DEFAULT_START`). One
failing code is reported and the others go on; all successful ones are written in one
atomic step at the end, under the cache lock. Non-A-shares (亿航智能 EH on NASDAQ) are
reported as skipped. A failed result carries its failure class and host
(:mod:`coverbt.data.netfail`): :func:`failure_summary` sums them up in one line per class,
and :func:`unreachable` tells "the vendors could not be reached" from "some series failed".
:func:`to_fetch` lists the targets the cache does not already hold up to a day (any source),
so a run for a day the cache covers needs no network at all.

Raw prices
----------
With ``raw_prices`` every A-share also gets its raw (unadjusted) bars, updated the same
way (a raw series never rebases: its tail is appended), and its corporate actions
(akshare ``stock_fhps_detail_em``), fetched whole each time and cached per stock
(:mod:`coverbt.data.corporate_actions`). An engine trades at raw prices only with both, so
they go together: a stock whose raw bars or actions fail stores neither, and its result
says so; the actions are written after the bars, in the same locked step.

Valuation
---------
Every A-share also gets a valuation series (kind ``valuation``: ``pe_ttm`` and ``pb``
from akshare ``stock_value_em``), updated the same way and written in the same atomic
step. The site has no date filter, so the request returns the whole history; it is cut
to ``[last cached day, today]`` and only the rows after the last cached day are stored.
Cached rows are never rewritten (point-in-time: a value is what the site said when it
was fetched); when the site has since revised the overlap day, the result's message
says so. Each answer is
validated (:func:`~coverbt.data.validate.validate_valuation`) before anything is stored,
so a changed schema fails that name with an :class:`~coverbt.errors.InputError` and
leaves its cached series as it was.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from coverbt.data.akshare_live import DEFAULT_START
from coverbt.data.cache import Cache
from coverbt.data.catalog import Entry
from coverbt.data.corporate_actions import save_actions
from coverbt.data.netfail import UNREACHABLE, failure_of, summary_lines
from coverbt.data.provider import BENCHMARKS, MarketData, corporate_actions
from coverbt.data.schema import (
    BAR_COLUMNS,
    VALUATION_COLUMNS,
    Adjust,
    Series,
    SeriesKind,
    meta_for,
)
from coverbt.data.store import CacheStore, open_store
from coverbt.data.trading_calendar import (
    beyond_calendar_error,
    known_trading_days,
    last_known_day,
    trading_days,
)
from coverbt.data.validate import validate_bars, validate_valuation
from coverbt.errors import CoverbtError, FetchError, FetchFailure
from coverbt.universe.model import Universe

log = logging.getLogger(__name__)

OVERLAP_TOLERANCE = 1e-6
SESSION_LOOKBACK_DAYS = 30  # the longest market closure (Spring Festival) fits in it
SOURCE = "akshare"

UP_TO_DATE = "up to date"
APPENDED = "appended"
REFETCHED = "refetched (qfq base changed)"
NEW = "new"
SKIPPED = "not an A-share, skipped"
FAILED = "failed"
PLANNED = "would fetch"


@dataclass(frozen=True)
class Target:
    code: str
    name: str
    kind: SeriesKind
    a_share: bool = True
    adjust: Adjust = Adjust.QFQ  # a stock's bars: qfq (signals) or NONE (raw, execution)

    @property
    def label(self) -> str:
        """The kind shown in results: ``stock_raw`` for a stock's raw bars."""
        raw = self.kind is SeriesKind.STOCK and self.adjust is Adjust.NONE
        return "stock_raw" if raw else str(self.kind)


@dataclass(frozen=True)
class UpdateResult:
    """What happened to one code."""

    code: str
    name: str
    kind: str
    status: str
    rows_added: int = 0
    first: str | None = None
    last: str | None = None
    message: str = ""
    failure: str | None = None  # a FetchFailure value when the fetch failed
    host: str | None = None  # the site that failed, when known
    tried: bool = True  # False: not sent, an earlier request failed the same way

    @property
    def failed(self) -> bool:
        return self.status == FAILED

    def to_json(self) -> dict[str, object]:
        return dict(self.__dict__)


def universe_targets(universe: Universe) -> list[Target]:
    """Every name of the universe (non-A-shares flagged), both benchmarks, then the
    valuation series of every A-share."""
    targets = [Target(n.code, n.name, SeriesKind.STOCK, n.a_share) for n in universe.names]
    targets += [Target(code, label, SeriesKind.INDEX) for label, code in BENCHMARKS.items()]
    targets += [Target(n.code, n.name, SeriesKind.VALUATION) for n in universe.names if n.a_share]
    return targets


def raw_targets(targets: Sequence[Target]) -> list[Target]:
    """The raw-price target (bars fetched with the stock's corporate actions) of every
    A-share stock target."""
    return [
        replace(t, adjust=Adjust.NONE)
        for t in targets
        if t.kind is SeriesKind.STOCK and t.a_share and t.adjust is Adjust.QFQ
    ]


def failure_summary(results: Sequence[UpdateResult]) -> list[str]:
    """One line per failure class of the failed results (see
    :func:`~coverbt.data.netfail.summary_lines`)."""
    return summary_lines(
        (FetchFailure(r.failure) if r.failure else None, r.host, r.tried)
        for r in results
        if r.failed
    )


def unreachable(results: Sequence[UpdateResult]) -> bool:
    """True when something was to be fetched and every fetch failed for a network reason
    (DNS, refused, timeout, a broken connection, or the run gave up): the vendors could
    not be reached, so nothing was fetched."""
    failed = [r for r in results if r.failed]
    tried = [r for r in results if r.status not in (SKIPPED, UP_TO_DATE, PLANNED)]
    return (
        bool(failed)
        and len(failed) == len(tried)
        and all(r.failure is not None and FetchFailure(r.failure) in UNREACHABLE for r in failed)
    )


def last_session(day: dt.date) -> dt.date:
    """The last trading session on or before ``day`` (``day`` itself past the calendar)."""
    sessions = known_trading_days(day - dt.timedelta(days=SESSION_LOOKBACK_DAYS), day)
    return sessions[-1].date() if len(sessions) else day


def to_fetch(cache: Cache, targets: Sequence[Target], day: dt.date) -> list[Target]:
    """The targets whose cached data does not reach :func:`last_session` of ``day``.

    A price target is covered when any cached series of its code and kind (any source)
    reaches that session; a valuation target when the cache's PE/PB series chosen for the
    window does. Non-A-shares are never fetched, so never listed.
    """
    if not cache.exists():
        return [t for t in targets if t.a_share]
    store = open_store(cache.root, seed=False)
    session = last_session(day)
    missing = []
    for target in targets:
        if not target.a_share:
            continue
        if target.kind is SeriesKind.VALUATION:
            entry = store.valuation_source(target.code, start=session, end=session)
            lasts = [entry.meta.last] if entry is not None else []
        else:
            lasts = [e.meta.last for e in store.sources(target.code, target.kind)]
        if not any(last >= session for last in lasts):
            missing.append(target)
    return missing


def _within_calendar(today: dt.date) -> dt.date:
    last = last_known_day().date()
    if today <= last:
        return today
    log.warning(
        "%s",
        str(beyond_calendar_error(today, "today")).replace(
            "so its sessions are unknown", f"so data is fetched up to {last} only"
        ),
    )
    return last


def update_cache(
    cache: Cache,
    live: MarketData,
    targets: Sequence[Target],
    *,
    today: dt.date | None = None,
    offline: bool = False,
    progress: Callable[[str, int, int], None] | None = None,
    raw_prices: bool = False,
) -> list[UpdateResult]:
    """Fetch the missing tail of every target through ``live`` and store it.

    Sessions after the calendar's last known day cannot be checked, so a ``today`` beyond
    it is capped there, and a notice says so (with the upgrade that lifts the cap).
    ``raw_prices``: also every A-share's raw bars and corporate actions (module notes).
    """
    today = _within_calendar(today or dt.date.today())
    if raw_prices:
        targets = [*targets, *raw_targets(targets)]
    results: list[UpdateResult] = []
    fresh: list[Series] = []
    actions: dict[str, pd.DataFrame] = {}
    with cache.writing() as writer:  # held for the whole run: no interleaved writers
        store = open_store(cache.root, seed=False) if writer.has_series() else None
        for done, target in enumerate(targets, start=1):
            result, series = _one(store, live, target, today, offline)
            if target.label == "stock_raw" and not result.failed and result.status != PLANNED:
                result, series = _with_actions(live, target, result, series, actions)
            results.append(result)
            if series is not None:
                fresh.append(series)
            if progress:
                progress(target.code, done, len(targets))
        if fresh:
            writer.put(fresh, replace=True)
        for code, frame in actions.items():
            save_actions(cache.root, code, frame)
    return results


def _with_actions(
    live: MarketData,
    target: Target,
    result: UpdateResult,
    series: Series | None,
    actions: dict[str, pd.DataFrame],
) -> tuple[UpdateResult, Series | None]:
    """Fetch the corporate actions that go with a stock's raw bars; on failure store
    neither (raw prices without their events misstate every dividend)."""
    try:
        frame = corporate_actions(live, target.code)
        if frame is None:
            return replace(
                result,
                status=FAILED,
                message="the provider has no corporate actions: raw bars not stored",
            ), None
    except CoverbtError as exc:
        failure = failure_of(exc)
        fetch = exc if isinstance(exc, FetchError) else None
        failed = replace(
            result,
            status=FAILED,
            rows_added=0,
            message=f"corporate actions: {exc}",
            failure=None if failure is None else str(failure),
            host=fetch.host if fetch else None,
            tried=fetch.tried if fetch else True,
        )
        return failed, None
    actions[target.code] = frame
    note = f"{len(frame)} corporate action(s)"
    return replace(result, message=f"{result.message}; {note}" if result.message else note), series


def _one(
    store: CacheStore | None, live: MarketData, target: Target, today: dt.date, offline: bool
) -> tuple[UpdateResult, Series | None]:
    base = UpdateResult(target.code, target.name, target.label, "")
    if not target.a_share:
        return _with(base, SKIPPED), None
    cached = _cached(store, target)
    valuation = target.kind is SeriesKind.VALUATION
    try:
        if cached is None:
            start = _earliest(store, target)
            if offline:
                whole = "the whole history" if valuation else f"whole series from {start}"
                return _with(base, PLANNED, message=whole), None
            if valuation:
                series = _valuation_series(target.code, live.valuation(target.code, end=today))
            else:
                series = live.bars(
                    target.code, kind=target.kind, adjust=target.adjust, start=start, end=today
                )
            return _with(base, NEW, series.meta.rows, series), series
        last = cached.meta.last
        if len(trading_days(last + dt.timedelta(days=1), today)) == 0:
            return _with(base, UP_TO_DATE, 0, None, cached), None
        if offline:
            return _with(base, PLANNED, message=f"tail {last} .. {today}"), None
        if valuation:
            return _extend_valuation(store, live, cached, today, base)  # type: ignore[arg-type]
        return _extend(store, live, target, cached, today, base)  # type: ignore[arg-type]
    except CoverbtError as exc:
        failure = failure_of(exc)
        fetch = exc if isinstance(exc, FetchError) else None
        failed = replace(
            _with(base, FAILED, message=str(exc)),
            failure=None if failure is None else str(failure),
            host=fetch.host if fetch else None,
            tried=fetch.tried if fetch else True,
        )
        return failed, None


def _extend(
    store: CacheStore,
    live: MarketData,
    target: Target,
    cached: Entry,
    today: dt.date,
    base: UpdateResult,
) -> tuple[UpdateResult, Series | None]:
    old = store.read(cached)
    last = cached.meta.last
    tail = live.bars(target.code, kind=target.kind, adjust=target.adjust, start=last, end=today)
    if _overlap_agrees(old.frame, tail.frame, last):
        added = tail.frame.loc[tail.frame.index > pd.Timestamp(last)]
        if added.empty:
            return _with(base, UP_TO_DATE, 0, None, cached), None
        merged = _append(old, added, tail)
        return _with(base, APPENDED, len(added), merged), merged
    whole = live.bars(
        target.code, kind=target.kind, adjust=target.adjust, start=cached.meta.first, end=today
    )
    return _with(base, REFETCHED, whole.meta.rows - cached.meta.rows, whole), whole


def _overlap_agrees(old: pd.DataFrame, tail: pd.DataFrame, last: dt.date) -> bool:
    day = pd.Timestamp(last)
    if day not in tail.index:
        return False
    a = old["close"].to_numpy()[old.index.get_loc(day)]
    b = tail["close"].to_numpy()[tail.index.get_loc(day)]
    return bool(np.isclose(a, b, rtol=OVERLAP_TOLERANCE, atol=0.0))


def _append(old: Series, added: pd.DataFrame, tail: Series) -> Series:
    columns = [c for c in old.frame.columns if c in added.columns]
    frame = pd.concat([old.frame[columns], added[columns]])
    frame.index = pd.DatetimeIndex(frame.index, name="date")
    validate_bars(
        frame, source=tail.meta.origin, require=tuple(c for c in BAR_COLUMNS if c in columns)
    )
    meta = meta_for(
        frame,
        code=old.meta.code,
        kind=old.meta.kind,
        source=SOURCE,
        adjust=old.meta.adjust,
        retrieved_at=tail.meta.retrieved_at,
        origin=tail.meta.origin,
    )
    return Series(meta, frame)


def _extend_valuation(
    store: CacheStore, live: MarketData, cached: Entry, today: dt.date, base: UpdateResult
) -> tuple[UpdateResult, Series | None]:
    old = store.read(cached).frame
    last = cached.meta.last
    tail = live.valuation(cached.meta.code, start=last, end=today)
    revised = _revised_days(old, tail)
    note = (
        f"the site revised {revised} cached day(s); the cached values were kept" if revised else ""
    )
    added = tail.loc[tail.index > pd.Timestamp(last)]
    if added.empty:
        return _with(base, UP_TO_DATE, 0, None, cached, note), None
    frame = pd.concat([old[list(VALUATION_COLUMNS)], added[list(VALUATION_COLUMNS)]])
    merged = _valuation_series(cached.meta.code, frame)
    return _with(base, APPENDED, len(added), merged, message=note), merged


def _revised_days(old: pd.DataFrame, new: pd.DataFrame) -> int:
    common = old.index.intersection(new.index)
    a = old.loc[common, list(VALUATION_COLUMNS)].to_numpy(dtype=float)
    b = new.loc[common, list(VALUATION_COLUMNS)].to_numpy(dtype=float)
    same = np.isclose(a, b, rtol=OVERLAP_TOLERANCE, atol=0.0, equal_nan=True)
    return int((~same.all(axis=1)).sum())


def _valuation_series(code: str, frame: pd.DataFrame) -> Series:
    origin = f"akshare:stock_value_em({code})"
    frame = validate_valuation(pd.DataFrame(frame), source=origin)
    frame.index = pd.DatetimeIndex(frame.index, name="date")
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    meta = meta_for(
        frame,
        code=code,
        kind=SeriesKind.VALUATION,
        source=SOURCE,
        adjust=Adjust.NONE,
        retrieved_at=now,
        origin=origin,
    )
    return Series(meta, frame)


def _cached(store: CacheStore | None, target: Target) -> Entry | None:
    if store is None:
        return None
    wanted = target.adjust if target.kind is SeriesKind.STOCK else Adjust.NONE
    for entry in store.sources(target.code, target.kind):
        if entry.meta.source == SOURCE and entry.meta.adjust is wanted:
            return entry
    return None


def _earliest(store: CacheStore | None, target: Target) -> dt.date:
    if store is None:
        return DEFAULT_START
    firsts = [e.meta.first for e in store.sources(target.code, target.kind)]
    return min(firsts) if firsts else DEFAULT_START


def _with(
    base: UpdateResult,
    status: str,
    rows: int = 0,
    series: Series | None = None,
    entry: Entry | None = None,
    message: str = "",
) -> UpdateResult:
    meta = series.meta if series is not None else entry.meta if entry is not None else None
    return UpdateResult(
        base.code,
        base.name,
        base.kind,
        status,
        rows,
        meta.first.isoformat() if meta else None,
        meta.last.isoformat() if meta else None,
        message,
    )
