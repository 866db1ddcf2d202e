"""The rating-event store: append-only, idempotent, point in time, all or nothing."""

from __future__ import annotations

import dataclasses
import datetime as dt
import tempfile
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from coverbt.errors import InputError
from coverbt.events.model import RatingEvent, Source, analysts_of, forecasts_of
from coverbt.events.store import EventStore, FetchMark, RawPayload

PUBLISHED = dt.date(2024, 6, 24)
MONDAY = dt.datetime(2024, 6, 24, 18, 0)


def _event(code: str = "600570", label: str = "买入", **changes: object) -> RatingEvent:
    event = RatingEvent(
        source=Source.AKSHARE_CNINFO,
        report_id=f"cninfo:2024-06-24:中信证券:张三,李四:{code}",
        code=code,
        broker="中信证券",
        analysts=("张三", "李四"),
        published=PUBLISHED,
        label=label,
        published_at=dt.datetime(2024, 6, 24, 8, 30),
        name="恒生电子",
        previous_label="增持",
        rating_change="上调",
        target_low=30.0,
        target_high=35.5,
        eps={2024: 0.91, 2025: 1.11},
        pe={2024: 28.0, 2025: 23.0},
        industry="软件开发",
        industry_index="801750",
        scale="buy_add_5",
        source_ref="test",
    )
    return dataclasses.replace(event, **changes)  # type: ignore[arg-type]


def _counts(store: EventStore) -> tuple[int, int, int]:
    """Rows of the three tables (events, raw payloads, fetch marks)."""
    con = duckdb.connect(str(store.path), read_only=True)
    try:
        return tuple(  # type: ignore[return-value]
            con.execute(f"SELECT count(*) FROM {t}").fetchone()[0]  # type: ignore[index]
            for t in ("rating_events", "raw_payloads", "fetch_log")
        )
    finally:
        con.close()


def test_every_field_is_stored_and_read_back(store: EventStore) -> None:
    summary = store.ingest([_event()], origin="test", now=MONDAY)
    assert (summary.received, summary.new_keys, summary.corrections) == (1, 1, 0)
    row = store.current().iloc[0]
    assert (row["source"], row["report_id"], row["code"]) == (
        "akshare_cninfo",
        "cninfo:2024-06-24:中信证券:张三,李四:600570",
        "600570",
    )
    assert (row["broker"], analysts_of(row["analysts"])) == ("中信证券", ["张三", "李四"])
    assert row["published"] == pd.Timestamp(PUBLISHED)
    assert row["published_at"] == pd.Timestamp("2024-06-24 08:30")
    assert (row["label"], row["previous_label"], row["rating_change"]) == ("买入", "增持", "上调")
    assert (row["target_low"], row["target_high"]) == (30.0, 35.5)
    assert forecasts_of(row["eps"]) == {2024: 0.91, 2025: 1.11}
    assert forecasts_of(row["pe"]) == {2024: 28.0, 2025: 23.0}
    assert (row["industry"], row["industry_index"], row["scale"]) == (
        "软件开发",
        "801750",
        "buy_add_5",
    )
    assert (row["learned_at"], row["origin"], row["seq"]) == (pd.Timestamp(MONDAY), "test", 1)


def test_reingesting_is_a_no_op(store: EventStore) -> None:
    events = [_event("600570"), _event("300496", "增持")]
    store.ingest(events, origin="test", now=MONDAY)
    before = store.rows()
    for day in range(1, 4):
        again = store.ingest(events, origin="test", now=MONDAY + dt.timedelta(days=day))
        assert (again.received, again.added, again.unchanged) == (2, 0, 2)
    pd.testing.assert_frame_equal(store.rows(), before)


def test_a_correction_is_appended_and_the_past_stays_readable(store: EventStore) -> None:
    store.ingest([_event(target_high=35.5)], origin="test", now=MONDAY)
    later = MONDAY + dt.timedelta(days=2)
    fixed = store.ingest([_event(target_high=38.0)], origin="fix", now=later)
    assert (fixed.new_keys, fixed.corrections) == (0, 1)
    rows = store.rows()
    assert rows["target_high"].tolist() == [35.5, 38.0]  # nothing overwritten
    assert rows["seq"].tolist() == [1, 2]
    assert store.current()["target_high"].tolist() == [38.0]
    assert store.known_at(PUBLISHED)["target_high"].tolist() == [38.0]
    # what the store knew before the correction: the old value
    just_before = later - dt.timedelta(seconds=1)
    assert store.known_at(PUBLISHED, known_by=just_before)["target_high"].tolist() == [35.5]
    assert store.known_at(PUBLISHED, known_by=MONDAY - dt.timedelta(seconds=1)).empty
    # and ratings published after the day asked about are not seen
    assert store.known_at(PUBLISHED - dt.timedelta(days=1)).empty


