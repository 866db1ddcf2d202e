"""The revision ledger: append-only, idempotent, point in time, locked."""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path

import pandas as pd
import pytest
from filelock import FileLock
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from coverbt.errors import InputError, LockedError
from coverbt.revisions.from_universe import report_source, universe_records
from coverbt.revisions.ledger import Ledger, forecasts_known_at
from coverbt.revisions.records import ForecastRecord, Kind
from coverbt.revisions.service import ingest_universe

PUBLISHED = dt.date(2024, 6, 23)
SOURCE = "平安证券:闫磊,黄韦涵"


def test_universe_rows_are_stored_once_however_often_ingested(tmp_path, universe, universe_file):
    ledger = Ledger(tmp_path / "ledger.duckdb")
    first = ingest_universe(ledger, universe, universe_file)
    assert (first.received, first.new_keys, first.corrections) == (52, 52, 0)
    for _ in range(3):
        again = ingest_universe(ledger, universe, universe_file)
        assert (again.added, again.unchanged) == (0, 52)
    rows = ledger.rows()
    assert len(rows) == 52
    assert rows["code"].nunique() == 13
    assert sorted(rows["fiscal_year"].unique()) == [2023, 2024, 2025, 2026]
    assert set(rows["source"]) == {SOURCE} == {report_source(universe)}
    assert set(rows["as_of"]) == {pd.Timestamp(PUBLISHED)}
    assert set(rows["kind"]) == {"forecast"}
    # 2023 is the report's "2023A": marked A, the estimates E
    assert set(rows.loc[rows["fiscal_year"] == 2023, "mark"]) == {"A"}
    assert set(rows.loc[rows["fiscal_year"] > 2023, "mark"]) == {"E"}
    sample = rows.loc[(rows["code"] == "300496") & (rows["fiscal_year"] == 2025)]
    assert sample["eps"].tolist() == [1.84]
    assert sample["rating"].tolist() == ["强烈推荐"]
    unrated = rows.loc[rows["code"] == "688631", "rating"]
    assert unrated.isna().all()  # 莱斯信息 is "-" in the table


def test_point_in_time_hides_the_report_before_publication(tmp_path, universe, universe_file):
    ledger = Ledger(tmp_path / "ledger.duckdb")
    ingest_universe(ledger, universe, universe_file)
    assert forecasts_known_at(ledger, "600570", dt.date(2024, 6, 22)).empty
    known = forecasts_known_at(ledger, "600570", PUBLISHED)
    assert dict(zip(known["fiscal_year"], known["eps"], strict=True)) == {
        2023: 0.75, 2024: 0.91, 2025: 1.11, 2026: 1.32
    }  # fmt: skip


def test_a_correction_is_a_new_row_and_reads_take_it(tmp_path):
    ledger = Ledger(tmp_path / "ledger.duckdb")
    wrong = ForecastRecord(SOURCE, PUBLISHED, "300496", 2024, 1.84)
    right = ForecastRecord(SOURCE, PUBLISHED, "300496", 2024, 1.48)
    ledger.ingest([wrong], origin="t", now=dt.datetime(2025, 1, 1, 9))
    summary = ledger.ingest([right], origin="t", now=dt.datetime(2025, 1, 1, 8))  # clock skew
    assert (summary.new_keys, summary.corrections) == (0, 1)
    rows = ledger.rows()
    assert rows["eps"].tolist() == [1.84, 1.48]
    assert rows["ingested_at"].iloc[1] > rows["ingested_at"].iloc[0]
    assert ledger.current()["eps"].tolist() == [1.48]
    assert ledger.known_at(PUBLISHED)["eps"].tolist() == [1.48]
    # audit: what the ledger said before the correction
    before = ledger.known_at(PUBLISHED, known_by=rows["ingested_at"].iloc[0])
    assert before["eps"].tolist() == [1.84]


def test_two_values_for_one_key_in_one_batch_is_an_input_error(tmp_path):
    ledger = Ledger(tmp_path / "ledger.duckdb")
    a = ForecastRecord(SOURCE, PUBLISHED, "300496", 2024, 1.48)
    b = ForecastRecord(SOURCE, PUBLISHED, "300496", 2024, 1.50)
    with pytest.raises(InputError, match="two different values for 300496 FY2024"):
        ledger.ingest([a, b], origin="batch.csv")
    assert ledger.rows().empty  # nothing written


def test_a_held_lock_is_reported_not_waited_forever(tmp_path):
    ledger = Ledger(tmp_path / "ledger.duckdb", lock_timeout=0.1)
    record = ForecastRecord(SOURCE, PUBLISHED, "300496", 2024, 1.48)
    with FileLock(str(ledger.path) + ".lock"), pytest.raises(LockedError, match="locked"):
        ledger.ingest([record], origin="t")


def test_empty_ledger_reads_empty(tmp_path):
    ledger = Ledger(tmp_path / "missing.duckdb")
    assert ledger.rows().empty
    assert ledger.known_at(PUBLISHED, code="300496").empty


def test_universe_records_cover_only_table_rows(universe):
    records = universe_records(universe)
    assert len(records) == 52
    assert len({r.key for r in records}) == 52
    assert "EH" not in {r.code for r in records}


# --- property: idempotent and append-only -------------------------------------------------

_keys = st.tuples(
    st.sampled_from(["a", "b"]),
    st.sampled_from([dt.date(2024, 6, 23), dt.date(2024, 7, 1)]),
    st.sampled_from(["300496", "600570"]),
    st.sampled_from([2024, 2025]),
    st.sampled_from([Kind.FORECAST, Kind.ACTUAL]),
)
_batch = st.dictionaries(_keys, st.sampled_from([0.5, 1.0, 1.25, -0.3]), max_size=6)


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(batches=st.lists(_batch, min_size=1, max_size=4))
def test_ingestion_is_idempotent_and_append_only(batches):
    with tempfile.TemporaryDirectory() as folder:
        ledger = Ledger(Path(folder) / "ledger.duckdb")
        before = ledger.rows()
        for batch in batches:
            records = [
                ForecastRecord(s, d, c, y, eps, kind=k) for (s, d, c, y, k), eps in batch.items()
            ]
            ledger.ingest(records, origin="property")
            after = ledger.rows()
            assert len(after) >= len(before)  # never shrinks
            if len(before):  # history intact: earlier rows unchanged, in order
                pd.testing.assert_frame_equal(after.iloc[: len(before)], before)
            again = ledger.ingest(records, origin="property")
            assert again.added == 0  # the same batch again adds nothing
            assert len(ledger.rows()) == len(after)
            current = ledger.current()
            for record in records:  # reads see the latest value of every key
                hit = current.loc[
                    (current["source"] == record.source)
                    & (current["as_of"] == pd.Timestamp(record.as_of))
                    & (current["code"] == record.code)
                    & (current["fiscal_year"] == record.fiscal_year)
                    & (current["kind"] == str(record.kind))
                ]
                assert hit["eps"].tolist() == [record.eps]
            before = after
        seq = ledger.rows()["seq"]
        assert seq.tolist() == list(range(1, len(seq) + 1))
