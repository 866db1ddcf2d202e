"""The coverage list of a research report, as validated data.

A universe file holds the report's metadata, its rating scale (each label's promise as
numbers) and every name the report recommends. Every forecast in it became known on
``report.published``: that is the date any later computation may first use it.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Annotated, Any, Literal, Self

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, field_validator, model_validator

from coverbt.universe.boards import A_SHARE_EXCHANGES, Board, Exchange, board_of, valid_prefixes

NO_RATING = "-"
WATCH = "建议关注"
FIRST_YEAR, LAST_YEAR = 1980, 2200  # fiscal years a forecast may name
MAX_HORIZON_MONTHS = 360

Year = Annotated[int, Field(ge=FIRST_YEAR, le=LAST_YEAR)]


def _as_day(value: object) -> dt.date:
    """A calendar date written ``YYYY-MM-DD`` (not a number, not a time of day)."""
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value.strip())
        except ValueError:
            pass
    shown = value.isoformat(sep=" ") if isinstance(value, dt.datetime) else repr(value)
    raise ValueError(f"{shown} is not a date: write YYYY-MM-DD such as 2024-06-23, no time")


Day = Annotated[dt.date, BeforeValidator(_as_day)]


class _Strict(BaseModel):
    # NaN or infinity is never a valid number in a report (YAML spells them .nan and .inf)
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


class Analyst(_Strict):
    name: str
    license: str | None = None
    role: str = "analyst"


class RatingBand(_Strict):
    """One label of a rating scale and the excess return it promises over ``benchmark``."""

    label: str
    horizon_months: int = Field(gt=0, le=MAX_HORIZON_MONTHS)
    benchmark: str
    lower: float | None = None
    upper: float | None = None
    definition: str = ""

    @model_validator(mode="after")
    def _bounds_ordered(self) -> Self:
        if self.lower is None and self.upper is None:
            raise ValueError("a band needs a lower or an upper bound")
        if self.lower is not None and self.upper is not None and self.lower >= self.upper:
            raise ValueError(f"lower bound {self.lower} is not below upper bound {self.upper}")
        return self

    def contains(self, excess: float) -> bool:
        """Whether ``excess`` lies in the band (lower exclusive, upper inclusive)."""
        above = self.lower is None or excess > self.lower
        below = self.upper is None or excess <= self.upper
        return above and below

    @property
    def direction(self) -> int:
        """+1 when the label promises outperformance, -1 underperformance, 0 neutral."""
        if self.lower is not None and self.lower >= 0:
            return 1
        if self.upper is not None and self.upper <= 0:
            return -1
        return 0


Anchor = Literal["publication", "entry"]
EntryPrice = Literal["next_open", "prior_close"]
BenchmarkName = Literal["csi300", "csi300_tr", "sw_computer"]
ExcessKind = Literal["difference", "ratio"]
_ALIASES = {"industry": "sw_computer"}


def _token(value: object) -> object:
    """``next-open`` and ``next_open`` are the same word; ``industry`` is ``sw_computer``."""
    if isinstance(value, str):
        word = value.strip().lower().replace("-", "_")
        return _ALIASES.get(word, word)
    return value


class StatedConvention(_Strict):
    """How a scale's promise is measured (the broker's stated convention, as data).

    The defaults are coverbt's tradable reading: horizon counted from the entry session,
    entry at the first open after publication, exit at the close of the last session on
    or before the horizon end, the CSI 300 price index, excess as a difference.
    """

    anchor: Annotated[Anchor, BeforeValidator(_token)] = "entry"
    entry: Annotated[EntryPrice, BeforeValidator(_token)] = "next_open"
    benchmark: Annotated[BenchmarkName, BeforeValidator(_token)] = "csi300"
    excess: Annotated[ExcessKind, BeforeValidator(_token)] = "difference"


class RatingScale(_Strict):
    stock: list[RatingBand]
    industry: list[RatingBand]
    convention: StatedConvention = Field(default_factory=StatedConvention)

    def band(self, label: str, *, industry: bool = False) -> RatingBand:
        bands = self.industry if industry else self.stock
        for band in bands:
            if band.label == label:
                return band
        raise KeyError(label)

    def labels(self, *, industry: bool = False) -> list[str]:
        return [b.label for b in (self.industry if industry else self.stock)]


class Report(_Strict):
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]*$")
    broker: str
    title: str
    published: Day
    price_date: Day
    analysts: list[Analyst]
    industry: str
    industry_rating: str
    industry_rating_action: str | None = None
    market_benchmark: str = "000300"
    industry_index: str | None = None
    source_file: str | None = None

    @model_validator(mode="after")
    def _price_before_publication(self) -> Self:
        if self.price_date > self.published:
            raise ValueError("price_date must not be after the publication date")
        return self


class CoveredName(_Strict):
    """One name the report recommends: a row of the rating table, a prose mention, or both."""

    code: str
    name: str
    exchange: Exchange
    rating: str | None = None
    in_table: bool = False
    prose: str | None = None
    theme: str | None = None
    chain: str | None = None
    close_at_price_date: float | None = Field(default=None, gt=0)
    eps: dict[Year, float] = Field(default_factory=dict)
    pe: dict[Year, float] = Field(default_factory=dict)
    actual_years: list[Year] = Field(default_factory=list)
    note: str | None = None

    @field_validator("code")
    @classmethod
    def _code_shape(cls, value: str) -> str:
        if not value or not value.isalnum():
            raise ValueError(f"code {value!r} must be letters or digits only")
        return value

    @field_validator("eps", "pe")
    @classmethod
    def _finite(cls, values: dict[int, float]) -> dict[int, float]:
        for year, value in values.items():
            if not math.isfinite(value):
                raise ValueError(f"{year}: {value} is not a finite number")
        return values

    @model_validator(mode="after")
    def _code_fits_exchange(self) -> Self:
        if self.exchange in A_SHARE_EXCHANGES:
            if len(self.code) != 6 or not self.code.isdigit():
                raise ValueError(f"A-share code {self.code!r} must be 6 digits (quote it in YAML)")
            try:
                board_of(self.code, self.exchange)
            except ValueError:
                raise ValueError(
                    f"code {self.code} is not valid on {self.exchange}: "
                    f"expected a prefix in {valid_prefixes(self.exchange)}"
                ) from None
        return self

    @property
    def a_share(self) -> bool:
        return self.exchange in A_SHARE_EXCHANGES

    @property
    def board(self) -> Board:
        return board_of(self.code, self.exchange)

    @property
    def themes(self) -> list[str]:
        if self.theme is None:
            return []
        return [self.theme] + ([f"{self.theme}/{self.chain}"] if self.chain else [])

    @property
    def rating_text(self) -> str | None:
        """The label as printed in the table (``-`` for an unrated table row)."""
        if self.rating:
            return self.rating
        return NO_RATING if self.in_table else None

    @property
    def watch(self) -> bool:
        """Named under 建议关注 in the recommendation paragraphs."""
        return self.prose == WATCH


class Universe(_Strict):
    report: Report
    rating_scale: RatingScale
    names: list[CoveredName]

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        labels = set(self.rating_scale.labels())
        industry_labels = set(self.rating_scale.labels(industry=True))
        if self.report.industry_rating not in industry_labels:
            raise ValueError(
                f"report.industry_rating {self.report.industry_rating!r} is not a label of "
                f"rating_scale.industry {sorted(industry_labels)}"
            )
        problems = name_problems(self.names, labels)
        if problems:
            loc, message = problems[0]
            raise ValueError(f"names[{loc[1]}].{loc[2]}: {message}")
        return self

    def get(self, code: str) -> CoveredName:
        for item in self.names:
            if item.code == code:
                return item
        raise KeyError(code)

    def counts(self) -> dict[str, int]:
        """How many table rows carry each label, plus the prose's 建议关注 mentions."""
        out: dict[str, int] = {}
        for item in self.names:
            if item.in_table:
                key = item.rating_text or NO_RATING
                out[key] = out.get(key, 0) + 1
            if item.watch:
                out[WATCH] = out.get(WATCH, 0) + 1
        return out

    def to_contract(self) -> dict[str, Any]:
        """The JSON contract of ``coverbt universe show --json``."""
        return {
            "report": self.report.model_dump(mode="json"),
            "rating_scale": self.rating_scale.model_dump(mode="json"),
            "counts": self.counts(),
            "names": [name_contract(item) for item in self.names],
        }


