"""Screen files: ``strategies/screens/<name>.yaml``, validated with line-numbered errors.

Example::

    name: coverage_cheap_strong
    description: rated names cheaper than the report's FY1 PE and beating CSI 300
    universe: coverage            # coverage | all
    conditions:                   # all must pass (see coverbt.conditions for the grammar)
      - rating in ["强烈推荐", "推荐"]
      - pe_ttm < fy1_pe
      - rs_20d_csi300 > 0
    score:                        # a field ...
      field: rs_20d_csi300
      higher_is_better: true
    # ... or a weighted sum of cross-sectional percentile ranks:
    # score:
    #   ranks: [{field: ret_60d, weight: 2}, {field: pe_ttm_pct_250, higher_is_better: false}]
    top: 10
"""

from __future__ import annotations

import ast
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

from coverbt.conditions import Condition, parse_condition
from coverbt.errors import InputError
from coverbt.screens.fields import NOT_NUMERIC, known_fields_hint, parse_field
from coverbt.yamlio import LineMap, format_loc, line_of, read_yaml, validate_model

FIX = "edit the screen file; see strategies/screens/*.yaml for working examples"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


class RankTerm(_Strict):
    field: str
    weight: float = Field(default=1.0, gt=0)
    higher_is_better: bool = True


class ScoreSpec(_Strict):
    field: str | None = None
    higher_is_better: bool = True
    ranks: list[RankTerm] | None = Field(default=None, min_length=1)

    @model_validator(mode="after")
    def _one_kind(self) -> Self:
        if (self.field is None) == (self.ranks is None):
            raise ValueError("give either score.field or score.ranks (exactly one)")
        return self

    @property
    def fields(self) -> list[str]:
        return [self.field] if self.field else [t.field for t in self.ranks or []]


class ScreenSpec(_Strict):
    name: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_-]*$")
    description: str = ""
    universe: Literal["coverage", "all"] = "coverage"
    conditions: list[str] = Field(min_length=1)
    score: ScoreSpec
    top: int = Field(default=20, gt=0, le=10_000)


@dataclass(frozen=True)
class Screen:
    """A validated screen: its spec, parsed conditions and the fields it reads."""

    spec: ScreenSpec
    path: Path
    conditions: tuple[Condition, ...]

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def fields(self) -> list[str]:
        """Fields read by conditions and score, in first-use order."""
        seen: dict[str, None] = {}
        for cond in self.conditions:
            for name in _ordered_names(cond):
                seen.setdefault(name, None)
        for name in self.spec.score.fields:
            seen.setdefault(name, None)
        return list(seen)

    @property
    def digest(self) -> str:
        """Hash of the definition (a changed screen is a different screen for the history)."""
        text = json.dumps(self.spec.model_dump(mode="json"), sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(text.encode()).hexdigest()[:12]


def _ordered_names(cond: Condition) -> list[str]:
    return [n.id for n in ast.walk(cond.tree) if isinstance(n, ast.Name)]


def screen_from_data(data: object, path: Path, lines: LineMap) -> Screen:
    """Validate parsed YAML ``data`` as a screen (``lines`` maps key paths to lines)."""
    if not isinstance(data, dict):
        raise InputError(
            "a screen file must be a mapping" + (" (the file is empty)" if data is None else ""),
            source=path,
            line=1,
            expected="keys name:, conditions:, score:",
            fix="start from a file of strategies/screens/",
        )
    spec = validate_model(ScreenSpec, data, path, lines, FIX)
    conditions = []
    for i, text in enumerate(spec.conditions):
        loc = ("conditions", i)
        cond = parse_condition(text, source=path, line=line_of(lines, loc), field=format_loc(loc))
        for name in sorted(cond.fields):
            if parse_field(name) is None:
                raise InputError(
                    f"unknown field {name!r} in condition `{cond.text}`",
                    source=path,
                    line=line_of(lines, loc),
                    field=format_loc(loc),
                    expected=f"a known field ({known_fields_hint()}; N = sessions)",
                    fix="fix the field name; `coverbt screen --fields` lists them all",
                )
        conditions.append(cond)
    for name in spec.score.fields:
        if parse_field(name) is None:
            raise InputError(
                f"unknown score field {name!r}",
                source=path,
                line=line_of(lines, ("score",)),
                field="score",
                expected=f"a known field ({known_fields_hint()})",
                fix="fix the field name",
            )
        if name in NOT_NUMERIC:
            raise InputError(
                f"score field {name!r} is text or true/false, so it cannot rank names",
                source=path,
                line=line_of(lines, ("score",)),
                field="score",
                expected="a numeric field such as rs_20d_csi300, ret_60d or pe_ttm",
                fix=f"filter on {name} in conditions and score by a number",
            )
    return Screen(spec, path, tuple(conditions))


def load_screen(path: Path) -> Screen:
    """Read and validate a screen file."""
    data, lines = read_yaml(Path(path))
    return screen_from_data(data, Path(path), lines)


def find_screen(screens_dir: Path, name_or_path: str) -> Path:
    """``name_or_path`` as a file, else ``<screens_dir>/<name>.yaml``."""
    candidate = Path(name_or_path)
    if candidate.suffix in (".yaml", ".yml") or candidate.is_file():
        return candidate
    path = screens_dir / f"{name_or_path}.yaml"
    if path.is_file():
        return path
    known = sorted(p.stem for p in screens_dir.glob("*.yaml")) if screens_dir.is_dir() else []
    raise InputError(
        f"no screen named {name_or_path!r}",
        source=screens_dir,
        expected="one of: " + (", ".join(known) or "(no screen files)"),
        fix="pass a screen name from that folder or a path to a screen YAML file",
    )
