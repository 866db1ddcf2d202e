"""Run reports: tearsheets, charts, the run page and the index, offline."""

from __future__ import annotations

import socket
from contextlib import contextmanager
from pathlib import Path

import pandas as pd
import pytest

from coverbt.errors import InputError
from coverbt.reports import build_run_report, write_index, write_scorecard_report
from coverbt.reports.run_folder import load_run
from coverbt.scorecard import score_universe

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@contextmanager
def _no_network():
    """Fail any attempt to open a network connection while the block runs."""
    original = socket.socket.connect

    def refuse(self, address):  # type: ignore[no-untyped-def]
        raise AssertionError(f"network access attempted: {address}")

    socket.socket.connect = refuse  # type: ignore[method-assign]
    try:
        yield
    finally:
        socket.socket.connect = original  # type: ignore[method-assign]


@pytest.fixture(scope="module")
def built(run_dir: Path):
    with _no_network():
        return build_run_report(run_dir)


def test_tearsheets_against_both_benchmarks(built) -> None:
    names = sorted(p.name for p in built.tearsheets)
    assert names == ["tearsheet_csi300.html", "tearsheet_sw_computer.html"]
    for path in built.tearsheets:
        html = path.read_text(encoding="utf-8")
        assert "qtpylib.io" not in html  # the remote favicon was replaced
        assert "Strategy" in html
    assert "SWComputer" in built.tearsheets[1].read_text(encoding="utf-8")


def test_charts_are_png(built) -> None:
    assert [p.name for p in built.charts] == ["equity.png", "drawdown.png", "contribution.png"]
    for path in built.charts:
        assert path.read_bytes()[:8] == PNG_MAGIC and path.stat().st_size > 5_000


def test_summary_matches_equity_csv(built, run_dir: Path) -> None:
    equity = pd.read_csv(run_dir / "equity.csv", index_col="date")
    assert built.summary.total_return == pytest.approx(
        equity["portfolio"].iloc[-1] / equity["portfolio"].iloc[0] - 1
    )
    text = built.page.read_text(encoding="utf-8")
    assert "tearsheet_csi300.html" in text and "equity.png" in text


def test_index_links_runs_and_scorecards(built, run_dir: Path, universe, report_market) -> None:
    reports = run_dir.parent
    card = score_universe(universe, report_market)
    folder = write_scorecard_report([card], reports)
    assert (folder / "scorecard_6M.png").read_bytes()[:8] == PNG_MAGIC
    index = write_index(reports)
    html = index.read_text(encoding="utf-8")
    assert f"{run_dir.name}/report.html" in html
    assert f"{folder.name}/scorecard.html" in html
    assert not list(reports.glob(".*.tmp"))  # atomic writes leave no temporaries


def test_missing_column_is_an_input_error(tmp_path: Path, run_dir: Path) -> None:
    broken = tmp_path / "broken"
    broken.mkdir()
    for item in run_dir.iterdir():
        if item.is_file():
            (broken / item.name).write_bytes(item.read_bytes())
    frame = pd.read_csv(broken / "equity.csv").drop(columns=["sw_computer"])
    frame.to_csv(broken / "equity.csv", index=False)
    with pytest.raises(InputError) as info:
        load_run(broken)
    assert "equity.csv" in str(info.value) and "sw_computer" in str(info.value)
