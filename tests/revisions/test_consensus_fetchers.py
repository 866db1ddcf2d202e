"""akshare consensus fetchers, offline: HTTP intercepted with ``responses``.

Payloads are shaped like the real sites as akshare 1.19.5 reads them (同花顺 worth page:
GBK HTML tables; 东方财富 datacenter and report APIs: JSON).
"""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest
import requests
import responses

from coverbt.errors import FetchError, FetchFailure, InputError
from coverbt.revisions import consensus
from coverbt.revisions.ledger import Ledger
from coverbt.revisions.service import take_snapshot
from tests.data.network_errors import dns_failure

TODAY = dt.date(2025, 6, 30)  # FY1 = 2025: the 2024 annual reports are out
THS_URL = "https://basic.10jqka.com.cn/new/{code}/worth.html"
EM_URL = "https://datacenter-web.eastmoney.com/api/data/v1/get"
REPORT_URL = "https://reportapi.eastmoney.com/report/list"


def _ths_page(mean_header: str = "均值") -> bytes:
    def table(rows: list[tuple]) -> str:
        head = "".join(
            f"<th>{h}</th>"
            for h in ("年度", "预测机构数", "最小值", mean_header, "最大值", "行业平均数")
        )
        body = "".join("<tr>" + "".join(f"<td>{v}</td>" for v in r) + "</tr>" for r in rows)
        return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"

    eps = table([(2024, 20, 0.70, 0.80, 0.90, 1.1), (2025, 22, 0.85, 0.98, 1.10, 1.3),
                 (2026, 18, 1.00, 1.17, 1.35, 1.5)])  # fmt: skip
    profit = table([(2024, 20, 13.1, 15.2, 17.0, 9.0), (2025, 22, 16.0, 18.6, 21.0, 10.0),
                    (2026, 18, 19.0, 22.2, 25.5, 11.0)])  # fmt: skip
    html = f"<html><body><p>盈利预测</p>{eps}{profit}</body></html>"
    return html.encode("gbk")


def _em_row(code: str, name: str, eps: tuple[float, float, float, float]) -> dict:
    row = {"SECUCODE": f"{code}.SH", "SECURITY_CODE": code, "SECURITY_NAME_ABBR": name,
           "RATING_ORG_NUM": 25, "RATING_BUY_NUM": 15, "RATING_ADD_NUM": 8,
           "RATING_NEUTRAL_NUM": 2, "RATING_REDUCE_NUM": None, "RATING_SALE_NUM": None}  # fmt: skip
    for i, (year, value) in enumerate(zip((2024, 2025, 2026, 2027), eps, strict=True), start=1):
        row |= {f"YEAR{i}": year, f"YEAR_MARK{i}": "A" if i == 1 else "E", f"EPS{i}": value}
    row |= {"INDUSTRY_BOARD": "软件开发", "INDUSTRY_BOARD_CODE": "BK0737",
            "DEC_AIMPRICEMAX": 35.0, "DEC_AIMPRICEMIN": 22.0, "RATING_LONG_NUM": 23,
            "CONCEPT_BOARD": "金融科技", "REGION_BOARD": "浙江板块", "REGION_BOARD_CODE": "BK0169",
            "TRADE_MARKET": "上交所主板", "TRADE_MARKET_CODE": "069001001001"}  # fmt: skip
    return row


def _em_payload(rows: list[dict]) -> dict:
    return {"version": "x", "result": {"pages": 1, "data": rows, "count": len(rows)},
            "success": True, "message": "ok", "code": 0}  # fmt: skip


def _report(org: str, date: str, eps: tuple) -> dict:
    return {"title": "点评", "stockName": "恒生电子", "stockCode": "600570", "orgCode": "80000031",
            "orgName": org + "股份有限公司", "orgSName": org, "publishDate": f"{date} 00:00:00.000",
            "infoCode": "AP2025" + date.replace("-", ""), "column": "", "emRatingName": "买入",
            "indvInduName": "软件开发", "count": 6,
            "predictThisYearEps": eps[0], "predictThisYearPe": 30.0,
            "predictNextYearEps": eps[1], "predictNextYearPe": 25.0,
            "predictNextTwoYearEps": eps[2], "predictNextTwoYearPe": 21.0}  # fmt: skip


