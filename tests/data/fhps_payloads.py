"""eastmoney answers for dividends and raw bars, shaped as akshare 1.19.5 reads them.

``stock_fhps_detail_em`` GETs ``datacenter-web.eastmoney.com/api/data/v1/get`` with
``reportName=RPT_SHAREBONUS_DET``: first for ``result.pages``, then each page's
``result.data`` records, and names the 30 fields **by position**. The field names below
are eastmoney's where public code shows them (SECUCODE, BONUS_IT_RATIO, BONUS_RATIO,
IT_RATIO, PRETAX_BONUS_RMB per 10 shares, EQUITY_RECORD_DATE, EX_DIVIDEND_DATE, ...);
the others are placeholders: akshare only uses the positions.

The raw klines (``fqt=0``) are built from a real qfq file by undoing eastmoney's forward
adjustment, which subtracts the cash and divides by the share ratio for every day before
an ex-date: ``qfq = (raw - cash) / (1 + ratio)``, so ``raw = qfq * (1 + ratio) + cash``.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pandas as pd

from tests.data.akshare_payloads import klines_answer

DATACENTER_URL = "https://datacenter-web.eastmoney.com/api/data/v1/get"

# (position -> field name) of RPT_SHAREBONUS_DET as akshare 1.19.5 slices it
FHPS_FIELDS: tuple[str, ...] = (
    "SECUCODE",
    "SECURITY_CODE",
    "SECURITY_NAME_ABBR",
    "ORG_CODE",
    "SECURITY_TYPE",
    "BONUS_IT_RATIO",  # 送转总比例
    "BONUS_RATIO",  # 送股比例
    "IT_RATIO",  # 转股比例
    "PRETAX_BONUS_RMB",  # 现金分红比例 (per 10 shares, pre-tax)
    "PUBLISH_DATE",  # 业绩披露日期
    "EQUITY_RECORD_DATE",
    "EX_DIVIDEND_DATE",
    "REPORT_DATE",
    "ASSIGN_PROGRESS",
    "IMPL_PLAN_PROFILE",
    "NOTICE_DATE",  # 最新公告日期
    "FIELD_16",
    "FIELD_17",
    "FIELD_18",
    "BASIC_EPS",
    "BVPS",
    "PER_CAPITAL_RESERVE",
    "PER_UNASSIGN_PROFIT",
    "PNP_YOY_RATIO",
    "TOTAL_SHARES",
    "PLAN_NOTICE_DATE",
    "DIVIDENT_RATIO",
    "FIELD_27",
    "FIELD_28",
    "FIELD_29",
)


def _stamp(day: dt.date | None) -> str | None:
    return None if day is None else f"{day:%Y-%m-%d} 00:00:00"


def fhps_record(
    code: str,
    ex_date: dt.date | None,
    *,
    cash10: float | None = None,
    bonus10: float | None = None,
    transfer10: float | None = None,
    total10: float | None = None,
    report: dt.date = dt.date(2023, 12, 31),
    progress: str = "实施分配",
) -> dict[str, Any]:
    """One RPT_SHAREBONUS_DET record; amounts per 10 shares (None where eastmoney has null)."""
    if total10 is None and (bonus10 is not None or transfer10 is not None):
        total10 = (bonus10 or 0.0) + (transfer10 or 0.0)
    notice = (ex_date or report + dt.timedelta(days=100)) - dt.timedelta(days=7)
    record = None if ex_date is None else ex_date - dt.timedelta(days=1)
    values: dict[str, Any] = {name: None for name in FHPS_FIELDS}
    values |= {
        "SECUCODE": f"{code}.SH",
        "SECURITY_CODE": code,
        "SECURITY_NAME_ABBR": "测试",
        "ORG_CODE": "10000000",
        "SECURITY_TYPE": "A股",
        "BONUS_IT_RATIO": total10,
        "BONUS_RATIO": bonus10,
        "IT_RATIO": transfer10,
        "PRETAX_BONUS_RMB": cash10,
        "PUBLISH_DATE": _stamp(report + dt.timedelta(days=90)),
        "EQUITY_RECORD_DATE": _stamp(record),
        "EX_DIVIDEND_DATE": _stamp(ex_date),
        "REPORT_DATE": _stamp(report),
        "ASSIGN_PROGRESS": progress,
        "IMPL_PLAN_PROFILE": "10派X元",
        "NOTICE_DATE": _stamp(notice),
        "BASIC_EPS": 0.5,
        "BVPS": 5.0,
        "TOTAL_SHARES": 1.9e9,
        "PLAN_NOTICE_DATE": _stamp(report + dt.timedelta(days=90)),
        "DIVIDENT_RATIO": 0.004,
    }
    return values


def fhps_answer(records: list[dict[str, Any]]) -> dict[str, Any]:
    """The site's JSON for one page holding ``records``."""
    return {
        "version": None,
        "result": {"pages": 1, "data": records, "count": len(records)},
        "success": True,
        "message": "ok",
        "code": 0,
    }


def fhps_empty_answer() -> dict[str, Any]:
    """The site's answer for a stock that never distributed anything."""
    return {
        "version": None,
        "result": None,
        "success": False,
        "message": "返回数据为空",
        "code": 9201,
    }


def unadjust_qfq(qfq: pd.DataFrame, events: list[tuple[dt.date, float, float]]) -> pd.DataFrame:
    """Raw OHLC (rounded to 0.01) from eastmoney-style qfq bars and (ex_date, cash per
    share, new shares per share) events: ``raw = qfq * (1 + ratio) + cash`` before each
    ex-date, latest event first."""
    raw = qfq.copy()
    prices = ["开盘", "收盘", "最高", "最低"]
    days = pd.to_datetime(raw["日期"])
    for ex_date, cash, ratio in sorted(events, reverse=True):
        before = days < pd.Timestamp(ex_date)
        raw.loc[before, prices] = raw.loc[before, prices] * (1.0 + ratio) + cash
    raw[prices] = raw[prices].round(2)
    return raw


def raw_klines(csv: Path, events: list[tuple[dt.date, float, float]], start: str, end: str):
    """The kline answer (fqt=0) of an akshare qfq file turned raw by ``events``."""
    qfq = pd.read_csv(csv, encoding="utf-8-sig", dtype={"股票代码": str})
    return klines_answer(unadjust_qfq(qfq, events), start, end)
