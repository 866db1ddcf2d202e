"""The two akshare feeds, offline: real akshare code, HTTP answered by ``responses``.

东方财富 (``stock_research_report_em``, one request per stock) and 巨潮
(``stock_rank_forecast_cninfo``, one request per session) through :class:`FeedRun`:
events as the rows mean them, resumable, rate-limited, incremental, raw answers kept, a
changed answer refused with nothing stored.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import responses

from coverbt.data.akshare_live import AkshareLive
from coverbt.errors import FetchError, FetchFailure, InputError
from coverbt.events.feeds import fetch_cninfo, fetch_em
from coverbt.events.fetchrun import RAW_DIR, FeedRun, RateLimit, RunSummary, Unit, payload_frame
from coverbt.events.model import analysts_of, forecasts_of
from coverbt.events.store import EventStore
from tests.data.network_errors import dns_failure
from tests.events import payloads as pay
from tests.fake_clock import FakeClock

TODAY = dt.date(2024, 6, 28)  # a Friday
NOW = dt.datetime(2024, 6, 28, 20, 0)
MONDAY = "2024-06-24"


def _em(
    org: str,
    date: str,
    rating: str,
    eps: tuple[float, float, float],
    code: str = "600570",
    **kw: Any,
) -> dict[str, Any]:
    return pay.em_record(code, "恒生电子", org, date, rating, eps, **kw)


def _run_em(store: EventStore, codes: list[str], live: AkshareLive, **kw: Any) -> RunSummary:
    kw.setdefault("limit", RateLimit(0.0))
    return fetch_em(store, store.path.parent, codes, live=live, today=TODAY, now=lambda: NOW, **kw)


def _run_cninfo(
    store: EventStore, live: AkshareLive, since: str = MONDAY, until: str = MONDAY, **kw: Any
) -> RunSummary:
    return fetch_cninfo(
        store,
        store.path.parent,
        dt.date.fromisoformat(since),
        dt.date.fromisoformat(until),
        live=live,
        limit=RateLimit(0.0),
        now=lambda: NOW,
        **kw,
    )


def _asked(key: str) -> list[str]:
    """The ``key`` parameter of every request sent so far."""
    return [call.request.params[key] for call in responses.calls]  # type: ignore[union-attr]


def _by_broker(store: EventStore) -> dict[str, pd.Series]:
    return {row["broker"]: row for _, row in store.current().iterrows()}


def _limit(clock: FakeClock, interval: float) -> RateLimit:
    return RateLimit(interval, clock=clock, sleep=clock.sleep)


def _staged(store: EventStore, function: str) -> list[Path]:
    return sorted((store.path.parent / RAW_DIR / function).glob("*.json"))


# --- 东方财富 ---------------------------------------------------------------------------------


@responses.activate
def test_em_reports_of_several_brokers_become_events(store: EventStore, live: AkshareLive):
    pay.serve_em(
        "600570",
        [
            _em("中信证券", "2024-06-20", "买入", (0.91, 1.11, 1.32), pe=(33.0, 27.1, 22.8)),
            _em("华泰证券", "2024-05-06", "增持", (0.88, 1.05, 1.25)),
            _em("国泰君安", "2024-05-10", "", (0.90, 1.10, 1.30)),  # no rating: no rating event
        ],
    )
    summary = _run_em(store, ["600570"], live)
    assert (summary.asked, summary.fetched, summary.events) == (1, 1, 2)
    assert _asked("code") == ["600570", "600570"]  # akshare asks for the page count first
    got = _by_broker(store)
    assert set(got) == {"中信证券", "华泰证券"}
    citic = got["中信证券"]
    assert (citic["source"], citic["code"], citic["name"]) == ("akshare_em", "600570", "恒生电子")
    assert (citic["label"], citic["scale"], citic["industry"]) == ("买入", "eastmoney", "软件开发")
    assert citic["published"] == pd.Timestamp("2024-06-20")
    assert citic["report_id"] == "AP20240620600570" + f"{sum(map(ord, '中信证券')) % 1000:03d}"
    assert forecasts_of(citic["eps"]) == {2024: 0.91, 2025: 1.11, 2026: 1.32}
    assert forecasts_of(citic["pe"]) == {2024: 33.0, 2025: 27.1, 2026: 22.8}
    assert analysts_of(citic["analysts"]) == []  # akshare does not return them
    assert got["华泰证券"]["label"] == "增持"


@responses.activate
def test_em_forecast_years_are_those_of_each_report_not_akshares_labels(
    store: EventStore, live: AkshareLive
) -> None:
    """ak#5515: fetched in 2024, akshare labels every row's forecasts 2024/2025/2026."""
    pay.serve_em(
        "600570",
        [
            _em("中信证券", "2023-08-28", "买入", (0.75, 0.91, 1.11)),  # FY2023..FY2025
            _em("华泰证券", "2024-03-29", "增持", (0.80, 0.95, 1.15)),  # 2023 annual not yet due
            _em("国泰君安", "2024-06-20", "买入", (0.92, 1.12, 1.33)),  # FY2024..FY2026
        ],
        current_year=2024,
    )
    _run_em(store, ["600570"], live)
    got = _by_broker(store)
    assert forecasts_of(got["中信证券"]["eps"]) == {2023: 0.75, 2024: 0.91, 2025: 1.11}
    assert forecasts_of(got["中信证券"]["pe"]) == {2023: 30.0, 2024: 25.0, 2025: 21.0}
    assert forecasts_of(got["华泰证券"]["eps"]) == {2023: 0.80, 2024: 0.95, 2025: 1.15}
    assert forecasts_of(got["国泰君安"]["eps"]) == {2024: 0.92, 2025: 1.12, 2026: 1.33}
    # akshare's labels survive only in the raw answer
    raw = payload_frame(store.raw_payloads()["payload"].iloc[0])
    assert [c for c in raw.columns if c.endswith("盈利预测-收益")] == [
        "2024-盈利预测-收益",
        "2025-盈利预测-收益",
        "2026-盈利预测-收益",
    ]
    assert raw.loc[raw["机构"] == "中信证券", "2024-盈利预测-收益"].tolist() == [0.75]


