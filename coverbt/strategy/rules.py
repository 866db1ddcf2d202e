"""Tiny composable rules in the spirit of ``bt.algos``: each does one thing to a Context.

A rule is a callable ``rule(ctx) -> bool``; ``False`` stops the stack (nothing to hold).
Each documents what it *requires* from the context and what it *sets*. Rules never see
backtrader and never see prices on or after ``ctx.as_of``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, cast

import numpy as np
import pandas as pd

from coverbt.strategy.context import Context
from coverbt.strategy.spec import Select
from coverbt.universe.model import CoveredName


class Rule(Protocol):
    def __call__(self, ctx: Context) -> bool: ...


def matches(item: CoveredName, select: Select) -> bool:
    """Whether a covered name passes the static filters of ``select`` (not ``where``)."""
    checks = (
        not select.ratings or item.rating_text in select.ratings,
        not select.prose or item.prose in select.prose,
        not select.themes or bool(set(item.themes) & set(select.themes)),
        not select.codes or item.code in select.codes,
        item.code not in select.exclude,
        not select.boards or (item.a_share and item.board in select.boards),
    )
    return all(checks)


@dataclass(frozen=True)
class SelectNames:
    """Requires ``candidates``; sets ``selected`` to those passing the static filters."""

    select: Select

    def __call__(self, ctx: Context) -> bool:
        ctx.selected = [c for c, item in ctx.candidates.items() if matches(item, self.select)]
        return bool(ctx.selected)


@dataclass(frozen=True)
class SelectWhere:
    """Requires ``selected``; keeps the names for which the condition holds.

    Fields: ``code, rating, prose, theme, board``, the report's ``eps_<year>``/``pe_<year>``
    and the last ``pe_ttm``/``pb`` known before ``as_of``.
    """

    text: str
    source: Path | None = None  # the strategy file and the line of ``where``, for errors
    line: int | None = None

    def __call__(self, ctx: Context) -> bool:
        from coverbt.conditions import parse_condition

        frame = name_fields(ctx, ctx.selected)
        condition = parse_condition(
            self.text, source=self.source, line=self.line, field="select.where"
        )
        keep = condition.evaluate(frame)
        ctx.selected = [c for c in ctx.selected if bool(keep.get(c, False))]
        return bool(ctx.selected)


class Signal(Protocol):
    def passing(self, as_of: pd.Timestamp, codes: Sequence[str]) -> list[str]: ...


@dataclass(frozen=True)
class SelectSignal:
    """Requires ``selected``; keeps the names ``signal`` passes for a decision at ``as_of``.

    The signal (a :class:`~coverbt.strategy.signal.ScreenSignal`) sees data up to the
    close of the session before ``as_of`` only; the order it returns (best first) is kept.
    """

    signal: Signal

    def __call__(self, ctx: Context) -> bool:
        ctx.selected = self.signal.passing(ctx.as_of, ctx.selected)
        return bool(ctx.selected)


def name_fields(ctx: Context, codes: Sequence[str]) -> pd.DataFrame:
    """One row per code with the fields a ``where`` condition may read."""
    rows = {}
    for code in codes:
        item = ctx.candidates[code]
        row: dict[str, object] = {
            "code": code,
            "rating": item.rating_text or "",
            "prose": item.prose or "",
            "theme": item.theme or "",
            "board": str(item.board),
        }
        row.update({f"eps_{y}": v for y, v in item.eps.items()})
        row.update({f"pe_{y}": v for y, v in item.pe.items()})
        rows[code] = row
    frame = pd.DataFrame.from_dict(rows, orient="index")
    return frame.join(ctx.valuation(), how="left")


@dataclass(frozen=True)
class WeighEqually:
    """Requires ``selected``; sets equal ``weights`` summing to 1."""

    def __call__(self, ctx: Context) -> bool:
        n = len(ctx.selected)
        ctx.weights = {c: 1.0 / n for c in ctx.selected} if n else {}
        return bool(n)


@dataclass(frozen=True)
class WeighByRating:
    """Requires ``selected``; weights proportional to ``table[label]``.

    The label is the table rating (``-`` for unrated rows), else the prose (建议关注). A name
    whose label is not in the table weighs 0.
    """

    table: Mapping[str, float]

    def __call__(self, ctx: Context) -> bool:
        raw = {}
        for code in ctx.selected:
            item = ctx.candidates[code]
            label = item.rating_text or item.prose or ""
            raw[code] = float(self.table.get(label, 0.0))
        total = sum(raw.values())
        ctx.weights = {c: w / total for c, w in raw.items() if w > 0} if total > 0 else {}
        return bool(ctx.weights)


@dataclass(frozen=True)
class WeighInverseVol:
    """Requires ``selected``; weights proportional to 1 / stdev of daily returns.

    The window is the ``lookback`` sessions strictly before ``as_of``; names with fewer than
    ``min_obs`` returns there are left out.
    """

    lookback: int
    min_obs: int = 20

    def __call__(self, ctx: Context) -> bool:
        closes = ctx.closes(self.lookback + 1)[ctx.selected]
        returns = closes.pct_change(fill_method=None).iloc[1:]
        counts = returns.notna().sum()
        vol = returns.std(ddof=1)
        ok = (counts >= self.min_obs) & (vol > 0)
        inverse = 1.0 / vol[ok]
        # labels are the selected codes; pandas-stubs types to_dict() keys as Hashable
        ctx.weights = (
            cast(dict[str, float], (inverse / inverse.sum()).to_dict()) if len(inverse) else {}
        )
        return bool(ctx.weights)


@dataclass(frozen=True)
class CapWeights:
    """Requires ``weights``; caps each at ``cap`` and hands the excess to the others.

    When ``cap * n < 1`` the weights cannot sum to 1: the rest stays in cash.
    """

    cap: float

    def __call__(self, ctx: Context) -> bool:
        ctx.weights = cap_weights(ctx.weights, self.cap)
        return bool(ctx.weights)


def cap_weights(weights: Mapping[str, float], cap: float) -> dict[str, float]:
    """Cap ``weights`` at ``cap``, redistributing the excess pro rata to uncapped names.

    Examples
    --------
    >>> {k: round(v, 6) for k, v in cap_weights({"a": 0.7, "b": 0.2, "c": 0.1}, 0.5).items()}
    {'a': 0.5, 'b': 0.333333, 'c': 0.166667}
    """
    codes = list(weights)
    w = np.array([weights[c] for c in codes], dtype=float)
    total = w.sum()
    capped = np.zeros(len(w), dtype=bool)
    for _ in range(len(w)):
        over = (w > cap + 1e-15) & ~capped
        if not over.any():
            break
        capped |= over
        w[capped] = cap
        free = ~capped
        room = total - cap * capped.sum()
        if free.any() and w[free].sum() > 0:
            w[free] = w[free] / w[free].sum() * max(room, 0.0)
    return {c: float(x) for c, x in zip(codes, w, strict=True)}


def run_stack(rules: Sequence[Rule], ctx: Context) -> Context:
    """Run ``rules`` in order until one returns False; an empty result clears the weights."""
    for rule in rules:
        if not rule(ctx):
            ctx.weights = {}
            break
    return ctx
