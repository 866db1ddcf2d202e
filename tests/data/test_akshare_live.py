"""The live akshare provider, offline: real akshare code, HTTP answered by `responses`."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest
import requests
import responses

from coverbt.data.akshare_live import AkshareLive
from coverbt.data.schema import Adjust, SeriesKind
from coverbt.data.trading_calendar import trading_days
from coverbt.data.vendor import parse_vendor_csv
from coverbt.errors import FetchError, InputError
from tests.data import akshare_payloads as pay

START, END = dt.date(2024, 6, 7), dt.date(2024, 12, 31)


@pytest.fixture(autouse=True)
def _instant(no_akshare_sleep: None) -> None:
    """Every test here runs akshare's real code with its sleeps stubbed."""


def _file_series(path: Path):
    return parse_vendor_csv(path.read_text(encoding="utf-8-sig"), str(path)).between(START, END)


@responses.activate
def test_stock_bars_match_the_vendor_file(live: AkshareLive, market_data_dir: Path) -> None:
    csv = market_data_dir / "stock/akshare/600570.csv"
    responses.get(pay.KLINE_URL, json=pay.stock_klines(csv, "2024-06-07", "2024-12-31"))
    series = live.bars("600570", adjust=Adjust.QFQ, start=START, end=END)
    expected = _file_series(csv)
    pd.testing.assert_frame_equal(series.frame, expected.frame)
    assert series.meta.source == "akshare" and series.meta.adjust is Adjust.QFQ
    sent = responses.calls[0].request.url or ""
    assert "secid=1.600570" in sent and "fqt=1" in sent and "beg=20240607" in sent


@responses.activate
def test_hfq_and_raw_are_asked_for_and_labelled(live: AkshareLive, market_data_dir: Path):
    csv = market_data_dir / "stock/akshare/600570.csv"
    responses.get(pay.KLINE_URL, json=pay.stock_klines(csv, "2024-06-07", "2024-06-30"))
    assert live.bars("600570", adjust=Adjust.HFQ, start=START).meta.adjust is Adjust.HFQ
    assert live.bars("600570", adjust=Adjust.NONE, start=START).meta.adjust is Adjust.NONE
    assert "fqt=2" in (responses.calls[0].request.url or "")
    assert "fqt=0" in (responses.calls[1].request.url or "")


@responses.activate
def test_csi300_from_eastmoney_index_klines(live: AkshareLive, market_data_dir: Path) -> None:
    csv = market_data_dir / "index/csi300_000300.csv"
    responses.get(pay.CLIST_URL, json=pay.clist("000300", 1))
    responses.get(pay.KLINE_URL, json=pay.index_klines(csv, "2024-01-01", "2025-03-01"))
    series = live.bars("000300", kind=SeriesKind.INDEX, start=START, end=END)
    expected = _file_series(csv)
    assert series.meta.kind is SeriesKind.INDEX and len(series.frame) == 140
    for column in ("open", "high", "low", "close", "amount", "volume"):
        assert series.frame[column].to_numpy() == pytest.approx(expected.frame[column].to_numpy())


@responses.activate
def test_shenwan_computer_index(live: AkshareLive, market_data_dir: Path) -> None:
    csv = market_data_dir / "index/sw_computer_801750.csv"
    responses.get(pay.SW_URL, json=pay.sw_trend(csv))
    series = live.bars("801750", kind=SeriesKind.INDEX, start=START, end=END)
    pd.testing.assert_frame_equal(series.frame, _file_series(csv).frame)


@responses.activate
def test_valuation_sorted_and_renamed(live: AkshareLive, market_data_dir: Path) -> None:
    responses.get(
        pay.VALUE_URL, json=pay.value_em(market_data_dir / "stock/baostock/sz.300496.csv")
    )
    frame = live.valuation("300496", start=dt.date(2023, 6, 5), end=dt.date(2023, 6, 6))
    assert list(frame.columns) == ["pe_ttm", "pb"]
    assert frame["pe_ttm"].tolist() == pytest.approx([58.416815, 55.114512])
    assert frame["pb"].iloc[0] == pytest.approx(4.985975)


@responses.activate
def test_timeouts_are_retried_with_backoff(live: AkshareLive, waits: list[float], market_data_dir):
    csv = market_data_dir / "stock/akshare/600570.csv"
    responses.get(pay.KLINE_URL, body=requests.exceptions.ReadTimeout("read timed out"))
    responses.get(pay.KLINE_URL, body=requests.exceptions.ConnectTimeout("connect timed out"))
    responses.get(pay.KLINE_URL, json=pay.stock_klines(csv, "2024-06-07", "2024-06-30"))
    series = live.bars("600570", start=START, end=dt.date(2024, 6, 30))
    assert series.meta.rows == len(trading_days("2024-06-07", "2024-06-30")) == 15
    assert waits == [2.0, 4.0]


