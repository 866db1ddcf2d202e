"""What changed between two runs of a screen: who entered, who left, and why.

A name's reason is one of: it was not screened before / is not screened now (no data, not in
the universe), a condition flipped (named, with the values of its fields before and after),
or the rank cut (it passed every condition but ranked beyond the top N).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from coverbt.conditions import parse_condition
from coverbt.screens.run import ScreenResult, format_value


@dataclass(frozen=True)
class Change:
    """One name that entered or left the top N."""

    code: str
    name: str | None
    why: str
    flipped: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "name": self.name,
            "why": self.why,
            "flipped": list(self.flipped),
        }


@dataclass(frozen=True)
class ScreenDiff:
    previous_as_of: str | None
    entered: list[Change]
    left: list[Change]


def _fmt(value: Any) -> str:
    return format_value(value, missing="missing", spec=".4g")


def _condition_passes(table: pd.DataFrame, conditions: list[str], code: str) -> dict[str, bool]:
    return {text: bool(table.at[code, f"pass_{i}"]) for i, text in enumerate(conditions)}


def _fields_of(text: str, columns: pd.Index) -> list[str]:
    return sorted(f for f in parse_condition(text).fields if f in columns)


def _describe_flips(
    before: pd.DataFrame,
    before_conditions: list[str],
    after: pd.DataFrame,
    after_conditions: list[str],
    code: str,
    now_true: bool,
) -> list[tuple[str, str]]:
    """Conditions that went False -> True (``now_true``) or True -> False, with values."""
    old = _condition_passes(before, before_conditions, code)
    new = _condition_passes(after, after_conditions, code)
    flips = []
    for text, passes in new.items():
        was = old.get(text)
        if was is None or was == passes or passes != now_true:
            continue
        pairs = [
            (f, _fmt(before.at[code, f]) if f in before.columns else "?", _fmt(after.at[code, f]))
            for f in _fields_of(text, after.columns)
        ]
        moved = [p for p in pairs if p[1] != p[2]] or pairs
        values = ", ".join(f"{f} {old} -> {new}" for f, old, new in moved)
        state = "now holds" if now_true else "no longer holds"
        flips.append((text, f"`{text}` {state} ({values})"))
    return flips


def _rank_text(table: pd.DataFrame, code: str) -> str:
    rank = float(table["rank"].astype(float)[code])
    return "unranked" if np.isnan(rank) else f"rank {int(rank)}"


def diff_runs(
    previous: pd.DataFrame | None,
    previous_conditions: list[str],
    previous_as_of: str | None,
    current: ScreenResult,
) -> ScreenDiff:
    """Compare the stored ``previous`` table with the ``current`` result."""
    now = current.table
    now_sel = set(now.index[now["selected"]])
    if previous is None:
        entered = [
            Change(c, _name(now, c), "no earlier stored run of this screen")
            for c in sorted(now_sel)
        ]
        return ScreenDiff(None, entered, [])
    before_sel = set(previous.index[previous["selected"].astype(bool)])
    entered = [
        _why(previous, previous_conditions, current, code, entering=True)
        for code in sorted(now_sel - before_sel)
    ]
    left = [
        _why(previous, previous_conditions, current, code, entering=False)
        for code in sorted(before_sel - now_sel)
    ]
    return ScreenDiff(previous_as_of, entered, left)


def _name(table: pd.DataFrame, code: str) -> str | None:
    if code in table.index and isinstance(table.at[code, "name"], str):
        return str(table.at[code, "name"])
    return None


def _why(
    previous: pd.DataFrame,
    previous_conditions: list[str],
    current: ScreenResult,
    code: str,
    entering: bool,
) -> Change:
    now = current.table
    name = _name(now, code) or _name(previous, code)
    if entering and code not in previous.index:
        return Change(code, name, "not screened in the previous run (no data or not listed)")
    if not entering and code not in now.index:
        reason = current.skipped.get(code, "no longer in the screen's universe")
        return Change(code, name, f"not screened now: {reason}")
    if not entering and code in current.skipped:
        return Change(code, name, f"not screened now: {current.skipped[code]}")
    flips = _describe_flips(
        previous, previous_conditions, now, current.conditions, code, now_true=entering
    )
    if flips:
        return Change(code, name, "; ".join(t for _c, t in flips), tuple(c for c, _t in flips))
    before_rank, after_rank = _rank_text(previous, code), _rank_text(now, code)
    passed_now = bool(now.at[code, "passed"])
    if entering or passed_now:
        verb = "made" if entering else "missed"
        return Change(
            code, name, f"{verb} the top-{current.top} cut: {before_rank} -> {after_rank}"
        )
    failing = [t for t, ok in _condition_passes(now, current.conditions, code).items() if not ok]
    return Change(code, name, "fails " + "; ".join(f"`{t}`" for t in failing), tuple(failing))
