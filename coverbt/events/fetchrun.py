"""A feed ingestion run: rate-limited, resumable, incremental, all or nothing.

A run asks a feed for several units (one stock for 东方财富, one day for 巨潮):

* **rate-limited**: live requests are spaced by at least ``min_interval`` seconds;
* **resumable**: each answer is staged as a file under ``data_cache/events/raw/`` as soon
  as it arrives, so a run stopped by a ban, a timeout or a changed answer is resumed by
  running it again: staged answers are not asked for again;
* **incremental**: units already stored are skipped when the feed's answers for them are
  final (a past day of 巨潮), unless ``refresh``;
* **all or nothing**: the events, the raw answers and the fetch marks are stored in one
  transaction after every unit succeeded; a failure stores nothing.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from coverbt.atomic import atomic_write_text
from coverbt.errors import CoverbtError
from coverbt.events.model import RatingEvent
from coverbt.events.store import EventStore, FetchMark, IngestSummary, RawPayload

log = logging.getLogger("coverbt.events")
RAW_DIR = Path("events") / "raw"  # under data_cache/
DEFAULT_INTERVAL = 1.0  # seconds between live requests to one site


class RateLimit:
    """Spaces calls by ``min_interval`` seconds (clock and sleep injectable for tests)."""

    def __init__(
        self,
        min_interval: float = DEFAULT_INTERVAL,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.min_interval = min_interval
        self.clock = clock
        self.sleep = sleep
        self._last: float | None = None

    def wait(self) -> None:
        now = self.clock()
        if self._last is not None:
            left = self.min_interval - (now - self._last)
            if left > 0:
                self.sleep(left)
                now += left
        self._last = now


def canonical_args(args: dict[str, Any]) -> str:
    return json.dumps(args, sort_keys=True, ensure_ascii=False)


def frame_payload(frame: pd.DataFrame) -> str:
    """A frame as JSON text (columns in order, dates ISO): the raw answer kept."""
    return frame.to_json(orient="split", date_format="iso", force_ascii=False, index=False)


def payload_frame(text: str) -> pd.DataFrame:
    """The frame of :func:`frame_payload` (values as JSON gave them, columns as text)."""
    data = json.loads(text)
    return pd.DataFrame(data["data"], columns=data["columns"], dtype=object)


@dataclass(frozen=True)
class Unit:
    """One request of a run and how to parse its answer."""

    args: dict[str, Any]
    label: str  # shown in messages: "600570", "2024-06-24"


@dataclass
class RunSummary:
    """What a run did."""

    function: str
    asked: int = 0
    fetched: int = 0
    from_staging: int = 0
    skipped: int = 0
    events: int = 0
    stored: IngestSummary | None = None
    notes: list[str] = field(default_factory=list)


class FeedRun:
    """Fetch, stage, parse and store the units of one feed function."""

    def __init__(
        self,
        store: EventStore,
        cache_dir: Path,
        function: str,
        fetch: Callable[[dict[str, Any]], pd.DataFrame],
        parse: Callable[[pd.DataFrame, dict[str, Any]], list[RatingEvent]],
        *,
        limit: RateLimit | None = None,
        now: Callable[[], dt.datetime] = dt.datetime.now,
    ) -> None:
        self.store = store
        self.function = function
        self.fetch = fetch
        self.parse = parse
        self.limit = limit or RateLimit()
        self.now = now
        self.staging = Path(cache_dir) / RAW_DIR / function

    def _staged_path(self, args: str) -> Path:
        return self.staging / f"{hashlib.sha256(args.encode()).hexdigest()[:24]}.json"

    def run(self, units: Sequence[Unit], *, skip_stored: bool, origin: str) -> RunSummary:
        """Every unit fetched (or read from staging), parsed, then stored at once."""
        summary = RunSummary(self.function, asked=len(units))
        stored = self.store.fetched(self.function) if skip_stored else set()
        events: list[RatingEvent] = []
        raws: list[RawPayload] = []
        marks: list[FetchMark] = []
        for position, unit in enumerate(units):
            args = canonical_args(unit.args)
            if args in stored:  # an answer staged for it is stale (a refresh run abandoned)
                self._staged_path(args).unlink(missing_ok=True)
                summary.skipped += 1
                continue
            try:
                raw = self._answer(unit, args, summary)
            except CoverbtError:
                self._stopped(units, position, len(raws))
                raise
            try:
                found = self.parse(payload_frame(raw.payload), unit.args)
            except CoverbtError:  # a changed answer: never staged for the next run
                self._staged_path(args).unlink(missing_ok=True)
                self._stopped(units, position, len(raws))
                raise
            events.extend(found)
            raws.append(raw)
            marks.append(FetchMark(self.function, args, raw.payload_id, len(found)))
        summary.events = len(events)
        summary.stored = self.store.ingest(events, origin=origin, raw=raws, fetches=marks)
        for raw in raws:
            self._staged_path(raw.args).unlink(missing_ok=True)
        return summary

    def _answer(self, unit: Unit, args: str, summary: RunSummary) -> RawPayload:
        path = self._staged_path(args)
        if path.exists():
            summary.from_staging += 1
            body = json.loads(path.read_text(encoding="utf-8"))
            return RawPayload(
                **{**body, "fetched_at": dt.datetime.fromisoformat(body["fetched_at"])}
            )
        self.limit.wait()
        frame = self.fetch(unit.args)
        text = frame_payload(frame)
        fetched_at = self.now()
        raw = RawPayload(
            payload_id=hashlib.sha256(text.encode("utf-8")).hexdigest(),
            function=self.function,
            args=args,
            fetched_at=fetched_at,
            payload=text,
        )
        body = {**raw.__dict__, "fetched_at": fetched_at.isoformat()}
        atomic_write_text(path, json.dumps(body, ensure_ascii=False))
        summary.fetched += 1
        return raw

    def _stopped(self, units: Sequence[Unit], position: int, kept: int) -> None:
        log.info(
            "%s stopped at %s (%d of %d): nothing was stored; %d answer(s) are kept in %s "
            "and the next run resumes there",
            self.function, units[position].label, position + 1, len(units), kept, self.staging,
        )  # fmt: skip
