"""Shared fixtures. Tests read the real market data in ../shared in place, never a copy.

The shared folder is required: a missing ../shared is a failure, not a skip, because a
green run that skipped the real-data tests would prove nothing.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from coverbt.data.memory import InMemoryProvider, provider_from_vendor_paths
from coverbt.universe.load import load_universe
from coverbt.universe.model import Universe

REPO_ROOT = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("COVERBT_SHARED", REPO_ROOT.parent / "shared")).resolve()
MARKET_DATA = SHARED / "market-data"
REPORT_TXT = SHARED / "report" / "pingan_computer_2024_midyear_strategy.txt"
UNIVERSE_FILE = REPO_ROOT / "universe" / "pingan_computer_2024_midyear.yaml"


def _require(path: Path) -> Path:
    if not path.exists():
        pytest.fail(
            f"{path} is missing: the tests need ../shared beside the repository "
            "(or COVERBT_SHARED pointing at it)",
            pytrace=False,
        )
    return path


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return REPO_ROOT


@pytest.fixture(scope="session")
def market_data_dir() -> Path:
    return _require(MARKET_DATA)


@pytest.fixture(scope="session")
def report_txt() -> Path:
    return _require(REPORT_TXT)


@pytest.fixture(scope="session")
def universe_file() -> Path:
    return UNIVERSE_FILE


@pytest.fixture(scope="session")
def universe() -> Universe:
    return load_universe(UNIVERSE_FILE)


@pytest.fixture(scope="session")
def shared_provider(market_data_dir: Path) -> InMemoryProvider:
    """The report's 25 stocks and the indexes, read in place from ../shared/market-data."""
    return provider_from_vendor_paths(
        market_data_dir / "stock",
        market_data_dir / "index",
        market_data_dir / "cross-section" / "baostock_stock_list.csv",
    )
