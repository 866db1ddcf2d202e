"""Fixtures of the screen tests: synthetic markets, the whole Tushare cross-section, a workspace."""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from coverbt.data.memory import InMemoryProvider, provider_from_vendor_paths
from coverbt.data.schema import Adjust, Series, SeriesKind, meta_for
from coverbt.data.trading_calendar import trading_days

RETRIEVED = dt.datetime(2024, 12, 31, 18, 0)


def synthetic_series(code: str, closes: pd.Series, kind: SeriesKind = SeriesKind.STOCK) -> Series:
    """A validated-shape bar series whose OHLC all equal ``closes``."""
    frame = pd.DataFrame(
        {
            "open": closes,
            "high": closes,
            "low": closes,
            "close": closes,
            "volume": 1e6,
            "amount": closes * 1e6,
        },
        index=pd.DatetimeIndex(closes.index, name="date"),
    ).astype(float)
    adjust = Adjust.NONE if kind is SeriesKind.INDEX else Adjust.QFQ
    meta = meta_for(
        frame, code=code, kind=kind, source="akshare", adjust=adjust, retrieved_at=RETRIEVED
    )
    return Series(meta, frame)


def growth_path(days: pd.DatetimeIndex, rates: list[tuple[int, float]]) -> pd.Series:
    """Closes starting at 10 that grow at ``rate`` per session from each breakpoint on."""
    daily = np.zeros(len(days))
    for start, rate in rates:
        daily[start:] = rate
    return pd.Series(10.0 * np.cumprod(1.0 + daily), index=days)


@pytest.fixture(scope="session")
def growth() -> Callable[[pd.DatetimeIndex, list[tuple[int, float]]], pd.Series]:
    return growth_path


@pytest.fixture(scope="session")
def synthetic_days() -> pd.DatetimeIndex:
    return trading_days(dt.date(2024, 1, 2), dt.date(2024, 4, 30))


@pytest.fixture(scope="session")
def make_market() -> Callable[[dict[str, pd.Series]], InMemoryProvider]:
    def build(closes: dict[str, pd.Series]) -> InMemoryProvider:
        names = pd.DataFrame({"code": list(closes), "name": [f"S{c[-1]}" for c in closes]})
        return InMemoryProvider([synthetic_series(c, s) for c, s in closes.items()], names)

    return build


@pytest.fixture(scope="session")
def tushare_market(market_data_dir: Path) -> InMemoryProvider:
    """The 3,020-stock Tushare cross-section, CSI 300 and the code list, read once (~15 s)."""
    return provider_from_vendor_paths(
        market_data_dir / "cross-section" / "tushare_3020_stocks.tar.gz",
        market_data_dir / "index",
        market_data_dir / "cross-section" / "baostock_stock_list.csv",
    )


@pytest.fixture(scope="session")
def workspace_root(
    tmp_path_factory: pytest.TempPathFactory, report_cache_filler, repo_root: Path
) -> Path:
    """A workspace whose cache holds the report's stocks and the indexes (imported once)."""
    root = tmp_path_factory.mktemp("workspace")
    report_cache_filler(root / "data_cache")
    shutil.copytree(repo_root / "universe", root / "universe")
    shutil.copytree(repo_root / "strategies" / "screens", root / "strategies" / "screens")
    return root
