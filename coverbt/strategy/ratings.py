"""A point-in-time ratings history and the ``exit: {on_rating_change: ...}`` rule.

Ratings live in the revision ledger (one ``rating`` per forecast row, each row known on its
``as_of``). A later report of the same broker is recorded by ingesting another universe file
(``coverbt revisions ingest --universe LATER.yaml``); its ratings become known on its
publication date.

The exit rule, with no look-ahead: a name is sold at the **open** of session ``s`` when a
rating of the entry report's source with ``published < as_of < s`` (so known on the day before
``s`` at the latest) is a change of the kind asked for, compared with the entry rating:

* ``downgrade``: a label lower on the universe's stock rating scale (listed best first); a
  move to unrated or to a label outside the scale is not a downgrade;
* ``any``: any other rating, unrated (``null``) included.

Only the ratings known on the day before each session are read to decide that session.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal, Protocol

import pandas as pd

from coverbt.revisions.records import ForecastRecord, Kind

if TYPE_CHECKING:
    from coverbt.revisions.ledger import Ledger

RatingChange = Literal["downgrade", "any"]


@dataclass(frozen=True)
class RatingEvent:
    """One rating a source gave a code, known from ``as_of`` on (``rating`` None: unrated)."""

    as_of: dt.date
    source: str
    rating: str | None


class RatingHistory(Protocol):
    """What the engine may read: the ratings known on a date, never later ones."""

    def ratings_known_at(self, code: str, date: dt.date) -> list[RatingEvent]: ...


class RecordRatings:
    """A :class:`RatingHistory` held in memory (from ledger records or hand-made events).

    Examples
    --------
    >>> h = RecordRatings.from_records([
    ...     ForecastRecord("b", dt.date(2024, 6, 23), "300496", 2024, 1.0, rating="推荐"),
    ...     ForecastRecord("b", dt.date(2024, 6, 23), "300496", 2025, 1.2, rating="推荐"),
    ...     ForecastRecord("b", dt.date(2024, 9, 1), "300496", 2025, 1.1, rating="中性"),
    ... ])
    >>> [e.rating for e in h.ratings_known_at("300496", dt.date(2024, 8, 31))]
    ['推荐']
    >>> [e.rating for e in h.ratings_known_at("300496", dt.date(2024, 9, 1))]
    ['推荐', '中性']
    """

    def __init__(self, events: Mapping[str, Sequence[RatingEvent]]) -> None:
        self._events = {
            code: sorted(set(items), key=lambda e: (e.as_of, e.source, e.rating or ""))
            for code, items in events.items()
        }

    @classmethod
    def from_records(cls, records: Iterable[ForecastRecord]) -> RecordRatings:
        """One event per (code, source, as_of) of the forecast records (the last one wins)."""
        latest: dict[tuple[str, str, dt.date], RatingEvent] = {}
        for r in records:
            if r.kind is Kind.FORECAST:
                latest[(r.code, r.source, r.as_of)] = RatingEvent(r.as_of, r.source, r.rating)
        return cls._grouped(latest)

    @classmethod
    def from_frame(cls, rows: pd.DataFrame) -> RecordRatings:
        """From ledger rows (latest correction per key); the largest ``seq`` wins per date."""
        latest: dict[tuple[str, str, dt.date], RatingEvent] = {}
        forecasts = rows.loc[rows["kind"] == str(Kind.FORECAST)].sort_values("seq")
        columns = forecasts[["code", "source", "as_of", "rating"]]
        for code, source, as_of, rating in columns.itertuples(index=False):
            day = pd.Timestamp(as_of).date()
            label = None if pd.isna(rating) else str(rating)
            latest[(str(code), str(source), day)] = RatingEvent(day, str(source), label)
        return cls._grouped(latest)

    @classmethod
    def _grouped(cls, latest: Mapping[tuple[str, str, dt.date], RatingEvent]) -> RecordRatings:
        events: dict[str, list[RatingEvent]] = {}
        for (code, _source, _day), event in latest.items():
            events.setdefault(code, []).append(event)
        return cls(events)

    def ratings_known_at(self, code: str, date: dt.date) -> list[RatingEvent]:
        return [e for e in self._events.get(code, ()) if e.as_of <= date]


class LedgerRatings:
    """The ratings of a revision ledger, read once on first use (a :class:`RatingHistory`)."""

    def __init__(self, ledger: Ledger) -> None:
        self.ledger = ledger
        self._history: RecordRatings | None = None

    def ratings_known_at(self, code: str, date: dt.date) -> list[RatingEvent]:
        if self._history is None:
            self._history = RecordRatings.from_frame(self.ledger.current())
        return self._history.ratings_known_at(code, date)


@dataclass(frozen=True)
class RatingExit:
    """A name sold at the open of ``day`` because ``source`` changed its rating on ``as_of``."""

    day: pd.Timestamp
    as_of: dt.date
    source: str
    old: str | None
    new: str | None

    @property
    def reason(self) -> str:
        return f"{self.source} rated it {self.new or 'unrated'} on {self.as_of} (was {self.old})"


def is_change(mode: RatingChange, old: str | None, new: str | None, scale: Sequence[str]) -> bool:
    """Whether ``old -> new`` is the change ``mode`` leaves on (``scale`` is best first).

    Examples
    --------
    >>> scale = ["强烈推荐", "推荐", "中性", "回避"]
    >>> is_change("downgrade", "强烈推荐", "推荐", scale)
    True
    >>> is_change("downgrade", "推荐", "强烈推荐", scale)
    False
    >>> is_change("downgrade", "推荐", None, scale), is_change("any", "推荐", None, scale)
    (False, True)
    """
    if mode == "any":
        return old != new
    if old not in scale or new not in scale:
        return False
    return scale.index(new) > scale.index(old)


def rating_exit(
    mode: RatingChange,
    history: RatingHistory,
    *,
    code: str,
    source: str,
    entry_rating: str | None,
    published: dt.date,
    scale: Sequence[str],
    sessions: pd.DatetimeIndex,
) -> RatingExit | None:
    """The first of ``sessions`` whose open sells ``code``, reading only ratings known before it."""
    for day in sessions:
        known_by = (pd.Timestamp(day) - pd.Timedelta(days=1)).date()
        for event in history.ratings_known_at(code, known_by):
            if event.as_of > known_by:  # a history that breaks its contract cannot leak
                raise ValueError(f"ratings_known_at({code}, {known_by}) returned {event}")
            later = event.source == source and event.as_of > published
            if later and is_change(mode, entry_rating, event.rating, scale):
                new = event.rating
                return RatingExit(pd.Timestamp(day), event.as_of, source, entry_rating, new)
    return None