@responses.activate
def test_em_raw_answers_are_kept_beside_the_events(store: EventStore, live: AkshareLive):
    pay.serve_em("600570", [_em("中信证券", "2024-06-20", "买入", (0.91, 1.11, 1.32))])
    pay.serve_em("688631", [])  # a stock no report covers
    summary = _run_em(store, ["600570", "688631"], live)
    assert (summary.fetched, summary.events) == (2, 1)
    raw = store.raw_payloads().sort_values("args")
    assert raw["function"].tolist() == ["stock_research_report_em"] * 2
    assert [json.loads(a) for a in raw["args"]] == [
        {"as_of": "2024-06-28", "symbol": "600570"},
        {"as_of": "2024-06-28", "symbol": "688631"},
    ]
    assert set(raw["fetched_at"]) == {pd.Timestamp(NOW)}
    first = payload_frame(raw["payload"].iloc[0])
    assert (first["股票代码"].tolist(), first["东财评级"].tolist()) == (["600570"], ["买入"])
    assert payload_frame(raw["payload"].iloc[1]).empty
    assert _staged(store, "stock_research_report_em") == []  # stored: staging is emptied


@responses.activate
def test_em_a_second_run_asks_nothing_already_fetched(store: EventStore, live: AkshareLive):
    pay.serve_em("600570", [_em("中信证券", "2024-06-20", "买入", (0.91, 1.11, 1.32))])
    pay.serve_em("688631", [])
    _run_em(store, ["600570", "688631"], live)
    asked = len(responses.calls)
    again = _run_em(store, ["688631", "600570"], live)
    assert (again.skipped, again.fetched, len(responses.calls)) == (2, 0, asked)
    refreshed = _run_em(store, ["600570"], live, refresh=True)
    assert (refreshed.fetched, refreshed.stored.unchanged) == (1, 1)  # type: ignore[union-attr]
    assert len(responses.calls) == asked + 2
    assert len(store.rows()) == 1


