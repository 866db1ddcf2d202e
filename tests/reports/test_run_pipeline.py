"""``coverbt run --offline`` end to end: import the shared data, run, find every output."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

STRATEGIES = ("coverage_equal", "strong_buy_only")


def _coverbt(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    code = "from coverbt.cli import main; main()"
    return subprocess.run(
        [sys.executable, "-c", code, *args], cwd=cwd, capture_output=True, text=True, check=False
    )


def _workspace(root: Path, repo_root: Path) -> Path:
    (root / "strategies").mkdir(parents=True)
    for name in STRATEGIES:
        shutil.copy(repo_root / "strategies" / f"{name}.yaml", root / "strategies")
    shutil.copytree(repo_root / "universe", root / "universe")
    return root


@pytest.mark.slow
def test_import_then_run_offline(tmp_path: Path, repo_root: Path, market_data_dir: Path) -> None:
    ws = _workspace(tmp_path / "ws", repo_root)
    imported = _coverbt("data", "import", str(market_data_dir), cwd=ws)
    assert imported.returncode == 0, imported.stderr
    out = _coverbt("run", "--offline", "--horizons", "6M,12M", cwd=ws)
    assert out.returncode == 0, out.stderr
    assert "reports/index.html" in out.stdout and "coverage_equal" in out.stdout
    reports = ws / "reports"
    index = (reports / "index.html").read_text(encoding="utf-8")
    runs = [p for p in reports.iterdir() if (p / "manifest.json").is_file()]
    assert sorted(p.name.split("-")[0] for p in runs) == sorted(STRATEGIES)
    # the period shown is the holding period: entry open 2024-06-24 (first session after the
    # Sunday publication), never the 1.0 baseline row of equity.csv dated 2024-06-21
    assert "2024-06-24 .. 2024-12-24" in index and "2024-06-21" not in index
    for run in runs:
        assert f"{run.name}/report.html" in index
        for name in ("tearsheet_csi300.html", "tearsheet_sw_computer.html", "equity.png"):
            assert (run / name).is_file(), name
    card_dir = reports / "scorecard-pingan-computer-2024-midyear-csi300"
    cards = json.loads((card_dir / "scorecard.json").read_text(encoding="utf-8"))
    assert [c["horizon"] for c in cards] == ["6M", "12M"]
    six = {n["code"]: n for n in cards[0]["names"]}
    # the cache path gives the numbers pinned from the vendor files (test_scorecard_pinned)
    assert six["300496"]["return"] == pytest.approx(0.2906523505403953, rel=1e-9)
    assert six["600570"]["return"] == pytest.approx(29.5417182 / 18.0338988 - 1, rel=1e-9)
    assert "not an A-share" in six["EH"]["reason"]


def test_offline_gap_names_the_missing_series(
    tmp_path: Path, repo_root: Path, market_data_dir: Path
) -> None:
    ws = _workspace(tmp_path / "ws", repo_root)
    assert _coverbt("data", "import", str(market_data_dir / "index"), cwd=ws).returncode == 0
    out = _coverbt("run", "--offline", cwd=ws)
    assert out.returncode == 2 and "Traceback" not in out.stderr
    assert "stock 300496 中科创达: not in the cache" in out.stderr
    assert "coverbt data import" in out.stderr
    assert not (ws / "reports").exists()


@pytest.mark.slow
def test_empty_cache_is_seeded_from_the_sample(tmp_path: Path, repo_root: Path) -> None:
    """The README's first command on a machine without ../shared: `run --offline` on an empty
    cache seeds it from the built-in sample (one line says so) and gives the pinned numbers."""
    ws = _workspace(tmp_path / "ws", repo_root)
    out = _coverbt("run", "--offline", "--horizons", "6M", cwd=ws)
    assert out.returncode == 0, out.stderr
    seeded = [line for line in out.stderr.splitlines() if "seeded" in line]
    assert len(seeded) == 1 and "built-in sample" in seeded[0]
    cards = json.loads(
        (ws / "reports/scorecard-pingan-computer-2024-midyear-csi300/scorecard.json").read_text(
            encoding="utf-8"
        )
    )
    six = {n["code"]: n for n in cards[0]["names"]}
    assert six["300496"]["return"] == pytest.approx(0.2906523505403953, rel=1e-9)
    assert "reports/index.html" in out.stdout
    # a second run finds the cache filled: no second seeding line
    again = _coverbt("run", "--offline", "--horizons", "6M", "--strategies", "coverage_equal",
                     cwd=ws)  # fmt: skip
    assert again.returncode == 0 and "seeded" not in again.stderr


def test_explicit_sample_import_is_idempotent(tmp_path: Path) -> None:
    first = _coverbt("data", "import", "--sample", "--json", cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    assert json.loads(first.stdout)["series_written"] == 33
    second = _coverbt("data", "import", "--sample", "--json", cwd=tmp_path)
    assert json.loads(second.stdout)["series_written"] == 0
    status = _coverbt("data", "status", "--json", cwd=tmp_path)
    sources = {row["source"] for row in json.loads(status.stdout)["series"]}
    assert sources == {"sample"}