def name_problems(
    names: list[CoveredName], labels: set[str]
) -> list[tuple[tuple[str, int, str], str]]:
    """Problems that involve the scale or several entries: unknown labels, duplicates.

    Each problem is ``(("names", index, field), message)``.
    """
    problems: list[tuple[tuple[str, int, str], str]] = []
    seen: dict[str, int] = {}
    seen_names: dict[str, int] = {}
    for i, item in enumerate(names):
        if item.rating is not None and item.rating not in labels:
            problems.append(
                (
                    ("names", i, "rating"),
                    f"rating {item.rating!r} of {item.code} {item.name} is not a "
                    f"label of rating_scale.stock {sorted(labels)}; write null for an "
                    "unrated name",
                )
            )
        if item.prose is not None and item.prose not in labels | {WATCH}:
            problems.append(
                (
                    ("names", i, "prose"),
                    f"prose {item.prose!r} of {item.code} {item.name} is neither a label of "
                    f"rating_scale.stock nor {WATCH}; write null when the text does not name it",
                )
            )
        if item.code in seen:
            problems.append(
                (
                    ("names", i, "code"),
                    f"code {item.code} ({item.name}) is listed twice (first at "
                    f"names[{seen[item.code]}]); merge the two entries into one",
                )
            )
        elif item.name in seen_names:
            problems.append(
                (
                    ("names", i, "name"),
                    f"name {item.name} is listed twice with different codes (first at "
                    f"names[{seen_names[item.name]}]); keep the entry with the right code",
                )
            )
        seen.setdefault(item.code, i)
        seen_names.setdefault(item.name, i)
    return problems


def name_contract(item: CoveredName) -> dict[str, Any]:
    return {
        "code": item.code,
        "name": item.name,
        "exchange": str(item.exchange),
        "board": str(item.board),
        "rating": item.rating,
        "rating_text": item.rating_text,
        "prose": item.prose,
        "in_table": item.in_table,
        "themes": item.themes,
        "close_at_price_date": item.close_at_price_date,
        "eps": {str(k): v for k, v in sorted(item.eps.items())},
        "pe": {str(k): v for k, v in sorted(item.pe.items())},
        "actual_years": item.actual_years,
        "a_share": item.a_share,
        "note": item.note,
    }
