"""Valuation (PE TTM, PB) in the cache: `data update` stores it, `valuation()` serves it.

HTTP is answered by `responses` with stock_value_em payloads; PE/PB of the STAR names
are built here from their akshare CSV closes (PE = close / EPS, PB = close / book value
per share), so every expected number is computed independently of coverbt.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import numpy as np
import pandas as pd
import pytest
import responses
from typer.testing import CliRunner

from coverbt.cli import app
from coverbt.data.akshare_live import AkshareLive
from coverbt.data.cache import Cache
from coverbt.data.memory import InMemoryProvider
from coverbt.data.schema import Adjust, Series, SeriesKind, meta_for
from coverbt.data.store import open_store
from coverbt.data.update import APPENDED, FAILED, NEW, UP_TO_DATE, Target, update_cache
from coverbt.data.validate import validate_valuation
from coverbt.errors import FetchError, InputError
from tests.data import akshare_payloads as pay

CUT = dt.date(2024, 9, 30)
TODAY = dt.date(2024, 12, 31)
LOSS_UNTIL = pd.Timestamp("2024-01-01")  # EPS -0.8 before (PE negative), 0.5 after
NO_PE_DAY = pd.Timestamp("2024-06-11")  # the site sends null PE that day


@pytest.fixture(autouse=True)
def _instant(no_akshare_sleep: None) -> None:
    """akshare's own retry sleeps are stubbed."""


def site_frame(market_data_dir: Path, code: str) -> pd.DataFrame:
    """close, pe_ttm, pb of ``code`` as the site would publish them (date index)."""
    raw = pd.read_csv(market_data_dir / f"stock/akshare/{code}.csv", encoding="utf-8-sig")
    index = pd.DatetimeIndex(pd.to_datetime(raw["日期"]), name="date")
    close = raw["收盘"].to_numpy(dtype=float)
    eps = np.where(index < LOSS_UNTIL, -0.8, 0.5)
    frame = pd.DataFrame({"close": close, "pe_ttm": close / eps, "pb": close / 25.0}, index)
    frame.loc[frame.index == NO_PE_DAY, "pe_ttm"] = np.nan
    return frame


def serve(answers: dict[str, dict]) -> None:
    """Answer stock_value_em for each code of ``answers`` (by the request's filter)."""

    def reply(request):
        query = parse_qs(urlparse(request.url).query)
        code = query["filter"][0].split('"')[1]
        return (200, {}, json.dumps(answers[code]))

    responses.add_callback(responses.GET, pay.VALUE_URL, callback=reply)


class RecordingLive(AkshareLive):
    """The real akshare provider; remembers the windows valuation() was asked for."""

    def __init__(self) -> None:
        super().__init__(retries=2, sleep=lambda _s: None)
        self.asked: list[tuple[str, dt.date | None, dt.date | None]] = []

    def valuation(self, code, *, start=None, end=None):
        self.asked.append((code, start, end))
        return super().valuation(code, start=start, end=end)


def _valuation_target(code: str) -> Target:
    return Target(code, code, SeriesKind.VALUATION)


def _expected(site: pd.DataFrame, end: dt.date) -> pd.DataFrame:
    return site.loc[: pd.Timestamp(end), ["pe_ttm", "pb"]]


@pytest.fixture
def site(market_data_dir: Path) -> pd.DataFrame:
    return site_frame(market_data_dir, "688041")


@pytest.fixture
def seeded(tmp_path: Path, site: pd.DataFrame) -> Cache:
    """A cache holding 688041's valuation as the site published it on 2024-09-30."""
    cache = Cache(tmp_path / "data_cache")
    with responses.RequestsMock() as mock:
        mock.get(pay.VALUE_URL, json=pay.value_em_rows(site.loc[: pd.Timestamp(CUT)]))
        [result] = update_cache(cache, RecordingLive(), [_valuation_target("688041")], today=CUT)
    assert result.status == NEW, result.message
    return cache