@responses.activate
def test_em_an_interrupted_run_resumes_without_asking_again(store: EventStore, live: AkshareLive):
    pay.serve_em("600570", [_em("中信证券", "2024-06-20", "买入", (0.91, 1.11, 1.32))])
    pay.serve_em("300496", [_em("华泰证券", "2024-06-21", "增持", (1.5, 1.8, 2.2), code="300496")])
    pay.serve_em("002439", [], failure=dns_failure("reportapi.eastmoney.com"))
    with pytest.raises(FetchError, match=r"stock_research_report_em\(symbol='002439'\)"):
        _run_em(store, ["600570", "300496", "002439"], live)
    assert store.rows().empty and store.fetched("stock_research_report_em") == set()
    assert len(_staged(store, "stock_research_report_em")) == 2  # the answers so far
    responses.reset()
    pay.serve_em("002439", [_em("国泰君安", "2024-06-19", "买入", (0.5, 0.6, 0.7), code="002439")])
    later = AkshareLive(sleep=lambda _s: None)  # the next run: its DNS circuit is closed again
    summary = _run_em(store, ["600570", "300496", "002439"], later)
    assert _asked("code") == ["002439", "002439"]  # only the unit not yet answered
    assert (summary.from_staging, summary.fetched, summary.events) == (2, 1, 3)
    assert sorted(store.current()["code"]) == ["002439", "300496", "600570"]
    assert _staged(store, "stock_research_report_em") == []


@responses.activate
def test_em_requests_are_spaced_by_the_interval(store: EventStore, live: AkshareLive) -> None:
    fake_clock = FakeClock()
    for code in ("600570", "300496", "002439"):
        pay.serve_em(code, [])
    _run_em(store, ["600570", "300496", "002439"], live, limit=_limit(fake_clock, 1.5))
    assert fake_clock.waits == [1.5, 1.5]
    _run_em(store, ["600570", "300496", "002439"], live, limit=_limit(fake_clock, 1.5))
    assert fake_clock.waits == [1.5, 1.5]  # nothing asked: nothing waited


def test_a_request_that_took_time_counts_towards_the_interval(store: EventStore) -> None:
    fake_clock = FakeClock()
    started: list[float] = []

    def fetch(args: dict[str, Any]) -> pd.DataFrame:
        started.append(fake_clock.now)
        fake_clock.now += 0.5  # the site takes half a second to answer
        return pd.DataFrame({"x": [args["n"]]})

    run = FeedRun(
        store, store.path.parent, "f", fetch, lambda _f, _a: [], limit=_limit(fake_clock, 2.0)
    )
    run.run([Unit({"n": n}, str(n)) for n in range(3)], skip_stored=True, origin="test")
    assert fake_clock.waits == [1.5, 1.5]
    assert [b - a for a, b in itertools.pairwise(started)] == [2.0, 2.0]


def test_a_refresh_never_reuses_an_answer_staged_before_its_unit_was_stored(store: EventStore):
    asked: list[str] = []

    def fetch(args: dict[str, Any]) -> pd.DataFrame:
        if args["day"] == "offline":
            raise FetchError("offline", failure=FetchFailure.DNS)
        asked.append(args["day"])
        return pd.DataFrame({"answer": [len(asked)]})

    run = FeedRun(store, store.path.parent, "f", fetch, lambda _f, _a: [], limit=RateLimit(0))
    monday, offline = Unit({"day": MONDAY}, MONDAY), Unit({"day": "offline"}, "offline")
    run.run([monday], skip_stored=True, origin="test")
    with pytest.raises(FetchError):  # a refresh stopped after staging Monday's new answer
        run.run([monday, offline], skip_stored=False, origin="test")
    assert run.run([monday], skip_stored=True, origin="test").skipped == 1
    refreshed = run.run([monday], skip_stored=False, origin="test")
    assert (refreshed.fetched, refreshed.from_staging, asked) == (1, 0, [MONDAY] * 3)
    assert _staged(store, "f") == []


