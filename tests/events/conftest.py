"""Fixtures of the rating-event tests: the report, the hand-written later report, a store."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from coverbt.data.akshare_live import AkshareLive
from coverbt.events.service import EventSet, load_event_set
from coverbt.events.store import EventStore

HERE = Path(__file__).resolve().parent
LATER_REPORT = HERE / "fixtures" / "pingan_computer_2025_outlook_fixture.yaml"


@pytest.fixture(scope="session")
def later_report() -> Path:
    """A hand-written later 平安证券 report (2024-12-15) that changes two ratings."""
    return LATER_REPORT


@pytest.fixture
def store(tmp_path: Path) -> EventStore:
    return EventStore(tmp_path / "data_cache" / "events.duckdb")


@pytest.fixture(scope="session")
def two_reports(tmp_path_factory: pytest.TempPathFactory, universe_file: Path) -> Path:
    """A universe/ folder holding the report and the later report."""
    folder = tmp_path_factory.mktemp("two") / "universe"
    folder.mkdir()
    shutil.copy(universe_file, folder)
    shutil.copy(LATER_REPORT, folder)
    return folder


@pytest.fixture(scope="session")
def event_set(tmp_path_factory: pytest.TempPathFactory) -> Callable[..., EventSet]:
    """Load the events of universe files with an empty store."""

    def load(*paths: Path) -> EventSet:
        root = tmp_path_factory.mktemp("es")
        return load_event_set(EventStore(root / "events.duckdb"), list(paths), root)

    return load


@pytest.fixture(scope="session")
def events_workspace(
    tmp_path_factory: pytest.TempPathFactory, report_cache_filler, two_reports: Path
) -> Path:  # type: ignore[no-untyped-def]
    """A workspace with both reports under universe/ and the report's market cached."""
    root = tmp_path_factory.mktemp("ws")
    shutil.copytree(two_reports, root / "universe")
    report_cache_filler(root / "data_cache")
    return root


@pytest.fixture
def live() -> AkshareLive:
    """Real akshare over intercepted HTTP, 2 attempts a request; its waits never sleep."""
    return AkshareLive(retries=2, backoff=1.0, sleep=lambda _s: None)
