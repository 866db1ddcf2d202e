"""Strategy rule files: YAML validated into typed models, with errors that carry line numbers.

A strategy file is a small stack, read top to bottom::

    name: coverage_equal
    act:    {trigger: publication, rebalance: null}      # when (or trigger: screen, below)
    select: {a_share: true}                          # which names
    weigh:  {method: equal}                          # how much
    exit:   {horizon: 6M, stop_loss: null}           # when to leave (on_rating_change: downgrade)
    costs:  a_share_default                          # which cost/market profile

A screen signal picks the names at each decision instead of holding every selected name::

    act: {trigger: screen, screen: coverage_cheap_strong, rebalance: 1M, top: 5}

``capital`` (CNY, ``--capital`` on the command line) defaults to :data:`DEFAULT_CAPITAL`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal, Self

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, field_validator, model_validator

from coverbt.data.provider import BENCHMARKS
from coverbt.errors import InputError
from coverbt.horizon import parse_horizon
from coverbt.market.rules import PROFILES
from coverbt.universe.boards import Board
from coverbt.yamlio import read_yaml, validate_model

# 5,000,000 CNY: every shipped strategy can buy at least one lot of every name it selects
# on the report's window (2024-06-24 .. 2024-12-24), at every decision. A STAR lot is 200
# shares; the dearest need is coverage_invvol_monthly's 688256 寒武纪 on 2024-11-25: 200 x
# 499.87 CNY at a 3.17% weight needs a portfolio of 3.15 million. At 1,000,000 the equal
# weight (4%) buys no lot of 688111 (245.91 CNY) or 688256 (214.80 CNY): 2 of 25 names
# were never held and 8% of the capital sat in cash. 5 million leaves a 1.6x margin (the
# portfolio may lose 37% before that lot is out of reach); what a run still cannot hold is
# listed as ``not_held`` (coverbt.backtest.omissions).
DEFAULT_CAPITAL = 5_000_000.0
STRATEGY_FIX = "correct the strategy file (see strategies/coverage_equal.yaml for a template)"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


def _horizon_text(value: str | None) -> str | None:
    if value is not None:
        parse_horizon(value)
    return value


class Act(_Strict):
    """When to act: at the first open after publication, then every ``rebalance``.

    ``trigger: screen`` lets a screen choose the names at each decision: ``screen`` is a
    file of ``strategies/screens`` (by name, or a path relative to the strategy file) run
    over the names ``select`` keeps, with data up to the close of the session before the
    decision; the passing names, best ``top`` by the screen's score (default: the screen's
    own ``top``), get the weights and the others are sold.
    """

    trigger: Literal["publication", "screen"] = "publication"
    rebalance: str | None = None
    screen: str | None = None
    top: int | None = Field(default=None, gt=0, le=10_000)

    @field_validator("rebalance")
    @classmethod
    def _period(cls, value: str | None) -> str | None:
        return _horizon_text(value)

    @model_validator(mode="after")
    def _screen_named(self) -> Self:
        if self.trigger == "screen" and not self.screen:
            raise ValueError("trigger: screen needs screen: <a name in strategies/screens>")
        if self.trigger != "screen" and (self.screen is not None or self.top is not None):
            raise ValueError("act.screen and act.top apply to trigger: screen only")
        return self


class Select(_Strict):
    """Which names. Every given filter must hold (AND); an empty filter is ignored."""

    index: Literal["csi300", "sw_computer"] | None = None
    a_share: bool = True
    ratings: list[str] = Field(default_factory=list)
    prose: list[str] = Field(default_factory=list)
    themes: list[str] = Field(default_factory=list)
    boards: list[Board] = Field(default_factory=list)
    codes: list[str] = Field(default_factory=list)
    exclude: list[str] = Field(default_factory=list)
    where: str | None = None

    @model_validator(mode="after")
    def _index_alone(self) -> Self:
        names = (self.ratings, self.prose, self.themes, self.boards, self.codes, self.where)
        if self.index is not None and any(names):
            raise ValueError("select.index holds one benchmark index: drop the other filters")
        if self.index is not None and self.index not in BENCHMARKS:
            raise ValueError(f"unknown index {self.index!r}")
        return self


class Weigh(_Strict):
    """How much: equal, by rating label, or inverse volatility; optionally capped."""

    method: Literal["equal", "rating", "inverse_vol"] = "equal"
    rating_weights: dict[str, float] = Field(default_factory=dict)
    lookback: int = Field(default=60, ge=5, le=750)
    cap: float | None = Field(default=None, gt=0, le=1)

    @model_validator(mode="after")
    def _weights_given(self) -> Self:
        if self.method == "rating" and not self.rating_weights:
            raise ValueError("method rating needs rating_weights, e.g. {强烈推荐: 2, 推荐: 1}")
        if any(w < 0 for w in self.rating_weights.values()):
            raise ValueError("rating_weights must not be negative")
        if self.method == "rating" and not any(w > 0 for w in self.rating_weights.values()):
            raise ValueError("rating_weights are all 0: give at least one label a positive weight")
        return self


class Exit(_Strict):
    """When to leave: a fixed horizon or each rating's own, an optional stop, and optionally
    on a later rating of the same broker (``on_rating_change``).

    ``on_rating_change: downgrade`` sells a name at the open of the first session after the
    broker's later report rates it lower on the universe's scale; ``any`` on any other rating,
    unrated included. Later reports come from the revision ledger (see
    :mod:`coverbt.strategy.ratings`).
    """

    horizon: str = "6M"
    default_horizon: str = "6M"
    stop_loss: float | None = Field(default=None, lt=0, gt=-1)
    on_rating_change: Literal["downgrade", "any"] | None = None

    @field_validator("horizon")
    @classmethod
    def _horizon(cls, value: str) -> str:
        if value != "rating":
            _horizon_text(value)
        return value

    @field_validator("default_horizon")
    @classmethod
    def _default(cls, value: str) -> str:
        _horizon_text(value)
        return value

    @field_validator("on_rating_change", mode="before")
    @classmethod
    def _change_kind(cls, value: object) -> object:
        if value is False:
            return None
        if value is True:
            raise ValueError("say which change to leave on: downgrade or any")
        return value


class StrategySpec(_Strict):
    name: str = Field(pattern=r"^[A-Za-z0-9_\-]+$")
    description: str = ""
    act: Act = Act()
    select: Select = Select()
    weigh: Weigh = Weigh()
    exit: Exit = Exit()
    costs: str = "a_share_default"
    capital: float = Field(default=DEFAULT_CAPITAL, gt=0)
    _source: Path | None = PrivateAttr(default=None)
    _where_line: int | None = PrivateAttr(default=None)

    @property
    def source(self) -> Path | None:
        """The file the spec was read from (``None`` when built in code)."""
        return self._source

    @property
    def where_line(self) -> int | None:
        """The line of ``select.where`` in :attr:`source` (for errors found at run time)."""
        return self._where_line

    @field_validator("costs")
    @classmethod
    def _known_profile(cls, value: str) -> str:
        if value not in PROFILES:
            raise ValueError(f"unknown cost profile {value!r}; expected one of {sorted(PROFILES)}")
        return value


def load_strategy(path: Path) -> StrategySpec:
    """Read and validate a strategy file; problems become :class:`InputError` with lines."""
    data, lines = read_yaml(path)
    if not isinstance(data, dict):
        raise InputError(
            "a strategy file must be a mapping of keys (name, act, select, weigh, exit, costs)",
            source=path,
            line=1,
            fix=STRATEGY_FIX,
        )
    spec = validate_model(StrategySpec, data, path, lines, STRATEGY_FIX)
    if spec.select.where is not None:
        from coverbt.conditions import parse_condition

        parse_condition(
            spec.select.where,
            source=path,
            line=lines.get(("select", "where")),
            field="select.where",
        )
    spec._source = path
    spec._where_line = lines.get(("select", "where"))
    if spec.act.screen is not None:
        from coverbt.strategy.signal import load_strategy_screen

        load_strategy_screen(spec, line=lines.get(("act", "screen")))
    return spec