@responses.activate
def test_http_5xx_ends_in_a_fetch_error(live: AkshareLive, waits: list[float]) -> None:
    responses.get(pay.KLINE_URL, body="<html>502 Bad Gateway</html>", status=502)
    with pytest.raises(FetchError, match=r"stock_zh_a_hist\(symbol='600570'.*failed 3 times"):
        live.bars("600570", start=START, end=END)
    assert len(responses.calls) == 3 and waits == [2.0, 4.0]


@responses.activate
def test_empty_answer_of_a_banned_ip(live: AkshareLive) -> None:
    responses.get(pay.KLINE_URL, json={"rc": 102, "data": None})
    with pytest.raises(FetchError, match="rate-limiting this IP"):
        live.bars("600570", start=START, end=END)
    assert len(responses.calls) == 3


@responses.activate
def test_a_dropped_kline_field_is_a_schema_error(live: AkshareLive, market_data_dir: Path):
    answer = pay.stock_klines(
        market_data_dir / "stock/akshare/600570.csv", "2024-06-07", "2024-06-30"
    )
    answer["data"]["klines"] = [k.rsplit(",", 1)[0] for k in answer["data"]["klines"]]
    responses.get(pay.KLINE_URL, json=answer)
    with pytest.raises(InputError, match=r"akshare:stock_zh_a_hist.*site changed") as err:
        live.bars("600570", start=START, end=END)
    assert err.value.exit_code == 2 and len(responses.calls) == 1  # not retried


@responses.activate
def test_a_renamed_valuation_field_is_named(live: AkshareLive, market_data_dir: Path) -> None:
    answer = pay.value_em(market_data_dir / "stock/baostock/sz.300496.csv")
    for row in answer["result"]["data"]:
        row["PE_TTM_NEW"] = row.pop("PE_TTM")
    responses.get(pay.VALUE_URL, json=answer)
    with pytest.raises(InputError, match=r"akshare:stock_value_em: field .*PE\(TTM\)"):
        live.valuation("300496")


@responses.activate
def test_shifted_columns_are_caught_by_validation(live: AkshareLive, market_data_dir: Path):
    """The site swaps high and close: akshare labels by position, validation notices."""
    answer = pay.stock_klines(
        market_data_dir / "stock/akshare/600570.csv", "2024-06-07", "2024-06-30"
    )
    swapped = []
    for line in answer["data"]["klines"]:
        f = line.split(",")
        f[2], f[3] = f[3], f[2]
        swapped.append(",".join(f))
    answer["data"]["klines"] = swapped
    responses.get(pay.KLINE_URL, json=answer)
    with pytest.raises(InputError, match=r"akshare:stock_zh_a_hist\(600570, qfq\):\d+: field"):
        live.bars("600570", start=START, end=END)


class _FakeApi:
    """Stands in for akshare where the site's answer is script (sina's calendar is
    JS-encoded and decoded by py_mini_racer) or Excel (SZSE's list): frames shaped like
    akshare's return values."""

    def __init__(self, frames: dict[str, pd.DataFrame]) -> None:
        self.frames = frames

    def __getattr__(self, name: str):
        return lambda **_kw: self.frames[name]


def test_calendar_and_code_names_are_validated() -> None:
    days = pd.DataFrame({"trade_date": [dt.date(2024, 6, 7), dt.date(2024, 6, 11)]})
    names = pd.DataFrame({"code": ["600570", "300496"], "name": ["恒生电子", "中科创达"]})
    live = AkshareLive(
        _FakeApi({"tool_trade_date_hist_sina": days, "stock_info_a_code_name": names})
    )
    assert list(live.calendar(START, END).strftime("%Y-%m-%d")) == ["2024-06-07", "2024-06-11"]
    assert live.code_names()["name"].tolist() == ["恒生电子", "中科创达"]
    bad = AkshareLive(_FakeApi({"stock_info_a_code_name": names.rename(columns={"name": "简称"})}))
    with pytest.raises(InputError, match="stock_info_a_code_name: field name"):
        bad.code_names()
    odd = AkshareLive(_FakeApi({"tool_trade_date_hist_sina": days.iloc[::-1]}))
    with pytest.raises(InputError, match="strictly increasing"):
        odd.calendar(START, END)
