"""A run's tearsheets and charts are drawn again only when what they show changed."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from coverbt.reports import build_run_report
from coverbt.reports.build import REPORT_KEY, render_run_report, report_is_fresh
from coverbt.reports.drawing import ReportDrawer


@pytest.fixture
def built(run_dir: Path, tmp_path: Path) -> Path:
    folder = tmp_path / "reports" / run_dir.name
    shutil.copytree(run_dir, folder, ignore=shutil.ignore_patterns(REPORT_KEY))
    build_run_report(folder)
    return folder


@pytest.mark.slow
def test_an_unchanged_run_is_not_drawn_again(built: Path) -> None:
    assert report_is_fresh(built)
    assert render_run_report(built).files == {}
    page = built / "report.html"
    page.unlink()
    build_run_report(built)
    assert page.is_file()  # the page is always written


@pytest.mark.slow
def test_changed_data_or_a_missing_file_is_drawn_again(built: Path) -> None:
    (built / "tearsheet_csi300.html").unlink()
    assert not report_is_fresh(built)
    build_run_report(built)
    assert (built / "tearsheet_csi300.html").is_file() and report_is_fresh(built)
    per_name = built / "per_name.csv"
    per_name.write_text(per_name.read_text(encoding="utf-8").replace("0.", "0.0", 1))
    assert not report_is_fresh(built)
    assert set(render_run_report(built).files) >= {"contribution.png", "tearsheet_csi300.html"}


@pytest.mark.slow
def test_workers_draw_what_this_process_would(built: Path) -> None:
    (built / REPORT_KEY).unlink()
    with ReportDrawer(workers=1) as drawer:
        drawer.submit(built)
        [report] = drawer.finish()
    assert report_is_fresh(built)
    assert [p.name for p in report.tearsheets] == [
        "tearsheet_csi300.html", "tearsheet_sw_computer.html",
    ]  # fmt: skip
