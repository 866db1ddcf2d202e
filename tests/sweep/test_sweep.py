"""Sweeps: the grid, its validation, rows that equal full backtests, resuming, Dask.

Every sweep here runs on the report's market (``../shared`` or the built-in sample) in a
workspace of its own.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from coverbt.backtest.run import RunOptions, run_backtest
from coverbt.errors import InputError
from coverbt.strategy.spec import load_strategy
from coverbt.sweep.evaluate import SweepContext, evaluate
from coverbt.sweep.grid import combinations, variant
from coverbt.sweep.run import Backend, run_sweep
from coverbt.sweep.spec import load_sweep

SMALL = """\
name: small
strategy: coverage_invvol_monthly
grid:
  act.rebalance: [null, 1M]
  weigh.method: [equal, inverse_vol]
  exit.stop_loss: [null, -0.10, -0.20]
"""


@pytest.fixture(scope="module")
def ws(tmp_path_factory, repo_root: Path, report_cache_filler) -> Path:  # type: ignore[no-untyped-def]
    root = tmp_path_factory.mktemp("sweep-ws")
    shutil.copytree(repo_root / "universe", root / "universe")
    shutil.copytree(repo_root / "strategies", root / "strategies")
    report_cache_filler(root / "data_cache")
    (root / "small.yaml").write_text(SMALL, encoding="utf-8")
    return root


def _ctx(ws: Path, sweep_file: Path) -> SweepContext:
    spec = load_sweep(sweep_file)
    return SweepContext(
        cache_dir=ws / "data_cache",
        universe_dir=ws / "universe",
        strategy_file=ws / "strategies" / f"{spec.strategy}.yaml",
        sweep_file=sweep_file,
    )


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "sweep.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_the_grid_and_a_seeded_sample(tmp_path: Path) -> None:
    spec = load_sweep(_write(tmp_path, SMALL))
    assert spec.size == 12
    combos = combinations(spec, "u")
    assert len(combos) == 12 and len({c.id for c in combos}) == 12
    assert combos[0].params == (("act.rebalance", None), ("weigh.method", "equal"),
                                ("exit.stop_loss", None))  # fmt: skip
    sampled = load_sweep(_write(tmp_path, SMALL + "sample: 5\nseed: 3\n"))
    picked = combinations(sampled, "u")
    assert len(picked) == 5 and picked == combinations(sampled, "u")  # the seed fixes it
    assert {c.id for c in picked} <= {c.id for c in combos}


@pytest.mark.parametrize(
    ("text", "where"),
    [
        (SMALL.replace("exit.stop_loss", "exit.stoploss"), "stoploss"),
        (SMALL.replace("act.rebalance", "speed"), "not a strategy setting"),
        (SMALL + "sample: 0\n", "sample"),
        (SMALL.replace("[null, -0.10, -0.20]", "[]"), "no values"),
        (SMALL.replace("[null, -0.10, -0.20]", "[-0.1, -0.1]"), "twice"),
    ],
)
def test_bad_sweep_files_say_where(tmp_path: Path, text: str, where: str, repo_root) -> None:  # type: ignore[no-untyped-def]
    path = _write(tmp_path, text)
    base = load_strategy(repo_root / "strategies" / "coverage_invvol_monthly.yaml")
    with pytest.raises(InputError) as caught:
        spec = load_sweep(path)
        for combo in combinations(spec, "u"):
            variant(base, combo, path)
    assert where in str(caught.value) and str(path) in str(caught.value)


def test_a_value_the_strategy_refuses_is_named(tmp_path: Path, repo_root: Path) -> None:
    path = _write(tmp_path, SMALL.replace("[null, -0.10, -0.20]", "[-0.1, 0.5]"))
    base = load_strategy(repo_root / "strategies" / "coverage_invvol_monthly.yaml")
    with pytest.raises(InputError, match=r"exit.stop_loss.: 0.5"):
        for combo in combinations(load_sweep(path), "u"):
            variant(base, combo, path)


@pytest.mark.slow
def test_a_row_is_the_full_backtest_of_its_variant(ws: Path, universe, report_market) -> None:  # type: ignore[no-untyped-def]
    """The sweep's row of a point equals `coverbt backtest` of that strategy variant."""
    path = ws / "small.yaml"
    ctx = _ctx(ws, path)
    for combo in combinations(load_sweep(path), "pingan_computer_2024_midyear")[::5]:
        row = evaluate(ctx, combo)
        assert row["status"] == "ok"
        spec = variant(ctx.base, combo, path)
        full = run_backtest(spec, universe, report_market, RunOptions())
        assert row["total_return"] == pytest.approx(full.total_return(), abs=1e-12)
        assert row["excess_csi300"] == pytest.approx(
            full.total_return() - full.total_return("csi300"), abs=1e-12
        )
        assert row["trades"] == len(full.trades)
        assert row["refusals"] == len(full.engine.refusals)


