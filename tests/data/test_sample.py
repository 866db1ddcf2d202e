"""The built-in sample: what it holds, that it is what the build script makes, and that
real imports win over it."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from coverbt.data.cache import Cache
from coverbt.data.sample import (
    PARQUET_NAME,
    PROVENANCE_NAME,
    SAMPLE_END,
    SAMPLE_START,
    load_sample,
    sample_dir,
    seed_cache,
    seed_if_empty,
)
from coverbt.data.sample_build import REPORT_CODES, build
from coverbt.data.schema import SeriesKind
from coverbt.data.store import import_path, open_store

MAX_BYTES = 3 * 1024 * 1024


def test_sample_holds_the_report_market_within_budget(universe) -> None:  # type: ignore[no-untyped-def]
    series = load_sample()
    stocks = {s.series.meta.code for s in series if s.series.meta.kind is SeriesKind.STOCK}
    assert stocks == {n.code for n in universe.names if n.a_share} == set(REPORT_CODES)
    indexes = {s.series.meta.code for s in series if s.series.meta.kind is SeriesKind.INDEX}
    assert indexes == {"000300", "H00300", "801750"}
    for item in series:
        meta = item.series.meta
        assert meta.source == "sample" and meta.first >= SAMPLE_START and meta.last <= SAMPLE_END
    size = sum(p.stat().st_size for p in sample_dir().iterdir())
    assert size < MAX_BYTES


def test_provenance_names_vendor_adjustment_rows_and_checksum() -> None:
    provenance = json.loads((sample_dir() / PROVENANCE_NAME).read_text(encoding="utf-8"))
    by_id = {item["id"]: item for item in provenance["series"]}
    # 300496: baostock's qfq file (base 2026-03-13) covers the report's window
    item = by_id["stock/300496"]
    facts = (item["vendor"], item["adjust"], item["adjust_base"])
    assert facts == ("baostock", "qfq", "2026-03-13")
    assert (item["first"], item["last"], item["rows"]) == ("2023-06-05", "2025-06-30", 501)
    assert len(item["sha256"]) == 64
    # 002230: baostock starts 2024-10-14, so Tushare's bars and baostock's PE apart
    assert by_id["stock/002230"]["vendor"] == "tushare"
    assert by_id["valuation/002230"]["vendor"] == "baostock"


def test_damaged_sample_is_refused(tmp_path: Path) -> None:
    for name in (PARQUET_NAME, PROVENANCE_NAME):
        (tmp_path / name).write_bytes((sample_dir() / name).read_bytes())
    provenance = json.loads((tmp_path / PROVENANCE_NAME).read_text(encoding="utf-8"))
    provenance["series"][0]["sha256"] = "0" * 64
    (tmp_path / PROVENANCE_NAME).write_text(json.dumps(provenance), encoding="utf-8")
    with pytest.raises(ValueError, match="does not match its checksum"):
        load_sample(tmp_path)


def test_shipped_sample_equals_what_the_script_builds(tmp_path: Path, market_data_dir: Path):
    build(market_data_dir, tmp_path)
    shipped = json.loads((sample_dir() / PROVENANCE_NAME).read_text(encoding="utf-8"))
    rebuilt = json.loads((tmp_path / PROVENANCE_NAME).read_text(encoding="utf-8"))
    assert rebuilt == shipped
    pd.testing.assert_frame_equal(
        pd.read_parquet(tmp_path / PARQUET_NAME),
        pd.read_parquet(sample_dir() / PARQUET_NAME),
        check_exact=True,
    )


def test_seeding_only_fills_an_empty_cache(tmp_path: Path) -> None:
    cache = tmp_path / "data_cache"
    assert seed_if_empty(cache) is True
    assert seed_if_empty(cache) is False
    assert seed_cache(cache) == 0  # idempotent
    store = open_store(cache, seed=False)
    assert {e.meta.source for e in store.entries()} == {"sample"}


def test_a_cache_with_real_data_is_never_seeded(tmp_path: Path, market_data_dir: Path) -> None:
    cache = tmp_path / "data_cache"
    import_path(cache, market_data_dir / "index" / "csi300_000300.csv")
    assert seed_if_empty(cache) is False
    assert {e.meta.source for e in open_store(cache).entries()} == {"baostock"}


def test_real_imports_win_over_the_sample(tmp_path: Path, market_data_dir: Path) -> None:
    cache = tmp_path / "data_cache"
    seed_cache(cache)
    import_path(cache, market_data_dir / "stock" / "akshare" / "688041.csv")
    store = open_store(cache)
    window = {"start": pd.Timestamp("2024-06-24").date(), "end": pd.Timestamp("2024-12-24").date()}
    served = store.bars("688041", **window)
    assert served.meta.source == "akshare"
    # the same values: the sample is that very file, trimmed
    sample = next(s for s in store.sources("688041") if s.meta.source == "sample")
    pd.testing.assert_frame_equal(store.read(sample).between(**window).frame, served.frame)
    assert Cache(cache).exists()
