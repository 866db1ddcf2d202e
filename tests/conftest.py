"""Shared fixtures, the lab switch and the moved clock.

**Two kinds of data.** Tests read the real market data in ``../shared`` in place (never a
copy), or, for the core suite, the report's market as the package ships it (the built-in
sample, :mod:`coverbt.data.sample`):

- ``report_market`` / :func:`fill_report_cache`: the report's 25 A-shares and the indexes,
  from ``../shared`` when it is there, else from the built-in sample. The sample holds the
  very series ``../shared`` serves for the report's window, so pinned results are the same.
- ``market_data_dir``, ``report_txt``, ``shared_provider``: the full vendor snapshot. Tests
  using them are marked ``shared``; without ``../shared`` they are skipped, with the reason
  printed.

**The lab.** ``COVERBT_REQUIRE_ALL=1`` (set by ``.ci/run``, which always has ``../shared``
and Chromium) turns every such skip into a failure, and fails the run if any test was
skipped at all: a green CI never hides a skipped test.

**The clock.** ``COVERBT_TEST_CLOCK=YYYY-MM-DD`` runs the whole session with the clock moved
to that day (time-machine, ticking), to prove that no result depends on the day it runs.
"""

from __future__ import annotations

import datetime as dt
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
REQUIRE_ALL = os.environ.get("COVERBT_REQUIRE_ALL") == "1"
CLOCK = os.environ.get("COVERBT_TEST_CLOCK", "")
SHARED_FIXTURES = frozenset({"market_data_dir", "report_txt", "shared_provider"})
# the report's market inside ../shared: what `fill_report_cache` imports from it
REPORT_PARTS = ("stock", "index", "cross-section/baostock_stock_list.csv")


def have_shared() -> bool:
    """Whether the full vendor snapshot is beside the repository (or at COVERBT_SHARED)."""
    return MARKET_DATA.is_dir()


def unavailable(what: str, fix: str) -> None:
    """Skip (or, under ``COVERBT_REQUIRE_ALL=1``, fail) a test that needs ``what``."""
    if REQUIRE_ALL:
        pytest.fail(f"{what} is missing and COVERBT_REQUIRE_ALL=1: {fix}", pytrace=False)
    pytest.skip(f"needs {what} ({fix})")


def _require(path: Path) -> Path:
    if not path.exists():
        unavailable(str(path), "put ../shared beside the repository or set COVERBT_SHARED")
    return path


# --- the moved clock and the no-skip guard --------------------------------------------------


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: pytest.Config) -> None:
    if CLOCK:
        import tempfile

        import time_machine

        # pytest deletes numbered temp folders whose lock looks days old: under a clock moved
        # to 2031 that would be every other session's. A folder of our own has no such sweep.
        if not config.option.basetemp:
            config.option.basetemp = tempfile.mkdtemp(prefix=f"coverbt-clock-{CLOCK}-")

        day = dt.date.fromisoformat(CLOCK)
        moved = dt.datetime(day.year, day.month, day.day, 10, 0, tzinfo=dt.UTC)
        traveller = time_machine.travel(moved, tick=True)
        traveller.start()
        config.stash[_TRAVELLER] = traveller


_TRAVELLER = pytest.StashKey[object]()


def pytest_unconfigure(config: pytest.Config) -> None:
    traveller = config.stash.get(_TRAVELLER, None)
    if traveller is not None:
        traveller.stop()  # type: ignore[attr-defined]


def pytest_report_header(config: pytest.Config) -> list[str]:
    lines = [
        f"coverbt: ../shared {'found at ' + str(SHARED) if have_shared() else 'absent'}; "
        f"COVERBT_REQUIRE_ALL={'1' if REQUIRE_ALL else '0'}"
    ]
    if CLOCK:
        lines.append(f"coverbt: clock moved to {CLOCK} (today is {dt.date.today()})")
    return lines


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test that reads the full snapshot ``shared`` (by the fixtures it uses)."""
    for item in items:
        if SHARED_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.shared)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if not REQUIRE_ALL:
        return
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    skipped = reporter.stats.get("skipped", []) if reporter is not None else []
    if skipped:
        reporter.write_line(
            f"COVERBT_REQUIRE_ALL=1: {len(skipped)} test(s) were skipped; every test must run",
            red=True,
        )
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


# --- fixtures -------------------------------------------------------------------------------


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
    """The report's 25 stocks (every vendor's file) and the indexes, read in place."""
    return provider_from_vendor_paths(
        market_data_dir / "stock",
        market_data_dir / "index",
        market_data_dir / "cross-section" / "baostock_stock_list.csv",
    )


def sample_provider() -> InMemoryProvider:
    """The built-in sample as an in-memory provider."""
    from coverbt.data.sample import load_sample, sample_names

    return InMemoryProvider([s.series for s in load_sample()], names=sample_names())


@pytest.fixture(scope="session")
def report_market() -> InMemoryProvider:
    """The report's market: ../shared when present, else the built-in sample."""
    if have_shared():
        return provider_from_vendor_paths(*(MARKET_DATA / part for part in REPORT_PARTS))
    return sample_provider()


def fill_report_cache(cache_dir: Path) -> None:
    """Fill ``cache_dir`` with the report's market: ../shared's files, else the sample."""
    if have_shared():
        from coverbt.data.store import import_path

        for part in REPORT_PARTS:
            import_path(cache_dir, MARKET_DATA / part)
    else:
        from coverbt.data.sample import seed_cache

        seed_cache(cache_dir)


@pytest.fixture(scope="session")
def report_cache_filler() -> object:
    """:func:`fill_report_cache`, for test modules that cannot import this conftest."""
    return fill_report_cache


CHROMIUM = Path("/usr/bin/chromium")


@pytest.fixture(scope="session")
def chromium() -> Path:
    """Debian's headless Chromium; skipped without it (a failure under COVERBT_REQUIRE_ALL)."""
    import shutil

    found = CHROMIUM if CHROMIUM.exists() else shutil.which("chromium")
    if found is None:
        unavailable(
            f"headless Chromium ({CHROMIUM})",
            "install it with `apt-get install -y chromium`, as .ci/run does; never "
            "`playwright install`",
        )
    return Path(str(found))