def test_update_stores_the_valuation_of_a_star_name(seeded: Cache, site, market_data_dir):
    store = open_store(seeded.root)
    stored = store.valuation("688041")
    pd.testing.assert_frame_equal(stored, _expected(site, CUT), check_freq=False)
    # pinned against the CSV directly: close 2024-06-07 / EPS 0.5, and a loss year
    raw = pd.read_csv(market_data_dir / "stock/akshare/688041.csv", index_col="日期")
    day = store.valuation("688041", start=dt.date(2024, 6, 7), end=dt.date(2024, 6, 7))
    assert day["pe_ttm"].iloc[0] == pytest.approx(raw.loc["2024-06-07", "收盘"] / 0.5)
    assert stored.loc["2023-06-05", "pe_ttm"] == pytest.approx(raw.loc["2023-06-05", "收盘"] / -0.8)
    assert stored.loc["2023-06-05", "pe_ttm"] < 0  # a loss: kept, negative
    assert np.isnan(stored.loc[NO_PE_DAY, "pe_ttm"])  # missing, not 0
    assert stored.loc[NO_PE_DAY, "pb"] > 0
    source = store.valuation_source("688041")
    assert source is not None and source.meta.kind is SeriesKind.VALUATION
    assert (source.meta.source, source.meta.last) == ("akshare", CUT)
    assert store.verify() == {}  # written as a checksummed segment like any bars
    with pytest.raises(ValueError, match="valuation"):
        store.bars("688041", kind=SeriesKind.VALUATION)


@responses.activate
def test_second_update_appends_only_the_tail(seeded: Cache, site: pd.DataFrame) -> None:
    revised = site.copy()
    revised.loc[pd.Timestamp(CUT), "pe_ttm"] *= 2  # the site rewrote the overlap day
    serve({"688041": pay.value_em_rows(revised.loc[: pd.Timestamp(TODAY)])})
    live = RecordingLive()
    [result] = update_cache(seeded, live, [_valuation_target("688041")], today=TODAY)
    tail = site.loc[pd.Timestamp(CUT) + pd.Timedelta(days=1) : pd.Timestamp(TODAY)]
    assert (result.status, result.rows_added) == (APPENDED, len(tail)) and len(tail) == 61
    assert "revised 1 cached day" in result.message
    assert live.asked == [("688041", CUT, TODAY)]  # asked from the last cached day on
    stored = open_store(seeded.root).valuation("688041")
    # cached days are kept as first seen (point-in-time), the tail is appended
    pd.testing.assert_frame_equal(stored, _expected(site, TODAY), check_freq=False)
    calls = len(responses.calls)
    [again] = update_cache(seeded, live, [_valuation_target("688041")], today=TODAY)
    assert again.status == UP_TO_DATE and len(responses.calls) == calls  # no request


def _renamed(answer: dict) -> dict:
    for row in answer["result"]["data"]:
        row["PE_TTM_NEW"] = row.pop("PE_TTM")
    return answer


def _text(answer: dict) -> dict:
    for row in answer["result"]["data"]:
        row["PE_TTM"], row["PB_MRQ"] = "n/a", "n/a"
    return answer


@pytest.mark.parametrize(
    ("change", "message"),
    [(_renamed, r"field .*PE\(TTM\).*site changed"), (_text, "not a single PE or PB value")],
)
@responses.activate
def test_a_schema_change_fails_that_name_and_leaves_the_cache(
    seeded: Cache, site: pd.DataFrame, market_data_dir: Path, change, message: str
) -> None:
    before = open_store(seeded.root).entries()
    other = site_frame(market_data_dir, "688047")
    serve(
        {
            "688041": change(pay.value_em_rows(site.loc[: pd.Timestamp(TODAY)])),
            "688047": pay.value_em_rows(other.loc[: pd.Timestamp(TODAY)]),
        }
    )
    targets = [_valuation_target("688041"), _valuation_target("688047")]
    results = {r.code: r for r in update_cache(seeded, RecordingLive(), targets, today=TODAY)}
    assert results["688041"].status == FAILED
    assert re.search(message, results["688041"].message), results["688041"].message
    assert results["688047"].status == NEW  # the other name went on
    store = open_store(seeded.root)
    assert [e for e in store.entries() if e.meta.code == "688041"] == before  # untouched
    pd.testing.assert_frame_equal(
        store.valuation("688047"), _expected(other, TODAY), check_freq=False
    )


def test_status_json_lists_valuation_apart_from_bars(
    seeded: Cache, shared_provider: InMemoryProvider
) -> None:
    bars = next(s for s in shared_provider.sources("688041") if s.meta.source == "akshare")
    with seeded.writing() as writer:
        writer.put([bars])
    result = CliRunner().invoke(
        app, ["data", "status", "--json", "--workspace", str(seeded.root.parent)]
    )
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert [(r["code"], r["kind"]) for r in payload["series"]] == [("688041", "stock")]
    [valuation] = payload["valuation"]
    assert (valuation["code"], valuation["kind"], valuation["source"]) == (
        "688041",
        "valuation",
        "akshare",
    )
    assert valuation["last"] == CUT.isoformat()
    assert valuation["rows"] == len(open_store(seeded.root).valuation("688041"))