def _report_payload(rows: list[dict]) -> dict:
    return {"hits": len(rows), "size": 5000, "data": rows, "TotalPage": 1 if rows else 0,
            "pageNo": 1, "currentYear": 2025}  # fmt: skip


@responses.activate
def test_ths_success_gives_mean_eps_and_net_profit_in_cny():
    responses.get(THS_URL.format(code="600570"), body=_ths_page())
    records = consensus.ths_records("600570", TODAY)
    by_year = {r.fiscal_year: r for r in records}
    assert sorted(by_year) == [2025, 2026]  # 2024 is already an actual year on TODAY
    assert by_year[2025].eps == 0.98
    assert by_year[2025].net_profit == pytest.approx(18.6e8)
    assert {r.source for r in records} == {"ths_consensus"}
    assert {r.as_of for r in records} == {TODAY}


@responses.activate
def test_ths_schema_change_names_function_and_field():
    responses.get(THS_URL.format(code="600570"), body=_ths_page(mean_header="平均值"))
    with pytest.raises(InputError) as info:
        consensus.ths_records("600570", TODAY)
    assert "akshare:stock_profit_forecast_ths" in str(info.value)
    assert info.value.field == "均值"


@responses.activate
def test_ths_no_forecast_is_empty_not_an_error():
    page = "<html><body>本年度暂无机构做出业绩预测<table><tr><td>x</td></tr></table></body></html>"
    responses.get(THS_URL.format(code="688631"), body=page.encode("gbk"))
    assert consensus.ths_records("688631", TODAY) == []


@responses.activate
def test_em_consensus_success_filters_codes_and_drops_actual_year():
    rows = [_em_row("600570", "恒生电子", (0.55, 0.70, 0.82, 0.95)),
            _em_row("600519", "贵州茅台", (68.6, 72.0, 77.0, 82.0))]  # fmt: skip
    responses.get(EM_URL, json=_em_payload(rows))
    records = consensus.em_consensus_records(["600570"], TODAY)
    assert {(r.code, r.fiscal_year, r.eps) for r in records} == {
        ("600570", 2025, 0.70), ("600570", 2026, 0.82), ("600570", 2027, 0.95)
    }  # fmt: skip


@responses.activate
def test_em_consensus_shifted_columns_are_caught():
    # the site sends the name before the code: akshare names columns by position and
    # would label the names 代码 without complaint
    row = _em_row("600570", "恒生电子", (0.55, 0.70, 0.82, 0.95))
    order = ["SECUCODE", "SECURITY_NAME_ABBR", "SECURITY_CODE"]
    swapped = {k: row[k] for k in order} | {k: v for k, v in row.items() if k not in order}
    responses.get(EM_URL, json=_em_payload([swapped]))
    with pytest.raises(InputError) as info:
        consensus.em_consensus_records(["600570"], TODAY)
    assert info.value.field == "代码"
    assert "stock_profit_forecast_em" in str(info.value)


@responses.activate
def test_em_consensus_added_field_is_caught():
    row = _em_row("600570", "恒生电子", (0.55, 0.70, 0.82, 0.95)) | {"NEW_FIELD": 1}
    responses.get(EM_URL, json=_em_payload([row]))
    with pytest.raises(InputError, match="stock_profit_forecast_em"):
        consensus.em_consensus_records(["600570"], TODAY)


@responses.activate
def test_em_consensus_empty_reply_is_an_error():
    responses.get(EM_URL, json={"result": None, "success": False, "message": "返回数据为空"})
    with pytest.raises(InputError, match="stock_profit_forecast_em"):
        consensus.em_consensus_records(["600570"], TODAY)


