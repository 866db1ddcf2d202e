"""`coverbt backtest`: the JSON contract, the run folder and errors at the edge."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

CONTRACT = {
    "run_id",
    "strategy",
    "start",
    "end",
    "total_return",
    "benchmarks",
    "excess",
    "trades",
    "capital",
    "names",
    "held",
    "not_held",
    "report_dir",
}


def test_json_contract_and_run_folder(backtest_cli, workspace: Path) -> None:
    done = backtest_cli(workspace, "coverage_equal", "--no-costs", "--fractional", "--json")
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout)
    assert set(summary) == CONTRACT
    assert summary["start"] == "2024-06-24" and summary["end"] == "2024-12-24"
    assert summary["total_return"] == pytest.approx(0.5388565815734303, abs=1e-6)
    assert set(summary["benchmarks"]) == set(summary["excess"]) == {"csi300", "sw_computer"}
    folder = workspace / summary["report_dir"]
    files = {p.name for p in folder.iterdir()}
    assert {
        "manifest.json",
        "equity.csv",
        "returns.csv",
        "trades.csv",
        "positions.csv",
        "per_name.csv",
    } <= files
    # every backtest also builds its report and refreshes the index page
    assert {"report.html", "tearsheet_csi300.html", "tearsheet_sw_computer.html"} <= files
    assert (workspace / "reports" / "index.html").is_file()
    equity = pd.read_csv(folder / "equity.csv")
    assert list(equity.columns) == ["date", "portfolio", "csi300", "sw_computer"]
    assert equity.iloc[-1]["portfolio"] - 1 == pytest.approx(summary["total_return"], abs=1e-9)
    trades = pd.read_csv(folder / "trades.csv", dtype={"code": str})
    assert list(trades.columns) == [
        "date",
        "code",
        "name",
        "side",
        "shares",
        "price",
        "value",
        "commission",
        "stamp_duty",
        "transfer_fee",
    ]
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["summary"]["run_id"] == summary["run_id"]
    assert manifest["skipped"][0]["code"] == "EH"
    assert {s["code"] for s in manifest["data_sources"]} >= {"300496", "000300", "801750"}
    assert manifest["command"].startswith("coverbt backtest coverage_equal")
    # repeating the run reproduces it exactly
    again = json.loads(
        backtest_cli(workspace, "coverage_equal", "--no-costs", "--fractional", "--json").stdout
    )
    assert again == summary


def test_bad_input_exits_2_without_traceback(backtest_cli, workspace: Path) -> None:
    done = backtest_cli(workspace, "no_such_strategy")
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert "coverage_equal" in done.stderr
    done = backtest_cli(workspace, "coverage_equal", "--start", "2024-06-01")
    assert done.returncode == 2 and "before the first session after publication" in done.stderr
