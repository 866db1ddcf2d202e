"""Strategies that used to run to a silent "0 trades" or an internal error.

Each is now an :class:`InputError` that names the strategy file and the field.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from coverbt.backtest.run import RunOptions, run_backtest
from coverbt.errors import InputError
from coverbt.strategy.checks import NothingToTrade
from coverbt.strategy.plan import build_plan
from coverbt.strategy.spec import load_strategy


def _strategy(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "strategies" / "s.yaml"
    path.parent.mkdir(exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_rating_weights_all_zero(tmp_path: Path) -> None:
    path = _strategy(
        tmp_path, "name: s\nweigh: {method: rating, rating_weights: {强烈推荐: 0, 推荐: 0}}\n"
    )
    with pytest.raises(InputError, match="all 0") as info:
        load_strategy(path)
    assert (info.value.source, info.value.line, info.value.field) == (path, 2, "weigh")


def test_rating_weights_with_unknown_labels(tmp_path: Path, universe, report_market) -> None:  # type: ignore[no-untyped-def]
    path = _strategy(tmp_path, "name: s\nweigh: {method: rating, rating_weights: {买入: 2}}\n")
    with pytest.raises(InputError, match="买入") as info:
        build_plan(load_strategy(path), universe, report_market)
    assert (info.value.source, info.value.field) == (path, "weigh.rating_weights.买入")


def test_capital_that_buys_no_lot(tmp_path: Path, universe, report_market) -> None:  # type: ignore[no-untyped-def]
    path = _strategy(tmp_path, "name: s\ncapital: 0.01\n")
    with pytest.raises(NothingToTrade, match="buys no lot") as info:
        run_backtest(load_strategy(path), universe, report_market)
    assert (info.value.source, info.value.field) == (path, "capital")
    assert info.value.exit_code == 2
    # fractional shares have no lot, but the minimum commission still takes 0.01 CNY
    with pytest.raises(NothingToTrade, match="minimum commission"):
        run_backtest(load_strategy(path), universe, report_market, RunOptions(fractional=True))
    # without costs fractional shares do buy something: the same capital is then fine
    result = run_backtest(
        load_strategy(path), universe, report_market, RunOptions(fractional=True, no_costs=True)
    )
    assert len(result.trades) > 0


def test_a_where_that_keeps_no_name(tmp_path: Path, universe, report_market) -> None:  # type: ignore[no-untyped-def]
    path = _strategy(tmp_path, "name: s\nselect: {where: 'pe_2024 > 100000'}\n")
    with pytest.raises(NothingToTrade, match="strategy s selects no name") as info:
        build_plan(load_strategy(path), universe, report_market)
    assert (info.value.source, info.value.field) == (path, "select")


def test_static_filters_that_keep_no_name(tmp_path: Path, universe, report_market) -> None:  # type: ignore[no-untyped-def]
    path = _strategy(tmp_path, "name: s\nselect: {ratings: [买入]}\n")
    with pytest.raises(InputError, match="strategy s matches no A-share") as info:
        build_plan(load_strategy(path), universe, report_market)
    assert info.value.source == path


def test_a_where_error_found_at_run_time_names_file_and_line(
    tmp_path: Path, universe, report_market
) -> None:  # type: ignore[no-untyped-def]
    path = _strategy(tmp_path, "name: s\nselect:\n  where: 'rating > pe_2024'\n")
    with pytest.raises(InputError, match="needs numbers") as info:
        build_plan(load_strategy(path), universe, report_market)
    assert (info.value.source, info.value.line, info.value.field) == (path, 3, "select.where")


@pytest.mark.parametrize("screen", ["../../../../etc/passwd", "/etc/passwd", "../outside.yaml"])
def test_a_screen_path_outside_the_strategy_folder_is_refused(tmp_path: Path, screen: str) -> None:
    (tmp_path / "outside.yaml").write_text(
        "name: o\nconditions: [close > 0]\nscore: {field: close}\n"
    )
    path = _strategy(tmp_path, f"name: s\nact: {{trigger: screen, screen: '{screen}'}}\n")
    with pytest.raises(InputError, match="outside") as info:
        load_strategy(path)
    assert (info.value.source, info.value.line, info.value.field) == (path, 2, "act.screen")


def test_run_checks_every_strategy_file_before_the_first_backtest(
    tmp_path: Path, repo_root: Path, universe_file: Path
) -> None:
    from coverbt.pipeline import run_pipeline
    from coverbt.workspace import Workspace

    laughs = 'a: &a ["lol", "lol"]\nb: &b [*a, *a]\nc: [*b, *b]\n'
    _strategy(tmp_path, "name: zz\n" + laughs)
    (tmp_path / "strategies" / "coverage_equal.yaml").write_text(
        (repo_root / "strategies" / "coverage_equal.yaml").read_text(encoding="utf-8"),
        encoding="utf-8",
    )
    with pytest.raises(InputError, match="aliases") as info:
        run_pipeline(Workspace.at(tmp_path), universe_file, offline=True)
    assert info.value.source == tmp_path / "strategies" / "s.yaml"
    assert not list(tmp_path.rglob("manifest.json"))  # no backtest ran