@pytest.mark.slow
def test_resuming_after_a_stop_computes_only_the_rest(ws: Path, tmp_path: Path) -> None:
    path = ws / "small.yaml"
    spec = load_sweep(path)
    out = tmp_path / "sweeps"
    first = run_sweep(spec, _ctx(ws, path), out, limit=5)  # stands for a kill after 5
    assert first.computed == 5 and len(first.table) == 5
    rest = run_sweep(spec, _ctx(ws, path), out)
    assert rest.computed == 7 and len(rest.table) == 12
    fresh = run_sweep(spec, _ctx(ws, path), tmp_path / "again")
    pd.testing.assert_frame_equal(rest.table, fresh.table)
    # results of another version of the sweep file are never mixed in
    path.write_text(SMALL.replace("[null, 1M]", "[null, 2M]"), encoding="utf-8")
    try:
        with pytest.raises(InputError, match="another version"):
            run_sweep(load_sweep(path), _ctx(ws, path), out)
        again = run_sweep(load_sweep(path), _ctx(ws, path), out, fresh=True)
        assert again.computed == 12
    finally:
        path.write_text(SMALL, encoding="utf-8")


@pytest.mark.slow
def test_local_cluster_gives_the_same_table(ws: Path, tmp_path: Path) -> None:
    path = ws / "small.yaml"
    spec = load_sweep(path)
    here = run_sweep(spec, _ctx(ws, path), tmp_path / "here")
    there = run_sweep(spec, _ctx(ws, path), tmp_path / "dask", backend=Backend(workers=2))
    assert there.backend == "dask LocalCluster, 2 workers"
    pd.testing.assert_frame_equal(here.table, there.table)
    assert (here.table["status"] == "ok").all()


def _cli(ws: Path, *args: str) -> subprocess.Popen[str]:
    env = {**os.environ, "COLUMNS": "200"}
    return subprocess.Popen(
        [sys.executable, "-c", "from coverbt.cli import main; main()", "sweep", *args,
         "--workspace", str(ws)],
        cwd=ws, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip


@pytest.mark.slow
@pytest.mark.kill_loop
def test_a_killed_sweep_resumes_where_it_stopped(ws: Path) -> None:
    """SIGKILL the shipped sweep once its first parts are on disk, then run it again."""
    sweep = ws / "strategies" / "sweeps" / "coverage_grid.yaml"
    parts = ws / "reports" / "sweeps" / "coverage_grid" / "parts"
    shutil.rmtree(parts.parent, ignore_errors=True)
    proc = _cli(ws, str(sweep))
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and len(list(parts.glob("part-*.parquet"))) < 1:
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.communicate()
    kept = len(list(parts.glob("part-*.parquet")))
    assert kept >= 1 and not list(parts.glob(".*tmp"))  # whole parts only
    done = _cli(ws, str(sweep))
    stdout, stderr = done.communicate(timeout=300)
    assert done.returncode == 0, stderr
    assert "72 points" in stdout and "resumed" in stdout
    table = pd.read_parquet(parts.parent / "results.parquet")
    assert len(table) == 72 and table["combo_id"].is_unique
    assert (ws / "reports" / "index.html").read_text(encoding="utf-8").count("coverage_grid") >= 1


def test_a_bad_sweep_file_exits_2_naming_its_line(ws: Path, tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(SMALL.replace("weigh.method: [equal, inverse_vol]",
                                 "weigh.method: [equal, sideways]"), encoding="utf-8")  # fmt: skip
    proc = _cli(ws, str(bad))
    stdout, stderr = proc.communicate(timeout=120)
    assert proc.returncode == 2, (stdout, stderr)
    assert "Traceback" not in stderr and "bad.yaml" in stderr and "sideways" in stderr


@pytest.mark.slow
def test_periods_and_universes_are_axes_of_their_own(ws: Path) -> None:
    text = SMALL.replace("  exit.stop_loss: [null, -0.10, -0.20]\n", "") + (
        "periods: [{start: 2024-06-24, end: 2024-09-30}, {start: 2024-10-08}]\n"
        "universes: [pingan_computer_2024_midyear]\n"
    )
    path = ws / "periods.yaml"
    path.write_text(text, encoding="utf-8")
    spec = load_sweep(path)
    assert spec.size == 8
    out = run_sweep(spec, _ctx(ws, path), ws / "reports" / "periods-test")
    table = out.table
    assert (table["status"] == "ok").all() and len(table) == 8
    assert set(zip(table["start"], table["end"], strict=True)) == {
        ("2024-06-24", "2024-09-30"),
        ("2024-10-08", "2025-04-08"),
    }  # a later start is a later entry: the 6M horizon runs from it (as `--start` does)
    assert set(table["period"]) == {"2024-06-24..2024-09-30", "2024-10-08..horizon"}
    bad = ws / "bad-universe.yaml"
    bad.write_text(SMALL + "universes: [no_such_report]\n", encoding="utf-8")
    with pytest.raises(InputError, match="no_such_report"):
        run_sweep(load_sweep(bad), _ctx(ws, bad), ws / "reports" / "bad")
