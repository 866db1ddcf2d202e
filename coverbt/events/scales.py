"""Rating scales as data, and the normalised 5-step scale that maps labels across brokers.

The shipped scales live in ``coverbt/events/scales.yaml`` (its header explains the rules);
a workspace adds or overrides scales in ``universe/rating_scales.yaml`` (same layout) and
every universe file contributes its own stated scale (id ``report:<report id>``).

:meth:`ScaleBook.resolve` answers, for one (scale, broker, label), the label's step and band,
or the reason it cannot: a label is never guessed.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, model_validator

from coverbt.errors import InputError
from coverbt.universe.model import RatingBand, Universe
from coverbt.yamlio import read_yaml, validate_model

SHIPPED = Path(__file__).with_name("scales.yaml")
WORKSPACE_FILE = "rating_scales.yaml"  # under universe/
STEP_NAMES: dict[int, str] = {
    2: "strong_buy",
    1: "buy",
    0: "hold",
    -1: "underperform",
    -2: "sell",
}
REPORT_PREFIX = "report:"
_FIX = "edit the scale file at that line (see the header of coverbt/events/scales.yaml)"


class LabelSpec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    label: str = Field(min_length=1)
    step: int = Field(ge=-2, le=2)
    lower: float | None = None
    upper: float | None = None
    definition: str = ""


class ScaleSpec(BaseModel):
    """One broker's (or a common) rating scale."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    id: str = Field(min_length=1)
    title: str = ""
    brokers: list[str] = Field(default_factory=list)
    exclusive: bool = False  # used only by events that name this scale
    horizon_months: int | None = Field(default=None, gt=0, le=360)
    benchmark: str | None = None
    labels: list[LabelSpec] = Field(min_length=1)

    @model_validator(mode="after")
    def _consistent(self) -> ScaleSpec:
        seen = [item.label for item in self.labels]
        if len(seen) != len(set(seen)):
            raise ValueError(f"scale {self.id} lists a label twice: {seen}")
        banded = [item for item in self.labels if item.lower is not None or item.upper is not None]
        if banded and (self.horizon_months is None or self.benchmark is None):
            raise ValueError(f"scale {self.id} has bands but no horizon_months or benchmark")
        for item in banded:  # RatingBand checks the bounds' order
            RatingBand(
                label=item.label,
                horizon_months=self.horizon_months or 1,
                benchmark=self.benchmark or "",
                lower=item.lower,
                upper=item.upper,
            )
        return self

    def band(self, label: str) -> RatingBand | None:
        for item in self.labels:
            if item.label == label and (item.lower is not None or item.upper is not None):
                return RatingBand(
                    label=item.label,
                    horizon_months=self.horizon_months or 1,
                    benchmark=self.benchmark or "",
                    lower=item.lower,
                    upper=item.upper,
                    definition=item.definition,
                )
        return None

    def step(self, label: str) -> int | None:
        return next((item.step for item in self.labels if item.label == label), None)


class _ScaleFile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    scales: list[ScaleSpec]


@dataclass(frozen=True)
class Resolved:
    """What a label means: its scale, step and band, or why it has none."""

    label: str
    scale: str | None
    step: int | None
    band: RatingBand | None
    reason: str | None = None

    @property
    def known(self) -> bool:
        return self.step is not None


