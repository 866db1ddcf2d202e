"""Checks of a strategy against the universe and the market it runs on.

A strategy file is valid on its own (:mod:`coverbt.strategy.spec`), but only the universe
tells whether its rating labels exist, and only the prices whether its capital buys
anything. These checks turn "0 trades, exit 0" into an :class:`InputError` that names the
strategy file, the field and the fix.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pandas as pd

from coverbt.errors import InputError
from coverbt.market.rules import LOT_RULES
from coverbt.strategy.spec import DEFAULT_CAPITAL, STRATEGY_FIX, StrategySpec
from coverbt.universe.boards import Board
from coverbt.universe.model import NO_RATING, WATCH, Universe


class NothingToTrade(InputError):
    """A strategy that selects no name, or whose orders cannot buy a single lot."""


def check_rating_weights(spec: StrategySpec, universe: Universe) -> None:
    """Refuse ``weigh.rating_weights`` labels that the universe's scale does not have."""
    if spec.weigh.method != "rating":
        return
    known = [*universe.rating_scale.labels(), NO_RATING, WATCH]
    for label in spec.weigh.rating_weights:
        if label not in known:
            raise InputError(
                f"rating label {label!r} is not used by the universe "
                f"({universe.report.id}), so it would weigh nothing",
                source=spec.source,
                field=f"weigh.rating_weights.{label}",
                expected="labels among " + ", ".join(known),
                fix="use the labels of the universe's rating_scale.stock",
            )


def check_something_selected(spec: StrategySpec, weights: Sequence[dict[str, float]]) -> None:
    """Refuse a strategy whose every decision holds nothing."""
    if any(any(w > 0 for w in day.values()) for day in weights):
        return
    raise NothingToTrade(
        f"strategy {spec.name} selects no name at any decision (the filters, the where "
        "condition or the screen leave nothing, or every weight is 0)",
        source=spec.source,
        field="select",
        expected="at least one name to hold",
        fix="loosen select (ratings, themes, where) or check the labels against "
        "`coverbt universe show`",
    )


def no_trade_error(
    spec: StrategySpec,
    first_weights: dict[str, float],
    boards: Mapping[str, Board | None],
    close: pd.DataFrame,
    day: pd.Timestamp,
    *,
    fractional: bool = False,
) -> NothingToTrade:
    """The error for a run that filled no order; says when the capital buys no lot.

    ``close`` holds the closes per code; the price of a lot is taken at the last close
    before ``day`` (the first decision). With ``fractional`` shares there are no lots.
    """
    costs = {}
    for code, weight in ({} if fractional else first_weights).items():
        board = boards.get(code)
        rule = LOT_RULES.get(board) if board is not None else None
        before = close.loc[close.index < day, code].dropna() if code in close else None
        if weight > 0 and rule is not None and before is not None and len(before):
            costs[code] = (rule.minimum * float(before.iloc[-1]), weight)
    if costs and all(spec.capital * w < cost for cost, w in costs.values()):
        code, (cost, _) = min(costs.items(), key=lambda kv: kv[1][0])
        return NothingToTrade(
            f"capital {spec.capital:,.2f} CNY buys no lot of any selected name (the "
            f"cheapest lot, {code}, costs about {cost:,.0f} CNY)",
            source=spec.source,
            field="capital",
            expected=f"at least {cost:,.0f} CNY, more to hold every selected name",
            fix=f"raise capital (the default, {DEFAULT_CAPITAL:,.0f}, holds every name of the "
            "report), pass --capital, or run with --fractional",
        )
    return NothingToTrade(
        f"strategy {spec.name} filled no order: every selected name was suspended or "
        f"limit-bound when it was to be bought, or capital {spec.capital:,.2f} CNY does not "
        "cover the minimum commission",
        source=spec.source,
        expected="at least one trade",
        fix="raise capital, or choose other names or dates; " + STRATEGY_FIX,
    )