@responses.activate
def test_em_a_changed_answer_is_refused_and_nothing_is_stored(
    store: EventStore, live: AkshareLive
) -> None:
    pay.serve_em("300496", [_em("华泰证券", "2024-06-21", "增持", (1.5, 1.8, 2.2), code="300496")])
    _run_em(store, ["300496"], live)
    before = (store.rows(), store.raw_payloads(), store.fetched("stock_research_report_em"))
    renamed = _em("中信证券", "2024-06-20", "买入", (0.91, 1.11, 1.32), code="002439")
    renamed["ratingName"] = renamed.pop("emRatingName")  # the site renamed a field
    pay.serve_em("600570", [_em("中信证券", "2024-06-20", "买入", (0.91, 1.11, 1.32))])
    pay.serve_em("002439", [renamed])
    with pytest.raises(InputError) as caught:
        _run_em(store, ["600570", "002439"], live)
    assert "akshare:stock_research_report_em" in str(caught.value)
    assert "东财评级" in str(caught.value) and "upgrade akshare" in str(caught.value)
    pd.testing.assert_frame_equal(store.rows(), before[0])
    pd.testing.assert_frame_equal(store.raw_payloads(), before[1])
    assert store.fetched("stock_research_report_em") == before[2]
    assert len(_staged(store, "stock_research_report_em")) == 1  # 600570's answer, for later


@responses.activate
def test_em_a_lost_report_id_is_a_changed_answer_not_an_uncovered_stock(
    store: EventStore, live: AkshareLive
) -> None:
    record = _em("中信证券", "2024-06-20", "买入", (0.91, 1.11, 1.32))
    del record["infoCode"]  # akshare fails on it as on an empty list: they must differ
    pay.serve_em("600570", [record])
    with pytest.raises(InputError, match=r"akshare:stock_research_report_em: field infoCode"):
        _run_em(store, ["600570"], live)
    assert not store.path.exists() and store.fetched("stock_research_report_em") == set()


@responses.activate
def test_em_a_row_that_contradicts_the_request_is_refused(store: EventStore, live: AkshareLive):
    pay.serve_em(
        "600570",
        [
            _em("中信证券", "2024-06-20", "买入", (0.91, 1.11, 1.32)),
            _em("华泰证券", "2024-06-21", "增持", (1, 2, 3), code="600571"),
        ],
    )
    with pytest.raises(InputError) as caught:
        _run_em(store, ["600570"], live)
    error = caught.value
    assert (error.line, error.field) == (2, "股票代码")
    assert "'600571' is not the code asked for" in error.problem
    assert "nothing was stored" in str(error.fix)
    assert not store.path.exists()
    assert _staged(store, "stock_research_report_em") == []  # a bad answer is not kept


# --- 巨潮 ----------------------------------------------------------------------------------


def _cninfo(code: str, org: str, analysts: str, rating: str, *rest: Any, day: str = MONDAY,
            **kw: Any) -> dict[str, Any]:  # fmt: skip
    """A rating of 恒生电子's name on ``day`` (the rest as :func:`payloads.cninfo_record`)."""
    return pay.cninfo_record(code, "恒生电子", day, org, analysts, rating, *rest, **kw)


@responses.activate
def test_cninfo_ratings_keep_the_change_previous_rating_and_target(
    store: EventStore, live: AkshareLive
) -> None:
    pay.serve_cninfo(
        MONDAY,
        [
            _cninfo("600570", "中信证券", "张三,李四", "买入", "增持", "上调", (30.0, 35.5)),
            _cninfo("300496", "华泰证券", "王五", "增持", None, "", (None, 40.0), first="是"),
            _cninfo("002439", "中信证券", "张三,李四", "中性", "中性", "维持", (12.0, 12.0)),
            _cninfo("002439", "中信证券", "张三,李四", "中性", "中性", "维持", (12.5, 12.5)),
        ],
    )
    summary = _run_cninfo(store, live)
    assert _asked("tdate") == [MONDAY]
    assert (summary.fetched, summary.events) == (1, 4)
    rows = store.current().set_index("report_id")
    up = rows.loc["cninfo:2024-06-24:中信证券:张三,李四"].set_index("code").loc["600570"]
    assert (up["label"], up["previous_label"], up["rating_change"]) == ("买入", "增持", "上调")
    assert (up["target_low"], up["target_high"]) == (30.0, 35.5)
    assert analysts_of(up["analysts"]) == ["张三", "李四"]
    assert up["published"] == pd.Timestamp(MONDAY) and up["source"] == "akshare_cninfo"
    new = rows.loc["cninfo:2024-06-24:华泰证券:王五"]
    assert (new["rating_change"], pd.isna(new["previous_label"])) == ("首次", True)
    assert (new["target_low"], new["target_high"]) == (40.0, 40.0)  # one price given
    again = rows.loc["cninfo:2024-06-24:中信证券:张三,李四#2"]
    assert (again["code"], again["target_low"]) == ("002439", 12.5)


