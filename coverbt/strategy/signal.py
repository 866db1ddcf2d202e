"""Screen signals for ``act: {trigger: screen}``: which names a screen passes before a decision.

At a decision taken at the open of session ``d`` a :class:`ScreenSignal` runs the screen
(:func:`coverbt.screens.run.run_screen`, the one screen engine) as of the session before
``d`` on a :class:`PointInTimeMarket`: a view of the provider that serves nothing dated
after that session. The screen cannot see the open it trades at, or anything later,
whatever fields it reads.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import pandas as pd

from coverbt.data.provider import MarketData
from coverbt.data.schema import Adjust, Series, SeriesKind, SeriesMeta
from coverbt.errors import InputError
from coverbt.screens.fields import parse_fields
from coverbt.screens.run import run_screen
from coverbt.screens.spec import Screen, find_screen, load_screen
from coverbt.strategy.spec import StrategySpec
from coverbt.universe.model import Universe
from coverbt.workspace import Workspace


def previous_session(market: MarketData, day: pd.Timestamp) -> pd.Timestamp:
    """The last session strictly before ``day``."""
    earlier = market.calendar((day - pd.Timedelta(days=20)).date(), day.date())
    return pd.Timestamp(earlier[earlier < day][-1])


@dataclass(frozen=True)
class PointInTimeMarket:
    """``market`` as it was known at the close of ``last``: later rows do not exist.

    Every read is clipped to ``last`` (and filtered again, so a provider that ignored
    ``end`` could not leak); the catalog shows series as ending on ``last`` at the latest.
    """

    market: MarketData
    last: dt.date

    def _end(self, end: dt.date | None) -> dt.date:
        return self.last if end is None else min(pd.Timestamp(end).date(), self.last)

    def bars(
        self,
        code: str,
        *,
        kind: SeriesKind = SeriesKind.STOCK,
        adjust: Adjust = Adjust.QFQ,
        start: dt.date | None = None,
        end: dt.date | None = None,
    ) -> Series:
        series = self.market.bars(code, kind=kind, adjust=adjust, start=start, end=self._end(end))
        return series.between(start, self.last)

    def valuation(
        self, code: str, *, start: dt.date | None = None, end: dt.date | None = None
    ) -> pd.DataFrame:
        frame = self.market.valuation(code, start=start, end=self._end(end))
        return frame.loc[frame.index <= pd.Timestamp(self.last)]

    def calendar(self, start: dt.date, end: dt.date) -> pd.DatetimeIndex:
        return self.market.calendar(start, self._end(end))

    def code_names(self) -> pd.DataFrame:
        return self.market.code_names()

    def catalog(self) -> list[SeriesMeta]:
        return [
            replace(m, last=min(m.last, self.last))
            for m in self.market.catalog()
            if m.first <= self.last
        ]


def load_strategy_screen(spec: StrategySpec, *, line: int | None = None) -> tuple[Path, Screen]:
    """The screen file ``spec.act.screen`` names, validated.

    A name is looked up in the ``screens`` folder beside the strategy file (for a spec built
    in code: ``./strategies/screens``); a ``.yaml`` path is relative to the strategy file.
    A missing screen, or a path leading outside the strategy's folder, is an
    :class:`InputError` naming the strategy file, ``line`` and ``act.screen``; a broken
    screen file is reported on the screen file.
    """
    name = spec.act.screen or ""
    base = spec.source.parent if spec.source is not None else Workspace.at().strategies_dir
    text = name
    if Path(name).suffix in (".yaml", ".yml") and not Path(name).is_absolute():
        text = str(base / name)
    try:
        path = find_screen(base / "screens", text)
        if not path.is_file():
            raise InputError(f"no screen file {path}", expected="an existing screen file")
    except InputError as exc:
        raise InputError(
            f"unknown screen {name!r}",
            source=spec.source,
            line=line,
            field="act.screen",
            expected=exc.expected,
            fix=f"name a screen of {base / 'screens'} or give a path to a screen file "
            "relative to the strategy file",
        ) from None
    if not path.resolve().is_relative_to(base.resolve()):
        raise InputError(
            f"screen path {name!r} leads outside the strategy's folder ({base})",
            source=spec.source,
            line=line,
            field="act.screen",
            expected=f"a screen name of {base / 'screens'} or a path inside {base}",
            fix="copy the screen into the screens folder and name it",
        )
    screen = load_screen(path)
    if any(r.family == "revisions" for r in parse_fields(screen.fields)):
        raise InputError(
            f"screen {screen.name!r} reads EPS revision fields, which a backtest cannot "
            "replay point in time (the revision ledger keeps the latest correction)",
            source=spec.source,
            line=line,
            field="act.screen",
            expected="a screen on market, valuation and report fields",
            fix="drop eps_rev_1m / eps_rev_3m from the screen, or use another screen",
        )
    return path, screen


@dataclass(frozen=True)
class SignalCall:
    """One evaluation: the decision, the session whose close the screen saw, its verdict."""

    decision: pd.Timestamp
    seen: pd.Timestamp
    screened: tuple[str, ...]
    passed: tuple[str, ...]
    chosen: tuple[str, ...]  # best first

    @property
    def reason(self) -> str:
        return (
            f"screen at the {self.seen.date()} close: {len(self.passed)} of "
            f"{len(self.screened)} pass, {len(self.chosen)} chosen"
        )


@dataclass
class ScreenSignal:
    """Runs ``screen`` over a subset of ``universe`` before each decision.

    ``top`` keeps the best N passing names by the screen's score (default: the screen's own
    ``top``). ``calls`` records every evaluation by decision date.
    """

    screen: Screen
    market: MarketData
    universe: Universe
    top: int | None = None
    calls: dict[pd.Timestamp, SignalCall] = field(default_factory=dict)

    def passing(self, as_of: pd.Timestamp, codes: Sequence[str]) -> list[str]:
        """The chosen names among ``codes`` for a decision at the open of ``as_of``."""
        seen = previous_session(self.market, as_of)
        chosen: list[str] = []
        passed: list[str] = []
        if codes:
            result = run_screen(
                self.screen,
                PointInTimeMarket(self.market, seen.date()),
                as_of=seen.date(),
                scope="coverage",
                universe=known_universe(self.universe, codes, as_of, seen),
            )
            table = result.table
            limit = self.top or self.screen.spec.top
            passed = [str(c) for c in table.index[table["passed"]]]
            ranked = table.loc[table["rank"] <= limit].sort_values("rank")
            chosen = [str(c) for c in ranked.index]
        self.calls[as_of] = SignalCall(as_of, seen, tuple(codes), tuple(passed), tuple(chosen))
        return chosen


def known_universe(
    universe: Universe, codes: Sequence[str], as_of: pd.Timestamp, seen: pd.Timestamp
) -> Universe:
    """``universe`` restricted to ``codes``, as known at the open of ``as_of``.

    A decision at the open of ``as_of`` knows the report when it was published before
    ``as_of`` (a report of Sunday 2024-06-23 is read before the open of Monday 06-24), but
    the screen, run as of the previous close (Friday 06-21), hides a report published after
    its as-of session. The report is dated ``seen`` for that run: prices up to the close of
    ``seen``, the report's view as of the open of ``as_of``; nothing after that open.
    """
    published = universe.report.published
    if published >= as_of.date():
        raise ValueError(f"the report of {published} was not known at the open of {as_of.date()}")
    names = [universe.get(c) for c in codes]
    if published <= seen.date():
        return universe.model_copy(update={"names": names})
    report = universe.report.model_copy(update={"published": seen.date()})
    return universe.model_copy(update={"names": names, "report": report})


def screen_signal(
    spec: StrategySpec, universe: Universe, market: MarketData
) -> tuple[Path, ScreenSignal]:
    """The signal of a ``trigger: screen`` spec and the screen file it reads."""
    path, screen = load_strategy_screen(spec)
    return path, ScreenSignal(screen, market, universe, spec.act.top)
