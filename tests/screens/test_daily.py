"""``coverbt daily --offline`` on the shared data; the lock; a failing step does not stop others."""

from __future__ import annotations

import datetime as dt
import json
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, NoReturn

import pandas as pd
import pytest
from filelock import FileLock

from coverbt.daily import FAILED, SKIPPED, plan
from coverbt.data.cache import Cache
from coverbt.data.schema import Adjust, Series, SeriesKind, meta_for
from coverbt.data.trading_calendar import trading_days
from coverbt.data.update import Target, to_fetch, universe_targets
from coverbt.errors import FetchError, FetchFailure
from coverbt.universe.load import load_universe
from coverbt.workspace import Workspace


def _coverbt(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    code = "from coverbt.cli import main; main()"
    return subprocess.run(
        [sys.executable, "-c", code, *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


@pytest.fixture()
def workspace(workspace_root: Path, tmp_path: Path) -> Path:
    root = tmp_path / "ws"
    shutil.copytree(workspace_root, root)
    return root


@pytest.mark.slow
def test_daily_offline_completes_and_is_idempotent(workspace: Path) -> None:
    done = _coverbt("daily", "--offline", "--as-of", "2024-11-29", "--json", cwd=workspace)
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout)
    status = {s["name"]: s["status"] for s in summary["steps"]}
    assert status == {
        "update data": "skipped",
        "snapshot consensus": "skipped",
        "ingest universe": "ok",
        "screen coverage_cheap_strong": "ok",
        "screen liquid_momentum_cheap": "ok",
        "scorecard": "ok",
        "revisions": "ok",
        "rating events": "ok",
    }
    folder = workspace / "reports" / "daily" / "2024-11-29"
    for name in ("summary.json", "summary.md", "summary.html", "scorecard.json"):
        assert (folder / name).is_file()
    index = (workspace / "reports" / "index.html").read_text(encoding="utf-8")
    assert "daily/2024-11-29/summary.html" in index
    assert "screens/coverage_cheap_strong/2024-11-29/screen.html" in index
    assert "events/index.html" in index  # the leaderboard, refreshed by the daily run
    screen = next(s for s in summary["steps"] if s["name"] == "screen coverage_cheap_strong")
    assert screen["data"]["as_of"] == "2024-11-29"
    assert [r["code"] for r in screen["data"]["rows"]] == ["300496", "002439"]

    history = workspace / "reports" / "screens" / "coverage_cheap_strong" / "history.jsonl"
    before = history.read_text(encoding="utf-8")
    again = _coverbt("daily", "--offline", "--as-of", "2024-11-29", "--json", cwd=workspace)
    assert again.returncode == 0, again.stderr
    assert history.read_text(encoding="utf-8") == before
    step = next(s for s in json.loads(again.stdout)["steps"] if s["name"].startswith("screen c"))
    assert "unchanged (already stored)" in step["detail"]


def test_daily_refuses_to_start_while_another_run_holds_the_lock(workspace: Path) -> None:
    lock = FileLock(str(workspace / "data_cache" / "daily.lock"))
    with lock:
        blocked = _coverbt("daily", "--offline", cwd=workspace)
    assert blocked.returncode != 0
    assert "another `coverbt daily` is running" in blocked.stderr
    assert "Traceback" not in blocked.stderr
    assert not (workspace / "reports" / "daily").exists()


@pytest.mark.slow
def test_one_failing_step_is_reported_and_the_others_run(workspace: Path) -> None:
    bad = workspace / "strategies" / "screens" / "broken.yaml"
    bad.write_text("name: broken\nconditions: [nope > 1]\nscore: {field: ret_5d}\n")
    done = _coverbt("daily", "--offline", "--as-of", "2024-11-29", cwd=workspace)
    assert done.returncode == 1
    assert "1 failed step(s): screen broken" in done.stderr
    assert "Traceback" not in done.stderr
    summary = json.loads(
        (workspace / "reports" / "daily" / "2024-11-29" / "summary.json").read_text()
    )
    status = {s["name"]: s["status"] for s in summary["steps"]}
    assert status["screen broken"] == "failed"
    assert status["screen coverage_cheap_strong"] == "ok" and status["scorecard"] == "ok"
    detail = next(s["detail"] for s in summary["steps"] if s["name"] == "screen broken")
    assert "broken.yaml:2" in detail and "unknown field 'nope'" in detail


AS_OF = dt.date(2024, 11, 29)
LATER = dt.date(2025, 6, 30)  # the day the run happens: AS_OF lies in the past


class RecordingLive:
    """A live source with no route to the vendors: records each request and fails it."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str]] = []

    def _fail(self, what: str, code: str) -> NoReturn:
        self.calls.append((what, code))
        raise FetchError(
            f"akshare.stock_value_em(symbol={code!r}): DNS lookup failed (not retried)",
            failure=FetchFailure.DNS,
            host="datacenter-web.eastmoney.com",
        )

    def bars(self, code: str, **_kwargs: object) -> NoReturn:
        self._fail("bars", code)

    def valuation(self, code: str, **_kwargs: object) -> NoReturn:
        self._fail("valuation", code)


def _steps(workspace: Path, live: RecordingLive) -> dict[str, Callable[[], tuple[str, str, Any]]]:
    return dict(
        plan(Workspace.at(workspace), False, AS_OF, AS_OF, None, None, today=LATER, live=live)
    )


def _missing(workspace: Path) -> list[Target]:
    universe = load_universe(Workspace.at(workspace).default_universe)
    return to_fetch(Cache(Workspace.at(workspace).cache_dir), universe_targets(universe), AS_OF)


def test_daily_fetches_only_what_the_cache_lacks_and_fails_fast(workspace: Path) -> None:
    """The shared files hold no PE/PB of the STAR names: only those are asked for, each
    fails at once, and the step says so in one line per failure class."""
    missing = _missing(workspace)
    assert missing and {t.kind for t in missing} == {SeriesKind.VALUATION}
    live = RecordingLive()
    status, detail, data = _steps(workspace, live)["update data"]()
    assert live.calls == [("valuation", t.code) for t in missing]
    assert status == FAILED
    assert detail == (
        f"{len(missing)} of the {len(missing)} series the cache lacked up to 2024-11-29 "
        "failed: network: DNS lookup failed for "
        f"{len(missing)} series (datacenter-web.eastmoney.com): no route to the vendors. "
        "Fix: check the connection, or run with --offline"
    )
    assert len(data["failures"]) == 1


def test_daily_skips_the_update_when_the_cache_covers_the_as_of(workspace: Path) -> None:
    days = trading_days(dt.date(2024, 6, 3), AS_OF)
    frame = pd.DataFrame({"pe_ttm": 30.0, "pb": 3.0}, index=pd.DatetimeIndex(days, name="date"))
    with Cache(Workspace.at(workspace).cache_dir).writing() as writer:
        writer.put([_valuation(t.code, frame) for t in _missing(workspace)])
    live = RecordingLive()
    status, detail, _ = _steps(workspace, live)["update data"]()
    assert (status, detail) == (SKIPPED, "cache covers 2024-11-29, nothing to fetch")
    assert live.calls == []


def test_daily_does_not_snapshot_todays_consensus_for_a_past_day(workspace: Path) -> None:
    status, detail, _ = _steps(workspace, RecordingLive())["snapshot consensus"]()
    assert status == SKIPPED
    assert detail.startswith("as of 2024-11-29, not today (2025-06-30)")
    assert "would look ahead" in detail


def _valuation(code: str, frame: pd.DataFrame) -> Series:
    meta = meta_for(
        frame,
        code=code,
        kind=SeriesKind.VALUATION,
        source="akshare",
        adjust=Adjust.NONE,
        retrieved_at=dt.datetime(2024, 11, 29, 18, 0),
    )
    return Series(meta, frame)
