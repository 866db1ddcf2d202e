"""Answers shaped like the real sites', built from the shared vendor files.

Shapes are read from akshare 1.19.5's source: ``stock_zh_a_hist`` and ``index_zh_a_hist``
read ``data.klines`` from push2his.eastmoney.com (comma-joined: date, open, close, high,
low, volume in lots, amount, amplitude, pct change, change, turnover);
``index_code_id_map_em`` pages ``data.diff`` of 80.push2.eastmoney.com; ``index_hist_sw``
reads ``data`` records of swsresearch.com; ``stock_value_em`` reads ``result.data`` of
datacenter-web.eastmoney.com.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

KLINE_URL = "https://push2his.eastmoney.com/api/qt/stock/kline/get"
CLIST_URL = "https://80.push2.eastmoney.com/api/qt/clist/get"
SW_URL = "https://www.swsresearch.com/institute-sw/api/index_publish/trend/"
VALUE_URL = "https://datacenter-web.eastmoney.com/api/data/v1/get"


KLINE_COLUMNS = ["日期", "开盘", "收盘", "最高", "最低", "成交量", "成交额", "振幅", "涨跌幅",
                 "涨跌额", "换手率"]  # fmt: skip


def klines_answer(frame: pd.DataFrame, start: str, end: str) -> dict[str, Any]:
    """The kline answer for the rows in ``[start, end]`` of an akshare-format frame."""
    rows = frame[(frame["日期"] >= start) & (frame["日期"] <= end)]
    lines = [",".join(str(v) for v in row) for row in rows[KLINE_COLUMNS].itertuples(index=False)]
    return {"rc": 0, "data": {"code": str(rows["股票代码"].iloc[0]), "klines": lines}}


def stock_klines(csv: Path, start: str, end: str) -> dict[str, Any]:
    """The kline answer for an akshare-format file's rows in ``[start, end]``."""
    raw = pd.read_csv(csv, encoding="utf-8-sig", dtype={"股票代码": str})
    return klines_answer(raw, start, end)


def index_klines(csv: Path, start: str, end: str) -> dict[str, Any]:
    """The kline answer for a baostock index file (volume in shares -> lots)."""
    raw = pd.read_csv(csv)
    raw = raw[(raw["date"] >= start) & (raw["date"] <= end)]
    lines = [
        f"{r.date},{r.open},{r.close},{r.high},{r.low},{r.volume / 100},{r.amount},1.0,"
        f"{r.pctChg},1.0,{r.turn}"
        for r in raw.itertuples(index=False)
    ]
    return {"rc": 0, "data": {"code": "000300", "klines": lines}}


def clist(code: str, market: int) -> dict[str, Any]:
    return {"rc": 0, "data": {"total": 1, "diff": [{"f3": 0.5, "f12": code, "f13": market}]}}


def sw_trend(csv: Path) -> dict[str, Any]:
    raw = pd.read_csv(csv, dtype={"代码": str})
    records = [
        {
            "swindexcode": r[0],
            "bargaindate": r[1],
            "closeindex": r[2],
            "openindex": r[3],
            "maxindex": r[4],
            "minindex": r[5],
            "hike": 0,
            "markup": 0,
            "bargainamount": r[6],
            "bargainsum": r[7],
        }
        for r in raw.itertuples(index=False)
    ]
    return {"code": "200", "data": records}


def value_em(csv: Path) -> dict[str, Any]:
    """stock_value_em's answer from a baostock file's PE/PB (newest first, as the site)."""
    raw = pd.read_csv(csv, encoding="utf-8-sig").dropna(subset=["peTTM"]).iloc[::-1]
    rows = [
        {
            "TRADE_DATE": f"{r.date} 00:00:00",
            "CLOSE_PRICE": r.close,
            "CHANGE_RATE": r.pctChg,
            "TOTAL_MARKET_CAP": 1e10,
            "NOTLIMITED_MARKETCAP_A": 1e10,
            "TOTAL_SHARES": 1e9,
            "FREE_SHARES_A": 1e9,
            "PE_TTM": r.peTTM,
            "PE_LAR": r.peTTM,
            "PB_MRQ": r.pbMRQ,
            "PEG_CAR": 1.0,
            "PCF_OCF_TTM": 1.0,
            "PS_TTM": r.psTTM,
        }
        for r in raw.itertuples(index=False)
    ]
    return {"result": {"data": rows}, "success": True}


def value_em_rows(frame: pd.DataFrame) -> dict[str, Any]:
    """stock_value_em's answer for a frame with a date index and ``close``, ``pe_ttm``,
    ``pb`` columns (NaN sent as JSON null), newest first as the site sends it."""
    rows = [
        {
            "TRADE_DATE": f"{day:%Y-%m-%d} 00:00:00",
            "CLOSE_PRICE": r.close,
            "CHANGE_RATE": 0.0,
            "TOTAL_MARKET_CAP": 1e10,
            "NOTLIMITED_MARKETCAP_A": 1e10,
            "TOTAL_SHARES": 1e9,
            "FREE_SHARES_A": 1e9,
            "PE_TTM": None if pd.isna(r.pe_ttm) else r.pe_ttm,
            "PE_LAR": None if pd.isna(r.pe_ttm) else r.pe_ttm,
            "PB_MRQ": None if pd.isna(r.pb) else r.pb,
            "PEG_CAR": 1.0,
            "PCF_OCF_TTM": 1.0,
            "PS_TTM": 1.0,
        }
        for day, r in frame.iloc[::-1].iterrows()
    ]
    return {"result": {"data": rows}, "success": True}
