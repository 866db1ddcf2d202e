"""Writing commands killed with SIGKILL at random points lose nothing (issue 11).

For each command: one clean run in a fresh workspace gives the reference; then, in another
workspace, the command is started and killed (SIGKILL, seeded random delays spread over its
clean duration, and every :data:`TRIGGERED_EVERY`-th just after its first write)
:data:`KILLS` times. After every kill:

- every ledger row that was there before is still there;
- the market-data cache opens and lists the same series;
- ``reports/index.html`` is absent (never written yet) or a complete page;
- no half-written run folder: each folder under ``reports/`` is complete.

At the end the command is run to completion and gives the clean run's result: the same
ledger rows (key and content) and the same backtest ``total_return``.

``coverbt revisions snapshot`` is not here: offline it stops before it writes (no network).
The ``data import`` kill loop is :mod:`tests.data.test_killed_import`.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from coverbt.data.store import open_store
from coverbt.reports.run_folder import is_run_folder
from coverbt.revisions.ledger import Ledger

REPO = Path(__file__).resolve().parent.parent
SEED = 11
KILLS = int(os.environ.get("COVERBT_KILLS", "20"))
MAX_DELAY_SECONDS = 8.0
# every TRIGGERED_EVERY-th kill waits for the command's first write (the reports lock taken,
# the ledger's WAL or temporary file), then lands within TRIGGERED_DELAY_SECONDS of it
TRIGGERED_EVERY = 4
TRIGGERED_DELAY_SECONDS = 1.5
COMMANDS: dict[str, list[str]] = {
    "revisions ingest": ["revisions", "ingest"],
    "daily": ["daily", "--offline", "--as-of", "2024-12-31", "--json"],
    "backtest": ["backtest", "coverage_equal", "--no-report", "--json"],
    "run": ["run", "--offline", "--strategies", "coverage_equal", "--horizons", "6M"],
}


def _start(args: list[str], workspace: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", "from coverbt.cli import main; main()", *args],
        cwd=workspace,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "COLUMNS": "200"},
    )


def _finish(args: list[str], workspace: Path) -> tuple[str, float]:
    started = time.monotonic()
    proc = _start(args, workspace)
    out, err = proc.communicate(timeout=600)
    assert proc.returncode == 0, err
    return out, time.monotonic() - started


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A workspace with the repository's universe and strategies and the built-in sample."""
    root = tmp_path_factory.mktemp("template")
    shutil.copytree(REPO / "universe", root / "universe")
    shutil.copytree(REPO / "strategies", root / "strategies")
    _finish(["data", "import", "--sample", "--json"], root)
    return root


def _writing(workspace: Path, since: float) -> bool:
    """Whether a command started at ``since`` has begun to write (see TRIGGERED_EVERY)."""
    owner = workspace / "reports" / ".coverbt.lock.owner"
    cache = workspace / "data_cache"
    try:
        if owner.stat().st_mtime > since:
            return True
    except FileNotFoundError:
        pass
    return (cache / "ledger.duckdb.wal").exists() or any(cache.glob(".ledger.duckdb.*"))


def _kill_point(
    proc: subprocess.Popen[str], workspace: Path, delay: float, triggered: bool
) -> None:
    """Sleep ``delay`` s, or (``triggered``) wait for the first write, then ``delay`` s."""
    if triggered:
        since = time.time() - 1.0  # mtime resolution and clock skew margin
        while proc.poll() is None and not _writing(workspace, since):
            time.sleep(0.005)
    time.sleep(delay)


def _ledger_rows(workspace: Path) -> set[tuple[object, ...]]:
    rows = Ledger.in_cache(workspace / "data_cache").rows()
    keys = ["source", "as_of", "code", "fiscal_year", "kind", "content_hash"]
    return set(rows[keys].itertuples(index=False, name=None))


def _total_returns(workspace: Path) -> dict[str, float]:
    out = {}
    for folder in sorted((workspace / "reports").glob("*-*")):
        if is_run_folder(folder):
            manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
            out[folder.name] = manifest["summary"]["total_return"]
    return out


def _check_intact(workspace: Path, before: set[tuple[object, ...]], series: int) -> None:
    assert before <= _ledger_rows(workspace), "a ledger row present before the kill is gone"
    assert len(open_store(workspace / "data_cache").catalog()) == series
    index = workspace / "reports" / "index.html"
    if index.exists():
        text = index.read_text(encoding="utf-8")
        assert text.lower().startswith("<!doctype html>"), text[:80]
        assert text.rstrip().endswith("</html>"), text[-80:]
    reports = workspace / "reports"
    for folder in sorted(reports.iterdir()) if reports.is_dir() else []:
        name = folder.name
        if folder.is_dir() and not name.startswith(".") and "-" in name:
            assert (folder / "manifest.json").is_file() or name.startswith("scorecard-"), name


@pytest.mark.slow
@pytest.mark.kill_loop
@pytest.mark.parametrize("command", list(COMMANDS))
def test_sigkill_loop_loses_nothing_and_a_rerun_is_clean(
    command: str, template: Path, tmp_path: Path
) -> None:
    args = COMMANDS[command]
    clean = tmp_path / "clean"
    shutil.copytree(template, clean, symlinks=True)
    clean_out, seconds = _finish(args, clean)
    series = len(open_store(clean / "data_cache").catalog())

    workspace = tmp_path / "killed"
    shutil.copytree(template, workspace, symlinks=True)
    rng = random.Random(f"{SEED}:{command}")
    window = min(MAX_DELAY_SECONDS, max(1.0, 0.9 * seconds))
    finished = 0
    for number in range(KILLS):
        before = _ledger_rows(workspace)
        triggered = number % TRIGGERED_EVERY == TRIGGERED_EVERY - 1
        delay = rng.uniform(0.0, TRIGGERED_DELAY_SECONDS) if triggered else rng.uniform(0.2, window)
        proc = _start(args, workspace)
        _kill_point(proc, workspace, delay, triggered)
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGKILL)
        _out, err = proc.communicate(timeout=600)
        if proc.returncode != -signal.SIGKILL:
            assert proc.returncode == 0, err  # it finished before the kill: cleanly
            finished += 1
        _check_intact(workspace, before, series)

    rerun_out, _ = _finish(args, workspace)
    assert _ledger_rows(workspace) == _ledger_rows(clean)
    assert _total_returns(workspace) == _total_returns(clean)
    if "--json" in args and command == "backtest":
        assert json.loads(rerun_out)["total_return"] == json.loads(clean_out)["total_return"]
    leftovers = [p.name for p in (workspace / "reports").glob(".*") if "lock" not in p.name]
    assert leftovers == [], leftovers
    assert finished < KILLS, "every run ended before its kill: no kill landed"