def _akshare_valuation(code: str, frame: pd.DataFrame) -> Series:
    meta = meta_for(
        frame,
        code=code,
        kind=SeriesKind.VALUATION,
        source="akshare",
        adjust=Adjust.NONE,
        retrieved_at=dt.datetime(2026, 3, 20),
    )
    return Series(meta, frame)


def test_preference_baostock_columns_first_unless_akshare_covers_more(
    tmp_path: Path, shared_provider: InMemoryProvider, market_data_dir: Path
) -> None:
    """Equal coverage: baostock's peTTM (computed on the closes bars() serves) wins; a
    window only akshare's valuation series reaches is served from it. Never mixed."""
    baostock = next(s for s in shared_provider.sources("300496") if s.meta.source == "baostock")
    raw = pd.read_csv(market_data_dir / "stock/baostock/sz.300496.csv", index_col="date")
    last = baostock.meta.last  # 2026-03-13
    same_span = baostock.frame[["pe_ttm", "pb"]] * 1.01  # distinguishable values
    cache = Cache(tmp_path / "data_cache")
    with cache.writing() as writer:
        writer.put([baostock, _akshare_valuation("300496", same_span)])
    store = open_store(cache.root)
    assert store.valuation_source("300496").meta.source == "baostock"  # type: ignore[union-attr]
    day = store.valuation("300496", start=dt.date(2023, 6, 5), end=dt.date(2023, 6, 5))
    assert day["pe_ttm"].iloc[0] == pytest.approx(raw.loc["2023-06-05", "peTTM"]) == 58.416815

    longer = pd.concat(
        [same_span, pd.DataFrame({"pe_ttm": [70.0], "pb": [3.5]}, [pd.Timestamp("2026-03-16")])]
    )
    longer.index.name = "date"
    with cache.writing() as writer:
        writer.put([_akshare_valuation("300496", longer)])
    store = open_store(cache.root)
    assert last < dt.date(2026, 3, 16)
    whole = store.valuation("300496")  # to the latest day any source has: akshare's
    assert whole.index[-1] == pd.Timestamp("2026-03-16") and whole["pe_ttm"].iloc[-1] == 70.0
    assert whole.loc["2023-06-05", "pe_ttm"] == pytest.approx(58.416815 * 1.01)  # not mixed
    inside = store.valuation("300496", end=dt.date(2025, 12, 31))  # both cover: baostock
    assert inside.loc["2023-06-05", "pe_ttm"] == pytest.approx(58.416815)
    assert store.valuation_source("300496", end=last).meta.source == "baostock"  # type: ignore[union-attr]


_DAYS = pd.DatetimeIndex(["2024-06-07", "2024-06-11", "2024-06-12"], name="date")


@pytest.mark.parametrize(
    ("pe", "index", "match"),
    [
        ([1.0, "abc", 2.0], _DAYS, r"x:3: field pe_ttm: value 'abc' is not a finite number"),
        ([1.0, np.inf, 2.0], _DAYS, r"x:3: field pe_ttm: value 'inf'"),
        ([1.0, 2.0, 3.0], _DAYS[[0, 2, 1]], r"x:4: field date: .*not after"),
        ([1.0, 2.0, 3.0], _DAYS[[0, 1, 1]], r"x:4: field date"),
        ([np.nan, None, np.nan], _DAYS, "not a single PE or PB value"),
    ],
)
def test_valuation_frames_are_validated(pe, index, match: str) -> None:
    pb = [np.nan] * 3 if match.startswith("not a single") else [1.0, 1.1, 1.2]
    frame = pd.DataFrame({"pe_ttm": pe, "pb": pb}, index=index)
    with pytest.raises(InputError, match=match):
        validate_valuation(frame, source="x")


def test_valid_valuation_keeps_losses_and_gaps() -> None:
    frame = pd.DataFrame({"pe_ttm": [-35.2, None, 12.0], "pb": [0.8, 0.9, None]}, index=_DAYS)
    out = validate_valuation(frame, source="x")
    assert out["pe_ttm"].iloc[0] == -35.2 and out.isna().sum().tolist() == [1, 1]


@responses.activate
def test_valuation_http_5xx_is_retried_then_a_fetch_error() -> None:
    waits: list[float] = []
    responses.get(pay.VALUE_URL, body="<html>502 Bad Gateway</html>", status=502)
    live = AkshareLive(retries=3, backoff=2.0, sleep=waits.append)
    with pytest.raises(FetchError, match=r"stock_value_em\(symbol='688041'\) failed 3 times"):
        live.valuation("688041")
    assert waits == [2.0, 4.0]
