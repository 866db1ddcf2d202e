"""The combinations of a sweep and the strategy each one is (validated like a strategy file)."""

from __future__ import annotations

import hashlib
import itertools
import json
import random
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from coverbt.errors import InputError
from coverbt.strategy.spec import StrategySpec
from coverbt.sweep.spec import Period, SweepSpec


@dataclass(frozen=True)
class Combo:
    """One point of the sweep: parameter values, a universe (file stem) and a period."""

    params: tuple[tuple[str, Any], ...]
    universe: str
    period: Period

    @property
    def id(self) -> str:
        """A stable id of the point (what resuming matches on)."""
        text = json.dumps(
            [list(self.params), self.universe, self.period.model_dump(mode="json")],
            sort_keys=True,
            default=str,
        )
        return hashlib.sha256(text.encode()).hexdigest()[:16]


def combinations(spec: SweepSpec, default_universe: str) -> list[Combo]:
    """Every point of the grid in a fixed order, or ``spec.sample`` of them (seeded)."""
    keys = list(spec.grid)
    universes = spec.universes or [default_universe]
    out = [
        Combo(tuple(zip(keys, values, strict=True)), universe, period)
        for universe in universes
        for period in spec.periods
        for values in itertools.product(*(spec.grid[k] for k in keys))
    ]
    if spec.sample is not None and spec.sample < len(out):
        picked = sorted(random.Random(spec.seed).sample(range(len(out)), spec.sample))
        out = [out[i] for i in picked]
    return out


def variant(base: StrategySpec, combo: Combo, sweep_file: Path | None = None) -> StrategySpec:
    """``base`` with the combination's values set, validated as a strategy file would be."""
    data = base.model_dump(mode="json")
    for key, value in combo.params:
        node = data
        parts = key.split(".")
        for part in parts[:-1]:
            node = node.setdefault(part, {})
            if not isinstance(node, dict):
                raise InputError(f"grid key {key!r}: {part} is not a section", source=sweep_file)
        node[parts[-1]] = value
    try:
        spec = StrategySpec.model_validate(data)
    except ValueError as exc:
        first = str(exc).splitlines()
        raise InputError(
            f"the combination {dict(combo.params)} is not a valid strategy: "
            + " ".join(line.strip() for line in first[1:3]),
            source=sweep_file,
            field="grid",
            fix="drop the value from the grid, or check it against the strategy file format",
        ) from None
    spec._source = base.source
    spec._where_line = base.where_line
    return spec
