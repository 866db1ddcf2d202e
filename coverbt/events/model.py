"""One rating event: a broker's rating of one stock, dated by when it became public.

Every rating coverbt scores is a :class:`RatingEvent`, whatever it came from (a universe
file, akshare's 东方财富 or 巨潮 feeds, a user's CSV). The event keeps what the source said,
verbatim (the broker's own label, the previous rating and the change *as the source states
them*); what coverbt derives from it (the normalised step, upgrade or downgrade) is computed
later from the rating scales (:mod:`coverbt.events.scales`, :mod:`coverbt.events.actions`),
never stored as if the source had said it.

Point in time: ``published`` is the day the rating became public (``published_at`` the
moment, when the source gives a time). Nothing may act on an event before the first
session strictly after ``published`` (:func:`coverbt.horizon.entry_session`). The store adds
``learned_at``: when coverbt itself learned of it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class Source(StrEnum):
    """Where an event came from (the first part of its key)."""

    REPORT_FILE = "report_file"  # a universe file under universe/
    AKSHARE_EM = "akshare_em"  # stock_research_report_em (东方财富 个股研报)
    AKSHARE_CNINFO = "akshare_cninfo"  # stock_rank_forecast_cninfo (巨潮 投资评级)
    CSV = "csv"  # a user's own list


KEY_COLUMNS: tuple[str, ...] = ("source", "report_id", "code")
VALUE_COLUMNS: tuple[str, ...] = (
    "broker",
    "analysts",
    "published",
    "published_at",
    "name",
    "label",
    "previous_label",
    "rating_change",
    "target_low",
    "target_high",
    "eps",
    "pe",
    "industry",
    "industry_index",
    "scale",
    "source_ref",
)
EVENT_COLUMNS: tuple[str, ...] = (*KEY_COLUMNS, *VALUE_COLUMNS, "content_hash")


def _finite_or_none(value: float | None, what: str) -> float | None:
    if value is None:
        return None
    number = float(value)
    if not math.isfinite(number):
        raise ValueError(f"{what} {value!r} is not a finite number")
    return number


@dataclass(frozen=True)
class RatingEvent:
    """A rating as its source states it.

    Parameters
    ----------
    source : :class:`Source` of the event.
    report_id : the report's id (a universe file's ``report.id``, 东方财富's ``infoCode``,
        a synthesized id for sources without one).
    code : 6-digit A-share code (or the listing's symbol, such as ``EH``).
    broker : the broker's short name (平安证券).
    analysts : the authors of the rating, in the source's order.
    published : the day it became public.
    label : the broker's rating label, verbatim (强烈推荐, 买入, ...).
    published_at : the moment, when the source gives a time of day.
    previous_label, rating_change : the previous rating and the change (维持, 上调, 首次...),
        as the source states them; ``None`` when it does not.
    target_low, target_high : the target price range (CNY); one value when given once.
    eps, pe : forecasts by fiscal year, as the source means them (see
        :mod:`coverbt.events.ingest_em` for 东方财富's year labels).
    industry, industry_index : the industry name and its index code (SW), when known.
    scale : the id of the rating scale the label belongs to, when the source says so.
    source_ref : the file or the call the event was read from.

    Examples
    --------
    >>> e = RatingEvent(Source.CSV, "r1", "300496", "某证券", ("张三",), dt.date(2024, 6, 3),
    ...                 "买入")
    >>> e.key, len(e.content_hash)
    (('csv', 'r1', '300496'), 64)
    """

    source: Source
    report_id: str
    code: str
    broker: str
    analysts: tuple[str, ...]
    published: dt.date
    label: str
    published_at: dt.datetime | None = None
    name: str | None = None
    previous_label: str | None = None
    rating_change: str | None = None
    target_low: float | None = None
    target_high: float | None = None
    eps: dict[int, float] = field(default_factory=dict)
    pe: dict[int, float] = field(default_factory=dict)
    industry: str | None = None
    industry_index: str | None = None
    scale: str | None = None
    source_ref: str = ""

    def __post_init__(self) -> None:
        if not self.label.strip():
            raise ValueError("an event needs a rating label")
        if not self.code.strip() or not self.broker.strip():
            raise ValueError("an event needs a code and a broker")
        _finite_or_none(self.target_low, "target_low")
        _finite_or_none(self.target_high, "target_high")
        for year, value in (*self.eps.items(), *self.pe.items()):
            _finite_or_none(value, f"forecast for {year}")
        if self.published_at is not None and self.published_at.date() != self.published:
            raise ValueError(
                f"published_at {self.published_at} is not on the publication day {self.published}"
            )

    @property
    def key(self) -> tuple[str, str, str]:
        return (str(self.source), self.report_id, self.code)

    @property
    def content_hash(self) -> str:
        """SHA-256 of every value (the key included): equal content, equal hash."""
        row = self.to_row(with_hash=False)
        text = json.dumps(row, sort_keys=True, ensure_ascii=False, default=str)
        return hashlib.sha256(text.encode("utf-8")).hexdigest()

    def to_row(self, *, with_hash: bool = True) -> dict[str, Any]:
        """The stored row: lists and forecasts as JSON text, dates as dates."""
        row: dict[str, Any] = {
            "source": str(self.source),
            "report_id": self.report_id,
            "code": self.code,
            "broker": self.broker,
            "analysts": json.dumps(list(self.analysts), ensure_ascii=False),
            "published": self.published,
            "published_at": self.published_at,
            "name": self.name,
            "label": self.label,
            "previous_label": self.previous_label,
            "rating_change": self.rating_change,
            "target_low": self.target_low,
            "target_high": self.target_high,
            "eps": _forecast_json(self.eps),
            "pe": _forecast_json(self.pe),
            "industry": self.industry,
            "industry_index": self.industry_index,
            "scale": self.scale,
            "source_ref": self.source_ref,
        }
        if with_hash:
            row["content_hash"] = self.content_hash
        return row


def _forecast_json(values: dict[int, float]) -> str:
    return json.dumps({str(k): float(v) for k, v in sorted(values.items())})


def analysts_of(text: str | None) -> list[str]:
    """The analysts of a stored row (JSON text) as a list."""
    if text is None or (isinstance(text, float) and math.isnan(text)):
        return []
    return list(json.loads(text))


def forecasts_of(text: str | None) -> dict[int, float]:
    """The EPS or PE of a stored row (JSON text) by fiscal year."""
    if text is None or (isinstance(text, float) and math.isnan(text)):
        return {}
    return {int(k): float(v) for k, v in json.loads(text).items()}
