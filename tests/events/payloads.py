"""HTTP answers shaped like the real sites', as akshare 1.19.5 reads them.

* ``stock_research_report_em`` GETs ``reportapi.eastmoney.com/report/list`` (twice: once
  for ``TotalPage``, then page 1). The answer: ``hits``, ``size``, ``data`` (the site's
  report records, field names as akshare renames them), ``TotalPage``, ``pageNo`` and
  ``currentYear``, which akshare uses to label the three forecast years of *every* row.
* ``stock_rank_forecast_cninfo`` POSTs ``webapi.cninfo.com.cn/api/sysapi/p_sysapi1089``;
  the answer's ``records`` hold the site's fields (SECCODE, SECNAME, DECLAREDATE, F002V
  broker, F003V analysts, F004V rating, F006V first rating, F007V change, F008V previous
  rating, F009N / F010N target low / high) in the order akshare names them by position.

The records are hand-written (no rating feed is in the offline snapshot); the stocks and
dates are the report's, so the events can be scored on the real bars. :func:`serve_em` and
:func:`serve_cninfo` register an answer with ``responses`` (inside ``@responses.activate``)
for the one request akshare sends for a stock or a day.
"""

from __future__ import annotations

from typing import Any

import responses
from responses import matchers

EM_URL = "https://reportapi.eastmoney.com/report/list"
CNINFO_URL = "http://webapi.cninfo.com.cn/api/sysapi/p_sysapi1089"


def em_record(
    code: str,
    name: str,
    org: str,
    date: str,
    rating: str,
    eps: tuple[float, float, float],
    pe: tuple[float, float, float] = (30.0, 25.0, 21.0),
    info: str | None = None,
) -> dict[str, Any]:
    """One report as the site lists it (every field akshare renames, in the site's order)."""
    code_info = info or f"AP{date.replace('-', '')}{code}{sum(map(ord, org)) % 1000:03d}"
    return {
        "title": f"{name}点评", "stockName": name, "stockCode": code, "orgCode": "80000031",
        "orgName": f"{org}股份有限公司", "orgSName": org, "publishDate": f"{date} 00:00:00.000",
        "infoCode": code_info, "column": "001001", "predictNextTwoYearEps": eps[2],
        "predictNextTwoYearPe": pe[2], "predictNextYearEps": eps[1], "predictNextYearPe": pe[1],
        "predictThisYearEps": eps[0], "predictThisYearPe": pe[0], "predictLastYearEps": None,
        "predictLastYearPe": None, "actualLastTwoYearEps": None, "actualLastYearEps": None,
        "industryCode": "1046", "industryName": "软件开发", "emIndustryCode": "737",
        "indvInduCode": "737", "indvInduName": "软件开发", "emRatingCode": "005",
        "emRatingValue": "1", "emRatingName": rating, "lastEmRatingCode": "005",
        "lastEmRatingValue": "1", "lastEmRatingName": rating, "ratingChange": 3,
        "reportType": 1, "author": ["11000200001.张三"], "indvIsNew": "0",
        "researcher": "张三", "newListingDate": None, "newPurchaseDate": None,
        "newIssuePrice": None, "newPeIssueA": None, "indvAimPriceT": "", "indvAimPriceL": "",
        "attachType": "0", "attachSize": 512, "attachPages": 5, "encodeUrl": "x",
        "sRatingName": rating, "sRatingCode": "005", "market": "SHANGHAI",
        "authorID": ["11000200001"], "count": 6, "orgType": "03",
    }  # fmt: skip


def em_answer(records: list[dict[str, Any]], current_year: int) -> dict[str, Any]:
    return {"hits": len(records), "size": 5000, "data": records,
            "TotalPage": 1 if records else 0, "pageNo": 1, "currentYear": current_year}  # fmt: skip


def cninfo_record(
    code: str,
    name: str,
    date: str,
    org: str,
    analysts: str,
    rating: str,
    previous: str | None,
    change: str,
    target: tuple[float | None, float | None] = (None, None),
    first: str = "否",
) -> dict[str, Any]:
    """One rating as 巨潮 lists it, its fields in the order akshare names by position."""
    return {
        "SECNAME": name, "DECLAREDATE": date, "F008V": previous, "F007V": change,
        "F010N": target[1], "F006V": first, "F004V": rating, "F003V": analysts,
        "F002V": org, "F009N": target[0], "SECCODE": code,
    }  # fmt: skip


def cninfo_answer(records: list[dict[str, Any]]) -> dict[str, Any]:
    return {"resultmsg": "success", "resultcode": 200, "records": records,
            "count": len(records)}  # fmt: skip


def serve_em(
    code: str,
    records: list[dict[str, Any]],
    current_year: int = 2024,
    *,
    failure: Exception | None = None,
) -> None:
    """Answer akshare's GETs for ``code`` (it asks twice: the page count, then page 1), or
    fail them with ``failure`` (a requests exception)."""
    wanted = matchers.query_param_matcher({"code": code, "pageSize": "5000"}, strict_match=False)
    if failure is not None:
        responses.get(EM_URL, body=failure, match=[wanted])
        return
    responses.get(EM_URL, json=em_answer(records, current_year), match=[wanted])


def serve_cninfo(day: str, records: list[dict[str, Any]]) -> None:
    """Answer akshare's POST for ``day`` (``YYYY-MM-DD``, the site's ``tdate``)."""
    wanted = matchers.query_param_matcher({"tdate": day})
    responses.post(CNINFO_URL, json=cninfo_answer(records), match=[wanted])
