"""``coverbt hitrate`` end to end on a workspace filled by ``import_path``."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory, report_cache_filler) -> Path:  # type: ignore[no-untyped-def]
    root = tmp_path_factory.mktemp("ws")
    report_cache_filler(root / "data_cache")
    return root


def _coverbt(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    code = "from coverbt.cli import main; main()"
    return subprocess.run(
        [sys.executable, "-c", code, *args], cwd=cwd, capture_output=True, text=True, check=False
    )


def test_json_one_horizon_is_an_object(workspace: Path, universe_file: Path) -> None:
    out = _coverbt("hitrate", "--universe", str(universe_file), "--json", cwd=workspace)
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert data["horizon"] == "6M" and len(data["names"]) == 26
    hs = next(n for n in data["names"] if n["code"] == "600570")
    # baostock sh.600570.csv, the served source (SOURCE_PREFERENCE)
    assert hs["return"] == pytest.approx(29.5417182 / 18.0338988 - 1, rel=1e-12)


def test_json_several_horizons_is_a_list(workspace: Path, universe_file: Path) -> None:
    out = _coverbt(
        "hitrate", "-u", str(universe_file), "--horizons", "1M,3M,12M",
        "--benchmark", "sw_computer", "--json", cwd=workspace,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert [d["horizon"] for d in data] == ["1M", "3M", "12M"]
    assert {d["benchmark_code"] for d in data} == {"801750"}
    assert data[0]["names"][0]["exit_date"] == "2024-07-24"


def test_table_lists_reasons(workspace: Path, universe_file: Path) -> None:
    out = _coverbt("hitrate", "-u", str(universe_file), cwd=workspace)
    assert out.returncode == 0, out.stderr
    assert "EH 亿航智能: not an A-share" in out.stdout
    assert "强于大市" in out.stdout


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (("--benchmark", "sp500"), "--benchmark"),
        (("--horizons", "6X"), "--horizons"),
        (("--anchor", "report"), "--anchor"),
        (("--entry", "vwap"), "--entry"),
        (("--excess", "log"), "--excess"),
    ],
)
def test_bad_flags_exit_2_without_traceback(
    workspace: Path, universe_file: Path, args: tuple[str, ...], needle: str
) -> None:
    out = _coverbt("hitrate", "-u", str(universe_file), *args, cwd=workspace)
    assert out.returncode == 2
    assert needle in out.stderr and "Traceback" not in out.stderr


def test_run_takes_the_convention_options_and_refuses_a_bad_one(
    workspace: Path, universe_file: Path
) -> None:
    out = _coverbt("run", "--offline", "-u", str(universe_file), "--anchor", "report",
                   cwd=workspace)  # fmt: skip
    assert out.returncode == 2
    assert "--anchor" in out.stderr and "Traceback" not in out.stderr
    assert not (workspace / "reports").exists()  # refused before any backtest


def test_empty_workspace_is_seeded_from_the_sample(tmp_path: Path, universe_file: Path) -> None:
    out = _coverbt("hitrate", "-u", str(universe_file), "--horizons", "6M", cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert "seeded" in out.stderr and "built-in sample" in out.stderr


def test_a_cache_lacking_the_stocks_says_how_to_import(tmp_path: Path, universe_file: Path):
    from coverbt.data.cache import Cache
    from coverbt.data.sample import load_sample

    with Cache(tmp_path / "data_cache").writing() as writer:  # one index, no stock
        writer.put([s.series for s in load_sample() if s.series.meta.code == "000300"])
    out = _coverbt("hitrate", "-u", str(universe_file), cwd=tmp_path)
    # each name gets numbers or a reason; here the reason names the import command
    assert out.returncode == 0 and "Traceback" not in out.stderr
    assert "coverbt data import" in out.stdout
    assert "seeded" not in out.stderr


def test_publication_anchor_two_of_three_and_default_flags_it(
    workspace: Path, universe_file: Path
) -> None:
    out = _coverbt("hitrate", "-u", str(universe_file), "--anchor", "publication", "--json",
                   cwd=workspace)  # fmt: skip
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert data["convention"]["anchor"] == "publication"
    strong = next(r for r in data["by_rating"] if r["rating"] == "强烈推荐")
    assert (strong["band_hits"], strong["n"]) == (2, 3)
    default = json.loads(_coverbt("hitrate", "-u", str(universe_file), "--json",
                                  cwd=workspace).stdout)  # fmt: skip
    assert default["convention"]["tag"] == "entry/next_open/csi300/difference"
    strong = next(r for r in default["by_rating"] if r["rating"] == "强烈推荐")
    assert (strong["band_hits"], strong["n"]) == (1, 3)
    assert "300496" in default["robustness"]["fragile"]
    span = next(r for r in default["robustness"]["by_rating"] if r["rating"] == "强烈推荐")
    assert (span["low"], span["high"]) == pytest.approx((1 / 3, 2 / 3))
    assert len(default["executable"]) == 25  # every A-share name with a paper return


def test_default_table_shows_convention_and_fragile(workspace: Path, universe_file: Path) -> None:
    out = _coverbt("hitrate", "-u", str(universe_file), cwd=workspace)
    assert out.returncode == 0, out.stderr
    assert "convention entry/next_open/csi300/difference" in out.stdout
    assert "FRAGILE 300496" in out.stdout
    assert "paper vs executable" in out.stdout
