"""Helpers shared by the engine tests: hand-made bar series and the two-engine comparison."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest

from coverbt.backtest.bt_engine import run_backtrader
from coverbt.backtest.ledger import holdings, portfolio_value
from coverbt.backtest.vectorized import run_vectorized
from coverbt.data.schema import Adjust, Series, SeriesKind, meta_for
from coverbt.strategy.panel import Panel
from coverbt.strategy.plan import Plan


def bar_series(code: str, kind: SeriesKind, frame: pd.DataFrame) -> Series:
    """A hand-made bar frame as a provider series (qfq stock or unadjusted index)."""
    adjust = Adjust.NONE if kind is SeriesKind.INDEX else Adjust.QFQ
    meta = meta_for(
        frame,
        code=code,
        kind=kind,
        source="akshare",
        adjust=adjust,
        retrieved_at=dt.datetime(2025, 1, 1),
    )
    return Series(meta, frame)


def engine_gap(plan: Plan, panel: Panel) -> float:
    """Largest daily gap between the vectorized and backtrader values, over the capital.

    Both the ledger's daily values and backtrader's final broker value are compared.
    """
    fast = run_vectorized(plan, panel)
    engine = run_backtrader(plan, panel, fractional=True)
    shares, cash = holdings(engine.fills, fast.index, list(plan.instruments), plan.capital)
    slow = portfolio_value(shares, cash, panel["close"])
    daily = float(((fast - slow).abs() / plan.capital).max())
    return max(daily, abs(engine.final_value - fast.iloc[-1]) / plan.capital)


@pytest.fixture(scope="session")
def make_series() -> Callable[[str, SeriesKind, pd.DataFrame], Series]:
    return bar_series


@pytest.fixture(scope="session")
def engines_gap() -> Callable[[Plan, Panel], float]:
    return engine_gap


@pytest.fixture(scope="module")
def workspace(tmp_path_factory, repo_root: Path, report_cache_filler) -> Path:  # type: ignore[no-untyped-def]
    """A workspace per test module: the repository's universe and strategies, and a cache
    holding the report's market."""
    root = tmp_path_factory.mktemp("ws")
    shutil.copytree(repo_root / "universe", root / "universe")
    shutil.copytree(repo_root / "strategies", root / "strategies")
    report_cache_filler(root / "data_cache")
    return root


BacktestCli = Callable[..., "subprocess.CompletedProcess[str]"]


@pytest.fixture(scope="module")
def backtest_cli() -> BacktestCli:
    """``coverbt backtest ARGS`` in a subprocess in a workspace: ``backtest_cli(ws, *args)``.

    200 columns, so rich does not wrap the lines the tests read."""

    def run(workspace: Path, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-c", "from coverbt.cli import main; main()", "backtest", *args],
            cwd=workspace,
            capture_output=True,
            text=True,
            check=False,
            env={**os.environ, "COLUMNS": "200"},
        )

    return run
