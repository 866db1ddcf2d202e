"""Rule files, the rule stack and the no-look-ahead guarantee."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from coverbt.errors import InputError
from coverbt.strategy.context import Context
from coverbt.strategy.rules import WeighInverseVol, cap_weights
from coverbt.strategy.spec import load_strategy

SHIPPED = sorted(
    p.stem for p in (Path(__file__).resolve().parents[2] / "strategies").glob("*.yaml")
)


def test_the_issue_s_strategies_are_shipped() -> None:
    wanted = {
        "coverage_equal",
        "rating_weighted",
        "strong_buy_only",
        "csi300_hold",
        "sw_computer_hold",
    }
    assert wanted <= set(SHIPPED)
    assert sum(name.startswith("theme_") for name in SHIPPED) == 5


@pytest.mark.parametrize("name", SHIPPED)
def test_every_shipped_strategy_runs(name, repo_root, universe, report_market) -> None:  # type: ignore[no-untyped-def]
    from coverbt.backtest.run import run_backtest

    result = run_backtest(
        load_strategy(repo_root / "strategies" / f"{name}.yaml"), universe, report_market
    )
    assert len(result.trades) > 0
    assert result.equity.iloc[0].tolist() == [1.0, 1.0, 1.0]
    assert result.equity.index.is_unique and result.equity.notna().all().all()
    assert (result.positions["shares"] > 0).all()


def test_rating_weights_are_two_to_one(repo_root, universe, report_market) -> None:  # type: ignore[no-untyped-def]
    from coverbt.strategy.plan import build_plan

    plan, _ = build_plan(
        load_strategy(repo_root / "strategies" / "rating_weighted.yaml"), universe, report_market
    )
    weights = plan.decisions[0].weights
    assert weights["300496"] == pytest.approx(2 * weights["000977"])
    assert sum(weights.values()) == pytest.approx(1.0) and len(weights) == 12


def test_bad_strategy_file_names_line_and_field(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("name: x\nweigh:\n  method: equal\n  cap: 2\n", encoding="utf-8")
    with pytest.raises(InputError) as info:
        load_strategy(path)
    assert info.value.line == 4 and info.value.field == "weigh.cap"
    path.write_text("name: x\ncosts: cheap\n", encoding="utf-8")
    with pytest.raises(InputError, match="unknown cost profile"):
        load_strategy(path)
    path.write_text('name: x\nselect:\n  where: "__import__(1)"\n', encoding="utf-8")
    with pytest.raises(InputError):
        load_strategy(path)


def test_cap_redistributes_and_keeps_the_total() -> None:
    # b receives 0.2 * 3/4 and rises above the cap in turn: capped too, c takes the rest
    out = cap_weights({"a": 0.6, "b": 0.3, "c": 0.1}, 0.4)
    assert out == pytest.approx({"a": 0.4, "b": 0.4, "c": 0.2})
    out = cap_weights({"a": 0.5, "b": 0.3, "c": 0.2}, 0.45)  # pro rata: 0.05 * 3/5, * 2/5
    assert out == pytest.approx({"a": 0.45, "b": 0.33, "c": 0.22})
    # a cap below 1/n leaves cash
    assert sum(cap_weights({"a": 0.5, "b": 0.5}, 0.3).values()) == pytest.approx(0.6)


def test_inverse_vol_cannot_see_the_decision_day_or_later(universe) -> None:  # type: ignore[no-untyped-def]
    days = pd.bdate_range("2024-03-01", "2024-07-31")
    rng = pd.Series(range(len(days)), index=days, dtype=float)
    closes = pd.DataFrame({"300496": 10 + (rng % 3), "600570": 10 + (rng % 7) * 0.1}, index=days)
    as_of = pd.Timestamp("2024-06-24")
    names = {c: universe.get(c) for c in closes}

    def weights(frame: pd.DataFrame) -> dict[str, float]:
        ctx = Context(as_of, universe, names, frame)
        ctx.selected = list(names)
        WeighInverseVol(lookback=40)(ctx)
        return ctx.weights

    base = weights(closes)
    future = closes.copy()
    future.loc[future.index >= as_of, "300496"] *= 3.0  # a wild future, incl. the decision day
    assert weights(future) == base
    past = closes.copy()
    past.loc[past.index < as_of, "300496"] *= pd.Series(range(len(days)), index=days) % 2 + 1
    assert weights(past) != base  # the rule does read the past


def test_a_decision_before_publication_is_refused(universe) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValueError, match="not after the publication"):
        Context(pd.Timestamp("2024-06-21"), universe, {}, pd.DataFrame())
