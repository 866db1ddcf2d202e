"""``coverbt daily --offline`` on the shared data; the lock; a failing step does not stop others."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from filelock import FileLock


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
    }
    folder = workspace / "reports" / "daily" / "2024-11-29"
    for name in ("summary.json", "summary.md", "summary.html", "scorecard.json"):
        assert (folder / name).is_file()
    index = (workspace / "reports" / "index.html").read_text(encoding="utf-8")
    assert "daily/2024-11-29/summary.html" in index
    assert "screens/coverage_cheap_strong/2024-11-29/screen.html" in index
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