def test_learned_at_never_goes_back_under_clock_skew(store: EventStore) -> None:
    store.ingest([_event(label="买入")], origin="test", now=MONDAY)
    store.ingest([_event(label="增持")], origin="test", now=MONDAY - dt.timedelta(hours=1))
    learned = store.rows()["learned_at"].tolist()
    assert learned[1] > learned[0]
    assert store.known_at(known_by=learned[0])["label"].tolist() == ["买入"]


def test_two_different_events_for_one_key_in_one_batch_are_refused(store: EventStore) -> None:
    store.ingest([_event("300496")], origin="test", now=MONDAY)
    with pytest.raises(InputError, match=r"two different events for 600570 .*'买入' and '增持'"):
        store.ingest([_event(label="买入"), _event(label="增持")], origin="test")
    assert _counts(store) == (1, 0, 0)


def test_a_failure_inside_the_transaction_leaves_the_store_unchanged(store: EventStore) -> None:
    raw = RawPayload("p1", "f", '{"date": "2024-06-24"}', MONDAY, "{}")
    store.ingest(
        [_event("300496")],
        origin="test",
        raw=[raw],
        fetches=[FetchMark("f", '{"date": "2024-06-24"}', "p1", 1)],
        now=MONDAY,
    )
    before = (_counts(store), store.rows())
    # the events are inserted first; the bad fetch mark (no event count) then fails
    broken = FetchMark("f", '{"date": "2024-06-25"}', "p2", None)  # type: ignore[arg-type]
    good = RawPayload("p2", "f", '{"date": "2024-06-25"}', MONDAY, "{}")
    with pytest.raises(duckdb.ConstraintException, match=r"fetch_log\.events"):
        store.ingest(
            [_event("600570"), _event("300496", "中性")],
            origin="test",
            raw=[good],
            fetches=[broken],
            now=MONDAY + dt.timedelta(days=1),
        )
    assert _counts(store) == before[0] == (1, 1, 1)
    pd.testing.assert_frame_equal(store.rows(), before[1])


def test_a_bad_payload_leaves_the_store_unchanged(store: EventStore) -> None:
    store.ingest([_event("300496")], origin="test", now=MONDAY)
    bad = RawPayload("p1", "f", "{}", MONDAY, None)  # type: ignore[arg-type]
    with pytest.raises(duckdb.ConstraintException, match=r"raw_payloads\.payload"):
        store.ingest([_event("600570")], origin="test", raw=[bad], now=MONDAY)
    assert _counts(store) == (1, 0, 0)


def test_an_exception_while_the_events_are_read_stores_nothing(store: EventStore) -> None:
    store.ingest([_event("300496")], origin="test", now=MONDAY)

    def events() -> Iterator[RatingEvent]:
        yield _event("600570")
        raise InputError("line 2 is bad", source="list.csv", line=2)

    with pytest.raises(InputError, match=r"list\.csv:2"):
        store.ingest(events(), origin="test")
    assert _counts(store) == (1, 0, 0)


def test_raw_payloads_are_kept_once_and_fetch_marks_always(store: EventStore) -> None:
    raw = RawPayload("p1", "stock_rank_forecast_cninfo", '{"date": "2024-06-24"}', MONDAY, "[]")
    for _ in range(2):
        store.ingest(
            [], origin="test", raw=[raw], fetches=[FetchMark(raw.function, raw.args, "p1", 0)]
        )
    assert store.raw_payloads()["payload"].tolist() == ["[]"]
    assert store.fetched("stock_rank_forecast_cninfo") == {'{"date": "2024-06-24"}'}
    assert store.fetched("stock_research_report_em") == set()
    assert _counts(store) == (0, 1, 2)


def test_an_empty_store_reads_empty(store: EventStore) -> None:
    assert not store.path.exists()
    assert store.rows().empty and store.current().empty and store.known_at().empty
    assert store.fetched("stock_research_report_em") == set()
    assert "learned_at" in store.known_at(PUBLISHED, known_by=MONDAY).columns


_labels = st.sampled_from(["买入", "增持", "中性", "减持", "卖出"])
_batches = st.lists(
    st.lists(
        st.tuples(st.sampled_from(["600570", "300496", "002439"]), _labels),
        max_size=3,
        unique_by=lambda t: t[0],
    ),
    min_size=1,
    max_size=2,
)


@settings(max_examples=4, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_batches)
def test_ingestion_is_append_only_and_idempotent(batches: list[list[tuple[str, str]]]) -> None:
    store = EventStore(Path(tempfile.mkdtemp()) / "events.duckdb")
    kept: list[tuple[str, str]] = []
    latest: dict[str, str] = {}
    for i, batch in enumerate(batches):
        events = [_event(code, label) for code, label in batch]
        store.ingest(events, origin="p", now=MONDAY + dt.timedelta(hours=i))
        assert store.ingest(events, origin="p").added == 0  # the same batch again: no-op
        rows = store.rows()
        got = list(zip(rows["code"], rows["label"], strict=True))
        assert got[: len(kept)] == kept  # earlier rows never change or go away
        kept = got
        latest |= dict(batch)
    current = store.current()
    assert dict(zip(current["code"], current["label"], strict=True)) == latest