class ScaleBook:
    """Every known scale, by id, in the order given (later files override earlier ids)."""

    def __init__(self, scales: list[ScaleSpec]) -> None:
        self._by_id: dict[str, ScaleSpec] = {}
        for scale in scales:
            self._by_id[scale.id] = scale

    @property
    def scales(self) -> list[ScaleSpec]:
        return list(self._by_id.values())

    def get(self, scale_id: str) -> ScaleSpec | None:
        return self._by_id.get(scale_id)

    def with_universe(self, universe: Universe) -> ScaleBook:
        """This book plus the universe file's stated scale, ``report:<id>``.

        The file states bands; each label's step comes from the broker's scale here, else
        from the common scales when they agree. A label neither knows is kept without a
        step (reported by :meth:`resolve`).
        """
        broker = universe.report.broker
        labels = []
        for band in universe.rating_scale.stock:
            step = self._step_for(broker, band.label)
            if step is None:
                continue
            labels.append(LabelSpec(label=band.label, step=step, lower=band.lower,
                                    upper=band.upper, definition=band.definition))  # fmt: skip
        if not labels:
            return self
        months = {b.horizon_months for b in universe.rating_scale.stock}
        benches = {b.benchmark for b in universe.rating_scale.stock}
        scale = ScaleSpec(
            id=f"{REPORT_PREFIX}{universe.report.id}",
            title=f"{broker}, as stated in {universe.report.title}",
            brokers=[broker],
            exclusive=True,
            horizon_months=months.pop() if len(months) == 1 else None,
            benchmark=benches.pop() if len(benches) == 1 else None,
            labels=labels,
        )
        return ScaleBook([*self.scales, scale])

    def _step_for(self, broker: str, label: str) -> int | None:
        resolved = self.resolve(None, broker, label)
        return resolved.step

    def resolve(self, scale_id: str | None, broker: str, label: str) -> Resolved:
        """The step and band of ``label`` given by ``broker`` (in scale ``scale_id`` when the
        source names one). Unknown or ambiguous labels get a ``reason``, never a guess."""
        if scale_id:
            scale = self._by_id.get(scale_id)
            if scale is None:
                return Resolved(label, scale_id, None, None, f"scale {scale_id!r} is not known")
            step = scale.step(label)
            if step is None:
                return Resolved(label, scale_id, None, None,
                                f"{label!r} is not a label of scale {scale_id}")  # fmt: skip
            return Resolved(label, scale_id, step, scale.band(label))
        own = [s for s in self._by_id.values() if broker in s.brokers and not s.exclusive]
        pool = own or [s for s in self._by_id.values() if not s.brokers and not s.exclusive]
        having = [s for s in pool if s.step(label) is not None]
        steps = {s.step(label) for s in having}
        where = f"{broker}'s own scale lacks it" if own else "no common scale has it"
        if not having:
            return Resolved(label, None, None, None,
                            f"{label!r} ({broker}) is unknown: {where}; add "
                            f"{broker}'s scale to universe/{WORKSPACE_FILE}")  # fmt: skip
        if len(steps) > 1:
            shown = ", ".join(f"{s.step(label):+d} in {s.title or s.id}" for s in having)
            return Resolved(label, None, None, None,
                            f"{label!r} ({broker}) is ambiguous ({shown}); add {broker}'s "
                            f"scale to universe/{WORKSPACE_FILE}")  # fmt: skip
        first = having[0]
        band = first.band(label) if len(having) == 1 else None
        return Resolved(label, first.id, steps.pop(), band)

    def resolve_frame(self, events: pd.DataFrame) -> pd.DataFrame:
        """Columns ``scale_id``, ``step``, ``lower``, ``upper``, ``band_months``,
        ``label_reason`` for every row of an events frame (resolved once per distinct
        (scale, broker, label))."""
        keys = events[["scale", "broker", "label"]].astype(object)
        triples = {tuple(row) for row in keys.itertuples(index=False)}
        found: dict[tuple[Any, ...], Resolved] = {
            t: self.resolve(t[0] if isinstance(t[0], str) else None, str(t[1]), str(t[2]))
            for t in triples
        }
        rows = [found[tuple(row)] for row in keys.itertuples(index=False)]
        return pd.DataFrame(
            {
                "scale_id": [r.scale for r in rows],
                "step": pd.array([r.step for r in rows], dtype="Int64"),
                "lower": [r.band.lower if r.band and r.band.lower is not None else float("nan")
                          for r in rows],
                "upper": [r.band.upper if r.band and r.band.upper is not None else float("nan")
                          for r in rows],
                "has_band": [r.band is not None for r in rows],
                "label_reason": [r.reason for r in rows],
            },
            index=events.index,
        )  # fmt: skip


def load_scales(*extra: Path) -> ScaleBook:
    """The shipped scales, then each existing file of ``extra`` (later ids override).

    Raises
    ------
    InputError
        naming the file, line and field of a malformed scale.
    """
    scales: list[ScaleSpec] = []
    for path in (SHIPPED, *extra):
        if path != SHIPPED and not path.exists():
            continue
        scales.extend(_read(path))
    return ScaleBook(scales)


def workspace_scales(universe_dir: Path) -> ScaleBook:
    """The shipped scales plus ``<universe_dir>/rating_scales.yaml`` when it exists."""
    return load_scales(universe_dir / WORKSPACE_FILE)


def _read(path: Path) -> list[ScaleSpec]:
    data, lines = read_yaml(path)
    if not isinstance(data, dict) or "scales" not in data:
        raise InputError(
            "the file has no scales: list",
            source=path,
            line=1,
            expected="a top-level key scales: with a list of scales",
            fix="start from coverbt/events/scales.yaml",
        )
    return validate_model(_ScaleFile, data, path, lines, _FIX).scales
