"""One screen run in a workspace: load the screen and universe, open the cache, run, publish.

The CLI (``coverbt screen``) and the daily job (``coverbt daily``) both call
:func:`screen_in_workspace`; library users call :func:`~coverbt.screens.run.run_screen` and
:func:`~coverbt.screens.publish.publish` with their own provider.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd

from coverbt.data.provider import MarketData
from coverbt.data.store import open_store
from coverbt.revisions.ledger import Ledger
from coverbt.screens.fields import parse_fields
from coverbt.screens.panel import Progress
from coverbt.screens.publish import Outcome, publish
from coverbt.screens.run import Scope, run_screen
from coverbt.screens.spec import Screen, find_screen, load_screen
from coverbt.universe.load import load_universe
from coverbt.universe.model import Universe
from coverbt.workspace import Workspace


def screens_root(workspace: Workspace) -> Path:
    """Where screen results are stored: ``reports/screens``."""
    return workspace.reports_dir / "screens"


def ledger_rows_for(screen: Screen, cache_dir: Path) -> pd.DataFrame | None:
    """The revision ledger's rows when the screen reads revision fields and a ledger exists."""
    if not any(r.family == "revisions" for r in parse_fields(screen.fields)):
        return None
    ledger = Ledger.in_cache(cache_dir)
    return ledger.rows() if ledger.path.exists() else None


def screen_in_workspace(
    workspace: Workspace,
    screen_name: str,
    *,
    universe_path: Path | None = None,
    all_stocks: bool = False,
    as_of: dt.date | None = None,
    market: MarketData | None = None,
    progress: Progress | None = None,
    now: dt.datetime | None = None,
) -> Outcome:
    """Run ``screen_name`` (a name in ``strategies/screens`` or a path) and store the result.

    Scope: ``--all`` screens every stock in the cache; ``--universe FILE`` (or the screen's own
    ``universe: coverage``) the coverage list. The universe, when available, always annotates
    the rows (rating, theme, the report's forecasts).
    """
    screen = load_screen(find_screen(workspace.screens_dir, screen_name))
    scope: Scope = "all" if all_stocks else ("coverage" if universe_path else screen.spec.universe)
    universe = _universe(workspace, universe_path, required=scope == "coverage")
    market = market if market is not None else open_store(workspace.cache_dir)
    result = run_screen(
        screen,
        market,
        as_of=as_of,
        scope=scope,
        universe=universe,
        ledger_rows=ledger_rows_for(screen, workspace.cache_dir),
        progress=progress,
    )
    return publish(result, screens_root(workspace), now=now)


def _universe(workspace: Workspace, path: Path | None, *, required: bool) -> Universe | None:
    if path is not None:
        return load_universe(path)
    default = workspace.default_universe
    if default.exists() or required:
        return load_universe(default)
    return None


def configured_screens(workspace: Workspace) -> list[str]:
    """Names of the screen files in ``strategies/screens`` (what ``coverbt daily`` runs)."""
    folder = workspace.screens_dir
    return sorted(p.stem for p in folder.glob("*.yaml")) if folder.is_dir() else []
