"""Compile a strategy file and a universe into a plan: target weights per decision date.

The plan is what both engines execute (backtrader and the vectorized path): decisions trade
at the **open** of their session; each name leaves at the **close** of its exit session.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from coverbt.data.provider import BENCHMARKS, MarketData
from coverbt.data.schema import SeriesKind
from coverbt.errors import InputError
from coverbt.horizon import entry_session, horizon_end, parse_horizon
from coverbt.market.rules import PROFILES, MarketProfile
from coverbt.strategy.checks import check_rating_weights, check_something_selected
from coverbt.strategy.context import Context
from coverbt.strategy.panel import Panel, PanelLoader, load_panel
from coverbt.strategy.ratings import RatingExit, RatingHistory, rating_exit
from coverbt.strategy.rules import (
    CapWeights,
    Rule,
    SelectNames,
    SelectSignal,
    SelectWhere,
    WeighByRating,
    WeighEqually,
    WeighInverseVol,
    matches,
    run_stack,
)
from coverbt.strategy.signal import ScreenSignal, screen_signal
from coverbt.strategy.spec import StrategySpec
from coverbt.universe.boards import Board
from coverbt.universe.model import CoveredName, Universe

# calendar days of history loaded before the entry for look-back rules (1.6 x sessions + slack)
_HISTORY_DAYS_PER_SESSION = 1.6


@dataclass(frozen=True)
class Instrument:
    code: str
    name: str
    kind: SeriesKind
    board: Board | None  # None for an index (not tradeable: no lots, limits or fees)
    rating: str | None = None
    theme: str | None = None


@dataclass(frozen=True)
class Decision:
    date: pd.Timestamp
    weights: dict[str, float]
    reason: str


@dataclass(frozen=True)
class Skipped:
    code: str
    name: str
    reason: str


@dataclass(frozen=True)
class Plan:
    strategy: str
    instruments: dict[str, Instrument]
    decisions: tuple[Decision, ...]
    exits: dict[str, pd.Timestamp]
    start: pd.Timestamp
    end: pd.Timestamp
    profile: MarketProfile
    capital: float
    stop_loss: float | None = None
    skipped: tuple[Skipped, ...] = field(default_factory=tuple)
    screen_file: Path | None = None  # the screen a ``trigger: screen`` plan read
    # names sold at the OPEN of ``exits[code]`` (a later rating), not at its close
    rating_exits: dict[str, RatingExit] = field(default_factory=dict)


def build_plan(
    spec: StrategySpec,
    universe: Universe,
    market: MarketData,
    *,
    start: dt.date | None = None,
    end: dt.date | None = None,
    profile: MarketProfile | None = None,
    ratings: RatingHistory | None = None,
    panels: PanelLoader = load_panel,
) -> tuple[Plan, Panel]:
    """The plan of ``spec`` on ``universe`` and the bars it needs (from ``market``).

    ``ratings`` holds the later reports read by ``exit.on_rating_change`` (``None``: no
    rating is known beyond the universe's own, so no name leaves on a change). ``panels``
    reads the bars (a sweep passes a :class:`~coverbt.strategy.panel.PanelMemo`, so plans
    over the same names and window share one panel).
    """
    entry = _entry(universe, start)
    if spec.select.index is not None:
        return _index_plan(spec, universe, market, entry, end, profile, panels)
    check_rating_weights(spec, universe)
    chosen, skipped = _candidates(spec, universe)
    exits = {c.code: _exit_of(spec, universe, c, entry, end) for c in chosen}
    last = max(exits.values(), default=entry)
    changes = _rating_exits(spec, universe, chosen, exits, entry, ratings)
    exits.update({code: change.day for code, change in changes.items()})
    lookback = spec.weigh.lookback if spec.weigh.method == "inverse_vol" else 0
    history = entry - pd.Timedelta(days=int(lookback * _HISTORY_DAYS_PER_SESSION) + 10)
    wanted = {c.code: SeriesKind.STOCK for c in chosen}
    panel, missing = panels(market, wanted, history.date(), last.date())
    for item in chosen:
        if item.code in missing:
            skipped.append(Skipped(item.code, item.name, f"no data: {missing[item.code]}"))
        elif panel["close"].loc[:entry, item.code].isna().all():
            first = panel.meta[item.code].first
            reason = (
                f"no bar between {history.date()} and the entry {entry.date()} (data starts "
                f"{first}): missing or suspended data; buying later would change the strategy"
            )
            skipped.append(Skipped(item.code, item.name, reason))
    skipped_codes = {s.code for s in skipped}
    names = {c.code: c for c in chosen if c.code not in skipped_codes}
    valuation = (
        {c: market.valuation(c, end=last.date()) for c in names} if spec.select.where else {}
    )
    screen_file, signal = (
        screen_signal(spec, universe, market) if spec.act.trigger == "screen" else (None, None)
    )
    stack = _stack(spec, signal)
    decisions = []
    for day in _decision_dates(spec, entry, last, panel.sessions):
        alive = {c: item for c, item in names.items() if exits[c] > day}
        ctx = Context(day, universe, alive, panel["close"], valuation)
        weights = run_stack(stack, ctx).weights
        decisions.append(Decision(day, weights, _reason(spec, day, entry, signal)))
    check_something_selected(spec, [d.weights for d in decisions])
    instruments = {
        c: Instrument(c, item.name, SeriesKind.STOCK, item.board, item.rating_text, item.theme)
        for c, item in names.items()
    }
    plan = Plan(
        strategy=spec.name,
        instruments=instruments,
        decisions=tuple(decisions),
        exits={c: exits[c] for c in names},
        start=entry,
        end=last,
        profile=profile or PROFILES[spec.costs],
        capital=spec.capital,
        stop_loss=spec.exit.stop_loss,
        skipped=tuple(skipped),
        screen_file=screen_file,
        rating_exits={c: changes[c] for c in names if c in changes},
    )
    return plan, panel


def _rating_exits(
    spec: StrategySpec,
    universe: Universe,
    chosen: list[CoveredName],
    exits: dict[str, pd.Timestamp],
    entry: pd.Timestamp,
    ratings: RatingHistory | None,
) -> dict[str, RatingExit]:
    """Names a later rating of the report's own source sends out before their horizon."""
    mode = spec.exit.on_rating_change
    if mode is None or ratings is None:
        return {}
    from coverbt.data.trading_calendar import trading_days
    from coverbt.revisions.from_universe import report_source

    source = report_source(universe)
    scale = universe.rating_scale.labels()
    out = {}
    for item in chosen:
        change = rating_exit(
            mode,
            ratings,
            code=item.code,
            source=source,
            entry_rating=item.rating,
            published=universe.report.published,
            scale=scale,
            sessions=trading_days(entry, exits[item.code]),
        )
        if change is not None:
            out[item.code] = change
    return out


def _reason(
    spec: StrategySpec, day: pd.Timestamp, entry: pd.Timestamp, signal: ScreenSignal | None
) -> str:
    when = "publication" if day == entry else f"rebalance every {spec.act.rebalance}"
    if signal is None:
        return when
    call = signal.calls.get(day)
    what = call.reason if call is not None else "no name left to screen"
    return f"{when}; {signal.screen.name}: {what}"


def _entry(universe: Universe, start: dt.date | None) -> pd.Timestamp:
    first = entry_session(universe.report.published)
    if start is None:
        return first
    wanted = pd.Timestamp(start)
    if wanted < first:
        raise InputError(
            f"--start {wanted.date()} is before the first session after publication "
            f"({first.date()}): trading then would use a report nobody had read",
            field="--start",
            expected=f"a date on or after {first.date()}",
            fix=f"drop --start or pass --start {first.date()}",
        )
    from coverbt.data.trading_calendar import next_session

    return next_session(wanted, strictly_after=False)


def _candidates(spec: StrategySpec, universe: Universe) -> tuple[list[CoveredName], list[Skipped]]:
    chosen: list[CoveredName] = []
    skipped: list[Skipped] = []
    for item in universe.names:
        if not matches(item, spec.select):
            continue
        if spec.select.a_share and not item.a_share:
            skipped.append(
                Skipped(item.code, item.name, f"not an A-share (listed on {item.exchange})")
            )
            continue
        chosen.append(item)
    if not chosen:
        raise InputError(
            f"the selection of strategy {spec.name} matches no A-share name of the universe",
            source=spec.source,
            field="select",
            expected="ratings/themes/codes that exist in the universe file",
            fix="check the labels against `coverbt universe show`",
        )
    return chosen, skipped


def _exit_of(
    spec: StrategySpec,
    universe: Universe,
    item: CoveredName,
    entry: pd.Timestamp,
    end: dt.date | None,
) -> pd.Timestamp:
    horizon = spec.exit.horizon
    if horizon == "rating":
        horizon = spec.exit.default_horizon
        if item.rating:
            horizon = f"{universe.rating_scale.band(item.rating).horizon_months}M"
    out = horizon_end(entry, horizon)
    return _clip_end(out, entry, end)


def _clip_end(out: pd.Timestamp, entry: pd.Timestamp, end: dt.date | None) -> pd.Timestamp:
    if end is None:
        return out
    from coverbt.data.trading_calendar import trading_days

    sessions = trading_days(entry, end)
    if len(sessions) == 0:
        raise InputError(
            f"--end {end} is before the entry session {entry.date()}",
            field="--end",
            expected=f"a date after {entry.date()}",
            fix="pass a later --end or drop it",
        )
    return min(out, pd.Timestamp(sessions[-1]))


def _decision_dates(
    spec: StrategySpec, entry: pd.Timestamp, last: pd.Timestamp, sessions: pd.DatetimeIndex
) -> list[pd.Timestamp]:
    dates = [entry]
    if spec.act.rebalance:
        step = parse_horizon(spec.act.rebalance)
        k = 1
        while True:
            target = entry + step * k
            later = sessions[sessions >= target]
            if len(later) == 0 or later[0] >= last:
                break
            if later[0] != dates[-1]:
                dates.append(pd.Timestamp(later[0]))
            k += 1
    return dates


def _stack(spec: StrategySpec, signal: ScreenSignal | None = None) -> list[Rule]:
    rules: list[Rule] = [SelectNames(spec.select)]
    if spec.select.where:
        rules.append(SelectWhere(spec.select.where, spec.source, spec.where_line))
    if signal is not None:
        rules.append(SelectSignal(signal))
    weigh = spec.weigh
    if weigh.method == "equal":
        rules.append(WeighEqually())
    elif weigh.method == "rating":
        rules.append(WeighByRating(weigh.rating_weights))
    else:
        rules.append(WeighInverseVol(weigh.lookback))
    if weigh.cap is not None:
        rules.append(CapWeights(weigh.cap))
    return rules


def _index_plan(
    spec: StrategySpec,
    universe: Universe,
    market: MarketData,
    entry: pd.Timestamp,
    end: dt.date | None,
    profile: MarketProfile | None,
    panels: PanelLoader,
) -> tuple[Plan, Panel]:
    key = spec.select.index or ""
    code = BENCHMARKS[key]
    horizon = spec.exit.default_horizon if spec.exit.horizon == "rating" else spec.exit.horizon
    last = _clip_end(horizon_end(entry, horizon), entry, end)
    panel, missing = panels(market, {code: SeriesKind.INDEX}, entry.date(), last.date())
    if code in missing:
        from coverbt.errors import DataUnavailableError

        raise DataUnavailableError(f"benchmark {key} ({code}): {missing[code]}")
    instrument = Instrument(code, key, SeriesKind.INDEX, None)
    plan = Plan(
        strategy=spec.name,
        instruments={code: instrument},
        decisions=(Decision(entry, {code: 1.0}, "publication"),),
        exits={code: last},
        start=entry,
        end=last,
        profile=profile or PROFILES[spec.costs],
        capital=spec.capital,
    )
    return plan, panel
