"""``coverbt run``: the whole job in one call (data check, backtests, scorecard, reports).

Steps, each reported to an optional ``progress(step, done, total)`` callback:

1. **data**: the cache (:func:`coverbt.data.store.open_store`) must cover every A-share of
   the universe and both benchmarks from the first session after publication to the end
   of the rating horizon (:func:`coverbt.data.coverage.universe_coverage`). Offline, a gap
   is a :class:`~coverbt.errors.DataUnavailableError` listing each missing series and the
   ``coverbt data import`` / ``coverbt data update`` command that fills it; online, the
   ``update`` callable (the data layer's akshare updater) is asked first.
2. **backtests**: every strategy file in the workspace's ``strategies/`` (or those named),
   through the engine's library (:func:`coverbt.backtest.folder.backtest_file`), each
   followed by :func:`coverbt.reports.build_run_report`.
3. **scorecard**: :func:`coverbt.scorecard.full.full_scorecards` per horizon, written by
   :func:`coverbt.reports.write_scorecard_report`.
4. **index**: :func:`coverbt.reports.write_index`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from coverbt.data.coverage import MISSING, SHORT, Coverage, universe_coverage
from coverbt.data.provider import MarketData
from coverbt.data.schema import SeriesKind
from coverbt.data.store import IMPORT_HINT, open_store
from coverbt.errors import DataUnavailableError, InputError
from coverbt.horizon import entry_session, horizon_end
from coverbt.scorecard import Scorecard
from coverbt.scorecard.convention import Convention
from coverbt.scorecard.full import full_scorecards
from coverbt.universe.load import load_universe
from coverbt.universe.model import Universe
from coverbt.workspace import Workspace

Progress = Callable[[str, int, int], None]
# (cache folder, universe, the gaps; None when there is no cache yet) -> fills the cache
Updater = Callable[[Path, Universe, list[Coverage] | None], None]


@dataclass(frozen=True)
class StrategyRun:
    strategy: str
    folder: Path
    summary: dict[str, object]


@dataclass(frozen=True)
class PipelineResult:
    runs: list[StrategyRun]
    scorecards: list[Scorecard]
    scorecard_dir: Path
    index: Path


def data_window(universe: Universe, horizons: Sequence[str]) -> tuple[dt.date, dt.date]:
    """First session after publication .. end of the longest of ``horizons``."""
    entry = entry_session(universe.report.published)
    end = max(horizon_end(entry, h) for h in horizons)
    return entry.date(), end.date()


def gaps(market: MarketData, universe: Universe, start: dt.date, end: dt.date) -> list[Coverage]:
    """The series the window needs that the cache lacks or holds only in part."""
    return [
        row
        for row in universe_coverage(market, universe, start, end)
        if row.status in (MISSING, SHORT)
    ]


def missing_message(missing: list[Coverage], start: dt.date, end: dt.date, cache: Path) -> str:
    """Exactly what is missing and how to fill it."""
    lines = [
        f"{row.kind} {row.code} {row.name}: "
        + (
            "not in the cache"
            if row.status == MISSING
            else f"cached {row.first} .. {row.last} ({row.source}), short of the window"
        )
        for row in missing
    ]
    return (
        f"the cache {cache} does not cover {start} .. {end} for {len(missing)} series:\n  "
        + "\n  ".join(lines)
        + f"\nFix: {IMPORT_HINT}"
    )


def ensure_data(
    workspace: Workspace,
    universe: Universe,
    window: tuple[dt.date, dt.date],
    *,
    offline: bool,
    update: Updater | None = None,
) -> MarketData:
    """The cache as a provider, once it covers ``window`` (see the module docstring)."""
    if not offline and update is not None:
        if not workspace.cache_dir.exists():
            update(workspace.cache_dir, universe, None)
        else:
            missing = gaps(open_store(workspace.cache_dir), universe, *window)
            if missing:
                update(workspace.cache_dir, universe, missing)
    market = open_store(workspace.cache_dir)
    missing = gaps(market, universe, *window)
    if missing:
        raise DataUnavailableError(missing_message(missing, *window, workspace.cache_dir))
    return market


def akshare_update(cache_dir: Path, universe: Universe, missing: list[Coverage] | None) -> None:
    """Fetch the gaps (or, with no cache yet, every series the universe needs) from akshare.

    Failures are not raised here: the coverage check that follows names what is still
    missing and how to fill it.
    """
    from coverbt.data.akshare_live import AkshareLive
    from coverbt.data.cache import Cache
    from coverbt.data.update import Target, universe_targets, update_cache

    targets = (
        universe_targets(universe)
        if missing is None
        else [Target(row.code, row.name, SeriesKind(row.kind)) for row in missing]
    )
    update_cache(Cache(cache_dir), AkshareLive(), targets)


def strategy_files(workspace: Workspace, names: Sequence[str] = ()) -> list[Path]:
    """The strategies to run: ``names`` (files or names in ``strategies/``), else all."""
    from coverbt.backtest.folder import resolve_strategy

    if names:
        return [resolve_strategy(name, workspace.strategies_dir) for name in names]
    files = sorted(workspace.strategies_dir.glob("*.yaml"))
    if not files:
        raise InputError(
            "no strategy files to run",
            source=workspace.strategies_dir,
            expected="one or more *.yaml strategy files",
            fix="copy the repository's strategies/ folder into the workspace, or pass "
            "--strategies FILE",
        )
    return files


def run_pipeline(
    workspace: Workspace,
    universe_file: Path,
    *,
    offline: bool,
    horizons: Sequence[str] = ("1M", "3M", "6M", "12M"),
    strategies: Sequence[str] = (),
    update: Updater | None = None,
    progress: Progress | None = None,
    command: str = "coverbt run",
    capital: float | None = None,
    convention: Convention | None = None,
    engine: str = "fast",
    report_workers: int | None = None,
) -> PipelineResult:
    """Data check, every strategy with its report, the scorecard, ``reports/index.html``.

    ``capital`` (CNY) overrides every strategy file's ``capital``; ``convention`` the
    universe file's scoring convention; ``engine`` which engine runs the backtests (the
    compiled one by default: proven equal to backtrader). Each run's summary holds
    ``held``, ``names`` and ``not_held`` (see :mod:`coverbt.backtest.omissions`).

    Each run's report is drawn in ``report_workers`` processes (default: one per core, at
    most two; 0 draws in this process) while the next backtests and the scorecard run
    (:class:`coverbt.reports.drawing.ReportDrawer`); this process writes them all.
    """
    from coverbt.backtest.folder import backtest_file
    from coverbt.backtest.run import RunOptions
    from coverbt.reports import write_index, write_scorecard_report
    from coverbt.reports.drawing import ReportDrawer
    from coverbt.revisions.ledger import Ledger
    from coverbt.strategy.ratings import LedgerRatings
    from coverbt.strategy.spec import load_strategy

    step = progress or (lambda _s, _d, _t: None)
    universe = load_universe(universe_file)
    files = strategy_files(workspace, strategies)
    for path in files:  # a broken file fails the run now, not after the backtests before it
        load_strategy(path)
    total = len(files) + 3
    step("checking market data", 0, total)
    market = ensure_data(
        workspace, universe, data_window(universe, ["6M"]), offline=offline, update=update
    )
    workspace.reports_dir.mkdir(parents=True, exist_ok=True)  # fail now, not after the backtests
    runs = []
    options = RunOptions(capital=capital, engine=engine)
    ratings = LedgerRatings(Ledger.in_cache(workspace.cache_dir))  # read once, if a file asks
    with ReportDrawer(report_workers if len(files) > 1 else 0) as drawer:
        for i, path in enumerate(files, start=1):
            step(f"backtest {path.stem}", i, total)
            _result, folder, summary = backtest_file(
                path, universe_file, market, workspace.reports_dir, options, command, ratings
            )
            drawer.submit(folder)
            runs.append(StrategyRun(path.stem, folder, summary))
        step("scorecard", total - 2, total)
        cards = full_scorecards(universe, market, horizons, convention)  # + robustness, ...
        folder = write_scorecard_report(cards, workspace.reports_dir)
        drawer.finish()
    step("index", total - 1, total)
    index = write_index(workspace.reports_dir)
    step("done", total, total)
    return PipelineResult(runs, cards, folder, index)
