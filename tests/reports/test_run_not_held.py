"""``coverbt run`` names the names each backtest did not hold, and takes ``--capital``."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest


@pytest.fixture(scope="module")
def workspace(tmp_path_factory, repo_root: Path, report_cache_filler) -> Path:  # type: ignore[no-untyped-def]
    root = tmp_path_factory.mktemp("ws")
    (root / "strategies").mkdir()
    shutil.copy(repo_root / "strategies" / "coverage_equal.yaml", root / "strategies")
    shutil.copytree(repo_root / "universe", root / "universe")
    report_cache_filler(root / "data_cache")
    return root


def test_run_summary_lists_what_was_not_held(workspace: Path) -> None:
    args = ["run", "--offline", "--horizons", "6M", "--capital", "1000000"]
    done = subprocess.run(
        [sys.executable, "-c", "from coverbt.cli import main; main()", *args],
        cwd=workspace,
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "COLUMNS": "200"},
    )
    assert done.returncode == 0, done.stderr
    lines = [line for line in done.stdout.splitlines() if "not held as planned" in line]
    assert [line.split()[5] for line in lines] == ["688111", "688256"]
    assert "never held: target below one lot (163 shares wanted), 4.00% left in cash" in lines[0]
    assert "23 of 25" in done.stdout
    (run,) = [p for p in (workspace / "reports").iterdir() if (p / "manifest.json").is_file()]
    manifest = json.loads((run / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["parameters"]["capital"] == 1_000_000.0
    assert manifest["parameters"]["capital_from"] == "--capital"
    assert [r["code"] for r in manifest["summary"]["not_held"]] == ["688111", "688256"]
    index = (workspace / "reports" / "index.html").read_text(encoding="utf-8")
    assert "capital 1,000,000" in index and "688256 never held (4.00% cash)" in index
    page = (run / "report.html").read_text(encoding="utf-8")
    assert "held 23 of 25 names" in page
