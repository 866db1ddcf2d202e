"""A run never deletes another run's report: repeating a run id keeps its report files,
other run ids are never touched, and a report of other numbers is not carried over."""

from __future__ import annotations

from pathlib import Path

import pytest

from coverbt.backtest.folder import RunInputs, write_run
from coverbt.backtest.run import BacktestResult, RunOptions, run_backtest
from coverbt.strategy.spec import load_strategy

REPORT_FILES = ("report.html", "tearsheet_csi300.html", "equity.png")


def _run(repo_root: Path, universe, market, options: RunOptions) -> BacktestResult:  # type: ignore[no-untyped-def]
    spec = load_strategy(repo_root / "strategies" / "theme_cybersecurity.yaml")
    return run_backtest(spec, universe, market, options)


@pytest.fixture(scope="module")
def runs(repo_root: Path, universe, report_market) -> tuple[BacktestResult, BacktestResult]:  # type: ignore[no-untyped-def]
    return (
        _run(repo_root, universe, report_market, RunOptions()),
        _run(repo_root, universe, report_market, RunOptions(capital=1_000_000.0)),
    )


def _write(result: BacktestResult, reports: Path, repo_root: Path, universe_file: Path) -> Path:
    inputs = RunInputs(repo_root / "strategies" / "theme_cybersecurity.yaml", universe_file, "t")
    return write_run(result, reports, inputs)


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def test_repeating_a_run_keeps_its_report(runs, repo_root, universe_file, tmp_path) -> None:  # type: ignore[no-untyped-def]
    first = _write(runs[0], tmp_path, repo_root, universe_file)
    for name in REPORT_FILES:
        (first / name).write_text(f"built for {name}", encoding="utf-8")
    before = _snapshot(first)
    again = _write(runs[0], tmp_path, repo_root, universe_file)  # e.g. --no-report
    assert again == first and _snapshot(again) == before


def test_other_run_ids_are_never_touched(runs, repo_root, universe_file, tmp_path) -> None:  # type: ignore[no-untyped-def]
    first = _write(runs[0], tmp_path, repo_root, universe_file)
    (first / "report.html").write_text("the first run's page", encoding="utf-8")
    before = _snapshot(first)
    other = _write(runs[1], tmp_path, repo_root, universe_file)
    assert other != first and not (other / "report.html").exists()
    assert _snapshot(first) == before
    assert sorted(p.name for p in tmp_path.iterdir() if not p.name.startswith(".")) == sorted(
        [first.name, other.name]
    )


def test_a_stale_report_is_not_carried(runs, repo_root, universe_file, tmp_path) -> None:  # type: ignore[no-untyped-def]
    first = _write(runs[0], tmp_path, repo_root, universe_file)
    equity = (first / "equity.csv").read_bytes()
    (first / "equity.csv").write_bytes(equity + b"2099-01-01,1,1,1\n")  # other numbers
    (first / "report.html").write_text("a page of other numbers", encoding="utf-8")
    again = _write(runs[0], tmp_path, repo_root, universe_file)
    assert (again / "equity.csv").read_bytes() == equity
    assert not (again / "report.html").exists()
