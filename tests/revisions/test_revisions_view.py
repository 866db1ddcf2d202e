"""PE TTM pinned against the baostock CSV, the view contract, the CLI, actuals CSV errors."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import time_machine
from typer.testing import CliRunner

from coverbt.cli import app
from coverbt.errors import InputError
from coverbt.revisions.actuals import read_actuals
from coverbt.revisions.ledger import Ledger
from coverbt.revisions.metrics import forecast_errors
from coverbt.revisions.service import ingest_actuals, ingest_universe
from coverbt.revisions.valuation import pe_ttm_view
from coverbt.revisions.view import build_view

PUBLISHED = dt.date(2024, 6, 23)
AS_OF = dt.date(2024, 12, 31)


def _baostock_pe(market_data_dir: Path, file: str, day: str) -> float:
    frame = pd.read_csv(market_data_dir / "stock" / "baostock" / file, encoding="utf-8-sig")
    return float(frame.loc[frame["date"] == day, "peTTM"].iloc[0])


@pytest.mark.parametrize(("code", "file"), [("600570", "sh.600570.csv"),
                                            ("000977", "sz.000977.csv")])  # fmt: skip
def test_pe_ttm_pinned_to_the_baostock_file(shared_provider, market_data_dir, code, file):
    view = pe_ttm_view(shared_provider, code, PUBLISHED, AS_OF)
    # publication is a Sunday: the last session on or before it is Friday 2024-06-21
    assert view.at_report_date == dt.date(2024, 6, 21)
    assert view.at_report == _baostock_pe(market_data_dir, file, "2024-06-21")
    assert view.now_date == AS_OF
    assert view.now == _baostock_pe(market_data_dir, file, "2024-12-31")
    assert view.note is None


def test_missing_pe_is_said_not_invented(report_market):
    star = pe_ttm_view(report_market, "688041", PUBLISHED, AS_OF)
    assert (star.at_report, star.now) == (None, None)
    assert "no PE TTM" in star.note
    late = pe_ttm_view(report_market, "002439", PUBLISHED, AS_OF)
    assert late.at_report is None and late.now is not None
    assert "starts 2024-10-14" in late.note


def test_view_contract(tmp_path, universe, universe_file, report_market):
    ledger = Ledger(tmp_path / "ledger.duckdb")
    ingest_universe(ledger, universe, universe_file)
    view = build_view(universe, ledger.rows(), report_market, AS_OF)
    assert {"as_of", "names", "breadth_1m", "breadth_3m"} <= set(view)
    by_code = {n["code"]: n for n in view["names"]}
    assert len(by_code) == 26
    hs = by_code["600570"]
    for key in ("code", "name", "forecasts", "eps_change_1m", "eps_change_3m",
                "pe_at_report", "pe_ttm_now"):  # fmt: skip
        assert key in hs
    assert {f["fiscal_year"]: f["eps"] for f in hs["forecasts"]} == {
        2023: 0.75, 2024: 0.91, 2025: 1.11, 2026: 1.32
    }  # fmt: skip
    assert set(hs["forecasts"][0]) >= {"source", "as_of", "fiscal_year", "eps"}
    assert hs["pe_at_report"] == 21.1  # the report's 2024E PE
    assert hs["pe_ttm_now"] == 41.973885
    assert hs["eps_change_1m"] == 0.0  # only the report's snapshot: no revision recorded
    assert by_code["688041"]["pe_ttm_now"] is None and by_code["688041"]["pe_ttm_note"]
    assert "not an A-share" in by_code["EH"]["pe_ttm_note"]
    assert view["breadth_1m"] == 0.0 and view["breadth_1m_counts"]["n"] == 13
    parts = hs["decomposition"]
    assert parts["dlog_eps"] + parts["dlog_pe"] == pytest.approx(parts["log_return"])
    before = build_view(universe, ledger.rows(), report_market, dt.date(2024, 6, 22))
    assert all(n["forecasts"] == [] for n in before["names"])


# actuals published 2025-03-28 can be stored only once that day has passed: these tests
# set their own clock, whatever day the suite runs on (COVERBT_TEST_CLOCK included)
AFTER_ACTUALS = dt.datetime(2025, 6, 30, 12, tzinfo=dt.UTC)


@time_machine.travel(AFTER_ACTUALS, tick=False)
def test_actuals_csv_row_errors_name_the_line(tmp_path):
    good = tmp_path / "actuals.csv"
    good.write_text("code,fiscal_year,eps,published\n600570,2024,0.55,2025-03-28\n")
    assert [(r.code, r.fiscal_year, r.eps, r.as_of) for r in read_actuals(good)] == [
        ("600570", 2024, 0.55, dt.date(2025, 3, 28))
    ]
    cases = {
        "600570,2024,abc,2025-03-28": ("eps", 3),
        "60057,2024,0.5,2025-03-28": ("code", 3),
        "600570,2024,0.5,2024-12-01": ("published", 3),  # before the year ended
        "600570,2024,0.5,28/03/2025": ("published", 3),
        "600570,2024,0.56,2025-03-29": ("code", 3),  # twice
    }
    for line, (field, number) in cases.items():
        bad = tmp_path / "bad.csv"
        bad.write_text(f"code,fiscal_year,eps,published\n600570,2024,0.55,2025-03-28\n{line}\n")
        with pytest.raises(InputError) as info:
            read_actuals(bad)
        assert (info.value.field, info.value.line) == (field, number), line
    header = tmp_path / "header.csv"
    header.write_text("code,year,eps\n")
    with pytest.raises(InputError, match="missing column"):
        read_actuals(header)


@time_machine.travel(AFTER_ACTUALS, tick=False)
def test_forecast_error_against_added_actuals(tmp_path, universe, universe_file):
    ledger = Ledger(tmp_path / "ledger.duckdb")
    ingest_universe(ledger, universe, universe_file)
    csv = tmp_path / "actuals.csv"
    csv.write_text("code,fiscal_year,eps,published\n600570,2024,0.55,2025-03-28\n")
    assert ingest_actuals(ledger, csv).new_keys == 1
    assert ingest_actuals(ledger, csv).added == 0
    errors = forecast_errors(ledger.rows())
    assert errors["error"].tolist() == [pytest.approx((0.91 - 0.55) / 0.55)]


@pytest.fixture(scope="module")
def workspace(tmp_path_factory, report_cache_filler, repo_root) -> Path:
    root = tmp_path_factory.mktemp("ws")
    report_cache_filler(root / "data_cache")
    (root / "universe").mkdir()
    src = repo_root / "universe" / "pingan_computer_2024_midyear.yaml"
    (root / "universe" / src.name).write_text(src.read_text(encoding="utf-8"), encoding="utf-8")
    return root


def test_cli_json_and_point_in_time(workspace):
    runner = CliRunner()
    args = ["revisions", "--workspace", str(workspace), "--no-charts", "--json"]
    result = runner.invoke(app, [*args, "--as-of", "2024-12-31"])
    assert result.exit_code == 0, result.output
    view = json.loads(result.stdout)
    assert view["as_of"] == "2024-12-31"
    assert len(Ledger.in_cache(workspace / "data_cache").rows()) == 52
    again = runner.invoke(app, [*args, "--as-of", "2024-06-22"])
    assert again.exit_code == 0, again.output
    assert all(n["forecasts"] == [] for n in json.loads(again.stdout)["names"])
    assert len(Ledger.in_cache(workspace / "data_cache").rows()) == 52  # still once


def test_cli_charts_and_bad_date(workspace):
    result = CliRunner().invoke(
        app, ["revisions", "--workspace", str(workspace), "--as-of", "2024-12-31"]
    )
    assert result.exit_code == 0, result.output
    assert (workspace / "reports" / "revisions" / "2024-12-31" / "600570.png").stat().st_size
    page = (workspace / "reports" / "revisions" / "2024-12-31" / "revisions.html").read_text(
        encoding="utf-8"
    )
    assert '<img src="600570.png"' in page and "600570 恒生电子" in page
    index = (workspace / "reports" / "index.html").read_text(encoding="utf-8")
    assert "revisions/2024-12-31/revisions.html" in index
    bad = subprocess.run(
        [sys.executable, "-c", "from coverbt.cli import main; main()", "revisions",
         "--workspace", str(workspace), "--as-of", "31/12/2024"],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert bad.returncode == 2
    assert "--as-of" in bad.stderr and "Traceback" not in bad.stderr