@responses.activate
def test_em_reports_one_record_per_broker_date_and_year():
    rows = [_report("中信证券", "2025-04-28", (0.71, 0.83, 0.96)),
            _report("华泰证券", "2025-03-30", (0.69, 0.80, 0.93)),
            _report("国泰君安", "2024-10-30", (0.60, 0.72, 0.85))]  # fmt: skip
    responses.get(REPORT_URL, json=_report_payload(rows))
    records = consensus.em_report_records("600570", TODAY)
    got = {(r.source, r.as_of, r.fiscal_year, r.eps) for r in records}
    assert ("em_report:中信证券", dt.date(2025, 4, 28), 2025, 0.71) in got
    assert ("em_report:华泰证券", dt.date(2025, 3, 30), 2027, 0.93) in got
    assert not any(r.source == "em_report:国泰君安" for r in records)  # 2024: unverifiable
    assert {r.rating for r in records} == {"买入"}
    assert len(records) == 6


@responses.activate
def test_em_reports_empty_and_schema_change():
    responses.get(REPORT_URL, json=_report_payload([]))
    assert consensus.em_report_records("688631", TODAY) == []
    responses.replace(
        responses.GET, REPORT_URL, json={k: v for k, v in _report_payload([
            _report("中信证券", "2025-04-28", (0.71, 0.83, 0.96))]).items() if k != "currentYear"}
    )  # fmt: skip
    with pytest.raises(InputError, match="stock_research_report_em"):
        consensus.em_report_records("600570", TODAY)


@responses.activate
def test_network_failure_is_a_fetch_error():
    responses.get(THS_URL.format(code="600570"), body=requests.ConnectionError("offline"))
    with pytest.raises(FetchError, match="stock_profit_forecast_ths"):
        consensus.ths_records("600570", TODAY)


@responses.activate
def test_snapshot_stores_what_it_can_and_reports_the_rest(tmp_path):
    responses.get(THS_URL.format(code="600570"), body=_ths_page())
    responses.get(REPORT_URL, json=_report_payload([_report("中信证券", "2025-04-28",
                                                             (0.71, 0.83, 0.96))]))  # fmt: skip
    responses.get(EM_URL, json={"result": None, "success": False})
    ledger = Ledger(tmp_path / "ledger.duckdb")
    result = take_snapshot(ledger, ["600570"], TODAY)
    assert result.records == 2 + 3
    assert result.summary.new_keys == 5
    assert len(result.problems) == 1 and "em_consensus" in result.problems[0]
    schema, detail = result.failure_lines()
    assert schema.startswith("schema: the answer changed shape for 1 request:")
    assert detail == result.problems[0]  # it names the function: shown as it is
    again = take_snapshot(ledger, ["600570"], TODAY)
    assert again.summary.added == 0  # the same day twice adds nothing
    assert json.dumps(sorted(ledger.rows()["source"].unique()), ensure_ascii=False) == (
        '["em_report:中信证券", "ths_consensus"]'
    )


@responses.activate
def test_snapshot_without_dns_fails_fast_with_one_line(tmp_path):
    """No DNS: two sites fail once each, the run's circuit opens, the other requests are
    not sent; the problems sum up in one line."""
    for host in ("basic.10jqka.com.cn", "reportapi.eastmoney.com", "datacenter-web.eastmoney.com"):
        responses.get(re.compile(f"https://{re.escape(host)}/.*"), body=dns_failure(host))
    codes = ["600570", "300496", "603019"]
    result = take_snapshot(Ledger(tmp_path / "ledger.duckdb"), codes, TODAY)
    assert result.records == 0 and len(result.problems) == 2 * len(codes) + 1
    assert len(responses.calls) == 2
    assert result.failure_lines() == [
        "network: DNS lookup failed for 7 requests (basic.10jqka.com.cn, "
        "reportapi.eastmoney.com; 5 not tried after that): no route to the vendors. Fix: "
        "check the connection, or run with --offline"
    ]
    assert [(f, tried) for f, _host, tried in result.failures] == [(FetchFailure.DNS, True)] * 2 + [
        (FetchFailure.DNS, False)
    ] * 5