@responses.activate
def test_cninfo_asks_each_session_once(store: EventStore, live: AkshareLive) -> None:
    pay.serve_cninfo(
        "2024-06-21",
        [_cninfo("600570", "中信证券", "张三", "买入", "买入", "维持", day="2024-06-21")],
    )
    pay.serve_cninfo(MONDAY, [_cninfo("600570", "中信证券", "张三", "买入", "买入", "维持")])
    first = _run_cninfo(store, live, "2024-06-21", MONDAY)  # Friday to Monday
    assert (first.asked, first.events) == (2, 2)
    assert _asked("tdate") == ["2024-06-21", MONDAY]  # not the weekend
    again = _run_cninfo(store, live, "2024-06-21", MONDAY)
    assert (again.skipped, again.fetched, len(responses.calls)) == (2, 0, 2)
    refreshed = _run_cninfo(store, live, "2024-06-21", MONDAY, refresh=True)
    assert (refreshed.fetched, refreshed.stored.unchanged) == (2, 2)  # type: ignore[union-attr]
    assert len(store.rows()) == 2 and len(store.raw_payloads()) == 2


@pytest.mark.parametrize(
    ("change", "match"),
    [
        ("added", "akshare could not shape the answer.*Length mismatch"),
        (
            "reordered",
            r"\(date='20240624'\):1: field 证券代码: 证券代码 30.0 is not a 6-digit code",
        ),
    ],
)
@responses.activate
def test_cninfo_a_changed_answer_is_refused_and_nothing_is_stored(
    store: EventStore, live: AkshareLive, change: str, match: str
) -> None:
    pay.serve_cninfo(
        "2024-06-21",
        [_cninfo("600570", "中信证券", "张三", "买入", "买入", "维持", day="2024-06-21")],
    )
    _run_cninfo(store, live, "2024-06-21", "2024-06-21")
    before = (store.rows(), store.raw_payloads())
    record = _cninfo("600570", "中信证券", "张三", "买入", "增持", "上调", (30.0, 35.5))
    if change == "added":
        record["F011V"] = "新字段"
    else:  # the site lists the code first: akshare names the fields by position
        record = {"SECCODE": record.pop("SECCODE"), **record}
    pay.serve_cninfo(MONDAY, [record])
    with pytest.raises(InputError, match=match) as caught:
        _run_cninfo(store, live, MONDAY, MONDAY)
    assert "stock_rank_forecast_cninfo" in str(caught.value)
    pd.testing.assert_frame_equal(store.rows(), before[0])
    pd.testing.assert_frame_equal(store.raw_payloads(), before[1])
    assert store.fetched("stock_rank_forecast_cninfo") == {'{"date": "2024-06-21"}'}


@responses.activate
def test_cninfo_an_empty_session_is_a_refusal_not_a_changed_answer(
    store: EventStore, live: AkshareLive
) -> None:
    pay.serve_cninfo(MONDAY, [])
    with pytest.raises(FetchError, match="巨潮 listed no rating for 2024-06-24") as caught:
        _run_cninfo(store, live)
    assert (caught.value.failure, caught.value.host) == (FetchFailure.EMPTY, "webapi.cninfo.com.cn")
    assert not store.path.exists()
