"""A sweep file: which strategy, which parameters over which values, universes, periods.

Example (``strategies/sweeps/coverage_grid.yaml``)::

    name: coverage_grid
    strategy: coverage_invvol_monthly      # a file in strategies/ (or a path)
    grid:                                   # dotted keys of the strategy file -> values
      act.rebalance: [null, 1M, 2M]
      weigh.method: [equal, inverse_vol]
      exit.stop_loss: [null, -0.10, -0.20]
    periods: [{start: 2024-06-24, end: 2024-12-31}]   # optional; default: the strategy's
    universes: [pingan_computer_2024_midyear]        # optional; default: the workspace's
    sample: 100          # optional: a seeded random sample of the grid instead of all of it
    seed: 0
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from coverbt.errors import InputError
from coverbt.yamlio import read_yaml, validate_model

SWEEP_FIX = "see strategies/sweeps/coverage_grid.yaml and the README's sweep section"
MAX_COMBINATIONS = 1_000_000  # a grid larger than this is a typo, not a plan
# the strategy keys a sweep may vary (the top level of a strategy file)
SWEEPABLE_SECTIONS = ("act", "select", "weigh", "exit", "costs", "capital")


class Period(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    start: dt.date | None = None
    end: dt.date | None = None

    @model_validator(mode="after")
    def _ordered(self) -> Period:
        if self.start and self.end and self.end <= self.start:
            raise ValueError(f"period end {self.end} is not after its start {self.start}")
        return self

    @property
    def label(self) -> str:
        return f"{self.start or 'entry'}..{self.end or 'horizon'}"


class SweepSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(pattern=r"^[A-Za-z0-9_\-]+$")
    description: str = ""
    strategy: str
    grid: dict[str, list[Any]] = Field(min_length=1)
    universes: list[str] = Field(default_factory=list)
    periods: list[Period] = Field(default_factory=lambda: [Period()])
    sample: int | None = Field(default=None, gt=0)
    seed: int = 0

    @field_validator("grid")
    @classmethod
    def _keys(cls, grid: dict[str, list[Any]]) -> dict[str, list[Any]]:
        for key, values in grid.items():
            if key.split(".")[0] not in SWEEPABLE_SECTIONS or key.startswith("name"):
                raise ValueError(
                    f"grid key {key!r} is not a strategy setting: use dotted keys under "
                    f"{', '.join(SWEEPABLE_SECTIONS)} (e.g. weigh.cap)"
                )
            if not values:
                raise ValueError(f"grid key {key!r} has no values")
            if len({repr(v) for v in values}) != len(values):
                raise ValueError(f"grid key {key!r} lists a value twice")
        return grid

    @property
    def size(self) -> int:
        """Combinations in the full grid (before sampling)."""
        total = max(len(self.universes), 1) * len(self.periods)
        for values in self.grid.values():
            total *= len(values)
        return total


def load_sweep(path: Path) -> SweepSpec:
    """Read and validate a sweep file; problems become :class:`InputError` with lines."""
    data, lines = read_yaml(path)
    if not isinstance(data, dict):
        raise InputError(
            "a sweep file must be a mapping of keys (name, strategy, grid, ...)",
            source=path,
            line=1,
            fix=SWEEP_FIX,
        )
    spec = validate_model(SweepSpec, data, path, lines, SWEEP_FIX)
    if spec.size > MAX_COMBINATIONS:
        raise InputError(
            f"the grid has {spec.size:,} combinations",
            source=path,
            line=lines.get(("grid",)),
            field="grid",
            expected=f"at most {MAX_COMBINATIONS:,}",
            fix="use fewer values, or `sample: N` for a random sample of the grid",
        )
    return spec
