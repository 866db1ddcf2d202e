"""`coverbt data import|status|reconcile|verify` on the shared data."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from coverbt.cli import app

runner = CliRunner()


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory, market_data_dir: Path) -> Path:
    root = tmp_path_factory.mktemp("ws")
    for part in ("stock", "index", "cross-section/baostock_stock_list.csv"):
        result = runner.invoke(
            app, ["data", "import", str(market_data_dir / part), "--workspace", str(root)]
        )
        assert result.exit_code == 0, result.output
    return root


def _json(args: list[str]) -> dict:
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_status_json_contract_and_universe_coverage(workspace: Path, universe_file: Path):
    payload = _json(
        [
            "data",
            "status",
            "--json",
            "--workspace",
            str(workspace),
            "--universe",
            str(universe_file),
            "--start",
            "2024-06-07",
            "--end",
            "2024-12-31",
        ]
    )
    for row in payload["series"]:
        assert {"code", "kind", "source", "adjust", "first", "last", "rows"} <= set(row)
        assert row["kind"] in ("stock", "index")
    rows = payload["coverage"]["names"]
    stocks = [r for r in rows if r["kind"] == "stock" and r["code"] != "EH"]
    assert len(stocks) == 25 and all(r["status"] == "ok" for r in stocks)
    assert all(r["first"] == "2024-06-07" and r["last"] == "2024-12-31" for r in stocks)
    eh = next(r for r in rows if r["code"] == "EH")
    assert eh["status"] == "not an A-share, skipped"
    indexes = {r["code"]: r for r in rows if r["kind"] == "index"}
    assert set(indexes) == {"000300", "801750"}
    assert all(r["status"] == "ok" and r["missing_sessions"] == 0 for r in indexes.values())


def test_status_table_lists_series(workspace: Path) -> None:
    result = runner.invoke(app, ["data", "status", "--workspace", str(workspace)])
    assert (
        result.exit_code == 0 and "801750" in result.stdout and "1126 code names" in result.stdout
    )


def test_truncated_csv_exits_2_naming_file_and_line(tmp_path: Path, market_data_dir: Path):
    lines = (market_data_dir / "stock/akshare/688041.csv").read_text("utf-8-sig").splitlines()
    bad = tmp_path / "688041.csv"
    bad.write_text("\n".join(lines[:50]) + "\n" + lines[50][:20], encoding="utf-8")
    result = runner.invoke(app, ["data", "import", str(bad), "--workspace", str(tmp_path)])
    assert result.exit_code == 2
    assert f"{bad}:51" in result.output.replace("\n", "")


def test_reconcile_pins_the_manifest_return_agreement(workspace: Path) -> None:
    """600570 and 603019: every pair of the three sources agrees within 0.08% a day over
    the test window; 603383 only baostock vs Tushare does: its akshare series is off by
    up to 0.44% (45 days above 0.1%): a finding, not a rounding."""
    window = ["--start", "2024-06-07", "--end", "2024-12-31"]
    worst = {}
    for code in ("600570", "603019", "603383"):
        payload = _json(
            ["data", "reconcile", code, "--json", "--workspace", str(workspace), *window]
        )
        assert payload["sources"] == ["akshare/qfq", "baostock/qfq", "tushare/qfq"]
        for pair in payload["pairs"]:
            assert pair["common_days"] == 140
            worst[(code, pair["a"], pair["b"])] = pair["max_abs_return_diff"]
    for (code, a, _b), value in worst.items():
        if code == "603383" and a == "akshare/qfq":
            assert 0.004 < value < 0.0045
        else:
            assert value < 0.0008
    assert worst[("603383", "baostock/qfq", "tushare/qfq")] < 0.00035


def test_verify_finds_damage_and_repair_names_the_import(workspace: Path, tmp_path: Path):
    copy = tmp_path / "ws"
    shutil.copytree(workspace, copy)
    segment = next((copy / "data_cache" / "segments").iterdir())
    segment.write_bytes(segment.read_bytes()[:100])
    result = runner.invoke(app, ["data", "verify", "--workspace", str(copy)])
    assert result.exit_code == 1 and segment.name in result.output.replace("\n", "")
    result = runner.invoke(app, ["data", "verify", "--repair", "--workspace", str(copy)])
    assert result.exit_code == 0 and "coverbt data import" in result.output
    assert runner.invoke(app, ["data", "verify", "--workspace", str(copy)]).exit_code == 0
